/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_metrics.h: the module's counters, one fixed-layout block that the
 * caller places in memory shared by every process and thread (the glue
 * maps it in post_config, before the children are forked).
 *
 * The block holds no pointer, only a header and an array of 64-bit
 * counters, so it is valid at whatever address each process sees it.
 * Increments are relaxed atomic adds: no lock, no ordering, a reader
 * gets each counter whole but not a snapshot of all of them at once.
 * Attaching again a block laid out by the same version keeps its counts
 * (a graceful restart re-attaches the same segment).
 */
#ifndef AJWT_METRICS_H
#define AJWT_METRICS_H

#include "ajwt.h"
#include "ajwt_alg.h"

#define AJWT_METRICS_VERSION 3  /* raise with any change of the layout */

/* Why a token was taken or refused: one per ajwt_status_t (a table in
 * ajwt_metrics.c), label reason="..." */
typedef enum {
    AJWT_MR_OK = 0,
    AJWT_MR_MISSING,
    AJWT_MR_MALFORMED,
    AJWT_MR_TOO_LARGE,
    AJWT_MR_ALG_REFUSED,
    AJWT_MR_BAD_SIGNATURE,
    AJWT_MR_UNKNOWN_KID,
    AJWT_MR_EXPIRED,
    AJWT_MR_NOT_YET_VALID,
    AJWT_MR_TOO_OLD,
    AJWT_MR_BAD_ISS,
    AJWT_MR_BAD_AUD,
    AJWT_MR_BAD_HEADER,
    AJWT_MR_CLAIM_REFUSED,
    AJWT_MR_REVOKED,
    AJWT_MR_STORE_UNAVAILABLE,
    AJWT_MR_KEYS_UNAVAILABLE,
    AJWT_MR_DPOP_INVALID,       /* sender constraints (DPoP, mTLS) */
    AJWT_MR_DPOP_REPLAYED,
    AJWT_MR_DPOP_NONCE,
    AJWT_MR_BINDING_MISMATCH,
    AJWT_MR_CONFIG_ERROR,
    AJWT_MR_INTERNAL,
    AJWT_MR_N
} ajwt_metrics_reason_t;

/* The Require words whose denials are counted, label word="..." */
typedef enum {
    AJWT_MW_ROLE = 0,           /* jwt-role */
    AJWT_MW_CLAIM,              /* jwt-claim */
    AJWT_MW_SCOPE,              /* jwt-scope */
    AJWT_MW_VALID,              /* valid-jwt */
    AJWT_MW_N
} ajwt_metrics_word_t;

/* Every counter of the block, by its index. */
typedef enum {
    AJWT_M_TOKEN = 0,                           /* + ajwt_metrics_reason_t */
    AJWT_M_DENIED = AJWT_M_TOKEN + AJWT_MR_N,   /* + ajwt_metrics_word_t */
    AJWT_M_CACHE_HIT = AJWT_M_DENIED + AJWT_MW_N,
    AJWT_M_CACHE_MISS,
    AJWT_M_CACHE_EVICTION,      /* an entry evicted for another token */
    AJWT_M_JWKS_UPDATED,        /* a fetch brought new keys */
    AJWT_M_JWKS_SAME,           /* a fetch brought the keys we had */
    AJWT_M_JWKS_FAILED,
    AJWT_M_REVOKE_NOT_REVOKED,  /* revocation lookups, by answer */
    AJWT_M_REVOKE_REVOKED,
    AJWT_M_REVOKE_ERROR,
    AJWT_M_REVOKE_ALLOWED,      /* store error let through (allow) */
    AJWT_M_LOGIN_OK,
    AJWT_M_LOGIN_REFUSED,
    AJWT_M_REFRESH_OK,
    AJWT_M_REFRESH_REFUSED,
    AJWT_M_LOGOUT_OK,
    AJWT_M_LOGOUT_REFUSED,
    AJWT_M_LOCKOUT,             /* a login refused: account locked out */
    AJWT_M_REFRESH_REUSE,       /* a rotated refresh token came back */
    AJWT_M_CROSS_SITE,          /* a cookie token refused: cross-site */
    AJWT_M_NCOUNTERS
} ajwt_metric_t;

/* The verification-time histogram's families, label alg="..." */
typedef enum {
    AJWT_MH_HMAC = 0,           /* HS* */
    AJWT_MH_RSA,                /* RS*, PS* */
    AJWT_MH_EC,                 /* ES* */
    AJWT_MH_EDDSA,              /* EdDSA, Ed25519 */
    AJWT_MH_CACHED,             /* a verified-token cache hit */
    AJWT_MH_N
} ajwt_metrics_alg_t;

/* Upper bounds of the buckets, microseconds (then +Inf). */
#define AJWT_MH_BOUNDS 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, \
                       10000, 25000, 100000
