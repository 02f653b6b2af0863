/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_key.c: every key source and every refusal of ajwt_key.c, with the
 * exact status, and "nothing added on error".
 */
#include <stdlib.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include "ajwt_json.h"
#include "ajwt_key.h"
#include <sys/stat.h>
#include "unit.h"
#include "fixtures.h"

/* is_int() as a statement: its || value would trip -Wunused-value */


#define RSA_ALGS (AJWT_ALG_BIT(AJWT_RS256) | AJWT_ALG_BIT(AJWT_RS384) \
                  | AJWT_ALG_BIT(AJWT_RS512) | AJWT_ALG_BIT(AJWT_PS256) \
                  | AJWT_ALG_BIT(AJWT_PS384) | AJWT_ALG_BIT(AJWT_PS512))
#define HS256 AJWT_ALG_BIT(AJWT_HS256)
#define HS384 AJWT_ALG_BIT(AJWT_HS384)
#define HS512 AJWT_ALG_BIT(AJWT_HS512)
#define EDDSA AJWT_ALG_BIT(AJWT_EDDSA)
#define ED25519 AJWT_ALG_BIT(AJWT_ED25519)

/* Wycheproof json_web_key_test.json tcId 7: a public ROCA modulus. */
static const char roca_n[] =
    "AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKIgArXGTu3Ma"
    "W_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzCaWflUI6auImYbVfoN9_n"
    "D5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOw"
    "z6efnXEaxuTEtPd7BjSx7NaFka8Dx9U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg"
    "_c_qHRtKUsNSGCT7OZg0hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE";

static ajwt_status_t jwks(ajwt_keyset_t **ks, const char *json,
                          apr_pool_t *p, ajwt_err_t *err)
{
    return ajwt_keyset_add_jwks(ks, json, strlen(json), "test", p, err);
}

/* Status of loading one JWK document into a fresh set. */
static ajwt_status_t jwk_st(const char *json, apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    ajwt_status_t st = jwks(&ks, json, p, &err);
    if (st) {
        diag("%s", err.text);
        if (ks) {
            diag("a set was created on error");
            return AJWT_NSTATUS;
        }
    }
    return st;
}

static ajwt_status_t pem_st(const char *pem, apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    ajwt_status_t st = ajwt_keyset_add_pem(&ks, pem, strlen(pem), NULL,
                                           "test", p, &err);
    if (st) {
        diag("%s", err.text);
    }
    return st;
}

static int prepared(const ajwt_key_t *k)
{
    int i;
    for (i = 0; i < AJWT_NALG; i++) {
        if (!(k->algs & AJWT_ALG_BIT(i)) != !k->vctx[i]) {
            return 0;
        }
    }
    return 1;
}

static void pem_keys(apr_pool_t *p)
{
    static const struct {
        const char *type; ajwt_kty_t kty; unsigned algs;
    } c[] = {
        { "RSA", AJWT_KTY_RSA, RSA_ALGS },
        { "RSA3072", AJWT_KTY_RSA, RSA_ALGS },
        { "P-256", AJWT_KTY_EC, AJWT_ALG_BIT(AJWT_ES256) },
        { "P-384", AJWT_KTY_EC, AJWT_ALG_BIT(AJWT_ES384) },
        { "P-521", AJWT_KTY_EC, AJWT_ALG_BIT(AJWT_ES512) },
        { "Ed25519", AJWT_KTY_OKP, EDDSA | ED25519 },    /* RFC 9864 */
    };
    size_t i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        EVP_PKEY *pk = fx_pkey(c[i].type);
        ajwt_keyset_t *ks = NULL;
        ajwt_err_t err = { 0 };
        const ajwt_key_t *k;
        char *pem = fx_pem_pub(pk, p);

        is_int(ajwt_keyset_add_pem(&ks, pem, strlen(pem), "kid-1", "src.pem", p,
                               &err), AJWT_OK, "%s public PEM (%s)",
           c[i].type, err.text);
        if (ajwt_keyset_count(ks) != 1) {
            ok(0, "%s: one key", c[i].type);
            continue;
        }
        k = fx_only(ks);
        is_int(k->kty, c[i].kty, "%s kty", c[i].type);
        is_int(k->algs, c[i].algs, "%s algs", c[i].type);
        is_int(ks->algs, c[i].algs, "%s set algs", c[i].type);
        ok(!k->has_private, "%s public only", c[i].type);
        ok(k->kid && !strcmp(k->kid, "kid-1"), "%s kid given", c[i].type);
        ok(!strcmp(k->source, "src.pem"), "%s source", c[i].type);
        ok(k->pkey && !k->secret, "%s pkey, no secret", c[i].type);
        ok(prepared(k), "%s: a context per alg, none else", c[i].type);

        pem = fx_pem_priv(pk, NULL, p);
        ks = NULL;
        is_int(ajwt_keyset_add_pem(&ks, pem, strlen(pem), NULL, "src.pem", p,
                               &err), AJWT_OK, "%s private PEM", c[i].type);
        ok(ks && fx_only(ks)->has_private, "%s has_private", c[i].type);
        ok(ks && !fx_only(ks)->kid, "%s no kid", c[i].type);
    }
}

static void pem_refusals(apr_pool_t *p)
{
    char *pub = fx_pem_pub(fx_pkey("RSA"), p);
    is_int(pem_st(fx_pem_pub(fx_pkey("RSA1024"), p), p), AJWT_ECONFIG,
       "RSA 1024 refused");
    is_int(pem_st(fx_pem_priv(fx_pkey("RSA1024"), NULL, p), p), AJWT_ECONFIG,
       "RSA 1024 private refused");
    is_int(pem_st(fx_pem_pub(fx_pkey("Ed448"), p), p), AJWT_ECONFIG,
       "Ed448 refused");
    is_int(pem_st(fx_pem_priv(fx_pkey("P-256"), "secret", p), p), AJWT_ECONFIG,
       "encrypted private key refused");
    is_int(pem_st(apr_pstrcat(p, pub, pub, NULL), p), AJWT_ECONFIG,
       "two PEM blocks refused");
    is_int(pem_st("hello", p), AJWT_ECONFIG, "not PEM");
    is_int(pem_st("", p), AJWT_ECONFIG, "empty");
    is_int(pem_st("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
              p), AJWT_ECONFIG, "garbage inside PEM");
    {
        /* a truncated body */
        char *cut = apr_pstrdup(p, pub);
        cut[strlen(cut) / 2] = '\0';
        is_int(pem_st(apr_pstrcat(p, cut, "\n-----END PUBLIC KEY-----\n", NULL),
                  p), AJWT_ECONFIG, "truncated PEM");
    }
}

