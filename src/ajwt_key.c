/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_key.c: the key object and key sets.
 *
 * Everything that can be decided about a key is decided here, once, at
 * configuration time: its type, the algorithms it may ever serve, whether
 * it is strong enough, and a ready verification context per algorithm, so
 * that verifying a token does no parsing, lookup or key setup. The formats
 * keys come in are read by ajwt_jwk.c (JWK, JWK Set) and ajwt_keyfile.c
 * (PEM, X.509, secrets, files); both make and add their keys through
 * the helpers declared in ajwt_key_int.h, defined here.
 */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "ajwt_key.h"
#include "ajwt_key_int.h"

#define HMAC_MIN        32              /* RFC 7518 3.2, for HS256 */
#define RSA_MIN_BITS    2048
#define RSA_MAX_BITS    16384           /* OpenSSL's own verify limit */

/* ------------------------------------------------------------ lifetime */

static apr_status_t key_cleanup(void *data)
{
    ajwt_key_t *k = data;
    int i;

    for (i = 0; i < AJWT_NALG; i++) {
        if (k->vctx[i]) {
            if (ajwt_alg_get(i)->kty == AJWT_KTY_OCT) {
                ajwt_hmac_pads_t *h = k->vctx[i];
                EVP_MD_CTX_free(h->in);
                EVP_MD_CTX_free(h->out);
                OPENSSL_free(h);
            }
            else {
                EVP_MD_CTX_free(k->vctx[i]);
            }
            k->vctx[i] = NULL;
        }
    }
    EVP_PKEY_free(k->pkey);
    k->pkey = NULL;
    if (k->secret) {
        OPENSSL_cleanse((void *)k->secret, k->secret_len);
        k->secret = NULL;
    }
    return APR_SUCCESS;
}

/* A key whose every later resource is released with p. */
ajwt_key_t *ajwt_key_int_new(apr_pool_t *p, const char *kid,
                             const char *source)
{
    ajwt_key_t *k = apr_pcalloc(p, sizeof(*k));
    k->kid = kid;
    k->source = source;
    apr_pool_cleanup_register(p, k, key_cleanup, apr_pool_cleanup_null);
    return k;
}

/* Copies of secret material in pool memory, wiped when p goes. */
typedef struct {
    void *buf;
    apr_size_t len;
} wipe_t;

static apr_status_t wipe_cleanup(void *data)
{
    wipe_t *w = data;
    OPENSSL_cleanse(w->buf, w->len);
    return APR_SUCCESS;
}

void ajwt_key_int_wipe_later(void *buf, apr_size_t len, apr_pool_t *p)
{
    wipe_t *w = apr_palloc(p, sizeof(*w));
    w->buf = buf;
    w->len = len;
    apr_pool_cleanup_register(p, w, wipe_cleanup, apr_pool_cleanup_null);
}

/* -------------------------------------------------- signature contexts */

int ajwt_key_sig_init(EVP_MD_CTX *ctx, const ajwt_alg_t *alg,
                      EVP_PKEY *pkey, int sign)
{
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = ajwt_alg_md(alg);
    int rc;

    if (alg->digest && !md) {
        return 0;
    }
    /* EdDSA may be any curve (RFC 8037); Ed25519 is that curve only */
    if (alg->id == AJWT_ED25519 && !EVP_PKEY_is_a(pkey, "ED25519")) {
        return 0;
    }
    rc = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, pkey)
              : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pkey);
    if (rc != 1) {
        return 0;
    }
    if (alg->kty != AJWT_KTY_RSA) {
        return 1;
    }
    if (alg->id >= AJWT_PS256 && alg->id <= AJWT_PS512) {
        /* RFC 7518 3.5: MGF1 with the same hash, salt exactly hash_len;
         * a fixed salt length also stops OpenSSL from auto-detecting it. */
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
               && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0
               && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, alg->hash_len) > 0;
    }
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
}

