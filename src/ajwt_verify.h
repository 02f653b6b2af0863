/*
 * ajwt_verify.h: the whole check of one token string, in order: size,
 * parse, header rules, signature, typ, registered claims, policy.
 */
#ifndef AJWT_VERIFY_H
#define AJWT_VERIFY_H

#include "ajwt.h"
#include "ajwt_cache.h"
#include "ajwt_claims.h"
#include "ajwt_key.h"

typedef struct {
    const ajwt_keyset_t *keys;  /* configured keys */
    unsigned algs;              /* allow-list; 0 means every alg of keys */
    apr_size_t max_len;         /* 0 means AJWT_DEFAULT_MAX_TOKEN */
    ajwt_policy_t policy;
    ajwt_cache_t *cache;        /* verified-token cache, NULL: none */
} ajwt_verifier_t;

/*
 * Verify token (len bytes). On AJWT_OK *out holds the claims, from p.
 * With v->cache, a token verified before under the same keys skips the
 * parse and the signature; the claim checks of v->policy always run.
 * A "typ" header, when present, must be JWT or at+jwt (with or without
 * "application/", any case); anything else (a refresh token's type, say)
 * is AJWT_EHEADER.
 */
ajwt_status_t ajwt_verify(ajwt_claims_t **out, const char *token,
                          apr_size_t len, const ajwt_verifier_t *v,
                          apr_time_t now, apr_pool_t *p, ajwt_err_t *err);

#endif
