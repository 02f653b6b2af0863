/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_jwk.c: JWK and JWK Set documents (RFC 7517, RFC 8037) into key
 * sets, and the public JWK Set of signing keys (jwt-jwks).
 *
 * Each member is checked against its key type here; what a key is then
 * allowed to do is decided by ajwt_key.c, as for every other source.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include "ajwt_b64.h"
#include "ajwt_json.h"
#include "ajwt_key.h"
#include "ajwt_key_int.h"

/* ----------------------------------------------------------------- JWK */

/* A base64url member; *out NULL when absent and not required. */
static ajwt_status_t member_b64(unsigned char **out, apr_size_t *len,
                                const json_t *jwk, const char *name,
                                int required, const char *desc,
                                apr_pool_t *p, ajwt_err_t *err)
{
    const json_t *v = json_object_get(jwk, name);
    const char *s;

    *out = NULL;
    *len = 0;
    if (!v) {
        return required ? ajwt_err_set(err, AJWT_ECONFIG, "%s: member \"%s\" "
                                       "is missing", desc, name)
                        : AJWT_OK;
    }
    s = json_string_value(v);
    if (!s || ajwt_b64_decode(out, len, s, json_string_length(v), p, NULL)) {
        *out = NULL;
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: member \"%s\" is not "
                            "base64url", desc, name);
    }
    if (!strcmp(name, "d") || !strcmp(name, "k") || !strcmp(name, "p")
        || !strcmp(name, "q") || !strcmp(name, "dp") || !strcmp(name, "dq")
        || !strcmp(name, "qi")) {
        ajwt_key_int_wipe_later(*out, *len, p);
    }
    return AJWT_OK;
}

/* A string member; *out NULL when absent, error when not a string. */
static ajwt_status_t member_str(const char **out, const json_t *jwk,
                                const char *name, const char *desc,
                                ajwt_err_t *err)
{
    const json_t *v = json_object_get(jwk, name);

    *out = NULL;
    if (v && !json_is_string(v)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: member \"%s\" is not a "
                            "string", desc, name);
    }
    *out = v ? json_string_value(v) : NULL;
    return AJWT_OK;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld,
                             int selection)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (!params || !c || EVP_PKEY_fromdata_init(c) != 1
        || EVP_PKEY_fromdata(c, &pkey, selection, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(c);
    OSSL_PARAM_free(params);
    ERR_clear_error();
    return pkey;
}

static ajwt_status_t jwk_rsa(EVP_PKEY **out, const json_t *jwk,
                             const char *desc, apr_pool_t *p,
                             ajwt_err_t *err)
{
    static const char *const crt[] = { "p", "q", "dp", "dq", "qi" };
    static const char *const crt_param[] = {
        OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
        OSSL_PKEY_PARAM_RSA_COEFFICIENT1
    };
    unsigned char *nb, *eb, *db, *cb[5];
    apr_size_t nl, el, dl, cl[5];
    BIGNUM *n = NULL, *e = NULL, *d = NULL, *c[5] = { NULL };
    OSSL_PARAM_BLD *bld = NULL;
    ajwt_status_t st;
    int i, ncrt = 0;

    *out = NULL;
    if ((st = member_b64(&nb, &nl, jwk, "n", 1, desc, p, err))
        || (st = member_b64(&eb, &el, jwk, "e", 1, desc, p, err))
        || (st = member_b64(&db, &dl, jwk, "d", 0, desc, p, err))) {
        return st;
    }
    for (i = 0; i < 5; i++) {
        if ((st = member_b64(&cb[i], &cl[i], jwk, crt[i], 0, desc, p, err))) {
            return st;
        }
        ncrt += cb[i] != NULL;
    }
    if (json_object_get(jwk, "oth")) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: multi-prime RSA keys "
                            "(\"oth\") are not supported", desc);
    }
    if ((ncrt && ncrt != 5) || (ncrt && !db)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: incomplete RSA private "
                            "key (give d, p, q, dp, dq and qi, or only d)",
                            desc);
    }
    n = BN_bin2bn(nb, (int)nl, NULL);
    e = BN_bin2bn(eb, (int)el, NULL);
    if (!n || !e) {
        st = ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", desc);
        goto done;
    }
    if ((st = ajwt_key_int_check_rsa(n, e, desc, err))) {
        goto done;
    }
    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
        st = ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", desc);
        goto done;
    }
    if (db) {
        d = BN_bin2bn(db, (int)dl, NULL);
        if (!d || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d)) {
            st = ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", desc);
            goto done;
        }
        for (i = 0; i < ncrt; i++) {
            c[i] = BN_bin2bn(cb[i], (int)cl[i], NULL);
            if (!c[i] || !OSSL_PARAM_BLD_push_BN(bld, crt_param[i], c[i])) {
                st = ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory",
                                  desc);
                goto done;
            }
        }
    }
    *out = from_params("RSA", bld, db ? EVP_PKEY_KEYPAIR
                                      : EVP_PKEY_PUBLIC_KEY);
    if (!*out) {
        st = ajwt_err_set(err, AJWT_ECONFIG, "%s: invalid RSA key", desc);
    }
