/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_cnf.c: the confirmation claim of sender-constrained tokens (DPoP
 * RFC 9449, mutual TLS RFC 8705) and the check of this request's sender
 * against it.
 *
 * The claim is read once per verified token (the result lives in the
 * verified-token cache) and the check compares fixed-size bytes: a
 * request of a cached bound token costs two memcmp.
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "ajwt_cnf.h"
#include "ajwt_b64.h"

/* The token's jti for a message: cut short, control characters as '?'
 * (it comes from the token and must not split a log line). */
#define JTI_TEXT 65
static const char *jti_of(char *buf, const ajwt_claims_t *cl)
{
    size_t i;
    if (!cl->jti) {
        return "-";
    }
    for (i = 0; cl->jti[i] && i < JTI_TEXT - 1; i++) {
        unsigned char c = (unsigned char)cl->jti[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[i] = '\0';
    return buf;
}

/* One member of cnf: absent, or 43 strict base64url characters that
 * decode to 32 bytes (into out, when not NULL). */
static ajwt_status_t read_sha256(int *has, unsigned char *out,
                                 const json_t *cnf, const char *name,
                                 const ajwt_claims_t *cl, ajwt_err_t *err)
{
    const json_t *v = json_object_get(cnf, name);
    unsigned char buf[AJWT_CNF_X5T_LEN + 3];
    apr_size_t n = 0;
    char id[JTI_TEXT];

    *has = 0;
    if (!v) {
        return AJWT_OK;
    }
    if (!json_is_string(v) || json_string_length(v) != AJWT_CNF_JKT_LEN
        || ajwt_b64_decode_to(buf, &n, json_string_value(v),
                              AJWT_CNF_JKT_LEN, NULL) != AJWT_OK
        || n != AJWT_CNF_X5T_LEN) {
        return ajwt_err_set(err, AJWT_ECLAIM, "claim cnf.%s is not a "
                            "base64url SHA-256 (43 characters; jti %s)",
                            name, jti_of(id, cl));
    }
    if (out) {
        memcpy(out, buf, AJWT_CNF_X5T_LEN);
    }
    *has = 1;
    return AJWT_OK;
}

ajwt_status_t ajwt_cnf_read(ajwt_claims_t *cl, ajwt_err_t *err)
{
    const json_t *cnf = json_object_get(cl->json, "cnf");
    ajwt_cnf_t *c = &cl->cnf;
    ajwt_status_t st;
    char id[JTI_TEXT];

    memset(c, 0, sizeof(*c));
    if (!cnf) {
        return AJWT_OK;
    }
    if (!json_is_object(cnf)) {
        return ajwt_err_set(err, AJWT_ECLAIM, "claim cnf is not an object "
                            "(jti %s)", jti_of(id, cl));
    }
    if ((st = read_sha256(&c->has_jkt, NULL, cnf, "jkt", cl, err))
        || (st = read_sha256(&c->has_x5t, c->x5t_s256, cnf, "x5t#S256", cl,
                             err))) {
        memset(c, 0, sizeof(*c));
        return st;
    }
    if (c->has_jkt) {
        memcpy(c->jkt, json_string_value(json_object_get(cnf, "jkt")),
               AJWT_CNF_JKT_LEN);
        c->jkt[AJWT_CNF_JKT_LEN] = '\0';
    }
    c->present = 1;
    return AJWT_OK;
}

/* base64url of a SHA-256 (43 characters and a NUL into buf), for a
 * message: OpenSSL's base64, then the URL alphabet without padding. */
static const char *b64u_sha256(char buf[48], const unsigned char *md)
{
    int i, n = EVP_EncodeBlock((unsigned char *)buf, md, AJWT_CNF_X5T_LEN);
    for (i = 0; i < n; i++) {
        buf[i] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : buf[i];
    }
    buf[AJWT_CNF_JKT_LEN] = '\0';   /* drops the one '=' */
    return buf;
}

ajwt_status_t ajwt_cnf_check(const ajwt_claims_t *cl,
                             const ajwt_bind_policy_t *pol,
                             const ajwt_bind_have_t *have, ajwt_err_t *err)
{
    const ajwt_cnf_t *c = &cl->cnf;
    char id[JTI_TEXT], b1[48], b2[48];

    if (c->present && !c->has_jkt && !c->has_x5t) {
        /* bound to something (a jwk, an x5t of SHA-1...) this server
         * cannot check: as a bearer token it would lose its binding */
        return ajwt_err_set(err, AJWT_EBINDING, "cnf names no confirmation "
                            "method checked here (jkt, x5t#S256; jti %s)",
                            jti_of(id, cl));
    }
    if (pol->dpop && !c->has_jkt) {
        return ajwt_err_set(err, AJWT_EBINDING, "not a DPoP-bound token (no "
                            "cnf.jkt) where AuthJWTDPoP Required (jti %s)",
                            jti_of(id, cl));
    }
    if (pol->mtls && !c->has_x5t) {
        return ajwt_err_set(err, AJWT_EBINDING, "not a certificate-bound "
                            "token (no cnf.x5t#S256) where AuthJWTMTLS "
                            "Required (jti %s)", jti_of(id, cl));
    }
    if (pol->require_any && !c->has_jkt && !c->has_x5t) {
        return ajwt_err_set(err, AJWT_EBINDING, "not a sender-constrained "
                            "token (no cnf.jkt or cnf.x5t#S256) where "
                            "AuthJWTProfile fapi2 (jti %s)", jti_of(id, cl));
    }
    if (have->dpop_scheme && !c->has_jkt) {
        return ajwt_err_set(err, AJWT_EBINDING, "a token without cnf.jkt "
                            "under the DPoP scheme (RFC 9449 7.1; jti %s)",
                            jti_of(id, cl));
    }
    if (c->has_jkt) {
        if (!have->dpop_scheme) {
            return ajwt_err_set(err, AJWT_EBINDING, "a DPoP-bound token "
                                "(cnf.jkt) presented as a bearer token "
                                "(RFC 9449 7.2; jti %s)", jti_of(id, cl));
        }
        if (!have->dpop_jkt) {
            return ajwt_err_set(err, AJWT_EBINDING, "a DPoP-bound token "
                                "without a verified DPoP proof (jti %s)",
                                jti_of(id, cl));
        }
        if (strlen(have->dpop_jkt) != AJWT_CNF_JKT_LEN
            || CRYPTO_memcmp(have->dpop_jkt, c->jkt, AJWT_CNF_JKT_LEN)) {
            return ajwt_err_set(err, AJWT_EBINDING, "the DPoP proof's key "
                                "%.43s is not the token's cnf.jkt %s (jti "
                                "%s)", have->dpop_jkt, c->jkt,
                                jti_of(id, cl));
        }
    }
    if (c->has_x5t) {
        if (!have->cert_sha256) {
            return ajwt_err_set(err, AJWT_EBINDING, "a certificate-bound "
                                "token (cnf.x5t#S256) without a client "
                                "certificate (jti %s)", jti_of(id, cl));
        }
        if (CRYPTO_memcmp(have->cert_sha256, c->x5t_s256,
                          AJWT_CNF_X5T_LEN)) {
            return ajwt_err_set(err, AJWT_EBINDING, "the client certificate "
                                "(SHA-256 %s) is not the token's "
                                "cnf.x5t#S256 %s (jti %s)",
                                b64u_sha256(b1, have->cert_sha256),
                                b64u_sha256(b2, c->x5t_s256),
                                jti_of(id, cl));
        }
    }
    return AJWT_OK;
}
