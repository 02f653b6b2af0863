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
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <libmemcached/memcached.h>
#include "ajwt_store.h"

#define MC_DEFAULT_PORT         11211
#define MC_DEFAULT_CONNECT_MS   300
#define MC_DEFAULT_POLL_MS      300
#define MC_DEFAULT_RETRY_S      2
#define MC_RELATIVE_MAX         2592000     /* memcached: 30 days */
#define MC_VALUE_MAX            24          /* "-9223372036854775808" */

typedef struct {
    memcached_st *master;       /* configured once, only ever cloned */
    pthread_key_t key;          /* -> mc_handle_t of the calling thread */
    pthread_mutex_t clone_lock; /* cloning reads the master's lists */
    int key_made;
    int lock_made;
    int retry_s;
} mc_impl_t;

typedef struct {
    pid_t pid;                  /* the process that cloned it */
    memcached_st *mc;
    uint32_t nservers;
    apr_int64_t *down_until;    /* per server: skipped while now <= this */
    unsigned char *up;          /* per server: last use in this thread
                                 * worked, so its socket is open */
} mc_handle_t;

static void handle_free(void *data)
{
    mc_handle_t *h = data;
    if (h) {
        if (h->pid == getpid() && h->mc) {
            memcached_free(h->mc);
        }
        free(h->down_until);
        free(h->up);
        free(h);
    }
}

