/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_store_mc.c: the revocation store in a memcached cluster, through
 * libmemcached, so that every server behind a load balancer sees the same
 * revocations.
 *
 * Choices, and why:
 * - Consistent hashing, libketama-compatible (KETAMA_WEIGHTED, MD5): every
 *   process of every server, and ajwt-revoke, send a key to the same
 *   memcached; adding a server moves only a fraction of the keys, and other
 *   libketama clients (PHP's memcached extension) can share the cluster.
 * - Binary protocol: no text parsing of replies; keys are hashed anyway
 *   (ajwt_store.c), so they never carry spaces or control characters.
 * - A dead server is NOT ejected from the ring (REMOVE_FAILED_SERVERS and
 *   AUTO_EJECT_HOSTS stay off). Ejecting would send its keys to a survivor
 *   that never saw those revocations, so revoked tokens would pass without a
 *   word, and revocations written during the outage would be lost again
 *   when the server came back and took its keys back. Instead the keys of
 *   the dead server answer AJWT_ESTORE, fast, and the glue applies
 *   AuthJWTRevocationFailure (503 or allow with a warning); keys on the
 *   other servers keep working.
 * - Failed server: libmemcached marks it "in timeout" on the first failed
 *   connect (SERVER_TIMEOUT_LIMIT 1) and answers at once without touching
 *   the network until retry_timeout_s has passed, then tries to reconnect;
 *   so an outage costs one connect attempt per thread per retry period,
 *   not one per request, and the server is used again as soon as it is
 *   back, with no restart. DEAD_TIMEOUT only matters with ejection, so it
 *   is left alone. A socket found dead on use (the server restarted in
 *   between) is retried once at once: see stale().
 * - Short timeouts: connect and poll (default 300 ms each); SO_SNDTIMEO and
 *   SO_RCVTIMEO match the poll timeout, so no call hangs on a black hole.
 * - One memcached_st per thread, cloned from a master on first use in that
 *   thread and kept in thread-specific data: a libmemcached handle is not
 *   thread-safe, and one per request would open a connection per request.
 *   The clone remembers its process id: a handle inherited through fork()
 *   (prefork children of a parent that used the store) is abandoned, never
 *   used nor freed, because freeing it would send "quit" on the parent's
 *   sockets.
 * - Values are decimal text; expiry is memcached's own, and memcached reads
 *   an expiration over 30 days as an absolute time, so longer lifetimes are
 *   sent as absolute times.
 * - SASL (memcached -S, binary protocol only): user and password go to the
 *   master through memcached_set_sasl_auth_data(), and memcached_clone()
 *   copies them into every thread's handle (memcached_clone_sasl());
 *   libmemcached calls sasl_client_init() itself, once per process
 *   (pthread_once), before its first login. A refused login is AJWT_ESTORE
 *   "memcached HOST:PORT: authentication failed"; no text holds the
 *   password, and libmemcached's copies of it are wiped before its handles
 *   are freed. A memcached -S answers a get without a login as "not
 *   found": the seed below is what keeps that from reading "not revoked".
 *
 * Servers that come back empty. memcached forgets without a word: on a
 * restart, a flush_all, an eviction under memory pressure; a revoked token
 * would then pass. So:
 * - Each server holds a seed entry: "ajwt:seed:<n>", n chosen at create
 *   time so that the key hashes to that server under our ring, never
 *   expiring, whose value is a random 64-bit incarnation.
 * - Per process (per store object, shared by its threads: not per thread,
 *   so that a new thread costs no restore), per server: the incarnation
 *   this process restored into. Every lookup adds the seed of each server
 *   involved to the mget of its keys (still one round trip per server);
 *   put and incr read it after their write (one more round trip: they are
 *   rare). A seed missing, or not the one remembered, means the records of
 *   this process may be missing there: the thread restores the server at
 *   once, under a lock of that server (its other threads wait, then find
 *   it done). A restore reads the server's evictions count, takes the
 *   seed (adds a new random one, or adopts the one another process added
 *   first), replays every record of replay_src whose key lives on that
 *   server with memcached_add, so that what the server holds (newer) is
 *   never rolled back, except where ajwt_store_merge() says the record
 *   revokes more (a later subject revocation, a revoked family: gets and
 *   cas until it holds), then reads the seed again: unchanged, the
 *   incarnation is remembered and the lookup reads its keys again. Taking
 *   the seed before the replay and checking it after means that a flush
 *   in the middle of a replay is not taken for a complete restore.
 * - Until a restore succeeds, that server's keys answer AJWT_ESTORE
 *   (UNKNOWN in get_many), so the glue applies AuthJWTRevocationFailure,
 *   never "not revoked"; after a failed restore the next attempt waits
 *   retry_timeout_s (requests in between fail at once).
 * - Evictions drop revocations but rarely the seed (read by every lookup,
 *   it is the last item of its slab class to go). At most every 10 s per
 *   process and server, a lookup that found the server trusted reads its
 *   "evictions" count; when the count changed since this process last
 *   looked, or cannot be read, the server is restored again: what was
 *   evicted comes back. The count is read on a connection made for it and
 *   closed (libmemcached has no stats of one server over a handle's
 *   socket), so a lookup pays for a connect every 10 s, not every time.
 * Limits: a restore writes one record per round trip, in the request that
 * found the server empty (the time it takes is that request's, and the
 * waiting threads'); a server that never stops evicting (too small, or
 * shared with a busy cache) is restored every 10 s; an eviction within
 * the last 10 s is not seen yet; records that are in no replay source
 * (written by a server without a journal) cannot come back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <libmemcached/memcached.h>
#include "ajwt_store.h"

#define MC_DEFAULT_PORT         11211
#define MC_DEFAULT_CONNECT_MS   AJWT_STORE_TIMEOUT_MS
#define MC_DEFAULT_POLL_MS      AJWT_STORE_TIMEOUT_MS
#define MC_DEFAULT_RETRY_S      AJWT_STORE_RETRY_S
#define MC_RELATIVE_MAX         2592000     /* memcached: 30 days */
#define MC_VALUE_MAX            24          /* "-9223372036854775808" */
#define MC_SEED_PREFIX          "ajwt:seed:"
#define MC_SEED_KEY_MAX         32
#define MC_SEED_TRIES           1000000     /* names tried per server */
#define MC_STATS_EVERY          10          /* s between evictions reads */
#define MC_CAS_TRIES            8
#define MC_MANY_MAX             (AJWT_STORE_MANY_MAX + 1)   /* + seed */

#if defined(LIBMEMCACHED_WITH_SASL_SUPPORT) && LIBMEMCACHED_WITH_SASL_SUPPORT
#define MC_SASL 1
#else
#define MC_SASL 0
#endif

/* Why a server was restored: what the event text and the counts say. */
enum { WHY_FIRST, WHY_EMPTY, WHY_RESEEDED, WHY_EVICTED, WHY_UNREADABLE };

/* What this process knows of one server; shared by its threads. */
typedef struct {
    char seed[MC_SEED_KEY_MAX]; /* "ajwt:seed:<n>": hashes to this server */
    size_t seed_len;
    const char *host;           /* for the evictions connection */
    in_port_t port;
    const char *where;          /* "host:port", for texts */
    pthread_mutex_t lock;       /* one restore at a time; why below */
    apr_int64_t restored;       /* atomic: seed value restored into, 0 none */
    apr_int64_t stats_due;      /* atomic: evictions read at/after this */
    apr_int64_t retry_at;       /* atomic: a failed restore waits until */
    apr_uint64_t evictions;     /* atomic: the count at the last look */
    char why[AJWT_ERR_TEXT];    /* under lock: the last restore failure */
} mc_srv_t;

typedef struct {
    memcached_st *master;       /* configured once, only ever cloned */
    pthread_key_t key;          /* -> mc_handle_t of the calling thread */
    pthread_mutex_t clone_lock; /* cloning reads the master's lists */
    int key_made;
    int lock_made;
    int retry_s;
    ajwt_mc_conf_t conf;        /* timeouts and SASL, for stats handles */
    char *password;             /* conf's, copied: wiped by the cleanup */
    uint32_t nsrv;
    mc_srv_t *srv;
    int srv_locks;              /* how many srv[].lock were made */
    pthread_mutex_t event_lock; /* event */
    int event_lock_made;
    char event[AJWT_ERR_TEXT];  /* the last counted restore, "" none */
    apr_uint64_t n_restores;    /* atomic */
    apr_uint64_t n_evicted;     /* atomic */
} mc_impl_t;

typedef struct {
    pid_t pid;                  /* the process that cloned it */
    memcached_st *mc;
    uint32_t nservers;
    apr_int64_t *down_until;    /* per server: skipped while now <= this */
    unsigned char *up;          /* per server: last use in this thread
                                 * worked, so its socket is open */
} mc_handle_t;

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/*
 * libmemcached keeps the password it was given (a sasl_secret_t behind its
 * SASL_CB_PASS callback, set by memcached_set_sasl_auth_data()) and frees
 * it without wiping: wipe it first.
 */
static void sasl_wipe(memcached_st *mc)
{
#if MC_SASL
    sasl_callback_t *cb = mc ? memcached_get_sasl_callbacks(mc) : NULL;
    for (; cb && cb->id != SASL_CB_LIST_END; cb++) {
        if (cb->id == SASL_CB_PASS && cb->context) {
            sasl_secret_t *secret = cb->context;
            OPENSSL_cleanse(secret->data, secret->len);
        }
    }
#else
    (void)mc;
#endif
}

static void mc_free(memcached_st *mc)
{
    sasl_wipe(mc);
    memcached_free(mc);
}

static void handle_free(void *data)
{
    mc_handle_t *h = data;
    if (h) {
        if (h->pid == getpid() && h->mc) {
            mc_free(h->mc);
        }
        free(h->down_until);
        free(h->up);
        free(h);
    }
}

static apr_status_t mc_cleanup(void *data)
{
    mc_impl_t *impl = data;
    int i;
    if (impl->key_made) {
        /* pthread_key_delete() runs no destructor: free ours here; other
         * threads' handles were freed when they exited */
        handle_free(pthread_getspecific(impl->key));
        pthread_setspecific(impl->key, NULL);
        pthread_key_delete(impl->key);
        impl->key_made = 0;
    }
    if (impl->lock_made) {
        pthread_mutex_destroy(&impl->clone_lock);
        impl->lock_made = 0;
    }
    for (i = 0; i < impl->srv_locks; i++) {
        pthread_mutex_destroy(&impl->srv[i].lock);
    }
    impl->srv_locks = 0;
    if (impl->event_lock_made) {
        pthread_mutex_destroy(&impl->event_lock);
        impl->event_lock_made = 0;
    }
    if (impl->master) {
        mc_free(impl->master);
        impl->master = NULL;
    }
    if (impl->password) {
        OPENSSL_cleanse(impl->password, strlen(impl->password));
        impl->password = NULL;
    }
    return APR_SUCCESS;
}

/* The calling thread's handle, made on first use; NULL with err set. */
static mc_handle_t *thread_handle(ajwt_store_t *st, ajwt_err_t *err)
{
    mc_impl_t *impl = st->impl;
    mc_handle_t *h = pthread_getspecific(impl->key);
    pid_t pid = getpid();

    if (h && h->pid == pid) {
        return h;
    }
    if (h) {
        /* inherited through fork(): its sockets are the parent's */
        free(h->down_until);
        free(h->up);
        free(h);
        pthread_setspecific(impl->key, NULL);
    }
    h = calloc(1, sizeof(*h));
    if (!h) {
        ajwt_err_set(err, AJWT_EINTERNAL, "memcached: out of memory");
        return NULL;
    }
    h->pid = pid;
    pthread_mutex_lock(&impl->clone_lock);
    h->mc = memcached_clone(NULL, impl->master);    /* SASL data too */
    pthread_mutex_unlock(&impl->clone_lock);
    h->nservers = h->mc ? memcached_server_count(h->mc) : 0;
    h->down_until = calloc(h->nservers ? h->nservers : 1, sizeof(apr_int64_t));
    h->up = calloc(h->nservers ? h->nservers : 1, 1);
    if (!h->mc || !h->down_until || !h->up || h->nservers != impl->nsrv) {
        handle_free(h);
        ajwt_err_set(err, AJWT_EINTERNAL, "memcached: cannot clone handle");
        return NULL;
    }
    if (pthread_setspecific(impl->key, h)) {
        handle_free(h);
        ajwt_err_set(err, AJWT_EINTERNAL, "memcached: cannot keep handle");
        return NULL;
    }
    return h;
}

/* Keys come from ajwt_store_key_*(); anything else is a caller's bug, and
 * is not echoed (it might be a raw jti or worse). */
static int key_ok(const char *key, size_t *len)
{
    size_t i;
    *len = key ? strlen(key) : 0;
    if (*len == 0 || *len >= AJWT_STORE_KEY_MAX) {
        return 0;
    }
    for (i = 0; i < *len; i++) {
        if (key[i] <= ' ' || key[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* The server of key, an index < h->nservers (the ring never ejects). */
static uint32_t server_index(mc_handle_t *h, const char *key, size_t klen)
{
    return memcached_generate_hash(h->mc, key, klen);
}

static const char *where_of(ajwt_store_t *st, uint32_t s)
{
    mc_impl_t *impl = st->impl;
    return s < impl->nsrv ? impl->srv[s].where : "?";
}

/*
 * Is server s being skipped after a failure? libmemcached skips a server
 * whose connect failed, but not one that accepts and then never answers
 * (a hung or stopped memcached): every request would wait the whole poll
 * timeout. So any failure skips the server here, for this thread, for at
 * least retry_timeout_s of the caller's clock (whole seconds: the second
 * of the failure does not count).
 */
static int skipped(ajwt_store_t *st, mc_handle_t *h, uint32_t s,
                   const char *op, const char *key, apr_int64_t now,
                   ajwt_err_t *err)
{
    if (s < h->nservers && now <= h->down_until[s]) {
        ajwt_err_set(err, AJWT_ESTORE, "memcached %s of %s at %s: server "
                     "skipped for %" APR_INT64_T_FMT " s after a failure",
                     op, key, where_of(st, s), h->down_until[s] - now + 1);
        return 1;
    }
    return 0;
}

static int auth_failed(memcached_return_t rc)
{
    return rc == MEMCACHED_AUTH_FAILURE || rc == MEMCACHED_AUTH_PROBLEM
           || rc == MEMCACHED_AUTH_CONTINUE;
}

/* A reason for the error log: library text, errno, and which server; the
 * server is then skipped for a while (see skipped()). */
static ajwt_status_t mc_fail(ajwt_store_t *st, mc_handle_t *h, uint32_t s,
                             memcached_return_t rc, int e, const char *op,
                             const char *key, apr_int64_t now,
                             ajwt_err_t *err)
{
    mc_impl_t *impl = st->impl;

    if (s < h->nservers) {
        h->down_until[s] = now + impl->retry_s;
        h->up[s] = 0;
    }
    if (auth_failed(rc)) {
        /* libmemcached's own message may quote SASL's: not echoed */
        return ajwt_err_set(err, AJWT_ESTORE, "memcached %s: authentication "
                            "failed (%s of %s%s)", where_of(st, s), op, key,
                            impl->conf.user ? "" : "; no user configured");
    }
    return ajwt_err_set(err, AJWT_ESTORE, "memcached %s of %s at %s: %s%s%s",
                        op, key, where_of(st, s),
                        memcached_strerror(h->mc, rc), e ? ", " : "",
                        e ? strerror(e) : "");
}

/*
 * A failure on a connection that was open: the server restarted since the
 * last use, the socket is dead and libmemcached has closed it without
 * putting the server in timeout. One more try reconnects at once, so a
 * memcached restart costs no failed request. When the server is really
 * down, that try is refused (or, after a connect timeout, finds the
 * server in timeout and returns without touching the network), so it
 * never doubles a wait. Both operations are idempotent.
 */
static int stale(memcached_return_t rc)
{
    return rc == MEMCACHED_CONNECTION_FAILURE
           || rc == MEMCACHED_WRITE_FAILURE
           || rc == MEMCACHED_READ_FAILURE
           || rc == MEMCACHED_UNKNOWN_READ_FAILURE;
}

/* memcached reads more than 30 days as a unix time, and the binary
 * protocol carries 32 bits: later than 2106 is kept until 2106. ttl > 0. */
static time_t exptime_of(apr_int64_t ttl, apr_int64_t expires)
{
    if (ttl <= MC_RELATIVE_MAX) {
        return (time_t)ttl;
    }
    return (time_t)(expires > (apr_int64_t)UINT32_MAX ? UINT32_MAX
                                                      : expires);
}

/* Strict decimal: optional '-', 1 to 19 digits, no sign '+', no spaces,
 * no overflow. */
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
        return 0;               /* "-0" was never written by mc_put */
    }
    *out = neg ? (apr_int64_t)(0 - v) : (apr_int64_t)v;
    return 1;
}

/*
 * One key by memcached_get, with the retry of stale(): *state ABSENT,
 * FOUND (*value set) or MALFORMED (present, value not ours).
 */
static ajwt_status_t get_one(ajwt_store_t *st, mc_handle_t *h,
                             const char *key, size_t klen,
                             apr_int64_t *value, int *state,
                             apr_int64_t now, ajwt_err_t *err)
{
    memcached_st *mc = h->mc;
    memcached_return_t rc;
    size_t vlen = 0;
    uint32_t flags = 0, s = server_index(h, key, klen);
    char *v;
    int e;

    *state = AJWT_STORE_UNKNOWN;
    if (skipped(st, h, s, "get", key, now, err)) {
        return AJWT_ESTORE;
    }
    v = memcached_get(mc, key, klen, &vlen, &flags, &rc);
    e = memcached_last_error_errno(mc);
    if (stale(rc)) {
        memcached_return_t first = rc;
        free(v);
        v = memcached_get(mc, key, klen, &vlen, &flags, &rc);
        if (rc == MEMCACHED_SERVER_TEMPORARILY_DISABLED) {
            rc = first;         /* say why it failed, not "disabled" */
        }
        else {
            e = memcached_last_error_errno(mc);
        }
    }
    if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
        free(v);
        return mc_fail(st, h, s, rc, e, "get", key, now, err);
    }
    if (s < h->nservers) {
        h->up[s] = 1;
    }
    if (rc == MEMCACHED_NOTFOUND) {
        *state = AJWT_STORE_ABSENT;
    }
    else {
        *state = v && parse_value(v, vlen, value) ? AJWT_STORE_FOUND
                                                  : AJWT_STORE_MALFORMED;
    }
    free(v);
    return AJWT_OK;
}

/*
 * One memcached_mget of keys (all on one server) and the fetch of what it
 * found. MEMCACHED_SUCCESS when the server answered for every key (those
 * not fetched are absent), else the failure, as memcached_get would have
 * it: memcached_get is this same mget of one key and fetch. cas (NULL
 * allowed) gets each found key's CAS value.
 */
static memcached_return_t mget_fetch(memcached_st *mc,
                                     const char *const *keys,
                                     const size_t *klen, int n,
                                     apr_int64_t *value, int *state,
                                     uint64_t *cas)
{
    memcached_result_st res, *r;
    memcached_return_t rc;
    int i;

    for (i = 0; i < n; i++) {
        state[i] = AJWT_STORE_ABSENT;
    }
    rc = memcached_mget(mc, keys, klen, (size_t)n);
    if (rc != MEMCACHED_SUCCESS) {
        return rc;
    }
    if (!memcached_result_create(mc, &res)) {
        return MEMCACHED_MEMORY_ALLOCATION_FAILURE;
    }
    while ((r = memcached_fetch_result(mc, &res, &rc))) {
        const char *k = memcached_result_key_value(r);
        size_t kl = memcached_result_key_length(r);
        for (i = 0; i < n; i++) {
            if (kl == klen[i] && !memcmp(k, keys[i], kl)) {
                state[i] = parse_value(memcached_result_value(r),
                                       memcached_result_length(r),
                                       &value[i])
                           ? AJWT_STORE_FOUND : AJWT_STORE_MALFORMED;
                if (cas) {
                    cas[i] = memcached_result_cas(r);
                }
            }
        }
    }
    memcached_result_free(&res);
    return rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND
           ? MEMCACHED_SUCCESS : rc;
}

/* ------------------------------------------------------------ restores */

/* The last counted restore, for ajwt_store_mc_last_event(). */
static void note_event(mc_impl_t *impl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note_event(mc_impl_t *impl, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&impl->event_lock);
    va_start(ap, fmt);
    apr_vsnprintf(impl->event, sizeof(impl->event), fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&impl->event_lock);
}

/*
 * Server s's "evictions" count, on a connection of its own (made, used and
 * closed here): libmemcached reads stats of every server of a handle at
 * once, or of one by host name on a handle without our timeouts and
 * without SASL. A server that answers without the count reads as 0 (its
 * evictions cannot be watched).
 */
static ajwt_status_t read_evictions(ajwt_store_t *st, uint32_t s,
                                    apr_uint64_t *out, ajwt_err_t *err)
{
    mc_impl_t *impl = st->impl;
    mc_srv_t *sv = &impl->srv[s];
    memcached_st *one = memcached_create(NULL);
    memcached_stat_st *stats = NULL;
    memcached_return_t rc = MEMCACHED_MEMORY_ALLOCATION_FAILURE;
    int e = 0;

    if (one && memcached_server_add(one, sv->host, sv->port)
               == MEMCACHED_SUCCESS) {
        rc = MEMCACHED_SUCCESS;
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
                               (uint64_t)impl->conf.connect_timeout_ms);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_POLL_TIMEOUT,
                               (uint64_t)impl->conf.poll_timeout_ms);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
                               (uint64_t)impl->conf.poll_timeout_ms * 1000);
        memcached_behavior_set(one, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
                               (uint64_t)impl->conf.poll_timeout_ms * 1000);
#if MC_SASL
        if (impl->conf.user) {
            rc = memcached_set_sasl_auth_data(one, impl->conf.user,
                                              impl->password);
        }
#endif
        if (rc == MEMCACHED_SUCCESS) {
            stats = memcached_stat(one, NULL, &rc);
            e = memcached_last_error_errno(one);
            if (rc == MEMCACHED_SOME_ERRORS) {
                rc = memcached_last_error(one);     /* the server's */
                if (rc == MEMCACHED_SUCCESS) {
                    rc = MEMCACHED_SOME_ERRORS;
                }
            }
        }
    }
    if (stats && rc == MEMCACHED_SUCCESS) {
        *out = (apr_uint64_t)stats[0].evictions;
    }
    if (stats) {
        memcached_stat_free(NULL, stats);
    }
    if (one) {
        mc_free(one);
    }
    if (rc == MEMCACHED_SUCCESS) {
        return AJWT_OK;
    }
    if (auth_failed(rc)) {
        return ajwt_err_set(err, AJWT_ESTORE, "memcached %s: authentication "
                            "failed (stats)", sv->where);
    }
    return ajwt_err_set(err, AJWT_ESTORE, "memcached %s: cannot read its "
                        "evictions count: %s%s%s", sv->where,
                        memcached_strerror(NULL, rc), e ? ", " : "",
                        e ? strerror(e) : "");
}

