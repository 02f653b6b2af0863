/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_dpop.c: the check of one DPoP proof (RFC 9449 section 4.3), RFC
 * 7638 thumbprints, stateless server nonces (RFC 9449 section 8) and ath.
 *
 * A proof is new on every request, so its cost is paid every time: one
 * parse, one EVP_PKEY from its jwk (ajwt_jwk_public_key(), no keyset and
 * no prepared contexts), one signature verification, two SHA-256 (jkt and
 * ath) and, with nonces, one HMAC.
 */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "ajwt_dpop.h"
#include "ajwt_b64.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_key.h"

#define DPOP_TYP        "dpop+jwt"
#define NONCE_RAW       (8 + 32)        /* slot, HMAC-SHA256 */

/* SHA-256, fetched once per process by the algorithm table. */
static const EVP_MD *sha256(void)
{
    const EVP_MD *md = ajwt_alg_md(ajwt_alg_get(AJWT_ES256));
    return md ? md : EVP_sha256();
}

/* base64url(SHA-256(buf)) into out (AJWT_JKT_LEN + 1 bytes); 0 on failure */
static int sha256_b64(char *out, const void *buf, apr_size_t len)
{
    static const char enc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0, i;
    char *o = out;

    if (!EVP_Digest(buf, len, md, &ml, sha256(), NULL) || ml != 32) {
        ERR_clear_error();
        out[0] = '\0';
        return 0;
    }
    /* ten groups of three bytes, then two bytes as three characters */
    for (i = 0; i + 3 <= 32; i += 3) {
        *o++ = enc[md[i] >> 2];
        *o++ = enc[(md[i] & 0x03) << 4 | md[i + 1] >> 4];
        *o++ = enc[(md[i + 1] & 0x0f) << 2 | md[i + 2] >> 6];
        *o++ = enc[md[i + 2] & 0x3f];
    }
    *o++ = enc[md[30] >> 2];
    *o++ = enc[(md[30] & 0x03) << 4 | md[31] >> 4];
    *o++ = enc[(md[31] & 0x0f) << 2];
    *o = '\0';
    return 1;
}

const char *ajwt_dpop_ath(const char *token, apr_pool_t *p)
{
    char *out = apr_palloc(p, AJWT_JKT_LEN + 1);

    if (!token || !sha256_b64(out, token, strlen(token))) {
        return NULL;
    }
    return out;
}

/* ---------------------------------------------------------- thumbprint */

/* A thumbprint member: a string of the base64url alphabet only (every
 * required member of RSA, EC and OKP keys is), so no JSON escaping can
 * make two serialisations of one key. */
static const char *tp_member(const json_t *jwk, const char *name)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    apr_size_t i, n;

    if (!s) {
        return NULL;
    }
    n = json_string_length(json_object_get(jwk, name));
    if (n == 0 || n > 2800) {           /* an RSA-16384 "n" is 2731 */
        return NULL;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return NULL;
        }
    }
    return s;
}

ajwt_status_t ajwt_jwk_thumbprint(char *out, const json_t *jwk,
                                  ajwt_err_t *err)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *a, *b, *c;
    char buf[3000];
    int n;

    out[0] = '\0';
    if (!json_is_object(jwk) || !kty) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "jwk: no kty");
    }
    /* RFC 7638 3.2: the required members, in lexical order, no spaces */
    if (!strcmp(kty, "RSA")) {
        a = tp_member(jwk, "e");
        b = tp_member(jwk, "n");
        n = a && b ? snprintf(buf, sizeof(buf),
                              "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
                              a, b) : -1;
    }
    else if (!strcmp(kty, "EC")) {
        a = tp_member(jwk, "crv");
        b = tp_member(jwk, "x");
        c = tp_member(jwk, "y");
        n = a && b && c ? snprintf(buf, sizeof(buf),
                                   "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":"
                                   "\"%s\",\"y\":\"%s\"}", a, b, c) : -1;
    }
    else if (!strcmp(kty, "OKP")) {
        a = tp_member(jwk, "crv");
        b = tp_member(jwk, "x");
        n = a && b ? snprintf(buf, sizeof(buf),
                              "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}",
                              a, b) : -1;
    }
    else {
        return ajwt_err_set(err, AJWT_EMALFORMED, "jwk: kty %.20s has no "
                            "thumbprint here (RSA, EC, OKP)", kty);
    }
    if (n < 0 || n >= (int)sizeof(buf)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "jwk: a required %s "
                            "member is missing or not base64url", kty);
    }
    if (!sha256_b64(out, buf, (apr_size_t)n)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "jwk: SHA-256 failed");
    }
    return AJWT_OK;
}

