/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixtures.h: keys and tokens made at test time (no private key is ever
 * committed), for the unit tests of the crypto layer and above.
 *
 *   EVP_PKEY *pk = fx_pkey("P-256");             generated once per process
 *   const ajwt_key_t *k = fx_key(&pub, "RSA", "kid1", p);
 *                                  private key to sign with, and its public
 *                                  half added to the keyset pub (PEM)
 *   char *tok = fx_token(p, "ES256", k, "{\"typ\":\"JWT\"}", "{...}");
 *   char *dir = fx_tmpdir(p);   fx_write(dir, "k.pem", text, len, p);
 *
 * Key types: "RSA" (2048 bits), "RSA3072", "RSA1024" (too small, for
 * refusals), "P-256", "P-384", "P-521", "Ed25519", "Ed448" (unsupported).
 * Everything is static and marked unused, so a test includes what it
 * needs without -Werror complaints. Failures to generate abort: a test
 * that cannot make its keys must not pass.
 */
#ifndef AJWT_FIXTURES_H
#define AJWT_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "ajwt_b64.h"
#include "ajwt_key.h"
#include "ajwt_jws.h"

#define FX_FN static __attribute__((unused))

FX_FN void fx_die(const char *what)
{
    fprintf(stderr, "fixtures: %s failed\n", what);
    printf("Bail out! fixtures: %s failed\n", what);
    exit(2);
}

/* One key of each type per process: RSA generation is slow. */
FX_FN EVP_PKEY *fx_pkey(const char *type)
{
    static const char *const types[] = {
        "RSA", "RSA3072", "RSA1024", "P-256", "P-384", "P-521", "Ed25519",
        "Ed448", "RSA-b", "P-256-b", "Ed25519-b",
    };
    static EVP_PKEY *cache[sizeof(types) / sizeof(types[0])];
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(types[i], type)) {
            continue;
        }
        if (!cache[i]) {
            if (!strncmp(type, "RSA", 3)) {
                size_t bits = !strcmp(type, "RSA3072") ? 3072
                              : !strcmp(type, "RSA1024") ? 1024 : 2048;
                cache[i] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
            }
            else if (!strncmp(type, "P-", 2)) {
                char crv[6];
                memcpy(crv, type, 5);
                crv[5] = '\0';
                cache[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", crv);
            }
            else if (!strncmp(type, "Ed25519", 7)) {
                cache[i] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
            }
            else {
                cache[i] = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
            }
            if (!cache[i]) {
                fx_die(type);
            }
        }
        return cache[i];
    }
    fx_die("unknown key type");
    return NULL;
}

FX_FN char *fx_bio_text(BIO *b, apr_pool_t *p)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = apr_pstrmemdup(p, data, n);
    BIO_free(b);
    return s;
}

/* PEM "PRIVATE KEY" (PKCS#8), or encrypted with pass when not NULL. */
FX_FN char *fx_pem_priv(EVP_PKEY *pk, const char *pass, apr_pool_t *p)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_PrivateKey(b, pk, pass ? EVP_aes_256_cbc()
                                                    : NULL,
                                        (unsigned char *)pass,
                                        pass ? (int)strlen(pass) : 0,
                                        NULL, NULL)) {
        fx_die("PEM private key");
    }
    return fx_bio_text(b, p);
}

/* PEM "PUBLIC KEY" (SubjectPublicKeyInfo). */
FX_FN char *fx_pem_pub(EVP_PKEY *pk, apr_pool_t *p)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_PUBKEY(b, pk)) {
        fx_die("PEM public key");
    }
    return fx_bio_text(b, p);
}