/* What the replay's callback writes to one server, and how it went. */
typedef struct {
    ajwt_store_t *st;
    mc_handle_t *h;
    uint32_t s;
    apr_int64_t now;
    unsigned long seen;         /* records of this server */
    unsigned long written;      /* of them, missing or merged upwards */
    ajwt_err_t *err;            /* the first write failure */
    ajwt_status_t rv;
} restore_ctx_t;

/*
 * key holds a value already: the merge of the record (a) and the server's
 * (b), by ajwt_store_merge(), written back only when it differs from b, by
 * compare-and-swap (a writer in between wins the round; try again).
 */
static memcached_return_t merge_up(restore_ctx_t *c, const char *key,
                                   size_t klen, apr_int64_t value,
                                   apr_int64_t expires, time_t exptime)
{
    memcached_st *mc = c->h->mc;
    memcached_return_t rc = MEMCACHED_SUCCESS;
    char buf[MC_VALUE_MAX];
    int i;

    for (i = 0; i < MC_CAS_TRIES; i++) {
        const char *k[1] = { key };
        apr_int64_t have = 0, merged, unused;
        uint64_t cas = 0;
        int state;

        rc = mget_fetch(mc, k, &klen, 1, &have, &state, &cas);
        if (rc != MEMCACHED_SUCCESS) {
            return rc;
        }
        apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT, value);
        if (state == AJWT_STORE_ABSENT) {
            /* gone since the add (expired, evicted): add it again */
            rc = memcached_add(mc, key, klen, buf, strlen(buf), exptime, 0);
            if (rc == MEMCACHED_SUCCESS) {
                c->written++;
                return rc;
            }
            if (rc != MEMCACHED_DATA_EXISTS && rc != MEMCACHED_NOTSTORED) {
                return rc;
            }
            continue;
        }
        if (state == AJWT_STORE_MALFORMED) {
            return MEMCACHED_SUCCESS;   /* not ours: reads as revoked */
        }
        merged = ajwt_store_merge(key, value, expires, have, 0, &unused);
        if (merged == have) {
            return MEMCACHED_SUCCESS;   /* the server's revokes as much */
        }
        if (cas == 0) {
            return MEMCACHED_PROTOCOL_ERROR;    /* cas 0 would be a set */
        }
        apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT, merged);
        rc = memcached_cas(mc, key, klen, buf, strlen(buf), exptime, 0, cas);
        if (rc == MEMCACHED_SUCCESS) {
            c->written++;
            return rc;
        }
        if (rc != MEMCACHED_DATA_EXISTS && rc != MEMCACHED_NOTFOUND) {
            return rc;
        }
    }
    return rc;
}

