/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_claims.c: the registered claims of a JWT (RFC 7519 section 4.1),
 * the policy they are checked against, and the lookups behind Require
 * jwt-role, jwt-claim and jwt-scope.
 *
 * The lookups run for every request and every Require line, so they
 * allocate nothing: they walk the Jansson values in place.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "ajwt_claims.h"
#include "ajwt_json.h"

/* Room for "jti X, sub Y, iss Z" in messages, each value cut short. */
#define ID_TEXT 224
#define ID_PART 64

/*
 * Append "name value" to buf for a log message. The value comes from the
 * token, so it is cut at ID_PART bytes and control characters become '?'
 * (a forged CR/LF must not split the error log line).
 */
static void id_part(char *buf, size_t size, const char *name,
                    const char *value)
{
    size_t len = strlen(buf), i;
    if (!value || len + strlen(name) + 4 >= size) {
        return;
    }
    if (len) {
        buf[len++] = ',';
        buf[len++] = ' ';
    }
    for (i = 0; name[i] && len < size - 1; i++) {
        buf[len++] = name[i];
    }
    if (len < size - 1) {
        buf[len++] = ' ';
    }
    for (i = 0; value[i] && i < ID_PART && len < size - 1; i++) {
        unsigned char c = (unsigned char)value[i];
        buf[len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[len] = '\0';
}

/* "jti X, sub Y" (whichever are known), or "no jti/sub". */
static const char *ids(char *buf, const char *jti, const char *sub,
                       const char *iss)
{
    buf[0] = '\0';
    id_part(buf, ID_TEXT, "jti", jti);
    id_part(buf, ID_TEXT, "sub", sub);
    id_part(buf, ID_TEXT, "iss", iss);
    if (!buf[0]) {
        apr_cpystrn(buf, "no jti/sub", ID_TEXT);
    }
    return buf;
}

/* An optional string claim; AJWT_ECLAIM if present with another type. */
static ajwt_status_t read_string(const char **out, json_t *payload,
                                 const char *name, ajwt_err_t *err)
{
    json_t *v = json_object_get(payload, name);
    *out = NULL;
    if (!v) {
        return AJWT_OK;
    }
    if (!json_is_string(v)) {
        return ajwt_err_set(err, AJWT_ECLAIM, "claim %s is not a string",
                            name);
    }
    *out = json_string_value(v);
    return AJWT_OK;
}

/*
 * (Messages use APR_INT64_T_FMT: apr_vsnprintf does not know "%lld".)
 *
 * A NumericDate: a JSON number in [0, AJWT_MAX_NUMERIC_DATE]. RFC 7519
 * section 2 allows a non-integer one (1767225600.5); it is rounded toward
 * the stricter answer, so a fraction never buys time: an exp rounds down
 * (the token expires no later), an nbf or iat up (no earlier). The range
 * is checked on the value itself, before rounding: 1e300, -0.5 or an
 * infinity are refused, never brought into range.
 */
enum date_round { ROUND_DOWN, ROUND_UP };

static ajwt_status_t read_date(apr_int64_t *out, int *has, json_t *payload,
                               const char *name, enum date_round round,
                               const ajwt_claims_t *cl, ajwt_err_t *err)
{
    json_t *v = json_object_get(payload, name);
    apr_int64_t n;
    char id[ID_TEXT];
    *has = 0;
    *out = 0;
    if (!v) {
        return AJWT_OK;
    }
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > AJWT_MAX_NUMERIC_DATE) {
            return ajwt_err_set(err, AJWT_ECLAIM, "claim %s is out of "
                                "range: %" APR_INT64_T_FMT " (%s)", name,
                                (apr_int64_t)i,
                                ids(id, cl->jti, cl->sub, NULL));
        }
        n = (apr_int64_t)i;
    }
    else if (json_is_real(v)) {
        double d = json_real_value(v);
        /* Jansson makes no NaN or infinity, but this does not rely on
         * it (the range test alone refuses a NaN: it compares false) */
        if (!isfinite(d) || !(d >= 0.0
                              && d <= (double)AJWT_MAX_NUMERIC_DATE)) {
            char num[32];
            /* libc's: apr_snprintf's %g garbles 1e300 and NaN */
            snprintf(num, sizeof(num), "%.17g", d);
            return ajwt_err_set(err, AJWT_ECLAIM, "claim %s is out of "
                                "range: %s (%s)", name, num,
                                ids(id, cl->jti, cl->sub, NULL));
        }
        /* d is in [0, 2^38), so n and (double)n are exact, and the cast
         * truncates, which for d >= 0 is rounding down */
        n = (apr_int64_t)d;
        if (round == ROUND_UP && (double)n < d) {
            n++;
        }
    }
    else {
        return ajwt_err_set(err, AJWT_ECLAIM, "claim %s is not a "
                            "NumericDate (%s)", name,
                            ids(id, cl->jti, cl->sub, NULL));
    }
    *out = n;
    *has = 1;
    return AJWT_OK;
}

