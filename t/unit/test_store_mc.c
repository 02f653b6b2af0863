/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_mc.c: the memcached store against two real memcached servers
 * started here on 127.0.0.1 (free ports), stopped by PID at the end, also
 * when a check fails or the program exits early (atexit, signals: the
 * set-up shared with test_store_redis is in server.h).
 *
 * Server state is read over raw sockets with memcached's text protocol
 * (stats, get, set), independently of the library under test.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "unit.h"
#include "server.h"
#include "ajwt_store.h"

#define NSERVERS 2              /* the two of servers_all() */
#define SRV_SMALL 2             /* -m 2: evictions */
#define SRV_SASL  3             /* -S: SASL logins */
#define MAXSRV    4

static struct {
    int port;
    pid_t pid;
    const char *mem;            /* -m, NULL: 16 */
    const char *sasl_dir;       /* -S with SASL_CONF_PATH=this, or NULL */
} srv[MAXSRV];
static const char *memcached_bin;

/* ------------------------------------------------------------ servers */

static const char *find_memcached(void)
{
    static const char *const paths[] = {
        "/usr/bin/memcached", "/usr/local/bin/memcached",
        "/usr/sbin/memcached", NULL
    };
    return server_find(getenv("AJWT_MEMCACHED"), paths);
}

/* Fork and exec memcached i on port (server_start's launch). */
static pid_t launch_memcached(int i, int port)
{
    char portbuf[16];
    pid_t pid;
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    pid = fork();
    if (pid == 0) {
        server_quiet();
        const char *argv[20] = {
            "memcached", "-l", "127.0.0.1", "-p", portbuf, "-U", "0",
            "-m", srv[i].mem ? srv[i].mem : "16", "-t", "2", "-c", "256"
        };
        int a = 13;
        if (srv[i].sasl_dir) {
            setenv("SASL_CONF_PATH", srv[i].sasl_dir, 1);
            argv[a++] = "-S";
        }
        /* -u: memcached refuses to run as root without it */
        if (geteuid() == 0) {
            argv[a++] = "-u";
            argv[a++] = "root";
        }
        argv[a] = NULL;
        execv(memcached_bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* memcached takes connections: it is up (server_start's ready). */
static int memcached_up(int i, int port)
{
    int fd = connect_port(port, 500);
    (void)i;
    if (fd < 0) {
        return 0;
    }
    close(fd);
    return 1;
}

/* Start memcached i on port (0: pick a free one); 1 when it answers. */
static int start_server(int i, int port)
{
    pid_t pid = server_start(&port, 5, 3000, launch_memcached, memcached_up,
                             i);
    if (!pid) {
        return 0;
    }
    srv[i].pid = pid;
    srv[i].port = port;
    return 1;
}

static void stop_server(int i)
{
    server_stop(&srv[i].pid, SIGKILL, 0);
}

static void stop_all(void)
{
    int i;
    for (i = 0; i < MAXSRV; i++) {
        stop_server(i);
    }
}

/* Send cmd, read until a line in ends[] ends the reply; reply in buf. */
static int raw(int port, const char *cmd, char *buf, size_t size)
{
    static const char *const ends[] = {
        "END\r\n", "STORED\r\n", "OK\r\n", "ERROR\r\n", NULL
    };
    size_t got = 0;
    int fd = connect_port(port, 1000), i;
    buf[0] = '\0';
    if (fd < 0) {
        return -1;
    }
    if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
        close(fd);
        return -1;
    }
    while (got + 1 < size) {
        ssize_t n = read(fd, buf + got, size - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        buf[got] = '\0';
        for (i = 0; ends[i]; i++) {
            size_t el = strlen(ends[i]);
            if (got >= el && !strcmp(buf + got - el, ends[i])) {
                close(fd);
                return 0;
            }
        }
    }
    close(fd);
    return -1;
}

static long long stat_of(int port, const char *name)
{
    char buf[8192], pat[64], *at;
    if (raw(port, "stats\r\n", buf, sizeof(buf))) {
        return -1;
    }
    snprintf(pat, sizeof(pat), "STAT %s ", name);
    at = strstr(buf, pat);
    return at ? atoll(at + strlen(pat)) : -1;
}

/* Does server i hold key? (text protocol "get") */
static int holds(int i, const char *key)
{
    char cmd[128], buf[512];
    snprintf(cmd, sizeof(cmd), "get %s\r\n", key);
    return raw(srv[i].port, cmd, buf, sizeof(buf)) == 0
           && !strncmp(buf, "VALUE ", 6);
}

static char *servers_all(apr_pool_t *p)
{
    return apr_psprintf(p, "127.0.0.1:%d,127.0.0.1:%d", srv[0].port,
                        srv[1].port);
}

static ajwt_store_t *store(apr_pool_t *p, const char *servers, int retry)
{
    ajwt_mc_conf_t conf = { servers, 300, 300, retry };
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    ajwt_status_t rv = ajwt_store_mc_create(&st, &conf, p, &err);
    if (rv) {
        diag("create: %s", err.text);
    }
    return st;
}

static apr_int64_t now_s(void)
{
    return (apr_int64_t)time(NULL);
}

/* The current second, waited for until it has just begun: an entry put to
 * expire at "now + 1" then has nearly a whole second to be seen, even in a
 * sanitizer build, where a time(NULL) read late in a second left only
 * milliseconds before the server dropped the entry (CI saw it once). */
static apr_int64_t fresh_second(void)
{
    apr_int64_t t0 = now_s();

    while (now_s() == t0) {
        msleep(5);
    }
    return now_s();
}

static double since(apr_time_t t0)
{
    return (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
}

/* ------------------------------------------------------------ cases */

static void config_errors(apr_pool_t *p)
{
    static const struct { const char *servers, *named; } bad[] = {
        { "", NULL },
        { "host:", "host:" },
        { ":11211", ":11211" },
        { "host:0", "host:0" },
        { "host:65536", "host:65536" },
        { "host:12x", "host:12x" },
        { "host:-1", "host:-1" },
        { "a:1,,b:2", NULL },
        { "a:1,", NULL },
        { ",a:1", NULL },
        { "a:1,b c:2", "b c:2" },
        { "good:1,host:1:2", "host:1:2" },
        { "[::1", "[::1" },
        { "[::1]x", "[::1]x" },
        { "[zz]:1", "[zz]:1" },
        { "ho$t:1", "ho$t:1" },
    };
    static const char *const good[] = {
        "localhost", "127.0.0.1:11211", "a:1, b:2", "[::1]:11211", "[::1]",
        "mc-1.example.org:65535,mc_2:1",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ajwt_mc_conf_t conf = { bad[i].servers, 0, 0, 0 };
        ajwt_store_t *st = (ajwt_store_t *)1;
        ajwt_err_t err = { 0 };
        is_int(ajwt_store_mc_create(&st, &conf, p, &err), AJWT_ECONFIG,
               "'%s' refused", bad[i].servers);
        ok(st == NULL, "'%s': no store", bad[i].servers);
        if (bad[i].named) {
            ok(strstr(err.text, bad[i].named) != NULL, "'%s' named in: %s",
               bad[i].named, err.text);
        }
    }
    {
        ajwt_mc_conf_t conf = { NULL, 0, 0, 0 };
        ajwt_store_t *st;
        is_int(ajwt_store_mc_create(&st, &conf, p, NULL), AJWT_ECONFIG,
               "NULL servers refused");
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ajwt_mc_conf_t conf = { good[i], 0, 0, 0 };
        ajwt_store_t *st = NULL;
        ajwt_err_t err = { 0 };
        is_int(ajwt_store_mc_create(&st, &conf, p, &err), AJWT_OK,
               "'%s' accepted %s", good[i], err.text);
        ok(st && !strcmp(st->ops->name, "memcached"), "'%s': a memcached "
           "store", good[i]);
    }
}

static void round_trip(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_all(p), 1);
    ajwt_err_t err = { 0 };
    char k1[AJWT_STORE_KEY_MAX], k2[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, now = now_s();
    int found = -1;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_key_jti(k1, apr_psprintf(p, "rt-%d", (int)getpid()));
    ajwt_store_key_sub(k2, apr_psprintf(p, "never-%d", (int)getpid()));
    is_int(st->ops->put(st, k1, 1234567890, now + 600, now, &err), AJWT_OK,
           "put %s", err.text);
    is_int(st->ops->get(st, k1, &v, &found, now, &err), AJWT_OK, "get %s",
           err.text);
    is_int(found, 1, "found");
    is_int(v, 1234567890, "value back");
    ok(holds(0, k1) + holds(1, k1) == 1, "on exactly one server");

    is_int(st->ops->put(st, k1, 42, now + 600, now, &err), AJWT_OK,
           "overwrite");
    v = 0;
    is_int(st->ops->get(st, k1, &v, &found, now, &err), AJWT_OK, "get again");
    is_int(v, 42, "overwritten value");

    is_int(st->ops->put(st, k1, -7, now + 600, now, &err), AJWT_OK,
           "negative value");
    st->ops->get(st, k1, &v, &found, now, &err);
    is_int(v, -7, "negative value back");
    is_int(st->ops->put(st, k1, APR_INT64_MAX, now + 600, now, &err),
           AJWT_OK, "max value");
    st->ops->get(st, k1, &v, &found, now, &err);
    ok(v == APR_INT64_MAX, "max value back");

    found = -1;
    v = 99;
    is_int(st->ops->get(st, k2, &v, &found, now, &err), AJWT_OK,
           "missing key is not an error %s", err.text);
    is_int(found, 0, "missing key not found");
    is_int(err.status, AJWT_OK, "no error recorded");
}

static void expiry(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_all(p), 1);
    ajwt_err_t err = { 0 };
    char k[AJWT_STORE_KEY_MAX], kp[AJWT_STORE_KEY_MAX];
    char kl[AJWT_STORE_KEY_MAX], k30[AJWT_STORE_KEY_MAX];
    apr_int64_t v, now = now_s();
    int found;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    now = fresh_second();
    ajwt_store_key_jti(k, apr_psprintf(p, "exp-%d", (int)getpid()));
    ajwt_store_key_jti(kp, apr_psprintf(p, "past-%d", (int)getpid()));
    ajwt_store_key_jti(kl, apr_psprintf(p, "long-%d", (int)getpid()));
    ajwt_store_key_jti(k30, apr_psprintf(p, "30d-%d", (int)getpid()));

    is_int(st->ops->put(st, k, 1, now + 1, now, &err), AJWT_OK, "put 1 s");
    st->ops->get(st, k, &v, &found, now, &err);
    is_int(found, 1, "there at once");

    is_int(st->ops->put(st, kp, 1, now, now, &err), AJWT_OK,
           "put expiring now: OK");
    is_int(st->ops->put(st, kp, 1, now - 100, now, &err), AJWT_OK,
           "put expired: OK");
    st->ops->get(st, kp, &v, &found, now, &err);
    is_int(found, 0, "nothing stored for an expired entry");
    ok(!holds(0, kp) && !holds(1, kp), "on no server");

    /* over 30 days: memcached needs an absolute time, else it would read
     * the relative seconds as a date in 1970 and drop the entry at once */
    is_int(st->ops->put(st, kl, 7, now + 40 * 86400, now, &err), AJWT_OK,
           "put 40 days");
    st->ops->get(st, kl, &v, &found, now, &err);
    is_int(found, 1, "40-day entry there");
    is_int(st->ops->put(st, k30, 8, now + 2592000, now, &err), AJWT_OK,
           "put exactly 30 days");
    st->ops->get(st, k30, &v, &found, now, &err);
    is_int(found, 1, "30-day entry there");
    is_int(st->ops->put(st, k30, 9, now + 2592001, now, &err), AJWT_OK,
           "put 30 days + 1 s");
    st->ops->get(st, k30, &v, &found, now, &err);
    ok(found == 1 && v == 9, "30 days + 1 s entry there");

    msleep(2100);
    found = -1;
    is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_OK,
           "get after expiry");
    is_int(found, 0, "1 s entry gone after 2 s");
    st->ops->get(st, kl, &v, &found, now_s(), &err);
    is_int(found, 1, "40-day entry still there");
}

static void bad_values(apr_pool_t *p)
{
    static const char *const vals[] = {
        "12x", "", "+5", " 5", "5 ", "99999999999999999999", "-", "-0",
        "9223372036854775808", "0x10",
    };
    ajwt_store_t *st = store(p, apr_psprintf(p, "127.0.0.1:%d", srv[0].port),
                             1);
    char k[AJWT_STORE_KEY_MAX], cmd[256], buf[256];
    apr_int64_t v;
    int found;
    size_t i;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_key_jti(k, "bad-value");
    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        ajwt_err_t err = { 0 };
        snprintf(cmd, sizeof(cmd), "set %s 0 60 %lu\r\n%s\r\n", k,
                 (unsigned long)strlen(vals[i]), vals[i]);
        if (!ok(raw(srv[0].port, cmd, buf, sizeof(buf)) == 0
                && !strcmp(buf, "STORED\r\n"), "raw set '%s'", vals[i])) {
            continue;
        }
        found = -1;
        is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_ESTORE,
               "'%s' is a store error", vals[i]);
        is_int(found, 0, "'%s' not reported found", vals[i]);
        ok(strstr(err.text, "malformed") && !strstr(err.text, vals[i][0]
                                                    ? vals[i] : "\x01"),
           "reason names no value: %s", err.text);
    }
    {
        ajwt_err_t err = { 0 };
        snprintf(cmd, sizeof(cmd), "set %s 0 60 19\r\n9223372036854775807"
                 "\r\n", k);
        raw(srv[0].port, cmd, buf, sizeof(buf));
        is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_OK,
               "INT64_MAX written by others parses");
        ok(found == 1 && v == APR_INT64_MAX, "INT64_MAX value");
    }
}

