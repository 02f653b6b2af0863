/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_sender.c: the sender of a request: its client certificate
 * and DPoP proof, checked against the token's cnf (RFC 8705, RFC 9449).
 * The core decides (ajwt_cnf_check); this file finds what the sender
 * showed: the client certificate from mod_ssl, or from
 * AuthJWTClientCertHeader when the TCP peer is an AuthJWTTrustedProxy, and
 * keeps a forged copy of that header from anyone else away from the
 * application.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "mod_ssl.h"

#include "apr_optional.h"
#include "apr_strings.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ajwt.h"
#include "ajwt_claims.h"
#include "ajwt_cnf.h"

#include "mod_auth_jwt.h"

/* mod_ssl's variable lookup, found once after every module is loaded;
 * NULL without mod_ssl (then no certificate comes from TLS). */
static APR_OPTIONAL_FN_TYPE(ssl_var_lookup) *ssl_lookup;

/* Is the TCP peer of this connection a trusted proxy? The peer, not
 * r->useragent_addr: mod_remoteip rewrites that one from a header the
 * client may have written. */
static int peer_trusted(const request_rec *r, const auth_jwt_dir_conf *c)
{
    apr_sockaddr_t *peer = r->connection->client_addr;
    int i;
    for (i = 0; peer && c->trusted_proxies && i < c->trusted_proxies->nelts;
         i++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(c->trusted_proxies, i,
                                            apr_ipsubnet_t *), peer)) {
            return 1;
        }
    }
    return 0;
}

/* The client header names to drop: AuthJWTClientCertHeader's other
 * spellings ('_' for '-', which backends fold into one CGI name), and the
 * name itself when the peer is not trusted. */
typedef struct {
    const char *name;
    int exact_too;
    apr_array_header_t *hits;   /* of const char * */
} cert_header_scan;

static int find_cert_header(void *data, const char *key, const char *value)
{
    cert_header_scan *s = data;
    (void)value;
    if (ajwt_claims_header_same(key, s->name)
        && (s->exact_too || strcasecmp(key, s->name))) {
        APR_ARRAY_PUSH(s->hits, const char *) = key;
    }
    return 1;
}

/*
 * Before anything reads the request's headers (header_parser for the main
 * request, fixups for a subrequest): the certificate header reaches the
 * application only from a trusted proxy, and never in another spelling.
 */
static void strip_cert_header(request_rec *r)
{
    const auth_jwt_dir_conf *c = ap_get_module_config(r->per_dir_config,
                                                      &auth_jwt_module);
    cert_header_scan s;
    int i;

    if (!c->cert_header) {
        return;
    }
    s.name = c->cert_header;
    s.exact_too = !peer_trusted(r, c);
    s.hits = NULL;
    {
        /* usually nothing to drop: no allocation then */
        const apr_array_header_t *all = apr_table_elts(r->headers_in);
        const apr_table_entry_t *e = (const apr_table_entry_t *)all->elts;
        for (i = 0; i < all->nelts; i++) {
            if (e[i].key && ajwt_claims_header_same(e[i].key, s.name)
                && (s.exact_too || strcasecmp(e[i].key, s.name))) {
                break;
            }
        }
        if (i == all->nelts) {
            return;
        }
    }
    s.hits = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(find_cert_header, &s, r->headers_in, NULL);
    for (i = 0; i < s.hits->nelts; i++) {
        const char *key = APR_ARRAY_IDX(s.hits, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70100)
                      "client header %s removed: %s [id %s]",
                      ap_escape_logitem(r->pool, key),
                      s.exact_too ? "the connection is not from an "
                      "AuthJWTTrustedProxy" : "not AuthJWTClientCertHeader's "
                      "own spelling", auth_jwt_log_request_id(r));
        apr_table_unset(r->headers_in, key);
    }
}

static int hook_header_parser(request_rec *r)
{
    strip_cert_header(r);
    return DECLINED;
}

static int hook_fixups(request_rec *r)
{
    if (r->main) {
        /* header_parser runs for main requests only */
        strip_cert_header(r);
    }
    return DECLINED;
}

static int count_value(void *data, const char *key, const char *value)
{
    (void)key;
    (void)value;
    ++*(int *)data;
    return 1;
}

/* SHA-256 of the DER of the certificate in pem into md; 0 when pem holds
 * no readable certificate. */
static int pem_sha256(unsigned char *md, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned int n = 0;
    int ok = x && X509_digest(x, EVP_sha256(), md, &n)
             && n == AJWT_CNF_X5T_LEN;
    X509_free(x);
    BIO_free(bio);
    if (!ok) {
        ERR_clear_error();  /* not for the next OpenSSL caller to find */
    }
    return ok;
}

