/*
 * ajwt_key.c: PEM, X.509, JWK / JWK Set and HMAC secrets into keysets.
 *
 * Everything that can be decided about a key is decided here, once, at
 * configuration time: its type, the algorithms it may ever serve, whether
 * it is strong enough, and a ready verification context per algorithm, so
 * that verifying a token does no parsing, lookup or key setup.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "ajwt_b64.h"
#include "ajwt_json.h"
#include "ajwt_key.h"

#define MAX_KEY_FILE    (1024 * 1024)   /* a JWKS of many 8k RSA keys fits */
#define MAX_SECRET_FILE (64 * 1024)
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
static ajwt_key_t *key_new(apr_pool_t *p, const char *kid,
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

static void wipe_later(void *buf, apr_size_t len, apr_pool_t *p)
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

static ajwt_status_t check_rsa_bn(const BIGNUM *n, const BIGNUM *e,
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
static ajwt_status_t finish_pkey(ajwt_key_t *k, EVP_PKEY *pkey,
                                 unsigned restrict_to, const char *desc,
                                 apr_pool_t *p, ajwt_err_t *err)
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
        st = check_rsa_bn(n, e, desc, err);
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
        k->algs = AJWT_ALG_BIT(AJWT_EDDSA);
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
static ajwt_status_t finish_secret(ajwt_key_t *k, unsigned char *secret,
                                   apr_size_t len, unsigned restrict_to,
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
static ajwt_status_t commit(ajwt_keyset_t **ks,
                            const apr_array_header_t *add, apr_pool_t *p,
                            ajwt_err_t *err)
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

static ajwt_status_t commit_one(ajwt_keyset_t **ks, ajwt_key_t *k,
                                apr_pool_t *p, ajwt_err_t *err)
{
    apr_array_header_t *a = apr_array_make(p, 1, sizeof(ajwt_key_t *));
    APR_ARRAY_PUSH(a, ajwt_key_t *) = k;
    return commit(ks, a, p, err);
}

ajwt_status_t ajwt_keyset_add_keys(ajwt_keyset_t **ks,
                                   const ajwt_keyset_t *src,
                                   apr_pool_t *p, ajwt_err_t *err)
{
    if (!src || !src->keys) {
        return AJWT_OK;
    }
    return commit(ks, src->keys, p, err);
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

/* ------------------------------------------------------------- secrets */

ajwt_status_t ajwt_keyset_add_secret_bytes(ajwt_keyset_t **ks,
                                           const unsigned char *secret,
                                           apr_size_t len, const char *kid,
                                           const char *source,
                                           apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_key_t *k;
    unsigned char *copy;
    const char *desc;
    ajwt_status_t st;

    source = source ? apr_pstrdup(p, source) : "secret";
    kid = kid ? apr_pstrdup(p, kid) : NULL;
    k = key_new(p, kid, source);
    desc = kid ? apr_psprintf(p, "%s (kid \"%s\")", source, kid) : source;
    if (!secret) {
        len = 0;
    }
    copy = apr_palloc(p, len + 1);
    if (len) {
        memcpy(copy, secret, len);
    }
    copy[len] = '\0';
    if ((st = finish_secret(k, copy, len, 0, desc, err))) {
        return st;
    }
    return commit_one(ks, k, p, err);
}

static ajwt_status_t read_file(char **out, apr_size_t *len, const char *path,
                               apr_size_t max, apr_pool_t *p,
                               ajwt_err_t *err)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n;
    char *buf;

    /* the type first: opening a FIFO would block start-up for ever */
    rv = apr_stat(&fi, path, APR_FINFO_TYPE, p);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s is not a regular file",
                            path);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "cannot open %s",
                               path);
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS || fi.filetype != APR_REG) {
        apr_file_close(f);
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "%s is not a regular "
                               "file", path);
    }
    if (fi.size > (apr_off_t)max) {
        apr_file_close(f);
        return ajwt_err_set(err, AJWT_ECONFIG, "%s is too large for a key "
                            "(%" APR_OFF_T_FMT " bytes)", path, fi.size);
    }
    buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    wipe_later(buf, (apr_size_t)fi.size + 1, p);
    rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(APR_STATUS_IS_EOF(rv) && n == 0
                               && fi.size == 0)) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "cannot read %s", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return AJWT_OK;
}