/* PEM text of pk in an OpenSSL output structure ("type-specific" gives
 * RSA PUBLIC KEY / RSA PRIVATE KEY / EC PRIVATE KEY). */
static char *encode(EVP_PKEY *pk, int selection, const char *structure,
                    apr_pool_t *p)
{
    OSSL_ENCODER_CTX *e = OSSL_ENCODER_CTX_new_for_pkey(pk, selection, "PEM",
                                                        structure, NULL);
    unsigned char *data = NULL;
    size_t len = 0;
    char *s;
    if (!e || !OSSL_ENCODER_to_data(e, &data, &len)) {
        fx_die("OSSL_ENCODER");
    }
    s = apr_pstrmemdup(p, (char *)data, len);
    OPENSSL_free(data);
    OSSL_ENCODER_CTX_free(e);
    return s;
}

static void pem_forms(apr_pool_t *p)
{
    char *pem;
    ajwt_keyset_t *ks = NULL;
    EVP_PKEY *k1;

    pem = encode(fx_pkey("RSA"), EVP_PKEY_PUBLIC_KEY, "type-specific", p);
    ok(strstr(pem, "BEGIN RSA PUBLIC KEY") != NULL, "PKCS#1 public PEM made");
    is_int(pem_st(pem, p), AJWT_OK, "RSA PUBLIC KEY (PKCS#1) loads");
    pem = encode(fx_pkey("RSA"), EVP_PKEY_KEYPAIR, "type-specific", p);
    ok(strstr(pem, "BEGIN RSA PRIVATE KEY") != NULL, "PKCS#1 private made");
    is_int(ajwt_keyset_add_pem(&ks, pem, strlen(pem), NULL, "t", p, NULL),
       AJWT_OK, "RSA PRIVATE KEY loads");
    ok(ks && fx_only(ks)->has_private, "and is private");
    /* openssl ecparam -genkey output: EC PARAMETERS, then the key */
    pem = apr_pstrcat(p, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
                      "-----END EC PARAMETERS-----\n",
                      encode(fx_pkey("P-256"), EVP_PKEY_KEYPAIR,
                             "type-specific", p), NULL);
    ok(strstr(pem, "BEGIN EC PRIVATE KEY") != NULL, "SEC1 private made");
    ks = NULL;
    is_int(ajwt_keyset_add_pem(&ks, pem, strlen(pem), NULL, "t", p, NULL),
       AJWT_OK, "EC PARAMETERS + EC PRIVATE KEY loads");
    ok(ks && fx_only(ks)->has_private
       && fx_only(ks)->algs == AJWT_ALG_BIT(AJWT_ES256), "P-256 private");
    k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    ok(k1 != NULL, "secp256k1 key made");
    if (k1) {
        is_int(pem_st(fx_pem_pub(k1, p), p), AJWT_ECONFIG,
           "secp256k1 refused (no JWS alg here)");
        EVP_PKEY_free(k1);
    }
}

static void certificates(apr_pool_t *p)
{
    static const char *const types[] = { "RSA", "P-384", "Ed25519" };
    char *dir = fx_tmpdir(p);
    size_t i;

    for (i = 0; i < 3; i++) {
        EVP_PKEY *pk = fx_pkey(types[i]);
        char *cert = fx_cert_pem(pk, p);
        char *path = fx_write(dir, "cert.pem", cert, strlen(cert), p);
        ajwt_keyset_t *ks = NULL;
        ajwt_err_t err = { 0 };

        is_int(ajwt_keyset_add_file(&ks, path, "c1", p, &err), AJWT_OK,
           "%s certificate file (%s)", types[i], err.text);
        ok(ks && ajwt_keyset_count(ks) == 1
           && EVP_PKEY_eq(fx_only(ks)->pkey, pk) == 1,
           "%s: the certificate's public key", types[i]);
        ok(ks && !fx_only(ks)->has_private, "%s: no private part", types[i]);
        ok(ks && !strcmp(fx_only(ks)->kid, "c1"), "%s: kid", types[i]);
    }
    {
        /* a certificate of a weak key is refused like the key */
        char *cert = fx_cert_pem(fx_pkey("RSA1024"), p);
        is_int(pem_st(cert, p), AJWT_ECONFIG, "certificate of RSA 1024 refused");
        cert = fx_cert_pem(fx_pkey("RSA"), p);
        is_int(pem_st(apr_pstrcat(p, cert, cert, NULL), p), AJWT_ECONFIG,
           "a chain (two certificates) refused");
    }
}

static void files(apr_pool_t *p)
{
    char *dir = fx_tmpdir(p);
    char *jwk = fx_jwk(fx_pkey("P-256"), "e1", NULL, 0, NULL, p);
    char *set = apr_psprintf(p, "{\"keys\":[%s,%s]}", jwk,
                             fx_jwk(fx_pkey("RSA"), "r1", "PS256", 0, NULL,
                                    p));
    char *pem = fx_pem_pub(fx_pkey("Ed25519"), p);
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };

    is_int(ajwt_keyset_add_file(&ks, fx_write(dir, "a.jwk", jwk, strlen(jwk), p),
                            NULL, p, &err), AJWT_OK, "JWK file (%s)",
       err.text);
    is_int(ajwt_keyset_add_file(&ks, fx_write(dir, "b.pem", pem, strlen(pem), p),
                            "ed", p, &err), AJWT_OK, "PEM file");
    is_int(ajwt_keyset_count(ks), 2, "two keys");
    ks = NULL;
    is_int(ajwt_keyset_add_file(&ks, fx_write(dir, "c.jwks",
                                          apr_pstrcat(p, "\n  ", set, NULL),
                                          strlen(set) + 3, p), NULL, p, &err),
       AJWT_OK, "JWKS file with leading whitespace");
    is_int(ajwt_keyset_count(ks), 2, "JWKS: two keys");
    ok(ajwt_keyset_find_kid(ks, "r1")
       && ajwt_keyset_find_kid(ks, "r1")->algs == AJWT_ALG_BIT(AJWT_PS256),
       "JWK alg restricts the RSA key to PS256");
    is_int(ks->algs, AJWT_ALG_BIT(AJWT_PS256) | AJWT_ALG_BIT(AJWT_ES256),
       "set algs are the union");
    ks = NULL;
    is_int(ajwt_keyset_add_file(&ks, dir, NULL, p, NULL), AJWT_ECONFIG,
       "a directory");
    is_int(ajwt_keyset_add_file(&ks, apr_pstrcat(p, dir, "/missing", NULL), NULL,
                            p, NULL), AJWT_ECONFIG, "missing file");
    is_int(ajwt_keyset_add_file(&ks, fx_write(dir, "d", "hello", 5, p), NULL, p,
                            NULL), AJWT_ECONFIG, "neither PEM nor JWK");
    is_int(ajwt_keyset_add_file(&ks, fx_write(dir, "e", "", 0, p), NULL, p,
                            NULL), AJWT_ECONFIG, "empty file");
    is_int(ajwt_keyset_add_file(&ks, fx_write(dir, "f", set, strlen(set), p),
                            "kid", p, NULL), AJWT_ECONFIG,
       "kid given for a JWK Set");
    is_int(ajwt_keyset_add_file(&ks, NULL, NULL, p, NULL), AJWT_ECONFIG,
       "no path");
    ok(ks == NULL, "nothing created by failures");
    {
        /* a single JWK: the directive's kid overrides the JWK's */
        is_int(ajwt_keyset_add_file(&ks, fx_write(dir, "g", jwk, strlen(jwk), p),
                                "over", p, NULL), AJWT_OK, "JWK with kid");
        ok(ks && fx_only(ks)->kid && !strcmp(fx_only(ks)->kid, "over"),
           "kid overridden");
    }
}