static void bad_keys(apr_pool_t *p)
{
    static const char *const keys[] = {
        "", "has space", "ctl\n", "x123456789012345678901234567890"
        "1234567890123456789012345678901234567890",
    };
    ajwt_store_t *st = store(p, servers_all(p), 1);
    apr_int64_t v;
    int found;
    size_t i;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ajwt_err_t err = { 0 };
        is_int(st->ops->put(st, keys[i], 1, now_s() + 60, now_s(), &err),
               AJWT_EINTERNAL, "put with key %lu refused", (unsigned long)i);
        ok(!keys[i][0] || !strstr(err.text, keys[i]), "key not echoed: %s",
           err.text);
        is_int(st->ops->get(st, keys[i], &v, &found, now_s(), NULL),
               AJWT_EINTERNAL, "get with key %lu refused", (unsigned long)i);
    }
}

static void spread(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_all(p), 1);
    long long before[NSERVERS], after[NSERVERS];
    apr_int64_t now = now_s();
    int i, failed = 0;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    /* first use of a server writes its seed entry (ajwt_store.h), one
     * more item there: warm both up before counting */
    for (i = 0; i < 32; i++) {
        char k[AJWT_STORE_KEY_MAX];
        ajwt_store_key_jti(k, apr_psprintf(p, "warm-%d-%d", (int)getpid(),
                                           i));
        st->ops->put(st, k, i, now + 600, now, NULL);
    }
    for (i = 0; i < NSERVERS; i++) {
        before[i] = stat_of(srv[i].port, "total_items");
    }
    for (i = 0; i < 200; i++) {
        char k[AJWT_STORE_KEY_MAX];
        ajwt_store_key_jti(k, apr_psprintf(p, "spread-%d-%d", (int)getpid(),
                                           i));
        failed += st->ops->put(st, k, i, now + 600, now, NULL) != AJWT_OK;
    }
    is_int(failed, 0, "200 puts");
    for (i = 0; i < NSERVERS; i++) {
        after[i] = stat_of(srv[i].port, "total_items");
        ok(after[i] - before[i] > 20, "server %d got %lld of 200 keys", i,
           after[i] - before[i]);
    }
    is_int(after[0] - before[0] + after[1] - before[1], 200,
           "every key stored once");
}

/* ---- one handle per thread */

struct worker {
    ajwt_store_t *st;
    char keys[20][AJWT_STORE_KEY_MAX];
    int gets, errors;
};

static void *work(void *data)
{
    struct worker *w = data;
    int i;
    for (i = 0; i < 300; i++) {
        apr_int64_t v;
        int found;
        if (w->st->ops->get(w->st, w->keys[i % 20], &v, &found, now_s(),
                            NULL) != AJWT_OK || !found || v != i % 20) {
            w->errors++;
        }
        w->gets++;
    }
    return NULL;
}

