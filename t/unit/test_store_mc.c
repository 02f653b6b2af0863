/*
 * test_store_mc.c: the memcached store against two real memcached servers
 * started here on 127.0.0.1 (free ports), stopped by PID at the end, also
 * when a check fails or the program exits early (atexit).
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
#include "ajwt_store.h"

#define NSERVERS 2

static struct {
    int port;
    pid_t pid;
} srv[NSERVERS];
static const char *memcached_bin;

/* ------------------------------------------------------------ servers */

static const char *find_memcached(void)
{
    static const char *const paths[] = {
        "/usr/bin/memcached", "/usr/local/bin/memcached",
        "/usr/sbin/memcached", NULL
    };
    const char *env = getenv("AJWT_MEMCACHED");
    int i;
    if (env && *env) {
        return access(env, X_OK) == 0 ? env : NULL;
    }
    for (i = 0; paths[i]; i++) {
        if (access(paths[i], X_OK) == 0) {
            return paths[i];
        }
    }
    return NULL;
}

static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0
        && getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        port = ntohs(a.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static int connect_port(int port, int timeout_ms)
{
    struct sockaddr_in a;
    struct timeval tv;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Start memcached i on port (0: pick a free one); 1 when it answers. */
static int start_server(int i, int port)
{
    int attempt;
    for (attempt = 0; attempt < 5; attempt++) {
        int p = port ? port : free_port(), waited, status;
        char portbuf[16];
        pid_t pid;
        if (!p) {
            continue;
        }
        snprintf(portbuf, sizeof(portbuf), "%d", p);
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
            return 0;
        }
        if (pid == 0) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
            }
            /* -u: memcached refuses to run as root without it */
            execl(memcached_bin, "memcached", "-l", "127.0.0.1", "-p",
                  portbuf, "-U", "0", "-m", "16", "-t", "2", "-c", "256",
                  geteuid() == 0 ? "-u" : NULL, "root", (char *)NULL);
            _exit(127);
        }
        for (waited = 0; waited < 3000; waited += 20) {
            int fd = connect_port(p, 500);
            if (fd >= 0) {
                close(fd);
                srv[i].pid = pid;
                srv[i].port = p;
                return 1;
            }
            if (waitpid(pid, &status, WNOHANG) == pid) {
                break;          /* port taken after all: try another */
            }
            msleep(20);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return 0;
}

static void stop_server(int i)
{
    int status;
    if (srv[i].pid > 0) {
        kill(srv[i].pid, SIGKILL);
        waitpid(srv[i].pid, &status, 0);
        srv[i].pid = 0;
    }
}

static void stop_all(void)
{
    int i;
    for (i = 0; i < NSERVERS; i++) {
        stop_server(i);
    }
}

static void on_signal(int sig)
{
    stop_all();
    signal(sig, SIG_DFL);
    raise(sig);
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
    long long mark, idle, first, second;

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
    atexit(stop_all);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
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
