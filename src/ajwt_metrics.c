/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_metrics.c: the counter block (ajwt_metrics.h) and its two texts,
 * the Prometheus exposition and mod_status's "Key: value" lines.
 */
#include <apr_strings.h>
#include "ajwt_metrics.h"

#define METRICS_MAGIC APR_UINT64_C(0x616a776d65747231)     /* "ajwmetr1" */

struct ajwt_metrics_t {
    apr_uint64_t magic;         /* written last when laying out */
    apr_uint32_t version;       /* AJWT_METRICS_VERSION */
    apr_uint32_t ncounters;     /* AJWT_M_NCOUNTERS: layout check */
    apr_uint64_t c[AJWT_M_NCOUNTERS];
    /* per family: each bucket (not cumulative; the last is +Inf), then
     * the sum in microseconds; the count is the buckets' sum */
    apr_uint64_t h[AJWT_MH_N][AJWT_MH_NBOUNDS + 2];
};

static const apr_int64_t bounds[AJWT_MH_NBOUNDS] = { AJWT_MH_BOUNDS };
static const char *const bound_text[AJWT_MH_NBOUNDS] = {
    "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001",
    "0.0025", "0.005", "0.01", "0.025", "0.1"
};
static const char *const alg_names[AJWT_MH_N] = {
    [AJWT_MH_HMAC] = "hmac", [AJWT_MH_RSA] = "rsa", [AJWT_MH_EC] = "ec",
    [AJWT_MH_EDDSA] = "eddsa", [AJWT_MH_CACHED] = "cached",
};

/* The one table from core status to the reason it is counted under. */
static const ajwt_metrics_reason_t reasons[AJWT_NSTATUS] = {
    [AJWT_OK]         = AJWT_MR_OK,
    [AJWT_EINTERNAL]  = AJWT_MR_INTERNAL,
    [AJWT_ENOTOKEN]   = AJWT_MR_MISSING,
    [AJWT_EOVERSIZE]  = AJWT_MR_TOO_LARGE,
    [AJWT_EMALFORMED] = AJWT_MR_MALFORMED,
    [AJWT_EALG]       = AJWT_MR_ALG_REFUSED,
    [AJWT_EHEADER]    = AJWT_MR_BAD_HEADER,
    [AJWT_EKEY]       = AJWT_MR_UNKNOWN_KID,
    [AJWT_ESIG]       = AJWT_MR_BAD_SIGNATURE,
    [AJWT_ECLAIM]     = AJWT_MR_CLAIM_REFUSED,
    [AJWT_EEXPIRED]   = AJWT_MR_EXPIRED,
    [AJWT_ENOTYET]    = AJWT_MR_NOT_YET_VALID,
    [AJWT_EMAXAGE]    = AJWT_MR_TOO_OLD,
    [AJWT_EISSUER]    = AJWT_MR_BAD_ISS,
    [AJWT_EAUDIENCE]  = AJWT_MR_BAD_AUD,
    [AJWT_ECONFIG]    = AJWT_MR_CONFIG_ERROR,
    [AJWT_EREVOKED]   = AJWT_MR_REVOKED,
    [AJWT_ESTORE]     = AJWT_MR_STORE_UNAVAILABLE,
    [AJWT_EFETCH]     = AJWT_MR_KEYS_UNAVAILABLE,
    [AJWT_EDPOP]      = AJWT_MR_DPOP_INVALID,
    [AJWT_EREPLAY]    = AJWT_MR_DPOP_REPLAYED,
    [AJWT_ENONCE]     = AJWT_MR_DPOP_NONCE,
    [AJWT_EBINDING]   = AJWT_MR_BINDING_MISMATCH,
    /* never an answer of verification (logins count lockouts apart) */
    [AJWT_ELOCKED]    = AJWT_MR_INTERNAL,
};

/* The families, in the order of their counters. */
enum { F_TOKENS, F_DENIED, F_CACHE, F_JWKS, F_REVOKE, F_ALLOWED, F_LOGIN,
       F_REFRESH, F_LOGOUT, F_LOCKOUT, F_REUSE, F_CROSS_SITE, F_N };