static void threads(apr_pool_t *p)
{
    apr_pool_t *sub;
    ajwt_store_t *st, *st_main;
    struct worker w[2];
    pthread_t t[2];
    long long tc0 = 0, tc1 = 0, cc0 = 0, cc1 = 0, cc2 = 0;
    apr_int64_t now = now_s();
    int i, j, waited;

    apr_pool_create(&sub, p);
    st = store(sub, servers_all(p), 1);
    st_main = store(p, servers_all(p), 1);
    if (!ok(st && st_main, "stores made")) {
        return;
    }
    memset(w, 0, sizeof(w));
    for (j = 0; j < 20; j++) {
        ajwt_store_key_jti(w[0].keys[j], apr_psprintf(p, "thr-%d",  j));
        st_main->ops->put(st_main, w[0].keys[j], j, now + 600, now, NULL);
    }
    w[1] = w[0];
    for (i = 0; i < NSERVERS; i++) {
        cc0 += stat_of(srv[i].port, "curr_connections");
    }
    for (i = 0; i < NSERVERS; i++) {
        tc0 += stat_of(srv[i].port, "total_connections");
    }
    for (i = 0; i < 2; i++) {
        w[i].st = st;
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    for (i = 0; i < NSERVERS; i++) {
        tc1 += stat_of(srv[i].port, "total_connections");
    }
    is_int(w[0].gets + w[1].gets, 600, "600 gets");
    is_int(w[0].errors + w[1].errors, 0, "every get found its value");
    /* two threads x two servers, plus our own stats connection to each,
     * plus this store's first look at each server: it reads the server's
     * evictions count on a connection of its own (once per process and
     * server, not per thread) */
    ok(tc1 - tc0 <= 2 * NSERVERS + NSERVERS + NSERVERS, "%lld new "
       "connections for 600 gets", tc1 - tc0);
    ok(tc1 - tc0 >= 2, "the threads connected (%lld)", tc1 - tc0);

    /* the threads have exited: their handles were freed, connections
     * closed (memcached notices asynchronously, so give it a moment) */
    for (waited = 0; waited < 2000; waited += 50) {
        cc1 = 0;
        for (i = 0; i < NSERVERS; i++) {
            cc1 += stat_of(srv[i].port, "curr_connections");
        }
        if (cc1 <= cc0) {
            break;
        }
        msleep(50);
    }
    ok(cc1 <= cc0, "thread exit closed its connections (%lld -> %lld)", cc0,
       cc1);

    /* the main thread's handle of a store goes with the store's pool */
    {
        apr_int64_t v;
        int found;
        is_int(st->ops->get(st, w[0].keys[1], &v, &found, now, NULL),
               AJWT_OK, "main thread get");
        is_int(st->ops->get(st, w[0].keys[2], &v, &found, now, NULL),
               AJWT_OK, "main thread get, other key");
    }
    apr_pool_destroy(sub);
    for (waited = 0; waited < 2000; waited += 50) {
        cc2 = 0;
        for (i = 0; i < NSERVERS; i++) {
            cc2 += stat_of(srv[i].port, "curr_connections");
        }
        if (cc2 <= cc0) {
            break;
        }
        msleep(50);
    }
    ok(cc2 <= cc0, "pool cleanup closed the main thread's connections "
       "(%lld)", cc2);
}

/* A prefork child inherits the parent's handle: it must make its own, and
 * the parent's connection must survive the child. */
static void forked(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_all(p), 1);
    char k[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, now = now_s();
    int found = 0, status = -1;
    pid_t pid;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_key_jti(k, "forked");
    is_int(st->ops->put(st, k, 5, now + 600, now, NULL), AJWT_OK,
           "parent put");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        ajwt_err_t err = { 0 };
        int rc = st->ops->get(st, k, &v, &found, now, &err) == AJWT_OK
                 && found && v == 5 ? 0 : 1;
        rc |= st->ops->put(st, k, 6, now + 600, now, NULL) ? 2 : 0;
        _exit(rc);
    }
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child used its own "
       "handle (status %d)", status);
    is_int(st->ops->get(st, k, &v, &found, now, NULL), AJWT_OK,
           "parent get after child exit");
    ok(found && v == 6, "parent sees the child's write");
}

/* Pick keys held by server 0 and server 1. */
static void keys_on(ajwt_store_t *st, apr_pool_t *p, const char *tag,
                    char ka[AJWT_STORE_KEY_MAX], char kb[AJWT_STORE_KEY_MAX])
{
    apr_int64_t now = now_s();
    int i, have_a = 0, have_b = 0;
    for (i = 0; i < 100 && !(have_a && have_b); i++) {
        char k[AJWT_STORE_KEY_MAX];
        ajwt_store_key_jti(k, apr_psprintf(p, "%s-%d-%d", tag,
                                           (int)getpid(), i));
        st->ops->put(st, k, i, now + 600, now, NULL);
        if (!have_a && holds(0, k)) {
            strcpy(ka, k);
            have_a = 1;
        }
        else if (!have_b && holds(1, k)) {
            strcpy(kb, k);
            have_b = 1;
        }
    }
}

static void outage(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_all(p), 1);
    char ka[AJWT_STORE_KEY_MAX] = "", kb[AJWT_STORE_KEY_MAX] = "";
    char portb[16];
    apr_int64_t v, now = now_s();
    apr_time_t t0;
    double dt = -1;
    int found, port = srv[1].port, i;
    ajwt_status_t rv = AJWT_EINTERNAL;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    keys_on(st, p, "outage", ka, kb);
    if (!ok(ka[0] && kb[0], "a key on each server")) {
        return;
    }
    snprintf(portb, sizeof(portb), ":%d", port);

    stop_server(1);
    {
        ajwt_err_t err = { 0 };
        found = -1;
        t0 = apr_time_now();
        rv = st->ops->get(st, kb, &v, &found, now, &err);
        dt = since(t0);
        is_int(rv, AJWT_ESTORE, "get on the dead server: store error");
        is_int(found, 0, "not found");
        ok(dt < 2.0, "answered in %.3f s (no hang)", dt);
        ok(strstr(err.text, portb) && strstr(err.text, kb), "reason names "
           "server and hashed key: %s", err.text);
    }
    {
        ajwt_err_t err = { 0 };
        t0 = apr_time_now();
        rv = st->ops->get(st, kb, &v, &found, now, &err);
        dt = since(t0);
        is_int(rv, AJWT_ESTORE, "again: store error (%s)", err.text);
        ok(dt < 0.25, "while in retry timeout, no network wait (%.3f s)",
           dt);
        is_int(st->ops->put(st, kb, 1, now + 600, now, NULL), AJWT_ESTORE,
               "put on the dead server: store error");
    }
    /* the live server's keys are not moved, and keep working */
    {
        ajwt_err_t err = { 0 };
        is_int(st->ops->get(st, ka, &v, &found, now, &err), AJWT_OK,
               "the other server still answers %s", err.text);
    }
    is_int(found, 1, "its key found");

    if (!ok(start_server(1, port), "restarted on port %d", port)) {
        return;
    }
    t0 = apr_time_now();
    for (i = 0; i < 80; i++) {
        if ((rv = st->ops->get(st, kb, &v, &found, now_s(), NULL))
            == AJWT_OK) {
            break;
        }
        msleep(50);
    }
    dt = since(t0);
    is_int(rv, AJWT_OK, "same store works again after %.2f s", dt);
    is_int(found, 0, "restarted server is empty");
    ok(dt <= 1 + 2.5, "within retry_timeout_s (1) + 2 s of resolution");
    now = now_s();
    is_int(st->ops->put(st, kb, 77, now + 600, now, NULL), AJWT_OK,
           "put works again");
    st->ops->get(st, kb, &v, &found, now, NULL);
    ok(found == 1 && v == 77, "round trip on the restarted server");
    ok(holds(1, kb), "stored on the restarted server, not rehashed");
}

/* A server restarted between two operations: the handle's socket is stale.
 * The first operation may fail; within retry_timeout_s it works again. */
static void bounce(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_all(p), 1);
    char ka[AJWT_STORE_KEY_MAX] = "", kb[AJWT_STORE_KEY_MAX] = "";
    apr_int64_t v, now = now_s();
    apr_time_t t0;
    int found, port = srv[1].port, i, first;
    ajwt_status_t rv = AJWT_EINTERNAL;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    keys_on(st, p, "bounce", ka, kb);
    if (!ok(ka[0] && kb[0], "a key on each server")) {
        return;
    }
    is_int(st->ops->get(st, kb, &v, &found, now, NULL), AJWT_OK,
           "connected to server 1");
    stop_server(1);
    if (!ok(start_server(1, port), "restarted on port %d", port)) {
        return;
    }
    t0 = apr_time_now();
    {
        ajwt_err_t err = { 0 };
        first = st->ops->get(st, kb, &v, &found, now_s(), &err);
        is_int(first, AJWT_OK, "first get on the stale socket reconnects "
               "at once %s", err.text);
        is_int(found, 0, "restarted server is empty");
    }
    ok(since(t0) < 2.0, "first get answered without a hang");
    is_int(st->ops->put(st, kb, 3, now + 600, now, NULL), AJWT_OK, "put");
    stop_server(1);
    if (!ok(start_server(1, port), "restarted again")) {
        return;
    }
    is_int(st->ops->put(st, kb, 4, now + 600, now, NULL), AJWT_OK,
           "first put on the stale socket reconnects at once");
    st->ops->get(st, kb, &v, &found, now, NULL);
    ok(found == 1 && v == 4, "and stored");
    for (i = 0; i < 80; i++) {
        if ((rv = st->ops->get(st, ka, &v, &found, now_s(), NULL))
            == AJWT_OK) {
            break;
        }
        msleep(50);
    }
    is_int(rv, AJWT_OK, "the other server untouched");
}

/* A server that accepts connections and never answers (a hung memcached,
 * a black-holed host behind a proxy): the poll timeout bounds the wait,
 * and the server is then left alone until retry_timeout_s. */
