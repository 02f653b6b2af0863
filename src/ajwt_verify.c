/*
 * ajwt_verify.c: the whole check of one token string, in order.
 *
 * This runs on every request: it makes no copy of the token and leaves
 * every allocation to the steps it calls (one JWS parse, one claims
 * record).
 */
#include <string.h>
#include "ajwt_verify.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_store.h"

/*
 * RFC 8725 section 3.11 / RFC 9068: a "typ" tells token kinds apart, so
 * that a refresh token or an ID token of another type cannot pass as an
 * access token. Only JWT and at+jwt are access tokens here.
 */
static int typ_accepted(const char *typ)
{
    if (!strncasecmp(typ, "application/", 12)) {
        typ += 12;
    }
    return !strcasecmp(typ, "JWT") || !strcasecmp(typ, "at+jwt");
}

static ajwt_status_t check_typ(const ajwt_jws_t *jws, ajwt_err_t *err)
{
    json_t *typ = json_object_get(jws->header, "typ");
    const char *s;

    if (!typ) {
        return AJWT_OK;
    }
    if (!json_is_string(typ)) {
        return ajwt_err_set(err, AJWT_EHEADER, "typ header is not a string");
    }
    s = json_string_value(typ);
    if (!typ_accepted(s)) {
        /* The header is not signed-checked yet: name it only if it is
         * short, printable text. */
        if (strlen(s) <= 32 && !ajwt_json_has_ctl(s)) {
            return ajwt_err_set(err, AJWT_EHEADER, "typ \"%s\" is not an "
                                "access token type (JWT, at+jwt)", s);
        }
        return ajwt_err_set(err, AJWT_EHEADER, "typ is not an access token "
                            "type (JWT, at+jwt)");
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_verify(ajwt_claims_t **out, const char *token,
                          apr_size_t len, const ajwt_verifier_t *v,
                          apr_time_t now, apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_cache_scope_t scope;
    ajwt_jws_t *jws;
    ajwt_claims_t *cl;
    ajwt_status_t st;

    *out = NULL;
    if (!token || len == 0) {
        return ajwt_err_set(err, AJWT_ENOTOKEN, "no token");
    }
    if (ajwt_keyset_count(v->keys) == 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no verification key is "
                            "configured");
    }
    scope.keyset_id = v->keys->id;
    scope.algs = v->algs ? v->algs : AJWT_ALG_ALL;
    scope.max_len = v->max_len ? v->max_len : AJWT_DEFAULT_MAX_TOKEN;
    cl = ajwt_cache_get(v->cache, token, len, &scope, apr_time_sec(now), p);
    if (!cl) {
        if ((st = ajwt_jws_parse(&jws, token, len, scope.max_len, 1, p,
                                 err))
            || (st = check_typ(jws, err))
            || (st = ajwt_jws_verify(NULL, jws, v->keys, scope.algs, err))
            || (st = ajwt_claims_read(&cl, jws->payload, p, err))) {
            return st;
        }
        /* with a revocation store in this process, every request of a
         * cached token would otherwise digest its jti and sub again */
        if (v->cache && ajwt_store_keys_wanted()) {
            ajwt_store_claims_keys(cl);
        }
        ajwt_cache_put(v->cache, token, len, &scope, cl);
    }
    if ((st = ajwt_claims_check(cl, &v->policy, now, err))) {
        return st;
    }
    *out = cl;
    return AJWT_OK;
}
