/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_store_redis.c: the revocation store in one or more Redis servers,
 * through hiredis' synchronous API, so that every server behind a load
 * balancer sees the same revocations.
 *
 * Choices, and why:
 * - Distribution: jump consistent hash (Lamping and Veach, 2014) of a
 *   64-bit FNV-1a hash of the key, over the servers in the order they are
 *   listed. Each key lives on exactly one server. No ring to build or keep
 *   per process (ketama needs 100+ MD5 points per server), an exact share
 *   per server, and appending a server moves only 1/(n+1) of the keys.
 *   The price: a key's server is decided by its position in the list, so
 *   every web server and tool must list the same servers in the same
 *   order (append new ones at the end). Redis Cluster is not spoken: the
 *   servers are independent, and we address each one directly.
 * - A dead server is never replaced by a survivor: its keys answer
 *   AJWT_ESTORE, fast, and the glue applies AuthJWTRevocationFailure,
 *   while the other servers' keys keep working. Moving its keys would send
 *   lookups to a server that never saw those revocations (revoked tokens
 *   would pass without a word), and revocations made during the outage
 *   would be lost again when it came back. After a failure the server is
 *   skipped by that thread, with no network wait, until retry_timeout_s of
 *   the caller's clock have passed (whole seconds, as in ajwt_store_mc.c),
 *   then tried again: no restart needed. A connection that worked before
 *   and is found closed (the server restarted in between) is reopened and
 *   the command sent again at once, so a restart costs no failed request;
 *   a timeout is not retried, so no wait is ever doubled.
 * - Timeouts: redisConnectWithTimeout (connect_timeout_ms) and
 *   redisSetTimeout (timeout_ms, SO_RCVTIMEO/SO_SNDTIMEO: each read and
 *   write of a command) both default to 300 ms; TCP keepalive finds dead
 *   peers of idle connections. Host names are resolved by getaddrinfo,
 *   which has no timeout of ours: list addresses, or names in /etc/hosts.
 * - One redisContext per server per thread, opened on first use and kept
 *   in thread-specific data: a context is not thread-safe, and one per
 *   request would open a connection per request. The handle remembers its
 *   process id. One inherited through fork() (a prefork child of a parent
 *   that used the store) is never used, and is freed: redisFree() sends
 *   nothing (hiredis 0.14 and 1.x only close the descriptor; SSL_free()
 *   sends no close_notify), and closing the child's copy of a descriptor
 *   leaves the parent's socket open. Using it would mix two processes'
 *   replies on one stream; leaving it would leak its buffers.
 * - Commands go as argument vectors (redisAppendCommandArgv): binary-safe,
 *   so nothing in a key or a password can inject a command. AUTH is sent
 *   on connect: "AUTH user password" (Redis 6 ACL) when a user is set,
 *   else "AUTH password". The password is never put in an error text.
 * - Writes: "SET key value EXAT expires" (absolute seconds, as the store
 *   keeps them: Redis >= 6.2); a put whose expiry is already over deletes
 *   the key, as the shm store's overwrite with an expired entry does. Values
 *   are decimal text, parsed strictly on the way back. incr is one EVAL:
 *   EXISTS, INCR, EXPIREAT only when the key was new, so an existing key
 *   keeps its own expiry and concurrent incrs from any number of processes
 *   are serialised by the server: exactly one of them sees 1 (the refresh
 *   rotation claim). After a stale connection incr is sent again like the
 *   others: a count that did reach the old connection is at worst counted
 *   twice, which makes a claim lost (refused as raced), never two winners.
 * - Servers found empty (restarted without persistence, FLUSHALL, evicted:
 *   see the restore protocol below): every command to a server carries
 *   "GET ajwt:seed" in the same round trip (in the MGET of a lookup, in
 *   the EVAL of an incr, pipelined after a SET), and an answer is only
 *   trusted when the seed is the one this process restored into.
 *
 * The restore protocol, per server, per process:
 *   The seed entry "ajwt:seed" (no expiry) holds a random 64-bit
 *   incarnation, 16 hex digits. Each process remembers, per server, the
 *   incarnation it replayed its journal into (restored, 0: none; inherited
 *   by a fork: the parent's replay covered the same journal). When a reply
 *   carries another seed or none, the request is not answered from it:
 *   1. only one thread of a process restores a server at once (trylock:
 *      the others answer AJWT_ESTORE meanwhile, they do not wait), and not
 *      within retry_timeout_s of a failed restore;
 *   2. no seed: "SET ajwt:seed <random> NX", then GET it: ours, or a racing
 *      process's, is this incarnation S (a seed that is not 16 hex digits
 *      is overwritten). A seed present but unknown to this process is S.
 *      The seed goes first so that a server that restarts during the replay
 *      is caught by step 4 (a seed written after the replay could mark a
 *      server emptied in between as restored);
 *   3. with a replay source (conf->replay: the journal), every live record
 *      whose key maps to this server is written back, pipelined, by a Lua
 *      script that never lowers what is there: an absent key is SET with
 *      its EXAT; a subject entry ("ajwt:s:") keeps the larger time; a
 *      family entry keeps 0 (revoked), else the larger generation; any
 *      other key already present is kept (it was written after the record);
 *      a value that is not one of ours is kept (it counts as revoked);
 *   4. GET ajwt:seed again: still S, then S is remembered as restored, the
 *      restore counted (ajwt_store_redis_restores()) and the request
 *      answered, a get or put being sent again (its first answer came from
 *      before the restore); else the server changed during the replay, and
 *      all of it is tried once more.
 *   A process that sees a server for the first time replays into it too:
 *   it cannot tell whether that incarnation ever received its records
 *   (that replay is not counted as a restore: it is no event). A
 *   failed restore leaves the server's keys at AJWT_ESTORE until a later
 *   try (at most one per retry_timeout_s per process) succeeds.
 *   Limits: with persistence (AOF everysec, RDB) a crash can lose the
 *   last writes while the seed survives, which this cannot see: use
 *   appendfsync always, or no persistence at all (every restart is then
 *   seen and replayed). Use maxmemory-policy noeviction (the default):
 *   every entry of ours but the seed has an expiry, so volatile-* policies
 *   would evict revocations without a trace.
 * - SIGPIPE: hiredis writes with write(), which raises SIGPIPE on a socket
 *   the server closed. httpd ignores SIGPIPE; when a thread's handle is
 *   made while it is not ignored (a tool), each exchange blocks it and
 *   takes away one that it raised, as libpq does.
 * - TLS (rediss://, only when configure found hiredis_ssl >= 1.0): our own
 *   OpenSSL SSL_CTX (peer verified against ca_file or the system's CAs,
 *   TLS >= 1.2) and, per connection, an SSL with SNI and the host name (or
 *   IP address) checked against the certificate, handed to
 *   redisInitiateSSL(). redisInitiateSSLWithContext() would check the
 *   chain but not the name, so any certificate of a trusted CA would do.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <apr_strings.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#ifdef AJWT_HAVE_REDIS_TLS
#include <hiredis/hiredis_ssl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif
#include "ajwt_store.h"

#define RD_DEFAULT_PORT         6379
#define RD_DEFAULT_CONNECT_MS   AJWT_STORE_TIMEOUT_MS
#define RD_DEFAULT_TIMEOUT_MS   AJWT_STORE_TIMEOUT_MS
#define RD_DEFAULT_RETRY_S      AJWT_STORE_RETRY_S
#define RD_VALUE_MAX            24          /* "-9223372036854775808" */
#define RD_KEYS_MAX             16          /* keys of one get_many */
#define RD_ARGS_MAX             (RD_KEYS_MAX + 2)
#define RD_SEED_KEY             "ajwt:seed"
#define RD_SEED_HEX             16
#define RD_REPLAY_BATCH         256         /* commands per round trip */
#define RD_REASON_MAX           160
#define RD_NAME_MAX             272         /* host (253) ":" port */
#define RD_HOST_MAX             253
#define RD_EXPIRES_MAX          APR_INT64_C(100000000000000)  /* EXAT cap */

/*
 * incr: KEYS[1] the counter, KEYS[2] the seed; ARGV[1] its expiry for a
 * new key. Returns { count, seed or nil }. The Lua number is a double:
 * exact to 2^53, far beyond any count of ours.
 */
static const char incr_lua[] =
    "local new = redis.call('EXISTS', KEYS[1]) == 0\n"
    "local n = redis.call('INCR', KEYS[1])\n"
    "if new then redis.call('EXPIREAT', KEYS[1], ARGV[1]) end\n"
    "return { n, redis.call('GET', KEYS[2]) }\n";

/*
 * restore of one record: KEYS[1]; ARGV value, expires, now, mode ("n":
 * keep what is there, "m": the larger, "f": 0 wins, else the larger).
 * Values are compared as decimal strings (a double would lose the low bits
 * of a family entry); one that is not canonical is not ours and is kept.
 * Returns 1 when written, 0 when what was there was kept.
 */
static const char restore_lua[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if not cur then\n"
    "  redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])\n"
    "  return 1\n"
    "end\n"
    "local mode, new = ARGV[4], ARGV[1]\n"
    "if mode == 'n' then return 0 end\n"
    "if #cur > 20 or not (cur == '0' or string.match(cur, '^-?[1-9]%d*$'))"
    " then return 0 end\n"
    "local function less(a, b)\n"
    "  local an, bn = a:sub(1, 1) == '-', b:sub(1, 1) == '-'\n"
    "  if an ~= bn then return an end\n"
    "  if an then a, b = b:sub(2), a:sub(2) end\n"
    "  if #a ~= #b then return #a < #b end\n"
    "  return a < b\n"
    "end\n"
    "local take\n"
    "if mode == 'f' and cur == '0' then take = false\n"
    "elseif mode == 'f' and new == '0' then take = true\n"
    "else take = less(cur, new) end\n"
    "if not take then return 0 end\n"
    "local exp, ttl = ARGV[2], redis.call('TTL', KEYS[1])\n"
    "if ttl > 0 and tonumber(ARGV[3]) + ttl > tonumber(exp) then\n"
    "  exp = string.format('%.0f', tonumber(ARGV[3]) + ttl)\n"
    "end\n"
    "redis.call('SET', KEYS[1], new, 'EXAT', exp)\n"
    "return 1\n";

typedef struct {
    char *host;
    int port;
    char name[RD_NAME_MAX];     /* "host:port", for error texts */
    apr_uint64_t restored;      /* seed this process replayed into, 0:
                                 * none (atomic) */
    apr_int64_t restore_after;  /* no restore before (atomic) */
    pthread_mutex_t lock;       /* one restore at once (trylock) */
    int lock_made;
} rd_server_t;

typedef struct {
    rd_server_t *srv;
    int nsrv;
    int connect_ms;
    int timeout_ms;
    int retry_s;
    const char *user;
    char *password;             /* our copy, cleansed by the cleanup */
    size_t password_len;
    ajwt_store_replay_fn replay;
    void *replay_src;
    pthread_key_t key;          /* -> rd_handle_t of the calling thread */
    int key_made;
    apr_uint64_t restores;      /* atomic */
    pthread_mutex_t text_lock;  /* last_restore */
    int text_lock_made;
    char last_restore[AJWT_ERR_TEXT];
#ifdef AJWT_HAVE_REDIS_TLS
    SSL_CTX *ssl_ctx;
#endif
} rd_impl_t;

typedef struct {
    redisContext *c;
    int used;                   /* an exchange worked on c */
    apr_int64_t down_until;     /* skipped while now <= this */
    char why[RD_REASON_MAX];    /* the failure that put it down */
} rd_conn_t;

typedef struct {
    pid_t pid;                  /* the process that made it */
    int mask_pipe;              /* SIGPIPE was not ignored */
    int n;
    rd_conn_t conn[];
} rd_handle_t;

static const ajwt_store_ops_t rd_ops;

/* ------------------------------------------------------------ handles */

static void handle_free(void *data)
{
    rd_handle_t *h = data;
    int i;
    if (h) {
        /* also for a handle inherited through fork: see the top */
        for (i = 0; i < h->n; i++) {
            if (h->conn[i].c) {
                redisFree(h->conn[i].c);
            }
        }
        free(h);
    }
}

static apr_status_t rd_cleanup(void *data)
{
    rd_impl_t *impl = data;
    int i;
    if (impl->key_made) {
        /* pthread_key_delete() runs no destructor: free ours here; other
         * threads' handles were freed when they exited */
        handle_free(pthread_getspecific(impl->key));
        pthread_setspecific(impl->key, NULL);
        pthread_key_delete(impl->key);
        impl->key_made = 0;
    }
    for (i = 0; i < impl->nsrv; i++) {
        if (impl->srv[i].lock_made) {
            pthread_mutex_destroy(&impl->srv[i].lock);
            impl->srv[i].lock_made = 0;
        }
    }
    if (impl->text_lock_made) {
        pthread_mutex_destroy(&impl->text_lock);
        impl->text_lock_made = 0;
    }
    if (impl->password) {
        OPENSSL_cleanse(impl->password, impl->password_len);
        impl->password = NULL;
    }
#ifdef AJWT_HAVE_REDIS_TLS
    if (impl->ssl_ctx) {
        SSL_CTX_free(impl->ssl_ctx);
        impl->ssl_ctx = NULL;
    }
#endif
    return APR_SUCCESS;
}

/* The calling thread's handle, made on first use; NULL with err set. */
static rd_handle_t *thread_handle(ajwt_store_t *st, ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    rd_handle_t *h = pthread_getspecific(impl->key);
    struct sigaction sa;
    pid_t pid = getpid();

    if (h && h->pid == pid) {
        return h;
    }
    if (h) {
        /* inherited through fork(): its sockets are the parent's */
        pthread_setspecific(impl->key, NULL);
        handle_free(h);
    }
    h = calloc(1, sizeof(*h) + (size_t)impl->nsrv * sizeof(rd_conn_t));
    if (!h) {
        ajwt_err_set(err, AJWT_EINTERNAL, "redis: out of memory");
        return NULL;
    }
    h->pid = pid;
    h->n = impl->nsrv;
    h->mask_pipe = sigaction(SIGPIPE, NULL, &sa) != 0
                   || sa.sa_handler != SIG_IGN;
    if (pthread_setspecific(impl->key, h)) {
        free(h);
        ajwt_err_set(err, AJWT_EINTERNAL, "redis: cannot keep handle");
        return NULL;
    }
    return h;
}

/* ------------------------------------------------------------ SIGPIPE */

typedef struct {
    int on;
    int was_pending;
    sigset_t old;
} pipe_guard_t;

static void guard_on(const rd_handle_t *h, pipe_guard_t *g)
{
    sigset_t s, pend;
    g->on = h->mask_pipe;
    if (!g->on) {
        return;
    }
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    g->was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, &g->old);
}

static void guard_off(pipe_guard_t *g)
{
    sigset_t s, pend;
    int e = errno;
    if (!g->on) {
        return;
    }
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    if (!g->was_pending && sigpending(&pend) == 0
        && sigismember(&pend, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        while (sigtimedwait(&s, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
    errno = e;
}

/* ------------------------------------------------------------ helpers */

/* Keys come from ajwt_store_key_*(); anything else is a caller's bug, and
 * is not echoed (it might be a raw jti or worse). The seed is ours. */
static int key_ok(const char *key, size_t *len)
{
    size_t i;
    *len = key ? strlen(key) : 0;
    if (*len == 0 || *len >= AJWT_STORE_KEY_MAX
        || !strcmp(key, RD_SEED_KEY)) {
        return 0;
    }
    for (i = 0; i < *len; i++) {
        if (key[i] <= ' ' || key[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* FNV-1a, 64 bits: the keys end in base64url digests, so this only has
 * to be stable and cheap; jump() mixes further. */
static apr_uint64_t key_hash(const char *key)
{
    apr_uint64_t h = APR_UINT64_C(14695981039346656037);
    for (; *key; key++) {
        h ^= (unsigned char)*key;
        h *= APR_UINT64_C(1099511628211);
    }
    return h;
}

/* Jump consistent hash: the bucket in [0, n) of key. */
static int jump(apr_uint64_t key, int n)
{
    apr_int64_t b = -1, j = 0;
    while (j < n) {
        b = j;
        key = key * APR_UINT64_C(2862933555777941757) + 1;
        j = (apr_int64_t)((double)(b + 1)
                          * ((double)(APR_INT64_C(1) << 31)
                             / (double)((key >> 33) + 1)));
    }
    return (int)b;
}

static int server_of(const rd_impl_t *impl, const char *key)
{
    return impl->nsrv == 1 ? 0 : jump(key_hash(key), impl->nsrv);
}

/* Strict decimal: optional '-', 1 to 19 digits, no sign '+', no spaces,
 * no overflow, no "-0" (as in ajwt_store_mc.c). */
static int parse_value(const char *s, size_t len, apr_int64_t *out)
{
    apr_uint64_t v = 0, lim = APR_INT64_MAX;
    size_t i = 0;
    int neg = 0;

    if (len && s[0] == '-') {
        neg = 1;
        lim = (apr_uint64_t)APR_INT64_MAX + 1;
        i = 1;
    }
    if (i == len || len - i > 19) {
        return 0;
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (apr_uint64_t)(s[i] - '0');
        if (v > lim) {
            return 0;
        }
    }
    if (neg && v == 0) {
        return 0;
    }
    *out = neg ? (apr_int64_t)(0 - v) : (apr_int64_t)v;
    return 1;
}

/* The seed in a reply: 1 and *seed (never 0) when it is 16 hex digits,
 * 0 when there is none, -1 when it is something else. */
static int parse_seed(const redisReply *r, apr_uint64_t *seed)
{
    apr_uint64_t v = 0;
    size_t i;

    *seed = 0;
    if (!r || r->type == REDIS_REPLY_NIL) {
        return 0;
    }
    if (r->type != REDIS_REPLY_STRING || r->len != RD_SEED_HEX) {
        return -1;
    }
    for (i = 0; i < RD_SEED_HEX; i++) {
        char c = r->str[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
            return -1;
        }
        v = v << 4 | (apr_uint64_t)d;
    }
    if (v == 0) {
        return -1;
    }
    *seed = v;
    return 1;
}

/* A server's text for an error: cut, control characters as '?', and
 * withheld whole if it holds the password (a proxy echoing AUTH). */
static const char *reply_text(const rd_impl_t *impl, char *buf,
                              size_t size, const char *s, size_t len)
{
    size_t i, n = len < size - 1 ? len : size - 1;
    if (impl->password && impl->password_len
        && len >= impl->password_len) {
        for (i = 0; i + impl->password_len <= len; i++) {
            if (!memcmp(s + i, impl->password, impl->password_len)) {
                apr_cpystrn(buf, "(reply withheld: it holds the password)",
                            size);
                return buf;
            }
        }
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[n] = '\0';
    return buf;
}

static struct timeval tv_ms(int ms)
{
    struct timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

static apr_int64_t load64(const apr_int64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static apr_uint64_t loadu64(const apr_uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static int seed_trusted(const rd_impl_t *impl, int i, int have,
                        apr_uint64_t seed)
{
    return have == 1 && loadu64(&impl->srv[i].restored) == seed;
}

/* ------------------------------------------------------------ commands */

typedef struct {
    int argc;
    const char *argv[RD_ARGS_MAX];
    size_t len[RD_ARGS_MAX];
} rd_cmd_t;

static void cmd_arg(rd_cmd_t *c, const char *s, size_t len)
{
    c->argv[c->argc] = s;
    c->len[c->argc++] = len;
}

static void cmd_str(rd_cmd_t *c, const char *s)
{
    cmd_arg(c, s, strlen(s));
}

/*
 * Put conn i down: skipped until now + retry_s, the reason kept for the
 * texts of the skipped requests. The connection, if any, is closed. A
 * failure of the connection itself (connect, TLS, AUTH: conn set) names
 * the request after the reason.
 */
static ajwt_status_t conn_down(rd_impl_t *impl, rd_conn_t *cn, int i,
                               const char *op, const char *key, int conn,
                               apr_int64_t now, const char *reason,
                               ajwt_err_t *err)
{
    if (cn->c) {
        redisFree(cn->c);
        cn->c = NULL;
    }
    cn->used = 0;
    cn->down_until = now + impl->retry_s;
    apr_cpystrn(cn->why, reason, sizeof(cn->why));
    if (conn) {
        return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s (%s of %s)",
                            impl->srv[i].name, reason, op, key);
    }
    return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: %s",
                        impl->srv[i].name, op, key, reason);
}

#ifdef AJWT_HAVE_REDIS_TLS
static int tls_start(rd_impl_t *impl, redisContext *c, const char *host,
                     char *why, size_t size)
{
    SSL *ssl = SSL_new(impl->ssl_ctx);
    if (!ssl) {
        apr_cpystrn(why, "TLS: cannot make a session", size);
        return -1;
    }
    /* an address is checked against the certificate's IP entries, a name
     * against its DNS names (and sent as SNI) */
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) {
        if (SSL_set_tlsext_host_name(ssl, host) != 1
            || SSL_set1_host(ssl, host) != 1) {
            SSL_free(ssl);
            apr_cpystrn(why, "TLS: cannot set the host name", size);
            return -1;
        }
    }
    if (redisInitiateSSL(c, ssl) != REDIS_OK) {
        long v = SSL_get_verify_result(ssl);
        SSL_free(ssl);          /* not taken by the context on failure */
        apr_snprintf(why, size, "TLS: %s%s%s", c->errstr,
                     v != X509_V_OK ? ": " : "",
                     v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
        return -1;
    }
    return 0;
}
#endif

/* Connect conn i, set timeouts and keepalive, TLS, AUTH. */
static ajwt_status_t conn_open(rd_impl_t *impl, rd_handle_t *h, int i,
                               const char *op, const char *key,
                               apr_int64_t now, ajwt_err_t *err)
{
    rd_server_t *s = &impl->srv[i];
    rd_conn_t *cn = &h->conn[i];
    char why[RD_REASON_MAX], text[RD_REASON_MAX];
    redisContext *c;
    redisReply *r = NULL;
    pipe_guard_t g;

    c = redisConnectWithTimeout(s->host, s->port, tv_ms(impl->connect_ms));
    if (!c) {
        return conn_down(impl, cn, i, op, key, 1, now,
                         "connect: out of memory", err);
    }
    cn->c = c;
    cn->used = 0;
    if (c->err) {
        apr_snprintf(why, sizeof(why), "connect: %s", c->errstr);
        return conn_down(impl, cn, i, op, key, 1, now, why, err);
    }
    if (redisSetTimeout(c, tv_ms(impl->timeout_ms)) != REDIS_OK
        || redisEnableKeepAlive(c) != REDIS_OK) {
        apr_snprintf(why, sizeof(why), "socket options: %s",
                     c->errstr[0] ? c->errstr : strerror(errno));
        return conn_down(impl, cn, i, op, key, 1, now, why, err);
    }
#ifdef AJWT_HAVE_REDIS_TLS
    if (impl->ssl_ctx) {
        guard_on(h, &g);
        if (tls_start(impl, c, s->host, why, sizeof(why))) {
            guard_off(&g);
            return conn_down(impl, cn, i, op, key, 1, now, why, err);
        }
        guard_off(&g);
    }
#endif
    if (!impl->password) {
        return AJWT_OK;
    }
    guard_on(h, &g);
    if (impl->user) {
        r = redisCommand(c, "AUTH %s %b", impl->user, impl->password,
                         impl->password_len);
    }
    else {
        r = redisCommand(c, "AUTH %b", impl->password, impl->password_len);
    }
    guard_off(&g);
    if (!r) {
        apr_snprintf(why, sizeof(why), "authentication: %s",
                     c->errstr[0] ? c->errstr : "no reply");
        return conn_down(impl, cn, i, op, key, 1, now, why, err);
    }
    if (r->type == REDIS_REPLY_ERROR) {
        apr_snprintf(why, sizeof(why), "authentication failed: %s",
                     reply_text(impl, text, sizeof(text), r->str, r->len));
        freeReplyObject(r);
        return conn_down(impl, cn, i, op, key, 1, now, why, err);
    }
    if (r->type != REDIS_REPLY_STATUS) {
        freeReplyObject(r);
        return conn_down(impl, cn, i, op, key, 1, now, "authentication: "
                         "unexpected reply", err);
    }
    freeReplyObject(r);
    return AJWT_OK;
}

/*
 * A failure on a connection that worked before: the server closed it
 * (restarted, or timed out an idle client). Sending again on a new one
 * costs nothing when the server is really down (refused at once); a
 * timeout is not stale, so that no wait is ever doubled.
 */
static int stale(int type, int e)
{
    return type == REDIS_ERR_EOF
           || (type == REDIS_ERR_IO && (e == ECONNRESET || e == EPIPE
                                        || e == ENOTCONN
                                        || e == ECONNABORTED));
}

/*
 * One round trip to server i: ncmd commands written at once, their
 * replies read into rep[] (the caller frees them; error replies are
 * replies). On a stale connection the whole exchange is made once more on
 * a new one. AJWT_ESTORE (the server is then skipped for retry_s) or
 * AJWT_EINTERNAL.
 */
static ajwt_status_t exchange(ajwt_store_t *st, rd_handle_t *h, int i,
                              const char *op, const char *key,
                              rd_cmd_t *cmds, int ncmd,
                              redisReply **rep, apr_int64_t now,
                              ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    rd_conn_t *cn = &h->conn[i];
    char why[RD_REASON_MAX];
    ajwt_status_t rv;
    pipe_guard_t g;
    int attempt, k, got, type = 0, e = 0;

    for (k = 0; k < ncmd; k++) {
        rep[k] = NULL;
    }
    if (now <= cn->down_until) {
        return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: server "
                            "skipped for %" APR_INT64_T_FMT " s after a "
                            "failure (%s)", impl->srv[i].name, op, key,
                            cn->down_until - now + 1, cn->why);
    }
    for (attempt = 0; attempt < 2; attempt++) {
        int fresh;
        if (!cn->c
            && (rv = conn_open(impl, h, i, op, key, now, err)) != AJWT_OK) {
            return rv;
        }
        fresh = !cn->used;
        for (k = 0; k < ncmd; k++) {
            if (redisAppendCommandArgv(cn->c, cmds[k].argc, cmds[k].argv,
                                       cmds[k].len) != REDIS_OK) {
                redisFree(cn->c);
                cn->c = NULL;
                return ajwt_err_set(err, AJWT_EINTERNAL, "redis %s: out of "
                                    "memory", impl->srv[i].name);
            }
        }
        guard_on(h, &g);
        for (got = 0; got < ncmd; got++) {
            void *r = NULL;
            if (redisGetReply(cn->c, &r) != REDIS_OK || !r) {
                e = errno;
                break;
            }
            rep[got] = r;
        }
        guard_off(&g);
        if (got == ncmd) {
            cn->used = 1;
            return AJWT_OK;
        }
        for (k = 0; k < got; k++) {
            freeReplyObject(rep[k]);
            rep[k] = NULL;
        }
        type = cn->c->err;
        apr_snprintf(why, sizeof(why), "%s", cn->c->errstr[0]
                     ? cn->c->errstr : "no reply");
        redisFree(cn->c);
        cn->c = NULL;
        cn->used = 0;
        if (fresh || !stale(type, e)) {
            break;
        }
    }
    return conn_down(impl, cn, i, op, key, 0, now, why, err);
}

static void free_replies(redisReply **rep, int n)
{
    int k;
    for (k = 0; k < n; k++) {
        if (rep[k]) {
            freeReplyObject(rep[k]);
            rep[k] = NULL;
        }
    }
}

/* An error reply: the server is up (not skipped), the request failed. */
static ajwt_status_t reply_error(rd_impl_t *impl, int i, const char *op,
                                 const char *key, const redisReply *r,
                                 ajwt_err_t *err)
{
    char text[RD_REASON_MAX];
    if (r->type == REDIS_REPLY_ERROR) {
        return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: %s",
                            impl->srv[i].name, op, key,
                            reply_text(impl, text, sizeof(text), r->str,
                                       r->len));
    }
    return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: unexpected "
                        "reply (type %d)", impl->srv[i].name, op, key,
                        r->type);
}

/* ------------------------------------------------------------ restore */

typedef struct {
    rd_impl_t *impl;
    rd_handle_t *h;
    int i;
    apr_int64_t now;
    const char *sha;
    size_t sha_len;
    int pending;                /* commands written, replies not read */
    apr_uint64_t written, kept;
    int io_failed;              /* the connection broke */
    char why[RD_REASON_MAX];
} rd_replay_t;

/* Read the replies of the pending restore commands. 0, or -1 with
 * r->why set. */
static int replay_drain(rd_replay_t *r)
{
    redisContext *c = r->h->conn[r->i].c;
    char text[RD_REASON_MAX];
    int k, failed = 0;

    for (k = 0; k < r->pending; k++) {
        void *v = NULL;
        redisReply *rep;
        if (redisGetReply(c, &v) != REDIS_OK || !v) {
            apr_snprintf(r->why, sizeof(r->why), "%s", c->errstr[0]
                         ? c->errstr : "no reply");
            r->io_failed = 1;
            r->pending = 0;
            return -1;
        }
        rep = v;
        if (rep->type == REDIS_REPLY_INTEGER) {
            if (rep->integer) {
                r->written++;
            }
            else {
                r->kept++;
            }
        }
        else if (!failed) {
            failed = 1;
            apr_snprintf(r->why, sizeof(r->why), "restore script: %s",
                         rep->type == REDIS_REPLY_ERROR
                         ? reply_text(r->impl, text, sizeof(text), rep->str,
                                      rep->len)
                         : "unexpected reply");
        }
        freeReplyObject(rep);
    }
    r->pending = 0;
    return failed ? -1 : 0;
}

/* ajwt_store_rec_fn: one record of the replay source, written back when
 * its key lives on this server. */
static int replay_one(void *ctx, const char *key, apr_int64_t value,
                      apr_int64_t expires)
{
    rd_replay_t *r = ctx;
    rd_cmd_t cmd = { 0 };
    char vbuf[RD_VALUE_MAX], ebuf[RD_VALUE_MAX], nbuf[RD_VALUE_MAX];
    const char *mode = "n";
    size_t klen;

    if (r->why[0]) {
        return -1;              /* a batch failed: stop the replay */
    }
    if (!key_ok(key, &klen) || server_of(r->impl, key) != r->i
        || expires <= r->now) {
        return 0;
    }
    if (expires > RD_EXPIRES_MAX) {
        expires = RD_EXPIRES_MAX;
    }
    /* the rules of ajwt_store_merge(), applied on the server */
    if (!strncmp(key, "ajwt:s:", 7)) {
        mode = "m";
    }
    else if (!strncmp(key, "ajwt:f:", 7) && key[7] && key[8] != ':') {
        mode = "f";
    }
    apr_snprintf(vbuf, sizeof(vbuf), "%" APR_INT64_T_FMT, value);
    apr_snprintf(ebuf, sizeof(ebuf), "%" APR_INT64_T_FMT, expires);
    apr_snprintf(nbuf, sizeof(nbuf), "%" APR_INT64_T_FMT, r->now);
    cmd_str(&cmd, "EVALSHA");
    cmd_arg(&cmd, r->sha, r->sha_len);
    cmd_str(&cmd, "1");
    cmd_arg(&cmd, key, klen);
    cmd_str(&cmd, vbuf);
    cmd_str(&cmd, ebuf);
    cmd_str(&cmd, nbuf);
    cmd_str(&cmd, mode);
    if (redisAppendCommandArgv(r->h->conn[r->i].c, cmd.argc, cmd.argv,
                               cmd.len) != REDIS_OK) {
        apr_cpystrn(r->why, "out of memory", sizeof(r->why));
        return -1;
    }
    if (++r->pending >= RD_REPLAY_BATCH) {
        return replay_drain(r);
    }
    return 0;
}

static void random_seed(char hex[RD_SEED_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[8];
    apr_uint64_t v = 0;
    int k;

    /* RAND_bytes is fork-safe in OpenSSL 3; should it fail, the process
     * id and an address still make a value no other process picks */
    if (RAND_bytes(b, sizeof(b)) != 1) {
        apr_uint64_t x = (apr_uint64_t)getpid() << 32
                         ^ (apr_uint64_t)(apr_uintptr_t)b;
        memcpy(b, &x, sizeof(b));
    }
    for (k = 0; k < 8; k++) {
        v = v << 8 | b[k];
    }
    if (v == 0) {
        v = 1;
    }
    for (k = RD_SEED_HEX - 1; k >= 0; k--) {
        hex[k] = digits[v & 0xf];
        v >>= 4;
    }
    hex[RD_SEED_HEX] = '\0';
}

static void note_restore(rd_impl_t *impl, const char *text)
{
    __atomic_add_fetch(&impl->restores, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_lock(&impl->text_lock);
    apr_cpystrn(impl->last_restore, text, sizeof(impl->last_restore));
    pthread_mutex_unlock(&impl->text_lock);
}

/*
 * One attempt of steps 2 to 4 of the protocol (see the top) on this
 * thread's open connection to server i. 1: restored into *seed; 0: the
 * seed changed during the replay; -1: failed, why set (*io when the
 * connection broke).
 */
static int restore_once(rd_impl_t *impl, rd_handle_t *h, int i,
                        int have, apr_uint64_t seen, apr_int64_t now,
                        apr_uint64_t *seed, apr_uint64_t *written,
                        apr_uint64_t *kept, int *io, char *why,
                        size_t size)
{
    redisContext *c = h->conn[i].c;
    rd_cmd_t cmds[3];
    redisReply *rep[3] = { NULL, NULL, NULL };
    char hex[RD_SEED_HEX + 1], text[RD_REASON_MAX];
    int n = 0, k, state;
    apr_uint64_t s = seen, after;
    rd_replay_t r;

    *io = 0;
    memset(cmds, 0, sizeof(cmds));
    memset(&r, 0, sizeof(r));
    if (have != 1) {
        /* none: ours unless a racer's came first; not ours: replaced */
        random_seed(hex);
        cmd_str(&cmds[n], "SET");
        cmd_str(&cmds[n], RD_SEED_KEY);
        cmd_str(&cmds[n], hex);
        if (have == 0) {
            cmd_str(&cmds[n], "NX");
        }
        n++;
        cmd_str(&cmds[n], "GET");
        cmd_str(&cmds[n++], RD_SEED_KEY);
    }
    if (impl->replay) {
        cmd_str(&cmds[n], "SCRIPT");
        cmd_str(&cmds[n], "LOAD");
        cmd_arg(&cmds[n++], restore_lua, sizeof(restore_lua) - 1);
    }
    for (k = 0; k < n; k++) {
        if (redisAppendCommandArgv(c, cmds[k].argc, cmds[k].argv,
                                   cmds[k].len) != REDIS_OK) {
            apr_cpystrn(why, "out of memory", size);
            return -1;
        }
    }
    for (k = 0; k < n; k++) {
        void *v = NULL;
        if (redisGetReply(c, &v) != REDIS_OK || !v) {
            apr_snprintf(why, size, "%s", c->errstr[0] ? c->errstr
                                                       : "no reply");
            free_replies(rep, k);
            *io = 1;
            return -1;
        }
        rep[k] = v;
    }
    for (k = 0; k < n; k++) {
        if (rep[k]->type == REDIS_REPLY_ERROR) {
            apr_snprintf(why, size, "%s", reply_text(impl, text,
                                                     sizeof(text),
                                                     rep[k]->str,
                                                     rep[k]->len));
            free_replies(rep, n);
            return -1;
        }
    }
    if (have != 1) {
        if ((state = parse_seed(rep[1], &s)) != 1) {
            free_replies(rep, n);
            apr_cpystrn(why, state ? "seed unreadable after writing it"
                                   : "seed gone after writing it", size);
            return -1;
        }
    }
    if (impl->replay) {
        const redisReply *sha = rep[n - 1];
        ajwt_err_t rerr = { 0 };
        ajwt_status_t rv;

        if (sha->type != REDIS_REPLY_STRING) {
            free_replies(rep, n);
            apr_cpystrn(why, "SCRIPT LOAD: unexpected reply", size);
            return -1;
        }
        r.impl = impl;
        r.h = h;
        r.i = i;
        r.now = now;
        r.sha = sha->str;
        r.sha_len = sha->len;
        rv = impl->replay(impl->replay_src, now, replay_one, &r, &rerr);
        if (rv == AJWT_OK && r.pending) {
            replay_drain(&r);
        }
        else if (r.pending && !r.io_failed) {
            replay_drain(&r);   /* read what was sent before stopping */
        }
        if (rv != AJWT_OK || r.why[0]) {
            free_replies(rep, n);
            *io = r.io_failed;
            apr_snprintf(why, size, "replay: %s", r.why[0] ? r.why
                         : rerr.text[0] ? rerr.text : "failed");
            return -1;
        }
    }
    free_replies(rep, n);
    /* step 4: the same incarnation after the replay as before */
    rep[0] = redisCommand(c, "GET %s", RD_SEED_KEY);
    if (!rep[0]) {
        apr_snprintf(why, size, "%s", c->errstr[0] ? c->errstr : "no reply");
        *io = 1;
        return -1;
    }
    state = parse_seed(rep[0], &after);
    free_replies(rep, 1);
    *seed = s;
    *written = r.written;
    *kept = r.kept;
    return state == 1 && after == s ? 1 : 0;
}

/*
 * Server i answered with a seed this process has not restored into
 * (have: parse_seed()). Restore it (see the top), or say why not.
 * AJWT_OK: the server is now trusted, and *as_is is 1 when the answer
 * that carried the seed can be taken as it is (nothing was written back:
 * no replay source), 0 when it came from before the restore; AJWT_ESTORE
 * otherwise.
 */
static ajwt_status_t restore(ajwt_store_t *st, rd_handle_t *h, int i,
                             int have, apr_uint64_t seen, const char *op,
                             const char *key, int *as_is, apr_int64_t now,
                             ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    rd_server_t *s = &impl->srv[i];
    apr_int64_t after = load64(&s->restore_after);
    apr_uint64_t seed = 0, written = 0, kept = 0, known;
    char why[RD_REASON_MAX], text[AJWT_ERR_TEXT];
    const char *cause;
    pipe_guard_t g;
    int attempt, done = 0, io = 0;

    *as_is = 0;
    if (now <= after) {
        return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: server "
                            "not restored (a restore failed; next try in %"
                            APR_INT64_T_FMT " s)", s->name, op, key,
                            after - now + 1);
    }
    if (pthread_mutex_trylock(&s->lock)) {
        return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: server "
                            "being restored by another thread", s->name, op,
                            key);
    }
    known = loadu64(&s->restored);
    if (have == 1 && known == seen) {
        pthread_mutex_unlock(&s->lock);     /* another thread just did */
        return AJWT_OK;
    }
    if (have == 1 && !impl->replay) {
        /* nothing of ours to write back: the incarnation is taken as is,
         * and so is the answer read with it */
        __atomic_store_n(&s->restored, seen, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&s->lock);
        *as_is = 1;
        return AJWT_OK;
    }
    cause = have == 0 ? "found empty (no seed)"
            : have < 0 ? "found with a seed not ours"
            : known ? "seed changed (restarted or flushed)"
            : "first use by this process";
    why[0] = '\0';
    guard_on(h, &g);
    for (attempt = 0; attempt < 2 && !done; attempt++) {
        int rc = restore_once(impl, h, i, have, seen, now, &seed, &written,
                              &kept, &io, why, sizeof(why));
        if (rc < 0) {
            break;
        }
        if (rc == 1) {
            done = 1;
        }
        else {
            /* changed under us: start again from what is there now */
            apr_cpystrn(why, "the seed changed during the replay",
                        sizeof(why));
            have = 0;
            seen = 0;
        }
    }
    guard_off(&g);
    if (!done) {
        __atomic_store_n(&s->restore_after, now + impl->retry_s,
                         __ATOMIC_RELEASE);
        pthread_mutex_unlock(&s->lock);
        if (io) {
            char reason[RD_REASON_MAX];
            apr_snprintf(reason, sizeof(reason), "restore: %s", why);
            return conn_down(impl, &h->conn[i], i, op, key, 0, now,
                             reason, err);
        }
        return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: restore "
                            "failed: %s", s->name, op, key, why);
    }
    __atomic_store_n(&s->restored, seed, __ATOMIC_RELEASE);
    __atomic_store_n(&s->restore_after, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&s->lock);
    if (impl->replay) {
        apr_snprintf(text, sizeof(text), "redis %s: %s: %" APR_UINT64_T_FMT
                     " records written back, %" APR_UINT64_T_FMT " kept "
                     "(already there), seed %016" APR_UINT64_T_HEX_FMT,
                     s->name, cause, written, kept, seed);
    }
    else {
        apr_snprintf(text, sizeof(text), "redis %s: %s: seeded (%016"
                     APR_UINT64_T_HEX_FMT "), no replay source", s->name,
                     cause, seed);
    }
    if (known || have != 1) {
        /* as ajwt_store_mc_restores(): a process's first look at a server
         * that holds a seed is a replay, not an event for the log */
        note_restore(impl, text);
    }
    return AJWT_OK;
}

/* ------------------------------------------------------------ the ops */

/*
 * What a reply's seed means for server i: AJWT_OK with *trusted 1 (the
 * incarnation this process restored into), or 0 after a restore made now
 * (the caller sends again, or keeps what it got: incr), or AJWT_ESTORE.
 */
static ajwt_status_t check_seed(ajwt_store_t *st, rd_handle_t *h, int i,
                                const redisReply *seed_rep, const char *op,
                                const char *key, int *trusted,
                                apr_int64_t now, ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    apr_uint64_t seed;
    int have;

    if (seed_rep->type == REDIS_REPLY_ERROR) {
        return reply_error(impl, i, op, key, seed_rep, err);
    }
    have = parse_seed(seed_rep, &seed);
    if (seed_trusted(impl, i, have, seed)) {
        *trusted = 1;
        return AJWT_OK;
    }
    return restore(st, h, i, have, seed, op, key, trusted, now, err);
}

static ajwt_status_t rd_put(ajwt_store_t *st, const char *key,
                            apr_int64_t value, apr_int64_t expires,
                            apr_int64_t now, ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    rd_handle_t *h;
    rd_cmd_t cmds[2];
    redisReply *rep[2];
    char vbuf[RD_VALUE_MAX], ebuf[RD_VALUE_MAX];
    const char *op = expires > now ? "set" : "del";
    ajwt_status_t rv;
    size_t klen;
    int i, attempt, trusted;

    if (!key_ok(key, &klen)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "redis: invalid key "
                            "(%lu bytes)", (unsigned long)klen);
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    i = server_of(impl, key);
    memset(cmds, 0, sizeof(cmds));
    if (expires > now) {
        apr_snprintf(vbuf, sizeof(vbuf), "%" APR_INT64_T_FMT, value);
        apr_snprintf(ebuf, sizeof(ebuf), "%" APR_INT64_T_FMT,
                     expires > RD_EXPIRES_MAX ? RD_EXPIRES_MAX : expires);
        cmd_str(&cmds[0], "SET");
        cmd_arg(&cmds[0], key, klen);
        cmd_str(&cmds[0], vbuf);
        cmd_str(&cmds[0], "EXAT");
        cmd_str(&cmds[0], ebuf);
    }
    else {
        /* already over: gone, as an expired entry is for the shm store */
        cmd_str(&cmds[0], "DEL");
        cmd_arg(&cmds[0], key, klen);
    }
    cmd_str(&cmds[1], "GET");
    cmd_str(&cmds[1], RD_SEED_KEY);
    for (attempt = 0; attempt < 2; attempt++) {
        if ((rv = exchange(st, h, i, op, key, cmds, 2, rep, now, err))) {
            return rv;
        }
        if (rep[0]->type == REDIS_REPLY_ERROR
            || (expires > now && rep[0]->type != REDIS_REPLY_STATUS)
            || (expires <= now && rep[0]->type != REDIS_REPLY_INTEGER)) {
            rv = reply_error(impl, i, op, key, rep[0], err);
            free_replies(rep, 2);
            return rv;
        }
        rv = check_seed(st, h, i, rep[1], op, key, &trusted, now, err);
        free_replies(rep, 2);
        if (rv || trusted) {
            return rv;
        }
        /* restored just now: write again over what the replay put back */
    }
    return ajwt_err_set(err, AJWT_ESTORE, "redis %s: %s of %s: the server "
                        "changed again during the request",
                        impl->srv[i].name, op, key);
}

/*
 * Look up m keys (idx into keys) that live on server i with one MGET that
 * also reads the seed: one atomic snapshot of the keys and the seed.
 */
static ajwt_status_t server_get(ajwt_store_t *st, rd_handle_t *h, int i,
                                const char *const *keys, const size_t *klen,
                                const int *idx, int m, apr_int64_t *value,
                                int *state, apr_int64_t now, ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    rd_cmd_t cmd = { 0 };
    redisReply *rep;
    ajwt_status_t rv;
    int k, attempt, trusted;

    cmd_str(&cmd, "MGET");
    for (k = 0; k < m; k++) {
        cmd_arg(&cmd, keys[idx[k]], klen[idx[k]]);
    }
    cmd_str(&cmd, RD_SEED_KEY);
    for (attempt = 0; attempt < 2; attempt++) {
        if ((rv = exchange(st, h, i, "get", keys[idx[0]], &cmd, 1, &rep,
                           now, err))) {
            return rv;
        }
        if (rep->type != REDIS_REPLY_ARRAY
            || rep->elements != (size_t)m + 1) {
            rv = reply_error(impl, i, "get", keys[idx[0]], rep, err);
            freeReplyObject(rep);
            return rv;
        }
        rv = check_seed(st, h, i, rep->element[m], "get", keys[idx[0]],
                        &trusted, now, err);
        if (rv == AJWT_OK && trusted) {
            for (k = 0; k < m; k++) {
                const redisReply *e = rep->element[k];
                int j = idx[k];
                if (e->type == REDIS_REPLY_NIL) {
                    state[j] = AJWT_STORE_ABSENT;
                }
                else {
                    state[j] = e->type == REDIS_REPLY_STRING
                               && parse_value(e->str, e->len, &value[j])
                               ? AJWT_STORE_FOUND : AJWT_STORE_MALFORMED;
                }
            }
        }
        freeReplyObject(rep);
        if (rv || trusted) {
            return rv;
        }
        /* restored just now: the first answer was from before */
    }
    return ajwt_err_set(err, AJWT_ESTORE, "redis %s: get of %s: the server "
                        "changed again during the request",
                        impl->srv[i].name, keys[idx[0]]);
}

/*
 * Keys on one server: one MGET (one round trip); keys on different
 * servers: one round trip per server. A failed server leaves its keys
 * UNKNOWN and the others are still looked up.
 */
static ajwt_status_t rd_get_many(ajwt_store_t *st, const char *const *keys,
                                 int n, apr_int64_t *value, int *state,
                                 apr_int64_t now, ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    rd_handle_t *h;
    size_t klen[RD_KEYS_MAX];
    int srv[RD_KEYS_MAX], idx[RD_KEYS_MAX], done[RD_KEYS_MAX];
    ajwt_status_t rc = AJWT_OK, rv;
    int k, j, m;

    for (k = 0; k < n; k++) {
        state[k] = AJWT_STORE_UNKNOWN;
    }
    if (n < 1 || n > RD_KEYS_MAX) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "redis: %d keys at once",
                            n);
    }
    for (k = 0; k < n; k++) {
        if (!key_ok(keys[k], &klen[k])) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "redis: invalid key "
                                "(%lu bytes)", (unsigned long)klen[k]);
        }
        srv[k] = server_of(impl, keys[k]);
        done[k] = 0;
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    for (k = 0; k < n; k++) {
        if (done[k]) {
            continue;
        }
        for (j = k, m = 0; j < n; j++) {
            if (!done[j] && srv[j] == srv[k]) {
                idx[m++] = j;
                done[j] = 1;
            }
        }
        rv = server_get(st, h, srv[k], keys, klen, idx, m, value, state,
                        now, err);
        if (rv == AJWT_EINTERNAL) {
            return rv;
        }
        if (rv != AJWT_OK && rc == AJWT_OK) {
            rc = rv;
        }
    }
    return rc;
}

static ajwt_status_t rd_get(ajwt_store_t *st, const char *key,
                            apr_int64_t *value, int *found,
                            apr_int64_t now, ajwt_err_t *err)
{
    ajwt_status_t rv;
    int state;

    /* Redis expires entries itself: now is for skipping and restoring */
    *found = 0;
    if ((rv = rd_get_many(st, &key, 1, value, &state, now, err))) {
        return rv;
    }
    if (state == AJWT_STORE_MALFORMED) {
        /* not ours: fail like an unreachable store, never "not revoked";
         * ajwt_store_check() reads it through get_many, which tells it
         * apart */
        return ajwt_err_set(err, AJWT_ESTORE, "redis get of %s: malformed "
                            "value", key);
    }
    *found = state == AJWT_STORE_FOUND;
    return AJWT_OK;
}

static ajwt_status_t rd_incr(ajwt_store_t *st, const char *key,
                             apr_int64_t *value, apr_int64_t expires,
                             apr_int64_t now, ajwt_err_t *err)
{
    rd_impl_t *impl = st->impl;
    rd_handle_t *h;
    rd_cmd_t cmd = { 0 };
    redisReply *rep;
    char ebuf[RD_VALUE_MAX];
    ajwt_status_t rv;
    size_t klen;
    int i, trusted;

    if (!key_ok(key, &klen)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "redis: invalid key "
                            "(%lu bytes)", (unsigned long)klen);
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    if (expires <= now) {
        expires = now + 1;      /* as ajwt_store_mc.c: a second, not gone */
    }
    i = server_of(impl, key);
    apr_snprintf(ebuf, sizeof(ebuf), "%" APR_INT64_T_FMT,
                 expires > RD_EXPIRES_MAX ? RD_EXPIRES_MAX : expires);
    cmd_str(&cmd, "EVAL");
    cmd_arg(&cmd, incr_lua, sizeof(incr_lua) - 1);
    cmd_str(&cmd, "2");
    cmd_arg(&cmd, key, klen);
    cmd_str(&cmd, RD_SEED_KEY);
    cmd_str(&cmd, ebuf);
    if ((rv = exchange(st, h, i, "incr", key, &cmd, 1, &rep, now, err))) {
        return rv;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1
        || rep->element[0]->type != REDIS_REPLY_INTEGER) {
        rv = reply_error(impl, i, "incr", key, rep, err);
        freeReplyObject(rep);
        return rv;
    }
    *value = rep->element[0]->integer;
    /*
     * A restore now does not undo the count: counters are not journaled,
     * and counting again could make the one winner of a claim lose.
     */
    if (rep->elements > 1) {
        rv = check_seed(st, h, i, rep->element[1], "incr", key, &trusted,
                        now, err);
    }
    else {
        rv = restore(st, h, i, 0, 0, "incr", key, &trusted, now, err);
    }
    freeReplyObject(rep);
    return rv;
}

static const ajwt_store_ops_t rd_ops = { "redis", rd_put, rd_get, rd_incr,
                                         rd_get_many };

/* ------------------------------------------------------------ create */

/* One "host[:port]" item, trimmed, into srv. */
static ajwt_status_t parse_server(rd_server_t *srv, const char *item,
                                  apr_pool_t *p, ajwt_err_t *err)
{
    const char *colon;
    size_t hlen;
    long port = RD_DEFAULT_PORT;

    if (*item == '\0') {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis server list has an "
                            "empty item");
    }
    if (strstr(item, "://")) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%s': no "
                            "scheme here (host:port)", item);
    }
    if (*item == '[') {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%s': IPv6 "
                            "addresses are not supported (use a host name)",
                            item);
    }
    colon = strchr(item, ':');
    hlen = colon ? (size_t)(colon - item) : strlen(item);
    if (hlen == 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%s': no host",
                            item);
    }
    if (hlen > RD_HOST_MAX) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%.40s...': "
                            "host name too long", item);
    }
    if (strspn(item, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
               "0123456789.-_") < hlen || item[0] == '-'
        || item[0] == '.') {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%s': bad "
                            "character in host name", item);
    }
    if (colon) {
        const char *d = colon + 1;
        size_t n = strspn(d, "0123456789");
        if (n == 0 || n > 5 || d[n] != '\0') {
            return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%s': port "
                                "is not a number", item);
        }
        port = strtol(d, NULL, 10);
        if (port < 1 || port > 65535) {
            return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%s': port "
                                "out of range", item);
        }
    }
    srv->host = apr_pstrmemdup(p, item, hlen);
    srv->port = (int)port;
    apr_snprintf(srv->name, sizeof(srv->name), "%s:%d", srv->host,
                 srv->port);
    return AJWT_OK;
}