static void blackhole(apr_pool_t *p)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), found;
    ajwt_store_t *st;
    ajwt_err_t err = { 0 };
    apr_int64_t v;
    apr_time_t t0;
    double dt;
    char k[AJWT_STORE_KEY_MAX];

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!ok(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0
            && listen(fd, 16) == 0
            && getsockname(fd, (struct sockaddr *)&a, &len) == 0,
            "silent listener")) {
        return;
    }
    st = store(p, apr_psprintf(p, "127.0.0.1:%d", ntohs(a.sin_port)), 1);
    ajwt_store_key_jti(k, "blackhole");
    t0 = apr_time_now();
    is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_ESTORE,
           "silent server: store error (%s)", err.text);
    dt = since(t0);
    ok(dt < 2.0, "answered in %.3f s (poll timeout 300 ms, no hang)", dt);
    t0 = apr_time_now();
    is_int(st->ops->get(st, k, &v, &found, now_s(), NULL), AJWT_ESTORE,
           "again: store error");
    dt = since(t0);
    ok(dt < 0.25, "in retry timeout: no second wait (%.3f s)", dt);
    t0 = apr_time_now();
    is_int(st->ops->put(st, k, 1, now_s() + 60, now_s(), NULL), AJWT_ESTORE,
           "put: store error");
    ok(since(t0) < 0.25, "put: no wait either");
    close(fd);
}

/* ---- ajwt_store_check(): one round trip, malformed values */

static ajwt_claims_t claims_of(const char *jti, const char *sub,
                               apr_int64_t iat)
{
    ajwt_claims_t cl;
    memset(&cl, 0, sizeof(cl));
    cl.exp = now_s() + 600;
    cl.jti = jti;
    cl.sub = sub;
    cl.has_iat = 1;
    cl.iat = iat;
    return cl;
}

/* Bytes the server read between two "stats" (one "stats\r\n" of ours). */
static long long read_since(int port, long long *mark)
{
    long long now = stat_of(port, "bytes_read"), d = now - *mark;
    *mark = now;
    return d;
}

/* One ajwt_store_check() in a thread of its own: a handle, and so a
 * socket, made for it (and closed, with a quit, when the thread ends). */
struct trip {
    ajwt_store_t *st;
    const ajwt_claims_t *cl;
    ajwt_status_t rv;
};

static void *trip_check(void *data)
{
    struct trip *t = data;
    t->rv = ajwt_store_check(t->st, t->cl, now_s(), NULL);
    return NULL;
}

static void check_trips(apr_pool_t *p)
{
    int port = srv[0].port;
    ajwt_store_t *st = store(p, apr_psprintf(p, "127.0.0.1:%d", port), 1);
    ajwt_claims_t cl = claims_of(apr_psprintf(p, "trip-%d", (int)getpid()),
                                 "trip-sub", now_s() - 10);
    ajwt_err_t err = { 0 };
    struct trip t;
    pthread_t tid;
    /* one server: the first name tried, n = 0, hashes to it */
    const char *seed = "ajwt:seed:0";
    int seedlen = (int)strlen(seed);
    long long mark, idle, first, second, third;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_claims_keys(&cl);
    /* the store's first check restores the server for this process (its
     * evictions count, its seed, the keys read again): not counted */
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_OK,
           "not revoked (%s)", err.text);
    ok(holds(0, seed), "the server holds its seed %s", seed);
    mark = stat_of(port, "bytes_read");
    idle = read_since(port, &mark);         /* the stats command alone */
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_OK,
           "again not revoked");
    second = read_since(port, &mark) - idle;
    /* a token naming its session (sid): three keys, still one mget */
    cl.sid = "trip-session";
    ajwt_store_claims_keys(&cl);
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_OK,
           "with a session: not revoked");
    third = read_since(port, &mark) - idle;
    is_int((int)third, 2 * (24 + 50) + (24 + 52) + (24 + seedlen) + 24,
           "jti, sub, session, the seed and a noop in one round trip");
    cl.sid = NULL;
    ajwt_store_claims_keys(&cl);
    t.st = st;
    t.cl = &cl;
    t.rv = AJWT_EINTERNAL;
    pthread_create(&tid, NULL, trip_check, &t);
    pthread_join(tid, NULL);
    is_int(t.rv, AJWT_OK, "a new thread: not revoked");
    first = read_since(port, &mark) - idle;
    /* binary protocol: a 24-byte header and the key per request; on an
     * open socket, three quiet GETKQ (jti, sub, seed) and a NOOP written
     * at once; on a new one a GETK per key and the seed, then the QUITQ
     * of the thread's exit; the process's restore is not made again */
    is_int((int)second, 2 * (24 + 50) + (24 + seedlen) + 24, "one mget: "
           "both keys, the seed and a noop in one round trip");
    is_int((int)first, 2 * (24 + 50) + (24 + seedlen) + 24, "a new "
           "thread's first check: one get per key and the seed while its "
           "socket opens, no second restore");
    ajwt_store_revoke_sub(st, "trip-sub", -1, 30, now_s(), NULL);
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
           "sub revoked: seen through the mget");
    ajwt_store_revoke_jti(st, cl.jti, now_s() + 60, 30, now_s(), NULL);
    cl.sub = "other-sub";
    ajwt_store_claims_keys(&cl);
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
           "jti revoked: seen through the mget");
}

static void check_malformed(apr_pool_t *p)
{
    static const char *const vals[] = { "zz", "", "12x", "-0" };
    int port = srv[0].port;
    ajwt_store_t *st = store(p, apr_psprintf(p, "127.0.0.1:%d", port), 1);
    char cmd[256], buf[256];
    size_t i;
    int round;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    for (round = 0; round < 2; round++) {       /* gets, then mgets */
        for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
            ajwt_claims_t cl = claims_of(
                apr_psprintf(p, "mal-%d-%d-%d", (int)getpid(), round,
                             (int)i),
                apr_psprintf(p, "mal-sub-%d-%d-%d", (int)getpid(), round,
                             (int)i), now_s() - 10);
            ajwt_err_t err = { 0 };

            ajwt_store_claims_keys(&cl);
            if (round) {
                ajwt_store_check(st, &cl, now_s(), NULL);   /* socket open */
            }
            snprintf(cmd, sizeof(cmd), "set %s 0 60 %lu\r\n%s\r\n",
                     cl.store_sub, (unsigned long)strlen(vals[i]), vals[i]);
            raw(port, cmd, buf, sizeof(buf));
            is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
                   "sub with value '%s': revoked, not a store failure",
                   vals[i]);
            ok(strstr(err.text, "malformed") != NULL, "reason says "
               "malformed: %s", err.text);
            /* the same value under the jti: listed is revoked */
            cl.sub = NULL;
            ajwt_store_claims_keys(&cl);
            snprintf(cmd, sizeof(cmd), "set %s 0 60 %lu\r\n%s\r\n",
                     cl.store_jti, (unsigned long)strlen(vals[i]), vals[i]);
            raw(port, cmd, buf, sizeof(buf));
            memset(&err, 0, sizeof(err));
            is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
                   "jti with value '%s': revoked", vals[i]);
        }
    }
}

/* ---- the operators' tool, run as a program */

static char tool_path[4200];
static int lines_out;           /* lines the last run_tool() printed */

static const char *find_tool(void)
{
    char self[4096], *slash;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        return NULL;
    }
    self[n] = '\0';
    if ((slash = strrchr(self, '/'))) {
        *slash = '\0';
    }
    /* BUILD/t/unit/test_store_mc -> BUILD/tools/ajwt-revoke */
    snprintf(tool_path, sizeof(tool_path), "%s/../../tools/ajwt-revoke",
             self);
    return access(tool_path, X_OK) == 0 ? tool_path : NULL;
}