/* ajwt_store_rec_fn: write one replayed record if it lives on c->s. */
static int restore_rec(void *ctx, const char *key, apr_int64_t value,
                       apr_int64_t expires)
{
    restore_ctx_t *c = ctx;
    memcached_return_t rc;
    char buf[MC_VALUE_MAX];
    size_t klen;
    time_t exptime;

    if (!key_ok(key, &klen) || server_index(c->h, key, klen) != c->s) {
        return 0;               /* another server's (or not a key at all) */
    }
    c->seen++;
    if (expires <= c->now) {
        return 0;
    }
    exptime = exptime_of(expires - c->now, expires);
    apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT, value);
    rc = memcached_add(c->h->mc, key, klen, buf, strlen(buf), exptime, 0);
    if (rc == MEMCACHED_SUCCESS) {
        c->written++;
        return 0;
    }
    if (rc == MEMCACHED_DATA_EXISTS || rc == MEMCACHED_NOTSTORED) {
        rc = merge_up(c, key, klen, value, expires, exptime);
    }
    if (rc == MEMCACHED_DATA_EXISTS || rc == MEMCACHED_NOTSTORED
        || rc == MEMCACHED_NOTFOUND) {
        /* the server answers: not a reason to skip it */
        c->rv = ajwt_err_set(c->err, AJWT_ESTORE, "memcached %s: %s kept "
                             "changing during the restore",
                             where_of(c->st, c->s), key);
        return 1;
    }
    if (rc != MEMCACHED_SUCCESS) {
        c->rv = mc_fail(c->st, c->h, c->s, rc,
                        memcached_last_error_errno(c->h->mc), "add", key,
                        c->now, c->err);
        return 1;
    }
    return 0;
}