/* A self-signed PEM certificate for pk, valid for a day. */
FX_FN char *fx_cert_pem(EVP_PKEY *pk, apr_pool_t *p)
{
    X509 *x = X509_new();
    X509_NAME *name;
    BIO *b = BIO_new(BIO_s_mem());
    int ed = EVP_PKEY_is_a(pk, "ED25519") || EVP_PKEY_is_a(pk, "ED448");

    if (!x || !b || !X509_set_version(x, 2)
        || !ASN1_INTEGER_set(X509_get_serialNumber(x), 1)
        || !X509_gmtime_adj(X509_getm_notBefore(x), 0)
        || !X509_gmtime_adj(X509_getm_notAfter(x), 86400)
        || !X509_set_pubkey(x, pk)) {
        fx_die("certificate");
    }
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"ajwt test", -1, -1, 0);
    if (!X509_set_issuer_name(x, name)
        || !X509_sign(x, pk, ed ? NULL : EVP_sha256())
        || !PEM_write_bio_X509(b, x)) {
        fx_die("certificate signing");
    }
    X509_free(x);
    return fx_bio_text(b, p);
}

FX_FN char *fx_b64_bn(const BIGNUM *bn, int size, apr_pool_t *p)
{
    int n = size ? size : BN_num_bytes(bn);
    unsigned char *buf = apr_palloc(p, n ? n : 1);
    if (BN_bn2binpad(bn, buf, n) != n) {
        fx_die("BN_bn2binpad");
    }
    return ajwt_b64_encode(buf, n, p);
}

FX_FN char *fx_b64_bn_param(EVP_PKEY *pk, const char *name, int size,
                             apr_pool_t *p)
{
    BIGNUM *bn = NULL;
    char *s;
    if (!EVP_PKEY_get_bn_param(pk, name, &bn)) {
        fx_die(name);
    }
    s = fx_b64_bn(bn, size, p);
    BN_clear_free(bn);
    return s;
}

/*
 * The JWK of pk as JSON text: public members, plus the private ones when
 * priv. kid and alg are added when not NULL; extra (e.g. "\"use\":\"sig\"")
 * is pasted in as members when not NULL.
 */
FX_FN char *fx_jwk(EVP_PKEY *pk, const char *kid, const char *alg, int priv,
                   const char *extra, apr_pool_t *p)
{
    char *s;

    if (EVP_PKEY_is_a(pk, "RSA")) {
        s = apr_psprintf(p, "\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"",
                         fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, 0, p),
                         fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, 0, p));
        if (priv) {
            s = apr_psprintf(p, "%s,\"d\":\"%s\",\"p\":\"%s\",\"q\":\"%s\","
                             "\"dp\":\"%s\",\"dq\":\"%s\",\"qi\":\"%s\"", s,
                fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, 0, p),
                fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_FACTOR1, 0, p),
                fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_FACTOR2, 0, p),
                fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0, p),
                fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0, p),
                fx_b64_bn_param(pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0, p));
        }
    }
    else if (EVP_PKEY_is_a(pk, "EC")) {
        char group[32];
        size_t gl;
        const char *crv;
        int size;
        if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), &gl)) {
            fx_die("group name");
        }
        crv = !strcmp(group, "prime256v1") ? "P-256"
              : !strcmp(group, "secp384r1") ? "P-384" : "P-521";
        size = crv[2] == '2' ? 32 : crv[2] == '3' ? 48 : 66;
        s = apr_psprintf(p, "\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\","
                         "\"y\":\"%s\"", crv,
                         fx_b64_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, size,
                                         p),
                         fx_b64_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, size,
                                         p));
        if (priv) {
            s = apr_psprintf(p, "%s,\"d\":\"%s\"", s,
                             fx_b64_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY,
                                             size, p));
        }
    }
    else {
        unsigned char raw[57];
        size_t l = sizeof(raw);
        const char *crv = EVP_PKEY_is_a(pk, "ED25519") ? "Ed25519" : "Ed448";
        if (!EVP_PKEY_get_raw_public_key(pk, raw, &l)) {
            fx_die("raw public key");
        }
        s = apr_psprintf(p, "\"kty\":\"OKP\",\"crv\":\"%s\",\"x\":\"%s\"",
                         crv, ajwt_b64_encode(raw, l, p));
        if (priv) {
            l = sizeof(raw);
            if (!EVP_PKEY_get_raw_private_key(pk, raw, &l)) {
                fx_die("raw private key");
            }
            s = apr_psprintf(p, "%s,\"d\":\"%s\"", s,
                             ajwt_b64_encode(raw, l, p));
        }
    }
    if (kid) {
        s = apr_psprintf(p, "%s,\"kid\":\"%s\"", s, kid);
    }
    if (alg) {
        s = apr_psprintf(p, "%s,\"alg\":\"%s\"", s, alg);
    }
    if (extra) {
        s = apr_psprintf(p, "%s,%s", s, extra);
    }
    return apr_psprintf(p, "{%s}", s);
}

