/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_verify.c: the whole check of one token string, in order.
 *
 * This runs on every request: it makes no copy of the token and leaves
 * every allocation to the steps it calls (one JWS parse, one claims
 * record).
 */
#include <string.h>
#include "ajwt_verify.h"
#include "ajwt_cnf.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_store.h"

/*
 * RFC 8725 section 3.11 / RFC 9068: a "typ" tells token kinds apart, so
 * that a refresh token or an ID token of another type cannot pass as an
 * access token. Only JWT and at+jwt are access tokens here.
 */
enum { TYP_OTHER = 0, TYP_JWT, TYP_AT_JWT };

static int typ_kind(const char *typ)
{
    if (!strncasecmp(typ, "application/", 12)) {
        typ += 12;
    }
    return !strcasecmp(typ, "JWT") ? TYP_JWT
           : !strcasecmp(typ, "at+jwt") ? TYP_AT_JWT : TYP_OTHER;
}

/* *at_jwt: the typ is at+jwt (AuthJWTTokenType at+jwt asks it). */
static ajwt_status_t check_typ(const ajwt_jws_t *jws, int *at_jwt,
                               ajwt_err_t *err)
{
    json_t *typ = json_object_get(jws->header, "typ");
    const char *s;
    int kind;

    *at_jwt = 0;
    if (!typ) {
        return AJWT_OK;
    }
    if (!json_is_string(typ)) {
        return ajwt_err_set(err, AJWT_EHEADER, "typ header is not a string");
    }
    s = json_string_value(typ);
    if ((kind = typ_kind(s)) == TYP_OTHER) {
        /* The header is not signed-checked yet: name it only if it is
         * short, printable text. */
        if (strlen(s) <= 32 && !ajwt_json_has_ctl(s)) {
            return ajwt_err_set(err, AJWT_EHEADER, "typ \"%s\" is not an "
                                "access token type (JWT, at+jwt)", s);
        }
        return ajwt_err_set(err, AJWT_EHEADER, "typ is not an access token "
                            "type (JWT, at+jwt)");
    }
    *at_jwt = kind == TYP_AT_JWT;
    return AJWT_OK;
}

/* One try with one key set: the cache, or parse, typ, signature, claims. */
static ajwt_status_t verify_with(ajwt_claims_t **out, const char *token,
                                 apr_size_t len, const ajwt_verifier_t *v,
                                 const ajwt_keyset_t *keys,
                                 const ajwt_policy_t *policy, apr_time_t now,
                                 ajwt_verify_info_t *info, apr_pool_t *p,
                                 ajwt_err_t *err)
{
    ajwt_cache_scope_t scope;
    ajwt_jws_t *jws;
    ajwt_claims_t *cl;
    ajwt_status_t st;
    int at_jwt = 0;

    if (ajwt_keyset_count(keys) == 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no verification key is "
                            "configured");
    }
    scope.keyset_id = keys->id;
    scope.algs = v->algs ? v->algs : AJWT_ALG_ALL;
    scope.max_len = v->max_len ? v->max_len : AJWT_DEFAULT_MAX_TOKEN;
    cl = ajwt_cache_get(v->cache, token, len, &scope, apr_time_sec(now), p);
    if (v->cache && info) {
        info->cache_hits += cl != NULL;
        info->cache_misses += cl == NULL;
    }
    if (!cl) {
        if ((st = ajwt_jws_parse(&jws, token, len, scope.max_len, 1, p,
                                 err))) {
            return st;
        }
        if (info && jws->alg) {
            info->kty = jws->alg->kty;
        }
        if (info) {
            info->alg = jws->alg_name;
            info->kid = jws->kid;
        }
        if ((st = check_typ(jws, &at_jwt, err))
            || (st = ajwt_jws_verify(info ? &info->key : NULL, jws, keys,
                                     scope.algs, err))
            || (st = ajwt_claims_read(&cl, jws->payload, p, err))
            || (st = ajwt_cnf_read(cl, err))) {
            return st;
        }
        /* what the header said goes into the cache with the claims */
        cl->typ_at_jwt = at_jwt;
        /* with a revocation store, every request of a cached token would
         * otherwise digest its jti and sub again */
        if (v->cache && v->store_keys) {
            ajwt_store_claims_keys(cl);
        }
        if (ajwt_cache_put(v->cache, token, len, &scope, cl) && info) {
            info->cache_evictions++;
        }
    }
    if (v->at_jwt && !cl->typ_at_jwt) {
        /* RFC 9068 4: an ID token or any other JWT signed by the same
         * keys is not an access token here */
        return ajwt_err_set(err, AJWT_EHEADER, "typ is not at+jwt or "
                            "application/at+jwt (AuthJWTTokenType at+jwt; "
                            "jti %.64s)", cl->jti && !ajwt_json_has_ctl(
                                cl->jti) ? cl->jti : "-");
    }
    if ((st = ajwt_claims_check(cl, policy, now, err))) {
        return st;
    }
    *out = cl;
    return AJWT_OK;
}