static void jwk_keys(apr_pool_t *p)
{
    static const char *const types[] = {
        "RSA", "P-256", "P-384", "P-521", "Ed25519",
    };
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        EVP_PKEY *pk = fx_pkey(types[i]);
        ajwt_keyset_t *ks = NULL;
        ajwt_err_t err = { 0 };
        is_int(jwks(&ks, fx_jwk(pk, "k", NULL, 0, "\"use\":\"sig\"", p), p,
                &err), AJWT_OK, "%s public JWK (%s)", types[i], err.text);
        ok(ks && EVP_PKEY_eq(fx_only(ks)->pkey, pk) == 1
           && !fx_only(ks)->has_private, "%s: same public key", types[i]);
        ks = NULL;
        is_int(jwks(&ks, fx_jwk(pk, "k", NULL, 1, NULL, p), p, &err), AJWT_OK,
           "%s private JWK (%s)", types[i], err.text);
        ok(ks && EVP_PKEY_eq(fx_only(ks)->pkey, pk) == 1
           && fx_only(ks)->has_private, "%s: private, same key", types[i]);
    }
    {
        /* a JWK with only n, e, d (no CRT members) still signs */
        EVP_PKEY *pk = fx_pkey("RSA");
        BIGNUM *d = NULL;
        char *j;
        ajwt_keyset_t *ks = NULL;
        EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, &d);
        j = fx_jwk(pk, NULL, NULL, 0, apr_psprintf(p, "\"d\":\"%s\"",
                                                   fx_b64_bn(d, 0, p)), p);
        BN_clear_free(d);
        is_int(jwk_st(j, p), AJWT_OK, "RSA JWK with n, e, d");
        jwks(&ks, j, p, NULL);
        ok(ks && fx_only(ks)->has_private, "n, e, d: private");
    }
}