/*
 * Take server s's seed into *value: the one there, or a new random one
 * added (another process adding first wins, and its value is taken).
 */
static ajwt_status_t take_seed(ajwt_store_t *st, mc_handle_t *h, uint32_t s,
                               apr_int64_t *value, apr_int64_t now,
                               ajwt_err_t *err)
{
    mc_srv_t *sv = &((mc_impl_t *)st->impl)->srv[s];
    memcached_return_t rc;
    ajwt_status_t rv;
    apr_int64_t mine = 0;
    char buf[MC_VALUE_MAX];
    int state, attempt;

    for (attempt = 0; attempt < 2; attempt++) {
        if ((rv = get_one(st, h, sv->seed, sv->seed_len, value, &state, now,
                          err)) != AJWT_OK) {
            return rv;
        }
        if (state == AJWT_STORE_FOUND && *value != 0) {
            return AJWT_OK;
        }
        while (mine == 0) {
            if (RAND_bytes((unsigned char *)&mine, sizeof(mine)) != 1) {
                return ajwt_err_set(err, AJWT_ESTORE, "memcached %s: no "
                                    "random bytes for a seed", sv->where);
            }
        }
        apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT, mine);
        /* a seed that is not ours (or 0) is replaced, a missing one added */
        rc = state == AJWT_STORE_ABSENT
             ? memcached_add(h->mc, sv->seed, sv->seed_len, buf, strlen(buf),
                             0, 0)
             : memcached_set(h->mc, sv->seed, sv->seed_len, buf, strlen(buf),
                             0, 0);
        if (rc == MEMCACHED_SUCCESS) {
            *value = mine;
            return AJWT_OK;
        }
        if (rc != MEMCACHED_DATA_EXISTS && rc != MEMCACHED_NOTSTORED) {
            return mc_fail(st, h, s, rc, memcached_last_error_errno(h->mc),
                           "add", sv->seed, now, err);
        }
        /* added by another process in between: read it again */
    }
    return ajwt_err_set(err, AJWT_ESTORE, "memcached %s: seed %s refused "
                        "but not readable", sv->where, sv->seed);
}