static const struct family {
    const char *name;           /* mod_auth_jwt_<short>_total */
    const char *shortname;      /* for the "Key: value" lines */
    const char *label;          /* NULL: no label */
    const char *help;
} families[F_N] = {
    [F_TOKENS]  = { "mod_auth_jwt_tokens_total", "tokens", "reason",
                    "Token checks (one per request), by outcome." },
    [F_DENIED]  = { "mod_auth_jwt_authz_denied_total", "authz_denied",
                    "word", "Authorization denials, by Require word." },
    [F_CACHE]   = { "mod_auth_jwt_verify_cache_total", "verify_cache",
                    "result", "Verified-token cache lookups, by result." },
    [F_JWKS]    = { "mod_auth_jwt_jwks_fetches_total", "jwks_fetches",
                    "result", "Key URL fetches, by result." },
    [F_REVOKE]  = { "mod_auth_jwt_revocation_lookups_total",
                    "revocation_lookups", "result",
                    "Revocation lookups, by result." },
    [F_ALLOWED] = { "mod_auth_jwt_revocation_allowed_total",
                    "revocation_allowed", NULL, "Tokens let through with "
                    "the store unreachable (AuthJWTRevocationFailure "
                    "allow)." },
    [F_LOGIN]   = { "mod_auth_jwt_logins_total", "logins", "result",
                    "Logins (jwt-login), by result." },
    [F_REFRESH] = { "mod_auth_jwt_refreshes_total", "refreshes", "result",
                    "Refreshes (jwt-refresh), by result." },
    [F_LOGOUT]  = { "mod_auth_jwt_logouts_total", "logouts", "result",
                    "Logouts (jwt-logout), by result." },
    [F_LOCKOUT] = { "mod_auth_jwt_lockouts_total", "lockouts", NULL,
                    "Logins refused because the account is locked out." },
    [F_REUSE]   = { "mod_auth_jwt_refresh_reuse_total", "refresh_reuse",
                    NULL, "Reuses of an already rotated refresh token." },
    [F_CROSS_SITE] = { "mod_auth_jwt_cross_site_refused_total",
                    "cross_site_refused", NULL, "Cookie tokens refused "
                    "(403) on an unsafe request without a same-origin "
                    "Origin or Sec-Fetch-Site." },
};