done:
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    for (i = 0; i < 5; i++) {
        BN_clear_free(c[i]);
    }
    return st;
}

static const struct {
    const char *crv;
    const char *group;
    int alg;
} ec_curves[] = {
    { "P-256", "prime256v1", AJWT_ES256 },
    { "P-384", "secp384r1", AJWT_ES384 },
    { "P-521", "secp521r1", AJWT_ES512 },
};

static ajwt_status_t jwk_ec(EVP_PKEY **out, const json_t *jwk,
                            const char *desc, apr_pool_t *p, ajwt_err_t *err)
{
    const char *crv;
    unsigned char *x, *y, *db, *pub;
    apr_size_t xl, yl, dl, size;
    OSSL_PARAM_BLD *bld;
    BIGNUM *d = NULL;
    ajwt_status_t st;
    int i, c = -1;

    *out = NULL;
    if ((st = member_str(&crv, jwk, "crv", desc, err))) {
        return st;
    }
    for (i = 0; crv && i < 3; i++) {
        if (!strcmp(crv, ec_curves[i].crv)) {
            c = i;
        }
    }
    if (c < 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: EC curve %s is not "
                            "supported (P-256, P-384, P-521)", desc,
                            crv ? crv : "(missing)");
    }
    size = ajwt_alg_get(ec_curves[c].alg)->ec_size;
    if ((st = member_b64(&x, &xl, jwk, "x", 1, desc, p, err))
        || (st = member_b64(&y, &yl, jwk, "y", 1, desc, p, err))
        || (st = member_b64(&db, &dl, jwk, "d", 0, desc, p, err))) {
        return st;
    }
    /* RFC 7518 6.2.1.2: full-size coordinates, so a P-256 point cannot
     * pass as a P-384 one */
    if (xl != size || yl != size || (db && dl != size)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: EC coordinates are not "
                            "the size of %s", desc, crv);
    }
    pub = apr_palloc(p, 2 * size + 1);
    pub[0] = 0x04;
    memcpy(pub + 1, x, size);
    memcpy(pub + 1 + size, y, size);
    bld = OSSL_PARAM_BLD_new();
    if (!bld
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            ec_curves[c].group, 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             pub, 2 * size + 1)
        || (db && (!(d = BN_bin2bn(db, (int)dl, NULL))
                   || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY,
                                              d)))) {
        OSSL_PARAM_BLD_free(bld);
        BN_clear_free(d);
        return ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", desc);
    }
    *out = from_params("EC", bld, db ? EVP_PKEY_KEYPAIR
                                     : EVP_PKEY_PUBLIC_KEY);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    if (!*out) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: EC point is not on %s",
                            desc, crv);
    }
    return AJWT_OK;
}

