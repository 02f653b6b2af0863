/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_alg.h: the JWS algorithm table (RFC 7518, RFC 8037, RFC 9864).
 * "none" is not in it, so nothing can look it up. Sets of algorithms are
 * bit masks.
 *
 * EdDSA (RFC 8037) and Ed25519 (RFC 9864, the fully-specified name) are
 * two entries with one primitive: an Ed25519 key serves both unless its
 * JWK "alg" (or AuthJWTSignKey's ALG) names one, and an allow-list names
 * each separately, so "EdDSA" allows exactly what it always did. Ed25519
 * is Ed25519 only: ajwt_key_sig_init() refuses it any other OKP key.
 */
#ifndef AJWT_ALG_H
#define AJWT_ALG_H

#include <openssl/evp.h>
#include "ajwt.h"

typedef enum {
    AJWT_KTY_OCT = 1,   /* HMAC secret */
    AJWT_KTY_RSA,
    AJWT_KTY_EC,
    AJWT_KTY_OKP        /* Ed25519 (EdDSA, Ed25519) */
} ajwt_kty_t;

typedef enum {
    AJWT_HS256, AJWT_HS384, AJWT_HS512,
    AJWT_RS256, AJWT_RS384, AJWT_RS512,
    AJWT_PS256, AJWT_PS384, AJWT_PS512,
    AJWT_ES256, AJWT_ES384, AJWT_ES512,
    AJWT_EDDSA,
    AJWT_ED25519,       /* RFC 9864; after EdDSA: ids never move */
    AJWT_NALG
} ajwt_alg_id_t;

#define AJWT_ALG_BIT(id)   (1u << (id))
#define AJWT_ALG_ALL       ((1u << AJWT_NALG) - 1)

typedef struct {
    ajwt_alg_id_t id;
    const char *name;       /* "HS256", as in the JOSE header */
    ajwt_kty_t kty;         /* the only key type it is used with */
    const char *digest;     /* OpenSSL digest name, NULL for EdDSA and
                             * Ed25519 */
    int hash_len;           /* digest bytes: min HMAC key, PSS salt */
    int curve_nid;          /* EC: NID of the curve, else 0 */
    int ec_size;            /* EC: bytes of R and of S, else 0 */
} ajwt_alg_t;

/* Exact, case-sensitive lookup; NULL for "none" and anything unknown. */
const ajwt_alg_t *ajwt_alg_find(const char *name);

/* The entry for id (always valid for id < AJWT_NALG). */
const ajwt_alg_t *ajwt_alg_get(ajwt_alg_id_t id);

/*
 * Add the algorithm name to *mask (AuthJWTAlgorithms). AJWT_ECONFIG for
 * "none" in any casing and for unknown names, with a message listing
 * the accepted ones.
 */
ajwt_status_t ajwt_alg_mask_add(unsigned *mask, const char *name,
                                ajwt_err_t *err);

/* "HS256 RS256" for a mask, from p (for messages). */
const char *ajwt_alg_mask_str(unsigned mask, apr_pool_t *p);

/*
 * The digest of alg, fetched once per process (NULL for EdDSA and
 * Ed25519, which hash internally). Owned by the process: never free it.
 */
const EVP_MD *ajwt_alg_md(const ajwt_alg_t *alg);

/* The HMAC EVP_MAC, fetched once per process like the digests. */
EVP_MAC *ajwt_alg_hmac(void);

/* Every algorithm of a key type, as a mask. */
unsigned ajwt_alg_mask_kty(ajwt_kty_t kty);

#endif
