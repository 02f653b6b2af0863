/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_redis.c: the Redis store against real redis-server processes
 * started here on 127.0.0.1 (free ports), each with its own directory and
 * configuration under a temporary directory, stopped by PID at the end,
 * also when a check fails or the program exits early (atexit, signals);
 * the set-up shared with test_store_mc is in server.h.
 *
 * Server state is read and written with a direct hiredis connection of
 * the test's own (DBSIZE, INFO, GET, SET, FLUSHALL), independently of the
 * store under test. Time-dependent paths (a skipped server, a failed
 * restore) are driven through the "now" that the store is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <hiredis/hiredis.h>
#include "unit.h"
#include "server.h"
#include "ajwt_store.h"

enum { S0, S1, SAOF, SACL, SPASS, STLS, NSERVERS };

static struct {
    int port;
    pid_t pid;
    char dir[300];
    const char *extra;          /* configuration lines */
    const char *appendonly;     /* "yes" or "no", as last started */
    const char *user, *pass;    /* for the test's own connection */
} srv[NSERVERS];
static const char *redis_bin;
static char top_dir[256];
static apr_pool_t *cases_pool;  /* lives through the server cases */

/* ------------------------------------------------------------ servers */

static const char *find_redis(void)
{
    static const char *const paths[] = {
        "/usr/bin/redis-server", "/usr/local/bin/redis-server",
        "/usr/sbin/redis-server", NULL
    };
    return server_find(getenv("AJWT_REDIS_SERVER"), paths);
}

/* The test's own connection to server i, authenticated; NULL if none. */
static redisContext *admin(int i)
{
    struct timeval tv = { 1, 0 };
    redisContext *c = redisConnectWithTimeout("127.0.0.1", srv[i].port, tv);
    if (!c || c->err) {
        if (c) {
            redisFree(c);
        }
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (srv[i].pass) {
        redisReply *r = srv[i].user
            ? redisCommand(c, "AUTH %s %s", srv[i].user, srv[i].pass)
            : redisCommand(c, "AUTH %s", srv[i].pass);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            if (r) {
                freeReplyObject(r);
            }
            redisFree(c);
            return NULL;
        }
        freeReplyObject(r);
    }
    return c;
}

/* Is server i up and done loading? (server_start's ready) */
static int ready(int i, int port)
{
    redisContext *c = admin(i);
    redisReply *r;
    int up = 0;
    (void)port;                 /* admin() reads srv[i].port, the same */
    if (!c) {
        return 0;
    }
    r = redisCommand(c, "PING");
    up = r && r->type == REDIS_REPLY_STATUS;
    if (r) {
        freeReplyObject(r);
    }
    redisFree(c);
    return up;
}

/* Write server i's configuration for port and fork and exec it there
 * (server_start's launch); -1 if it cannot. */