static void jwk_refusals(apr_pool_t *p)
{
    EVP_PKEY *rsa = fx_pkey("RSA"), *ec = fx_pkey("P-256");
    char *n = fx_b64_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, 0, p);
    char *x = fx_b64_bn_param(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32, p);
    char *y = fx_b64_bn_param(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32, p);
    char *ok_ec = fx_jwk(ec, NULL, NULL, 0, NULL, p);
    char *bad_y = apr_pstrdup(p, y);

    bad_y[5] = bad_y[5] == 'A' ? 'B' : 'A';
    /* RSA */
    is_int(jwk_st(fx_jwk(fx_pkey("RSA1024"), NULL, NULL, 0, NULL, p), p),
       AJWT_ECONFIG, "RSA 1024 refused");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQ\"}",
                           n), p), AJWT_ECONFIG, "e = 1 refused");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAA\"}",
                           n), p), AJWT_ECONFIG, "even e refused");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"Aw\"}",
                           n), p), AJWT_OK, "e = 3 accepted");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}",
                           roca_n), p), AJWT_ECONFIG, "ROCA modulus refused");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\"}", n), p),
       AJWT_ECONFIG, "RSA without e");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s=\",\"e\":\"AQAB\"}",
                           n), p), AJWT_ECONFIG, "padded n refused");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":65537}",
                           n), p), AJWT_ECONFIG, "numeric e refused");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\","
                           "\"d\":\"AQAB\",\"p\":\"AQAB\"}", n), p),
       AJWT_ECONFIG, "incomplete CRT members");
    /* EC */
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
                           "\"y\":\"%s\"}", x, bad_y), p), AJWT_ECONFIG,
       "point not on the curve");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"%s\","
                           "\"y\":\"%s\"}", x, y), p), AJWT_ECONFIG,
       "P-256 point labelled P-384");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"secp256k1\","
                           "\"x\":\"%s\",\"y\":\"%s\"}", x, y), p),
       AJWT_ECONFIG, "secp256k1 unsupported");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                           x, y), p), AJWT_ECONFIG, "EC without crv");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\""
                           "}", x), p), AJWT_ECONFIG, "EC without y");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA%s\""
                           ",\"y\":\"%s\"}", x, y), p), AJWT_ECONFIG,
       "EC coordinate too long");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
                           "\"y\":\"%s\",\"d\":\"%s\"}", x, y,
                           fx_b64_bn_param(fx_pkey("P-256-b"),
                                           OSSL_PKEY_PARAM_PRIV_KEY, 32, p)),
              p), AJWT_ECONFIG, "EC d of another key");
    /* OKP */
    {
        EVP_PKEY *ed = fx_pkey("Ed25519"), *ed2 = fx_pkey("Ed25519-b");
        unsigned char raw[32];
        size_t l = 32;
        char *j;
        EVP_PKEY_get_raw_private_key(ed2, raw, &l);
        j = fx_jwk(ed, NULL, NULL, 0, apr_psprintf(p, "\"d\":\"%s\"",
                   ajwt_b64_encode(raw, 32, p)), p);
        is_int(jwk_st(j, p), AJWT_ECONFIG, "Ed25519 d of another key");
        OPENSSL_cleanse(raw, sizeof(raw));
    }
    is_int(jwk_st(fx_jwk(fx_pkey("Ed448"), NULL, NULL, 0, NULL, p), p),
       AJWT_ECONFIG, "Ed448 unsupported");
    is_int(jwk_st("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAAAAAAAAAAAAAA"
              "AAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", p), AJWT_ECONFIG,
       "X25519 unsupported");
    is_int(jwk_st("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", p),
       AJWT_ECONFIG, "short Ed25519 key");
    /* kty and members */
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"RSA\",\"crv\":\"P-256\",\"x\":\"%s\","
                           "\"y\":\"%s\"}", x, y), p), AJWT_ECONFIG,
       "kty RSA with EC members (Wycheproof JWK 24)");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
                           "\"y\":\"%s\",\"n\":\"%s\"}", x, y, n), p),
       AJWT_ECONFIG, "EC key with an RSA member");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"oct\",\"k\":\"%s\",\"x\":\"%s\"}",
                           n, x), p), AJWT_ECONFIG, "oct key with x");
    is_int(jwk_st(apr_psprintf(p, "{\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}",
                           x, y), p), AJWT_ECONFIG, "no kty");
    is_int(jwk_st("{\"kty\":\"XYZ\"}", p), AJWT_ECONFIG, "unknown kty");
    is_int(jwk_st("{\"kty\":7}", p), AJWT_ECONFIG, "kty not a string");
    is_int(jwk_st("{\"kty\":\"oct\",\"kid\":7,\"k\":\"AAAA\"}", p), AJWT_ECONFIG,
       "kid not a string");
    /* alg */
    is_int(jwk_st(fx_jwk(ec, NULL, "ES521", 0, NULL, p), p), AJWT_ECONFIG,
       "alg ES521 (no JWS alg)");
    is_int(jwk_st(fx_jwk(ec, NULL, "ES224", 0, NULL, p), p), AJWT_ECONFIG,
       "alg ES224");
    is_int(jwk_st(fx_jwk(ec, NULL, "ES384", 0, NULL, p), p), AJWT_ECONFIG,
       "alg ES384 on P-256");
    is_int(jwk_st(fx_jwk(ec, NULL, "RS256", 0, NULL, p), p), AJWT_ECONFIG,
       "alg RS256 on an EC key");
    is_int(jwk_st(fx_jwk(rsa, NULL, "HS256", 0, NULL, p), p), AJWT_ECONFIG,
       "alg HS256 on an RSA key");
    is_int(jwk_st(fx_jwk(rsa, NULL, "none", 0, NULL, p), p), AJWT_ECONFIG,
       "alg none");
    is_int(jwk_st(fx_jwk(ec, NULL, NULL, 0, "\"alg\":[\"ES256\"]", p), p),
       AJWT_ECONFIG, "alg not a string");
    is_int(jwk_st(fx_jwk(ec, NULL, "ES256", 0, NULL, p), p), AJWT_OK,
       "alg ES256 on P-256 is fine");
    is_int(jwk_st(fx_jwk_oct(32, 1, NULL, "A256GCM", p), p), AJWT_ECONFIG,
       "oct A256GCM (an AES key)");
    is_int(jwk_st(fx_jwk_oct(32, 1, NULL, "A256KW", p), p), AJWT_ECONFIG,
       "oct A256KW (an AES key)");
    is_int(jwk_st(fx_jwk_oct(47, 1, NULL, "HS384", p), p), AJWT_ECONFIG,
       "oct HS384 of 47 bytes");
    is_int(jwk_st(fx_jwk_oct(63, 1, NULL, "HS512", p), p), AJWT_ECONFIG,
       "oct HS512 of 63 bytes");
    is_int(jwk_st(fx_jwk_oct(31, 1, NULL, "HS256", p), p), AJWT_ECONFIG,
       "oct HS256 of 31 bytes");
    is_int(jwk_st(fx_jwk_oct(0, 1, NULL, NULL, p), p), AJWT_ECONFIG,
       "empty oct key");
    is_int(jwk_st("{\"kty\":\"oct\"}", p), AJWT_ECONFIG, "oct without k");
    /* documents */
    is_int(jwk_st("", p), AJWT_ECONFIG, "empty document");
    is_int(jwk_st("[]", p), AJWT_ECONFIG, "array document");
    is_int(jwk_st("{\"keys\":{}}", p), AJWT_ECONFIG, "keys not an array");
    is_int(jwk_st("{\"keys\":[]}", p), AJWT_ECONFIG, "no keys at all");
    is_int(jwk_st("{\"keys\":[1]}", p), AJWT_ECONFIG, "a key not an object");
    is_int(jwk_st(apr_psprintf(p, "{\"kty\":\"EC\",\"kty\":\"EC\",%s",
                           ok_ec + 1), p), AJWT_ECONFIG,
       "duplicate member refused");
    is_int(jwk_st(apr_psprintf(p, "%s x", ok_ec), p), AJWT_ECONFIG,
       "trailing garbage refused");
}

static void jwk_algs(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    is_int(jwks(&ks, fx_jwk(fx_pkey("RSA"), "a", "RS384", 0, NULL, p), p, NULL),
       AJWT_OK, "RSA with alg RS384");
    ok(ks && fx_only(ks)->algs == AJWT_ALG_BIT(AJWT_RS384)
       && prepared(fx_only(ks)), "exactly RS384, one context");
    ks = NULL;
    is_int(jwks(&ks, fx_jwk(fx_pkey("RSA"), "a", NULL, 0, NULL, p), p, NULL),
       AJWT_OK, "RSA without alg");
    ok(ks && fx_only(ks)->algs == RSA_ALGS, "all RS and PS");
    ks = NULL;
    is_int(jwks(&ks, fx_jwk_oct(64, 7, "h", "HS256", p), p, NULL), AJWT_OK,
       "64-byte oct with alg HS256");
    ok(ks && fx_only(ks)->algs == HS256 && fx_only(ks)->secret_len == 64
       && fx_only(ks)->secret[0] == 7 && fx_only(ks)->secret[63] == 7,
       "restricted to HS256, bytes kept");
    ks = NULL;
    is_int(jwks(&ks, fx_jwk_oct(48, 7, "h", NULL, p), p, NULL), AJWT_OK,
       "48-byte oct");
    ok(ks && fx_only(ks)->algs == (HS256 | HS384), "HS256 HS384");
}

