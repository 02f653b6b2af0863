/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_log.c: what a refusal looks like. One table maps each core
 * status (ajwt_status_t) to its HTTP answer, its RFC 6750 challenge and
 * its log line (APLOGNO, level); the other glue files log and answer
 * refusals through it, and take their request id from here.
 */
#include "httpd.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include "mod_auth_jwt.h"

/* ------------------------------------------------------------------ */
/* Errors: one table from core status to HTTP answer and log line      */

static const struct outcome {
    int http;
    /* RFC 6750 error code; "": a challenge without one (no token at all:
     * RFC 6750 section 3.1 says it SHOULD NOT have one); NULL: none */
    const char *bearer;
    int level;
    const char *tag;
} outcomes[AJWT_NSTATUS] = {
    [AJWT_EINTERNAL]  = { 500, NULL,            APLOG_ERR,     APLOGNO(70001) },
    [AJWT_ENOTOKEN]   = { 401, "",              APLOG_INFO,    APLOGNO(70002) },
    [AJWT_EOVERSIZE]  = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70003) },
    [AJWT_EMALFORMED] = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70004) },
    [AJWT_EALG]       = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70005) },
    [AJWT_EHEADER]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70006) },
    [AJWT_EKEY]       = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70007) },
    [AJWT_ESIG]       = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70008) },
    [AJWT_ECLAIM]     = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70009) },
    [AJWT_EEXPIRED]   = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70010) },
    [AJWT_ENOTYET]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70011) },
    [AJWT_EMAXAGE]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70012) },
    [AJWT_EISSUER]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70013) },
    [AJWT_EAUDIENCE]  = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70014) },
    [AJWT_ECONFIG]    = { 500, NULL,            APLOG_ERR,     APLOGNO(70015) },
    [AJWT_EREVOKED]   = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70016) },
    [AJWT_ESTORE]     = { 503, NULL,            APLOG_ERR,     APLOGNO(70017) },
    [AJWT_EFETCH]     = { 503, NULL,            APLOG_ERR,     APLOGNO(70032) },
    [AJWT_ELOCKED]    = { 429, NULL,            APLOG_WARNING, APLOGNO(70042) },
    /* sender constraints: the DPoP challenge is made by the caller */
    [AJWT_EDPOP]      = { 401, "invalid_dpop_proof", APLOG_WARNING,
                          APLOGNO(70120) },
    [AJWT_EREPLAY]    = { 401, "invalid_dpop_proof", APLOG_WARNING,
                          APLOGNO(70121) },
    [AJWT_ENONCE]     = { 401, "use_dpop_nonce", APLOG_INFO, APLOGNO(70122) },
    [AJWT_EBINDING]   = { 401, "invalid_token", APLOG_WARNING,
                          APLOGNO(70123) },
};

const char *auth_jwt_log_request_id(request_rec *r)
{
    if (!r->log_id) {
        const char *id = NULL;
        ap_run_generate_log_id(r->connection, r, &id);
        r->log_id = id;
    }
    return r->log_id ? r->log_id : "-";
}

static const struct outcome *outcome_of(ajwt_status_t st)
{
    if (st <= AJWT_OK || st >= AJWT_NSTATUS || !outcomes[st].http) {
        return &outcomes[AJWT_EINTERNAL];   /* no row for st: fail closed */
    }
    return &outcomes[st];
}

int auth_jwt_log_http_status(ajwt_status_t st)
{
    return outcome_of(st)->http;
}

void auth_jwt_log_refusal(request_rec *r, ajwt_status_t st,
                          const ajwt_err_t *err)
{
    const struct outcome *o = outcome_of(st);
    ap_log_rerror(APLOG_MARK, o->level, err->rv, r,
                  "%stoken refused (%s): %s [id %s]", o->tag,
                  ajwt_status_name(st), err->text[0] ? err->text : "-",
                  auth_jwt_log_request_id(r));
}

const char *auth_jwt_log_challenge_params(request_rec *r)
{
    const auth_jwt_dir_conf *c = ap_get_module_config(r->per_dir_config,
                                                      &auth_jwt_module);
    if (!c || !c->resource_metadata_url) {
        return "";
    }
    /* AuthJWTResourceMetadataURL holds no quote or backslash */
    return apr_pstrcat(r->pool, ", resource_metadata=\"",
                       c->resource_metadata_url, "\"", NULL);
}

void auth_jwt_log_note_bearer(request_rec *r, const char *error)
{
    const char *realm = ap_auth_name(r);
    if (auth_jwt_dpop_note_challenge(r, error)) {
        return;
    }
    apr_table_setn(r->err_headers_out,
                   (PROXYREQ_PROXY == r->proxyreq) ? "Proxy-Authenticate"
                                                   : "WWW-Authenticate",
                   apr_psprintf(r->pool, "Bearer realm=\"%s\"%s%s%s%s",
                                ap_escape_quotes(r->pool,
                                                 realm ? realm : "jwt"),
                                error && *error ? ", error=\"" : "",
                                error && *error ? error : "",
                                error && *error ? "\"" : "",
                                auth_jwt_log_challenge_params(r)));
}

int auth_jwt_log_reject(request_rec *r, ajwt_status_t st,
                        const ajwt_err_t *err)
{
    const struct outcome *o = outcome_of(st);
    auth_jwt_log_refusal(r, st, err);
    if (o->bearer) {
        auth_jwt_log_note_bearer(r, o->bearer);
    }
    if (o->http == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
    }
    return o->http;
}