/*
 * Restore server s for this process (see the top), under its lock. seen:
 * the incarnation the caller found remembered (and found wrong, or whose
 * evictions count changed); a thread that waited for another's restore
 * finds it changed, and not to 0 (that restore failed), and is done.
 * AJWT_OK: the caller reads its keys again.
 */
static ajwt_status_t restore(ajwt_store_t *st, mc_handle_t *h, uint32_t s,
                             apr_int64_t seen, int why, apr_uint64_t evicted,
                             apr_int64_t now, ajwt_err_t *err)
{
    mc_impl_t *impl = st->impl;
    mc_srv_t *sv = &impl->srv[s];
    ajwt_err_t ferr = { 0 };
    ajwt_status_t rv = AJWT_OK;
    apr_uint64_t count = 0;
    apr_int64_t seed = 0, again = 0;
    restore_ctx_t c;
    int state;

    pthread_mutex_lock(&sv->lock);
    if (LOAD(sv->restored) != seen && LOAD(sv->restored) != 0) {
        pthread_mutex_unlock(&sv->lock);
        return AJWT_OK;         /* another thread restored it meanwhile */
    }
    /* (0: another thread's restore failed, so this one must not trust) */
    if (now < LOAD(sv->retry_at)) {
        rv = ajwt_err_set(err, AJWT_ESTORE, "memcached %s: not restored, "
                          "next attempt in %" APR_INT64_T_FMT " s (%s)",
                          sv->where, LOAD(sv->retry_at) - now, sv->why);
        pthread_mutex_unlock(&sv->lock);
        return rv;
    }
    memset(&c, 0, sizeof(c));
    c.st = st;
    c.h = h;
    c.s = s;
    c.now = now;
    c.err = &ferr;
    /* the count before the replay: what is evicted during it is seen
     * later */
    if ((rv = take_seed(st, h, s, &seed, now, &ferr)) == AJWT_OK
        && (rv = read_evictions(st, s, &count, &ferr)) == AJWT_OK
        && impl->conf.replay) {
        ajwt_err_t rerr = { 0 };
        rv = impl->conf.replay(impl->conf.replay_src, now, restore_rec, &c,
                               &rerr);
        if (rv != AJWT_OK && c.rv == AJWT_OK) {
            /* the source's own failure (not one of our writes) */
            ajwt_err_set(&ferr, AJWT_ESTORE, "memcached %s: replay "
                         "failed: %s", sv->where, rerr.text);
        }
        rv = rv != AJWT_OK ? AJWT_ESTORE : AJWT_OK;
    }
    if (rv == AJWT_OK
        && (rv = get_one(st, h, sv->seed, sv->seed_len, &again, &state, now,
                         &ferr)) == AJWT_OK
        && (state != AJWT_STORE_FOUND || again != seed)) {
        rv = ajwt_err_set(&ferr, AJWT_ESTORE, "memcached %s: emptied again "
                          "during the restore", sv->where);
    }
    if (rv != AJWT_OK) {
        STORE(sv->restored, 0);
        STORE(sv->retry_at, now + impl->retry_s);
        apr_cpystrn(sv->why, ferr.text, sizeof(sv->why));
        pthread_mutex_unlock(&sv->lock);
        if (!strncmp(ferr.text, "memcached ", 10)
            && !strncmp(ferr.text + 10, sv->where, strlen(sv->where))
            && ferr.text[10 + strlen(sv->where)] == ':') {
            /* names the server already ("... authentication failed") */
            return ajwt_err_set(err, AJWT_ESTORE, "%s; not restored",
                                ferr.text);
        }
        return ajwt_err_set(err, AJWT_ESTORE, "memcached %s: not restored: "
                            "%s", sv->where, ferr.text);
    }
    STORE(sv->evictions, count);
    STORE(sv->stats_due, now + MC_STATS_EVERY);
    STORE(sv->retry_at, 0);
    STORE(sv->restored, seed);
    if (why != WHY_FIRST) {
        char what[80];
        __atomic_add_fetch(&impl->n_restores, 1, __ATOMIC_RELAXED);
        if (evicted) {
            __atomic_add_fetch(&impl->n_evicted, evicted, __ATOMIC_RELAXED);
        }
        if (why == WHY_EVICTED) {
            apr_snprintf(what, sizeof(what), "evicted %" APR_UINT64_T_FMT
                         " entries", evicted);
        }
        else {
            apr_cpystrn(what, why == WHY_EMPTY ? "came back empty"
                              : why == WHY_RESEEDED
                                ? "came back empty (seeded by another "
                                  "process)"
                              : "had its evictions count reset or "
                                "unreadable", sizeof(what));
        }
        note_event(impl, "memcached %s %s: restored %lu of %lu records",
                   sv->where, what, c.written, c.seen);
    }
    pthread_mutex_unlock(&sv->lock);
    return AJWT_OK;
}

/* ------------------------------------------------------------ lookups */

/*
 * keys (n, the last one the seed; all on server s) in one mget when this
 * thread's socket to s is open, else one get each, which opens it.
 *
 * Why not an mget across servers, or on a socket not yet open: when one
 * server of an mget cannot be connected to or written to, libmemcached
 * goes on with the others and reports the status of the last key sent,
 * so a dead server's keys can come back as merely "not found" (read
 * "not revoked"), and a first connect that fails hides its reason
 * (errno) behind "server disabled" for the next key. On one open socket
 * the small requests are buffered and sent with one write, and a failure
 * to write or read fails the whole fetch, as for memcached_get. A socket
 * found dead there (the server restarted) drops back to one get per key,
 * which reconnects with the same retry as before.
 */
static ajwt_status_t fetch_group(ajwt_store_t *st, mc_handle_t *h,
                                 uint32_t s, const char *const *keys,
                                 const size_t *klen, int n,
                                 apr_int64_t *value, int *state,
                                 apr_int64_t now, ajwt_err_t *err)
{
    ajwt_status_t rv;
    int i;

    for (i = 0; i < n; i++) {
        state[i] = AJWT_STORE_UNKNOWN;
    }
    if (skipped(st, h, s, "get", keys[0], now, err)) {
        return AJWT_ESTORE;
    }
    if (h->up[s]) {
        memcached_return_t rc = mget_fetch(h->mc, keys, klen, n, value,
                                           state, NULL);
        int e = memcached_last_error_errno(h->mc);
        if (rc == MEMCACHED_SUCCESS) {
            return AJWT_OK;
        }
        for (i = 0; i < n; i++) {
            state[i] = AJWT_STORE_UNKNOWN;
        }
        h->up[s] = 0;
        /* SOME_ERRORS: mget's final write (the noop) failed, a socket
         * closed by the server (restarted, or gone: "broken pipe") */
        if (!stale(rc) && rc != MEMCACHED_SOME_ERRORS) {
            return mc_fail(st, h, s, rc, e, "get", keys[0], now, err);
        }
        /* the socket was dead: one get per key reconnects, or says why
         * it cannot (connection refused...) */
    }
    for (i = 0; i < n; i++) {
        rv = get_one(st, h, keys[i], klen[i], &value[i], &state[i], now,
                     err);
        if (rv != AJWT_OK) {
            return rv;
        }
    }
    return AJWT_OK;
}

/*
 * keys (n: 0 to 2, all on server s) and s's seed: their states when this
 * process restored the incarnation the seed names, else after restoring
 * it (read again). watch: lookups, which also read the evictions count
 * when it is due; writes do not.
 */