ajwt_status_t ajwt_secret_read(const char **out, apr_size_t *len,
                               const char *src, apr_pool_t *p,
                               ajwt_err_t *err)
{
    char *buf;
    ajwt_status_t st;

    *out = NULL;
    *len = 0;
    if (!src) {
        src = "";
    }
    if (!strncmp(src, "file:", 5)) {
        if ((st = read_file(&buf, len, src + 5, MAX_SECRET_FILE, p, err))) {
            return st;
        }
        /* one line ending, as "echo secret > file" leaves */
        if (*len && buf[*len - 1] == '\n') {
            (*len)--;
            if (*len && buf[*len - 1] == '\r') {
                (*len)--;
            }
        }
        buf[*len] = '\0';
        *out = buf;
        return AJWT_OK;
    }
    if (!strncmp(src, "env:", 4)) {
        const char *v = getenv(src + 4);
        if (!src[4] || !v) {
            return ajwt_err_set(err, AJWT_ECONFIG, "environment variable "
                                "%s is not set", src + 4);
        }
        *out = v;
        *len = strlen(v);
        return AJWT_OK;
    }
    return ajwt_err_set(err, AJWT_ECONFIG, "inline secrets are refused (they "
                        "end up in configuration dumps and process lists): "
                        "use file:PATH or env:NAME");
}

ajwt_status_t ajwt_keyset_add_secret(ajwt_keyset_t **ks, const char *src,
                                     const char *kid, apr_pool_t *p,
                                     ajwt_err_t *err)
{
    const char *buf;
    apr_size_t len;
    ajwt_status_t st;

    if ((st = ajwt_secret_read(&buf, &len, src, p, err))) {
        return st;
    }
    return ajwt_keyset_add_secret_bytes(ks, (const unsigned char *)buf, len,
                                        kid, strncmp(src, "file:", 5)
                                        ? src : src + 5, p, err);
}

/* ----------------------------------------------------------------- PEM */

/* memmem() is not C99 */
static const char *find(const char *hay, apr_size_t len, const char *needle)
{
    apr_size_t n = strlen(needle), i;

    for (i = 0; n <= len && i <= len - n; i++) {
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, n)) {
            return hay + i;
        }
    }
    return NULL;
}

/* Count PEM blocks; EC PARAMETERS next to an EC key does not count. */
static int pem_blocks(const char *pem, apr_size_t len, const char **first)
{
    const char *s = pem, *end = pem + len;
    int n = 0;

    *first = NULL;
    while (s < end) {
        const char *b = find(s, end - s, "-----BEGIN ");
        if (!b) {
            break;
        }
        s = b + 11;
        if ((apr_size_t)(end - s) >= 18 && !memcmp(s, "EC PARAMETERS-----",
                                                    18)) {
            continue;
        }
        if (!*first) {
            *first = s;
        }
        n++;
    }
    return n;
}

static ajwt_status_t pem_to_key(ajwt_key_t **out, const char *pem,
                                apr_size_t len, const char *kid,
                                const char *source, apr_pool_t *p,
                                ajwt_err_t *err)
{
    const char *first, *desc;
    EVP_PKEY *pkey = NULL;
    ajwt_key_t *k;
    BIO *bio;
    int n = pem_blocks(pem, len, &first);

    desc = kid ? apr_psprintf(p, "%s (kid \"%s\")", source, kid) : source;
    if (n == 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: no PEM block", desc);
    }
    if (n > 1) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: more than one PEM block "
                            "(give one key or certificate per file)", desc);
    }
    /* from the key's own block: an EC PARAMETERS block before it would
     * otherwise be decoded as a key without a point */
    bio = BIO_new_mem_buf(first - 11, (int)(len - (first - 11 - pem)));
    if (!bio) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", desc);
    }
    if (!strncmp(first, "CERTIFICATE-----", 16)) {
        /* validity dates are not checked: keys are trusted by config */
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x) {
            pkey = X509_get_pubkey(x);
            X509_free(x);
        }
    }
    else {
        OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(
            &pkey, "PEM", NULL, NULL, 0, NULL, NULL);
        /* an empty passphrase: an encrypted key fails, never prompts */
        if (d) {
            OSSL_DECODER_CTX_set_passphrase(d, (const unsigned char *)"", 0);
            if (!OSSL_DECODER_from_bio(d, bio)) {
                EVP_PKEY_free(pkey);
                pkey = NULL;
            }
        }
        OSSL_DECODER_CTX_free(d);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!pkey) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: unreadable PEM (a public "
                            "key, certificate or unencrypted private key "
                            "is expected)", desc);
    }
    k = key_new(p, kid, source);
    *out = k;
    return finish_pkey(k, pkey, 0, desc, p, err);
}