static pid_t launch_redis(int i, int port)
{
    char conf[400];
    FILE *f;
    pid_t pid;
    snprintf(conf, sizeof(conf), "%s/redis.conf", srv[i].dir);
    if (!(f = fopen(conf, "w"))) {
        return -1;
    }
    fprintf(f, "port %d\nbind 127.0.0.1\ndir %s\ndaemonize no\n"
            "save \"\"\nappendonly %s\nappendfsync always\n"
            "logfile %s/redis.log\n%s", port, srv[i].dir, srv[i].appendonly,
            srv[i].dir, srv[i].extra ? srv[i].extra : "");
    fclose(f);
    srv[i].port = port;         /* for ready()'s connection */
    pid = fork();
    if (pid == 0) {
        server_quiet();
        execl(redis_bin, "redis-server", conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/*
 * Start server i with its configuration (port 0: pick a free one, up to 5
 * tries; same directory on a restart). appendonly: "yes" or "no". 1 when
 * it answers.
 */
static int start_server(int i, int port, const char *appendonly)
{
    pid_t pid;
    if (!srv[i].dir[0]) {
        snprintf(srv[i].dir, sizeof(srv[i].dir), "%s/s%d", top_dir, i);
        if (mkdir(srv[i].dir, 0700) != 0 && errno != EEXIST) {
            return 0;
        }
    }
    srv[i].appendonly = appendonly;
    pid = server_start(&port, port ? 1 : 5, 5000, launch_redis, ready, i);
    if (!pid) {
        return 0;
    }
    srv[i].pid = pid;
    srv[i].port = port;
    return 1;
}

/* SIGKILL: nothing saved. SIGTERM: a clean shutdown (AOF kept). */
static void stop_server(int i, int sig)
{
    server_stop(&srv[i].pid, sig, 5000);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void stop_all(void)
{
    int i;
    for (i = 0; i < NSERVERS; i++) {
        server_stop(&srv[i].pid, SIGKILL, 0);
    }
    if (top_dir[0]) {
        nftw(top_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        top_dir[0] = '\0';
    }
}

/* ------------------------------------------------------------ probes */

static redisReply *cmd(int i, const char *fmt, ...)
{
    redisContext *c = admin(i);
    redisReply *r = NULL;
    va_list ap;
    if (!c) {
        return NULL;
    }
    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    return r;
}

static long long dbsize(int i)
{
    redisReply *r = cmd(i, "DBSIZE");
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) {
        freeReplyObject(r);
    }
    return n;
}

static int holds(int i, const char *key)
{
    redisReply *r = cmd(i, "EXISTS %s", key);
    int n = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    if (r) {
        freeReplyObject(r);
    }
    return n == 1;
}

/* The string at key on server i into buf ("" when absent, "?" on error). */
static const char *raw_get(int i, const char *key, char *buf, size_t size)
{
    redisReply *r = cmd(i, "GET %s", key);
    if (!r) {
        snprintf(buf, size, "?");
    }
    else if (r->type == REDIS_REPLY_STRING) {
        snprintf(buf, size, "%.*s", (int)r->len, r->str);
    }
    else {
        snprintf(buf, size, r->type == REDIS_REPLY_NIL ? "" : "?");
    }
    if (r) {
        freeReplyObject(r);
    }
    return buf;
}

static int raw_set(int i, const char *key, const char *val, size_t len)
{
    redisReply *r = cmd(i, "SET %s %b EX 600", key, val, len);
    int okay = r && r->type == REDIS_REPLY_STATUS;
    if (r) {
        freeReplyObject(r);
    }
    return okay;
}

static long long raw_ttl(int i, const char *key)
{
    redisReply *r = cmd(i, "TTL %s", key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -99;
    if (r) {
        freeReplyObject(r);
    }
    return n;
}

static int flushall(int i)
{
    redisReply *r = cmd(i, "FLUSHALL");
    int okay = r && r->type == REDIS_REPLY_STATUS;
    if (r) {
        freeReplyObject(r);
    }
    return okay;
}

/* A number from INFO section: "name:value" or "name:calls=value,...". */
static long long info(int i, const char *section, const char *name)
{
    redisReply *r = cmd(i, "INFO %s", section);
    long long v = -1;
    char pat[80];
    const char *at;
    if (r && r->type == REDIS_REPLY_STRING) {
        snprintf(pat, sizeof(pat), "\n%s:", name);
        if ((at = strstr(r->str, pat))) {
            at += strlen(pat);
            if (!strncmp(at, "calls=", 6)) {
                at += 6;
            }
            v = atoll(at);
        }
        else if (!strncmp(section, "commandstats", 12)) {
            v = 0;              /* never called yet */
        }
    }
    if (r) {
        freeReplyObject(r);
    }
    return v;
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

static char *servers_of(apr_pool_t *p, int a, int b)
{
    if (b < 0) {
        return apr_psprintf(p, "127.0.0.1:%d", srv[a].port);
    }
    return apr_psprintf(p, "127.0.0.1:%d,127.0.0.1:%d", srv[a].port,
                        srv[b].port);
}

static ajwt_store_t *make(apr_pool_t *p, const ajwt_redis_conf_t *conf)
{
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    if (ajwt_store_redis_create(&st, conf, p, &err)) {
        diag("create: %s", err.text);
    }
    return st;
}

static ajwt_store_t *store(apr_pool_t *p, const char *servers, int retry)
{
    ajwt_redis_conf_t conf = { 0 };
    conf.servers = servers;
    conf.retry_timeout_s = retry;
    return make(p, &conf);
}

/* ---- a fake replay source: a list of records, counted calls */

typedef struct {
    char key[AJWT_STORE_KEY_MAX];
    apr_int64_t value, expires;
} rec_t;

typedef struct {
    rec_t rec[64];
    int n;
    int calls;
    int fail;
} fake_src_t;

static ajwt_status_t fake_replay(void *src, apr_int64_t now,
                                 ajwt_store_rec_fn fn, void *ctx,
                                 ajwt_err_t *err)
{
    fake_src_t *f = src;
    int k;
    f->calls++;
    if (f->fail) {
        return ajwt_err_set(err, AJWT_ESTORE, "fake journal unreadable");
    }
    for (k = 0; k < f->n; k++) {
        if (f->rec[k].expires > now
            && fn(ctx, f->rec[k].key, f->rec[k].value, f->rec[k].expires)) {
            return ajwt_err_set(err, AJWT_ESTORE, "record refused");
        }
    }
    return AJWT_OK;
}

static rec_t *add_rec(fake_src_t *f, const char *key, apr_int64_t value,
                      apr_int64_t expires)
{
    rec_t *r = &f->rec[f->n++];
    apr_cpystrn(r->key, key, sizeof(r->key));
    r->value = value;
    r->expires = expires;
    return r;
}

static ajwt_store_t *replay_store(apr_pool_t *p, const char *servers,
                                  fake_src_t *f)
{
    ajwt_redis_conf_t conf = { 0 };
    conf.servers = servers;
    conf.retry_timeout_s = 1;
    conf.replay = fake_replay;
    conf.replay_src = f;
    return make(p, &conf);
}

/* Where key lives, by asking both servers: S0, S1, or -1. */
static int home(const char *key)
{
    int a = holds(S0, key), b = holds(S1, key);
    return a && !b ? S0 : b && !a ? S1 : -1;
}

/* ------------------------------------------------------------ cases */

static void config_errors(apr_pool_t *p)
{
    static const struct { const char *servers, *named; } bad[] = {
        { "", NULL },
        { "host:", "host:" },
        { ":6379", ":6379" },
        { "host:0", "host:0" },
        { "host:65536", "host:65536" },
        { "host:12x", "host:12x" },
        { "host:-1", "host:-1" },
        { "a:1,,b:2", NULL },
        { "a:1,", NULL },
        { ",a:1", NULL },
        { "a:1,b c:2", "b c:2" },
        { "good:1,host:1:2", "host:1:2" },
        { "[::1]:6379", "[::1]:6379" },
        { "redis://h:1", "redis://h:1" },
        { "ho$t:1", "ho$t:1" },
        { "-h:1", "-h:1" },
        { "a:1,a:1", "a:1" },
        { "a:1, a:0001", "a:0001" },
    };
    static const char *const good[] = {
        "localhost", "127.0.0.1:6379", "a:1, b:2", "redis-1.example.org:"
        "65535,r_2:1", "a,b,c,d",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ajwt_redis_conf_t conf = { bad[i].servers };
        ajwt_store_t *st = (ajwt_store_t *)1;
        ajwt_err_t err = { 0 };
        is_int(ajwt_store_redis_create(&st, &conf, p, &err), AJWT_ECONFIG,
               "'%s' refused", bad[i].servers);
        ok(st == NULL, "'%s': no store", bad[i].servers);
        if (bad[i].named) {
            ok(strstr(err.text, bad[i].named) != NULL, "'%s' named in: %s",
               bad[i].named, err.text);
        }
    }
    {
        ajwt_redis_conf_t conf = { NULL };
        ajwt_store_t *st;
        is_int(ajwt_store_redis_create(&st, &conf, p, NULL), AJWT_ECONFIG,
               "NULL servers refused");
        is_int(ajwt_store_redis_create(&st, NULL, p, NULL), AJWT_ECONFIG,
               "NULL conf refused");
    }
    {
        ajwt_redis_conf_t conf = { "h:1" };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        conf.user = "u";
        is_int(ajwt_store_redis_create(&st, &conf, p, &err), AJWT_ECONFIG,
               "user without password refused: %s", err.text);
    }
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ajwt_redis_conf_t conf = { good[i] };
        ajwt_store_t *st = NULL;
        ajwt_err_t err = { 0 };
        is_int(ajwt_store_redis_create(&st, &conf, p, &err), AJWT_OK,
               "'%s' accepted %s", good[i], err.text);
        ok(st && !strcmp(st->ops->name, "redis"), "'%s': a redis store",
           good[i]);
        ok(st && st->ops->get_many && st->ops->incr, "with get_many and "
           "incr");
    }
    is_int(ajwt_store_redis_restores(NULL), 0, "restores of no store: 0");
}

static void tls_refused(apr_pool_t *p)
{
    ajwt_redis_conf_t conf = { "127.0.0.1:6379" };
    ajwt_store_t *st = (ajwt_store_t *)1;
    ajwt_err_t err = { 0 };

    conf.tls = 1;
    if (ajwt_store_redis_has_tls()) {
        ok(1, "# SKIP this build has Redis TLS");
        return;
    }
    is_int(ajwt_store_redis_create(&st, &conf, p, &err), AJWT_ECONFIG,
           "TLS without hiredis_ssl: refused");
    ok(st == NULL, "no store");
    ok(strstr(err.text, "this build's hiredis has no TLS (hiredis_ssl >= "
              "1.0)") != NULL, "says why: %s", err.text);
}

/*
 * rediss:// (only in a build with hiredis_ssl): a CA and a certificate for
 * "localhost" made here with openssl(1); the server also listens in clear
 * for the test's own connection.
 */
static int sh(apr_pool_t *p, const char *cmdline)
{
    fflush(stdout);
    return system(apr_psprintf(p, "%s >/dev/null 2>&1", cmdline));
}

static ajwt_status_t tls_try(apr_pool_t *p, const char *host, int port,
                             const char *ca, ajwt_err_t *err)
{
    ajwt_redis_conf_t conf = { 0 };
    ajwt_store_t *st;
    char k[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, now = now_s();
    ajwt_status_t rv;
    int found = 0;

    conf.servers = apr_psprintf(p, "%s:%d", host, port);
    conf.tls = 1;
    conf.ca_file = ca;
    if ((rv = ajwt_store_redis_create(&st, &conf, p, err))) {
        return rv;
    }
    ajwt_store_key_jti(k, "tls");
    if ((rv = st->ops->put(st, k, 21, now + 60, now, err))
        || (rv = st->ops->get(st, k, &v, &found, now, err))) {
        return rv;
    }
    return found && v == 21 ? AJWT_OK : AJWT_EINTERNAL;
}

static void tls(apr_pool_t *p)
{
    const char *d = apr_psprintf(p, "%s/tls", top_dir), *ca, *ca2;
    int tport = free_port();
    ajwt_err_t err = { 0 };

    if (!ajwt_store_redis_has_tls()) {
        ok(1, "# SKIP this build's hiredis has no TLS");
        return;
    }
    if (access("/usr/bin/openssl", X_OK) != 0) {
        ok(1, "# SKIP no openssl(1) to make certificates");
        return;
    }
    mkdir(d, 0700);
    ca = apr_psprintf(p, "%s/ca.pem", d);
    ca2 = apr_psprintf(p, "%s/ca2.pem", d);
    if (!ok(!sh(p, apr_psprintf(p, "cd %s && "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ca "
        "-keyout ca.key -out ca.pem && "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ca2 "
        "-keyout ca2.key -out ca2.pem && "
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
        "-keyout srv.key -out srv.csr && "
        "printf 'subjectAltName=DNS:localhost\\n' > ext && "
        "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -days 2 -extfile ext -out srv.pem", d)),
            "certificates made")) {
        return;
    }
    srv[STLS].extra = apr_psprintf(cases_pool, "tls-port %d\n"
                                   "tls-cert-file %s/srv.pem\n"
                                   "tls-key-file %s/srv.key\n"
                                   "tls-ca-cert-file %s\n"
                                   "tls-auth-clients no\n", tport, d, d, ca);
    if (!ok(start_server(STLS, 0, "no"), "TLS server started (port %d)",
            tport)) {
        return;
    }
    is_int(tls_try(p, "localhost", tport, ca, &err), AJWT_OK,
           "rediss://localhost with our CA: put and get (%s)", err.text);
    memset(&err, 0, sizeof(err));
    is_int(tls_try(p, "127.0.0.1", tport, ca, &err), AJWT_ESTORE,
           "an address the certificate does not name: refused");
    ok(strstr(err.text, "TLS") != NULL, "%s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(tls_try(p, "localhost", tport, ca2, &err), AJWT_ESTORE,
           "another CA: refused");
    ok(strstr(err.text, "TLS") != NULL, "%s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(tls_try(p, "localhost", tport, apr_psprintf(p, "%s/none.pem", d),
                   &err), AJWT_ECONFIG, "a CA file that is not there: %s",
           err.text);
    stop_server(STLS, SIGKILL);
}

static void round_trip(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    ajwt_err_t err = { 0 };
    char k1[AJWT_STORE_KEY_MAX], k2[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, now = now_s(), vals[2];
    const char *keys[2];
    int found = -1, state[2];

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
    ok(holds(S0, k1) + holds(S1, k1) == 1, "on exactly one server");
    {
        char buf[64];
        raw_get(home(k1), k1, buf, sizeof(buf));
        ok(!strcmp(buf, "1234567890"), "stored as decimal text (%s)", buf);
    }

    is_int(st->ops->put(st, k1, 42, now + 600, now, &err), AJWT_OK,
           "overwrite");
    st->ops->get(st, k1, &v, &found, now, &err);
    is_int(v, 42, "overwritten value");
    st->ops->put(st, k1, -7, now + 600, now, &err);
    st->ops->get(st, k1, &v, &found, now, &err);
    is_int(v, -7, "negative value back");
    st->ops->put(st, k1, APR_INT64_MAX, now + 600, now, &err);
    st->ops->get(st, k1, &v, &found, now, &err);
    ok(v == APR_INT64_MAX, "max value back");
    st->ops->put(st, k1, APR_INT64_MIN, now + 600, now, &err);
    st->ops->get(st, k1, &v, &found, now, &err);
    ok(v == APR_INT64_MIN, "min value back");
    st->ops->put(st, k1, 5, now + 600, now, &err);

    found = -1;
    v = 99;
    is_int(st->ops->get(st, k2, &v, &found, now, &err), AJWT_OK,
           "missing key is not an error %s", err.text);
    is_int(found, 0, "missing key not found");

    keys[0] = k1;
    keys[1] = k2;
    vals[0] = vals[1] = 0;
    is_int(st->ops->get_many(st, keys, 2, vals, state, now, &err), AJWT_OK,
           "get_many %s", err.text);
    ok(state[0] == AJWT_STORE_FOUND && vals[0] == 5, "first found");
    is_int(state[1], AJWT_STORE_ABSENT, "second absent");
    is_int(err.status, AJWT_OK, "no error recorded");
    for (found = 0; found < 20; found++) {  /* some keys on each server */
        ajwt_store_key_jti(k2, apr_psprintf(p, "rt-seed-%d", found));
        st->ops->get(st, k2, &v, &state[0], now, NULL);
    }
    ok(raw_get(S0, "ajwt:seed", (char[32]){ 0 }, 32)[0]
       && raw_get(S1, "ajwt:seed", (char[32]){ 0 }, 32)[0],
       "each server has its seed");
}

static void expiry(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    ajwt_err_t err = { 0 };
    char k[AJWT_STORE_KEY_MAX], kp[AJWT_STORE_KEY_MAX];
    char kl[AJWT_STORE_KEY_MAX], ko[AJWT_STORE_KEY_MAX];
    apr_int64_t v, now = now_s();
    long long ttl;
    int found;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    now = fresh_second();
    ajwt_store_key_jti(k, apr_psprintf(p, "exp-%d", (int)getpid()));
    ajwt_store_key_jti(kp, apr_psprintf(p, "past-%d", (int)getpid()));
    ajwt_store_key_jti(kl, apr_psprintf(p, "long-%d", (int)getpid()));
    ajwt_store_key_jti(ko, apr_psprintf(p, "over-%d", (int)getpid()));

    is_int(st->ops->put(st, k, 1, now + 1, now, &err), AJWT_OK, "put 1 s");
    st->ops->get(st, k, &v, &found, now, &err);
    is_int(found, 1, "there at once");

    is_int(st->ops->put(st, kp, 1, now, now, &err), AJWT_OK,
           "put expiring now: OK");
    is_int(st->ops->put(st, kp, 1, now - 100, now, &err), AJWT_OK,
           "put expired: OK");
    st->ops->get(st, kp, &v, &found, now, &err);
    is_int(found, 0, "nothing stored for an expired entry");
    ok(!holds(S0, kp) && !holds(S1, kp), "on no server");

    /* an entry overwritten with one already over is gone, as in shm */
    st->ops->put(st, ko, 3, now + 600, now, &err);
    is_int(st->ops->put(st, ko, 4, now - 1, now, &err), AJWT_OK,
           "overwrite with an expired entry");
    found = -1;
    st->ops->get(st, ko, &v, &found, now, &err);
    is_int(found, 0, "the key is gone");

    is_int(st->ops->put(st, kl, 7, now + 40 * 86400, now, &err), AJWT_OK,
           "put 40 days");
    ttl = raw_ttl(home(kl), kl);
    ok(ttl > 40 * 86400 - 5 && ttl <= 40 * 86400, "server's TTL is the "
       "absolute expiry (%lld)", ttl);
    st->ops->put(st, kl, 7, now + 100LL * 365 * 86400, now, &err);
    st->ops->get(st, kl, &v, &found, now, &err);
    is_int(found, 1, "100-year entry there");

    msleep(2100);
    found = -1;
    is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_OK,
           "get after expiry");
    is_int(found, 0, "1 s entry gone after 2 s (EXAT in the past)");
    st->ops->get(st, kl, &v, &found, now_s(), &err);
    is_int(found, 1, "long entry still there");
}

static void counter(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    ajwt_err_t err = { 0 };
    char k[AJWT_STORE_KEY_MAX], kb[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, now = now_s();
    long long ttl;
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
    ttl = raw_ttl(home(k), k);
    ok(ttl >= 0 && ttl <= 2, "the first expiry kept (TTL %lld)", ttl);
    st->ops->get(st, k, &v, &found, now, &err);
    ok(found && v == 10, "get reads the counter");
    msleep(3100);
    found = -1;
    st->ops->get(st, k, &v, &found, now_s(), &err);
    is_int(found, 0, "gone after the first expiry (2 s)");
    st->ops->incr(st, k, &v, now_s() + 600, now_s(), &err);
    is_int(v, 1, "then starts again at 1");
    st->ops->put(st, k, 0, now_s() + 30, now_s(), &err);
    st->ops->incr(st, k, &v, now_s() + 600, now_s(), &err);
    is_int(v, 1, "incr of a put 0");
    ttl = raw_ttl(home(k), k);
    ok(ttl > 0 && ttl <= 30, "keeps the put's expiry (TTL %lld)", ttl);
    is_int(err.status, AJWT_OK, "no error %s", err.text);

    ajwt_store_key_named(kb, "ajwt:l:u:",
                         apr_psprintf(p, "ctr-past-%d", (int)getpid()));
    is_int(st->ops->incr(st, kb, &v, now_s() - 5, now_s(), &err), AJWT_OK,
           "incr with an expiry already over");
    is_int(v, 1, "counts 1");
    ttl = raw_ttl(home(kb), kb);
    ok(ttl >= 0 && ttl <= 1, "lives a second (TTL %lld)", ttl);

    raw_set(home(k), k, "abc", 3);
    {
        ajwt_err_t e2 = { 0 };
        is_int(st->ops->incr(st, k, &v, now_s() + 60, now_s(), &e2),
               AJWT_ESTORE, "incr of a value not ours: store error");
        ok(strstr(e2.text, "incr of") != NULL, "says so: %s", e2.text);
    }
}

static void bad_values(apr_pool_t *p)
{
    static const char *const vals[] = {
        "12x", "", "+5", " 5", "5 ", "99999999999999999999", "-", "-0",
        "9223372036854775808", "0x10", "1.5",
    };
    ajwt_store_t *st = store(p, servers_of(p, S0, -1), 1);
    char k[AJWT_STORE_KEY_MAX], k2[AJWT_STORE_KEY_MAX];
    apr_int64_t v, vals2[2];
    const char *keys[2];
    int found, state[2];
    size_t i;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_key_jti(k, "bad-value");
    ajwt_store_key_jti(k2, "bad-value-absent");
    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        ajwt_err_t err = { 0 };
        if (!ok(raw_set(S0, k, vals[i], strlen(vals[i])), "raw set '%s'",
                vals[i])) {
            continue;
        }
        found = -1;
        is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_ESTORE,
               "'%s' is a store error for get", vals[i]);
        is_int(found, 0, "'%s' not reported found", vals[i]);
        ok(strstr(err.text, "malformed") && !strstr(err.text, vals[i][0]
                                                    ? vals[i] : "\x01"),
           "reason names no value: %s", err.text);
        keys[0] = k2;
        keys[1] = k;
        memset(&err, 0, sizeof(err));
        is_int(st->ops->get_many(st, keys, 2, vals2, state, now_s(), &err),
               AJWT_OK, "get_many answers %s", err.text);
        ok(state[0] == AJWT_STORE_ABSENT
           && state[1] == AJWT_STORE_MALFORMED, "'%s': MALFORMED in "
           "get_many", vals[i]);
    }
    {
        ajwt_err_t err = { 0 };
        raw_set(S0, k, "9223372036854775807", 19);
        is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_OK,
               "INT64_MAX written by others parses");
        ok(found == 1 && v == APR_INT64_MAX, "INT64_MAX value");
    }
    {
        /* a key of another type: not a value of ours either */
        redisReply *r = cmd(S0, "DEL %s", k);
        ajwt_err_t err = { 0 };
        ajwt_claims_t cl;
        if (r) {
            freeReplyObject(r);
        }
        memset(&cl, 0, sizeof(cl));
        cl.jti = "bad-value";
        cl.has_iat = 1;
        cl.iat = now_s();
        raw_set(S0, k, "zz", 2);
        is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
               "ajwt_store_check: a malformed jti entry revokes");
    }
}

static void bad_keys(apr_pool_t *p)
{
    static const char *const keys[] = {
        "", "has space", "ctl\n", "ajwt:seed", "x12345678901234567890123"
        "456789012345678901234567890123456789012345678901234567890",
    };
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    apr_int64_t v;
    int found, state;
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
        is_int(st->ops->incr(st, keys[i], &v, now_s() + 60, now_s(), NULL),
               AJWT_EINTERNAL, "incr with key %lu refused",
               (unsigned long)i);
        is_int(st->ops->get_many(st, &keys[i], 1, &v, &state, now_s(),
                                 NULL), AJWT_EINTERNAL,
               "get_many with key %lu refused", (unsigned long)i);
    }
    {
        char buf[32];
        ok(raw_get(S0, "ajwt:seed", buf, sizeof(buf))[0] != '?'
           && strlen(buf) == 16, "seed untouched (%s)", buf);
    }
}

/* ajwt_store_check(): keys on one server are one MGET, one round trip */
static void check_trips(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, -1), 1);
    ajwt_claims_t cl;
    ajwt_err_t err = { 0 };
    long long m0, g0, m1, g1;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    memset(&cl, 0, sizeof(cl));
    cl.jti = apr_psprintf(p, "trip-%d", (int)getpid());
    cl.sub = "trip-sub";
    cl.has_iat = 1;
    cl.iat = now_s() - 10;
    ajwt_store_claims_keys(&cl);
    m0 = info(S0, "commandstats", "cmdstat_mget");
    g0 = info(S0, "commandstats", "cmdstat_get");
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_OK,
           "not revoked (%s)", err.text);
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_OK,
           "again not revoked");
    m1 = info(S0, "commandstats", "cmdstat_mget");
    g1 = info(S0, "commandstats", "cmdstat_get");
    is_int(m1 - m0, 2, "one MGET per check (jti, sub and the seed)");
    is_int(g1 - g0, 0, "and nothing else");
    ajwt_store_revoke_sub(st, "trip-sub", -1, 30, now_s(), NULL);
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
           "sub revoked: seen");
    ajwt_store_revoke_jti(st, cl.jti, now_s() + 60, 30, now_s(), NULL);
    cl.sub = "other-sub";
    ajwt_store_claims_keys(&cl);
    is_int(ajwt_store_check(st, &cl, now_s(), &err), AJWT_EREVOKED,
           "jti revoked: seen");
}