/* RFC 9864: "Ed25519" is a JWK "alg" of its own, for Ed25519 keys only. */
static void ed25519_alg(apr_pool_t *p)
{
    EVP_PKEY *ed = fx_pkey("Ed25519"), *ed448 = fx_pkey("Ed448");
    EVP_MD_CTX *c;
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    const char *doc;

    is_int(jwks(&ks, fx_jwk(ed, "e1", "Ed25519", 0, "\"use\":\"sig\"", p), p,
                &err), AJWT_OK, "OKP JWK with alg Ed25519 imports (%s)",
           err.text);
    ok(ks && fx_only(ks)->kty == AJWT_KTY_OKP
       && fx_only(ks)->algs == ED25519 && prepared(fx_only(ks)),
       "exactly Ed25519 (not EdDSA), one context");
    ks = NULL;
    is_int(jwks(&ks, fx_jwk(ed, "e1", "Ed25519", 1, NULL, p), p, &err),
           AJWT_OK, "private OKP JWK with alg Ed25519 (%s)", err.text);
    ok(ks && fx_only(ks)->has_private && fx_only(ks)->algs == ED25519,
       "private, Ed25519");
    ks = NULL;
    is_int(jwks(&ks, fx_jwk(ed, "e1", "EdDSA", 0, NULL, p), p, NULL), AJWT_OK,
           "OKP JWK with alg EdDSA");
    ok(ks && fx_only(ks)->algs == EDDSA, "exactly EdDSA, as before");
    ks = NULL;
    is_int(jwks(&ks, fx_jwk(ed, "e1", NULL, 0, NULL, p), p, NULL), AJWT_OK,
           "OKP JWK without alg");
    ok(ks && fx_only(ks)->algs == (EDDSA | ED25519) && ks->algs
       == (EDDSA | ED25519) && prepared(fx_only(ks)),
       "both names, a context each");
    /* a JWK Set as oidc-provider publishes it */
    ks = NULL;
    doc = apr_psprintf(p, "{\"keys\":[%s,%s]}",
                       fx_jwk(ed, "new", "Ed25519", 0, "\"use\":\"sig\"",
                              p),
                       fx_jwk(fx_pkey("Ed25519-b"), "old", "EdDSA", 0,
                              "\"use\":\"sig\"", p));
    is_int(jwks(&ks, doc, p, &err), AJWT_OK, "JWKS of Ed25519 and EdDSA "
           "keys (%s)", err.text);
    ok(ks && ajwt_keyset_count(ks) == 2
       && ajwt_keyset_find_kid(ks, "new")->algs == ED25519
       && ajwt_keyset_find_kid(ks, "old")->algs == EDDSA
       && ks->algs == (EDDSA | ED25519), "each key its alg");
    /* never with another key type or curve */
    is_int(jwk_st(fx_jwk(ed448, NULL, "Ed25519", 0, NULL, p), p),
           AJWT_ECONFIG, "alg Ed25519 on an Ed448 JWK refused");
    is_int(jwk_st(fx_jwk(ed448, NULL, "EdDSA", 0, NULL, p), p),
           AJWT_ECONFIG, "alg EdDSA on an Ed448 JWK refused (unsupported)");
    is_int(jwk_st(fx_jwk(fx_pkey("P-256"), NULL, "Ed25519", 0, NULL, p), p),
           AJWT_ECONFIG, "alg Ed25519 on an EC JWK refused");
    is_int(jwk_st(fx_jwk(fx_pkey("RSA"), NULL, "Ed25519", 0, NULL, p), p),
           AJWT_ECONFIG, "alg Ed25519 on an RSA JWK refused");
    is_int(jwk_st(fx_jwk_oct(64, 1, NULL, "Ed25519", p), p), AJWT_ECONFIG,
           "alg Ed25519 on an oct JWK refused");
    is_int(jwk_st(fx_jwk(ed, NULL, "ed25519", 0, NULL, p), p), AJWT_ECONFIG,
           "alg ed25519 (case) refused");
    /* the primitive: Ed25519 takes an Ed25519 key only, EdDSA any */
    c = EVP_MD_CTX_new();
    ok(c && ajwt_key_sig_init(c, ajwt_alg_find("Ed25519"), ed, 0),
       "sig_init Ed25519 with an Ed25519 key (verify)");
    EVP_MD_CTX_free(c);
    c = EVP_MD_CTX_new();
    ok(c && ajwt_key_sig_init(c, ajwt_alg_find("Ed25519"), ed, 1),
       "sig_init Ed25519 with an Ed25519 key (sign)");
    EVP_MD_CTX_free(c);
    c = EVP_MD_CTX_new();
    ok(c && !ajwt_key_sig_init(c, ajwt_alg_find("Ed25519"), ed448, 0),
       "sig_init Ed25519 with an Ed448 key refused (verify)");
    EVP_MD_CTX_free(c);
    c = EVP_MD_CTX_new();
    ok(c && !ajwt_key_sig_init(c, ajwt_alg_find("Ed25519"), ed448, 1),
       "sig_init Ed25519 with an Ed448 key refused (sign)");
    EVP_MD_CTX_free(c);
    c = EVP_MD_CTX_new();
    ok(c && ajwt_key_sig_init(c, ajwt_alg_find("EdDSA"), ed448, 0),
       "sig_init EdDSA with an Ed448 key: the primitive allows it (the "
       "loaders refuse Ed448 keys)");
    EVP_MD_CTX_free(c);
    ERR_clear_error();
}