static ajwt_status_t jwk_okp(EVP_PKEY **out, const json_t *jwk,
                             const char *desc, apr_pool_t *p,
                             ajwt_err_t *err)
{
    const char *crv;
    unsigned char *x, *db, pub[32];
    apr_size_t xl, dl, pl = sizeof(pub);
    ajwt_status_t st;

    *out = NULL;
    if ((st = member_str(&crv, jwk, "crv", desc, err))) {
        return st;
    }
    if (!crv || strcmp(crv, "Ed25519")) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: OKP curve %s is not "
                            "supported (Ed25519)", desc,
                            crv ? crv : "(missing)");
    }
    if ((st = member_b64(&x, &xl, jwk, "x", 1, desc, p, err))
        || (st = member_b64(&db, &dl, jwk, "d", 0, desc, p, err))) {
        return st;
    }
    if (xl != 32 || (db && dl != 32)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: Ed25519 keys are 32 "
                            "bytes", desc);
    }
    if (db) {
        /* the public key is derived, then must be the one given */
        *out = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, db, 32);
        if (*out && (!EVP_PKEY_get_raw_public_key(*out, pub, &pl)
                     || pl != 32 || CRYPTO_memcmp(pub, x, 32))) {
            EVP_PKEY_free(*out);
            *out = NULL;
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: Ed25519 \"d\" does "
                                "not match \"x\"", desc);
        }
    }
    else {
        *out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, 32);
    }
    ERR_clear_error();
    if (!*out) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: invalid Ed25519 key",
                            desc);
    }
    return AJWT_OK;
}

/* Members that only some key types have: one of another type is a lie
 * about kty (Wycheproof JWK tcId 24). */
static int foreign_member(const json_t *jwk, ajwt_kty_t kty)
{
    static const struct {
        const char *name;
        unsigned kinds;     /* bits 1 << kty where the member belongs */
    } m[] = {
        { "n", 1u << AJWT_KTY_RSA }, { "e", 1u << AJWT_KTY_RSA },
        { "p", 1u << AJWT_KTY_RSA }, { "q", 1u << AJWT_KTY_RSA },
        { "dp", 1u << AJWT_KTY_RSA }, { "dq", 1u << AJWT_KTY_RSA },
        { "qi", 1u << AJWT_KTY_RSA }, { "oth", 1u << AJWT_KTY_RSA },
        { "crv", 1u << AJWT_KTY_EC | 1u << AJWT_KTY_OKP },
        { "x", 1u << AJWT_KTY_EC | 1u << AJWT_KTY_OKP },
        { "y", 1u << AJWT_KTY_EC },
        { "d", 1u << AJWT_KTY_RSA | 1u << AJWT_KTY_EC | 1u << AJWT_KTY_OKP },
        { "k", 1u << AJWT_KTY_OCT },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        if (!(m[i].kinds & (1u << kty)) && json_object_get(jwk, m[i].name)) {
            return 1;
        }
    }
    return 0;
}

/*
 * One JWK into *out, or *out NULL when use/key_ops say it is not a
 * signature key (skipped, not an error).
 */