static void spread(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    long long before[2], after[2];
    apr_int64_t now = now_s();
    int i, failed = 0, both = 0;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    /* nothing left by the cases before (short-lived keys would expire
     * while we count), then seeds on both */
    ok(flushall(S0) && flushall(S1), "servers emptied");
    for (i = 0; i < 20; i++) {
        char k[AJWT_STORE_KEY_MAX];
        apr_int64_t v;
        int found;
        ajwt_store_key_jti(k, apr_psprintf(p, "spread-warm-%d", i));
        st->ops->get(st, k, &v, &found, now, NULL);
    }
    for (i = 0; i < 2; i++) {
        before[i] = dbsize(S0 + i);
        is_int(before[i], 1, "server %d holds its seed only", i);
    }
    for (i = 0; i < 200; i++) {
        char k[AJWT_STORE_KEY_MAX];
        ajwt_store_key_jti(k, apr_psprintf(p, "spread-%d-%d", (int)getpid(),
                                           i));
        failed += st->ops->put(st, k, i, now + 600, now, NULL) != AJWT_OK;
        both += holds(S0, k) && holds(S1, k);
    }
    is_int(failed, 0, "200 puts");
    is_int(both, 0, "no key on both servers");
    for (i = 0; i < 2; i++) {
        after[i] = dbsize(S0 + i);
        ok(after[i] - before[i] > 60, "server %d got %lld of 200 keys", i,
           after[i] - before[i]);
    }
    is_int(after[0] - before[0] + after[1] - before[1], 200,
           "every key stored once");
    {
        /* the same list gives the same home, in any store */
        ajwt_store_t *st2 = store(p, servers_of(p, S0, S1), 1);
        char k[AJWT_STORE_KEY_MAX];
        apr_int64_t v = -1;
        int found = 0, same = 0;
        for (i = 0; i < 200; i++) {
            ajwt_store_key_jti(k, apr_psprintf(p, "spread-%d-%d",
                                               (int)getpid(), i));
            same += st2->ops->get(st2, k, &v, &found, now, NULL) == AJWT_OK
                    && found && v == i;
        }
        is_int(same, 200, "another store finds every key");
    }
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

static long long clients(void)
{
    /* minus the connection that asks, on each server */
    return info(S0, "clients", "connected_clients")
           + info(S1, "clients", "connected_clients") - 2;
}

static void threads(apr_pool_t *p)
{
    apr_pool_t *sub;
    ajwt_store_t *st, *st_main;
    struct worker w[2];
    pthread_t t[2];
    long long tc0, tc1, cc0, cc1 = 0, cc2 = 0;
    apr_int64_t now = now_s();
    int i, j, waited;

    apr_pool_create(&sub, p);
    st = store(sub, servers_of(p, S0, S1), 1);
    st_main = store(p, servers_of(p, S0, S1), 1);
    if (!ok(st && st_main, "stores made")) {
        return;
    }
    memset(w, 0, sizeof(w));
    for (j = 0; j < 20; j++) {
        ajwt_store_key_jti(w[0].keys[j], apr_psprintf(p, "thr-%d", j));
        st_main->ops->put(st_main, w[0].keys[j], j, now + 600, now, NULL);
    }
    w[1] = w[0];
    cc0 = clients();
    tc0 = info(S0, "stats", "total_connections_received")
          + info(S1, "stats", "total_connections_received");
    for (i = 0; i < 2; i++) {
        w[i].st = st;
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    tc1 = info(S0, "stats", "total_connections_received")
          + info(S1, "stats", "total_connections_received");
    is_int(w[0].gets + w[1].gets, 600, "600 gets");
    is_int(w[0].errors + w[1].errors, 0, "every get found its value");
    /* two threads x two servers, plus our own info connections (2 for
     * the clients() count, 2 for tc0... counted in tc1: 4 + 2) */
    ok(tc1 - tc0 <= 2 * 2 + 4, "%lld new connections for 600 gets",
       tc1 - tc0);
    ok(tc1 - tc0 >= 2 + 2, "the threads connected (%lld)", tc1 - tc0);

    for (waited = 0; waited < 2000; waited += 50) {
        if ((cc1 = clients()) <= cc0) {
            break;
        }
        msleep(50);
    }
    ok(cc1 <= cc0, "thread exit closed its connections (%lld -> %lld)", cc0,
       cc1);
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
        if ((cc2 = clients()) <= cc0) {
            break;
        }
        msleep(50);
    }
    ok(cc2 <= cc0, "pool cleanup closed the main thread's connections "
       "(%lld)", cc2);
}

/* A prefork child inherits the parent's handle: it makes its own, and the
 * parent's connections survive the child. */
static void forked(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    char k[AJWT_STORE_KEY_MAX], k2[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, now = now_s();
    long long tc0, tc1;
    int found = 0, status = -1, i;
    pid_t pid;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_key_jti(k, "forked");
    is_int(st->ops->put(st, k, 5, now + 600, now, NULL), AJWT_OK,
           "parent put");
    for (i = 0; i < 20; i++) {  /* the parent connects to both servers */
        ajwt_store_key_jti(k2, apr_psprintf(p, "forked-%d", i));
        st->ops->get(st, k2, &v, &found, now, NULL);
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        ajwt_err_t err = { 0 };
        int rc = st->ops->get(st, k, &v, &found, now, &err) == AJWT_OK
                 && found && v == 5 ? 0 : 1;
        rc |= st->ops->put(st, k, 6, now + 600, now, NULL) ? 2 : 0;
        apr_pool_destroy(p);    /* the child's handle too (valgrind) */
        _exit(rc);
    }
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child used its own "
       "handle (status %d)", status);
    tc0 = info(S0, "stats", "total_connections_received")
          + info(S1, "stats", "total_connections_received");
    is_int(st->ops->get(st, k, &v, &found, now, NULL), AJWT_OK,
           "parent get after child exit");
    ok(found && v == 6, "parent sees the child's write");
    for (i = 0; i < 20; i++) {
        ajwt_store_key_jti(k2, apr_psprintf(p, "forked-%d", i));
        st->ops->get(st, k2, &v, &found, now, NULL);
    }
    tc1 = info(S0, "stats", "total_connections_received")
          + info(S1, "stats", "total_connections_received");
    /* only the two info connections of the second count */
    is_int(tc1 - tc0, 2, "the parent's connections survived the child");
}

/* The refresh race: N processes incr one fresh key at once; exactly one
 * of them gets 1. */
static void incr_race(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    int round, good = 0;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    for (round = 0; round < 10; round++) {
        char k[AJWT_STORE_KEY_MAX];
        int go[2], n, ones = 0, errors = 0, max = 0;
        pid_t pids[8];
        apr_int64_t v;

        ajwt_store_key_named(k, "ajwt:f:x:", apr_psprintf(p, "race-%d-%d",
                                                          (int)getpid(),
                                                          round));
        if (round == 0) {
            /* a handle in the parent first: the children inherit it */
            st->ops->get(st, k, &v, &n, now_s(), NULL);
        }
        if (pipe(go)) {
            ok(0, "pipe");
            return;
        }
        fflush(stdout);
        for (n = 0; n < 8; n++) {
            if ((pids[n] = fork()) == 0) {
                char c;
                int rc;
                close(go[1]);
                while (read(go[0], &c, 1) < 0 && errno == EINTR) {
                }
                v = 0;
                rc = st->ops->incr(st, k, &v, now_s() + 10, now_s(), NULL)
                     ? 100 : v > 0 && v < 100 ? (int)v : 101;
                apr_pool_destroy(p);
                _exit(rc);
            }
        }
        close(go[0]);
        close(go[1]);           /* all go */
        for (n = 0; n < 8; n++) {
            int status = 0;
            waitpid(pids[n], &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) >= 100) {
                errors++;
            }
            else {
                ones += WEXITSTATUS(status) == 1;
                if (WEXITSTATUS(status) > max) {
                    max = WEXITSTATUS(status);
                }
            }
        }
        good += ones == 1 && errors == 0 && max == 8;
        if (ones != 1 || errors || max != 8) {
            diag("round %d: %d ones, %d errors, max %d", round, ones,
                 errors, max);
        }
    }
    is_int(good, 10, "10 rounds of 8 processes: one winner each, counts "
           "1..8");
}

