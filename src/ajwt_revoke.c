/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_revoke.c: the jwt-revoke request: strict parsing, then one store
 * write. Nothing is stored unless the whole request is valid.
 */
#include <errno.h>
#include <string.h>
#include <apr_strings.h>
#include "ajwt_json.h"
#include "ajwt_revoke.h"
#include "ajwt_web.h"

/* token is bounded by the body; exp may be a JSON integer */
static const ajwt_web_field_t fields[] = {
    { "token", AJWT_REVOKE_MAX_BODY, 0 },
    { "jti", AJWT_REVOKE_MAX_FIELD, 0 },
    { "exp", AJWT_REVOKE_MAX_FIELD, 1 },
    { "sub", AJWT_REVOKE_MAX_FIELD, 0 },
};
#define NFIELDS ((int)(sizeof(fields) / sizeof(fields[0])))

static ajwt_status_t parse_exp(apr_int64_t *exp, const char *s,
                               ajwt_err_t *err)
{
    char *end;
    errno = 0;
    *exp = apr_strtoi64(s, &end, 10);
    if (!*s || *end || errno || *exp < 0 || *exp > AJWT_MAX_NUMERIC_DATE) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "exp must be a whole "
                            "number of seconds since the epoch");
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_revoke_parse(ajwt_revoke_req_t *req, const char *body,
                                apr_size_t len, int json, apr_pool_t *p,
                                ajwt_err_t *err)
{
    const char *vals[NFIELDS];
    ajwt_status_t st;
    int i, modes;

    memset(req, 0, sizeof(*req));
    if (len > AJWT_REVOKE_MAX_BODY) {
        return ajwt_err_set(err, AJWT_EOVERSIZE, "body over %d bytes",
                            AJWT_REVOKE_MAX_BODY);
    }
    if ((st = ajwt_web_fields_parse(vals, fields, NFIELDS, "unknown field "
                                    "(use token, jti with exp, or sub)",
                                    body, len, json, p, err))) {
        return st;
    }
    for (i = 0; i < NFIELDS; i++) {
        if (vals[i] && !*vals[i]) {
            return ajwt_err_set(err, AJWT_EMALFORMED, "field %s is empty",
                                fields[i].name);
        }
    }
    modes = !!vals[0] + !!vals[1] + !!vals[3];
    if (modes != 1) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "give exactly one of "
                            "token, jti (with exp) or sub");
    }
    if (vals[2] && !vals[1]) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "exp goes with jti only");
    }
    if (vals[0]) {
        req->kind = AJWT_REVOKE_TOKEN;
        req->token = vals[0];
    }
    else if (vals[1]) {
        if (!vals[2]) {
            return ajwt_err_set(err, AJWT_EMALFORMED, "jti needs exp (the "
                                "token's expiry), so the entry can end");
        }
        if ((st = parse_exp(&req->exp, vals[2], err))) {
            return st;
        }
        req->kind = AJWT_REVOKE_JTI;
        req->jti = vals[1];
    }
    else {
        req->kind = AJWT_REVOKE_SUB;
        req->sub = vals[3];
    }
    return AJWT_OK;
}

static const char *dump(json_t *j, apr_pool_t *p)
{
    char *s = json_dumps(j, JSON_COMPACT);
    const char *out = s ? apr_pstrdup(p, s) : "{}";
    free(s);
    json_decref(j);
    return out;
}

const char *ajwt_revoke_error(const char *code, const char *text,
                              apr_pool_t *p)
{
    return dump(json_pack("{s:s,s:s}", "error", code,
                          "error_description", text), p);
}

ajwt_status_t ajwt_revoke_run(const char **answer,
                              const ajwt_revoke_req_t *req,
                              ajwt_store_t *st, const ajwt_revoke_bounds_t *b,
                              apr_time_t now, apr_pool_t *p,
                              ajwt_err_t *err)
{
    apr_int64_t t = apr_time_sec(now);
    int leeway = b ? b->leeway : AJWT_DEFAULT_LEEWAY;
    apr_int64_t lifetime = b ? b->lifetime : -1;
    ajwt_status_t rc;
    const char *jti = req->jti;
    apr_int64_t exp = req->exp;

    *answer = NULL;
    if (req->kind == AJWT_REVOKE_TOKEN) {
        const ajwt_claims_t *cl = req->claims;
        rc = req->token_status;
        if (rc == AJWT_OK && !cl) {
            rc = ajwt_err_set(err, AJWT_EINTERNAL, "token not verified");
        }
        if (rc == AJWT_EEXPIRED) {
            *answer = dump(json_pack("{s:n,s:s}", "revoked", "reason",
                                     "the token has already expired"), p);
            return AJWT_OK;
        }
        if (rc == AJWT_EREVOKED) {
            *answer = dump(json_pack("{s:n,s:s}", "revoked", "reason",
                                     "the token is already revoked"), p);
            return AJWT_OK;
        }
        if (rc) {
            *answer = ajwt_revoke_error("invalid_token", "the token does "
                                        "not verify", p);
            return rc;
        }
        if (!cl->jti) {
            *answer = ajwt_revoke_error("invalid_request", "the token has "
                                        "no jti: revoke its subject", p);
            return ajwt_err_set(err, AJWT_EMALFORMED, "token without jti "
                                "(sub %s)", cl->sub ? cl->sub : "-");
        }
        jti = cl->jti;
        exp = cl->exp;
    }
    if (req->kind == AJWT_REVOKE_SUB) {
        rc = ajwt_store_revoke_sub(st, req->sub, lifetime, leeway, t, err);
        if (rc) {
            *answer = ajwt_revoke_error("temporarily_unavailable",
                                        "the revocation store cannot be "
                                        "reached", p);
            return rc;
        }
        *answer = dump(json_pack("{s:s,s:s,s:I,s:I}", "revoked", "sub",
                                 "sub", req->sub, "before", (json_int_t)t,
                                 "until", (json_int_t)(t + (lifetime >= 0
                                     ? lifetime : AJWT_SUB_REVOKE_TTL)
                                     + leeway)), p);
        return AJWT_OK;
    }
    if (exp + leeway <= t) {
        *answer = dump(json_pack("{s:n,s:s}", "revoked", "reason",
                                 "the token has already expired"), p);
        return AJWT_OK;
    }
    rc = ajwt_store_revoke_jti(st, jti, exp, leeway, t, err);
    if (rc) {
        *answer = ajwt_revoke_error("temporarily_unavailable", "the "
                                    "revocation store cannot be reached", p);
        return rc;
    }
    *answer = dump(json_pack("{s:s,s:s,s:I}", "revoked", "jti", "jti", jti,
                             "until", (json_int_t)(exp + leeway)), p);
    return AJWT_OK;
}