/*
 * The client certificate's SHA-256 into md, *out = md; *out = NULL when
 * the sender showed none. From AuthJWTClientCertHeader when the peer is a
 * trusted proxy (its own TLS certificate, if any, is not the client's),
 * else from mod_ssl. AJWT_EBINDING for a header given twice or holding no
 * certificate.
 */
static ajwt_status_t client_cert(const unsigned char **out,
                                 unsigned char *md, request_rec *r,
                                 const auth_jwt_dir_conf *c, ajwt_err_t *err)
{
    const char *pem = NULL, *from;

    *out = NULL;
    if (c->cert_header && peer_trusted(r, c)) {
        const char *value = apr_table_get(r->headers_in, c->cert_header);
        int n = 0;
        char *text;
        apr_table_do(count_value, &n, r->headers_in, c->cert_header, NULL);
        from = c->cert_header;
        /* httpd joins repeated headers with ", ": no ',' is in
         * URL-encoded PEM, nor more than one certificate in a header */
        if (n > 1 || (value && ap_strchr_c(value, ','))) {
            return ajwt_err_set(err, AJWT_EBINDING, "%s from the trusted "
                                "proxy holds more than one value",
                                c->cert_header);
        }
        if (value) {
            const char *begin;
            /* URL-encoded PEM (nginx $ssl_client_escaped_cert, AWS ALB):
             * '+' stays '+', as base64 means it */
            text = apr_pstrdup(r->pool, value);
            if (ap_unescape_all(text) != OK) {
                return ajwt_err_set(err, AJWT_EBINDING, "%s from the trusted "
                                    "proxy is not URL-encoded PEM",
                                    c->cert_header);
            }
            if ((begin = strstr(text, "-----BEGIN"))
                && strstr(begin + 1, "-----BEGIN")) {
                return ajwt_err_set(err, AJWT_EBINDING, "%s from the trusted "
                                    "proxy holds more than one PEM block",
                                    c->cert_header);
            }
            pem = text;
        }
    }
    else {
        from = "mod_ssl";
        if (ssl_lookup) {
            pem = ssl_lookup(r->pool, r->server, r->connection, r,
                             (char *)"SSL_CLIENT_CERT");
        }
    }
    if (!pem || !*pem) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, APLOGNO(70101)
                      "no client certificate (looked in %s) [id %s]", from,
                      auth_jwt_log_request_id(r));
        return AJWT_OK;
    }
    if (!pem_sha256(md, pem)) {
        return ajwt_err_set(err, AJWT_EBINDING, "the client certificate "
                            "from %s is not a readable PEM certificate",
                            from);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, APLOGNO(70102)
                  "client certificate from %s [id %s]", from,
                  auth_jwt_log_request_id(r));
    *out = md;
    return AJWT_OK;
}

ajwt_status_t auth_jwt_sender_check(request_rec *r, const auth_jwt_dir_conf *c,
                                    int dpop_scheme, const char *dpop_jkt,
                                    const ajwt_claims_t *cl, ajwt_err_t *err)
{
    ajwt_bind_policy_t pol;
    ajwt_bind_have_t have;
    unsigned char md[AJWT_CNF_X5T_LEN];
    ajwt_status_t st;

    pol.dpop = c->dpop == BIND_REQUIRED;
    pol.mtls = c->mtls == BIND_REQUIRED;
    pol.require_any = c->profile == PROFILE_FAPI2;
    if (!cl->cnf.present && !dpop_scheme && !pol.dpop && !pol.mtls
        && !pol.require_any) {
        return AJWT_OK;     /* a bearer token where bearer tokens go */
    }
    have.dpop_scheme = dpop_scheme;
    have.dpop_jkt = dpop_jkt;
    have.cert_sha256 = NULL;
    /* the certificate is looked at only for a token bound to one */
    if (cl->cnf.has_x5t
        && (st = client_cert(&have.cert_sha256, md, r, c, err)) != AJWT_OK) {
        return st;
    }
    return ajwt_cnf_check(cl, &pol, &have, err);
}

static void retrieve_optional_fns(void)
{
    ssl_lookup = APR_RETRIEVE_OPTIONAL_FN(ssl_var_lookup);
}

void auth_jwt_sender_register(apr_pool_t *p)
{
    (void)p;
    ap_hook_optional_fn_retrieve(retrieve_optional_fns, NULL, NULL,
                                 APR_HOOK_MIDDLE);
    /* before mod_setenvif, mod_headers and the like read the header */
    ap_hook_header_parser(hook_header_parser, NULL, NULL,
                          APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(hook_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
}