/* A server that accepts connections and never answers. */
static void blackhole(apr_pool_t *p)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), found, pass;
    char k[AJWT_STORE_KEY_MAX];
    apr_int64_t v;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!ok(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0
            && listen(fd, 16) == 0
            && getsockname(fd, (struct sockaddr *)&a, &len) == 0,
            "silent listener")) {
        return;
    }
    ajwt_store_key_jti(k, "blackhole");
    for (pass = 0; pass < 2; pass++) {
        ajwt_redis_conf_t conf = { 0 };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        apr_time_t t0;
        double dt;
        apr_int64_t now = now_s();

        conf.servers = apr_psprintf(p, "127.0.0.1:%d", ntohs(a.sin_port));
        conf.retry_timeout_s = 5;
        conf.password = pass ? "hunter2" : NULL;   /* AUTH waits */
        st = make(p, &conf);
        t0 = apr_time_now();
        is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_ESTORE,
               "%s: store error (%s)", pass ? "AUTH" : "MGET", err.text);
        dt = since(t0);
        ok(dt < 1.0, "answered in %.3f s (timeout 300 ms, no hang)", dt);
        ok(!strstr(err.text, "hunter2"), "no password in the text");
        t0 = apr_time_now();
        is_int(st->ops->get(st, k, &v, &found, now, NULL), AJWT_ESTORE,
               "again: store error");
        is_int(st->ops->put(st, k, 1, now + 60, now, NULL), AJWT_ESTORE,
               "put: store error");
        is_int(st->ops->incr(st, k, &v, now + 60, now, NULL), AJWT_ESTORE,
               "incr: store error");
        dt = since(t0);
        ok(dt < 0.1, "skipped: no second wait (%.3f s)", dt);
        memset(&err, 0, sizeof(err));
        t0 = apr_time_now();
        is_int(st->ops->get(st, k, &v, &found, now + 6, &err), AJWT_ESTORE,
               "after retry_timeout_s: tried again (%s)", err.text);
        dt = since(t0);
        ok(dt > 0.2 && dt < 1.0, "and waited the timeout again (%.3f s)",
           dt);
    }
    close(fd);
}