static ajwt_status_t jwk_to_key(ajwt_key_t **out, const json_t *jwk,
                                const char *kid_over, int index,
                                const char *source, apr_pool_t *p,
                                ajwt_err_t *err)
{
    const char *kid, *kty_s, *use, *alg_s, *desc;
    const json_t *ops;
    const ajwt_alg_t *alg = NULL;
    ajwt_kty_t kty;
    ajwt_key_t *k;
    EVP_PKEY *pkey = NULL;
    ajwt_status_t st;

    *out = NULL;
    desc = apr_psprintf(p, "%s: key %d", source, index + 1);
    if (!json_is_object(jwk)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s is not a JSON object",
                            desc);
    }
    if ((st = member_str(&kid, jwk, "kid", desc, err))) {
        return st;
    }
    kid = kid_over ? kid_over : kid ? apr_pstrdup(p, kid) : NULL;
    if (kid) {
        desc = apr_psprintf(p, "%s: key \"%s\"", source, kid);
    }
    if ((st = member_str(&kty_s, jwk, "kty", desc, err))
        || (st = member_str(&use, jwk, "use", desc, err))
        || (st = member_str(&alg_s, jwk, "alg", desc, err))) {
        return st;
    }
    if (use && strcmp(use, "sig")) {
        return AJWT_OK;         /* an encryption key: not ours to use */
    }
    ops = json_object_get(jwk, "key_ops");
    if (ops) {
        apr_size_t i;
        int verify = 0;
        if (!json_is_array(ops)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: \"key_ops\" is not "
                                "an array", desc);
        }
        for (i = 0; i < json_array_size(ops); i++) {
            const char *op = json_string_value(json_array_get(ops, i));
            if (!op) {
                return ajwt_err_set(err, AJWT_ECONFIG, "%s: \"key_ops\" "
                                    "holds a non-string", desc);
            }
            verify |= !strcmp(op, "verify");
        }
        if (!verify) {
            return AJWT_OK;     /* not allowed to verify: skipped */
        }
    }
    if (!kty_s) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: no \"kty\"", desc);
    }
    if (!strcmp(kty_s, "RSA")) {
        kty = AJWT_KTY_RSA;
    }
    else if (!strcmp(kty_s, "EC")) {
        kty = AJWT_KTY_EC;
    }
    else if (!strcmp(kty_s, "OKP")) {
        kty = AJWT_KTY_OKP;
    }
    else if (!strcmp(kty_s, "oct")) {
        kty = AJWT_KTY_OCT;
    }
    else {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: kty \"%.20s\" is not "
                            "supported", desc, kty_s);
    }
    if (alg_s) {
        alg = ajwt_alg_find(alg_s);
        if (!alg) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: \"alg\" %.20s is not "
                                "a JWS signature algorithm", desc, alg_s);
        }
        if (alg->kty != kty) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: \"alg\" %s does not "
                                "fit kty %s", desc, alg->name, kty_s);
        }
    }
    if (foreign_member(jwk, kty)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: members of another key "
                            "type than kty %s", desc, kty_s);
    }
    k = ajwt_key_int_new(p, kid, source);
    *out = k;
    if (kty == AJWT_KTY_OCT) {
        unsigned char *sec;
        apr_size_t len;
        if ((st = member_b64(&sec, &len, jwk, "k", 1, desc, p, err))) {
            return st;
        }
        return ajwt_key_int_finish_secret(k, sec, len,
                                          alg ? AJWT_ALG_BIT(alg->id) : 0,
                                          desc, err);
    }
    st = kty == AJWT_KTY_RSA ? jwk_rsa(&pkey, jwk, desc, p, err)
         : kty == AJWT_KTY_EC ? jwk_ec(&pkey, jwk, desc, p, err)
         : jwk_okp(&pkey, jwk, desc, p, err);
    if (st) {
        return st;
    }
    return ajwt_key_int_finish_pkey(k, pkey,
                                    alg ? AJWT_ALG_BIT(alg->id) : 0, desc, p,
                                    err);
}

/*
 * A key sent by a client (a DPoP proof's "jwk"): public members of the
 * type of alg only, and the EVP_PKEY alone (no prepared contexts: the
 * key serves one verification, which sets itself up).
 */