static ajwt_status_t parse_servers(rd_impl_t *impl, const char *s,
                                   apr_pool_t *p, ajwt_err_t *err)
{
    char *list, *item, *save = NULL;
    size_t n = strlen(s);
    ajwt_status_t rv;
    int count = 1, k;
    const char *c;

    if (s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,")) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis server list '%s' has "
                            "an empty item", s);
    }
    for (c = s; *c; c++) {
        count += *c == ',';
    }
    impl->srv = apr_pcalloc(p, (apr_size_t)count * sizeof(rd_server_t));
    list = apr_pstrdup(p, s);
    for (item = apr_strtok(list, ",", &save); item;
         item = apr_strtok(NULL, ",", &save)) {
        /* spaces around an item are harmless, inside one they are not */
        while (*item == ' ' || *item == '\t') {
            item++;
        }
        n = strlen(item);
        while (n && (item[n - 1] == ' ' || item[n - 1] == '\t')) {
            item[--n] = '\0';
        }
        if ((rv = parse_server(&impl->srv[impl->nsrv], item, p, err))) {
            return rv;
        }
        for (k = 0; k < impl->nsrv; k++) {
            if (!strcmp(impl->srv[k].name, impl->srv[impl->nsrv].name)) {
                /* one server at two places would hold two shares of the
                 * keys and one seed */
                return ajwt_err_set(err, AJWT_ECONFIG, "redis server '%s' "
                                    "is listed twice", item);
            }
        }
        impl->nsrv++;
    }
    return AJWT_OK;
}