static void acl(apr_pool_t *p)
{
    char k[AJWT_STORE_KEY_MAX], port[16];
    apr_int64_t v, now = now_s();
    int found;

    snprintf(port, sizeof(port), ":%d", srv[SACL].port);
    ajwt_store_key_jti(k, "acl");
    {
        ajwt_redis_conf_t conf = { 0 };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        conf.servers = servers_of(p, SACL, -1);
        conf.user = "ajwt";
        conf.password = "s3cret";
        st = make(p, &conf);
        is_int(st->ops->put(st, k, 11, now + 60, now, &err), AJWT_OK,
               "user ajwt, right password: put %s", err.text);
        is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_OK, "get");
        ok(found && v == 11, "value back");
        is_int(st->ops->incr(st, k, &v, now + 60, now, &err), AJWT_OK,
               "incr");
    }
    {
        ajwt_redis_conf_t conf = { 0 };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        conf.servers = servers_of(p, SACL, -1);
        conf.user = "ajwt";
        conf.password = "wrong-pa55";
        st = make(p, &conf);
        is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_ESTORE,
               "wrong password: store error");
        ok(strstr(err.text, "authentication failed") && strstr(err.text,
                                                               port),
           "says so, and where: %s", err.text);
        ok(!strstr(err.text, "wrong-pa55") && !strstr(err.text, "s3cret"),
           "no password in it");
        memset(&err, 0, sizeof(err));
        is_int(st->ops->put(st, k, 1, now + 60, now, &err), AJWT_ESTORE,
               "put too");
        ok(strstr(err.text, "authentication failed")
           && !strstr(err.text, "wrong-pa55"), "while skipped, the reason "
           "is kept: %s", err.text);
    }
    {
        ajwt_redis_conf_t conf = { 0 };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        conf.servers = servers_of(p, SACL, -1);
        st = make(p, &conf);
        is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_ESTORE,
               "no password: store error");
        ok(strstr(err.text, "NOAUTH") != NULL, "the server's reason: %s",
           err.text);
    }
    {
        ajwt_redis_conf_t conf = { 0 };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        conf.servers = servers_of(p, SACL, -1);
        conf.user = "nobody";
        conf.password = "s3cret";
        st = make(p, &conf);
        is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_ESTORE,
               "unknown user: store error");
        ok(strstr(err.text, "authentication failed") != NULL, "%s",
           err.text);
    }
    /* "AUTH password" (requirepass): one argument, spaces and all */
    if (!ok(start_server(SPASS, 0, "no"), "requirepass server started")) {
        return;
    }
    {
        ajwt_redis_conf_t conf = { 0 };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        conf.servers = servers_of(p, SPASS, -1);
        conf.password = "two words";
        st = make(p, &conf);
        is_int(st->ops->put(st, k, 12, now + 60, now, &err), AJWT_OK,
               "password only: put %s", err.text);
        is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_OK, "get");
        ok(found && v == 12, "value back");
    }
    {
        ajwt_redis_conf_t conf = { 0 };
        ajwt_store_t *st;
        ajwt_err_t err = { 0 };
        conf.servers = servers_of(p, SPASS, -1);
        conf.password = "two";
        st = make(p, &conf);
        is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_ESTORE,
               "wrong password only: store error");
        ok(strstr(err.text, "authentication failed")
           && !strstr(err.text, "two"), "%s", err.text);
    }
    stop_server(SPASS, SIGKILL);
}