static ajwt_status_t lookup_group(ajwt_store_t *st, mc_handle_t *h,
                                  uint32_t s, const char *const *keys,
                                  const size_t *klen, int n,
                                  apr_int64_t *value, int *state, int watch,
                                  apr_int64_t now, ajwt_err_t *err)
{
    mc_impl_t *impl = st->impl;
    mc_srv_t *sv;
    const char *k[MC_MANY_MAX];
    size_t kl[MC_MANY_MAX];
    apr_int64_t v[MC_MANY_MAX], known, due;
    apr_uint64_t evicted = 0;
    int stt[MC_MANY_MAX], i, why = -1;
    ajwt_status_t rv;

    for (i = 0; i < n; i++) {
        state[i] = AJWT_STORE_UNKNOWN;
        k[i] = keys[i];
        kl[i] = klen[i];
    }
    if (s >= impl->nsrv || n >= MC_MANY_MAX) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: server %u of "
                            "%u", (unsigned)s, (unsigned)impl->nsrv);
    }
    sv = &impl->srv[s];
    k[n] = sv->seed;
    kl[n] = sv->seed_len;
    known = LOAD(sv->restored);
    if ((rv = fetch_group(st, h, s, k, kl, n + 1, v, stt, now, err))
        != AJWT_OK) {
        for (i = 0; i < n; i++) {
            state[i] = AJWT_STORE_UNKNOWN;
        }
        return rv;
    }
    if (known == 0 || stt[n] != AJWT_STORE_FOUND || v[n] != known) {
        why = stt[n] == AJWT_STORE_ABSENT ? WHY_EMPTY
              : known ? WHY_RESEEDED : WHY_FIRST;
    }
    else if (watch && now >= (due = LOAD(sv->stats_due))
             && __atomic_compare_exchange_n(&sv->stats_due, &due,
                                            now + MC_STATS_EVERY, 0,
                                            __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
        /* this thread's turn (one per process and period) */
        apr_uint64_t count = 0, was = LOAD(sv->evictions);
        if (read_evictions(st, s, &count, NULL) != AJWT_OK || count < was) {
            why = WHY_UNREADABLE;
        }
        else if (count > was) {
            why = WHY_EVICTED;
            evicted = count - was;
        }
    }
    if (why < 0) {
        for (i = 0; i < n; i++) {
            state[i] = stt[i];
            value[i] = v[i];
        }
        return AJWT_OK;
    }
    if ((rv = restore(st, h, s, known, why, evicted, now, err)) != AJWT_OK) {
        return rv;
    }
    for (i = 0; i < n; i++) {
        rv = get_one(st, h, keys[i], klen[i], &value[i], &state[i], now,
                     err);
        if (rv != AJWT_OK) {
            for (; i < n; i++) {
                state[i] = AJWT_STORE_UNKNOWN;
            }
            return rv;
        }
    }
    return AJWT_OK;
}

/*
 * keys (n: 1 or 2): one lookup_group() per server involved, so one round
 * trip when both live on one server whose socket is open. A server that
 * fails leaves its keys UNKNOWN; the other is still asked (a revocation
 * found there is the better answer). The first failure is returned.
 */
static ajwt_status_t lookup(ajwt_store_t *st, mc_handle_t *h,
                            const char *const *keys, const size_t *klen,
                            int n, apr_int64_t *value, int *state,
                            apr_int64_t now, ajwt_err_t *err)
{
    uint32_t srv[AJWT_STORE_MANY_MAX];
    ajwt_status_t rv = AJWT_OK, r;
    int i, j, done[AJWT_STORE_MANY_MAX] = { 0 };

    for (i = 0; i < n; i++) {
        srv[i] = server_index(h, keys[i], klen[i]);
    }
    for (i = 0; i < n; i++) {
        const char *gk[AJWT_STORE_MANY_MAX];
        size_t gl[AJWT_STORE_MANY_MAX];
        apr_int64_t gv[AJWT_STORE_MANY_MAX] = { 0 };
        int gs[AJWT_STORE_MANY_MAX], idx[AJWT_STORE_MANY_MAX], m = 0;

        if (done[i]) {
            continue;           /* read with an earlier key of its server */
        }
        for (j = i; j < n; j++) {
            if (srv[j] == srv[i]) {
                done[j] = 1;
                idx[m] = j;
                gk[m] = keys[j];
                gl[m] = klen[j];
                m++;
            }
        }
        r = lookup_group(st, h, srv[i], gk, gl, m, gv, gs, 1, now, err);
        for (j = 0; j < m; j++) {
            state[idx[j]] = gs[j];
            if (gs[j] == AJWT_STORE_FOUND) {
                value[idx[j]] = gv[j];
            }
        }
        if (r != AJWT_OK && rv == AJWT_OK) {
            rv = r;
        }
    }
    return rv;
}

/*
 * After a write to key's server: its seed, so that a server found empty
 * by a put or an incr is restored at once. The write itself went through;
 * a server that cannot be restored is still AJWT_ESTORE.
 */
static ajwt_status_t after_write(ajwt_store_t *st, mc_handle_t *h,
                                 const char *op, const char *key,
                                 size_t klen, apr_int64_t now,
                                 ajwt_err_t *err)
{
    ajwt_err_t werr = { 0 };
    uint32_t s = server_index(h, key, klen);
    ajwt_status_t rv = lookup_group(st, h, s, NULL, NULL, 0, NULL, NULL, 0,
                                    now, &werr);
    if (rv != AJWT_OK) {
        return ajwt_err_set(err, rv, "memcached %s of %s at %s done, but: "
                            "%s", op, key, where_of(st, s), werr.text);
    }
    return AJWT_OK;
}

static ajwt_status_t mc_put(ajwt_store_t *st, const char *key,
                            apr_int64_t value, apr_int64_t expires,
                            apr_int64_t now, ajwt_err_t *err)
{
    mc_handle_t *h;
    memcached_st *mc;
    memcached_return_t rc;
    char buf[MC_VALUE_MAX];
    size_t klen;
    uint32_t s;
    int e;
    apr_int64_t ttl = expires - now;
    time_t exptime;

    if (!key_ok(key, &klen)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: invalid key "
                            "(%lu bytes)", (unsigned long)klen);
    }
    if (ttl <= 0) {
        return AJWT_OK;         /* already over: nothing to remember */
    }
    exptime = exptime_of(ttl, expires);
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    s = server_index(h, key, klen);
    if (skipped(st, h, s, "set", key, now, err)) {
        return AJWT_ESTORE;
    }
    mc = h->mc;
    apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT, value);
    rc = memcached_set(mc, key, klen, buf, strlen(buf), exptime, 0);
    e = memcached_last_error_errno(mc);
    if (stale(rc)) {
        memcached_return_t first = rc;
        rc = memcached_set(mc, key, klen, buf, strlen(buf), exptime, 0);
        if (rc == MEMCACHED_SERVER_TEMPORARILY_DISABLED) {
            rc = first;         /* say why it failed, not "disabled" */
        }
        else {
            e = memcached_last_error_errno(mc);
        }
    }
    if (rc != MEMCACHED_SUCCESS) {
        return mc_fail(st, h, s, rc, e, "set", key, now, err);
    }
    return after_write(st, h, "set", key, klen, now, err);
}