ajwt_status_t ajwt_claims_read(ajwt_claims_t **out, json_t *payload,
                               apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_claims_t *cl;
    ajwt_status_t st;
    json_t *aud;
    char id[ID_TEXT];
    int has_exp;

    *out = NULL;
    if (!json_is_object(payload)) {
        return ajwt_err_set(err, AJWT_EMALFORMED,
                            "payload is not a JSON object");
    }
    cl = apr_pcalloc(p, sizeof(*cl));
    cl->json = payload;
    if ((st = read_string(&cl->jti, payload, "jti", err))
        || (st = read_string(&cl->sub, payload, "sub", err))
        || (st = read_string(&cl->iss, payload, "iss", err))) {
        return st;
    }
    {
        /* a hint for revocation only: another type is not ours to refuse */
        json_t *sid = json_object_get(payload, "sid");
        cl->sid = json_is_string(sid) ? json_string_value(sid) : NULL;
    }
    /* the "jti X, sub Y" text of messages is made only for a refusal:
     * this runs for every token */
    if ((st = read_date(&cl->exp, &has_exp, payload, "exp", ROUND_DOWN, cl,
                        err))
        || (st = read_date(&cl->nbf, &cl->has_nbf, payload, "nbf",
                           ROUND_UP, cl, err))
        || (st = read_date(&cl->iat, &cl->has_iat, payload, "iat",
                           ROUND_UP, cl, err))) {
        return st;
    }
    if (!has_exp) {
        return ajwt_err_set(err, AJWT_ECLAIM, "no exp claim (%s)",
                            ids(id, cl->jti, cl->sub, NULL));
    }
    aud = json_object_get(payload, "aud");
    if (aud && !json_is_string(aud)) {
        size_t i;
        json_t *a;
        if (!json_is_array(aud)) {
            return ajwt_err_set(err, AJWT_ECLAIM, "claim aud is neither a "
                                "string nor an array (%s)",
                                ids(id, cl->jti, cl->sub, NULL));
        }
        json_array_foreach(aud, i, a) {
            if (!json_is_string(a)) {
                return ajwt_err_set(err, AJWT_ECLAIM, "claim aud holds a "
                                    "non-string (%s)",
                                    ids(id, cl->jti, cl->sub, NULL));
            }
        }
    }
    *out = cl;
    return AJWT_OK;
}

static int in_list(const apr_array_header_t *list, const char *s)
{
    int i;
    for (i = 0; i < list->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(list, i, const char *), s)) {
            return 1;
        }
    }
    return 0;
}

/* Does aud (a string or an array of strings) hold s? */
static int aud_has(const json_t *aud, const char *s)
{
    size_t i;
    json_t *a;
    if (json_is_string(aud)) {
        return !strcmp(json_string_value(aud), s);
    }
    json_array_foreach(aud, i, a) {
        if (json_is_string(a) && !strcmp(json_string_value(a), s)) {
            return 1;
        }
    }
    return 0;
}