static apr_status_t mc_cleanup(void *data)
{
    mc_impl_t *impl = data;
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
    if (impl->master) {
        memcached_free(impl->master);
        impl->master = NULL;
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
    h->mc = memcached_clone(NULL, impl->master);
    pthread_mutex_unlock(&impl->clone_lock);
    h->nservers = h->mc ? memcached_server_count(h->mc) : 0;
    h->down_until = calloc(h->nservers ? h->nservers : 1, sizeof(apr_int64_t));
    h->up = calloc(h->nservers ? h->nservers : 1, 1);
    if (!h->mc || !h->down_until || !h->up) {
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

static void server_of(memcached_st *mc, const char *key, size_t klen,
                      char *where, size_t size)
{
    memcached_return_t rc;
    const memcached_instance_st *srv;

    srv = memcached_server_by_key(mc, key, klen, &rc);
    if (srv) {
        apr_snprintf(where, size, "%s:%u", memcached_server_name(srv),
                     (unsigned)memcached_server_port(srv));
    }
    else {
        apr_cpystrn(where, "?", size);
    }
}

/*
 * Is the key's server being skipped after a failure? libmemcached skips a
 * server whose connect failed, but not one that accepts and then never
 * answers (a hung or stopped memcached): every request would wait the
 * whole poll timeout. So any failure skips the server here, for this
 * thread, for at least retry_timeout_s of the caller's clock (whole
 * seconds: the second of the failure does not count).
 */
static int skipped(ajwt_store_t *st, mc_handle_t *h, const char *op,
                   const char *key, size_t klen, apr_int64_t now,
                   ajwt_err_t *err)
{
    uint32_t i = memcached_generate_hash(h->mc, key, klen);
    char where[300];
    (void)st;
    if (i < h->nservers && now <= h->down_until[i]) {
        server_of(h->mc, key, klen, where, sizeof(where));
        ajwt_err_set(err, AJWT_ESTORE, "memcached %s of %s at %s: server "
                     "skipped for %" APR_INT64_T_FMT " s after a failure",
                     op, key, where, h->down_until[i] - now + 1);
        return 1;
    }
    return 0;
}

/* A reason for the error log: library text, errno, and which server; the
 * server is then skipped for a while (see skipped()). */
static ajwt_status_t mc_fail(ajwt_store_t *st, mc_handle_t *h,
                             memcached_return_t rc, int e, const char *op,
                             const char *key, size_t klen, apr_int64_t now,
                             ajwt_err_t *err)
{
    mc_impl_t *impl = st->impl;
    uint32_t i = memcached_generate_hash(h->mc, key, klen);
    char where[300];

    if (i < h->nservers) {
        h->down_until[i] = now + impl->retry_s;
        h->up[i] = 0;
    }
    server_of(h->mc, key, klen, where, sizeof(where));
    return ajwt_err_set(err, AJWT_ESTORE, "memcached %s of %s at %s: %s%s%s",
                        op, key, where, memcached_strerror(h->mc, rc),
                        e ? ", " : "", e ? strerror(e) : "");
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

static ajwt_status_t mc_put(ajwt_store_t *st, const char *key,
                            apr_int64_t value, apr_int64_t expires,
                            apr_int64_t now, ajwt_err_t *err)
{
    mc_handle_t *h;
    memcached_st *mc;
    memcached_return_t rc;
    char buf[MC_VALUE_MAX];
    size_t klen;
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
    /* memcached reads more than 30 days as a unix time, and the binary
     * protocol carries 32 bits: later than 2106 is kept until 2106 */
    if (ttl <= MC_RELATIVE_MAX) {
        exptime = (time_t)ttl;
    }
    else {
        exptime = (time_t)(expires > (apr_int64_t)UINT32_MAX ? UINT32_MAX
                                                             : expires);
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    if (skipped(st, h, "set", key, klen, now, err)) {
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
        return mc_fail(st, h, rc, e, "set", key, klen, now, err);
    }
    return AJWT_OK;
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
    uint32_t flags = 0, i;
    char *v;
    int e;

    *state = AJWT_STORE_UNKNOWN;
    if (skipped(st, h, "get", key, klen, now, err)) {
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
        return mc_fail(st, h, rc, e, "get", key, klen, now, err);
    }
    if ((i = memcached_generate_hash(mc, key, klen)) < h->nservers) {
        h->up[i] = 1;
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

static ajwt_status_t mc_get(ajwt_store_t *st, const char *key,
                            apr_int64_t *value, int *found,
                            apr_int64_t now, ajwt_err_t *err)
{
    mc_handle_t *h;
    ajwt_status_t rc;
    size_t klen;
    int state;

    /* memcached expires entries itself: now is only for skipped() */
    *found = 0;
    if (!key_ok(key, &klen)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: invalid key "
                            "(%lu bytes)", (unsigned long)klen);
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    if ((rc = get_one(st, h, key, klen, value, &state, now, err))) {
        return rc;
    }
    if (state == AJWT_STORE_MALFORMED) {
        /* not ours: fail like an unreachable store, never "not revoked";
         * ajwt_store_check() reads it through mc_get_many(), which tells
         * it apart */
        return ajwt_err_set(err, AJWT_ESTORE, "memcached get of %s: "
                            "malformed value", key);
    }
    *found = state == AJWT_STORE_FOUND;
    return AJWT_OK;
}

/*
 * One memcached_mget of keys (all on one server) and the fetch of what it
 * found. MEMCACHED_SUCCESS when the server answered for every key (those
 * not fetched are absent), else the failure, as memcached_get would have
 * it: memcached_get is this same mget of one key and fetch.
 */
static memcached_return_t mget_fetch(memcached_st *mc,
                                     const char *const *keys,
                                     const size_t *klen, int n,
                                     apr_int64_t *value, int *state)
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
            }
        }
    }
    memcached_result_free(&res);
    return rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND
           ? MEMCACHED_SUCCESS : rc;
}

/*
 * ajwt_store_check()'s lookup of a token's jti and sub keys: one round
 * trip (memcached_mget) when both keys live on one server whose socket
 * is open in this thread, else memcached_get per key as before.
 *
 * Why not an mget across servers, or on a socket not yet open: when one
 * server of an mget cannot be connected to or written to, libmemcached
 * goes on with the others and reports the status of the last key sent,
 * so a dead server's keys can come back as merely "not found" (read
 * "not revoked"), and a first connect that fails hides its reason
 * (errno) behind "server disabled" for the next key. On one open socket
 * two small requests are buffered and sent with one write, and a failure
 * to write or read fails the whole fetch, as for memcached_get. A socket
 * found dead there (the server restarted) drops back to one get per key,
 * which reconnects with the same retry as before.
 */
static ajwt_status_t mc_get_many(ajwt_store_t *st, const char *const *keys,
                                 int n, apr_int64_t *value, int *state,
                                 apr_int64_t now, ajwt_err_t *err)
{
    mc_handle_t *h;
    size_t klen[2];
    uint32_t srv[2];
    ajwt_status_t rv;
    int i;

    for (i = 0; i < n; i++) {
        state[i] = AJWT_STORE_UNKNOWN;
    }
    if (n < 1 || n > 2) {
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
    for (i = 0; i < n; i++) {
        srv[i] = memcached_generate_hash(h->mc, keys[i], klen[i]);
    }
    if (n == 2 && srv[0] == srv[1] && srv[0] < h->nservers
        && h->up[srv[0]]) {
        memcached_return_t rc;
        int e;

        if (skipped(st, h, "get", keys[0], klen[0], now, err)) {
            return AJWT_ESTORE;
        }
        rc = mget_fetch(h->mc, keys, klen, n, value, state);
        e = memcached_last_error_errno(h->mc);
        if (rc == MEMCACHED_SUCCESS) {
            return AJWT_OK;
        }
        for (i = 0; i < n; i++) {
            state[i] = AJWT_STORE_UNKNOWN;
        }
        h->up[srv[0]] = 0;
        /* SOME_ERRORS: mget's final write (the noop) failed, a socket
         * closed by the server (restarted, or gone: "broken pipe") */
        if (!stale(rc) && rc != MEMCACHED_SOME_ERRORS) {
            return mc_fail(st, h, rc, e, "get", keys[0], klen[0], now,
                           err);
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
    uint64_t v = 0;
    apr_int64_t ttl = expires - now;
    time_t exptime;
    int e;

    if (!key_ok(key, &klen)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "memcached: invalid key "
                            "(%lu bytes)", (unsigned long)klen);
    }
    if (ttl <= 0) {
        ttl = 1;
    }
    if (ttl <= MC_RELATIVE_MAX) {
        exptime = (time_t)ttl;
    }
    else {
        exptime = (time_t)(expires > (apr_int64_t)UINT32_MAX ? UINT32_MAX
                                                             : expires);
    }
    if (!(h = thread_handle(st, err))) {
        return AJWT_EINTERNAL;
    }
    if (skipped(st, h, "incr", key, klen, now, err)) {
        return AJWT_ESTORE;
    }
    rc = memcached_increment_with_initial(h->mc, key, klen, 1, 1, exptime,
                                          &v);
    e = memcached_last_error_errno(h->mc);
    if (rc != MEMCACHED_SUCCESS) {
        return mc_fail(st, h, rc, e, "incr", key, klen, now, err);
    }
    *value = v > (uint64_t)APR_INT64_MAX ? APR_INT64_MAX : (apr_int64_t)v;
    return AJWT_OK;
}

static const ajwt_store_ops_t mc_ops = { "memcached", mc_put, mc_get,
                                         mc_incr, mc_get_many };

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
    ajwt_store_note_made();
    return AJWT_OK;
}