/* RFC 2104: K' = H(K) when K is longer than a block, zero-padded to a
 * block; in = H state after K' ^ ipad, out = after K' ^ opad. */
static int hmac_pads(ajwt_hmac_pads_t *h, const EVP_MD *md,
                     const unsigned char *key, apr_size_t key_len)
{
    unsigned char kb[128], ip[128], op[128];
    unsigned int kl = 0;
    int bs = md ? EVP_MD_get_block_size(md) : 0, j, ok;

    if (bs <= 0 || bs > (int)sizeof(kb)) {
        return 0;
    }
    memset(kb, 0, sizeof(kb));
    if (key_len > (apr_size_t)bs) {
        ok = EVP_Digest(key, key_len, kb, &kl, md, NULL);
    }
    else {
        memcpy(kb, key, key_len);
        ok = 1;
    }
    for (j = 0; j < bs; j++) {
        ip[j] = kb[j] ^ 0x36;
        op[j] = kb[j] ^ 0x5c;
    }
    h->in = EVP_MD_CTX_new();
    h->out = EVP_MD_CTX_new();
    ok = ok && h->in && h->out
         && EVP_DigestInit_ex(h->in, md, NULL)
         && EVP_DigestUpdate(h->in, ip, bs)
         && EVP_DigestInit_ex(h->out, md, NULL)
         && EVP_DigestUpdate(h->out, op, bs);
    OPENSSL_cleanse(kb, sizeof(kb));
    OPENSSL_cleanse(ip, sizeof(ip));
    OPENSSL_cleanse(op, sizeof(op));
    return ok;
}

/* One ready context per algorithm the key may serve (see ajwt_key.h). */
static ajwt_status_t prepare(ajwt_key_t *k, const char *desc,
                             ajwt_err_t *err)
{
    int i;

    for (i = 0; i < AJWT_NALG; i++) {
        const ajwt_alg_t *alg = ajwt_alg_get(i);
        if (!(k->algs & AJWT_ALG_BIT(i))) {
            continue;
        }
        if (k->kty == AJWT_KTY_OCT) {
            ajwt_hmac_pads_t *h = OPENSSL_zalloc(sizeof(*h));
            k->vctx[i] = h;
            if (!h || !hmac_pads(h, ajwt_alg_md(alg), k->secret,
                                 k->secret_len)) {
                ERR_clear_error();
                return ajwt_err_set(err, AJWT_EINTERNAL, "%s: cannot set up "
                                    "%s", desc, alg->name);
            }
        }
        else {
            EVP_MD_CTX *m = EVP_MD_CTX_new();
            k->vctx[i] = m;
            if (!m || !ajwt_key_sig_init(m, alg, k->pkey, 0)) {
                ERR_clear_error();
                return ajwt_err_set(err, AJWT_ECONFIG, "%s: key cannot be "
                                    "used with %s", desc, alg->name);
            }
        }
    }
    return AJWT_OK;
}

/* ------------------------------------------------------ key validation */

/*
 * ROCA (CVE-2017-15361): moduli made by the flawed Infineon generator are
 * p = k * M + (65537^a mod M), so for every small prime r dividing M,
 * n mod r lies in the subgroup generated by 65537 mod r. A random modulus
 * passes all these residue tests with negligible probability. This is
 * the published detection test (Nemec et al., CCS 2017), prime list
 * included; the subgroups are computed here rather than tabulated.
 */
static const unsigned char roca_primes[] = {
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67,
    71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139,
    149, 151, 157, 163, 167
};

static int roca_fingerprint(const BIGNUM *n)
{
    apr_size_t i;

    for (i = 0; i < sizeof(roca_primes); i++) {
        unsigned r = roca_primes[i], g = 65537 % r, x = 1;
        BN_ULONG m = BN_mod_word(n, r);
        int in = 0;
        if (m == (BN_ULONG)-1) {
            return 0;
        }
        do {
            if (x == m) {
                in = 1;
                break;
            }
            x = x * g % r;
        } while (x != 1);
        if (!in) {
            return 0;
        }
    }
    return 1;
}