/* ---- servers found empty: the seed and the restore */

/* Records: jti entries, subject and family entries, one expired. */
static void fill(fake_src_t *f, apr_pool_t *p, apr_int64_t now)
{
    char k[AJWT_STORE_KEY_MAX];
    int i;
    f->n = 0;
    for (i = 0; i < 20; i++) {
        ajwt_store_key_jti(k, apr_psprintf(p, "rj-%d-%d", (int)getpid(), i));
        add_rec(f, k, now + 500 + i, now + 600);
    }
    for (i = 0; i < 12; i++) {
        ajwt_store_key_sub(k, apr_psprintf(p, "rs-%d-%d", (int)getpid(), i));
        add_rec(f, k, now - 100 + i, now + 700);
    }
    for (i = 0; i < 16; i++) {
        ajwt_store_key_named(k, "ajwt:f:", apr_psprintf(p, "rf-%d-%d",
                                                        (int)getpid(), i));
        add_rec(f, k, i % 4 == 3 ? 0 : APR_INT64_C(1) << 40 | 5, now + 800);
    }
    ajwt_store_key_jti(k, apr_psprintf(p, "rj-old-%d", (int)getpid()));
    add_rec(f, k, 1, now - 1);
}

/* Every live record of f on its server (and only there) with value want
 * (NULL: the record's); how many are not. */
static int check_recs(const fake_src_t *f, int server, apr_int64_t now,
                      const char *const *want)
{
    int k, bad = 0;
    for (k = 0; k < f->n; k++) {
        char buf[64], exp[32];
        int h = home(f->rec[k].key);
        if (f->rec[k].expires <= now) {
            bad += h != -1 || holds(S0, f->rec[k].key)
                   || holds(S1, f->rec[k].key);
            continue;
        }
        if (server >= 0 && h != server) {
            continue;
        }
        if (h < 0) {
            bad++;
            diag("record %d on no server (or both)", k);
            continue;
        }
        snprintf(exp, sizeof(exp), "%" APR_INT64_T_FMT, f->rec[k].value);
        raw_get(h, f->rec[k].key, buf, sizeof(buf));
        if (strcmp(buf, want && want[k] ? want[k] : exp)) {
            bad++;
            diag("record %d: '%s', want '%s'", k, buf,
                 want && want[k] ? want[k] : exp);
        }
    }
    return bad;
}

static fake_src_t src;          /* kept by the cases below, in order */
static ajwt_store_t *rst;       /* the store of src, over S0 and S1 */

static void restore_first_use(apr_pool_t *p)
{
    apr_int64_t now = now_s(), v;
    char last[AJWT_ERR_TEXT];
    int found, k;

    fill(&src, p, now);
    rst = replay_store(cases_pool, servers_of(p, S0, S1), &src);
    if (!ok(rst != NULL, "store made")) {
        return;
    }
    /* a get on each server: each is used for the first time */
    for (k = 0; k < src.n; k++) {
        rst->ops->get(rst, src.rec[k].key, &v, &found, now, NULL);
    }
    is_int(src.calls, 2, "first use of each server replays (2 calls)");
    is_int(ajwt_store_redis_restores(rst), 0, "not counted: the servers "
           "had their seeds");
    ajwt_store_redis_last_restore(rst, last, sizeof(last));
    is_int(last[0], 0, "no restore text");
    is_int(check_recs(&src, -1, now, NULL), 0, "every live record on its "
           "server, the expired one nowhere");
    for (k = 0; k < src.n; k++) {
        rst->ops->get(rst, src.rec[k].key, &v, &found, now, NULL);
    }
    is_int(src.calls, 2, "no more replays while the seeds stay");
    {
        long long ttl = raw_ttl(home(src.rec[0].key), src.rec[0].key);
        ok(ttl > 590 && ttl <= 600, "restored with the record's expiry "
           "(TTL %lld)", ttl);
    }
}

static const char *port_text(apr_pool_t *p, int port)
{
    return apr_psprintf(p, ":%d", port);
}

/* S1 restarted without persistence: empty, no seed. */
static void restore_restart(apr_pool_t *p)
{
    const char *want[64] = { NULL };
    char seed0[32], seed1[32], last[AJWT_ERR_TEXT], buf[64];
    apr_int64_t now = now_s(), v;
    apr_uint64_t r0;
    int port = srv[S1].port, k, found, on1 = 0, fam = 0, subs = 0;
    int first_s1 = -1;

    if (!rst) {
        ok(0, "no store from restore_first_use");
        return;
    }
    r0 = ajwt_store_redis_restores(rst);
    raw_get(S1, "ajwt:seed", seed0, sizeof(seed0));
    stop_server(S1, SIGKILL);
    if (!ok(start_server(S1, port, "no"), "S1 restarted on port %d",
            port)) {
        return;
    }
    is_int(dbsize(S1), 0, "S1 is empty");
    /* written by others after the restart, before our first access:
     * newer revocations stay, older ones are raised, others are kept */
    for (k = 0; k < src.n; k++) {
        const rec_t *r = &src.rec[k];
        char val[32];
        if (r->expires <= now || home(r->key) != -1
            || (holds(S0, r->key))) {
            continue;           /* on S0 (or expired) */
        }
        on1++;
        if (first_s1 < 0) {
            first_s1 = k;
        }
        if (!strncmp(r->key, "ajwt:s:", 7)) {
            if (subs++ % 2 == 0) {
                snprintf(val, sizeof(val), "%" APR_INT64_T_FMT,
                         r->value + 1000);
                want[k] = apr_pstrdup(p, val);      /* larger: kept */
            }
            else {
                snprintf(val, sizeof(val), "%" APR_INT64_T_FMT,
                         r->value - 50);            /* raised */
            }
            raw_set(S1, r->key, val, strlen(val));
        }
        else if (!strncmp(r->key, "ajwt:f:", 7)) {
            static const char *const pre[] = { "0", "3", "99999999999999999",
                                               "zz" };
            const char *pv = pre[fam++ % 4];
            raw_set(S1, r->key, pv, strlen(pv));
            if (!strcmp(pv, "0") || pv[0] == 'z') {
                want[k] = pv;   /* revoked, or not ours: kept */
            }
            else if (r->value == 0) {
                want[k] = "0";  /* the record revokes it */
            }
            else if (pv[0] == '9') {
                want[k] = pv;   /* a later generation: kept */
            }
        }
        else if (!strncmp(r->key, "ajwt:j:", 7) && on1 % 3 == 0) {
            raw_set(S1, r->key, "7", 1);
            want[k] = "7";      /* written after the record: kept */
        }
    }
    ok(on1 > 5 && fam > 2 && subs > 1, "records of S1 (%d: %d family, %d "
       "subject)", on1, fam, subs);
    if (first_s1 < 0) {
        return;
    }
    {
        ajwt_err_t err = { 0 };
        apr_int64_t wantv = src.rec[first_s1].value;
        if (want[first_s1]) {
            wantv = apr_atoi64(want[first_s1]);
        }
        is_int(rst->ops->get(rst, src.rec[first_s1].key, &v, &found,
                             now_s(), &err), AJWT_OK, "first get after the "
               "restart answers (%s)", err.text);
        ok(found && v == wantv, "with the restored value");
    }
    is_int(src.calls, 3, "one replay");
    is_int(ajwt_store_redis_restores(rst), r0 + 1, "one more restore");
    ajwt_store_redis_last_restore(rst, last, sizeof(last));
    ok(strstr(last, "found empty") && strstr(last, port_text(p, port)),
       "last: %s", last);
    raw_get(S1, "ajwt:seed", seed1, sizeof(seed1));
    ok(strlen(seed1) == 16 && strcmp(seed0, seed1), "a new seed (%s -> %s)",
       seed0, seed1);
    is_int(check_recs(&src, S1, now, want), 0, "every record of S1 back, "
           "none lowered");
    raw_get(S0, "ajwt:seed", buf, sizeof(buf));
    ok(strcmp(buf, seed1), "S0 keeps its own seed");
    is_int(check_recs(&src, S0, now, NULL), 0, "S0 untouched");
}

