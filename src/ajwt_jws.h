/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_jws.h: JWS compact serialization (RFC 7515) only.
 *
 * Parsing refuses, in this order: tokens longer than the maximum (before
 * looking at a byte), anything but exactly three segments, non-strict
 * base64url in any segment, a header that is not a JSON object (with
 * duplicate members refused), a payload that is not a JSON object (when
 * asked for), a missing or non-string "alg".
 *
 * Header rules (ajwt_jws_verify): alg must be in the table and allowed;
 * "crit" naming anything at all is refused (no extension is understood);
 * a present "kid" must be a string; it is a hint (RFC 7515 section
 * 4.1.4): keys with that kid are tried first, then keys configured
 * without a kid, never a key with another kid (a token without kid tries
 * every key); "jwk", "jku", "x5u", "x5c", "x5t" are never used nor
 * fetched: keys come from configuration only.
 */
#ifndef AJWT_JWS_H
#define AJWT_JWS_H

#include <jansson.h>
#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_key.h"

typedef struct {
    json_t *header;             /* owned by the parse pool */
    json_t *payload;            /* NULL unless parsed as JSON */
    const unsigned char *payload_raw;
    apr_size_t payload_len;
    const char *alg_name;       /* header "alg" as given */
    const ajwt_alg_t *alg;      /* NULL when not in the table */
    const char *kid;            /* header "kid", NULL if absent or not a
                                   string (ajwt_jws_verify refuses that) */
    const char *typ;            /* header "typ", NULL if absent, "" if not
                                   a string (so any typ check refuses it) */
    const char *signing_input;  /* first two segments, as received */
    apr_size_t signing_input_len;
    const unsigned char *sig;   /* decoded third segment */
    apr_size_t sig_len;
    apr_size_t header_seg_len;  /* chars of the first segment */
    int header_cached;          /* header is a process-wide parse kept
                                   by ajwt_jws_verify: never modify it */
} ajwt_jws_t;

/*
 * Split and decode token (len bytes, not necessarily NUL-terminated).
 * max_len 0 means AJWT_DEFAULT_MAX_TOKEN. json_payload: the payload must
 * be a JSON object (JWT); 0 leaves it raw (JWS vectors). Everything is
 * allocated from p (signing_input is a copy: token may go away), except
 * a header seen on a token that verified before: those bytes' parse is
 * kept for the process and shared, read only (header_cached).
 * AJWT_EOVERSIZE, AJWT_EMALFORMED, or AJWT_EALG for a missing or
 * non-string "alg" (ajwt.h: "alg missing").
 */
ajwt_status_t ajwt_jws_parse(ajwt_jws_t **out, const char *token,
                             apr_size_t len, apr_size_t max_len,
                             int json_payload, apr_pool_t *p,
                             ajwt_err_t *err);

/*
 * Check the header rules and the signature against the keys of ks whose
 * algs contain the token's alg, limited to the allowed mask. On success
 * *used (may be NULL) is the key that verified. AJWT_EALG (not in the
 * table, "none", not allowed), AJWT_EHEADER (crit, non-string kid),
 * AJWT_EKEY (no key has this kid and alg, even if keys without a kid were
 * tried and failed: an unknown kid, which sends a JWKS source to fetch
 * again; also an RS256 token against HMAC secrets) or AJWT_ESIG (a key
 * with the token's kid, or any key for a token without kid, was tried
 * and none verified).
 */
ajwt_status_t ajwt_jws_verify(const ajwt_key_t **used, const ajwt_jws_t *jws,
                              const ajwt_keyset_t *ks, unsigned allowed,
                              ajwt_err_t *err);

/*
 * The bare signature check of one algorithm with one key, over msg:
 * exact-length signatures only (RSA: modulus size; ECDSA: R||S of twice
 * the curve size, 0 < R,S < n, never DER; EdDSA, Ed25519: 64; HMAC: the full
 * digest, compared in constant time). AJWT_ESIG when it does not verify,
 * AJWT_EKEY when the key may not be used with alg.
 */
ajwt_status_t ajwt_jws_verify_sig(const ajwt_alg_t *alg,
                                  const ajwt_key_t *key,
                                  const unsigned char *msg,
                                  apr_size_t msg_len,
                                  const unsigned char *sig,
                                  apr_size_t sig_len, ajwt_err_t *err);

/*
 * Sign msg with key (a private key or an HMAC secret) under alg; ECDSA
 * comes out as R||S. *sig from p.
 */
ajwt_status_t ajwt_jws_sign_raw(unsigned char **sig, apr_size_t *sig_len,
                                const ajwt_alg_t *alg, const ajwt_key_t *key,
                                const unsigned char *msg, apr_size_t msg_len,
                                apr_pool_t *p, ajwt_err_t *err);

/*
 * A compact JWS of header and payload (serialized compactly, keys in
 * insertion order) signed with key under alg; "alg" (and "kid" when the
 * key has one) are set in the header. *token from p.
 */
ajwt_status_t ajwt_jws_sign(char **token, const ajwt_alg_t *alg,
                            const ajwt_key_t *key, json_t *header,
                            json_t *payload, apr_pool_t *p, ajwt_err_t *err);

#endif