ajwt_status_t ajwt_jwk_public_key(ajwt_key_t **out, const json_t *jwk,
                                  const ajwt_alg_t *alg, const char *source,
                                  apr_pool_t *p, ajwt_err_t *err)
{
    static const char *const priv[] = {
        "d", "p", "q", "dp", "dq", "qi", "oth", "k"
    };
    static const char *const kty_name[] = {
        [AJWT_KTY_OCT] = "oct", [AJWT_KTY_RSA] = "RSA",
        [AJWT_KTY_EC] = "EC", [AJWT_KTY_OKP] = "OKP"
    };
    const char *kty_s, *use, *alg_s, *crv;
    EVP_PKEY *pkey = NULL;
    ajwt_key_t *k;
    ajwt_status_t st;
    apr_size_t i;

    *out = NULL;
    if (!json_is_object(jwk)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s is not a JSON object",
                            source);
    }
    for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
        if (json_object_get(jwk, priv[i])) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s has the private "
                                "member \"%s\"", source, priv[i]);
        }
    }
    if ((st = member_str(&kty_s, jwk, "kty", source, err))
        || (st = member_str(&use, jwk, "use", source, err))
        || (st = member_str(&alg_s, jwk, "alg", source, err))) {
        return st;
    }
    if (!alg || alg->kty == AJWT_KTY_OCT || !kty_s
        || strcmp(kty_s, kty_name[alg->kty])) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: kty %.20s does not fit "
                            "alg %s", source, kty_s ? kty_s : "(missing)",
                            alg ? alg->name : "?");
    }
    if (alg_s && strcmp(alg_s, alg->name)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: its \"alg\" %.20s is "
                            "not %s", source, alg_s, alg->name);
    }
    if (use && strcmp(use, "sig")) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: \"use\" is not "
                            "\"sig\"", source);
    }
    if (foreign_member(jwk, alg->kty)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: members of another key "
                            "type than kty %s", source, kty_s);
    }
    if (alg->kty == AJWT_KTY_EC) {
        /* the curve of the algorithm, not merely a supported one */
        if ((st = member_str(&crv, jwk, "crv", source, err))) {
            return st;
        }
        for (i = 0; i < 3; i++) {
            if (ec_curves[i].alg == (int)alg->id) {
                break;
            }
        }
        if (i == 3 || !crv || strcmp(crv, ec_curves[i].crv)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: curve %.20s does not "
                                "fit %s", source, crv ? crv : "(missing)",
                                alg->name);
        }
    }
    st = alg->kty == AJWT_KTY_RSA ? jwk_rsa(&pkey, jwk, source, p, err)
         : alg->kty == AJWT_KTY_EC ? jwk_ec(&pkey, jwk, source, p, err)
         : jwk_okp(&pkey, jwk, source, p, err);
    if (st) {
        return st;
    }
    k = ajwt_key_int_new(p, NULL, source);
    k->pkey = pkey;             /* freed by k's cleanup from now on */
    k->kty = alg->kty;
    /* EdDSA and Ed25519 name one primitive (ajwt_alg.h) */
    k->algs = alg->kty == AJWT_KTY_OKP
              ? AJWT_ALG_BIT(AJWT_EDDSA) | AJWT_ALG_BIT(AJWT_ED25519)
              : AJWT_ALG_BIT(alg->id);
    *out = k;
    return AJWT_OK;
}

ajwt_status_t ajwt_jwk_int_add_doc(ajwt_keyset_t **ks, const char *json,
                                   apr_size_t len, const char *kid,
                                   const char *source, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    apr_array_header_t *add = apr_array_make(p, 4, sizeof(ajwt_key_t *));
    ajwt_err_t jerr = { 0 };
    json_t *doc, *keys;
    ajwt_status_t st;
    int nsym = 0, nasym = 0;

    if (ajwt_json_parse_object(&doc, json, len, "JWK", p, &jerr)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: %s", source, jerr.text);
    }
    keys = json_object_get(doc, "keys");
    if (keys) {
        apr_size_t i;
        if (!json_is_array(keys)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: \"keys\" is not an "
                                "array", source);
        }
        if (kid) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: a JWK Set carries "
                                "its own kids; none may be given", source);
        }
        for (i = 0; i < json_array_size(keys); i++) {
            ajwt_key_t *k;
            if ((st = jwk_to_key(&k, json_array_get(keys, i), NULL, (int)i,
                                 source, p, err))) {
                return st;
            }
            if (k) {
                APR_ARRAY_PUSH(add, ajwt_key_t *) = k;
                if (k->kty == AJWT_KTY_OCT) {
                    nsym++;
                }
                else {
                    nasym++;
                }
            }
        }
    }
    else {
        ajwt_key_t *k;
        if ((st = jwk_to_key(&k, doc, kid, 0, source, p, err))) {
            return st;
        }
        if (k) {
            APR_ARRAY_PUSH(add, ajwt_key_t *) = k;
        }
    }
    if (nsym && nasym) {
        /* one document, two trust models: refuse rather than guess */
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: JWK Set mixes secret and "
                            "public keys", source);
    }
    if (add->nelts == 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: no signature key (\"use\" "
                            "or \"key_ops\" exclude every key)", source);
    }
    return ajwt_key_int_commit(ks, add, p, err);
}

ajwt_status_t ajwt_keyset_add_jwks(ajwt_keyset_t **ks, const char *json,
                                   apr_size_t len, const char *source,
                                   apr_pool_t *p, ajwt_err_t *err)
{
    source = source ? apr_pstrdup(p, source) : "jwk";
    return ajwt_jwk_int_add_doc(ks, json, len, NULL, source, p, err);
}

/* A big-number parameter as base64url of exactly size bytes (0: its own
 * length), into the JSON object; 0 on failure. */