/* -------------------------------------------------------------- nonces */

static apr_int64_t slot_of(apr_int64_t now)
{
    /* floor division: a clock before 1970 still has slots */
    return now >= 0 ? now / AJWT_DPOP_NONCE_SLOT
                    : -((-now + AJWT_DPOP_NONCE_SLOT - 1)
                        / AJWT_DPOP_NONCE_SLOT);
}

/* raw[0..7] = slot big-endian, raw[8..39] = HMAC-SHA256(secret, raw[0..7]) */
static int nonce_raw(unsigned char *raw, const ajwt_dpop_conf_t *conf,
                     apr_int64_t slot)
{
    OSSL_PARAM params[2];
    EVP_MAC_CTX *m;
    apr_uint64_t u = (apr_uint64_t)slot;
    size_t n = 0;
    int i, ok;

    for (i = 7; i >= 0; i--) {
        raw[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    m = EVP_MAC_CTX_new(ajwt_alg_hmac());
    ok = m && EVP_MAC_init(m, conf->nonce_secret, conf->nonce_secret_len,
                           params)
         && EVP_MAC_update(m, raw, 8)
         && EVP_MAC_final(m, raw + 8, &n, 32) && n == 32;
    EVP_MAC_CTX_free(m);
    ERR_clear_error();
    return ok;
}

const char *ajwt_dpop_nonce_make(const ajwt_dpop_conf_t *conf,
                                 apr_int64_t now, apr_pool_t *p)
{
    unsigned char raw[NONCE_RAW];
    const char *s;

    if (!conf || !conf->nonce_secret || !conf->nonce_secret_len
        || !nonce_raw(raw, conf, slot_of(now))) {
        return NULL;
    }
    s = ajwt_b64_encode(raw, sizeof(raw), p);
    OPENSSL_cleanse(raw, sizeof(raw));
    return s;
}

int ajwt_dpop_nonce_ok(const ajwt_dpop_conf_t *conf, const char *nonce,
                       apr_int64_t now)
{
    unsigned char got[NONCE_RAW + 1], want[NONCE_RAW];
    apr_size_t gl = 0, len;
    apr_int64_t slot = 0, cur = slot_of(now);
    int i, ok;

    if (!conf || !conf->nonce_secret || !conf->nonce_secret_len || !nonce) {
        return 0;
    }
    len = strlen(nonce);
    /* 40 bytes are 54 characters: nothing else is one of ours */
    if (len != 54 || ajwt_b64_decode_to(got, &gl, nonce, len, NULL)
        || gl != NONCE_RAW) {
        return 0;
    }
    for (i = 0; i < 8; i++) {
        slot = (apr_int64_t)(((apr_uint64_t)slot << 8) | got[i]);
    }
    if (slot != cur && slot != cur - 1) {
        return 0;
    }
    if (!nonce_raw(want, conf, slot)) {
        return 0;
    }
    ok = CRYPTO_memcmp(got + 8, want + 8, 32) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    return ok;
}

/* ----------------------------------------------------------------- htu */

static int is_ctl_or_space(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f;
}

const char *ajwt_dpop_htu_normalize(const char *url, apr_pool_t *p)
{
    const char *s, *auth, *auth_end, *path, *path_end, *colon = NULL;
    char *host, *o;
    int https, port = -1;
    apr_size_t i, hl;

    if (!url) {
        return NULL;
    }
    for (s = url; *s; s++) {
        if (is_ctl_or_space((unsigned char)*s)) {
            return NULL;
        }
    }
    if (!strncasecmp(url, "https://", 8)) {
        https = 1;
        auth = url + 8;
    }
    else if (!strncasecmp(url, "http://", 7)) {
        https = 0;
        auth = url + 7;
    }
    else {
        return NULL;
    }
    auth_end = auth + strcspn(auth, "/?#");
    if (memchr(auth, '@', auth_end - auth)) {
        return NULL;                    /* no userinfo in an htu */
    }
    /* the port is after the last ':' outside an IPv6 literal */
    if (*auth == '[') {
        const char *rb = memchr(auth, ']', auth_end - auth);
        if (!rb) {
            return NULL;
        }
        if (rb + 1 < auth_end) {
            if (rb[1] != ':') {
                return NULL;
            }
            colon = rb + 1;
        }
    }
    else {
        for (s = auth; s < auth_end; s++) {
            if (*s == ':') {
                colon = s;
            }
        }
        if (colon && memchr(auth, ':', colon - auth)) {
            return NULL;                /* two colons, no brackets */
        }
    }
    hl = (colon ? colon : auth_end) - auth;
    if (hl == 0) {
        return NULL;
    }
    if (colon && colon + 1 < auth_end) {
        port = 0;
        for (s = colon + 1; s < auth_end; s++) {
            if (*s < '0' || *s > '9') {
                return NULL;
            }
            port = port * 10 + (*s - '0');
            if (port > 65535) {
                return NULL;
            }
        }
        if (port == 0) {
            return NULL;
        }
    }
    if (port == (https ? 443 : 80)) {
        port = -1;                      /* RFC 3986 6.2.3 */
    }
    host = apr_pstrmemdup(p, auth, hl);
    for (i = 0; i < hl; i++) {
        host[i] = apr_tolower(host[i]);
    }
    path = auth_end;
    path_end = path + strcspn(path, "?#");
    o = apr_psprintf(p, "%s://%s%s%s%.*s", https ? "https" : "http", host,
                     port > 0 ? ":" : "",
                     port > 0 ? apr_itoa(p, port) : "",
                     (int)(path_end - path), path);
    if (path_end == path) {
        o = apr_pstrcat(p, o, "/", NULL);
    }
    return o;
}

/* --------------------------------------------------------------- check */

/* A proof refused: the reason for the log, never for the client. */
#define REFUSE(...) ajwt_err_set(err, AJWT_EDPOP, __VA_ARGS__)

ajwt_status_t ajwt_dpop_check(ajwt_dpop_proof_t *out, const char *proof,
                              const ajwt_dpop_conf_t *conf,
                              const char *method, const char *htu,
                              const char *access_token, apr_int64_t now,
                              apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_jws_t *jws;
    ajwt_key_t *key;
    ajwt_err_t e = { 0 };
    const json_t *jwk, *v, *pl;
    const char *jti, *want, *got;
    apr_size_t len, jl;
    ajwt_status_t st;
    double iat, w;
    char id[AJWT_JKT_LEN + 1 + AJWT_DPOP_JTI_MAX + 1];

    memset(out, 0, sizeof(*out));
    if (!proof || !*proof) {
        return REFUSE("DPoP proof is empty");
    }
    len = strnlen(proof, AJWT_DPOP_PROOF_MAX + 1);
    if (len > AJWT_DPOP_PROOF_MAX) {
        return REFUSE("DPoP proof longer than %d bytes", AJWT_DPOP_PROOF_MAX);
    }
    if ((st = ajwt_jws_parse(&jws, proof, len, AJWT_DPOP_PROOF_MAX, 1, p,
                             &e))) {
        return st == AJWT_EINTERNAL ? ajwt_err_set(err, st, "DPoP proof: %s",
                                                   e.text)
                                    : REFUSE("DPoP proof: %s", e.text);
    }
    /* RFC 9449 4.2: exactly this media type, compared as a string */
    if (!jws->typ || strcmp(jws->typ, DPOP_TYP)) {
        return REFUSE("DPoP proof typ is not \"" DPOP_TYP "\"");
    }
    if (!jws->alg || jws->alg->kty == AJWT_KTY_OCT
        || !(conf->algs & AJWT_ALG_BIT(jws->alg->id))) {
        return REFUSE("DPoP proof alg %.20s is not allowed (%s)",
                      jws->alg_name, ajwt_alg_mask_str(conf->algs
                          & ~ajwt_alg_mask_kty(AJWT_KTY_OCT), p));
    }
    if (json_object_get(jws->header, "crit")) {
        return REFUSE("DPoP proof has crit (no extension is understood)");
    }
    jwk = json_object_get(jws->header, "jwk");
    if (!jwk) {
        return REFUSE("DPoP proof has no jwk");
    }
    if ((st = ajwt_jwk_public_key(&key, jwk, jws->alg, "DPoP proof jwk", p,
                                  &e))) {
        return REFUSE("%s", e.text);
    }
    st = ajwt_jws_verify_sig(jws->alg, key,
                             (const unsigned char *)jws->signing_input,
                             jws->signing_input_len, jws->sig, jws->sig_len,
                             &e);
    if (st == AJWT_EINTERNAL) {
        return ajwt_err_set(err, st, "DPoP proof: %s", e.text);
    }
    if (st) {
        return REFUSE("DPoP proof signature: %s", e.text);
    }
    pl = jws->payload;

    v = json_object_get(pl, "jti");
    jti = json_string_value(v);
    jl = jti ? json_string_length(v) : 0;
    if (!jti || jl == 0 || jl > AJWT_DPOP_JTI_MAX || strlen(jti) != jl) {
        return REFUSE("DPoP proof jti missing, not a string, empty, holding "
                      "NUL or longer than %d bytes", AJWT_DPOP_JTI_MAX);
    }
    got = json_string_value(json_object_get(pl, "htm"));
    if (!got || !method || strcmp(got, method)) {
        return REFUSE("DPoP proof htm does not match the method %.16s",
                      method ? method : "?");
    }
    want = ajwt_dpop_htu_normalize(htu, p);
    if (!want) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "DPoP: the request URL "
                            "cannot be rebuilt as an absolute URL");
    }
    got = json_string_value(json_object_get(pl, "htu"));
    if (!got || !(got = ajwt_dpop_htu_normalize(got, p))
        || strcmp(got, want)) {
        return REFUSE("DPoP proof htu does not match %.200s", want);
    }
    v = json_object_get(pl, "iat");
    if (!json_is_number(v)) {
        return REFUSE("DPoP proof iat missing or not a number");
    }
    iat = json_number_value(v);
    w = (double)(conf->window > 0 ? conf->window : 0)
        + (double)(conf->leeway > 0 ? conf->leeway : 0);
    if (!(iat >= (double)now - w && iat <= (double)now + w)) {
        return REFUSE("DPoP proof iat is %s the window of %.0f s",
                      iat < (double)now ? "before" : "after", w);
    }
    v = json_object_get(pl, "ath");
    if (access_token) {
        want = ajwt_dpop_ath(access_token, p);
        got = json_string_value(v);
        if (!want) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "DPoP: SHA-256 failed");
        }
        if (!got || strcmp(got, want)) {
            return REFUSE("DPoP proof ath %s the access token's",
                          got ? "is not" : "missing: it must be");
        }
    }
    else if (v) {
        return REFUSE("DPoP proof has an ath where no access token is "
                      "presented");
    }
    if (conf->nonce_secret) {
        got = json_string_value(json_object_get(pl, "nonce"));
        if (!got) {
            return ajwt_err_set(err, AJWT_ENONCE, "DPoP proof has no nonce");
        }
        if (!ajwt_dpop_nonce_ok(conf, got, now)) {
            return ajwt_err_set(err, AJWT_ENONCE, "DPoP proof nonce is not "
                                "current");
        }
    }
    if ((st = ajwt_jwk_thumbprint(out->jkt, jwk, &e))) {
        /* the key was imported, so its members are all there */
        return st == AJWT_EINTERNAL ? ajwt_err_set(err, st, "%s", e.text)
                                    : REFUSE("%s", e.text);
    }
    out->jti = apr_pstrmemdup(p, jti, jl);
    out->iat = (apr_int64_t)iat;        /* finite: within the window */
    if ((double)out->iat > iat) {
        out->iat--;                     /* floor, for a clock before 1970 */
    }
    out->replay_expires = out->iat + (apr_int64_t)w + 1;
    memcpy(id, out->jkt, AJWT_JKT_LEN);
    id[AJWT_JKT_LEN] = '.';
    memcpy(id + AJWT_JKT_LEN + 1, jti, jl + 1);
    ajwt_store_key_named(out->replay_key, AJWT_DPOP_REPLAY_PREFIX, id);
    return AJWT_OK;
}