#ifdef AJWT_HAVE_REDIS_TLS
static ajwt_status_t tls_setup(rd_impl_t *impl, const ajwt_redis_conf_t *conf,
                               ajwt_err_t *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "redis: cannot make a TLS "
                            "context");
    }
    impl->ssl_ctx = ctx;        /* freed by rd_cleanup */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (conf->ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, conf->ca_file, NULL) != 1) {
            return ajwt_err_set(err, AJWT_ECONFIG, "redis: CA file '%s' "
                                "cannot be read", conf->ca_file);
        }
    }
    else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis: the system's CA "
                            "certificates cannot be read");
    }
    return AJWT_OK;
}
#endif

ajwt_status_t ajwt_store_redis_create(ajwt_store_t **out,
                                      const ajwt_redis_conf_t *conf,
                                      apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_store_t *st;
    rd_impl_t *impl;
    ajwt_status_t rv;
    int k;

    *out = NULL;
    if (!conf || !conf->servers || !*conf->servers) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis: no servers");
    }
#ifndef AJWT_HAVE_REDIS_TLS
    if (conf->tls) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis: rediss:// asked for, "
                            "but this build's hiredis has no TLS "
                            "(hiredis_ssl >= 1.0)");
    }
#endif
    if (conf->user && !conf->password) {
        return ajwt_err_set(err, AJWT_ECONFIG, "redis: user '%s' without a "
                            "password", conf->user);
    }
    impl = apr_pcalloc(p, sizeof(*impl));
    apr_pool_cleanup_register(p, impl, rd_cleanup, apr_pool_cleanup_null);
    if ((rv = parse_servers(impl, conf->servers, p, err))) {
        return rv;
    }
    impl->connect_ms = conf->connect_timeout_ms > 0
                       ? conf->connect_timeout_ms : RD_DEFAULT_CONNECT_MS;
    impl->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms
                                            : RD_DEFAULT_TIMEOUT_MS;
    impl->retry_s = conf->retry_timeout_s > 0 ? conf->retry_timeout_s
                                              : RD_DEFAULT_RETRY_S;
    impl->user = conf->user ? apr_pstrdup(p, conf->user) : NULL;
    if (conf->password) {
        impl->password_len = strlen(conf->password);
        impl->password = apr_pstrmemdup(p, conf->password,
                                        impl->password_len);
    }
    impl->replay = conf->replay;
    impl->replay_src = conf->replay_src;