static void restore_flush(apr_pool_t *p)
{
    apr_int64_t now = now_s(), v;
    char last[AJWT_ERR_TEXT], k0[AJWT_STORE_KEY_MAX] = "";
    int k, found, calls;

    if (!rst) {
        ok(0, "no store");
        return;
    }
    for (k = 0; k < src.n && !k0[0]; k++) {
        if (src.rec[k].expires > now && home(src.rec[k].key) == S0
            && !strncmp(src.rec[k].key, "ajwt:j:", 7)) {
            strcpy(k0, src.rec[k].key);
        }
    }
    calls = src.calls;
    ok(flushall(S0), "FLUSHALL on S0");
    {
        ajwt_err_t err = { 0 };
        is_int(rst->ops->get(rst, k0, &v, &found, now, &err), AJWT_OK,
               "get after FLUSHALL %s", err.text);
        is_int(found, 1, "found again: restored first");
    }
    is_int(src.calls, calls + 1, "one replay");
    ajwt_store_redis_last_restore(rst, last, sizeof(last));
    ok(strstr(last, "found empty") != NULL, "last: %s", last);
    is_int(check_recs(&src, S0, now, NULL), 0, "every record of S0 back");

    /* a seed changed by someone else (another incarnation) */
    {
        ajwt_err_t err = { 0 };
        char kp[AJWT_STORE_KEY_MAX];
        raw_set(S0, "ajwt:seed", "00000000000000aa", 16);
        calls = src.calls;
        ajwt_store_key_jti(kp, "after-seed-change");
        is_int(rst->ops->put(rst, kp, 9, now + 60, now, &err), AJWT_OK,
               "put on a changed seed %s", err.text);
        is_int(src.calls, calls + 1, "replayed first");
        ajwt_store_redis_last_restore(rst, last, sizeof(last));
        ok(strstr(last, "seed changed") != NULL, "last: %s", last);
        if (home(kp) == S0) {
            rst->ops->get(rst, kp, &v, &found, now, &err);
            ok(found && v == 9, "the put is there");
        }
        else {
            ok(1, "put went to S1");
        }
    }
    /* a seed that is not ours: replaced */
    {
        ajwt_err_t err = { 0 };
        char buf[32];
        raw_set(S0, "ajwt:seed", "garbage", 7);
        is_int(rst->ops->get(rst, k0, &v, &found, now, &err), AJWT_OK,
               "get on a garbage seed %s", err.text);
        raw_get(S0, "ajwt:seed", buf, sizeof(buf));
        ok(strlen(buf) == 16, "seed replaced (%s)", buf);
    }
}

/* A second store in the same process knows nothing yet: it replays. */
static void restore_per_store(apr_pool_t *p)
{
    fake_src_t f2;
    ajwt_store_t *st;
    apr_int64_t now = now_s(), v;
    int found, k;

    memcpy(&f2, &src, sizeof(f2));
    f2.calls = 0;
    st = replay_store(p, servers_of(p, S0, S1), &f2);
    for (k = 0; k < f2.n; k++) {
        st->ops->get(st, f2.rec[k].key, &v, &found, now, NULL);
    }
    is_int(f2.calls, 2, "a new store replays into each server once");
    for (k = 0; k < f2.n; k++) {
        st->ops->get(st, f2.rec[k].key, &v, &found, now, NULL);
    }
    is_int(f2.calls, 2, "and only once");
}

static void restore_failure(apr_pool_t *p)
{
    apr_int64_t now = now_s(), v;
    char k0[AJWT_STORE_KEY_MAX] = "", k1[AJWT_STORE_KEY_MAX] = "";
    int k, found, calls;

    if (!rst) {
        ok(0, "no store");
        return;
    }
    for (k = 0; k < src.n; k++) {
        if (src.rec[k].expires > now && !k0[0]
            && home(src.rec[k].key) == S0) {
            strcpy(k0, src.rec[k].key);
        }
        if (src.rec[k].expires > now && !k1[0]
            && home(src.rec[k].key) == S1) {
            strcpy(k1, src.rec[k].key);
        }
    }
    src.fail = 1;
    flushall(S0);
    calls = src.calls;
    {
        ajwt_err_t err = { 0 };
        found = -1;
        is_int(rst->ops->get(rst, k0, &v, &found, now, &err), AJWT_ESTORE,
               "replay source failing: store error");
        is_int(found, 0, "not found");
        ok(strstr(err.text, "restore failed")
           && strstr(err.text, "fake journal unreadable"), "says why: %s",
           err.text);
        is_int(src.calls, calls + 1, "replay tried");
    }
    {
        ajwt_err_t err = { 0 };
        is_int(rst->ops->get(rst, k0, &v, &found, now, &err), AJWT_ESTORE,
               "again at once: store error");
        ok(strstr(err.text, "next try") != NULL, "%s", err.text);
        is_int(src.calls, calls + 1, "not tried again within "
               "retry_timeout_s");
        is_int(rst->ops->get(rst, k1, &v, &found, now, &err), AJWT_OK,
               "the other server's keys work");
        is_int(found, 1, "found");
    }
    src.fail = 0;
    {
        ajwt_err_t err = { 0 };
        is_int(rst->ops->get(rst, k0, &v, &found, now + 2, &err), AJWT_OK,
               "after retry_timeout_s: restored (%s)", err.text);
        is_int(found, 1, "found");
        is_int(src.calls, calls + 2, "tried once more");
    }
}

/* appendonly yes: data and seed survive a restart, no replay. */
static void persistence(apr_pool_t *p)
{
    fake_src_t f;
    ajwt_store_t *st;
    char k[AJWT_STORE_KEY_MAX], seed0[32], seed1[32];
    apr_int64_t now = now_s(), v = 0;
    int found = 0, port = srv[SAOF].port;
    ajwt_err_t err = { 0 };

    memset(&f, 0, sizeof(f));
    ajwt_store_key_jti(k, "aof-journal");
    add_rec(&f, k, 77, now + 600);
    st = replay_store(p, servers_of(p, SAOF, -1), &f);
    ajwt_store_key_jti(k, "aof-put");
    is_int(st->ops->put(st, k, 5, now + 600, now, &err), AJWT_OK, "put %s",
           err.text);
    is_int(f.calls, 1, "first use: one replay");
    raw_get(SAOF, "ajwt:seed", seed0, sizeof(seed0));
    stop_server(SAOF, SIGTERM);
    if (!ok(start_server(SAOF, port, "yes"), "restarted with its AOF")) {
        return;
    }
    raw_get(SAOF, "ajwt:seed", seed1, sizeof(seed1));
    ok(strlen(seed0) == 16 && !strcmp(seed0, seed1), "seed kept (%s)",
       seed1);
    is_int(st->ops->get(st, k, &v, &found, now_s(), &err), AJWT_OK,
           "get after the restart %s", err.text);
    ok(found && v == 5, "data kept");
    is_int(f.calls, 1, "no replay needed");
}