/* Refresh v->jwks when due; what happened goes into info. */
static ajwt_jwks_result_t refresh(const ajwt_verifier_t *v, apr_time_t now,
                                  int unknown_kid, ajwt_verify_info_t *info,
                                  apr_pool_t *p)
{
    ajwt_jwks_result_t what = AJWT_JWKS_IDLE;
    ajwt_err_t e = { 0 };

    ajwt_jwks_refresh(v->jwks, now, unknown_kid, 0, &what, p, &e);
    if (what != AJWT_JWKS_IDLE && info
        && info->nrefresh < AJWT_VERIFY_REFRESH_MAX) {
        info->refresh[info->nrefresh].what = what;
        info->refresh[info->nrefresh].unknown_kid = unknown_kid;
        info->refresh[info->nrefresh].err = e;
        info->nrefresh++;
    }
    return what;
}

/* The static and fetched keys of v, and the discovered issuer when the
 * policy names none. */
static ajwt_status_t source_keys(const ajwt_keyset_t **keys,
                                 ajwt_policy_t *policy,
                                 const ajwt_verifier_t *v, apr_pool_t *p,
                                 ajwt_err_t *err)
{
    const ajwt_keyset_t *ks = NULL;
    const char *iss = NULL;

    *policy = v->policy;
    ajwt_jwks_keys(&ks, &iss, v->jwks, v->keys, p, NULL);
    if (!ks && !v->keys) {
        return ajwt_err_set(err, AJWT_EFETCH, "no keys fetched yet from %s",
                            v->jwks_name ? v->jwks_name : "the key URL");
    }
    *keys = ks ? ks : v->keys;
    if (iss && !v->policy.issuers) {
        apr_array_header_t *a = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(a, const char *) = iss;
        policy->issuers = a;
    }
    return AJWT_OK;
}