ajwt_status_t ajwt_key_int_check_rsa(const BIGNUM *n, const BIGNUM *e,
                                     const char *desc, ajwt_err_t *err)
{
    int bits = BN_num_bits(n);

    if (bits < RSA_MIN_BITS) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: RSA key of %d bits is "
                            "too small (at least %d)", desc, bits,
                            RSA_MIN_BITS);
    }
    if (bits > RSA_MAX_BITS) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: RSA key of %d bits is "
                            "too large (at most %d)", desc, bits,
                            RSA_MAX_BITS);
    }
    if (!BN_is_odd(n)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: RSA modulus is even",
                            desc);
    }
    /* e = 1 makes every signature its own message; even e is no RSA */
    if (!BN_is_odd(e) || BN_is_one(e) || BN_cmp(e, n) >= 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: weak RSA public "
                            "exponent (must be odd, at least 3)", desc);
    }
    if (roca_fingerprint(n)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: RSA modulus has the ROCA "
                            "fingerprint (CVE-2017-15361, factorable): "
                            "replace the key", desc);
    }
    return AJWT_OK;
}

static int has_private(EVP_PKEY *pkey)
{
    BIGNUM *d = NULL;
    size_t l = 0;
    int r = 0;

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        r = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d);
    }
    else if (EVP_PKEY_is_a(pkey, "EC")) {
        r = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d);
    }
    else {
        r = EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY,
                                            NULL, 0, &l) && l > 0;
    }
    BN_clear_free(d);
    ERR_clear_error();
    return r ? 1 : 0;
}

/* Public point on its curve; for a key pair, private matching public. */
static int pkey_checks(EVP_PKEY *pkey, int priv)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = c && EVP_PKEY_public_check(c) == 1
             && (!priv || EVP_PKEY_pairwise_check(c) == 1);
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    return ok;
}

/* The ES algorithm of a named curve, or -1. */
static int ec_alg_of_group(const char *name)
{
    int nid = OBJ_sn2nid(name), i;

    if (nid == NID_undef) {
        nid = EC_curve_nist2nid(name);
    }
    for (i = AJWT_ES256; i <= AJWT_ES512; i++) {
        if (nid != NID_undef && ajwt_alg_get(i)->curve_nid == nid) {
            return i;
        }
    }
    return -1;
}

/*
 * Take ownership of pkey into k (whatever happens) and decide its type
 * and algorithms; restrict, when not 0, is a JWK "alg" bit.
 */
ajwt_status_t ajwt_key_int_finish_pkey(ajwt_key_t *k, EVP_PKEY *pkey,
                                       unsigned restrict_to,
                                       const char *desc, apr_pool_t *p,
                                       ajwt_err_t *err)
{
    k->pkey = pkey;
    k->has_private = has_private(pkey);
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        BIGNUM *n = NULL, *e = NULL;
        ajwt_status_t st;
        if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n)
            || !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
            BN_free(n);
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: unreadable RSA key",
                                desc);
        }
        st = ajwt_key_int_check_rsa(n, e, desc, err);
        BN_free(n);
        BN_free(e);
        if (st) {
            return st;
        }
        k->kty = AJWT_KTY_RSA;
        k->algs = ajwt_alg_mask_kty(AJWT_KTY_RSA);
    }
    else if (EVP_PKEY_is_a(pkey, "EC")) {
        char group[64];
        size_t gl = 0;
        int alg;
        if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &gl)
            || (alg = ec_alg_of_group(group)) < 0) {
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: EC key is not on "
                                "P-256, P-384 or P-521", desc);
        }
        if (!pkey_checks(pkey, k->has_private)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: EC point is not on "
                                "its curve, or the private key does not "
                                "match it", desc);
        }
        k->kty = AJWT_KTY_EC;
        k->algs = AJWT_ALG_BIT(alg);
    }
    else if (EVP_PKEY_is_a(pkey, "ED25519")) {
        if (!pkey_checks(pkey, k->has_private)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: invalid Ed25519 "
                                "key", desc);
        }
        k->kty = AJWT_KTY_OKP;
        k->algs = AJWT_ALG_BIT(AJWT_EDDSA) | AJWT_ALG_BIT(AJWT_ED25519);
    }
    else {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: key type %s is not "
                            "supported (RSA, EC P-256/384/521, Ed25519)",
                            desc, EVP_PKEY_get0_type_name(pkey)
                                  ? EVP_PKEY_get0_type_name(pkey) : "?");
    }
    if (restrict_to) {
        if (!(k->algs & restrict_to)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: \"alg\" %s does "
                                "not fit the key (it fits %s)", desc,
                                ajwt_alg_mask_str(restrict_to, p),
                                ajwt_alg_mask_str(k->algs, p));
        }
        k->algs = restrict_to;
    }
    return prepare(k, desc, err);
}

