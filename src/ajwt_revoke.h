/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_revoke.h: the jwt-revoke request, without httpd: read the body
 * (form or JSON), check it strictly, carry it out on a store, and say what
 * happened as a JSON answer for the client.
 */
#ifndef AJWT_REVOKE_H
#define AJWT_REVOKE_H

#include "ajwt.h"
#include "ajwt_store.h"
#include "ajwt_verify.h"

#define AJWT_REVOKE_MAX_BODY  16384     /* bytes; a token is at most 8 KiB */
#define AJWT_REVOKE_MAX_FIELD 1024      /* bytes of a jti or sub */

typedef enum {
    AJWT_REVOKE_TOKEN = 1,      /* token=: verified first, then its jti */
    AJWT_REVOKE_JTI,            /* jti= and exp= */
    AJWT_REVOKE_SUB             /* sub=: every token issued until now */
} ajwt_revoke_kind_t;

typedef struct {
    ajwt_revoke_kind_t kind;
    const char *token, *jti, *sub;
    apr_int64_t exp;
    /*
     * For AJWT_REVOKE_TOKEN, set by the caller before ajwt_revoke_run():
     * the token verified the way the location accepts tokens (its static
     * and fetched keys, its user claim: the glue's one verification
     * path), and that verification's status.
     */
    const ajwt_claims_t *claims;
    ajwt_status_t token_status;
} ajwt_revoke_req_t;

/* How long revocations must live on this server (ajwt_store.h). */
typedef struct {
    int leeway;                 /* the largest leeway of any location */
    apr_int64_t lifetime;       /* AuthJWTMaxTokenLifetime */
} ajwt_revoke_bounds_t;

/*
 * Parse len bytes of body: JSON when json is true, else a form
 * (application/x-www-form-urlencoded), by ajwt_web_fields_parse() and its
 * rules. Exactly one of token, jti (with exp: digits, or a JSON integer)
 * or sub; no other field, no field twice or empty, no control characters.
 * AJWT_EOVERSIZE over AJWT_REVOKE_MAX_BODY, else AJWT_EMALFORMED with
 * err->text fit for the client (it never repeats the input). Strings
 * from p.
 */
ajwt_status_t ajwt_revoke_parse(ajwt_revoke_req_t *req, const char *body,
                                apr_size_t len, int json, apr_pool_t *p,
                                ajwt_err_t *err);

/*
 * Carry req out on st, with entries living as b says. A token's jti is
 * trusted only if req->token_status is AJWT_OK; one that already expired
 * (AJWT_EEXPIRED) is reported and nothing is stored. *answer is the JSON text for the client, from p:
 * {"revoked":"jti","jti":...,"until":N}, {"revoked":"sub","sub":...,
 * "before":N,"until":N}, {"revoked":null,"reason":...} or
 * {"error":...}. Returns AJWT_OK; a token's own status (the token is
 * bad: a 400 for the caller), AJWT_EMALFORMED, or AJWT_ESTORE.
 */
ajwt_status_t ajwt_revoke_run(const char **answer,
                              const ajwt_revoke_req_t *req,
                              ajwt_store_t *st, const ajwt_revoke_bounds_t *b,
                              apr_time_t now, apr_pool_t *p,
                              ajwt_err_t *err);

/* {"error":"<code>","error_description":"<text>"} from p. */
const char *ajwt_revoke_error(const char *code, const char *text,
                              apr_pool_t *p);

#endif