/* Each counter: its family and label value. */
static const struct counter {
    unsigned char family;
    const char *value;
} counters[AJWT_M_NCOUNTERS] = {
    [AJWT_M_TOKEN + AJWT_MR_OK]                = { F_TOKENS, "ok" },
    [AJWT_M_TOKEN + AJWT_MR_MISSING]           = { F_TOKENS, "missing" },
    [AJWT_M_TOKEN + AJWT_MR_MALFORMED]         = { F_TOKENS, "malformed" },
    [AJWT_M_TOKEN + AJWT_MR_TOO_LARGE]         = { F_TOKENS, "too_large" },
    [AJWT_M_TOKEN + AJWT_MR_ALG_REFUSED]       = { F_TOKENS, "alg_refused" },
    [AJWT_M_TOKEN + AJWT_MR_BAD_SIGNATURE]     = { F_TOKENS,
                                                   "bad_signature" },
    [AJWT_M_TOKEN + AJWT_MR_UNKNOWN_KID]       = { F_TOKENS, "unknown_kid" },
    [AJWT_M_TOKEN + AJWT_MR_EXPIRED]           = { F_TOKENS, "expired" },
    [AJWT_M_TOKEN + AJWT_MR_NOT_YET_VALID]     = { F_TOKENS,
                                                   "not_yet_valid" },
    [AJWT_M_TOKEN + AJWT_MR_TOO_OLD]           = { F_TOKENS, "too_old" },
    [AJWT_M_TOKEN + AJWT_MR_BAD_ISS]           = { F_TOKENS, "bad_iss" },
    [AJWT_M_TOKEN + AJWT_MR_BAD_AUD]           = { F_TOKENS, "bad_aud" },
    [AJWT_M_TOKEN + AJWT_MR_BAD_HEADER]        = { F_TOKENS, "bad_header" },
    [AJWT_M_TOKEN + AJWT_MR_CLAIM_REFUSED]     = { F_TOKENS,
                                                   "claim_refused" },
    [AJWT_M_TOKEN + AJWT_MR_REVOKED]           = { F_TOKENS, "revoked" },
    [AJWT_M_TOKEN + AJWT_MR_STORE_UNAVAILABLE] = { F_TOKENS,
                                                   "store_unavailable" },
    [AJWT_M_TOKEN + AJWT_MR_KEYS_UNAVAILABLE]  = { F_TOKENS,
                                                   "keys_unavailable" },
    [AJWT_M_TOKEN + AJWT_MR_DPOP_INVALID]      = { F_TOKENS, "dpop_invalid" },
    [AJWT_M_TOKEN + AJWT_MR_DPOP_REPLAYED]     = { F_TOKENS,
                                                   "dpop_replayed" },
    [AJWT_M_TOKEN + AJWT_MR_DPOP_NONCE]        = { F_TOKENS, "dpop_nonce" },
    [AJWT_M_TOKEN + AJWT_MR_BINDING_MISMATCH]  = { F_TOKENS,
                                                   "binding_mismatch" },
    [AJWT_M_TOKEN + AJWT_MR_CONFIG_ERROR]      = { F_TOKENS,
                                                   "config_error" },
    [AJWT_M_TOKEN + AJWT_MR_INTERNAL]          = { F_TOKENS, "internal" },
    [AJWT_M_DENIED + AJWT_MW_ROLE]             = { F_DENIED, "jwt-role" },
    [AJWT_M_DENIED + AJWT_MW_CLAIM]            = { F_DENIED, "jwt-claim" },
    [AJWT_M_DENIED + AJWT_MW_SCOPE]            = { F_DENIED, "jwt-scope" },
    [AJWT_M_DENIED + AJWT_MW_VALID]            = { F_DENIED, "valid-jwt" },
    [AJWT_M_CACHE_HIT]          = { F_CACHE, "hit" },
    [AJWT_M_CACHE_MISS]         = { F_CACHE, "miss" },
    [AJWT_M_CACHE_EVICTION]     = { F_CACHE, "eviction" },
    [AJWT_M_JWKS_UPDATED]       = { F_JWKS, "updated" },
    [AJWT_M_JWKS_SAME]          = { F_JWKS, "same" },
    [AJWT_M_JWKS_FAILED]        = { F_JWKS, "failed" },
    [AJWT_M_REVOKE_NOT_REVOKED] = { F_REVOKE, "not_revoked" },
    [AJWT_M_REVOKE_REVOKED]     = { F_REVOKE, "revoked" },
    [AJWT_M_REVOKE_ERROR]       = { F_REVOKE, "store_error" },
    [AJWT_M_REVOKE_ALLOWED]     = { F_ALLOWED, NULL },
    [AJWT_M_LOGIN_OK]           = { F_LOGIN, "ok" },
    [AJWT_M_LOGIN_REFUSED]      = { F_LOGIN, "refused" },
    [AJWT_M_REFRESH_OK]         = { F_REFRESH, "ok" },
    [AJWT_M_REFRESH_REFUSED]    = { F_REFRESH, "refused" },
    [AJWT_M_LOGOUT_OK]          = { F_LOGOUT, "ok" },
    [AJWT_M_LOGOUT_REFUSED]     = { F_LOGOUT, "refused" },
    [AJWT_M_LOCKOUT]            = { F_LOCKOUT, NULL },
    [AJWT_M_REFRESH_REUSE]      = { F_REUSE, NULL },
    [AJWT_M_CROSS_SITE]         = { F_CROSS_SITE, NULL },
};

apr_size_t ajwt_metrics_size(void)
{
    return sizeof(ajwt_metrics_t);
}

ajwt_status_t ajwt_metrics_attach(ajwt_metrics_t **out, void *base,
                                  apr_size_t size, int *kept,
                                  ajwt_err_t *err)
{
    ajwt_metrics_t *m = base;

    *out = NULL;
    if (kept) {
        *kept = 0;
    }
    if (!base || size < sizeof(*m) || ((apr_uintptr_t)base & 7)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "metrics block: %"
                            APR_SIZE_T_FMT " bytes at a misaligned or NULL "
                            "address (%" APR_SIZE_T_FMT " needed)", size,
                            sizeof(*m));
    }
    if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) == METRICS_MAGIC
        && m->version == AJWT_METRICS_VERSION
        && m->ncounters == AJWT_M_NCOUNTERS) {
        if (kept) {
            *kept = 1;
        }
    }
    else {
        __atomic_store_n(&m->magic, 0, __ATOMIC_RELEASE);
        memset(m->c, 0, sizeof(m->c));
        memset(m->h, 0, sizeof(m->h));
        m->version = AJWT_METRICS_VERSION;
        m->ncounters = AJWT_M_NCOUNTERS;
        __atomic_store_n(&m->magic, METRICS_MAGIC, __ATOMIC_RELEASE);
    }
    *out = m;
    return AJWT_OK;
}

