/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_issue.h: the module as a login service: access and refresh tokens
 * signed with AuthJWTSignKey, and refresh families with rotation and reuse
 * detection in the revocation store (ajwt_store.h). Failed-login lockout
 * is ajwt_lockout.h.
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
    /* AuthJWTRetiredSignKey: of const ajwt_key_t *, each with a kid and
     * one alg; they never sign, they only verify refresh tokens (may be
     * NULL) */
    const apr_array_header_t *retired;
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
 * Verify a refresh token with one key, picked by the token's kid: the
 * retired key (is->retired) with that kid, else is->key (its public half
 * or the secret); no other key is ever tried. Strict JWS (size, segments,
 * base64url, JSON), alg must be the picked key's (else AJWT_EALG), typ exactly "refresh+jwt" (an access token is
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
 * "ajwt:f:" + base64url(SHA-256(fam)), the generation now current (its
 * low 24 bits) and the time it was handed out (above them; 0 at login),
 * 0 once the family is revoked.
 *
 * start: gen 1 until expires.
 * rotate: stored == gen and this request wins the claim (below): store
 *   gen + 1 with now (expires renewed), *next = gen + 1, AJWT_OK.
 *   Otherwise AJWT_EREVOKED and *why says which:
 *   AJWT_ROTATE_RACED: another request holding the same token won the
 *     claim, or stored is gen + 1 handed out at most AJWT_REFRESH_GRACE s
 *     from now: no tokens for this request, the family is left alone.
 *   AJWT_ROTATE_REUSE: stored > gen otherwise, an old token came back
 *     (stolen, or replayed): the family is revoked (0).
 *   0: stored 0 or absent (revoked, logged out, expired), or stored < gen
 *     (never handed out: the store lost an update; fail closed), or gen
 *     at its limit (2^24 - 1: log in again).
 * revoke: 0 until expires (logout).
 * Store failures are AJWT_ESTORE; ops without incr AJWT_ECONFIG.
 *
 * Races. Rotation must hand out gen + 1 once, or a stolen refresh token
 * used at the same moment as the real one yields two live sessions. The
 * store has no compare-and-swap, but incr is atomic in both backends
 * (shm: under its writer lock; memcached: increment_with_initial), so
 * the winner is decided by incr of a claim "ajwt:f:r:" + hash(family key
 * "." gen), living as long as the family entry: of N requests presenting
 * the same (family, gen), only the one whose incr returns 1 may store gen
 * + 1; that holds whatever the order of their gets and puts. The claim
 * lives AJWT_REFRESH_GRACE seconds: a use of the same token after that
 * finds the family past gen (the winner stored gen + 1 at once) and is
 * refused before claiming.
 * Limits: a shm store so full that it evicts the claim within the race
 * (it evicts the oldest written entry first) could let a second request
 * win; a winner whose put fails (store away) or that dies between its
 * claim and its put leaves the family at gen with the claim taken: uses
 * of that token are RACED until the claim expires, then the next one
 * rotates (the user is not stuck for the family's lifetime).
 *
 * The losers (AJWT_ROTATE_RACED). A browser page whose access cookie
 * expired sends several requests at once with the same refresh cookie;
 * one rotates, the others lose. Counting them as reuse would revoke the
 * session the winner just renewed and log the user out, so a loser of a
 * rotation of its own generation at most AJWT_REFRESH_GRACE s old is
 * refused without touching the family, and the glue must not clear its
 * cookies (the winner's answer sets the new ones). The trade-off: within
 * that window a copy of the token presented by someone else is refused
 * but not detected as reuse (and whoever lost is told nothing new); the
 * loser keeps the old cookie, so if the winner was a thief, the real
 * client's next refresh, after the window, is reuse and revokes the
 * family, the thief's session with it. Beyond the window, or for any
 * older generation, reuse is detected as before.
 * Revocation racing a winner: revoke (logout, reuse) writes a mark
 * "ajwt:f:x:" + hash(family) and then the family's 0; the winner, after
 * its put of gen + 1, reads the mark and, finding it, writes 0 again and
 * is refused. Whichever put lands last, one side sees the other, so a
 * revoked family never comes back.
 */
#define AJWT_REFRESH_GRACE  10      /* seconds */
#define AJWT_ROTATE_REUSE   1
#define AJWT_ROTATE_RACED   2

ajwt_status_t ajwt_family_start(ajwt_store_t *st, const char *fam,
                                apr_int64_t expires, apr_int64_t now,
                                ajwt_err_t *err);
ajwt_status_t ajwt_family_rotate(ajwt_store_t *st, const char *fam,
                                 apr_int64_t gen, apr_int64_t *next,
                                 int *why, apr_int64_t expires,
                                 apr_int64_t now, ajwt_err_t *err);
ajwt_status_t ajwt_family_revoke(ajwt_store_t *st, const char *fam,
                                 apr_int64_t expires, apr_int64_t now,
                                 ajwt_err_t *err);

#endif