/* Run the tool with args (shell words we made); exit status, output. */
static int run_tool(apr_pool_t *p, const char *args, char **out)
{
    char buf[4096];
    size_t got = 0, n;
    int status;
    FILE *f;
    fflush(stdout);
    f = popen(apr_psprintf(p, "'%s' %s 2>&1", tool_path, args), "r");
    if (!f) {
        return -1;
    }
    while (got + 1 < sizeof(buf)
           && (n = fread(buf + got, 1, sizeof(buf) - 1 - got, f)) > 0) {
        got += n;
    }
    buf[got] = '\0';
    status = pclose(f);
    lines_out = 0;
    for (n = 0; n < got; n++) {
        lines_out += buf[n] == '\n';
    }
    while (got && buf[got - 1] == '\n') {
        buf[--got] = '\0';     /* keeps TAP descriptions on one line */
    }
    *out = apr_pstrdup(p, buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int lines(const char *s)
{
    (void)s;
    return lines_out;
}

static void tool(apr_pool_t *p)
{
    static const char *const usage[] = {
        "", "--jti a --exp 5", "--servers S", "--servers S --jti a",
        "--servers S --jti a --exp 5 --sub b", "--servers S --jti a --exp x",
        "--servers S --jti a --exp -5", "--servers S --sub b --exp 5",
        "--servers S --jti a --exp 5 --max-age 1", "--servers S --sub ''",
        "--servers S --sub b --leeway 1x", "--servers S --sub b extra",
        "--servers S --bogus", "--servers h:0 --sub b",
        "--servers S --sub b --timeout 0",
    };
    ajwt_store_t *st = store(p, servers_all(p), 1);
    const char *servers = servers_all(p), *jti, *sub;
    char k[AJWT_STORE_KEY_MAX], *out;
    apr_int64_t v = 0, now = now_s(), exp = now + 600;
    int found = 0, rc, port;
    size_t i;

    if (!find_tool()) {
        ok(1, "# skip tools/ajwt-revoke not built");
        return;
    }
    if (!ok(st != NULL, "store made")) {
        return;
    }
    rc = run_tool(p, "--help", &out);
    is_int(rc, 0, "--help exits 0");
    ok(strstr(out, "--servers") && strstr(out, "--max-age"), "--help "
       "documents the options");

    jti = apr_psprintf(p, "tool-jti-%d", (int)getpid());
    rc = run_tool(p, apr_psprintf(p, "--servers %s --jti %s --exp %"
                                  APR_INT64_T_FMT, servers, jti, exp), &out);
    is_int(rc, 0, "revoke by jti: exit 0 (%s)", out);
    is_int(lines(out), 1, "one line");
    ajwt_store_key_jti(k, jti);
    st->ops->get(st, k, &v, &found, now, NULL);
    ok(found && v == exp, "the module's store sees the jti entry, value exp");

    sub = apr_psprintf(p, "tool sub %d", (int)getpid());
    rc = run_tool(p, apr_psprintf(p, "--servers=memcached:%s --sub='%s' "
                                  "--max-age 300 --leeway 10", servers, sub),
                  &out);
    is_int(rc, 0, "revoke by sub: exit 0 (%s)", out);
    ajwt_store_key_sub(k, sub);
    found = 0;
    st->ops->get(st, k, &v, &found, now_s(), NULL);
    ok(found && v >= now && v <= now_s(), "the subject entry holds the "
       "revocation time");

    jti = apr_psprintf(p, "tool-old-%d", (int)getpid());
    rc = run_tool(p, apr_psprintf(p, "--servers %s --jti %s --exp %"
                                  APR_INT64_T_FMT, servers, jti, now - 3600),
                  &out);
    is_int(rc, 0, "expired token: exit 0 (%s)", out);
    ajwt_store_key_jti(k, jti);
    found = 1;
    st->ops->get(st, k, &v, &found, now, NULL);
    is_int(found, 0, "nothing stored for it");

    for (i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
        const char *a = usage[i], *at = strstr(a, "--servers S");
        if (at) {
            a = apr_psprintf(p, "%.*s--servers %s%s", (int)(at - a), a,
                             servers, at + strlen("--servers S"));
        }
        rc = run_tool(p, a, &out);
        is_int(rc, 2, "usage error exits 2: %s", usage[i]);
    }

    port = free_port();
    rc = run_tool(p, apr_psprintf(p, "--servers 127.0.0.1:%d --sub x "
                                  "--timeout 200", port), &out);
    is_int(rc, 1, "unreachable store exits 1");
    ok(lines(out) == 1 && strstr(out, "ajwt-revoke: memcached set"),
       "with one line: %s", out);
    ok(!strstr(out, " x "), "naming the hashed key, not the subject");
}

static void cases_main(apr_pool_t *p);

int main(void)
{
    unit_fn fns[] = { config_errors, cases_main };
    int i;

    memcached_bin = find_memcached();
    if (!memcached_bin) {
        printf("1..0 # SKIP memcached not installed\n");
        return 0;
    }
    server_cleanup_on_exit(stop_all);
    for (i = 0; i < NSERVERS; i++) {
        if (!start_server(i, 0)) {
            printf("1..0 # SKIP could not start %s on 127.0.0.1\n",
                   memcached_bin);
            return 0;
        }
    }
    return unit_main("config_errors, cases", fns, 2);
}

/* The server-backed cases, in order (outage and bounce kill server 1). */
static void counter(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_all(p), 1);
    ajwt_err_t err = { 0 };
    char k[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, now = now_s();
    int found = 0, i;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_key_named(k, "ajwt:l:u:",
                         apr_psprintf(p, "ctr-%d", (int)getpid()));
    is_int(st->ops->incr(st, k, &v, now + 2, now, &err), AJWT_OK,
           "incr new %s", err.text);
    is_int(v, 1, "starts at 1");
    for (i = 0; i < 9; i++) {
        st->ops->incr(st, k, &v, now + 600, now, &err);
    }
    is_int(v, 10, "ten increments");
    st->ops->get(st, k, &v, &found, now, &err);
    ok(found && v == 10, "get reads the counter");
    msleep(3100);
    found = -1;
    st->ops->get(st, k, &v, &found, now_s(), &err);
    is_int(found, 0, "the first expiry (2 s) was kept by later incrs");
    st->ops->incr(st, k, &v, now_s() + 600, now_s(), &err);
    is_int(v, 1, "then starts again at 1");
    st->ops->put(st, k, 0, now_s() + 600, now_s(), &err);
    st->ops->incr(st, k, &v, now_s() + 600, now_s(), &err);
    is_int(v, 1, "incr of a put 0");
    is_int(err.status, AJWT_OK, "no error %s", err.text);
}

/* ---- servers that come back empty: restored from the replay source */

enum { R_JTI, R_SUB, R_FAM, R_TYPES };

struct rec {
    int type, on;               /* on: index into srv[] */
    char id[64];
    char key[AJWT_STORE_KEY_MAX];
    apr_int64_t value, expires;
    long long want;             /* what the server must hold after */
};

/* A fake journal: every record written through the store, replayed as
 * ajwt_journal_replay() would; fail makes it fail like an unreadable
 * file. */
struct journal {
    struct rec r[64];
    int n, fail, calls;
    int delay_ms;               /* before failing */
};

static ajwt_status_t journal_replay(void *src, apr_int64_t now,
                                    ajwt_store_rec_fn fn, void *ctx,
                                    ajwt_err_t *err)
{
    struct journal *j = src;
    int i;
    __atomic_add_fetch(&j->calls, 1, __ATOMIC_RELAXED);
    if (j->fail) {
        msleep(j->delay_ms);
        return ajwt_err_set(err, AJWT_ESTORE, "journal unreadable (test)");
    }
    for (i = 0; i < j->n; i++) {
        if (j->r[i].expires > now
            && fn(ctx, j->r[i].key, j->r[i].value, j->r[i].expires)) {
            return ajwt_err_set(err, AJWT_ESTORE, "replay stopped");
        }
    }
    return AJWT_OK;
}

static ajwt_store_t *journaled(apr_pool_t *p, const char *servers,
                               struct journal *j)
{
    ajwt_mc_conf_t conf = { servers, 300, 300, 1, NULL, NULL,
                            journal_replay, j };
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    if (ajwt_store_mc_create(&st, &conf, p, &err)) {
        diag("create: %s", err.text);
    }
    return st;
}

/* Server i's value of key as a number; 1 when present. */
static int value_on(int i, const char *key, long long *v)
{
    char cmd[128], buf[512], *nl;
    snprintf(cmd, sizeof(cmd), "get %s\r\n", key);
    if (raw(srv[i].port, cmd, buf, sizeof(buf)) || strncmp(buf, "VALUE ", 6)
        || !(nl = strstr(buf, "\r\n"))) {
        return 0;
    }
    *v = atoll(nl + 2);
    return 1;
}

static int raw_set(int i, const char *key, long long v)
{
    char cmd[256], buf[64], val[32];
    snprintf(val, sizeof(val), "%lld", v);
    snprintf(cmd, sizeof(cmd), "set %s 0 600 %lu\r\n%s\r\n", key,
             (unsigned long)strlen(val), val);
    return raw(srv[i].port, cmd, buf, sizeof(buf)) == 0
           && !strcmp(buf, "STORED\r\n");
}

static int flush(int i)
{
    char buf[64];
    return raw(srv[i].port, "flush_all\r\n", buf, sizeof(buf)) == 0
           && !strcmp(buf, "OK\r\n");
}

/*
 * Records of every kind written through st (and so into j), until each of
 * the servers which[0..nw) holds at least two of each kind: jti entries
 * (value exp), subject revocations (value: when), refresh families
 * (generation 3; the first of each server revoked, 0).
 */
static int journal_fill(ajwt_store_t *st, struct journal *j,
                        const char *tag, const int *which, int nw)
{
    int have[MAXSRV][R_TYPES], i, k, t, done = 0;
    apr_int64_t now = now_s();

    memset(have, 0, sizeof(have));
    for (i = 0; j->n < 64 && !done; i++) {
        struct rec *r = &j->r[j->n];
        memset(r, 0, sizeof(*r));
        r->type = i % R_TYPES;
        snprintf(r->id, sizeof(r->id), "%s-%d-%d", tag, (int)getpid(), i);
        r->expires = now + 600;
        if (r->type == R_JTI) {
            ajwt_store_key_jti(r->key, r->id);
            r->value = now + 570;
        }
        else if (r->type == R_SUB) {
            ajwt_store_key_sub(r->key, r->id);
            r->value = now - 100;
        }
        else {
            ajwt_store_key_named(r->key, "ajwt:f:", r->id);
            r->value = 3;
        }
        if (st->ops->put(st, r->key, r->value, r->expires, now, NULL)) {
            return 0;
        }
        r->on = -1;
        for (k = 0; k < nw; k++) {
            if (holds(which[k], r->key)) {
                r->on = which[k];
            }
        }
        if (r->on < 0) {
            return 0;
        }
        if (r->type == R_FAM && have[r->on][R_FAM] == 0) {
            r->value = 0;       /* a revoked family */
            st->ops->put(st, r->key, 0, r->expires, now, NULL);
        }
        r->want = r->value;
        have[r->on][r->type]++;
        j->n++;
        done = 1;
        for (k = 0; k < nw; k++) {
            for (t = 0; t < R_TYPES; t++) {
                done &= have[which[k]][t] >= 2;
            }
        }
    }
    return done;
}

/* The nth record of type on server i, or NULL. */
static struct rec *rec_of(struct journal *j, int i, int type, int nth)
{
    int k;
    for (k = 0; k < j->n; k++) {
        if (j->r[k].on == i && j->r[k].type == type && nth-- == 0) {
            return &j->r[k];
        }
    }
    return NULL;
}

/* How many records of server i are there with the value they must have
 * (diag for each that is not); *of: how many it has. */
static int records_back(struct journal *j, int i, int *of)
{
    int k, good = 0;
    *of = 0;
    for (k = 0; k < j->n; k++) {
        long long v = 0;
        if (j->r[k].on != i) {
            continue;
        }
        ++*of;
        if (value_on(i, j->r[k].key, &v) && v == j->r[k].want) {
            good++;
        }
        else {
            diag("record %s on server %d: %s %lld, want %lld", j->r[k].id,
                 i, value_on(i, j->r[k].key, &v) ? "holds" : "missing", v,
                 j->r[k].want);
        }
    }
    return good;
}

static int none_there(struct journal *j, int i)
{
    int k;
    for (k = 0; k < j->n; k++) {
        if (j->r[k].on == i && holds(i, j->r[k].key)) {
            return 0;
        }
    }
    return 1;
}

/* ajwt_store_check() of a token whose jti is rec's. */
static ajwt_status_t check_jti(ajwt_store_t *st, const struct rec *r,
                               apr_int64_t now, ajwt_err_t *err)
{
    ajwt_claims_t cl = claims_of(r->id, NULL, now_s() - 10);
    return ajwt_store_check(st, &cl, now, err);
}

static int event_has(ajwt_store_t *st, const char *a, const char *b)
{
    char ev[256];
    ajwt_store_mc_last_event(st, ev, sizeof(ev));
    diag("last event: %s", ev);
    return strstr(ev, a) && (!b || strstr(ev, b));
}

/*
 * One server emptied by emptying() (a restart, a flush_all): before any
 * access its records are gone; the first lookup of a revoked jti there
 * restores the server (revoked, never OK), without rolling back a newer
 * write made there in between, and leaves the other server alone.
 */
static void emptied_one(apr_pool_t *p, const char *tag,
                        int (*emptying)(int), const char *says)
{
    static const int both[] = { 0, 1 };
    struct journal *j = apr_pcalloc(p, sizeof(*j));
    ajwt_store_t *st = journaled(p, servers_all(p), j);
    struct rec *jb, *newer0, *newer1;
    ajwt_err_t err = { 0 };
    apr_int64_t now = now_s();
    apr_uint64_t restores;
    ajwt_status_t rv;
    char portb[32];
    int good, of, calls, filled;

    filled = st && journal_fill(st, j, tag, both, 2);
    if (!ok(filled, "store and %d journaled records on both servers",
            j->n)) {
        return;
    }
    /* a jti of server 0 revoked again later, by a writer whose record is
     * not in this journal: the server holds the newer value */
    newer0 = rec_of(j, 0, R_JTI, 1);
    newer0->want = newer0->value + 1000;
    st->ops->put(st, newer0->key, newer0->want, newer0->expires, now, NULL);
    restores = ajwt_store_mc_restores(st);
    calls = j->calls;

    if (!ok(emptying(1), "server 1 %s", says)) {
        return;
    }
    ok(none_there(j, 1), "before any access, server 1 holds none of its "
       "records");
    ok(holds(0, newer0->key), "server 0 still holds its own");
    /* written to the emptied server before our process looked: newer
     * than the journal, so the restore must not roll it back */
    newer1 = rec_of(j, 1, R_JTI, 1);
    newer1->want = newer1->value + 2000;
    raw_set(1, newer1->key, newer1->want);

    jb = rec_of(j, 1, R_JTI, 0);
    rv = check_jti(st, jb, now_s(), &err);
    ok(rv != AJWT_OK, "first lookup of a revoked jti on it: never OK");
    is_int(rv, AJWT_EREVOKED, "revoked: restored synchronously (%s)",
           err.text);
    is_int(j->calls, calls + 1, "the journal was replayed once");
    good = records_back(j, 1, &of);
    is_int(good, of, "every record of server 1 is back (%d of %d), the "
           "newer write kept", good, of);
    good = records_back(j, 0, &of);
    is_int(good, of, "server 0 untouched, its newer value kept (%d of %d)",
           good, of);
    is_int(ajwt_store_mc_restores(st), restores + 1, "one restore counted");
    snprintf(portb, sizeof(portb), ":%d came back empty", srv[1].port);
    ok(event_has(st, portb, "restored"), "the event names the server");
    memset(&err, 0, sizeof(err));
    is_int(check_jti(st, rec_of(j, 0, R_JTI, 0), now_s(), &err),
           AJWT_EREVOKED, "server 0's revocation still read (%s)", err.text);
    is_int(j->calls, calls + 1, "no second replay");
}

static int restarting(int i)
{
    int port = srv[i].port;
    stop_server(i);
    return start_server(i, port);
}

static void restore_restart(apr_pool_t *p)
{
    emptied_one(p, "rs", restarting, "restarted");
}

static void restore_flush(apr_pool_t *p)
{
    emptied_one(p, "fl", flush, "flushed (flush_all)");
}

static void restore_both(apr_pool_t *p)
{
    static const int both[] = { 0, 1 };
    struct journal *j = apr_pcalloc(p, sizeof(*j));
    ajwt_store_t *st = journaled(p, servers_all(p), j);
    ajwt_err_t err = { 0 };
    ajwt_status_t rv;
    int i, good, of, filled;

    filled = st && journal_fill(st, j, "both", both, 2);
    if (!ok(filled, "store and %d records", j->n)) {
        return;
    }
    for (i = 0; i < NSERVERS; i++) {
        if (!ok(restarting(i), "server %d restarted", i)) {
            return;
        }
        ok(none_there(j, i), "server %d holds none of its records", i);
    }
    for (i = 0; i < NSERVERS; i++) {
        memset(&err, 0, sizeof(err));
        rv = check_jti(st, rec_of(j, i, R_JTI, 0), now_s(), &err);
        ok(rv != AJWT_OK, "server %d: never OK", i);
        is_int(rv, AJWT_EREVOKED, "server %d: revoked (%s)", i, err.text);
        good = records_back(j, i, &of);
        is_int(good, of, "server %d: every record back (%d of %d)", i,
               good, of);
    }
    /* a subject revocation read through get_many: both servers trusted */
    {
        struct rec *r = rec_of(j, 1, R_SUB, 0);
        ajwt_claims_t cl = claims_of(NULL, r->id, r->value - 5);
        memset(&err, 0, sizeof(err));
        is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
               "a subject of server 1 revoked (%s)", err.text);
    }
}

/* A restore never lowers a revocation: a later subject revocation on the
 * server stays, an earlier one is raised to the journal's; a revoked
 * family stays revoked whatever generation the server holds. */
static void restore_merge(apr_pool_t *p)
{
    static const int both[] = { 0, 1 };
    struct journal *j = apr_pcalloc(p, sizeof(*j));
    ajwt_store_t *st = journaled(p, servers_all(p), j);
    struct rec *hi, *lo, *dead, *gen, *jti;
    ajwt_err_t err = { 0 };
    int good, of, filled;

    filled = st && journal_fill(st, j, "merge", both, 2);
    if (!ok(filled, "store and %d records", j->n)) {
        return;
    }
    hi = rec_of(j, 1, R_SUB, 0);
    lo = rec_of(j, 1, R_SUB, 1);
    dead = rec_of(j, 1, R_FAM, 0);      /* 0 in the journal */
    gen = rec_of(j, 1, R_FAM, 1);       /* 3 in the journal */
    jti = rec_of(j, 1, R_JTI, 1);
    if (!ok(flush(1), "server 1 flushed")) {
        return;
    }
    /* what other writers put there since the flush */
    hi->want = hi->value + 100;
    lo->want = lo->value;
    ok(raw_set(1, hi->key, hi->want) && raw_set(1, lo->key, lo->value - 100)
       && raw_set(1, dead->key, 7) && raw_set(1, gen->key, 5)
       && raw_set(1, jti->key, jti->value + 5), "newer and older values "
       "written to server 1");
    gen->want = 5;
    jti->want = jti->value + 5;
    is_int(check_jti(st, rec_of(j, 1, R_JTI, 0), now_s(), &err),
           AJWT_EREVOKED, "lookup restores (%s)", err.text);
    good = records_back(j, 1, &of);
    is_int(good, of, "every record as the merge says (%d of %d)", good, of);
    {
        long long vh = -1, vl = -1, vd = -1, vg = -1, vj = -1;
        int have = value_on(1, hi->key, &vh) + value_on(1, lo->key, &vl)
                   + value_on(1, dead->key, &vd) + value_on(1, gen->key, &vg)
                   + value_on(1, jti->key, &vj);
        is_int(have, 5, "the five entries are there");
        ok(vh == hi->value + 100, "subject: the server's later revocation "
           "kept (%lld)", vh);
        ok(vl == lo->value, "subject: the journal's later revocation "
           "replaced an earlier one (%lld)", vl);
        ok(vd == 0, "family: revoked stays revoked (%lld)", vd);
        ok(vg == 5, "family: a later generation kept (%lld)", vg);
        ok(vj == jti->value + 5, "jti: what the server holds is not "
           "overwritten (%lld)", vj);
    }
}

struct racer {
    ajwt_store_t *st;
    const struct rec *r;
    apr_int64_t now;
    ajwt_status_t rv;
};

static void *race_check(void *data)
{
    struct racer *r = data;
    r->rv = check_jti(r->st, r->r, r->now, NULL);
    return NULL;
}

/* A replay source that fails: that server's keys answer AJWT_ESTORE
 * (UNKNOWN), the other's still answer, and a later success restores. */
static void restore_fails(apr_pool_t *p)
{
    static const int both[] = { 0, 1 };
    struct journal *j = apr_pcalloc(p, sizeof(*j));
    ajwt_store_t *st = journaled(p, servers_all(p), j);
    struct rec *jb;
    ajwt_err_t err = { 0 };
    apr_int64_t now, v = 0;
    apr_time_t t0;
    ajwt_status_t rv;
    int good, of, calls, state[1], found = 0, filled;

    filled = st && journal_fill(st, j, "fails", both, 2);
    if (!ok(filled, "store and %d records", j->n)) {
        return;
    }
    jb = rec_of(j, 1, R_JTI, 0);
    if (!ok(flush(1), "server 1 flushed")) {
        return;
    }
    j->fail = 1;
    now = now_s();
    calls = j->calls;
    rv = check_jti(st, jb, now, &err);
    is_int(rv, AJWT_ESTORE, "the journal fails: store error, not OK");
    ok(strstr(err.text, "not restored") && strstr(err.text, "journal "
       "unreadable"), "the reason says so: %s", err.text);
    is_int(j->calls, calls + 1, "replay tried");
    {
        const char *keys[1] = { jb->key };
        memset(&err, 0, sizeof(err));
        is_int(st->ops->get_many(st, keys, 1, &v, state, now, &err),
               AJWT_ESTORE, "get_many: store error");
        is_int(state[0], AJWT_STORE_UNKNOWN, "its key UNKNOWN");
    }
    is_int(j->calls, calls + 1, "not replayed again within the retry "
           "timeout");
    memset(&err, 0, sizeof(err));
    is_int(st->ops->get(st, rec_of(j, 0, R_JTI, 0)->key, &v, &found, now,
                        &err), AJWT_OK, "server 0 still answers (%s)",
           err.text);
    is_int(found, 1, "with its record");
    is_int(st->ops->put(st, jb->key, jb->value, jb->expires, now, NULL),
           AJWT_ESTORE, "a put to server 1 is not acknowledged either");

    j->fail = 0;
    memset(&err, 0, sizeof(err));
    t0 = apr_time_now();
    rv = check_jti(st, jb, now + 6, &err);      /* past retry_timeout_s */
    is_int(rv, AJWT_EREVOKED, "the journal readable again: restored, "
           "revoked (%s)", err.text);
    ok(since(t0) < 2.0, "in %.3f s", since(t0));
    good = records_back(j, 1, &of);
    is_int(good, of, "every record of server 1 back (%d of %d)", good, of);
    /* trusted, then emptied again, and two threads look: the first one's
     * restore fails while the second waits for it; the second must not
     * take the failed restore for a done one */
    ok(flush(1), "server 1 flushed again");
    j->fail = 1;
    {
        struct racer r[2];
        pthread_t t[2];
        int i;
        j->delay_ms = 300;
        for (i = 0; i < 2; i++) {
            r[i].st = st;
            r[i].r = jb;
            r[i].now = now + 10;
            r[i].rv = AJWT_EINTERNAL;
            pthread_create(&t[i], NULL, race_check, &r[i]);
            msleep(100);
        }
        for (i = 0; i < 2; i++) {
            pthread_join(t[i], NULL);
            is_int(r[i].rv, AJWT_ESTORE, "thread %d, during a failing "
                   "restore: store error, never OK", i);
        }
        j->delay_ms = 0;
    }

    j->fail = 0;
}

/* ---- evictions: memcached pushes items out under memory pressure and
 * keeps the seed (read on every lookup) */

/* n junk items of size bytes into server i, pipelined (noreply); 0 when
 * the connection failed. */
static int junk(int i, int from, int n, int size)
{
    char head[128], *val = malloc((size_t)size + 2);
    int fd = connect_port(srv[i].port, 2000), k, okw = fd >= 0 && val;
    if (okw) {
        memset(val, 'j', (size_t)size);
        memcpy(val + size, "\r\n", 2);
    }
    for (k = 0; okw && k < n; k++) {
        int hl = snprintf(head, sizeof(head), "set junk%d 0 0 %d noreply\r\n",
                          from + k, size);
        okw = write(fd, head, (size_t)hl) == hl
              && write(fd, val, (size_t)size + 2) == size + 2;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(val);
    return okw;
}

static void evictions(apr_pool_t *p)
{
    static const int one[] = { SRV_SMALL };
    struct journal *j = apr_pcalloc(p, sizeof(*j));
    ajwt_store_t *st;
    ajwt_err_t err = { 0 };
    apr_uint64_t restores;
    apr_int64_t now = now_s();
    long long ev = 0;
    int k, good, of, lost = 0, rounds, filled;

    srv[SRV_SMALL].mem = "2";
    if (!ok(start_server(SRV_SMALL, 0), "memcached -m 2 started")) {
        return;
    }
    st = journaled(p, apr_psprintf(p, "127.0.0.1:%d", srv[SRV_SMALL].port),
                   j);
    filled = st && journal_fill(st, j, "ev", one, 1);
    if (!ok(filled, "store and %d records", j->n)) {
        return;
    }
    is_int(check_jti(st, rec_of(j, SRV_SMALL, R_JTI, 0), now, &err),
           AJWT_EREVOKED, "revoked before (%s)", err.text);
    restores = ajwt_store_mc_restores(st);
    is_int(ajwt_store_mc_evictions(st), 0, "no evictions yet");
    /* items of our size class, until memcached evicts; a lookup now and
     * then keeps the seed in use, as requests do (its stats are not due:
     * same now) */
    for (rounds = 0; rounds < 200; rounds++) {
        apr_int64_t unused;
        int found;
        if (!junk(SRV_SMALL, rounds * 1000, 1000, 40)) {
            break;
        }
        st->ops->get(st, rec_of(j, SRV_SMALL, R_SUB, 0)->key, &unused,
                     &found, now, NULL);
        if ((ev = stat_of(srv[SRV_SMALL].port, "evictions")) > 0
            && rounds > 40) {
            break;
        }
    }
    ok(ev > 0, "memcached evicted %lld items after %d000 junk ones", ev,
       rounds + 1);
    ok(holds(SRV_SMALL, "ajwt:seed:0"), "the seed is still there");
    for (k = 0; k < j->n; k++) {
        lost += !holds(SRV_SMALL, j->r[k].key);
    }
    diag("%d of our %d records evicted", lost, j->n);
    ok(lost > 0, "some of our records went with them (%d)", lost);
    /* the limit: an eviction is seen at the next read of the count, at
     * most 10 s after the last one; until then a revocation evicted from
     * under a living seed is missed */
    {
        int gone = !holds(SRV_SMALL, rec_of(j, SRV_SMALL, R_JTI, 0)->key);
        is_int(check_jti(st, rec_of(j, SRV_SMALL, R_JTI, 0), now + 5, NULL),
               gone ? AJWT_OK : AJWT_EREVOKED, "within 10 s of the last "
               "look the count is not read yet (the first jti %s)",
               gone ? "was evicted: missed" : "is still there");
    }
    memset(&err, 0, sizeof(err));
    is_int(check_jti(st, rec_of(j, SRV_SMALL, R_JTI, 0), now + 11, &err),
           AJWT_EREVOKED, "10 s on: the count grew, restored (%s)",
           err.text);
    is_int(ajwt_store_mc_restores(st), restores + 1, "one restore counted");
    ok(ajwt_store_mc_evictions(st) > 0, "%llu evictions counted",
       (unsigned long long)ajwt_store_mc_evictions(st));
    ok(event_has(st, "evicted", "restored"), "the event says evicted");
    good = records_back(j, SRV_SMALL, &of);
    is_int(good, of, "every record back (%d of %d)", good, of);
    for (k = 0; k < j->n; k++) {
        if (j->r[k].type == R_JTI) {
            ajwt_err_t e2 = { 0 };
            is_int(check_jti(st, &j->r[k], now + 11, &e2), AJWT_EREVOKED,
                   "jti %s reads revoked", j->r[k].id);
        }
    }
    stop_server(SRV_SMALL);
}

/* ---- SASL: memcached -S with a password database made here */

static char sasl_dir[64];

static void sasl_cleanup(void)
{
    char path[128];
    if (!sasl_dir[0]) {
        return;
    }
    snprintf(path, sizeof(path), "%s/sasldb2", sasl_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/memcached.conf", sasl_dir);
    unlink(path);
    rmdir(sasl_dir);
    sasl_dir[0] = '\0';
}

/* A SASL set-up in a new directory: NULL, or why not. */
static const char *sasl_setup(apr_pool_t *p, const char *user,
                              const char *password)
{
    static const char *const tools[] = {
        "/usr/sbin/saslpasswd2", "/usr/bin/saslpasswd2", NULL
    };
    const char *tool = NULL;
    char path[128];
    FILE *f;
    int i, rc;

    for (i = 0; tools[i]; i++) {
        if (access(tools[i], X_OK) == 0) {
            tool = tools[i];
            break;
        }
    }
    if (!tool) {
        return "saslpasswd2 not installed (sasl2-bin)";
    }
    strcpy(sasl_dir, "/tmp/ajwt-sasl-XXXXXX");
    if (!mkdtemp(sasl_dir)) {
        sasl_dir[0] = '\0';
        return "no temporary directory";
    }
    snprintf(path, sizeof(path), "%s/memcached.conf", sasl_dir);
    if (!(f = fopen(path, "w"))) {
        return "cannot write memcached.conf";
    }
    fprintf(f, "mech_list: plain\nsasldb_path: %s/sasldb2\n", sasl_dir);
    fclose(f);
    fflush(stdout);
    rc = system(apr_psprintf(p, "printf %%s '%s' | '%s' -p -a memcached -c "
                             "-f '%s/sasldb2' '%s'", password, tool,
                             sasl_dir, user));
    if (rc != 0) {
        return "saslpasswd2 failed";
    }
    return NULL;
}

static ajwt_store_t *sasl_store(apr_pool_t *p, const char *user,
                                const char *password)
{
    ajwt_mc_conf_t conf = { apr_psprintf(p, "127.0.0.1:%d",
                                         srv[SRV_SASL].port), 300, 300, 1,
                            user, password, NULL, NULL };
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    if (ajwt_store_mc_create(&st, &conf, p, &err)) {
        diag("create: %s", err.text);
    }
    return st;
}

struct sasl_worker {
    ajwt_store_t *st;
    const char *key;
    ajwt_status_t rv;
    int found;
    apr_int64_t v;
};

static void *sasl_work(void *data)
{
    struct sasl_worker *w = data;
    w->rv = w->st->ops->get(w->st, w->key, &w->v, &w->found, now_s(), NULL);
    return NULL;
}

static void sasl(apr_pool_t *p)
{
    const char *user = "ajwt-test";
    const char *password = apr_psprintf(p, "pw-%d-Zq7", (int)getpid());
    const char *wrong = "not-the-password-Xk2";
    const char *why;
    char k[AJWT_STORE_KEY_MAX], prefix[64];
    ajwt_store_t *st;
    ajwt_err_t err = { 0 };
    apr_int64_t v = 0, now = now_s();
    ajwt_claims_t cl;
    struct sasl_worker w;
    pthread_t t;
    int found = 0;

    if ((why = sasl_setup(p, user, password))) {
        ok(1, "# SKIP %s", why);
        sasl_cleanup();
        return;
    }
    srv[SRV_SASL].sasl_dir = sasl_dir;
    if (!start_server(SRV_SASL, 0)) {
        ok(1, "# SKIP memcached -S did not start (no SASL support?)");
        sasl_cleanup();
        return;
    }
    snprintf(prefix, sizeof(prefix), "memcached 127.0.0.1:%d: "
             "authentication failed", srv[SRV_SASL].port);
    cl = claims_of(apr_psprintf(p, "sasl-%d", (int)getpid()), NULL,
                   now - 10);
    ajwt_store_key_jti(k, cl.jti);

    /* the right password */
    st = sasl_store(p, user, password);
    if (!ok(st != NULL, "store with user and password")) {
        goto out;
    }
    is_int(st->ops->put(st, k, now + 600, now + 600, now, &err), AJWT_OK,
           "put with the right password (%s)", err.text);
    is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_OK, "get");
    ok(found && v == now + 600, "value back");
    is_int(ajwt_store_check(st, &cl, now, &err), AJWT_EREVOKED,
           "the revocation is read");
    memset(&w, 0, sizeof(w));
    w.st = st;
    w.key = k;
    w.rv = AJWT_EINTERNAL;
    pthread_create(&t, NULL, sasl_work, &w);
    pthread_join(t, NULL);
    is_int(w.rv, AJWT_OK, "another thread's handle (a clone) logs in too");
    ok(w.found && w.v == now + 600, "and reads the value");

    /* a wrong password */
    st = sasl_store(p, user, wrong);
    memset(&err, 0, sizeof(err));
    found = -1;
    is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_ESTORE,
           "wrong password: store error");
    is_int(found, 0, "not found");
    ok(!strncmp(err.text, prefix, strlen(prefix)), "says so: %s", err.text);
    ok(!strstr(err.text, wrong) && !strstr(err.text, password), "without "
       "a password");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_store_check(st, &cl, now, &err), AJWT_ESTORE,
           "check: store error, never OK (%s)", err.text);
    is_int(st->ops->put(st, k, 1, now + 600, now, NULL), AJWT_ESTORE,
           "put: store error");

    /* no credentials: memcached -S answers a get with "not found" */
    st = sasl_store(p, NULL, NULL);
    memset(&err, 0, sizeof(err));
    found = -1;
    is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_ESTORE,
           "no credentials: store error, not 'not found'");
    is_int(found, 0, "not found");
    ok(!strncmp(err.text, prefix, strlen(prefix)), "says so: %s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_store_check(st, &cl, now, &err), AJWT_ESTORE,
           "check: store error, never OK (%s)", err.text);
    {
        ajwt_mc_conf_t conf = { "127.0.0.1:1", 0, 0, 0, user, NULL, NULL,
                                NULL };
        ajwt_store_t *bad = NULL;
        memset(&err, 0, sizeof(err));
        is_int(ajwt_store_mc_create(&bad, &conf, p, &err), AJWT_ECONFIG,
               "a user without a password is refused: %s", err.text);
    }
out:
    stop_server(SRV_SASL);
    sasl_cleanup();
}

static void cases_main(apr_pool_t *p)
{
    static const struct { const char *name; unit_fn fn; } cases[] = {
        { "round_trip", round_trip }, { "counter", counter },
        { "expiry", expiry },
        { "bad_values", bad_values }, { "bad_keys", bad_keys },
        { "check_trips", check_trips },
        { "check_malformed", check_malformed },
        { "spread", spread }, { "threads", threads }, { "forked", forked },
        { "tool", tool },
        { "blackhole", blackhole }, { "outage", outage },
        { "bounce", bounce },
        { "restore_restart", restore_restart },
        { "restore_flush", restore_flush }, { "restore_both", restore_both },
        { "restore_merge", restore_merge },
        { "restore_fails", restore_fails },
        { "evictions", evictions }, { "sasl", sasl },
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        apr_pool_t *sub;
        apr_pool_create(&sub, p);
        unit_case = cases[i].name;
        cases[i].fn(sub);
        apr_pool_destroy(sub);
    }
}
