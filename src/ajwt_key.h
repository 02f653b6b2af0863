/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_key.h: verification (and signing) keys, loaded once at
 * configuration time into an ajwt_keyset_t.
 *
 * Sources: PEM public keys, X.509 certificates (PEM), JWK and JWK Set
 * files, and HMAC secrets from file: or env: (never inline). Every key
 * records the set of algorithms it may ever be used with (its type, its
 * curve or size, and a JWK's own "alg"), so an RSA key can never act as
 * an HMAC secret: alg confusion is impossible by construction.
 *
 * Refused with AJWT_ECONFIG: RSA moduli under 2048 bits, public exponents
 * other than odd values >= 3 (e = 1 especially), ROCA-fingerprint moduli,
 * EC points not on their curve or on another curve than "crv", "kty"
 * inconsistent with the members, oct keys for encryption algorithms,
 * HMAC secrets shorter than 32 bytes (and a secret is only ever used with
 * hashes no longer than itself: 48 bytes for HS384, 64 for HS512), empty
 * keys, a JWK Set mixing symmetric and asymmetric keys, and two keys
 * with the same kid in one keyset. JWKs with "use" other than "sig" or
 * "key_ops" without "verify" are skipped (not used), not errors.
 *
 * Every OpenSSL object and secret copy is released by a cleanup on the
 * pool the key was loaded into; secrets are OPENSSL_cleanse()d first.
 *
 * Implemented by ajwt_key.c (the key object, sets, checks, public
 * halves), ajwt_jwk.c (JWK and JWK Set in, public JWK Set out) and
 * ajwt_keyfile.c (PEM, certificates, secrets, key files, signing keys).
 */
#ifndef AJWT_KEY_H
#define AJWT_KEY_H

#include <openssl/evp.h>
#include <jansson.h>
#include "ajwt.h"
#include "ajwt_alg.h"

typedef struct ajwt_key_t {
    const char *kid;            /* NULL when the source gave none */
    ajwt_kty_t kty;
    unsigned algs;              /* AJWT_ALG_BIT()s this key may verify */
    EVP_PKEY *pkey;             /* RSA/EC/OKP; may hold a private key */
    const unsigned char *secret;/* oct only */
    apr_size_t secret_len;
    int has_private;            /* pkey holds a private key (signing) */
    const char *source;         /* file path, "env:NAME" or "jwk", for logs */
    /*
     * Made once at load time so that a verification does no lookup or
     * key setup: per algorithm of algs, an EVP_MD_CTX already through
     * EVP_DigestVerifyInit (asymmetric) or an ajwt_hmac_pads_t (oct),
     * copied per token. NULL entries (a key built by hand) fall back to
     * a full init per call. Freed by the key's pool cleanup.
     */
    void *vctx[AJWT_NALG];
} ajwt_key_t;

/*
 * HMAC (RFC 2104) of a secret, half done: the digest states after the
 * key XOR ipad block and after the key XOR opad block. Copying two
 * digest contexts per token is cheaper than duplicating a keyed
 * EVP_MAC_CTX, which holds three. Secret-derived: freed (and wiped by
 * OpenSSL) with the key.
 */
typedef struct {
    EVP_MD_CTX *in, *out;
} ajwt_hmac_pads_t;

typedef struct ajwt_keyset_t {
    apr_array_header_t *keys;   /* of ajwt_key_t *, in configuration order */
    unsigned algs;              /* union of every key's algs */
    apr_uint64_t id;            /* unique per process for each content of
                                 * the set: a verified-token cache entry
                                 * made under one set never serves another */
} ajwt_keyset_t;

/*
 * All adders: *ks is created from p when NULL; keys are allocated from p
 * and live as long as it. kid, when not NULL, overrides the kid of a
 * PEM/cert key or of a single JWK, and is an error for a JWK Set (its
 * keys carry their own). A PEM text holds one key or certificate (an EC
 * PARAMETERS block before an EC key is allowed); certificate dates are
 * not checked (the core never reads the clock; trust is configuration).
 * On error nothing is added (never a half-loaded set).
 */

/* AuthJWTKey PATH [kid]: PEM public key, PEM certificate, JWK or JWKS. */
ajwt_status_t ajwt_keyset_add_file(ajwt_keyset_t **ks, const char *path,
                                   const char *kid, apr_pool_t *p,
                                   ajwt_err_t *err);

/*
 * AuthJWTSecret file:PATH|env:NAME [kid]; inline values are refused.
 * The secret is the raw bytes (not base64) of the whole file, less ONE
 * trailing "\n" or "\r\n" (files made with echo), or of the variable.
 * Its length picks its algorithms: 32-47 bytes HS256, 48-63 HS256 and
 * HS384, 64 or more all three; under 32 is AJWT_ECONFIG.
 */
ajwt_status_t ajwt_keyset_add_secret(ajwt_keyset_t **ks, const char *src,
                                     const char *kid, apr_pool_t *p,
                                     ajwt_err_t *err);

/* An HMAC secret given as bytes (tests, JWKS URL); same length rules. */
ajwt_status_t ajwt_keyset_add_secret_bytes(ajwt_keyset_t **ks,
                                           const unsigned char *secret,
                                           apr_size_t len, const char *kid,
                                           const char *source,
                                           apr_pool_t *p, ajwt_err_t *err);

/* A JWK or JWK Set document in memory (JWKS URL, tests, vectors). */
ajwt_status_t ajwt_keyset_add_jwks(ajwt_keyset_t **ks, const char *json,
                                   apr_size_t len, const char *source,
                                   apr_pool_t *p, ajwt_err_t *err);

/*
 * One public JWK object sent by a client (a DPoP proof's "jwk", RFC 9449
 * 4.2), for the one algorithm alg: kty must be alg's (never "oct"), an
 * EC curve alg's curve, a JWK "alg" alg itself and "use" "sig" when
 * present; private members (d p q dp dq qi oth k) and members of another
 * key type are refused, as are keys the configured-key rules refuse (RSA
 * under 2048 bits, bad exponents, ROCA moduli, EC points off the curve,
 * Ed25519 keys of the wrong size). Only the EVP_PKEY is made: no
 * prepared contexts, since the key verifies once. No kid kept. *out from
 * p (its OpenSSL key freed by a cleanup on p); AJWT_ECONFIG naming source
 * and the reason.
 */
ajwt_status_t ajwt_jwk_public_key(ajwt_key_t **out, const json_t *jwk,
                                  const ajwt_alg_t *alg, const char *source,
                                  apr_pool_t *p, ajwt_err_t *err);

/* PEM text in memory: public key, certificate or private key. */
ajwt_status_t ajwt_keyset_add_pem(ajwt_keyset_t **ks, const char *pem,
                                  apr_size_t len, const char *kid,
                                  const char *source, apr_pool_t *p,
                                  ajwt_err_t *err);

/*
 * Append every key of src to *ks (pointers are shared; src must live as
 * long as *ks). Duplicate kids are AJWT_ECONFIG and nothing is added.
 */
ajwt_status_t ajwt_keyset_add_keys(ajwt_keyset_t **ks,
                                   const ajwt_keyset_t *src,
                                   apr_pool_t *p, ajwt_err_t *err);

/* The key with this kid, or NULL. */
const ajwt_key_t *ajwt_keyset_find_kid(const ajwt_keyset_t *ks,
                                       const char *kid);

/* Number of keys; 0 for NULL. */
int ajwt_keyset_count(const ajwt_keyset_t *ks);

/*
 * Set up ctx for alg with pkey, to verify (sign 0) or sign (sign 1):
 * digest, RSA padding (PKCS#1 v1.5, or PSS with MGF1 of the same hash
 * and a salt of exactly the hash length); Ed25519 (RFC 9864) takes only
 * an Ed25519 key, where EdDSA takes any. For ajwt_jws.c. 1 on success.
 */
int ajwt_key_sig_init(EVP_MD_CTX *ctx, const ajwt_alg_t *alg,
                      EVP_PKEY *pkey, int sign);

/* ------------------------------------------------------------ signing */

/*
 * AuthJWTSignKey: src is a PEM private key path (RSA >= 2048 bits, EC
 * P-256/384/521, Ed25519), or file:PATH / env:NAME for an HMAC secret (at
 * least the hash length of alg, and never under 32 bytes). alg must fit
 * the key, else AJWT_ECONFIG naming both; a PEM file without a private
 * key is AJWT_ECONFIG too. The key's algs are just alg; has_private is 1
 * for PEM keys; kid as given (may be NULL). From p, cleanups on p.
 */
ajwt_status_t ajwt_key_load_signing(ajwt_key_t **out, const char *src,
                                    const char *alg, const char *kid,
                                    apr_pool_t *p, ajwt_err_t *err);

/*
 * AuthJWTRetiredSignKey: a key that signed before. src and alg as for
 * ajwt_key_load_signing(), but a PEM public key or certificate will do
 * (a private key is loaded, then only its public half kept); kid is
 * required (AJWT_ECONFIG when NULL or empty). *out verifies only
 * (has_private 0); algs just alg. From p.
 */
ajwt_status_t ajwt_key_load_retired(ajwt_key_t **out, const char *src,
                                    const char *alg, const char *kid,
                                    apr_pool_t *p, ajwt_err_t *err);

/*
 * A verification-only copy of k for verifiers: the public half of an
 * asymmetric key (has_private 0), or the same secret for an HMAC key
 * (oct keys are never published, see below). Same kid and algs. From p.
 */
ajwt_status_t ajwt_key_public(ajwt_key_t **out, const ajwt_key_t *k,
                              apr_pool_t *p, ajwt_err_t *err);

/*
 * The JWK Set text {"keys":[...]} of the public halves of keys[0..n-1]
 * (NULL entries skipped): kty, kid (when set), alg (when the key has
 * exactly one), use "sig", and n/e (RSA), crv/x/y (EC) or crv/x (OKP).
 * Oct keys and private members never appear. From p; never NULL.
 */
const char *ajwt_keys_public_jwks(const ajwt_key_t *const *keys, int n,
                                  apr_pool_t *p);

/*
 * The bytes of a secret named file:PATH (its content, one trailing
 * newline removed; wiped when p is released) or env:NAME (the variable's
 * value, not copied); anything else is AJWT_ECONFIG (inline secrets are
 * refused). *out is NUL-terminated, *len its length.
 */
ajwt_status_t ajwt_secret_read(const char **out, apr_size_t *len,
                               const char *src, apr_pool_t *p,
                               ajwt_err_t *err);

#endif