/* Algorithms of an HMAC secret: never a hash longer than the secret. */
static unsigned secret_algs(apr_size_t len)
{
    return (len >= 64 ? AJWT_ALG_BIT(AJWT_HS512) : 0)
           | (len >= 48 ? AJWT_ALG_BIT(AJWT_HS384) : 0)
           | (len >= 32 ? AJWT_ALG_BIT(AJWT_HS256) : 0);
}

/* k takes secret (pool memory of k's pool, wiped by k's cleanup). */
ajwt_status_t ajwt_key_int_finish_secret(ajwt_key_t *k,
                                         unsigned char *secret,
                                         apr_size_t len,
                                         unsigned restrict_to,
                                         const char *desc, ajwt_err_t *err)
{
    k->kty = AJWT_KTY_OCT;
    k->secret = secret;
    k->secret_len = len;
    if (len == 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: HMAC secret is empty",
                            desc);
    }
    if (len < HMAC_MIN) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: HMAC secret of %"
                            APR_SIZE_T_FMT " bytes is too short (at least "
                            "%d)", desc, len, HMAC_MIN);
    }
    k->algs = secret_algs(len);
    if (restrict_to) {
        if (!(k->algs & restrict_to)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: HMAC secret of %"
                                APR_SIZE_T_FMT " bytes is shorter than the "
                                "hash of its \"alg\"", desc, len);
        }
        k->algs = restrict_to;
    }
    return prepare(k, desc, err);
}

/* ------------------------------------------------------------ keysets */

/* Source of ajwt_keyset_t.id: a new one each time a set changes. */
static apr_uint64_t keyset_ids;

/*
 * Append the keys of add (ajwt_key_t *) to *ks, or nothing at all when a
 * kid is already taken (in *ks or twice in add).
 */
ajwt_status_t ajwt_key_int_commit(ajwt_keyset_t **ks,
                                  const apr_array_header_t *add,
                                  apr_pool_t *p, ajwt_err_t *err)
{
    int i, j;

    for (i = 0; i < add->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(add, i, const ajwt_key_t *);
        if (!k->kid) {
            continue;
        }
        if (ajwt_keyset_find_kid(*ks, k->kid)) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: duplicate kid \"%s\"",
                                k->source, k->kid);
        }
        for (j = 0; j < i; j++) {
            const ajwt_key_t *o = APR_ARRAY_IDX(add, j, const ajwt_key_t *);
            if (o->kid && !strcmp(o->kid, k->kid)) {
                return ajwt_err_set(err, AJWT_ECONFIG, "%s: duplicate kid "
                                    "\"%s\"", k->source, k->kid);
            }
        }
    }
    if (!*ks) {
        *ks = apr_pcalloc(p, sizeof(**ks));
        (*ks)->keys = apr_array_make(p, 4, sizeof(ajwt_key_t *));
    }
    for (i = 0; i < add->nelts; i++) {
        ajwt_key_t *k = APR_ARRAY_IDX(add, i, ajwt_key_t *);
        APR_ARRAY_PUSH((*ks)->keys, ajwt_key_t *) = k;
        (*ks)->algs |= k->algs;
    }
    (*ks)->id = __atomic_add_fetch(&keyset_ids, 1, __ATOMIC_RELAXED);
    return AJWT_OK;
}

