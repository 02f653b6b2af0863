/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_claims.h: the registered claims of a JWT (RFC 7519 section 4.1)
 * and the policy they are checked against; user, roles and scopes.
 */
#ifndef AJWT_CLAIMS_H
#define AJWT_CLAIMS_H

#include <jansson.h>
#include "ajwt.h"

/* Latest NumericDate accepted: 9999-12-31T23:59:59Z. */
#define AJWT_MAX_NUMERIC_DATE  APR_INT64_C(253402300799)

/* Bytes of a revocation store key with its NUL: ajwt_store.h's
 * AJWT_STORE_KEY_MAX is this figure (the claims keep such keys inline). */
#define AJWT_CLAIMS_KEY_MAX    64

/* The confirmation methods of a sender-constrained token (cnf, RFC 7800):
 * both are base64url of a SHA-256, 43 characters. */
#define AJWT_CNF_JKT_LEN       43
#define AJWT_CNF_X5T_LEN       32

/*
 * The token's cnf claim, read once per verified token by ajwt_cnf_read()
 * (ajwt_cnf.h) and kept with the claims in the verified-token cache:
 * inline, never pointers, so that a cache hit is a copy and costs no
 * lookup. all 0: no cnf claim.
 */
typedef struct {
    int present;                /* the token has a cnf object */
    int has_jkt;                /* cnf.jkt (RFC 9449 6.1): jkt valid */
    int has_x5t;                /* cnf.x5t#S256 (RFC 8705 3.1) */
    char jkt[AJWT_CNF_JKT_LEN + 1];             /* as in the token */
    unsigned char x5t_s256[AJWT_CNF_X5T_LEN];   /* decoded */
} ajwt_cnf_t;

typedef struct {
    int leeway;                     /* seconds, >= 0 */
    apr_int64_t max_age;            /* seconds; < 0 means no limit */
    const apr_array_header_t *issuers;   /* of const char *; NULL: any */
    const apr_array_header_t *audiences; /* of const char *; NULL: any */
    /* AuthJWTResource (RFC 8707): aud must hold it too; NULL: none */
    const char *resource;
    const apr_array_header_t *required;  /* claim paths that must exist */
    /*
     * > 0 where revocation is checked (AuthJWTMaxTokenLifetime): iat is
     * required and exp - iat may not exceed it, so that every token a
     * subject revocation covers expires while the revocation still lives
     * (ajwt_store.h). 0: no bound.
     */
    apr_int64_t max_lifetime;
} ajwt_policy_t;

typedef struct {
    json_t *json;                   /* the payload object */
    apr_int64_t exp;                /* always present */
    apr_int64_t nbf, iat;           /* valid when has_nbf / has_iat */
    int has_nbf, has_iat;
    const char *sub, *jti, *iss;    /* NULL when absent */
    const char *sid;                /* session (refresh family) of a token
                                     * we issued, or an IdP's; NULL when
                                     * absent or not a string */
    /*
     * The revocation store's keys of jti and sub (ajwt_store.h), made once
     * per verified token by ajwt_store_claims_keys() and cached with the
     * claims, so that a cached token costs no digest per request. Inline
     * text, never pointers: a cache hit is a copy. Not made while
     * store_keys is 0 (ajwt_claims_read() leaves it 0).
     */
    int store_keys;
    char store_jti[AJWT_CLAIMS_KEY_MAX], store_sub[AJWT_CLAIMS_KEY_MAX];
    char store_sid[AJWT_CLAIMS_KEY_MAX];
    /* the header's typ was at+jwt (RFC 9068 2.1), set by ajwt_verify()
     * and cached with the claims: a cache hit does not see the header */
    int typ_at_jwt;
    ajwt_cnf_t cnf;             /* ajwt_verify() reads it */
} ajwt_claims_t;

/*
 * Read the registered claims of payload. exp is required; exp, nbf and iat
 * must be JSON numbers in [0, AJWT_MAX_NUMERIC_DATE] (strings, booleans,
 * negative and huge values are AJWT_ECLAIM). A non-integer one (RFC 7519
 * section 2) is rounded toward the stricter answer: exp down, nbf and iat
 * up. sub, jti and iss must be strings when present; aud a string or an
 * array of strings. From p.
 */
ajwt_status_t ajwt_claims_read(ajwt_claims_t **out, json_t *payload,
                               apr_pool_t *p, ajwt_err_t *err);

/*
 * Every rule of pol against now, in this order: exp (AJWT_EEXPIRED when
 * now >= exp + leeway), nbf (AJWT_ENOTYET when now + leeway < nbf), iat in
 * the future beyond leeway (AJWT_ENOTYET), max age (AJWT_EMAXAGE; a token
 * without iat fails a max age), max lifetime (AJWT_ECLAIM: no iat, or
 * exp - iat over it), iss (AJWT_EISSUER), aud (AJWT_EAUDIENCE;
 * a token without aud fails a configured audience), the resource
 * (AJWT_EAUDIENCE unless aud holds it exactly, whatever the audiences),
 * required claims (AJWT_ECLAIM).
 */
ajwt_status_t ajwt_claims_check(const ajwt_claims_t *cl,
                                const ajwt_policy_t *pol, apr_time_t now,
                                ajwt_err_t *err);

/* The claim at path as text (string or number), or NULL; from p. */
const char *ajwt_claims_string(const ajwt_claims_t *cl, const char *path,
                               apr_pool_t *p);

/*
 * True when the claim at path holds word: an array containing the string,
 * or a string that is word or has it as one of its space-separated words.
 * Used for roles (AuthJWTRoleClaim) and scopes.
 */
int ajwt_claims_has_word(const ajwt_claims_t *cl, const char *path,
                         const char *word);

/* True when "scope" (space-separated) or "scp" (array or string) has it. */
int ajwt_claims_has_scope(const ajwt_claims_t *cl, const char *scope);

/*
 * Require jwt-claim: true when the claim at path equals value, or is an
 * array with an element equal to it. Strings compare exactly; integers
 * and reals numerically (value must parse fully as a decimal number: no
 * blanks, hex, inf or nan; an integer claim also equals "42.0" where a
 * double is exact); booleans against "true"/"false"; null and objects
 * equal nothing. Allocates nothing (runs per request).
 */
int ajwt_claims_equals(const ajwt_claims_t *cl, const char *path,
                       const char *value);

/*
 * The environment name a claim is exported under (AuthJWTClaimsEnv):
 * "JWT_CLAIM_" + claim with every byte outside [A-Za-z0-9_] made '_'
 * (dots, dashes, blanks, each byte of a UTF-8 character), so that CGI,
 * PHP and SSI can read it. ASCII only, whatever the process's locale.
 * One allocation from p; NULL for a NULL claim.
 */
const char *ajwt_claims_env_name(const char *claim, apr_pool_t *p);

/*
 * True when header names a and b are the same, ASCII letters compared
 * case-insensitively and '_' equal to '-' (X_Jwt_User is X-Jwt-User to
 * backends that fold both into HTTP_X_JWT_USER): AuthJWTClaimHeader
 * removes such client headers too. 0 when either is NULL.
 */
int ajwt_claims_header_same(const char *a, const char *b);

#endif