#define AJWT_MH_NBOUNDS 12

typedef struct ajwt_metrics_t ajwt_metrics_t;   /* the block itself */

/* Bytes the caller maps for one block. */
apr_size_t ajwt_metrics_size(void);

/*
 * The block at base (size bytes, 8-byte aligned, shared or not). If it
 * already holds a block of this layout (magic, AJWT_METRICS_VERSION and
 * counter count match), its counts are kept and *kept (NULL allowed) is
 * 1; anything else is laid out anew at zero. Call it where no other
 * process or thread uses the block yet. AJWT_EINTERNAL if size is short
 * or base misaligned.
 */
ajwt_status_t ajwt_metrics_attach(ajwt_metrics_t **out, void *base,
                                  apr_size_t size, int *kept,
                                  ajwt_err_t *err);

/* Add n to one counter: a relaxed atomic add, no lock. m NULL: nothing. */
void ajwt_metrics_add(ajwt_metrics_t *m, ajwt_metric_t which,
                      apr_uint64_t n);

/* The reason a status is counted under (AJWT_OK: ok; unknown: internal). */
ajwt_metrics_reason_t ajwt_metrics_reason(ajwt_status_t st);

/* One token outcome: its reason's counter plus one. m NULL: nothing. */
void ajwt_metrics_token(ajwt_metrics_t *m, ajwt_status_t st);

/* The family of a key type (its algorithm's); AJWT_MH_N for none. */
ajwt_metrics_alg_t ajwt_metrics_alg(ajwt_kty_t kty);

/*
 * One verification of family a that took usec microseconds (measured by
 * the caller: the core reads no clock): its bucket plus one, the sum plus
 * usec. m NULL, a out of range or usec negative: nothing.
 */
void ajwt_metrics_observe(ajwt_metrics_t *m, ajwt_metrics_alg_t a,
                          apr_int64_t usec);

/* The histogram's count and sum (microseconds) of a family now. */
apr_uint64_t ajwt_metrics_hist_count(const ajwt_metrics_t *m,
                                     ajwt_metrics_alg_t a);
apr_uint64_t ajwt_metrics_hist_sum(const ajwt_metrics_t *m,
                                   ajwt_metrics_alg_t a);

/* One counter's value now (0 for m NULL or which out of range). */
apr_uint64_t ajwt_metrics_get(const ajwt_metrics_t *m, ajwt_metric_t which);

/*
 * Every counter in order: family (mod_auth_jwt_..._total), its help text,
 * label name and value (both NULL when the family has none) and value.
 * fn returns non-zero to stop. The histogram is not among them.
 */
typedef int (*ajwt_metrics_fn)(void *ctx, const char *family,
                               const char *help, const char *label,
                               const char *value, apr_uint64_t count);
void ajwt_metrics_each(const ajwt_metrics_t *m, ajwt_metrics_fn fn,
                       void *ctx);

/*
 * The Prometheus text exposition (format 0.0.4) of every counter and the
 * histogram (mod_auth_jwt_verify_seconds), with HELP and TYPE lines, from
 * p. m NULL: every counter 0.
 */
const char *ajwt_metrics_prometheus(const ajwt_metrics_t *m, apr_pool_t *p);

/*
 * "Key: value" lines, one per counter (AuthJWT_tokens_expired: 2), then
 * the histogram's count and sum per family (AuthJWT_verify_hmac_count,
 * AuthJWT_verify_hmac_sum_us), as mod_status's machine-readable page has
 * them, from p.
 */
/*
 * The histogram as an HTML table for mod_status: a row per family, a
 * column per bucket (not cumulative), the count and the mean in
 * microseconds; from p.
 */
const char *ajwt_metrics_hist_html(const ajwt_metrics_t *m, apr_pool_t *p);

/* One key URL's state, for the gauges below. */
typedef struct {
    const char *url;
    apr_int64_t last_good;      /* seconds since the epoch; 0: never */
    int nkeys;
} ajwt_metrics_jwks_t;

/*
 * Gauges of n key URLs at now (seconds): mod_auth_jwt_jwks_last_good_age_seconds
 * (+Inf while no good fetch ever happened) and mod_auth_jwt_jwks_keys,
 * label url (escaped as the exposition format asks), with HELP and TYPE;
 * with lines, "Key: value" lines for mod_status instead
 * (AuthJWT_jwks_<i>_url, _last_good_age, _keys; -1: never). From p; ""
 * when n is 0.
 */
const char *ajwt_metrics_jwks(const ajwt_metrics_jwks_t *rows, int n,
                              apr_int64_t now, int lines, apr_pool_t *p);

const char *ajwt_metrics_lines(const ajwt_metrics_t *m, apr_pool_t *p);

#endif
