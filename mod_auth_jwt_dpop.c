/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_dpop.c: the sender of a request, as far as this build
 * checks it: the DPoP proof (RFC 9449) of "Authorization: DPoP <token>"
 * against the token's cnf.jkt, its replay through the revocation store,
 * server nonces, and the DPoP challenge. The checks themselves are the
 * core's (src/ajwt_dpop.c); this file maps the request onto them.
 * Which token needs which proof is the sender check's
 * (mod_auth_jwt_sender.c, ajwt_cnf_check).
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include "ajwt_alg.h"
#include "ajwt_dpop.h"

#include "mod_auth_jwt.h"

#define NOTE_DPOP "auth_jwt_dpop"       /* the request used DPoP */
#define NOTE_NONCE "auth_jwt_dpop_nonce"    /* a nonce is wanted */

static void dpop_conf(ajwt_dpop_conf_t *dc, const auth_jwt_dir_conf *c)
{
    memset(dc, 0, sizeof(*dc));
    dc->algs = c->dpop_algs ? c->dpop_algs : AJWT_DPOP_DEFAULT_ALGS;
    dc->window = c->dpop_window != UNSET ? c->dpop_window
                                         : AJWT_DPOP_DEFAULT_WINDOW;
    dc->leeway = auth_jwt_config_leeway(c);
    if (c->dpop_nonce && c->dpop_nonce_off != 1) {
        dc->nonce_secret = (const unsigned char *)c->dpop_nonce;
        dc->nonce_secret_len = c->dpop_nonce_len;
    }
}

/* The URL a proof's htu must name: AuthJWTPublicURL or this server's
 * scheme://host[:port], and the request's path as sent (no query). */
static const char *request_htu(request_rec *r, const auth_jwt_dir_conf *c)
{
    const char *base = c->public_url ? c->public_url
                                     : ap_construct_url(r->pool, "", r);
    const char *path = r->parsed_uri.path ? r->parsed_uri.path : "/";
    return apr_pstrcat(r->pool, base, path, NULL);
}

static int count_header(void *rec, const char *key, const char *value)
{
    (void)key;
    (void)value;
    ++*(int *)rec;
    return 1;
}

/* The one DPoP header of r, or NULL with err set. A comma means two
 * headers merged by httpd (a compact JWS has none). */
static const char *proof_header(request_rec *r, ajwt_err_t *err)
{
    int n = 0;
    const char *v;
    apr_table_do(count_header, &n, r->headers_in, "DPoP", NULL);
    v = apr_table_get(r->headers_in, "DPoP");
    if (n != 1 || !v || strchr(v, ',')) {
        ajwt_err_set(err, AJWT_EDPOP, "%s DPoP header%s with a DPoP-scheme "
                     "token (exactly one is needed)", n ? "more than one"
                     : "no", n ? "s" : "");
        return NULL;
    }
    return v;
}

ajwt_status_t auth_jwt_dpop_check(request_rec *r,
                                  const auth_jwt_dir_conf *c,
                                  const char *token, int dpop_scheme,
                                  const char **jkt_out, ajwt_err_t *err)
{
    ajwt_dpop_conf_t dc;
    ajwt_dpop_proof_t proof;
    ajwt_store_t *store;
    const char *hdr;
    apr_int64_t now = apr_time_sec(r->request_time), seen = 0;
    ajwt_status_t st;

    *jkt_out = NULL;
    if (!dpop_scheme) {
        return AJWT_OK;     /* the sender check decides about bearers */
    }
    apr_table_setn(r->notes, NOTE_DPOP, "1");
    if (!(hdr = proof_header(r, err))) {
        return AJWT_EDPOP;
    }
    dpop_conf(&dc, c);
    st = ajwt_dpop_check(&proof, hdr, &dc, r->method, request_htu(r, c),
                         token, now, r->pool, err);
    if (st == AJWT_ENONCE) {
        apr_table_setn(r->notes, NOTE_NONCE, "1");
    }
    if (st != AJWT_OK) {
        return st;
    }
    /* once: the first to count this proof's jti wins, in every process
     * and on every server sharing the store */
    if (!(store = auth_jwt_shared_store())) {
        return ajwt_err_set(err, AJWT_EDPOP, "no revocation store to record "
                            "the proof's jti in, so its replay cannot be "
                            "refused (AuthJWTRevocationStore)");
    }
    if ((st = store->ops->incr(store, proof.replay_key, &seen,
                               proof.replay_expires, now, err)) != AJWT_OK) {
        return st;
    }
    if (seen != 1) {
        return ajwt_err_set(err, AJWT_EREPLAY, "the DPoP proof with jti "
                            "%s was used before (%" APR_INT64_T_FMT " times)",
                            ap_escape_logitem(r->pool, proof.jti), seen);
    }
    *jkt_out = apr_pstrdup(r->pool, proof.jkt);
    return AJWT_OK;
}

int auth_jwt_dpop_note_challenge(request_rec *r, const char *error)
{
    const auth_jwt_dir_conf *c = ap_get_module_config(r->per_dir_config,
                                                      &auth_jwt_module);
    ajwt_dpop_conf_t dc;
    if (!apr_table_get(r->notes, NOTE_DPOP) && c->dpop != BIND_REQUIRED
        && !(c->profile == PROFILE_FAPI2 && c->mtls == UNSET
             && !c->cert_header)) {
        return 0;
    }
    dpop_conf(&dc, c);
    apr_table_setn(r->err_headers_out,
                   (PROXYREQ_PROXY == r->proxyreq) ? "Proxy-Authenticate"
                                                   : "WWW-Authenticate",
                   apr_psprintf(r->pool, "DPoP algs=\"%s\"%s%s%s%s",
                                ajwt_alg_mask_str(dc.algs, r->pool),
                                error && *error ? ", error=\"" : "",
                                error && *error ? error : "",
                                error && *error ? "\"" : "",
                                auth_jwt_log_challenge_params(r)));
    if (dc.nonce_secret && apr_table_get(r->notes, NOTE_NONCE)) {
        apr_table_setn(r->err_headers_out, "DPoP-Nonce",
                       ajwt_dpop_nonce_make(&dc, apr_time_sec(apr_time_now()),
                                            r->pool));
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    }
    return 1;
}