ajwt_status_t ajwt_keyset_add_pem(ajwt_keyset_t **ks, const char *pem,
                                  apr_size_t len, const char *kid,
                                  const char *source, apr_pool_t *p,
                                  ajwt_err_t *err)
{
    ajwt_key_t *k = NULL;
    ajwt_status_t st;

    source = source ? apr_pstrdup(p, source) : "PEM";
    kid = kid ? apr_pstrdup(p, kid) : NULL;
    if ((st = pem_to_key(&k, pem, len, kid, source, p, err))) {
        return st;
    }
    return commit_one(ks, k, p, err);
}

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
        wipe_later(*out, *len, p);
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
    if ((st = check_rsa_bn(n, e, desc, err))) {
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
    k = key_new(p, kid, source);
    *out = k;
    if (kty == AJWT_KTY_OCT) {
        unsigned char *sec;
        apr_size_t len;
        if ((st = member_b64(&sec, &len, jwk, "k", 1, desc, p, err))) {
            return st;
        }
        return finish_secret(k, sec, len, alg ? AJWT_ALG_BIT(alg->id) : 0,
                             desc, err);
    }
    st = kty == AJWT_KTY_RSA ? jwk_rsa(&pkey, jwk, desc, p, err)
         : kty == AJWT_KTY_EC ? jwk_ec(&pkey, jwk, desc, p, err)
         : jwk_okp(&pkey, jwk, desc, p, err);
    if (st) {
        return st;
    }
    return finish_pkey(k, pkey, alg ? AJWT_ALG_BIT(alg->id) : 0, desc, p,
                       err);
}

static ajwt_status_t add_jwk_doc(ajwt_keyset_t **ks, const char *json,
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
    return commit(ks, add, p, err);
}

ajwt_status_t ajwt_keyset_add_jwks(ajwt_keyset_t **ks, const char *json,
                                   apr_size_t len, const char *source,
                                   apr_pool_t *p, ajwt_err_t *err)
{
    source = source ? apr_pstrdup(p, source) : "jwk";
    return add_jwk_doc(ks, json, len, NULL, source, p, err);
}

/* ---------------------------------------------------------------- files */

ajwt_status_t ajwt_keyset_add_file(ajwt_keyset_t **ks, const char *path,
                                   const char *kid, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    char *buf;
    apr_size_t len, i = 0;
    ajwt_status_t st;

    if (!path || !*path) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no key file given");
    }
    path = apr_pstrdup(p, path);
    kid = kid ? apr_pstrdup(p, kid) : NULL;
    if ((st = read_file(&buf, &len, path, MAX_KEY_FILE, p, err))) {
        return st;
    }
    while (i < len && strchr(" \t\r\n", buf[i])) {
        i++;
    }
    if (i < len && buf[i] == '{') {
        return add_jwk_doc(ks, buf, len, kid, path, p, err);
    }
    if (find(buf, len, "-----BEGIN ")) {
        ajwt_key_t *k = NULL;
        if ((st = pem_to_key(&k, buf, len, kid, path, p, err))) {
            return st;
        }
        return commit_one(ks, k, p, err);
    }
    return ajwt_err_set(err, AJWT_ECONFIG, "%s: neither PEM nor JWK", path);
}

/* ------------------------------------------------------------ signing */

/*
 * Narrow a loaded key to the one algorithm it signs with. Its ready
 * contexts for the other algorithms stay until the pool goes: harmless,
 * and nothing consults them once algs excludes them.
 */
static ajwt_status_t narrow(ajwt_key_t *k, const ajwt_alg_t *a,
                            const char *desc, apr_pool_t *p, ajwt_err_t *err)
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

ajwt_status_t ajwt_key_load_signing(ajwt_key_t **out, const char *src,
                                    const char *alg, const char *kid,
                                    apr_pool_t *p, ajwt_err_t *err)
{
    const ajwt_alg_t *a;
    ajwt_keyset_t *ks = NULL;
    ajwt_key_t *k;
    ajwt_status_t st;
    int secret;

    *out = NULL;
    if (!src || !*src) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no signing key given");
    }
    if (!alg || !(a = ajwt_alg_find(alg))) {
        unsigned dummy = 0;
        ajwt_err_t e2 = { 0 };
        ajwt_alg_mask_add(&dummy, alg ? alg : "", &e2);
        return ajwt_err_set(err, AJWT_ECONFIG, "signing algorithm: %s",
                            e2.text[0] ? e2.text : "none given");
    }
    secret = !strncmp(src, "file:", 5) || !strncmp(src, "env:", 4);
    if (secret) {
        if (a->kty != AJWT_KTY_OCT) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: an HMAC secret "
                                "cannot sign %s (use a PEM private key)",
                                src, a->name);
        }
        st = ajwt_keyset_add_secret(&ks, src, kid, p, err);
    }
    else {
        if (a->kty == AJWT_KTY_OCT) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: %s needs an HMAC "
                                "secret (file:PATH or env:NAME), not a key "
                                "file", src, a->name);
        }
        st = ajwt_keyset_add_file(&ks, src, kid, p, err);
    }
    if (st) {
        return st;
    }
    k = APR_ARRAY_IDX(ks->keys, 0, ajwt_key_t *);
    if (!secret && !k->has_private) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: not a private key (a "
                            "signing key needs one)", src);
    }
    if ((st = narrow(k, a, src, p, err))) {
        return st;
    }
    *out = k;
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

    if (!o) {
        return NULL;
    }
    for (i = 0; i < AJWT_NALG; i++) {
        if (k->algs & AJWT_ALG_BIT(i)) {
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
