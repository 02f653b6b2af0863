/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_alg.c: the JWS algorithm table (RFC 7518 section 3, RFC 8037,
 * RFC 9864 section 2.2).
 *
 * "none" has no row, so no lookup can ever return it: a token saying
 * alg "none" fails the same way as one saying alg "XYZ".
 */
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <openssl/obj_mac.h>
#include "ajwt_alg.h"

static const ajwt_alg_t table[AJWT_NALG] = {
    { AJWT_HS256, "HS256", AJWT_KTY_OCT, "SHA256", 32, 0, 0 },
    { AJWT_HS384, "HS384", AJWT_KTY_OCT, "SHA384", 48, 0, 0 },
    { AJWT_HS512, "HS512", AJWT_KTY_OCT, "SHA512", 64, 0, 0 },
    { AJWT_RS256, "RS256", AJWT_KTY_RSA, "SHA256", 32, 0, 0 },
    { AJWT_RS384, "RS384", AJWT_KTY_RSA, "SHA384", 48, 0, 0 },
    { AJWT_RS512, "RS512", AJWT_KTY_RSA, "SHA512", 64, 0, 0 },
    { AJWT_PS256, "PS256", AJWT_KTY_RSA, "SHA256", 32, 0, 0 },
    { AJWT_PS384, "PS384", AJWT_KTY_RSA, "SHA384", 48, 0, 0 },
    { AJWT_PS512, "PS512", AJWT_KTY_RSA, "SHA512", 64, 0, 0 },
    { AJWT_ES256, "ES256", AJWT_KTY_EC, "SHA256", 32,
      NID_X9_62_prime256v1, 32 },
    { AJWT_ES384, "ES384", AJWT_KTY_EC, "SHA384", 48, NID_secp384r1, 48 },
    { AJWT_ES512, "ES512", AJWT_KTY_EC, "SHA512", 64, NID_secp521r1, 66 },
    { AJWT_EDDSA, "EdDSA", AJWT_KTY_OKP, NULL, 0, 0, 0 },
    { AJWT_ED25519, "Ed25519", AJWT_KTY_OKP, NULL, 0, 0, 0 },
};

const ajwt_alg_t *ajwt_alg_find(const char *name)
{
    int i;
    if (!name) {
        return NULL;
    }
    for (i = 0; i < AJWT_NALG; i++) {
        if (!strcmp(table[i].name, name)) {
            return &table[i];
        }
    }
    return NULL;
}

const ajwt_alg_t *ajwt_alg_get(ajwt_alg_id_t id)
{
    return ((unsigned)id < AJWT_NALG) ? &table[id] : NULL;
}

/*
 * Digests are fetched once per process: a fetch by name walks the
 * provider store under a lock, which is not something to do per token.
 */
static EVP_MD *mds[AJWT_NALG];
static EVP_MAC *hmac;
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;

static void fetch_mds(void)
{
    int i;
    for (i = 0; i < AJWT_NALG; i++) {
        if (table[i].digest) {
            mds[i] = EVP_MD_fetch(NULL, table[i].digest, NULL);
        }
    }
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

const EVP_MD *ajwt_alg_md(const ajwt_alg_t *alg)
{
    pthread_once(&mds_once, fetch_mds);
    return mds[alg->id];
}

EVP_MAC *ajwt_alg_hmac(void)
{
    pthread_once(&mds_once, fetch_mds);
    return hmac;
}

ajwt_status_t ajwt_alg_mask_add(unsigned *mask, const char *name,
                                ajwt_err_t *err)
{
    const ajwt_alg_t *alg;
    if (name && !strcasecmp(name, "none")) {
        return ajwt_err_set(err, AJWT_ECONFIG, "algorithm \"none\" is never "
                            "accepted");
    }
    alg = ajwt_alg_find(name);
    if (!alg) {
        return ajwt_err_set(err, AJWT_ECONFIG, "unknown algorithm \"%.40s\" "
                            "(accepted: HS256 HS384 HS512 RS256 RS384 RS512 "
                            "PS256 PS384 PS512 ES256 ES384 ES512 EdDSA "
                            "Ed25519)",
                            name ? name : "");
    }
    *mask |= AJWT_ALG_BIT(alg->id);
    return AJWT_OK;
}

const char *ajwt_alg_mask_str(unsigned mask, apr_pool_t *p)
{
    char buf[AJWT_NALG * 8 + 1];    /* names of up to 7, and spaces */
    apr_size_t n = 0;
    int i;
    buf[0] = '\0';
    for (i = 0; i < AJWT_NALG; i++) {
        if (mask & AJWT_ALG_BIT(i)) {
            apr_size_t l = strlen(table[i].name);
            if (n) {
                buf[n++] = ' ';
            }
            memcpy(buf + n, table[i].name, l);
            n += l;
        }
    }
    buf[n] = '\0';
    return apr_pstrmemdup(p, buf, n);
}

unsigned ajwt_alg_mask_kty(ajwt_kty_t kty)
{
    unsigned m = 0;
    int i;
    for (i = 0; i < AJWT_NALG; i++) {
        if (table[i].kty == kty) {
            m |= AJWT_ALG_BIT(i);
        }
    }
    return m;
}
