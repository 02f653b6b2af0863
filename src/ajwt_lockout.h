/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_lockout.h: failed-login lockout (AuthJWTLockout ATTEMPTS SECONDS),
 * counted per account and per client address in the revocation store
 * (ajwt_store.h), so that every process and, with memcached or Redis,
 * every server sees the same counts.
 */
#ifndef AJWT_LOCKOUT_H
#define AJWT_LOCKOUT_H

#include "ajwt.h"
#include "ajwt_store.h"

/*
 * Counters under "ajwt:l:u:" + hash(user) and "ajwt:l:a:" + hash(addr),
 * each counting over a window that starts at its first failure; the end
 * of each window is also kept under "ajwt:l:U:" / "ajwt:l:A:" (so that
 * check can say how long is left: memcached cannot tell an entry's
 * expiry).
 *
 * check: either counter >= attempts: AJWT_ELOCKED with *retry_after the
 *   seconds left (>= 1; the window length unknown: 60). user or addr may
 *   be NULL (not counted). attempts <= 0: never locked.
 * fail: increment both (a new counter lives until now + window).
 * clear: forget the user's counter (after a good login); the address's
 *   stays, so one client cannot reset its own count with its own account.
 * Store failures are AJWT_ESTORE; no store (st or its ops NULL; check
 * only when attempts > 0), or for fail a store without incr, AJWT_ECONFIG.
 * Nothing is allocated.
 */
ajwt_status_t ajwt_lockout_check(ajwt_store_t *st, const char *user,
                                 const char *addr, int attempts,
                                 apr_int64_t now, apr_int64_t *retry_after,
                                 ajwt_err_t *err);
ajwt_status_t ajwt_lockout_fail(ajwt_store_t *st, const char *user,
                                const char *addr, int window,
                                apr_int64_t now, ajwt_err_t *err);
ajwt_status_t ajwt_lockout_clear(ajwt_store_t *st, const char *user,
                                 apr_int64_t now, ajwt_err_t *err);

#endif