static ajwt_status_t verify_keys(ajwt_claims_t **out, const char *token,
                                 apr_size_t len, const ajwt_verifier_t *v,
                                 apr_time_t now, ajwt_verify_info_t *info,
                                 apr_pool_t *p, ajwt_err_t *err)
{
    const ajwt_keyset_t *keys;
    ajwt_policy_t policy;
    ajwt_status_t st;

    if (!v->jwks) {
        if (v->jwks_wanted) {
            return ajwt_err_set(err, AJWT_EFETCH, "%s: no shared memory in "
                                "this process", v->jwks_name
                                ? v->jwks_name : "the key URL");
        }
        return verify_with(out, token, len, v, v->keys, &v->policy, now,
                           info, p, err);
    }
    if (ajwt_jwks_due(v->jwks, now, 0)) {
        refresh(v, now, 0, info, p);
    }
    if ((st = source_keys(&keys, &policy, v, p, err)) != AJWT_OK) {
        return st;
    }
    st = verify_with(out, token, len, v, keys, &policy, now, info, p, err);
    if (st == AJWT_EKEY && ajwt_jwks_due(v->jwks, now, 1)
        && refresh(v, now, 1, info, p) == AJWT_JWKS_UPDATED) {
        /* the provider may have rotated: once more with the new keys */
        memset(err, 0, sizeof(*err));
        if ((st = source_keys(&keys, &policy, v, p, err)) == AJWT_OK) {
            st = verify_with(out, token, len, v, keys, &policy, now, info,
                             p, err);
        }
    }
    if (st == AJWT_EKEY && !ajwt_jwks_generation(v->jwks)) {
        /* only static keys so far: the provider's are still missing */
        memset(err, 0, sizeof(*err));
        st = ajwt_err_set(err, AJWT_EFETCH, "no keys fetched yet from %s",
                          v->jwks_name ? v->jwks_name : "the key URL");
    }
    return st;
}

const char *ajwt_verify_user(const ajwt_claims_t *cl, const char *claim,
                             apr_pool_t *p, ajwt_err_t *err)
{
    const json_t *j = ajwt_json_path(cl->json, claim);
    const char *user;

    if (!j) {
        ajwt_err_set(err, AJWT_ECLAIM, "no user claim '%s' (jti %s)", claim,
                     cl->jti ? cl->jti : "-");
        return NULL;
    }
    if (!json_is_string(j) && !json_is_number(j)) {
        /* an array or object would become REMOTE_USER as JSON text */
        ajwt_err_set(err, AJWT_ECLAIM, "user claim '%s' is not a string or "
                     "a number (jti %s)", claim, cl->jti ? cl->jti : "-");
        return NULL;
    }
    user = ajwt_json_text(j, p);
    if (!user || !*user) {
        ajwt_err_set(err, AJWT_ECLAIM, "no user claim '%s' (jti %s)", claim,
                     cl->jti ? cl->jti : "-");
        return NULL;
    }
    if (ajwt_json_has_ctl(user)) {
        ajwt_err_set(err, AJWT_ECLAIM, "user claim '%s' holds a control "
                     "character (jti %s)", claim, cl->jti ? cl->jti : "-");
        return NULL;
    }
    return user;
}

ajwt_status_t ajwt_verify(ajwt_claims_t **out, ajwt_verify_info_t *info,
                          const char *token, apr_size_t len,
                          const ajwt_verifier_t *v, apr_time_t now,
                          apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_claims_t *cl = NULL;
    const char *user = NULL;
    ajwt_status_t st;
    int i;

    *out = NULL;
    if (info) {
        memset(info, 0, sizeof(*info));
    }
    if (!token || len == 0) {
        return ajwt_err_set(err, AJWT_ENOTOKEN, "no token");
    }
    if (!v->keys && !v->jwks && !v->jwks_wanted) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no verification key is "
                            "configured");
    }
    if ((st = verify_keys(&cl, token, len, v, now, info, p, err))) {
        return st;
    }
    if (v->user_claim
        && !(user = ajwt_verify_user(cl, v->user_claim, p, err))) {
        return AJWT_ECLAIM;
    }
    for (i = 0; v->headers && i < v->headers->nelts; i++) {
        const ajwt_claim_header_t *h = &APR_ARRAY_IDX(v->headers, i,
                                                      ajwt_claim_header_t);
        const char *text = ajwt_json_text(ajwt_json_path(cl->json, h->path),
                                          p);
        if (text && ajwt_json_has_ctl(text)) {
            return ajwt_err_set(err, AJWT_ECLAIM, "claim '%s' for header "
                                "%s holds a control character (sub %s)",
                                h->path, h->header, user ? user
                                : cl->sub ? cl->sub : "-");
        }
    }
    if (info) {
        info->user = user;
    }
    *out = cl;
    return AJWT_OK;
}