static ajwt_status_t mc_get(ajwt_store_t *st, const char *key,
                            apr_int64_t *value, int *found,
                            apr_int64_t now, ajwt_err_t *err)
{
    mc_handle_t *h;
    ajwt_status_t rc;
    size_t klen;
    apr_int64_t v = 0;
    int state;

    /* memcached expires entries itself: now is for skipped() and the
     * evictions period */
    *found = 0;
    if (!key_ok(key, &klen)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: invalid key "
                            "(%lu bytes)", (unsigned long)klen);
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    if ((rc = lookup(st, h, &key, &klen, 1, &v, &state, now, err))) {
        return rc;
    }
    if (state == AJWT_STORE_MALFORMED) {
        /* not ours: fail like an unreachable store, never "not revoked";
         * ajwt_store_check() reads it through mc_get_many(), which tells
         * it apart */
        return ajwt_err_set(err, AJWT_ESTORE, "memcached get of %s: "
                            "malformed value", key);
    }
    if (state == AJWT_STORE_FOUND) {
        *found = 1;
        *value = v;
    }
    return AJWT_OK;
}

/*
 * ajwt_store_check()'s lookup of a token's jti and sub keys: one round
 * trip (one memcached_mget of both keys and the seed) when both live on
 * one server whose socket is open in this thread; see fetch_group().
 */
static ajwt_status_t mc_get_many(ajwt_store_t *st, const char *const *keys,
                                 int n, apr_int64_t *value, int *state,
                                 apr_int64_t now, ajwt_err_t *err)
{
    mc_handle_t *h;
    size_t klen[AJWT_STORE_MANY_MAX];
    int i;

    for (i = 0; i < n; i++) {
        state[i] = AJWT_STORE_UNKNOWN;
    }
    if (n < 1 || n > AJWT_STORE_MANY_MAX) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: %d keys at "
                            "once", n);
    }
    for (i = 0; i < n; i++) {
        if (!key_ok(keys[i], &klen[i])) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: invalid "
                                "key (%lu bytes)", (unsigned long)klen[i]);
        }
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    return lookup(st, h, keys, klen, n, value, state, now, err);
}

/*
 * memcached's own increment, atomic on the server; in the binary protocol
 * increment_with_initial creates a missing key at the initial value with
 * the given expiration, and leaves an existing key's expiration alone.
 * Not retried on a stale socket like put/get: an increment that reached
 * the server before the failure would count twice, and the caller only
 * counts failed logins, where one lost count is harmless.
 */
static ajwt_status_t mc_incr(ajwt_store_t *st, const char *key,
                             apr_int64_t *value, apr_int64_t expires,
                             apr_int64_t now, ajwt_err_t *err)
{
    mc_handle_t *h;
    memcached_return_t rc;
    size_t klen;
    uint32_t s;
    uint64_t v = 0;
    apr_int64_t ttl = expires - now;
    int e;

    if (!key_ok(key, &klen)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: invalid key "
                            "(%lu bytes)", (unsigned long)klen);
    }
    if (ttl <= 0) {
        ttl = 1;
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    s = server_index(h, key, klen);
    if (skipped(st, h, s, "incr", key, now, err)) {
        return AJWT_ESTORE;
    }
    rc = memcached_increment_with_initial(h->mc, key, klen, 1, 1,
                                          exptime_of(ttl, expires), &v);
    e = memcached_last_error_errno(h->mc);
    if (rc != MEMCACHED_SUCCESS) {
        return mc_fail(st, h, s, rc, e, "incr", key, now, err);
    }
    *value = v > (uint64_t)APR_INT64_MAX ? APR_INT64_MAX : (apr_int64_t)v;
    return after_write(st, h, "incr", key, klen, now, err);
}

static const ajwt_store_ops_t mc_ops = { "memcached", mc_put, mc_get,
                                         mc_incr, mc_get_many };

static mc_impl_t *impl_of(const ajwt_store_t *st)
{
    return st && st->ops == &mc_ops ? st->impl : NULL;
}

apr_uint64_t ajwt_store_mc_restores(const ajwt_store_t *st)
{
    mc_impl_t *impl = impl_of(st);
    return impl ? __atomic_load_n(&impl->n_restores, __ATOMIC_RELAXED) : 0;
}

apr_uint64_t ajwt_store_mc_evictions(const ajwt_store_t *st)
{
    mc_impl_t *impl = impl_of(st);
    return impl ? __atomic_load_n(&impl->n_evicted, __ATOMIC_RELAXED) : 0;
}

apr_size_t ajwt_store_mc_last_event(const ajwt_store_t *st, char *buf,
                                    apr_size_t size)
{
    mc_impl_t *impl = impl_of(st);
    apr_size_t n = 0;

    if (size) {
        buf[0] = '\0';
    }
    if (!impl || !size) {
        return 0;
    }
    pthread_mutex_lock(&impl->event_lock);
    apr_cpystrn(buf, impl->event, size);
    pthread_mutex_unlock(&impl->event_lock);
    n = strlen(buf);
    return n;
}

/* One "host[:port]" or "[v6addr][:port]" item, trimmed, into mc. */
static ajwt_status_t add_server(memcached_st *mc, const char *item,
                                apr_pool_t *p, ajwt_err_t *err)
{
    const char *host = item, *colon, *end;
    char *hostcopy;
    size_t hlen;
    long port = MC_DEFAULT_PORT;
    memcached_return_t rc;

    if (*item == '\0') {
        return ajwt_err_set(err, AJWT_ECONFIG, "memcached server list has "
                            "an empty item");
    }
    if (*item == '[') {
        end = strchr(item, ']');
        if (!end || end == item + 1) {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': "
                                "unclosed or empty [address]", item);
        }
        host = item + 1;
        hlen = (size_t)(end - host);
        colon = end[1] ? end + 1 : NULL;
        if (colon && *colon != ':') {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': "
                                "junk after ]", item);
        }
        if (strspn(host, "0123456789abcdefABCDEF:.") < hlen) {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': "
                                "not an IPv6 address", item);
        }
    }
    else {
        colon = strchr(item, ':');
        hlen = colon ? (size_t)(colon - item) : strlen(item);
        if (hlen == 0) {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': "
                                "no host", item);
        }
        if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
                   "XYZ0123456789.-_") < hlen) {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': "
                                "bad character in host name", item);
        }
    }
    if (colon) {
        const char *d = colon + 1;
        size_t n = strspn(d, "0123456789");
        if (n == 0 || n > 5 || d[n] != '\0') {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': "
                                "port is not a number", item);
        }
        port = strtol(d, NULL, 10);
        if (port < 1 || port > 65535) {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': "
                                "port out of range", item);
        }
    }
    hostcopy = apr_pstrmemdup(p, host, hlen);
    rc = memcached_server_add(mc, hostcopy, (in_port_t)port);
    if (rc != MEMCACHED_SUCCESS) {
        return ajwt_err_set(err, AJWT_ECONFIG, "memcached server '%s': %s",
                            item, memcached_strerror(mc, rc));
    }
    return AJWT_OK;
}

static ajwt_status_t set_behavior(memcached_st *mc, memcached_behavior_t b,
                                  uint64_t v, const char *name,
                                  ajwt_err_t *err)
{
    memcached_return_t rc = memcached_behavior_set(mc, b, v);
    if (rc != MEMCACHED_SUCCESS) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached behavior %s: %s",
                            name, memcached_strerror(mc, rc));
    }
    return AJWT_OK;
}

#define BEHAVE(b, v) \
    if ((rv = set_behavior(mc, MEMCACHED_BEHAVIOR_##b, (uint64_t)(v), #b, \
                           err)) != AJWT_OK) { \
        return rv; \
    }