/* An oct JWK of len bytes of value fill. */
FX_FN char *fx_jwk_oct(apr_size_t len, unsigned char fill, const char *kid,
                       const char *alg, apr_pool_t *p)
{
    unsigned char *k = apr_palloc(p, len + 1);
    memset(k, fill, len);
    return apr_psprintf(p, "{\"kty\":\"oct\",\"k\":\"%s\"%s%s%s%s%s%s}",
                        ajwt_b64_encode(k, len, p),
                        kid ? ",\"kid\":\"" : "", kid ? kid : "",
                        kid ? "\"" : "", alg ? ",\"alg\":\"" : "",
                        alg ? alg : "", alg ? "\"" : "");
}

/* The only key of ks (aborts unless there is exactly one). */
FX_FN const ajwt_key_t *fx_only(const ajwt_keyset_t *ks)
{
    if (ajwt_keyset_count(ks) != 1) {
        fx_die("exactly one key");
    }
    return APR_ARRAY_IDX(ks->keys, 0, const ajwt_key_t *);
}

/*
 * The private key of type (for signing), loaded from PEM with kid; when
 * pub is not NULL its public half (PEM) is added to *pub with the same
 * kid.
 */
FX_FN const ajwt_key_t *fx_key(ajwt_keyset_t **pub, const char *type,
                               const char *kid, apr_pool_t *p)
{
    EVP_PKEY *pk = fx_pkey(type);
    ajwt_keyset_t *priv = NULL;
    ajwt_err_t err = { 0 };
    char *pem = fx_pem_priv(pk, NULL, p);

    if (ajwt_keyset_add_pem(&priv, pem, strlen(pem), kid, "fixture", p,
                            &err)) {
        fprintf(stderr, "%s\n", err.text);
        fx_die("loading a private key");
    }
    if (pub) {
        pem = fx_pem_pub(pk, p);
        if (ajwt_keyset_add_pem(pub, pem, strlen(pem), kid, "fixture", p,
                                &err)) {
            fprintf(stderr, "%s\n", err.text);
            fx_die("loading a public key");
        }
    }
    return fx_only(priv);
}

/* An HMAC secret of len bytes of fill, added to *ks; the key returned. */
FX_FN const ajwt_key_t *fx_secret(ajwt_keyset_t **ks, apr_size_t len,
                                  unsigned char fill, const char *kid,
                                  apr_pool_t *p)
{
    unsigned char *s = apr_palloc(p, len + 1);
    ajwt_keyset_t *one = NULL;
    ajwt_err_t err = { 0 };

    memset(s, fill, len);
    if (ajwt_keyset_add_secret_bytes(&one, s, len, kid, "fixture", p, &err)
        || (ks && ajwt_keyset_add_keys(ks, one, p, &err))) {
        fprintf(stderr, "%s\n", err.text);
        fx_die("adding a secret");
    }
    return fx_only(one);
}

/*
 * A compact JWS of header and payload JSON texts taken byte for byte (so
 * tests can sign malformed or odd headers), signed with key under alg.
 */
FX_FN char *fx_craft(apr_pool_t *p, const char *alg, const ajwt_key_t *key,
                     const char *header, const char *payload)
{
    char *input = apr_pstrcat(p,
        ajwt_b64_encode((const unsigned char *)header, strlen(header), p),
        ".",
        ajwt_b64_encode((const unsigned char *)payload, strlen(payload), p),
        NULL);
    unsigned char *sig;
    apr_size_t sl;
    ajwt_err_t err = { 0 };

    if (ajwt_jws_sign_raw(&sig, &sl, ajwt_alg_find(alg), key,
                          (const unsigned char *)input, strlen(input), p,
                          &err)) {
        fprintf(stderr, "%s\n", err.text);
        fx_die("signing");
    }
    return apr_pstrcat(p, input, ".", ajwt_b64_encode(sig, sl, p), NULL);
}