ajwt_status_t ajwt_key_int_commit_one(ajwt_keyset_t **ks, ajwt_key_t *k,
                                      apr_pool_t *p, ajwt_err_t *err)
{
    apr_array_header_t *a = apr_array_make(p, 1, sizeof(ajwt_key_t *));
    APR_ARRAY_PUSH(a, ajwt_key_t *) = k;
    return ajwt_key_int_commit(ks, a, p, err);
}

ajwt_status_t ajwt_keyset_add_keys(ajwt_keyset_t **ks,
                                   const ajwt_keyset_t *src,
                                   apr_pool_t *p, ajwt_err_t *err)
{
    if (!src || !src->keys) {
        return AJWT_OK;
    }
    return ajwt_key_int_commit(ks, src->keys, p, err);
}

const ajwt_key_t *ajwt_keyset_find_kid(const ajwt_keyset_t *ks,
                                       const char *kid)
{
    int i;

    if (!ks || !ks->keys || !kid) {
        return NULL;
    }
    for (i = 0; i < ks->keys->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(ks->keys, i, const ajwt_key_t *);
        if (k->kid && !strcmp(k->kid, kid)) {
            return k;
        }
    }
    return NULL;
}

int ajwt_keyset_count(const ajwt_keyset_t *ks)
{
    return (ks && ks->keys) ? ks->keys->nelts : 0;
}

/* ------------------------------------------------------------ signing */

/*
 * Narrow a loaded key to the one algorithm it signs with. Its ready
 * contexts for the other algorithms stay until the pool goes: harmless,
 * and nothing consults them once algs excludes them.
 */
ajwt_status_t ajwt_key_int_narrow(ajwt_key_t *k, const ajwt_alg_t *a,
                                  const char *desc, apr_pool_t *p,
                                  ajwt_err_t *err)
{
    if (!(k->algs & AJWT_ALG_BIT(a->id))) {
        if (k->kty == AJWT_KTY_OCT) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: an HMAC secret of %"
                                APR_SIZE_T_FMT " bytes does not fit %s (at "
                                "least %d bytes; the secret fits %s)", desc,
                                k->secret_len, a->name, a->hash_len,
                                ajwt_alg_mask_str(k->algs, p));
        }
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: algorithm %s does not "
                            "fit the key (it fits %s)", desc, a->name,
                            ajwt_alg_mask_str(k->algs, p));
    }
    k->algs = AJWT_ALG_BIT(a->id);
    return AJWT_OK;
}

ajwt_status_t ajwt_key_public(ajwt_key_t **out, const ajwt_key_t *k,
                              apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_keyset_t *ks = NULL;
    ajwt_key_t *pub;
    ajwt_status_t st;
    unsigned algs = k->algs;

    *out = NULL;
    if (k->kty == AJWT_KTY_OCT) {
        st = ajwt_keyset_add_secret_bytes(&ks, k->secret, k->secret_len,
                                          k->kid, k->source, p, err);
    }
    else {
        BIO *b = BIO_new(BIO_s_mem());
        char *data;
        long n;
        if (!b || !k->pkey || !PEM_write_bio_PUBKEY(b, k->pkey)) {
            BIO_free(b);
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_EINTERNAL, "%s: cannot export the "
                                "public key", k->source ? k->source : "key");
        }
        n = BIO_get_mem_data(b, &data);
        st = ajwt_keyset_add_pem(&ks, data, (apr_size_t)n, k->kid,
                                 k->source, p, err);
        BIO_free(b);
    }
    if (st) {
        return st;
    }
    pub = APR_ARRAY_IDX(ks->keys, 0, ajwt_key_t *);
    if (algs & pub->algs) {
        pub->algs &= algs;
    }
    *out = pub;
    return AJWT_OK;
}
