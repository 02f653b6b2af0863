/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_dpop.h: DPoP proofs (RFC 9449), without httpd: the check of one
 * proof for one request, RFC 7638 JWK thumbprints (cnf.jkt), stateless
 * server nonces and the ath of an access token.
 *
 * What the glue does around it: find exactly one DPoP header, rebuild
 * htu from the request (or AuthJWTPublicURL), write out->replay_key to
 * the store atomically (a jti seen before is AJWT_EREPLAY), compare
 * out->jkt with the token's cnf.jkt (AJWT_EBINDING), and send the
 * challenges. Nothing here reads the clock or touches a store.
 */
#ifndef AJWT_DPOP_H
#define AJWT_DPOP_H

#include <jansson.h>
#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_store.h"

#define AJWT_DPOP_JTI_MAX       128     /* bytes */
#define AJWT_DPOP_PROOF_MAX     8192    /* bytes of a proof */
#define AJWT_JKT_LEN            43      /* base64url of a SHA-256, no NUL */
#define AJWT_DPOP_NONCE_SLOT    60      /* seconds per nonce slot */
#define AJWT_DPOP_NONCE_SECRET_MIN 32   /* bytes of a nonce secret */
#define AJWT_DPOP_DEFAULT_WINDOW 60     /* seconds */
#define AJWT_DPOP_DEFAULT_ALGS  (AJWT_ALG_BIT(AJWT_ES256) \
                                 | AJWT_ALG_BIT(AJWT_PS256) \
                                 | AJWT_ALG_BIT(AJWT_EDDSA))
/* "ajwt:d:" + base64url(SHA-256(jkt "." jti)): a proof's replay entry */
#define AJWT_DPOP_REPLAY_PREFIX "ajwt:d:"

typedef struct {
    unsigned algs;          /* AJWT_ALG_BIT()s allowed for proofs; HMAC
                             * bits are ignored (never accepted) */
    int window;             /* seconds: |now - iat| <= window + leeway */
    int leeway;
    const unsigned char *nonce_secret;  /* NULL: no nonces */
    apr_size_t nonce_secret_len;
} ajwt_dpop_conf_t;

typedef struct {
    char jkt[AJWT_JKT_LEN + 1];     /* RFC 7638 SHA-256 thumbprint of the
                                     * proof's jwk, base64url */
    const char *jti;                /* the proof's jti (pool) */
    apr_int64_t iat;                /* whole seconds (fraction dropped) */
    char replay_key[AJWT_STORE_KEY_MAX]; /* AJWT_DPOP_REPLAY_PREFIX +
                                     * b64url(SHA-256(jkt "." jti)) */
    apr_int64_t replay_expires;     /* absolute seconds: iat + window +
                                     * leeway + 1, past the last second
                                     * the proof could be accepted */
} ajwt_dpop_proof_t;

/*
 * Check one proof (RFC 9449 4.3) for one request. method: the request
 * method (htm compared exactly). htu: the request URL as the glue rebuilt
 * it (scheme://host[:port]/path); both it and the proof's htu go through
 * ajwt_dpop_htu_normalize() (scheme and host lowercased, default port
 * dropped, query and fragment dropped, path compared exactly).
 * access_token: the token presented with the proof, whose ath must then
 * be present and equal ajwt_dpop_ath(access_token); NULL at a token
 * endpoint (login, refresh), where a proof carrying an ath is refused
 * (it was made for a resource request). now: seconds.
 *
 * In order, refused with AJWT_EDPOP (reason in err->text, for the log):
 * more than AJWT_DPOP_PROOF_MAX bytes; not a compact JWS of strict
 * base64url and JSON objects without duplicate members; typ not exactly
 * "dpop+jwt"; alg not in conf->algs, "none" or HS*; crit present; jwk
 * missing, not an object, with private members (d p q dp dq qi oth k),
 * of kty "oct", of a kty or curve that does not fit alg, or a weak or
 * invalid key; a signature not by that jwk; jti missing, not a string,
 * empty or longer than AJWT_DPOP_JTI_MAX; htm or htu not matching; iat
 * missing, not a number (a fraction is allowed) or outside the window;
 * ath wrong, missing with an access token, present without one.
 * Then, when conf->nonce_secret is set: AJWT_ENONCE for a proof without
 * a nonce or with one ajwt_dpop_nonce_ok() refuses (the glue answers
 * use_dpop_nonce with a fresh one). AJWT_EINTERNAL when OpenSSL fails.
 * On AJWT_OK *out is filled (jti from p).
 */
ajwt_status_t ajwt_dpop_check(ajwt_dpop_proof_t *out, const char *proof,
                              const ajwt_dpop_conf_t *conf,
                              const char *method, const char *htu,
                              const char *access_token, apr_int64_t now,
                              apr_pool_t *p, ajwt_err_t *err);

/*
 * A URL normalised for htu comparison (from p): scheme and host
 * lowercased, ":80" for http and ":443" for https dropped, query and
 * fragment dropped, an empty path made "/", the path kept exactly. NULL
 * if url is not an absolute http(s) URL with a host (userinfo, spaces
 * and control characters refused).
 */
const char *ajwt_dpop_htu_normalize(const char *url, apr_pool_t *p);

/*
 * RFC 7638 thumbprint (SHA-256, base64url) of a public JWK object into
 * out (AJWT_JKT_LEN + 1 bytes, NUL-terminated): the required members
 * only, in lexical order (RSA: e, kty, n; EC: crv, kty, x, y; OKP: crv,
 * kty, x). AJWT_OK, or AJWT_EMALFORMED for an unknown kty or a required
 * member missing or not a string.
 */
ajwt_status_t ajwt_jwk_thumbprint(char *out, const json_t *jwk,
                                  ajwt_err_t *err);

/*
 * Server nonces (RFC 9449 section 8), stateless: base64url(slot as 8
 * bytes big-endian || HMAC-SHA256(secret, those 8 bytes)) where slot is
 * now / AJWT_DPOP_NONCE_SLOT. Every server with the same secret makes and
 * accepts the same nonces. A nonce is current in the slot it was made in
 * and the next one (so it lives 1 to 2 slots).
 * ajwt_dpop_nonce_make: a fresh nonce (from p), NULL when conf has no
 * secret or OpenSSL fails. ajwt_dpop_nonce_ok: 1 when nonce is current
 * (MAC compared in constant time), else 0 (also without a secret).
 */
const char *ajwt_dpop_nonce_make(const ajwt_dpop_conf_t *conf,
                                 apr_int64_t now, apr_pool_t *p);
int ajwt_dpop_nonce_ok(const ajwt_dpop_conf_t *conf, const char *nonce,
                       apr_int64_t now);

/* base64url(SHA-256(token)), the ath of an access token (from p). */
const char *ajwt_dpop_ath(const char *token, apr_pool_t *p);

#endif