#ifdef AJWT_HAVE_REDIS_TLS
    if (conf->tls && (rv = tls_setup(impl, conf, err))) {
        return rv;
    }
#endif
    for (k = 0; k < impl->nsrv; k++) {
        if (pthread_mutex_init(&impl->srv[k].lock, NULL)) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "redis: mutex failed");
        }
        impl->srv[k].lock_made = 1;
    }
    if (pthread_mutex_init(&impl->text_lock, NULL)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "redis: mutex failed");
    }
    impl->text_lock_made = 1;
    if (pthread_key_create(&impl->key, handle_free)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "redis: no thread key");
    }
    impl->key_made = 1;

    st = apr_pcalloc(p, sizeof(*st));
    st->ops = &rd_ops;
    st->impl = impl;
    *out = st;
    return AJWT_OK;
}

int ajwt_store_redis_has_tls(void)
{
#ifdef AJWT_HAVE_REDIS_TLS
    return 1;
#else
    return 0;
#endif
}

apr_uint64_t ajwt_store_redis_restores(const ajwt_store_t *st)
{
    const rd_impl_t *impl;
    if (!st || st->ops != &rd_ops) {
        return 0;
    }
    impl = st->impl;
    return loadu64(&impl->restores);
}

void ajwt_store_redis_last_restore(const ajwt_store_t *st, char *buf,
                                   apr_size_t size)
{
    rd_impl_t *impl;
    if (!size) {
        return;
    }
    buf[0] = '\0';
    if (!st || st->ops != &rd_ops) {
        return;
    }
    impl = st->impl;
    pthread_mutex_lock(&impl->text_lock);
    apr_cpystrn(buf, impl->last_restore, size);
    pthread_mutex_unlock(&impl->text_lock);
}