/* S1 down: its keys fail fast, S0's keep working; then it comes back. */
static void outage(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, S1), 1);
    char ka[AJWT_STORE_KEY_MAX] = "", kb[AJWT_STORE_KEY_MAX] = "";
    char portb[16];
    apr_int64_t v, now = now_s(), vals[2];
    const char *keys[2];
    apr_time_t t0;
    double dt;
    int found, port = srv[S1].port, i, state[2];
    ajwt_status_t rv = AJWT_EINTERNAL;

    if (!ok(st != NULL, "store made")) {
        return;
    }
    for (i = 0; i < 100 && !(ka[0] && kb[0]); i++) {
        char k[AJWT_STORE_KEY_MAX];
        ajwt_store_key_jti(k, apr_psprintf(p, "outage-%d-%d", (int)getpid(),
                                           i));
        st->ops->put(st, k, i, now + 600, now, NULL);
        if (!ka[0] && holds(S0, k)) {
            strcpy(ka, k);
        }
        else if (!kb[0] && holds(S1, k)) {
            strcpy(kb, k);
        }
    }
    if (!ok(ka[0] && kb[0], "a key on each server")) {
        return;
    }
    snprintf(portb, sizeof(portb), ":%d", port);
    stop_server(S1, SIGKILL);
    {
        ajwt_err_t err = { 0 };
        found = -1;
        t0 = apr_time_now();
        rv = st->ops->get(st, kb, &v, &found, now, &err);
        dt = since(t0);
        is_int(rv, AJWT_ESTORE, "get on the dead server: store error");
        is_int(found, 0, "not found");
        ok(dt < 1.0, "answered in %.3f s", dt);
        ok(strstr(err.text, portb) && strstr(err.text, kb), "reason names "
           "server and key: %s", err.text);
    }
    {
        ajwt_err_t err = { 0 };
        t0 = apr_time_now();
        is_int(st->ops->get(st, kb, &v, &found, now, &err), AJWT_ESTORE,
               "again: store error (%s)", err.text);
        is_int(st->ops->put(st, kb, 1, now + 600, now, NULL), AJWT_ESTORE,
               "put on the dead server: store error");
        is_int(st->ops->incr(st, kb, &v, now + 600, now, NULL), AJWT_ESTORE,
               "incr on the dead server: store error");
        ok(since(t0) < 0.1, "while skipped, no network wait (%.3f s)",
           since(t0));
    }
    is_int(st->ops->get(st, ka, &v, &found, now, NULL), AJWT_OK,
           "the other server still answers");
    is_int(found, 1, "its key found (not moved)");
    {
        ajwt_err_t err = { 0 };
        keys[0] = ka;
        keys[1] = kb;
        is_int(st->ops->get_many(st, keys, 2, vals, state, now, &err),
               AJWT_ESTORE, "get_many over both: store error");
        ok(state[0] == AJWT_STORE_FOUND && state[1] == AJWT_STORE_UNKNOWN,
           "the live server's key answered, the dead one's UNKNOWN");
    }
    if (!ok(start_server(S1, port, "no"), "restarted on port %d", port)) {
        return;
    }
    is_int(st->ops->get(st, kb, &v, &found, now, NULL), AJWT_ESTORE,
           "still skipped within retry_timeout_s");
    {
        ajwt_err_t err = { 0 };
        is_int(st->ops->get(st, kb, &v, &found, now + 2, &err), AJWT_OK,
               "tried again after retry_timeout_s, no restart (%s)",
               err.text);
        is_int(found, 0, "the restarted server is empty (no replay source)");
    }
    is_int(st->ops->put(st, kb, 77, now + 600, now + 2, NULL), AJWT_OK,
           "put works again");
    st->ops->get(st, kb, &v, &found, now + 2, NULL);
    ok(found == 1 && v == 77, "round trip on the restarted server");
    ok(holds(S1, kb) && !holds(S0, kb), "stored on its own server");
}

/* A restart between two uses: the first use after it reconnects at once. */
static void bounce(apr_pool_t *p)
{
    ajwt_store_t *st = store(p, servers_of(p, S0, -1), 1);
    char k[AJWT_STORE_KEY_MAX];
    apr_int64_t v, now = now_s();
    int found, port = srv[S0].port;
    ajwt_err_t err = { 0 };

    if (!ok(st != NULL, "store made")) {
        return;
    }
    ajwt_store_key_jti(k, "bounce");
    is_int(st->ops->put(st, k, 3, now + 600, now, NULL), AJWT_OK, "put");
    stop_server(S0, SIGKILL);
    if (!ok(start_server(S0, port, "no"), "restarted")) {
        return;
    }
    is_int(st->ops->get(st, k, &v, &found, now, &err), AJWT_OK,
           "first get on the closed connection reconnects (%s)", err.text);
    is_int(found, 0, "empty");
    stop_server(S0, SIGKILL);
    if (!ok(start_server(S0, port, "no"), "restarted again")) {
        return;
    }
    is_int(st->ops->put(st, k, 4, now + 600, now, &err), AJWT_OK,
           "first put reconnects (%s)", err.text);
    st->ops->get(st, k, &v, &found, now, NULL);
    ok(found && v == 4, "and stored");
    stop_server(S0, SIGKILL);
    if (!ok(start_server(S0, port, "no"), "restarted a third time")) {
        return;
    }
    is_int(st->ops->incr(st, k, &v, now + 600, now, &err), AJWT_OK,
           "first incr reconnects (%s)", err.text);
    is_int(v, 1, "counts from 1 on the empty server");
}

static void cases_main(apr_pool_t *p)
{
    static const struct { const char *name; unit_fn fn; } cases[] = {
        { "tls_refused", tls_refused }, { "tls", tls },
        { "round_trip", round_trip }, { "expiry", expiry },
        { "counter", counter }, { "bad_values", bad_values },
        { "bad_keys", bad_keys }, { "check_trips", check_trips },
        { "spread", spread }, { "threads", threads }, { "forked", forked },
        { "incr_race", incr_race }, { "blackhole", blackhole },
        { "acl", acl },
        { "restore_first_use", restore_first_use },
        { "restore_restart", restore_restart },
        { "restore_flush", restore_flush },
        { "restore_per_store", restore_per_store },
        { "restore_failure", restore_failure },
        { "persistence", persistence },
        { "outage", outage }, { "bounce", bounce },
    };
    size_t i;
    cases_pool = p;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        apr_pool_t *sub;
        apr_pool_create(&sub, p);
        unit_case = cases[i].name;
        cases[i].fn(sub);
        apr_pool_destroy(sub);
    }
}

int main(void)
{
    unit_fn fns[] = { config_errors, cases_main };
    const char *tmp = getenv("TMPDIR");

    redis_bin = find_redis();
    if (!redis_bin) {
        printf("1..0 # SKIP redis-server not installed\n");
        return 0;
    }
    snprintf(top_dir, sizeof(top_dir), "%s/ajwt-redis-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(top_dir)) {
        printf("1..0 # SKIP cannot make a temporary directory\n");
        return 0;
    }
    server_cleanup_on_exit(stop_all);   /* in this process, not a child */
    srv[SACL].extra = "user default off\nuser ajwt on >s3cret ~* +@all\n";
    srv[SACL].user = "ajwt";
    srv[SACL].pass = "s3cret";
    srv[SPASS].extra = "requirepass \"two words\"\n";
    srv[SPASS].pass = "two words";
    if (!start_server(S0, 0, "no") || !start_server(S1, 0, "no")
        || !start_server(SAOF, 0, "yes") || !start_server(SACL, 0, "no")) {
        printf("1..0 # SKIP could not start %s on 127.0.0.1\n", redis_bin);
        return 0;
    }
    return unit_main("config_errors, cases", fns, 2);
}
