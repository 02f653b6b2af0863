/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_lockout.c: failed-login counters per account and per address in
 * the revocation store.
 */
#include "ajwt_lockout.h"

#define LOCK_USER_PREFIX    "ajwt:l:u:"
#define LOCK_ADDR_PREFIX    "ajwt:l:a:"
#define LOCK_USER_END       "ajwt:l:U:"     /* window end of the user's */
#define LOCK_ADDR_END       "ajwt:l:A:"
#define LOCK_RETRY_UNKNOWN  60

static ajwt_status_t store_ready(ajwt_store_t *st, ajwt_err_t *err)
{
    if (!st || !st->ops) {
        return ajwt_err_set(err, AJWT_ECONFIG, "AuthJWTLockout needs a "
                            "revocation store (AuthJWTRevocationStore)");
    }
    return AJWT_OK;
}

/* Is the counter under prefix/id at or over attempts? Sets *left. */
static ajwt_status_t locked(ajwt_store_t *st, const char *prefix,
                            const char *end_prefix, const char *id,
                            int attempts, apr_int64_t now, int *is_locked,
                            apr_int64_t *left, ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, end = 0;
    int found = 0;
    ajwt_status_t rc;

    *is_locked = 0;
    if (!id) {
        return AJWT_OK;
    }
    ajwt_store_key_named(key, prefix, id);
    if ((rc = st->ops->get(st, key, &v, &found, now, err))) {
        return rc;
    }
    if (!found || v < attempts) {
        return AJWT_OK;
    }
    *is_locked = 1;
    ajwt_store_key_named(key, end_prefix, id);
    found = 0;
    if ((rc = st->ops->get(st, key, &end, &found, now, err))) {
        return rc;
    }
    *left = (found && end > now) ? end - now : LOCK_RETRY_UNKNOWN;
    return AJWT_OK;
}

ajwt_status_t ajwt_lockout_check(ajwt_store_t *st, const char *user,
                                 const char *addr, int attempts,
                                 apr_int64_t now, apr_int64_t *retry_after,
                                 ajwt_err_t *err)
{
    apr_int64_t lu = 0, la = 0;
    int u = 0, a = 0;
    ajwt_status_t rc;

    *retry_after = 0;
    if (attempts <= 0) {
        return AJWT_OK;
    }
    if ((rc = store_ready(st, err))
        || (rc = locked(st, LOCK_USER_PREFIX, LOCK_USER_END, user, attempts,
                        now, &u, &lu, err))
        || (rc = locked(st, LOCK_ADDR_PREFIX, LOCK_ADDR_END, addr, attempts,
                        now, &a, &la, err))) {
        return rc;
    }
    if (!u && !a) {
        return AJWT_OK;
    }
    *retry_after = lu > la ? lu : la;
    if (*retry_after < 1) {
        *retry_after = 1;
    }
    /* the user name is the client's: not quoted in the log */
    return ajwt_err_set(err, AJWT_ELOCKED, "too many failed logins for %s; "
                        "retry in %" APR_INT64_T_FMT " s",
                        u && a ? "this account and this address"
                        : u ? "this account" : "this address", *retry_after);
}

static ajwt_status_t count(ajwt_store_t *st, const char *prefix,
                           const char *end_prefix, const char *id,
                           int window, apr_int64_t now, ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0;
    ajwt_status_t rc;

    if (!id) {
        return AJWT_OK;
    }
    ajwt_store_key_named(key, prefix, id);
    if ((rc = st->ops->incr(st, key, &v, now + window, now, err))) {
        return rc;
    }
    if (v == 1) {
        /* a new window: remember when it ends, for Retry-After */
        ajwt_store_key_named(key, end_prefix, id);
        return st->ops->put(st, key, now + window, now + window, now, err);
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_lockout_fail(ajwt_store_t *st, const char *user,
                                const char *addr, int window,
                                apr_int64_t now, ajwt_err_t *err)
{
    ajwt_status_t rc;

    if ((rc = store_ready(st, err))) {
        return rc;
    }
    if (!st->ops->incr) {
        return ajwt_err_set(err, AJWT_ECONFIG, "the %s store cannot count "
                            "failed logins", st->ops->name);
    }
    if (window < 1) {
        window = 1;
    }
    if ((rc = count(st, LOCK_USER_PREFIX, LOCK_USER_END, user, window, now,
                    err))) {
        return rc;
    }
    return count(st, LOCK_ADDR_PREFIX, LOCK_ADDR_END, addr, window, now,
                 err);
}

ajwt_status_t ajwt_lockout_clear(ajwt_store_t *st, const char *user,
                                 apr_int64_t now, ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX];
    ajwt_status_t rc;

    if ((rc = store_ready(st, err))) {
        return rc;
    }
    if (!user) {
        return AJWT_OK;
    }
    /*
     * The store has no delete: an entry expiring now is gone for get and
     * for incr (shm); memcached skips a put that is already over, so the
     * counter is zeroed for a second there, and incr then counts from 0
     * within the old window, which only makes the next lockout later.
     */
    ajwt_store_key_named(key, LOCK_USER_PREFIX, user);
    if ((rc = st->ops->put(st, key, 0, now + 1, now, err))) {
        return rc;
    }
    ajwt_store_key_named(key, LOCK_USER_END, user);
    return st->ops->put(st, key, 0, now + 1, now, err);
}
