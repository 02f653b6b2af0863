/*
 * ajwt_issue.h: the module as a login service: access and refresh tokens
 * signed with AuthJWTSignKey, refresh families with rotation and reuse
 * detection, and failed-login lockout counters, both in the revocation
 * store (ajwt_store.h).
 *
 * Access tokens carry typ "at+jwt" (RFC 9068) and pass ajwt_verify();
 * refresh tokens carry typ "refresh+jwt", which ajwt_verify() refuses
 * (AJWT_EHEADER), and only ajwt_issue_check_refresh() accepts them, which
 * in turn refuses access tokens: neither can stand in for the other.
 */
#ifndef AJWT_ISSUE_H
#define AJWT_ISSUE_H

#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_key.h"
#include "ajwt_store.h"

#define AJWT_TYP_ACCESS     "at+jwt"
#define AJWT_TYP_REFRESH    "refresh+jwt"
#define AJWT_DEFAULT_ACCESS_TTL     900
#define AJWT_DEFAULT_REFRESH_TTL    1209600

typedef struct {
    const ajwt_key_t *key;      /* signing key (private or secret) */
    const ajwt_alg_t *alg;
    const char *iss, *aud;      /* aud may be NULL: then iss is used */
    int access_ttl, refresh_ttl;
} ajwt_issuer_t;

/*
 * An access token: header {"alg","typ":"at+jwt","kid"?}, claims iss, sub,
 * aud, iat = now, exp = now + access_ttl, jti (random 128 bits,
 * base64url), roles (array of strings, possibly empty; roles may be
 * NULL), client_id (= aud, RFC 9068), and sid when not NULL: the refresh
 * family of the session, so that logging out with the access token alone
 * can end the whole session. *token and *jti (may be NULL) from p.
 * AJWT_ECLAIM for a missing sub, AJWT_EINTERNAL when signing fails.
 */
ajwt_status_t ajwt_issue_access(char **token, const char **jti,
                                const ajwt_issuer_t *is, const char *sub,
                                const apr_array_header_t *roles,
                                const char *sid, apr_int64_t now,
                                apr_pool_t *p, ajwt_err_t *err);

/*
 * A refresh token: header typ "refresh+jwt"; claims iss, sub, aud, iat,
 * exp = iat + refresh_ttl, jti, fam (the family id, see below), gen (its
 * generation, >= 1). *token from p.
 */
ajwt_status_t ajwt_issue_refresh(char **token, const ajwt_issuer_t *is,
                                 const char *sub, const char *fam,
                                 apr_int64_t gen, apr_int64_t now,
                                 apr_pool_t *p, ajwt_err_t *err);

/* 16 random bytes (RAND_bytes) as base64url (22 characters), from p;
 * for jti and family ids. NULL only if the RNG fails. */
const char *ajwt_issue_new_id(apr_pool_t *p);

typedef struct {
    const char *sub, *fam, *jti;
    apr_int64_t gen, exp, iat;
} ajwt_refresh_t;

/*
 * Verify a refresh token with is->key (its public half or the secret):
 * strict JWS (size, segments, base64url, JSON), alg must be is->alg
 * (else AJWT_EALG), typ exactly "refresh+jwt" (an access token is
 * AJWT_EHEADER), signature (AJWT_ESIG / AJWT_EKEY), iss equal to is->iss
 * (AJWT_EISSUER), exp / iat with leeway (AJWT_EEXPIRED / AJWT_ENOTYET);
 * fam (string), gen (integer >= 1), sub and jti are required (else
 * AJWT_ECLAIM). Strings of *out from p.
 */
ajwt_status_t ajwt_issue_check_refresh(ajwt_refresh_t *out,
                                       const char *token,
                                       const ajwt_issuer_t *is, int leeway,
                                       apr_int64_t now, apr_pool_t *p,
                                       ajwt_err_t *err);

/*
 * Refresh families. A login starts a family (a random id); each refresh
 * token names its family and generation. The store keeps, under
 * "ajwt:f:" + base64url(SHA-256(fam)), the generation now current, 0 once
 * the family is revoked.
 *
 * start: gen 1 until expires.
 * rotate: stored == gen: store gen + 1 (keeping expires), *next = gen + 1,
 *   AJWT_OK. stored > gen: an old token came back (stolen, or replayed):
 *   the family is revoked (0), *reuse = 1, AJWT_EREVOKED. stored 0 or
 *   absent: AJWT_EREVOKED, *reuse = 0.
 * revoke: 0 until expires (logout).
 * Store failures are AJWT_ESTORE.
 *
 * Races: rotate is a get then a put, not a compare-and-swap (the store
 * interface has none), so two rotations of the same token at the same
 * instant may both succeed and both hand out generation gen + 1; the
 * next use of either then counts as current. A later reuse of any older
 * token is still detected.
 */
ajwt_status_t ajwt_family_start(ajwt_store_t *st, const char *fam,
                                apr_int64_t expires, apr_int64_t now,
                                ajwt_err_t *err);
ajwt_status_t ajwt_family_rotate(ajwt_store_t *st, const char *fam,
                                 apr_int64_t gen, apr_int64_t *next,
                                 int *reuse, apr_int64_t expires,
                                 apr_int64_t now, ajwt_err_t *err);
ajwt_status_t ajwt_family_revoke(ajwt_store_t *st, const char *fam,
                                 apr_int64_t expires, apr_int64_t now,
                                 ajwt_err_t *err);

/*
 * Failed-login lockout (AuthJWTLockout ATTEMPTS SECONDS). Counters under
 * "ajwt:l:u:" + hash(user) and "ajwt:l:a:" + hash(addr), each counting
 * over a window that starts at its first failure; the end of each window
 * is also kept under "ajwt:l:U:" / "ajwt:l:A:" (so that check can say how
 * long is left: memcached cannot tell an entry's expiry).
 *
 * check: either counter >= attempts: AJWT_ELOCKED with *retry_after the
 *   seconds left (>= 1; the window length unknown: 60). user or addr may
 *   be NULL (not counted). attempts <= 0: never locked.
 * fail: increment both (a new counter lives until now + window).
 * clear: forget the user's counter (after a good login); the address's
 *   stays, so one client cannot reset its own count with its own account.
 * Store failures are AJWT_ESTORE; ops without incr AJWT_ECONFIG.
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