void ajwt_metrics_add(ajwt_metrics_t *m, ajwt_metric_t which,
                      apr_uint64_t n)
{
    if (m && (unsigned)which < AJWT_M_NCOUNTERS) {
        __atomic_fetch_add(&m->c[which], n, __ATOMIC_RELAXED);
    }
}

ajwt_metrics_reason_t ajwt_metrics_reason(ajwt_status_t st)
{
    if ((unsigned)st >= AJWT_NSTATUS) {
        return AJWT_MR_INTERNAL;
    }
    return reasons[st];
}

void ajwt_metrics_token(ajwt_metrics_t *m, ajwt_status_t st)
{
    ajwt_metrics_add(m, AJWT_M_TOKEN + ajwt_metrics_reason(st), 1);
}

ajwt_metrics_alg_t ajwt_metrics_alg(ajwt_kty_t kty)
{
    switch (kty) {
    case AJWT_KTY_OCT: return AJWT_MH_HMAC;
    case AJWT_KTY_RSA: return AJWT_MH_RSA;
    case AJWT_KTY_EC:  return AJWT_MH_EC;
    case AJWT_KTY_OKP: return AJWT_MH_EDDSA;
    }
    return AJWT_MH_N;
}

void ajwt_metrics_observe(ajwt_metrics_t *m, ajwt_metrics_alg_t a,
                          apr_int64_t usec)
{
    int b;
    if (!m || (unsigned)a >= AJWT_MH_N || usec < 0) {
        return;
    }
    for (b = 0; b < AJWT_MH_NBOUNDS && usec > bounds[b]; b++) {
    }
    __atomic_fetch_add(&m->h[a][b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&m->h[a][AJWT_MH_NBOUNDS + 1], (apr_uint64_t)usec,
                       __ATOMIC_RELAXED);
}

/* bucket b of family a (b = AJWT_MH_NBOUNDS: +Inf; + 1: the sum) */
static apr_uint64_t hist(const ajwt_metrics_t *m, int a, int b)
{
    return m ? __atomic_load_n(&m->h[a][b], __ATOMIC_RELAXED) : 0;
}

apr_uint64_t ajwt_metrics_hist_count(const ajwt_metrics_t *m,
                                     ajwt_metrics_alg_t a)
{
    apr_uint64_t n = 0;
    int b;
    for (b = 0; (unsigned)a < AJWT_MH_N && b <= AJWT_MH_NBOUNDS; b++) {
        n += hist(m, a, b);
    }
    return n;
}

apr_uint64_t ajwt_metrics_hist_sum(const ajwt_metrics_t *m,
                                   ajwt_metrics_alg_t a)
{
    return (unsigned)a < AJWT_MH_N ? hist(m, a, AJWT_MH_NBOUNDS + 1) : 0;
}

apr_uint64_t ajwt_metrics_get(const ajwt_metrics_t *m, ajwt_metric_t which)
{
    if (!m || (unsigned)which >= AJWT_M_NCOUNTERS) {
        return 0;
    }
    return __atomic_load_n(&m->c[which], __ATOMIC_RELAXED);
}

void ajwt_metrics_each(const ajwt_metrics_t *m, ajwt_metrics_fn fn,
                       void *ctx)
{
    int i;
    for (i = 0; i < AJWT_M_NCOUNTERS; i++) {
        const struct family *f = &families[counters[i].family];
        if (fn(ctx, f->name, f->help, f->label, counters[i].value,
               ajwt_metrics_get(m, i))) {
            return;
        }
    }
}

/* A text built piece by piece: an array of pieces, joined at the end. */
typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
    int last_family;
} text_ctx;

static int family_of(const char *name)
{
    int f;
    for (f = 0; f < F_N && strcmp(families[f].name, name); f++) {
    }
    return f;
}