/*
 * A token through ajwt_jws_sign(): header (may be NULL) and payload are
 * JSON texts; alg and the key's kid are set by the signer.
 */
FX_FN char *fx_token(apr_pool_t *p, const char *alg, const ajwt_key_t *key,
                     const char *header, const char *payload)
{
    json_t *h = header ? json_loads(header, 0, NULL) : NULL;
    json_t *pl = json_loads(payload, 0, NULL);
    ajwt_err_t err = { 0 };
    char *tok = NULL;

    if ((header && !h) || !pl
        || ajwt_jws_sign(&tok, ajwt_alg_find(alg), key, h, pl, p, &err)) {
        fprintf(stderr, "%s\n", err.text);
        fx_die("ajwt_jws_sign");
    }
    json_decref(h);
    json_decref(pl);
    return tok;
}

/* tok with one bit of its decoded signature flipped (still strict b64). */
FX_FN char *fx_tamper_sig(apr_pool_t *p, const char *tok)
{
    const char *dot = strrchr(tok, '.');
    unsigned char *sig;
    apr_size_t sl;

    if (!dot || ajwt_b64_decode(&sig, &sl, dot + 1, strlen(dot + 1), p,
                                NULL) || !sl) {
        fx_die("tampering");
    }
    sig[sl / 2] ^= 0x01;
    return apr_pstrcat(p, apr_pstrmemdup(p, tok, dot + 1 - tok),
                       ajwt_b64_encode(sig, sl, p), NULL);
}

/* tok with its signature replaced by sl bytes of sig. */
FX_FN char *fx_with_sig(apr_pool_t *p, const char *tok,
                        const unsigned char *sig, apr_size_t sl)
{
    const char *dot = strrchr(tok, '.');
    return apr_pstrcat(p, apr_pstrmemdup(p, tok, dot + 1 - tok),
                       ajwt_b64_encode(sig, sl, p), NULL);
}

FX_FN apr_status_t fx_rmdir(void *data)
{
    const char *dir = data;
    apr_pool_t *tp;
    apr_dir_t *d;
    apr_finfo_t fi;

    apr_pool_create(&tp, NULL);
    if (apr_dir_open(&d, dir, tp) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
               == APR_SUCCESS) {
            if (fi.filetype == APR_REG) {
                apr_file_remove(apr_pstrcat(tp, dir, "/", fi.name, NULL),
                                tp);
            }
        }
        apr_dir_close(d);
    }
    apr_dir_remove(dir, tp);
    apr_pool_destroy(tp);
    return APR_SUCCESS;
}

/* A fresh private directory, removed with its files when p goes. */
FX_FN char *fx_tmpdir(apr_pool_t *p)
{
    const char *base = getenv("TMPDIR");
    char *dir = apr_pstrcat(p, base && *base ? base : "/tmp",
                            "/ajwt-test-XXXXXX", NULL);
    if (!mkdtemp(dir)) {
        fx_die("mkdtemp");
    }
    apr_pool_cleanup_register(p, dir, fx_rmdir, apr_pool_cleanup_null);
    return dir;
}

/* Write len bytes to dir/name (mode 0600); the path, from p. */
FX_FN char *fx_write(const char *dir, const char *name, const void *data,
                     apr_size_t len, apr_pool_t *p)
{
    char *path = apr_pstrcat(p, dir, "/", name, NULL);
    apr_file_t *f;
    apr_size_t n;

    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                      | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                      APR_FPROT_UREAD | APR_FPROT_UWRITE, p) != APR_SUCCESS
        || apr_file_write_full(f, data, len, &n) != APR_SUCCESS) {
        fx_die("writing a fixture file");
    }
    apr_file_close(f);
    return path;
}

#endif