static int put_bn(json_t *o, const char *member, EVP_PKEY *pk,
                  const char *param, int size, apr_pool_t *p)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int n, ok = 0;

    if (!EVP_PKEY_get_bn_param(pk, param, &bn)) {
        ERR_clear_error();
        return 0;
    }
    n = size ? size : BN_num_bytes(bn);
    buf = apr_palloc(p, n ? n : 1);
    if (n > 0 && BN_bn2binpad(bn, buf, n) == n) {
        ok = !json_object_set_new(o, member,
                                  json_string(ajwt_b64_encode(buf, n, p)));
    }
    BN_free(bn);
    return ok;
}

static json_t *public_jwk(const ajwt_key_t *k, apr_pool_t *p)
{
    json_t *o = json_object();
    int ok = 1, i, one = -1, count = 0;
    unsigned algs = k->algs;

    if (!o) {
        return NULL;
    }
    /* a key of both names is published as it always was: "EdDSA" */
    if (algs & AJWT_ALG_BIT(AJWT_EDDSA)) {
        algs &= ~AJWT_ALG_BIT(AJWT_ED25519);
    }
    for (i = 0; i < AJWT_NALG; i++) {
        if (algs & AJWT_ALG_BIT(i)) {
            one = i;
            count++;
        }
    }
    if (k->kty == AJWT_KTY_RSA) {
        ok = !json_object_set_new(o, "kty", json_string("RSA"))
             && put_bn(o, "n", k->pkey, OSSL_PKEY_PARAM_RSA_N, 0, p)
             && put_bn(o, "e", k->pkey, OSSL_PKEY_PARAM_RSA_E, 0, p);
    }
    else if (k->kty == AJWT_KTY_EC) {
        const ajwt_alg_t *a = NULL;
        for (i = AJWT_ES256; i <= AJWT_ES512; i++) {
            if (k->algs & AJWT_ALG_BIT(i)) {
                a = ajwt_alg_get(i);
            }
        }
        ok = a && !json_object_set_new(o, "kty", json_string("EC"))
             && !json_object_set_new(o, "crv", json_string(
                    a->id == AJWT_ES256 ? "P-256"
                    : a->id == AJWT_ES384 ? "P-384" : "P-521"))
             && put_bn(o, "x", k->pkey, OSSL_PKEY_PARAM_EC_PUB_X,
                       a->ec_size, p)
             && put_bn(o, "y", k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y,
                       a->ec_size, p);
    }
    else if (k->kty == AJWT_KTY_OKP) {
        unsigned char raw[32];
        size_t l = sizeof(raw);
        ok = EVP_PKEY_get_raw_public_key(k->pkey, raw, &l) && l == 32
             && !json_object_set_new(o, "kty", json_string("OKP"))
             && !json_object_set_new(o, "crv", json_string("Ed25519"))
             && !json_object_set_new(o, "x", json_string(
                    ajwt_b64_encode(raw, l, p)));
    }
    else {
        ok = 0;                 /* oct: never published */
    }
    if (ok && k->kid) {
        ok = !json_object_set_new(o, "kid", json_string(k->kid));
    }
    if (ok && count == 1) {
        ok = !json_object_set_new(o, "alg",
                                  json_string(ajwt_alg_get(one)->name));
    }
    if (ok) {
        ok = !json_object_set_new(o, "use", json_string("sig"));
    }
    ERR_clear_error();
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const char *ajwt_keys_public_jwks(const ajwt_key_t *const *keys, int n,
                                  apr_pool_t *p)
{
    json_t *set = json_object(), *arr = json_array();
    char *text;
    const char *out;
    int i;

    if (!set || !arr || json_object_set_new(set, "keys", arr)) {
        json_decref(set);
        return "{\"keys\":[]}";
    }
    for (i = 0; keys && i < n; i++) {
        json_t *jwk;
        if (!keys[i] || !keys[i]->pkey || keys[i]->kty == AJWT_KTY_OCT) {
            continue;
        }
        if ((jwk = public_jwk(keys[i], p))) {
            json_array_append_new(arr, jwk);
        }
    }
    text = json_dumps(set, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(set);
    if (!text) {
        return "{\"keys\":[]}";
    }
    out = apr_pstrdup(p, text);
    free(text);
    return out;
}