static void use_and_key_ops(apr_pool_t *p)
{
    EVP_PKEY *ec = fx_pkey("P-256"), *rsa = fx_pkey("RSA");
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    char *set = apr_psprintf(p, "{\"keys\":[%s,%s,%s,%s]}",
        fx_jwk(ec, "enc", NULL, 0, "\"use\":\"enc\"", p),
        fx_jwk(rsa, "sig", NULL, 0, "\"use\":\"sig\"", p),
        fx_jwk(fx_pkey("P-384"), "ops", NULL, 0,
               "\"key_ops\":[\"encrypt\",\"wrapKey\"]", p),
        fx_jwk(fx_pkey("Ed25519"), "ver", NULL, 0,
               "\"key_ops\":[\"sign\",\"verify\"]", p));

    is_int(jwks(&ks, set, p, &err), AJWT_OK, "set with enc keys (%s)", err.text);
    is_int(ajwt_keyset_count(ks), 2, "enc keys skipped");
    ok(!ajwt_keyset_find_kid(ks, "enc") && !ajwt_keyset_find_kid(ks, "ops"),
       "use enc and key_ops without verify not loaded");
    ok(ajwt_keyset_find_kid(ks, "sig") && ajwt_keyset_find_kid(ks, "ver"),
       "use sig and key_ops verify loaded");
    /* an encryption key with an encryption alg is skipped, not an error */
    is_int(jwk_st(apr_psprintf(p, "{\"keys\":[%s,%s]}",
                           fx_jwk(rsa, "a", "RSA-OAEP", 0,
                                  "\"use\":\"enc\"", p),
                           fx_jwk(ec, "b", NULL, 0, NULL, p)), p),
       AJWT_OK, "use enc with alg RSA-OAEP skipped");
    is_int(jwk_st(fx_jwk(ec, NULL, NULL, 0, "\"use\":\"enc\"", p), p),
       AJWT_ECONFIG, "a lone enc key: no signature key at all");
    is_int(jwk_st(fx_jwk(ec, NULL, NULL, 0, "\"key_ops\":[]", p), p),
       AJWT_ECONFIG, "empty key_ops: no key");
    is_int(jwk_st(fx_jwk(ec, NULL, NULL, 0, "\"key_ops\":\"verify\"", p), p),
       AJWT_ECONFIG, "key_ops not an array");
    is_int(jwk_st(fx_jwk(ec, NULL, NULL, 0, "\"key_ops\":[1]", p), p),
       AJWT_ECONFIG, "key_ops with a number");
    is_int(jwk_st(fx_jwk(ec, NULL, NULL, 0, "\"use\":1", p), p),
       AJWT_ECONFIG, "use not a string");
}

static void sets_and_kids(apr_pool_t *p)
{
    EVP_PKEY *ec = fx_pkey("P-256"), *rsa = fx_pkey("RSA");
    ajwt_keyset_t *ks = NULL, *other = NULL;
    ajwt_err_t err = { 0 };
    unsigned algs;
    char *pem = fx_pem_pub(rsa, p);

    is_int(jwk_st(apr_psprintf(p, "{\"keys\":[%s,%s]}",
                           fx_jwk_oct(32, 1, "s", NULL, p),
                           fx_jwk(ec, "e", NULL, 0, NULL, p)), p),
       AJWT_ECONFIG, "JWK Set mixing oct and EC refused");
    is_int(jwk_st(apr_psprintf(p, "{\"keys\":[%s,%s]}",
                           fx_jwk_oct(32, 1, "s", NULL, p),
                           fx_jwk_oct(32, 2, "s", NULL, p)), p),
       AJWT_ECONFIG, "duplicate kid in a set refused");
    is_int(jwk_st(apr_psprintf(p, "{\"keys\":[%s,%s]}",
                           fx_jwk_oct(32, 1, NULL, NULL, p),
                           fx_jwk_oct(32, 2, NULL, NULL, p)), p),
       AJWT_OK, "two keys without kid are fine");
    is_int(jwk_st(apr_psprintf(p, "{\"keys\":[%s,%s]}",
                           fx_jwk(ec, "a", NULL, 0, NULL, p),
                           fx_jwk(rsa, "b", NULL, 0, NULL, p)), p),
       AJWT_OK, "EC and RSA together are fine");

    /* across calls into one set; nothing half-added */
    is_int(jwks(&ks, apr_psprintf(p, "{\"keys\":[%s]}",
                              fx_jwk(ec, "a", NULL, 0, NULL, p)), p, NULL),
       AJWT_OK, "first set");
    algs = ks->algs;
    is_int(ajwt_keyset_add_pem(&ks, pem, strlen(pem), "a", "x.pem", p, &err),
       AJWT_ECONFIG, "same kid from another directive refused");
    ok(strstr(err.text, "\"a\"") != NULL, "message names the kid: %s",
       err.text);
    is_int(jwks(&ks, apr_psprintf(p, "{\"keys\":[%s,%s]}",
                              fx_jwk(rsa, "b", NULL, 0, NULL, p),
                              fx_jwk(fx_pkey("P-384"), "a", NULL, 0, NULL,
                                     p)), p, NULL),
       AJWT_ECONFIG, "a set with one taken kid refused");
    is_int(jwks(&ks, apr_psprintf(p, "{\"keys\":[%s,%s]}",
                              fx_jwk(rsa, "b", NULL, 0, NULL, p),
                              fx_jwk(rsa, "c", NULL, 0, "\"e\":\"AQ\"", p)),
            p, NULL), AJWT_ECONFIG, "a set with one bad key refused");
    is_int(ajwt_keyset_count(ks), 1, "nothing was added by the failures");
    is_int(ks->algs, algs, "algs unchanged");
    ok(!ajwt_keyset_find_kid(ks, "b"), "b not added");
    is_int(ajwt_keyset_add_secret_bytes(&ks, (const unsigned char *)
                                    "0123456789abcdef0123456789abcdef", 32,
                                    "a", NULL, p, NULL), AJWT_ECONFIG,
       "secret with a taken kid refused");
    is_int(ajwt_keyset_add_pem(&ks, pem, strlen(pem), NULL, "x.pem", p, NULL),
       AJWT_OK, "no kid: never a duplicate");
    is_int(ajwt_keyset_add_pem(&ks, pem, strlen(pem), NULL, "x.pem", p, NULL),
       AJWT_OK, "no kid twice");
    is_int(ajwt_keyset_count(ks), 3, "three keys");

    /* merging sets */
    is_int(ajwt_keyset_add_pem(&other, pem, strlen(pem), "a", "y.pem", p, NULL),
       AJWT_OK, "other set");
    is_int(ajwt_keyset_add_keys(&ks, other, p, NULL), AJWT_ECONFIG,
       "merge with a taken kid refused");
    is_int(ajwt_keyset_count(ks), 3, "merge added nothing");
    other = NULL;
    is_int(ajwt_keyset_add_pem(&other, pem, strlen(pem), "z", "y.pem", p, NULL),
       AJWT_OK, "other set, new kid");
    is_int(ajwt_keyset_add_keys(&ks, other, p, NULL), AJWT_OK, "merge");
    is_int(ajwt_keyset_count(ks), 4, "merged");
    ok(ajwt_keyset_find_kid(ks, "z") == fx_only(other), "pointer shared");
    ok(ks->algs == (algs | RSA_ALGS), "algs merged");
    is_int(ajwt_keyset_add_keys(&ks, NULL, p, NULL), AJWT_OK, "merge NULL");
    ok(!ajwt_keyset_find_kid(ks, "nope"), "unknown kid");
    ok(!ajwt_keyset_find_kid(NULL, "a"), "NULL set");
    ok(!ajwt_keyset_find_kid(ks, NULL), "NULL kid");
    is_int(ajwt_keyset_count(NULL), 0, "count of NULL");
}

