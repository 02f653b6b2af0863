/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_verify.h: the whole check of one token string, in order: size,
 * parse, header rules, keys (static and fetched, with the key-rotation
 * rule), signature, typ, registered claims, policy, the user claim and
 * the claims that become request headers. Every door of the module that
 * accepts a token (AuthType jwt, the Basic provider, jwt-revoke token=,
 * jwt-logout, jwt-refresh's access token) builds one ajwt_verifier_t and
 * makes this one call; revocation is checked after it (ajwt_store_check).
 */
#ifndef AJWT_VERIFY_H
#define AJWT_VERIFY_H

#include "ajwt.h"
#include "ajwt_cache.h"
#include "ajwt_claims.h"
#include "ajwt_jwks.h"
#include "ajwt_key.h"

/* A claim that a request header carries to the application. */
typedef struct {
    const char *path;           /* claim path (realm_access.roles) */
    const char *header;         /* request header name */
} ajwt_claim_header_t;

typedef struct {
    const ajwt_keyset_t *keys;  /* static keys; NULL with only a key URL */
    /*
     * Keys from a URL (AuthJWTJwksURL, AuthJWTDiscoveryURL): the live
     * source, refreshed here when due, and once more for a kid no key has
     * (the provider rotated). jwks_name names it in errors. jwks_wanted
     * with jwks NULL: a source is configured but this process has none
     * (AJWT_EFETCH, never "no keys": the token may well be good).
     */
    ajwt_jwks_t *jwks;
    const char *jwks_name;
    int jwks_wanted;
    unsigned algs;              /* allow-list; 0 means every alg of keys */
    /* AuthJWTTokenType at+jwt: the header's typ must be at+jwt or
     * application/at+jwt (RFC 9068 2.1, any case); 0: JWT, at+jwt or none */
    int at_jwt;
    apr_size_t max_len;         /* 0 means AJWT_DEFAULT_MAX_TOKEN */
    ajwt_policy_t policy;       /* issuers NULL: a discovered issuer, if any */
    ajwt_cache_t *cache;        /* verified-token cache, NULL: none */
    /* a revocation store will look this token up: make its store keys
     * once per verified token (kept in the cache) */
    int store_keys;
    /* the claim that names the user (REMOTE_USER); NULL: none asked */
    const char *user_claim;
    /* of ajwt_claim_header_t; NULL: none. Their text, when present, may
     * hold no control character (it would split a header). */
    const apr_array_header_t *headers;
} ajwt_verifier_t;

/* What one verification did besides its answer, for the caller's log. */
#define AJWT_VERIFY_REFRESH_MAX 2
typedef struct {
    const char *user;           /* text of the user claim (AJWT_OK only) */
    int nrefresh;               /* refreshes attempted of v->jwks */
    struct {
        ajwt_jwks_result_t what;    /* UPDATED, SAME or FAILED */
        int unknown_kid;            /* triggered by a kid no key had */
        ajwt_err_t err;             /* FAILED: why */
    } refresh[AJWT_VERIFY_REFRESH_MAX];
    /* verified-token cache lookups (v->cache only): one, or two when new
     * keys came for an unknown kid */
    int cache_hits, cache_misses;
    int cache_evictions;        /* entries of other tokens evicted */
    /* the key type of the token's alg once parsed (0: not parsed, a cache
     * hit, or an alg not in the table) */
    ajwt_kty_t kty;
    /* for a debug trace: the header's alg and kid (NULL: a cache hit, or
     * absent) and the key that verified the signature (NULL: a cache hit,
     * or no signature verified); from p, or the key's own pool */
    const char *alg, *kid;
    const ajwt_key_t *key;
} ajwt_verify_info_t;

/*
 * Verify token (len bytes) at now. On AJWT_OK *out holds the claims, from
 * p, and info (when not NULL) the user. With v->cache, a token verified
 * before under the same keys skips the parse and the signature; the claim
 * checks always run. A "typ" header, when present, must be JWT or at+jwt
 * (with or without "application/", any case); anything else (a refresh
 * token's type, say) is AJWT_EHEADER, as is any typ but at+jwt (none
 * included) with v->at_jwt. The cnf claim is read into (*out)->cnf
 * (ajwt_cnf_read: a malformed one is AJWT_ECLAIM) but not checked: the
 * sender is the caller's (ajwt_cnf_check).
 *
 * Keys: the static keys, combined with the source's current keys when
 * there is a source (a periodic refresh runs first when due). A token
 * that fits no key (AJWT_EKEY) triggers one refresh for an unknown kid
 * (rate limited by the source) and, if new keys arrived, one more try.
 * AJWT_EFETCH when a source is configured and no keys ever arrived (or
 * this process has no source), so that the caller answers 503, not 401.
 * AJWT_ECONFIG when no key and no source apply.
 *
 * The user claim must be a non-empty string or a number: an array,
 * object, boolean or null is AJWT_ECLAIM, as is a control character in
 * it or in any claim-header claim. Refreshes are reported in info
 * whatever the answer; nothing here logs.
 */
ajwt_status_t ajwt_verify(ajwt_claims_t **out, ajwt_verify_info_t *info,
                          const char *token, apr_size_t len,
                          const ajwt_verifier_t *v, apr_time_t now,
                          apr_pool_t *p, ajwt_err_t *err);

/*
 * The user claim's text: a non-empty string or a number, with no control
 * character. NULL otherwise, with why in err (AJWT_ECLAIM). From p.
 */
const char *ajwt_verify_user(const ajwt_claims_t *cl, const char *claim,
                             apr_pool_t *p, ajwt_err_t *err);

#endif