static ajwt_status_t configure(memcached_st *mc, const ajwt_mc_conf_t *conf,
                               ajwt_err_t *err)
{
    ajwt_status_t rv;
    int connect_ms = conf->connect_timeout_ms > 0 ? conf->connect_timeout_ms
                                                  : MC_DEFAULT_CONNECT_MS;
    int poll_ms = conf->poll_timeout_ms > 0 ? conf->poll_timeout_ms
                                            : MC_DEFAULT_POLL_MS;
    int retry_s = conf->retry_timeout_s > 0 ? conf->retry_timeout_s
                                            : MC_DEFAULT_RETRY_S;

    BEHAVE(BINARY_PROTOCOL, 1);
    /* sets CONSISTENT_KETAMA_WEIGHTED distribution and MD5 key hashing */
    BEHAVE(KETAMA_WEIGHTED, 1);
    BEHAVE(TCP_NODELAY, 1);
    /* libmemcached always connects non-blocking and polls for at most
     * CONNECT_TIMEOUT; NO_BLOCK would only add SO_LINGER 0 */
    BEHAVE(CONNECT_TIMEOUT, connect_ms);
    BEHAVE(POLL_TIMEOUT, poll_ms);
    BEHAVE(SND_TIMEOUT, (uint64_t)poll_ms * 1000);     /* microseconds */
    BEHAVE(RCV_TIMEOUT, (uint64_t)poll_ms * 1000);
    BEHAVE(RETRY_TIMEOUT, retry_s);
    /* first failure puts the server in timeout until retry_s have passed */
    BEHAVE(SERVER_TIMEOUT_LIMIT, 1);
    BEHAVE(SERVER_FAILURE_LIMIT, 1);
    /* never rehash a dead server's keys onto the others: see the top */
    BEHAVE(REMOVE_FAILED_SERVERS, 0);
    BEHAVE(AUTO_EJECT_HOSTS, 0);
    return AJWT_OK;
}

/*
 * SASL: the master logs in with conf's user and password, its clones too;
 * the copy kept for the evictions connections is wiped by the cleanup.
 */
static ajwt_status_t sasl_conf(mc_impl_t *impl, const ajwt_mc_conf_t *conf,
                               apr_pool_t *p, ajwt_err_t *err)
{
    impl->conf.replay = conf->replay;
    impl->conf.replay_src = conf->replay_src;
    impl->conf.connect_timeout_ms = conf->connect_timeout_ms > 0
                                    ? conf->connect_timeout_ms
                                    : MC_DEFAULT_CONNECT_MS;
    impl->conf.poll_timeout_ms = conf->poll_timeout_ms > 0
                                 ? conf->poll_timeout_ms : MC_DEFAULT_POLL_MS;
    if (!conf->user) {
        return AJWT_OK;
    }
    if (!*conf->user || !conf->password) {
        return ajwt_err_set(err, AJWT_ECONFIG, "memcached: SASL needs a user "
                            "name and a password");
    }
#if MC_SASL
    {
        memcached_return_t rc;
        impl->conf.user = apr_pstrdup(p, conf->user);
        impl->password = apr_pstrdup(p, conf->password);
        rc = memcached_set_sasl_auth_data(impl->master, impl->conf.user,
                                          impl->password);
        if (rc != MEMCACHED_SUCCESS) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: SASL data "
                                "for %s: %s", impl->conf.user,
                                memcached_strerror(impl->master, rc));
        }
        return AJWT_OK;
    }
#else
    (void)p;
    return ajwt_err_set(err, AJWT_ECONFIG, "memcached: a SASL user is set, "
                        "but libmemcached was built without SASL");
#endif
}

/*
 * What this process keeps per server: its name, a lock, and its seed key,
 * the first "ajwt:seed:<n>" (n = 0, 1, ...) that our ring sends to it.
 */
static ajwt_status_t servers_conf(mc_impl_t *impl, apr_pool_t *p,
                                  ajwt_err_t *err)
{
    memcached_st *ring;
    uint32_t i, n, missing;

    impl->nsrv = memcached_server_count(impl->master);
    impl->srv = apr_pcalloc(p, (impl->nsrv ? impl->nsrv : 1)
                               * sizeof(*impl->srv));
    for (i = 0; i < impl->nsrv; i++) {
        const memcached_instance_st *in =
            memcached_server_instance_by_position(impl->master, i);
        mc_srv_t *sv = &impl->srv[i];
        if (!in) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: no server "
                                "%u", (unsigned)i);
        }
        sv->host = apr_pstrdup(p, memcached_server_name(in));
        sv->port = memcached_server_port(in);
        sv->where = apr_psprintf(p, "%s:%u", sv->host, (unsigned)sv->port);
        if (pthread_mutex_init(&sv->lock, NULL)) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: mutex "
                                "failed");
        }
        impl->srv_locks++;
    }
    /* hashed by a clone, as the threads' handles will: the master's own
     * ring is not rebuilt by the behaviours set after its servers, and
     * sends keys elsewhere */
    if (!(ring = memcached_clone(NULL, impl->master))) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: cannot clone "
                            "handle");
    }
    missing = impl->nsrv;
    for (n = 0; missing && n < MC_SEED_TRIES; n++) {
        char key[MC_SEED_KEY_MAX];
        size_t klen = (size_t)apr_snprintf(key, sizeof(key), MC_SEED_PREFIX
                                           "%u", (unsigned)n);
        i = memcached_generate_hash(ring, key, klen);
        if (i < impl->nsrv && !impl->srv[i].seed_len) {
            memcpy(impl->srv[i].seed, key, klen + 1);
            impl->srv[i].seed_len = klen;
            missing--;
        }
    }
    mc_free(ring);
    for (i = 0; i < impl->nsrv; i++) {
        if (!impl->srv[i].seed_len) {
            return ajwt_err_set(err, AJWT_ECONFIG, "memcached %s: no seed "
                                "key hashes to it", impl->srv[i].where);
        }
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_store_mc_create(ajwt_store_t **out,
                                   const ajwt_mc_conf_t *conf,
                                   apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_store_t *st;
    mc_impl_t *impl;
    ajwt_status_t rv;
    char *list, *item, *save = NULL;
    const char *s;
    size_t n;

    *out = NULL;
    if (!conf || !conf->servers || !*conf->servers) {
        return ajwt_err_set(err, AJWT_ECONFIG, "memcached: no servers");
    }
    s = conf->servers;
    n = strlen(s);
    if (s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,")) {
        return ajwt_err_set(err, AJWT_ECONFIG, "memcached server list '%s' "
                            "has an empty item", s);
    }
    impl = apr_pcalloc(p, sizeof(*impl));
    if (!(impl->master = memcached_create(NULL))) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached_create failed");
    }
    apr_pool_cleanup_register(p, impl, mc_cleanup, apr_pool_cleanup_null);

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
        if ((rv = add_server(impl->master, item, p, err)) != AJWT_OK) {
            return rv;
        }
    }
    impl->retry_s = conf->retry_timeout_s > 0 ? conf->retry_timeout_s
                                              : MC_DEFAULT_RETRY_S;
    if ((rv = configure(impl->master, conf, err)) != AJWT_OK) {
        return rv;
    }
    if ((rv = sasl_conf(impl, conf, p, err)) != AJWT_OK
        || (rv = servers_conf(impl, p, err)) != AJWT_OK) {
        return rv;
    }
    if (pthread_mutex_init(&impl->event_lock, NULL)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: mutex failed");
    }
    impl->event_lock_made = 1;
    if (pthread_mutex_init(&impl->clone_lock, NULL)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: mutex failed");
    }
    impl->lock_made = 1;
    if (pthread_key_create(&impl->key, handle_free)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: no thread key");
    }
    impl->key_made = 1;

    st = apr_pcalloc(p, sizeof(*st));
    st->ops = &mc_ops;
    st->impl = impl;
    *out = st;
    return AJWT_OK;
}