static void secrets(apr_pool_t *p)
{
    static const struct { apr_size_t len; unsigned algs; } c[] = {
        { 32, HS256 }, { 47, HS256 }, { 48, HS256 | HS384 },
        { 63, HS256 | HS384 }, { 64, HS256 | HS384 | HS512 },
        { 200, HS256 | HS384 | HS512 },
    };
    unsigned char buf[256];
    size_t i;

    memset(buf, 'x', sizeof(buf));
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        ajwt_keyset_t *ks = NULL;
        is_int(ajwt_keyset_add_secret_bytes(&ks, buf, c[i].len, "k", "t", p,
                                        NULL), AJWT_OK, "%d-byte secret",
           (int)c[i].len);
        ok(ks && fx_only(ks)->algs == c[i].algs && prepared(fx_only(ks))
           && fx_only(ks)->kty == AJWT_KTY_OCT && !fx_only(ks)->pkey,
           "%d bytes: algs and contexts", (int)c[i].len);
    }
    {
        ajwt_keyset_t *ks = NULL;
        ajwt_err_t err = { 0 };
        is_int(ajwt_keyset_add_secret_bytes(&ks, buf, 31, NULL, "t", p, &err),
           AJWT_ECONFIG, "31 bytes refused");
        ok(strstr(err.text, "31") && !strstr(err.text, "xxxx"),
           "message names the length, not the bytes: %s", err.text);
        is_int(ajwt_keyset_add_secret_bytes(&ks, buf, 0, NULL, "t", p, NULL),
           AJWT_ECONFIG, "empty refused");
        is_int(ajwt_keyset_add_secret_bytes(&ks, NULL, 0, NULL, "t", p, NULL),
           AJWT_ECONFIG, "NULL refused");
        ok(ks == NULL, "no set made");
    }
}

static void secret_sources(apr_pool_t *p)
{
    char *dir = fx_tmpdir(p);
    const char *s32 = "0123456789abcdef0123456789abcdef";
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    char *path;

    path = fx_write(dir, "s1", apr_pstrcat(p, s32, "\n", NULL), 33, p);
    is_int(ajwt_keyset_add_secret(&ks, apr_pstrcat(p, "file:", path, NULL), "a",
                              p, &err), AJWT_OK, "file: with newline (%s)",
       err.text);
    ok(ks && fx_only(ks)->secret_len == 32
       && !memcmp(fx_only(ks)->secret, s32, 32), "one \\n trimmed");
    ok(ks && !strcmp(fx_only(ks)->source, path), "source is the path");
    ks = NULL;
    path = fx_write(dir, "s2", apr_pstrcat(p, s32, "\r\n", NULL), 34, p);
    is_int(ajwt_keyset_add_secret(&ks, apr_pstrcat(p, "file:", path, NULL), NULL,
                              p, NULL), AJWT_OK, "file: with CRLF");
    ok(ks && fx_only(ks)->secret_len == 32, "\\r\\n trimmed");
    ks = NULL;
    path = fx_write(dir, "s3", apr_pstrcat(p, s32, "\n\n", NULL), 34, p);
    is_int(ajwt_keyset_add_secret(&ks, apr_pstrcat(p, "file:", path, NULL), NULL,
                              p, NULL), AJWT_OK, "file: with two newlines");
    ok(ks && fx_only(ks)->secret_len == 33, "only one trimmed");
    ks = NULL;
    path = fx_write(dir, "s4", s32, 31, p);
    is_int(ajwt_keyset_add_secret(&ks, apr_pstrcat(p, "file:", path, NULL), NULL,
                              p, NULL), AJWT_ECONFIG, "31-byte file refused");
    path = fx_write(dir, "s5", apr_pstrcat(p, "0123456789abcdef0123456789abcde",
                                           "\n", NULL), 32, p);
    is_int(ajwt_keyset_add_secret(&ks, apr_pstrcat(p, "file:", path, NULL), NULL,
                              p, NULL), AJWT_ECONFIG,
       "31 bytes + newline refused");
    is_int(ajwt_keyset_add_secret(&ks, apr_pstrcat(p, "file:", dir, "/nope",
                                               NULL), NULL, p, NULL),
       AJWT_ECONFIG, "missing file");
    is_int(ajwt_keyset_add_secret(&ks, "file:", NULL, p, NULL), AJWT_ECONFIG,
       "file: without path");

    setenv("AJWT_TEST_SECRET", s32, 1);
    is_int(ajwt_keyset_add_secret(&ks, "env:AJWT_TEST_SECRET", "e", p, &err),
       AJWT_OK, "env:");
    ok(ks && fx_only(ks)->secret_len == 32
       && !memcmp(fx_only(ks)->secret, s32, 32), "env value");
    ok(ks && !strcmp(fx_only(ks)->source, "env:AJWT_TEST_SECRET"),
       "env source");
    unsetenv("AJWT_TEST_SECRET");
    is_int(ajwt_keyset_add_secret(&ks, "env:AJWT_TEST_SECRET", "f", p, NULL),
       AJWT_ECONFIG, "unset variable");
    setenv("AJWT_TEST_SECRET", "short", 1);
    is_int(ajwt_keyset_add_secret(&ks, "env:AJWT_TEST_SECRET", "f", p, NULL),
       AJWT_ECONFIG, "short variable");
    unsetenv("AJWT_TEST_SECRET");
    is_int(ajwt_keyset_add_secret(&ks, "env:", "f", p, NULL), AJWT_ECONFIG,
       "env: without name");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_keyset_add_secret(&ks, s32, "f", p, &err), AJWT_ECONFIG,
       "inline secret refused");
    ok(!strstr(err.text, "0123"), "no secret in message: %s", err.text);
    is_int(ajwt_keyset_add_secret(&ks, "File:/etc/passwd", "f", p, NULL),
       AJWT_ECONFIG, "prefix is case-sensitive");
    is_int(ajwt_keyset_add_secret(&ks, NULL, "f", p, NULL), AJWT_ECONFIG,
       "NULL source");
    is_int(ajwt_keyset_count(ks), 1, "only the env key was added");
}

