/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_key_int.h: private to ajwt_key.c, ajwt_jwk.c and ajwt_keyfile.c,
 * the three files that make keys; nothing else includes it.
 *
 * A reader of a key format (JWK in ajwt_jwk.c; PEM, X.509 and secrets
 * in ajwt_keyfile.c) makes the key object with ajwt_key_int_new(), hands
 * its OpenSSL key or secret to a finish function, which decides type,
 * algorithms and strength and prepares the verification contexts, and
 * adds what it read to a set with a commit function, all or nothing.
 */
#ifndef AJWT_KEY_INT_H
#define AJWT_KEY_INT_H

#include <openssl/bn.h>
#include "ajwt_key.h"

/* ----------------------------------------------------- in ajwt_key.c */

/*
 * A zeroed key from p, kid and source kept as given (not copied). A
 * cleanup on p frees its OpenSSL objects and contexts and wipes its
 * secret; never NULL.
 */
ajwt_key_t *ajwt_key_int_new(apr_pool_t *p, const char *kid,
                             const char *source);

/* OPENSSL_cleanse() buf[0..len-1] when p is cleared or destroyed. */
void ajwt_key_int_wipe_later(void *buf, apr_size_t len, apr_pool_t *p);

/*
 * RSA modulus n and exponent e: size (2048 to 16384 bits), odd n, odd
 * e >= 3 and below n, no ROCA fingerprint. AJWT_ECONFIG naming desc.
 */
ajwt_status_t ajwt_key_int_check_rsa(const BIGNUM *n, const BIGNUM *e,
                                     const char *desc, ajwt_err_t *err);

/*
 * k takes pkey (also on error: k's cleanup frees it) and gets its kty,
 * algs (narrowed to restrict_to, a mask, when not 0), has_private and
 * ready contexts. AJWT_ECONFIG for a weak, invalid or unsupported key,
 * one no context can be made for, or a restrict_to it does not fit.
 * Messages from p.
 */
ajwt_status_t ajwt_key_int_finish_pkey(ajwt_key_t *k, EVP_PKEY *pkey,
                                       unsigned restrict_to,
                                       const char *desc, apr_pool_t *p,
                                       ajwt_err_t *err);

/*
 * k takes secret, len bytes in memory of k's pool (wiped by k's
 * cleanup), as an HMAC key: algs by its length, narrowed to restrict_to
 * when not 0. AJWT_ECONFIG when empty, under 32 bytes or too short for
 * restrict_to; AJWT_EINTERNAL when OpenSSL fails.
 */
ajwt_status_t ajwt_key_int_finish_secret(ajwt_key_t *k,
                                         unsigned char *secret,
                                         apr_size_t len,
                                         unsigned restrict_to,
                                         const char *desc, ajwt_err_t *err);

/*
 * Append add (an array of ajwt_key_t *) to *ks, made from p when NULL,
 * and give the set a new id; AJWT_ECONFIG and nothing added when a kid
 * is in *ks already or twice in add.
 */
ajwt_status_t ajwt_key_int_commit(ajwt_keyset_t **ks,
                                  const apr_array_header_t *add,
                                  apr_pool_t *p, ajwt_err_t *err);

/* ajwt_key_int_commit() of the one key k. */
ajwt_status_t ajwt_key_int_commit_one(ajwt_keyset_t **ks, ajwt_key_t *k,
                                      apr_pool_t *p, ajwt_err_t *err);

/*
 * Restrict k's algs to a alone (a signing key). AJWT_ECONFIG naming desc
 * when k cannot serve a; k is unchanged then.
 */
ajwt_status_t ajwt_key_int_narrow(ajwt_key_t *k, const ajwt_alg_t *a,
                                  const char *desc, apr_pool_t *p,
                                  ajwt_err_t *err);

/* ----------------------------------------------------- in ajwt_jwk.c */

/*
 * A JWK or JWK Set document (len bytes of json) into *ks, all or
 * nothing. kid, when not NULL, overrides a single JWK's kid and is
 * AJWT_ECONFIG for a set. source names the document in messages and in
 * the keys (kept, not copied). Keys and messages from p.
 */
ajwt_status_t ajwt_jwk_int_add_doc(ajwt_keyset_t **ks, const char *json,
                                   apr_size_t len, const char *kid,
                                   const char *source, apr_pool_t *p,
                                   ajwt_err_t *err);

#endif