static int one_prometheus(void *data, const char *family, const char *help,
                          const char *label, const char *value,
                          apr_uint64_t count)
{
    text_ctx *t = data;
    int f = family_of(family);

    if (f != t->last_family) {
        APR_ARRAY_PUSH(t->parts, const char *) =
            apr_psprintf(t->p, "# HELP %s %s\n# TYPE %s counter\n", family,
                         help, family);
        t->last_family = f;
    }
    APR_ARRAY_PUSH(t->parts, const char *) = label
        ? apr_psprintf(t->p, "%s{%s=\"%s\"} %" APR_UINT64_T_FMT "\n",
                       family, label, value, count)
        : apr_psprintf(t->p, "%s %" APR_UINT64_T_FMT "\n", family, count);
    return 0;
}

static int one_line(void *data, const char *family, const char *help,
                    const char *label, const char *value,
                    apr_uint64_t count)
{
    text_ctx *t = data;
    const struct family *f = &families[family_of(family)];
    char *v = NULL, *s;

    (void)help;
    if (label) {
        v = apr_pstrdup(t->p, value);
        for (s = v; *s; s++) {
            if (*s == '-') {
                *s = '_';       /* jwt-role: a word of a key */
            }
        }
    }
    APR_ARRAY_PUSH(t->parts, const char *) =
        apr_psprintf(t->p, "AuthJWT_%s%s%s: %" APR_UINT64_T_FMT "\n",
                     f->shortname, v ? "_" : "", v ? v : "", count);
    return 0;
}

static const char *build(const ajwt_metrics_t *m, ajwt_metrics_fn fn,
                         apr_pool_t *p)
{
    text_ctx t;
    t.p = p;
    t.parts = apr_array_make(p, AJWT_M_NCOUNTERS + F_N, sizeof(char *));
    t.last_family = -1;
    ajwt_metrics_each(m, fn, &t);
    return apr_array_pstrcat(p, t.parts, 0);
}

/* The histogram in Prometheus text: cumulative buckets, sum in seconds
 * (from microseconds, no floating point), count. */
static const char *prometheus_hist(const ajwt_metrics_t *m, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 16, sizeof(char *));
    int a, b;

    APR_ARRAY_PUSH(parts, const char *) =
        "# HELP mod_auth_jwt_verify_seconds Time of one token verification "
        "(signature and claims), by algorithm family; cached: a "
        "verified-token cache hit.\n"
        "# TYPE mod_auth_jwt_verify_seconds histogram\n";
    for (a = 0; a < AJWT_MH_N; a++) {
        apr_uint64_t n = 0, sum = hist(m, a, AJWT_MH_NBOUNDS + 1);
        for (b = 0; b <= AJWT_MH_NBOUNDS; b++) {
            n += hist(m, a, b);
            APR_ARRAY_PUSH(parts, const char *) =
                apr_psprintf(p, "mod_auth_jwt_verify_seconds_bucket"
                             "{alg=\"%s\",le=\"%s\"} %" APR_UINT64_T_FMT
                             "\n",
                             alg_names[a], b < AJWT_MH_NBOUNDS
                             ? bound_text[b] : "+Inf", n);
        }
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "mod_auth_jwt_verify_seconds_sum{alg=\"%s\"} %"
                         APR_UINT64_T_FMT ".%06" APR_UINT64_T_FMT "\n"
                         "mod_auth_jwt_verify_seconds_count{alg=\"%s\"} %"
                         APR_UINT64_T_FMT "\n", alg_names[a],
                         sum / 1000000, sum % 1000000, alg_names[a], n);
    }
    return apr_array_pstrcat(p, parts, 0);
}

const char *ajwt_metrics_hist_html(const ajwt_metrics_t *m, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 16, sizeof(char *));
    int a, b;

    APR_ARRAY_PUSH(parts, const char *) =
        "<table border=\"0\"><tr><th>verification</th>";
    for (b = 0; b <= AJWT_MH_NBOUNDS; b++) {
        APR_ARRAY_PUSH(parts, const char *) = b < AJWT_MH_NBOUNDS
            ? apr_psprintf(p, "<th>&le; %s s</th>", bound_text[b])
            : "<th>more</th>";
    }
    APR_ARRAY_PUSH(parts, const char *) =
        "<th>count</th><th>mean &micro;s</th></tr>\n";
    for (a = 0; a < AJWT_MH_N; a++) {
        apr_uint64_t n = ajwt_metrics_hist_count(m, a);
        apr_uint64_t sum = ajwt_metrics_hist_sum(m, a);
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "<tr><td>%s</td>", alg_names[a]);
        for (b = 0; b <= AJWT_MH_NBOUNDS; b++) {
            APR_ARRAY_PUSH(parts, const char *) =
                apr_psprintf(p, "<td>%" APR_UINT64_T_FMT "</td>",
                             hist(m, a, b));
        }
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "<td>%" APR_UINT64_T_FMT "</td><td>%"
                         APR_UINT64_T_FMT "</td></tr>\n", n,
                         n ? sum / n : 0);
    }
    APR_ARRAY_PUSH(parts, const char *) = "</table>\n";
    return apr_array_pstrcat(p, parts, 0);
}