static void lifetime(apr_pool_t *p)
{
    /* keys live in their pool: destroying it runs the cleanups (frees
     * the EVP_PKEYs and contexts, wipes secrets) without crashing */
    apr_pool_t *sub;
    ajwt_keyset_t *ks = NULL;
    int i, good = 1;

    apr_pool_create(&sub, p);
    for (i = 0; i < 20; i++) {
        char *pem = fx_pem_pub(fx_pkey("P-256"), sub);
        good &= ajwt_keyset_add_pem(&ks, pem, strlen(pem), NULL, "t", sub,
                                    NULL) == AJWT_OK;
        good &= ajwt_keyset_add_secret_bytes(&ks, (const unsigned char *)
                                             "0123456789abcdef0123456789abcdef",
                                             32, NULL, "t", sub, NULL)
                == AJWT_OK;
    }
    ok(good && ajwt_keyset_count(ks) == 40, "40 keys in a subpool");
    apr_pool_destroy(sub);
    ok(1, "subpool destroyed");
}

/* ajwt_key_public / ajwt_keys_public_jwks on keys loaded for verifying */
static void public_export(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL, *back = NULL;
    const ajwt_key_t *priv = fx_key(NULL, "RSA", "r1", p), *list[3];
    ajwt_key_t *pub = NULL, *sec = NULL;
    ajwt_err_t err = { 0 };
    const char *text;
    json_t *doc, *jwk;

    ok(priv->has_private, "fixture private key");
    is_int(ajwt_key_public(&pub, priv, p, &err), AJWT_OK, "public copy");
    ok(pub && !pub->has_private && pub->kty == AJWT_KTY_RSA
       && pub->algs == priv->algs && pub->kid && !strcmp(pub->kid, "r1"),
       "public: no private half, same algs and kid");
    fx_secret(&ks, 48, 'z', "s1", p);
    is_int(ajwt_key_public(&sec, fx_only(ks), p, &err), AJWT_OK,
           "secret copy");
    ok(sec && sec->secret_len == 48 && sec->secret != fx_only(ks)->secret
       && !memcmp(sec->secret, fx_only(ks)->secret, 48),
       "secret copied (own memory)");
    list[0] = priv;
    list[1] = sec;
    list[2] = pub;
    text = ajwt_keys_public_jwks(list, 3, p);
    doc = ajwt_json_own(json_loads(text, 0, NULL), p);
    is_int(json_array_size(json_object_get(doc, "keys")), 2,
           "two RSA entries, the secret left out");
    jwk = json_array_get(json_object_get(doc, "keys"), 0);
    ok(jwk && !json_object_get(jwk, "alg") && !json_object_get(jwk, "d")
       && json_is_string(json_object_get(jwk, "n"))
       && !strcmp(json_string_value(json_object_get(jwk, "e")), "AQAB"),
       "an RSA key of several algs has no alg member; n, e, no d");
    ok(!strstr(text, "\"k\""), "no k member");
    /* duplicate kids in the output are refused when read back: one key */
    list[1] = pub;
    text = ajwt_keys_public_jwks(list, 1, p);
    is_int(ajwt_keyset_add_jwks(&back, text, strlen(text), "jwks", p, &err),
           AJWT_OK, "reads back");
    ok(ajwt_keyset_find_kid(back, "r1")
       && !ajwt_keyset_find_kid(back, "r1")->has_private, "kid r1 public");
    {
        /* Ed25519 keys: one of both names is published as "EdDSA", as it
         * was before RFC 9864; one of a single name under that name */
        ajwt_keyset_t *both = NULL, *only = NULL, *old = NULL;
        EVP_PKEY *ed = fx_pkey("Ed25519");
        char *pem = fx_pem_pub(ed, p);
        json_t *d;
        const ajwt_key_t *l[3];
        ajwt_keyset_add_pem(&both, pem, strlen(pem), "both", "t", p, NULL);
        jwks(&only, fx_jwk(ed, "only", "Ed25519", 0, NULL, p), p, NULL);
        jwks(&old, fx_jwk(ed, "old", "EdDSA", 0, NULL, p), p, NULL);
        if (!both || !only || !old) {
            fx_die("Ed25519 keys");
        }
        l[0] = fx_only(both);
        l[1] = fx_only(only);
        l[2] = fx_only(old);
        text = ajwt_keys_public_jwks(l, 3, p);
        d = json_object_get(ajwt_json_own(json_loads(text, 0, NULL), p),
                            "keys");
#define ALG_OF(i) json_string_value(json_object_get(json_array_get(d, i), \
                                                    "alg"))
        ok(json_array_size(d) == 3 && ALG_OF(0) && !strcmp(ALG_OF(0), "EdDSA"),
           "PEM Ed25519 key (both names): alg EdDSA");
        ok(ALG_OF(1) && !strcmp(ALG_OF(1), "Ed25519"),
           "JWK alg Ed25519: alg Ed25519");
        ok(ALG_OF(2) && !strcmp(ALG_OF(2), "EdDSA"), "JWK alg EdDSA: EdDSA");
#undef ALG_OF
        is_int(ajwt_key_public(&pub, l[1], p, &err), AJWT_OK,
               "public copy of an Ed25519-only key");
        ok(pub && pub->algs == ED25519, "keeps its one name");
    }
}

/* A FIFO (or any non-regular file) is refused without being opened:
 * open() on a FIFO without a writer would block start-up for ever. */
static void not_regular(apr_pool_t *p)
{
    char *dir = fx_tmpdir(p);
    char *fifo = apr_pstrcat(p, dir, "/key.fifo", NULL);
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    ok(mkfifo(fifo, 0600) == 0, "a FIFO made");
    is_int(ajwt_keyset_add_file(&ks, fifo, NULL, p, &err), AJWT_ECONFIG,
           "FIFO as key file refused");
    ok(strstr(err.text, "regular file") != NULL, "as not a regular file");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_keyset_add_secret(&ks, apr_pstrcat(p, "file:", fifo, NULL),
                                  NULL, p, &err), AJWT_ECONFIG,
           "FIFO as secret file refused");
    is_int(ajwt_keyset_add_file(&ks, dir, NULL, p, NULL), AJWT_ECONFIG,
           "a directory refused");
}

UNIT_MAIN(pem_keys, pem_refusals, pem_forms, certificates, files, jwk_keys,
          jwk_refusals, jwk_algs, ed25519_alg, use_and_key_ops,
          sets_and_kids, secrets, secret_sources, lifetime, public_export,
          not_regular)