static int aud_matches(const json_t *aud, const apr_array_header_t *want)
{
    int i;
    for (i = 0; i < want->nelts; i++) {
        if (aud_has(aud, APR_ARRAY_IDX(want, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

ajwt_status_t ajwt_claims_check(const ajwt_claims_t *cl,
                                const ajwt_policy_t *pol, apr_time_t now,
                                ajwt_err_t *err)
{
    apr_int64_t t = apr_time_sec(now);
    apr_int64_t leeway = pol->leeway > 0 ? pol->leeway : 0;
    char id[ID_TEXT];

    /* Dates are capped at year 9999 and leeway is an int: no overflow. */
    if (t >= cl->exp + leeway) {
        return ajwt_err_set(err, AJWT_EEXPIRED, "expired %" APR_INT64_T_FMT
                            "s ago (%s)", t - cl->exp,
                            ids(id, cl->jti, cl->sub, cl->iss));
    }
    if (cl->has_nbf && t + leeway < cl->nbf) {
        return ajwt_err_set(err, AJWT_ENOTYET, "not valid for another %"
                            APR_INT64_T_FMT "s (nbf; %s)", cl->nbf - t,
                            ids(id, cl->jti, cl->sub, cl->iss));
    }
    if (cl->has_iat && cl->iat > t + leeway) {
        return ajwt_err_set(err, AJWT_ENOTYET, "issued %" APR_INT64_T_FMT
                            "s in the future (iat; %s)", cl->iat - t,
                            ids(id, cl->jti, cl->sub, cl->iss));
    }
    if (pol->max_age >= 0) {
        if (!cl->has_iat) {
            return ajwt_err_set(err, AJWT_EMAXAGE, "no iat claim for a "
                                "maximum age of %" APR_INT64_T_FMT "s (%s)",
                                pol->max_age,
                                ids(id, cl->jti, cl->sub, cl->iss));
        }
        /* Written as a subtraction: max_age + leeway could overflow. */
        if (t - cl->iat - leeway > pol->max_age) {
            return ajwt_err_set(err, AJWT_EMAXAGE, "issued %"
                                APR_INT64_T_FMT "s ago, maximum age %"
                                APR_INT64_T_FMT "s (%s)", t - cl->iat,
                                pol->max_age,
                                ids(id, cl->jti, cl->sub, cl->iss));
        }
    }
    if (pol->max_lifetime > 0) {
        if (!cl->has_iat) {
            return ajwt_err_set(err, AJWT_ECLAIM, "no iat claim: where "
                                "revocation is checked a token's lifetime "
                                "must be known (%s)",
                                ids(id, cl->jti, cl->sub, cl->iss));
        }
        if (cl->exp - cl->iat > pol->max_lifetime) {
            return ajwt_err_set(err, AJWT_ECLAIM, "lives %" APR_INT64_T_FMT
                                "s, more than AuthJWTMaxTokenLifetime %"
                                APR_INT64_T_FMT "s (%s)", cl->exp - cl->iat,
                                pol->max_lifetime,
                                ids(id, cl->jti, cl->sub, cl->iss));
        }
    }
    if (pol->issuers && pol->issuers->nelts > 0
        && (!cl->iss || !in_list(pol->issuers, cl->iss))) {
        return ajwt_err_set(err, AJWT_EISSUER, "%s (%s)",
                            cl->iss ? "issuer not accepted" : "no iss claim",
                            ids(id, cl->jti, cl->sub, cl->iss));
    }
    if (pol->audiences && pol->audiences->nelts > 0) {
        json_t *aud = json_object_get(cl->json, "aud");
        if (!aud || !aud_matches(aud, pol->audiences)) {
            return ajwt_err_set(err, AJWT_EAUDIENCE, "%s (%s)",
                                aud ? "no accepted audience in aud"
                                    : "no aud claim",
                                ids(id, cl->jti, cl->sub, cl->iss));
        }
    }
    if (pol->resource) {
        /* RFC 8707 / RFC 9068 3: a token for another resource server is
         * not one for this location, even from an accepted audience */
        json_t *aud = json_object_get(cl->json, "aud");
        if (!aud || !aud_has(aud, pol->resource)) {
            return ajwt_err_set(err, AJWT_EAUDIENCE, "%s this resource %.96s "
                                "(AuthJWTResource; %s)",
                                aud ? "aud does not hold" : "no aud claim for",
                                pol->resource,
                                ids(id, cl->jti, cl->sub, cl->iss));
        }
    }
    if (pol->required) {
        int i;
        for (i = 0; i < pol->required->nelts; i++) {
            const char *path = APR_ARRAY_IDX(pol->required, i, const char *);
            if (!ajwt_json_path(cl->json, path)) {
                return ajwt_err_set(err, AJWT_ECLAIM, "required claim %s is "
                                    "missing (%s)", path,
                                    ids(id, cl->jti, cl->sub, cl->iss));
            }
        }
    }
    return AJWT_OK;
}

const char *ajwt_claims_string(const ajwt_claims_t *cl, const char *path,
                               apr_pool_t *p)
{
    json_t *v = ajwt_json_path(cl->json, path);
    if (!json_is_string(v) && !json_is_number(v)) {
        return NULL;
    }
    return ajwt_json_text(v, p);
}

/* True when s is word or has it as one of its space-separated words. */
static int has_word_in(const char *s, const char *word, size_t wlen)
{
    while (*s) {
        const char *end;
        while (*s == ' ') {
            s++;
        }
        end = strchr(s, ' ');
        if (!end) {
            end = s + strlen(s);
        }
        if ((size_t)(end - s) == wlen && !memcmp(s, word, wlen)) {
            return 1;
        }
        s = end;
    }
    return 0;
}

int ajwt_claims_has_word(const ajwt_claims_t *cl, const char *path,
                         const char *word)
{
    json_t *v, *e;
    size_t i, wlen;

    if (!cl || !word || !*word) {
        return 0;
    }
    v = ajwt_json_path(cl->json, path);
    wlen = strlen(word);
    if (json_is_string(v)) {
        return has_word_in(json_string_value(v), word, wlen);
    }
    json_array_foreach(v, i, e) {
        if (json_is_string(e) && !strcmp(json_string_value(e), word)) {
            return 1;
        }
    }
    return 0;
}

int ajwt_claims_has_scope(const ajwt_claims_t *cl, const char *scope)
{
    return ajwt_claims_has_word(cl, "scope", scope)
           || ajwt_claims_has_word(cl, "scp", scope);
}

/*
 * A decimal number as people write one in a Require line: sign, digits,
 * point, exponent. No blanks, hex, "inf" or "nan", which strtod would
 * also take.
 */
static int is_decimal(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!strchr("0123456789+-.eE", *s)) {
            return 0;
        }
    }
    return 1;
}

static int parse_int(const char *s, json_int_t *out)
{
    char *end;
    long long n;
    if (!is_decimal(s)) {
        return 0;
    }
    errno = 0;
    n = strtoll(s, &end, 10);
    if (errno || *end) {
        return 0;
    }
    *out = (json_int_t)n;
    return 1;
}

static int parse_real(const char *s, double *out)
{
    char *end;
    if (!is_decimal(s)) {
        return 0;
    }
    errno = 0;
    *out = strtod(s, &end);
    return !errno && !*end;
}

static int scalar_equals(const json_t *v, const char *value)
{
    json_int_t n;
    double d;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return !strcmp(json_string_value(v), value);
    case JSON_INTEGER:
        if (parse_int(value, &n)) {
            return json_integer_value(v) == n;
        }
        /* "5.0" or "5e0" for 5: equal only where doubles are exact. */
        return parse_real(value, &d) && d > -9007199254740992.0
               && d < 9007199254740992.0
               && (double)json_integer_value(v) == d
               && json_integer_value(v) == (json_int_t)d;
    case JSON_REAL:
        return parse_real(value, &d) && json_real_value(v) == d;
    case JSON_TRUE:
        return !strcmp(value, "true");
    case JSON_FALSE:
        return !strcmp(value, "false");
    default:
        return 0;       /* null and objects equal no Require word */
    }
}

int ajwt_claims_equals(const ajwt_claims_t *cl, const char *path,
                       const char *value)
{
    json_t *v, *e;
    size_t i;

    if (!cl || !value) {
        return 0;
    }
    v = ajwt_json_path(cl->json, path);
    if (!v) {
        return 0;
    }
    if (!json_is_array(v)) {
        return scalar_equals(v, value);
    }
    json_array_foreach(v, i, e) {
        if (scalar_equals(e, value)) {
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------ environment, headers */

#define ENV_PREFIX      "JWT_CLAIM_"
#define ENV_PREFIX_LEN  (sizeof(ENV_PREFIX) - 1)

/* [A-Za-z0-9_] by value, not isalnum(): a module such as mod_php may set
 * a locale in which bytes of UTF-8 count as letters */
static int env_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '_';
}

const char *ajwt_claims_env_name(const char *claim, apr_pool_t *p)
{
    apr_size_t n;
    char *env, *s;

    if (!claim) {
        return NULL;
    }
    /* one copy of the name behind the prefix: this runs for every claim
     * of every request that exports them */
    n = strlen(claim);
    env = apr_palloc(p, ENV_PREFIX_LEN + n + 1);
    memcpy(env, ENV_PREFIX, ENV_PREFIX_LEN);
    memcpy(env + ENV_PREFIX_LEN, claim, n + 1);
    for (s = env + ENV_PREFIX_LEN; *s; s++) {
        if (!env_char((unsigned char)*s)) {
            *s = '_';
        }
    }
    return env;
}

static char header_fold(char c)
{
    if (c == '_') {
        return '-';
    }
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int ajwt_claims_header_same(const char *a, const char *b)
{
    if (!a || !b) {
        return 0;
    }
    for (; *a && *b; a++, b++) {
        if (header_fold(*a) != header_fold(*b)) {
            return 0;
        }
    }
    return *a == *b;
}
