/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_cnf.h: sender-constrained tokens. The confirmation claim (cnf,
 * RFC 7800) of a verified token names the key of a DPoP proof (cnf.jkt,
 * RFC 9449 6.1) or the client certificate (cnf.x5t#S256, RFC 8705 3.1)
 * its sender must hold; ajwt_cnf_check() is the one decision whether this
 * request's sender does, and whether the location wants a bound token.
 */
#ifndef AJWT_CNF_H
#define AJWT_CNF_H

#include "ajwt.h"
#include "ajwt_claims.h"

/*
 * Read cl's cnf claim into cl->cnf (ajwt_verify() does, once per verified
 * token, before caching it). No cnf: cl->cnf all 0, AJWT_OK. AJWT_ECLAIM
 * when cnf is not an object, or cnf.jkt or cnf.x5t#S256 is there but is
 * not a string of 43 strict base64url characters (a SHA-256). Other
 * members of cnf are not read (ajwt_cnf_check refuses a cnf that has
 * neither method). Allocates nothing.
 */
ajwt_status_t ajwt_cnf_read(ajwt_claims_t *cl, ajwt_err_t *err);

/* What the location asks (AuthJWTDPoP, AuthJWTMTLS, AuthJWTProfile). */
typedef struct {
    int dpop;           /* 1: only DPoP-bound tokens (cnf.jkt) */
    int mtls;           /* 1: only certificate-bound tokens (x5t#S256) */
    int require_any;    /* 1: some binding (FAPI 2.0) */
} ajwt_bind_policy_t;

/* What this request's sender showed. */
typedef struct {
    int dpop_scheme;                /* "Authorization: DPoP <token>" */
    const char *dpop_jkt;           /* RFC 7638 thumbprint (43 chars) of a
                                     * verified proof's key; NULL: none */
    const unsigned char *cert_sha256;   /* 32 bytes: SHA-256 of the client
                                         * certificate's DER; NULL: none */
} ajwt_bind_have_t;

/*
 * The sender rules, in this order; each refusal is AJWT_EBINDING with its
 * reason in err (it names jti and thumbprints, never the token):
 * - cnf without jkt or x5t#S256: bound by a method not checked here;
 * - pol->dpop and no cnf.jkt; pol->mtls and no cnf.x5t#S256;
 *   pol->require_any and neither;
 * - the DPoP scheme with a token without cnf.jkt (RFC 9449 7.1);
 * - cnf.jkt with another scheme (a DPoP-bound token is never a bearer
 *   token: RFC 9449 7.2), without a verified proof, or with a proof of
 *   another key;
 * - cnf.x5t#S256 without a client certificate, or with another one.
 * A token with both methods needs both. Constant-time comparisons.
 */
ajwt_status_t ajwt_cnf_check(const ajwt_claims_t *cl,
                             const ajwt_bind_policy_t *pol,
                             const ajwt_bind_have_t *have, ajwt_err_t *err);

#endif