/* A label value as the text format wants it: \\, \" and \n escaped. */
static const char *label_escape(const char *s, apr_pool_t *p)
{
    apr_size_t n = 0;
    const char *q;
    char *out, *o;
    for (q = s; *q; q++) {
        n += (*q == '\\' || *q == '"' || *q == '\n') ? 2 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (q = s; *q; q++) {
        if (*q == '\\' || *q == '"' || *q == '\n') {
            *o++ = '\\';
            *o++ = *q == '\n' ? 'n' : *q;
        }
        else {
            *o++ = *q;
        }
    }
    *o = '\0';
    return out;
}

const char *ajwt_metrics_jwks(const ajwt_metrics_jwks_t *rows, int n,
                              apr_int64_t now, int lines, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(char *));
    int i, pass;

    for (i = 0; lines && i < n; i++) {
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "AuthJWT_jwks_%d_url: %s\n"
                         "AuthJWT_jwks_%d_last_good_age: %" APR_INT64_T_FMT
                         "\nAuthJWT_jwks_%d_keys: %d\n", i, rows[i].url, i,
                         rows[i].last_good ? now - rows[i].last_good
                                           : (apr_int64_t)-1,
                         i, rows[i].nkeys);
    }
    for (pass = 0; !lines && n && pass < 2; pass++) {
        APR_ARRAY_PUSH(parts, const char *) = pass == 0
            ? "# HELP mod_auth_jwt_jwks_last_good_age_seconds Seconds since "
              "the key URL last answered an acceptable JWK Set (+Inf: "
              "never).\n# TYPE mod_auth_jwt_jwks_last_good_age_seconds "
              "gauge\n"
            : "# HELP mod_auth_jwt_jwks_keys Keys of the key URL's last "
              "accepted JWK Set.\n# TYPE mod_auth_jwt_jwks_keys gauge\n";
        for (i = 0; i < n; i++) {
            const char *u = label_escape(rows[i].url, p);
            APR_ARRAY_PUSH(parts, const char *) = pass == 0
                ? (rows[i].last_good
                   ? apr_psprintf(p, "mod_auth_jwt_jwks_last_good_age_seconds"
                                  "{url=\"%s\"} %" APR_INT64_T_FMT "\n", u,
                                  now - rows[i].last_good)
                   : apr_psprintf(p, "mod_auth_jwt_jwks_last_good_age_seconds"
                                  "{url=\"%s\"} +Inf\n", u))
                : apr_psprintf(p, "mod_auth_jwt_jwks_keys{url=\"%s\"} %d\n",
                               u, rows[i].nkeys);
        }
    }
    return apr_array_pstrcat(p, parts, 0);
}

const char *ajwt_metrics_prometheus(const ajwt_metrics_t *m, apr_pool_t *p)
{
    return apr_pstrcat(p, build(m, one_prometheus, p),
                       prometheus_hist(m, p), NULL);
}

const char *ajwt_metrics_lines(const ajwt_metrics_t *m, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 2 * AJWT_MH_N + 1,
                                               sizeof(char *));
    int a;
    APR_ARRAY_PUSH(parts, const char *) = build(m, one_line, p);
    for (a = 0; a < AJWT_MH_N; a++) {
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "AuthJWT_verify_%s_count: %" APR_UINT64_T_FMT
                         "\nAuthJWT_verify_%s_sum_us: %" APR_UINT64_T_FMT
                         "\n", alg_names[a], ajwt_metrics_hist_count(m, a),
                         alg_names[a], ajwt_metrics_hist_sum(m, a));
    }
    return apr_array_pstrcat(p, parts, 0);
}
