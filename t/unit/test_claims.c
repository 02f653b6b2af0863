/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_claims.c: registered claims at every edge of every rule, and the
 * role/scope/claim lookups behind the Require lines.
 */
#include "ajwt_claims.h"
#include "ajwt_json.h"
#include "unit.h"

#define AT(s) apr_time_from_sec(s)

/* Read claims from JSON text; st and err get what ajwt_claims_read said. */
static ajwt_claims_t *read_st(apr_pool_t *p, const char *json,
                              ajwt_status_t *st, ajwt_err_t *err)
{
    json_t *j = NULL;
    ajwt_claims_t *cl = NULL;
    *st = ajwt_json_parse_object(&j, json, strlen(json), "payload", p, err);
    if (*st == AJWT_OK) {
        *st = ajwt_claims_read(&cl, j, p, err);
    }
    return cl;
}

static ajwt_claims_t *claims(apr_pool_t *p, const char *json)
{
    ajwt_status_t st;
    ajwt_err_t err = { 0 };
    ajwt_claims_t *cl = read_st(p, json, &st, &err);
    if (st != AJWT_OK) {
        diag("cannot read %s: %s", json, err.text);
    }
    return cl;
}

static ajwt_policy_t policy(int leeway)
{
    ajwt_policy_t pol = { 0 };
    pol.leeway = leeway;
    pol.max_age = -1;
    return pol;
}

static apr_array_header_t *list(apr_pool_t *p, const char *a, const char *b)
{
    apr_array_header_t *l = apr_array_make(p, 2, sizeof(const char *));
    if (a) {
        APR_ARRAY_PUSH(l, const char *) = a;
    }
    if (b) {
        APR_ARRAY_PUSH(l, const char *) = b;
    }
    return l;
}

static ajwt_status_t check(const ajwt_claims_t *cl, const ajwt_policy_t *pol,
                           apr_int64_t now)
{
    return ajwt_claims_check(cl, pol, AT(now), NULL);
}

static void read_all(apr_pool_t *p)
{
    ajwt_claims_t *cl = claims(p, "{\"sub\":\"alice\",\"jti\":\"j1\","
                               "\"iss\":\"https://idp\",\"exp\":2000,"
                               "\"nbf\":900,\"iat\":1000,\"aud\":\"api\"}");
    ok(cl != NULL, "read");
    if (!cl) {
        return;
    }
    is_int(cl->exp, 2000, "exp");
    is_int(cl->nbf, 900, "nbf");
    is_int(cl->iat, 1000, "iat");
    ok(cl->has_nbf && cl->has_iat, "has nbf and iat");
    ok(!strcmp(cl->sub, "alice"), "sub");
    ok(!strcmp(cl->jti, "j1"), "jti");
    ok(!strcmp(cl->iss, "https://idp"), "iss");
    ok(cl->json && json_is_object(cl->json), "json kept");

    cl = claims(p, "{\"exp\":1}");
    ok(cl && !cl->has_nbf && !cl->has_iat && !cl->sub && !cl->jti
       && !cl->iss, "optional claims absent");
    cl = claims(p, "{\"exp\":0,\"nbf\":0,\"iat\":0}");
    ok(cl && cl->exp == 0 && cl->has_nbf && cl->has_iat, "zero dates");
    cl = claims(p, "{\"exp\":253402300799}");
    ok(cl && cl->exp == AJWT_MAX_NUMERIC_DATE, "year 9999 accepted");
    cl = claims(p, "{\"exp\":5,\"aud\":[]}");
    ok(cl != NULL, "empty aud array is well-formed");
    cl = claims(p, "{\"exp\":5,\"aud\":[\"a\",\"b\"]}");
    ok(cl != NULL, "aud array of strings");
}

static void read_refused(apr_pool_t *p)
{
    static const struct { const char *json; const char *why; } bad[] = {
        { "{\"sub\":\"u\"}", "exp missing" },
        { "{\"exp\":\"2000\"}", "exp string" },
        { "{\"exp\":1e300}", "exp huge real" },
        { "{\"exp\":253402300799.5}", "exp real past year 9999" },
        { "{\"exp\":2.6e11}", "exp exponent form past year 9999" },
        { "{\"exp\":-0.5}", "exp negative real" },
        { "{\"exp\":-1e-300}", "exp tiny negative real" },
        { "{\"exp\":\"2000.5\"}", "exp string with a fraction" },
        { "{\"exp\":253402300800}", "exp past year 9999" },
        { "{\"exp\":9223372036854775807}", "exp INT64_MAX" },
        { "{\"exp\":-1}", "exp negative" },
        { "{\"exp\":-9223372036854775807}", "exp very negative" },
        { "{\"exp\":true}", "exp boolean" },
        { "{\"exp\":null}", "exp null" },
        { "{\"exp\":[2000]}", "exp array" },
        { "{\"exp\":{}}", "exp object" },
        { "{\"exp\":2000,\"nbf\":\"1\"}", "nbf string" },
        { "{\"exp\":2000,\"nbf\":-5}", "nbf negative" },
        { "{\"exp\":2000,\"nbf\":-0.25}", "nbf negative real" },
        { "{\"exp\":2000,\"nbf\":253402300799.01}",
          "nbf real past year 9999" },
        { "{\"exp\":2000,\"iat\":false}", "iat boolean" },
        { "{\"exp\":2000,\"iat\":1e20}", "iat huge real" },
        { "{\"exp\":2000,\"iat\":-3.5}", "iat negative real" },
        { "{\"exp\":2000,\"iat\":253402300800}", "iat huge" },
        { "{\"exp\":2000,\"sub\":42}", "sub number" },
        { "{\"exp\":2000,\"sub\":null}", "sub null" },
        { "{\"exp\":2000,\"jti\":[\"a\"]}", "jti array" },
        { "{\"exp\":2000,\"iss\":{}}", "iss object" },
        { "{\"exp\":2000,\"aud\":42}", "aud number" },
        { "{\"exp\":2000,\"aud\":{\"a\":1}}", "aud object" },
        { "{\"exp\":2000,\"aud\":[\"a\",1]}", "aud array with number" },
        { "{\"exp\":2000,\"aud\":[[\"a\"]]}", "aud nested array" },
        { "{\"exp\":2000,\"aud\":null}", "aud null" },
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ajwt_err_t err = { 0 };
        ajwt_status_t st;
        ajwt_claims_t *cl = read_st(p, bad[i].json, &st, &err);
        is_int(st, AJWT_ECLAIM, "%s refused (%s)", bad[i].why, err.text);
        ok(cl == NULL, "%s: no claims out", bad[i].why);
        ok(err.text[0] != '\0', "%s: has a reason", bad[i].why);
    }
    {
        /* Beyond int64 Jansson itself refuses the document. */
        ajwt_status_t st;
        read_st(p, "{\"exp\":99999999999999999999}", &st, NULL);
        is_int(st, AJWT_EMALFORMED, "exp beyond int64 is malformed");
    }
    {
        /* A real past a double's range is no infinity: Jansson refuses. */
        ajwt_status_t st;
        read_st(p, "{\"exp\":1e309}", &st, NULL);
        is_int(st, AJWT_EMALFORMED, "exp beyond a double is malformed");
    }
    {
        ajwt_claims_t *cl = (ajwt_claims_t *)1;
        json_t *arr = ajwt_json_own(json_array(), p);
        is_int(ajwt_claims_read(&cl, arr, p, NULL), AJWT_EMALFORMED,
               "non-object payload");
        ok(cl == NULL, "out cleared");
    }
    {
        ajwt_err_t err = { 0 };
        ajwt_status_t st;
        read_st(p, "{\"jti\":\"j-77\",\"sub\":\"bob\",\"exp\":\"x\"}", &st,
                &err);
        ok(strstr(err.text, "exp") && strstr(err.text, "j-77")
           && strstr(err.text, "bob"), "reason names claim, jti, sub: %s",
           err.text);
    }
}

/* RFC 7519 section 2: a NumericDate may be non-integer. Each rounds
 * toward the stricter answer: exp down, nbf and iat up. */
static void fractional_dates(apr_pool_t *p)
{
    static const struct {
        const char *json; apr_int64_t exp, nbf, iat; const char *why;
    } good[] = {
        { "{\"exp\":1767225600.5}", 1767225600, -1, -1, "exp .5 down" },
        { "{\"exp\":2000.999}", 2000, -1, -1, "exp .999 down" },
        { "{\"exp\":2000.0}", 2000, -1, -1, "exp 2000.0" },
        { "{\"exp\":2e3}", 2000, -1, -1, "exp exponent form" },
        { "{\"exp\":2.0005e3}", 2000, -1, -1, "exp exponent fraction" },
        { "{\"exp\":0.5}", 0, -1, -1, "exp 0.5 down to 0" },
        { "{\"exp\":-0.0}", 0, -1, -1, "exp -0.0 is zero" },
        { "{\"exp\":253402300799.0}", AJWT_MAX_NUMERIC_DATE, -1, -1,
          "exp year 9999 as a real" },
        { "{\"exp\":9,\"nbf\":1.5}", 9, 2, -1, "nbf 1.5 up" },
        { "{\"exp\":9,\"nbf\":1.001}", 9, 2, -1, "nbf 1.001 up" },
        { "{\"exp\":9,\"nbf\":7.0}", 9, 7, -1, "nbf 7.0 stays" },
        { "{\"exp\":9,\"nbf\":0.25}", 9, 1, -1, "nbf 0.25 up to 1" },
        { "{\"exp\":9,\"nbf\":253402300798.5}", 9,
          AJWT_MAX_NUMERIC_DATE, -1, "nbf up to year 9999" },
        { "{\"exp\":9,\"iat\":999.25}", 9, -1, 1000, "iat 999.25 up" },
        { "{\"exp\":9,\"iat\":1e3}", 9, -1, 1000, "iat 1e3" },
        { "{\"exp\":9.5,\"nbf\":3.5,\"iat\":4.5}", 9, 4, 5,
          "all three" },
    };
    size_t i;
    ajwt_policy_t pol = policy(0);
    ajwt_claims_t *cl;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ajwt_err_t err = { 0 };
        ajwt_status_t st;
        cl = read_st(p, good[i].json, &st, &err);
        is_int(st, AJWT_OK, "%s accepted (%s)", good[i].why, err.text);
        if (!cl) {
            continue;
        }
        is_int(cl->exp, good[i].exp, "%s: exp", good[i].why);
        ok(cl->has_nbf == (good[i].nbf >= 0), "%s: has_nbf", good[i].why);
        ok(cl->has_iat == (good[i].iat >= 0), "%s: has_iat", good[i].why);
        if (good[i].nbf >= 0) {
            is_int(cl->nbf, good[i].nbf, "%s: nbf", good[i].why);
        }
        if (good[i].iat >= 0) {
            is_int(cl->iat, good[i].iat, "%s: iat", good[i].why);
        }
    }

    /* The rounding as the checks see it, with no leeway. */
    cl = claims(p, "{\"exp\":2000.9}");
    if (!ok(cl != NULL, "exp 2000.9 read")) {
        return;
    }
    is_int(check(cl, &pol, 1999), AJWT_OK, "exp 2000.9: valid at 1999");
    is_int(check(cl, &pol, 2000), AJWT_EEXPIRED,
           "exp 2000.9: expired at 2000, not 2001");
    cl = claims(p, "{\"exp\":5000,\"nbf\":1000.1}");
    if (!ok(cl != NULL, "nbf 1000.1 read")) {
        return;
    }
    is_int(check(cl, &pol, 1000), AJWT_ENOTYET,
           "nbf 1000.1: not yet at 1000");
    is_int(check(cl, &pol, 1001), AJWT_OK, "nbf 1000.1: valid at 1001");
    cl = claims(p, "{\"exp\":5000,\"iat\":1000.1}");
    if (!ok(cl != NULL, "iat 1000.1 read")) {
        return;
    }
    is_int(check(cl, &pol, 1000), AJWT_ENOTYET,
           "iat 1000.1: in the future at 1000");
    is_int(check(cl, &pol, 1001), AJWT_OK, "iat 1000.1: fine at 1001");
    pol.max_age = 10;
    is_int(check(cl, &pol, 1011), AJWT_OK, "iat 1000.1 counts as 1001: "
           "10 s old at 1011");
    is_int(check(cl, &pol, 1012), AJWT_EMAXAGE, "and too old at 1012");
}

static void exp_edges(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *cl = claims(p, "{\"sub\":\"u\",\"exp\":1000,"
                               "\"jti\":\"j1\"}");
    ajwt_err_t err = { 0 };
    is_int(check(cl, &pol, 0), AJWT_OK, "long before");
    is_int(check(cl, &pol, 999), AJWT_OK, "before exp");
    is_int(check(cl, &pol, 1000), AJWT_OK, "at exp, within leeway");
    is_int(check(cl, &pol, 1029), AJWT_OK, "exp + leeway - 1 accepted");
    is_int(check(cl, &pol, 1030), AJWT_EEXPIRED, "exp + leeway refused");
    is_int(check(cl, &pol, 100000), AJWT_EEXPIRED, "long after");
    is_int(ajwt_claims_check(cl, &pol, AT(1030) + 999999, NULL),
           AJWT_EEXPIRED, "fractions of a second do not help");
    is_int(ajwt_claims_check(cl, &pol, AT(1029) + 999999, NULL), AJWT_OK,
           "whole seconds count");
    is_int(ajwt_claims_check(cl, &pol, AT(1040), &err), AJWT_EEXPIRED,
           "expired with reason");
    is_int(err.status, AJWT_EEXPIRED, "err status");
    ok(strstr(err.text, "40s") && strstr(err.text, "jti j1")
       && strstr(err.text, "sub u"), "reason: %s", err.text);

    pol = policy(0);
    is_int(check(cl, &pol, 999), AJWT_OK, "no leeway: exp - 1");
    is_int(check(cl, &pol, 1000), AJWT_EEXPIRED, "no leeway: at exp");

    cl = claims(p, "{\"exp\":0}");
    is_int(check(cl, &pol, 0), AJWT_EEXPIRED, "exp 0 at epoch");
    cl = claims(p, "{\"exp\":253402300799}");
    pol = policy(30);
    is_int(check(cl, &pol, 1700000000), AJWT_OK, "far future exp");
}

static void nbf_edges(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *cl = claims(p, "{\"exp\":5000,\"nbf\":2000,"
                               "\"jti\":\"n1\"}");
    ajwt_err_t err = { 0 };
    is_int(check(cl, &pol, 2000), AJWT_OK, "at nbf");
    is_int(check(cl, &pol, 1970), AJWT_OK, "nbf - leeway accepted");
    is_int(check(cl, &pol, 1969), AJWT_ENOTYET, "nbf - leeway - 1 refused");
    is_int(check(cl, &pol, 0), AJWT_ENOTYET, "long before");
    is_int(ajwt_claims_check(cl, &pol, AT(1900), &err), AJWT_ENOTYET,
           "reason");
    ok(strstr(err.text, "100s") && strstr(err.text, "nbf")
       && strstr(err.text, "n1"), "reason: %s", err.text);
    pol = policy(0);
    is_int(check(cl, &pol, 2000), AJWT_OK, "no leeway: at nbf");
    is_int(check(cl, &pol, 1999), AJWT_ENOTYET, "no leeway: nbf - 1");
}

static void iat_future(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *cl = claims(p, "{\"exp\":5000,\"iat\":2000}");
    ajwt_err_t err = { 0 };
    is_int(check(cl, &pol, 2000), AJWT_OK, "at iat");
    is_int(check(cl, &pol, 1970), AJWT_OK, "iat - leeway accepted");
    is_int(check(cl, &pol, 1969), AJWT_ENOTYET, "iat beyond leeway refused");
    is_int(ajwt_claims_check(cl, &pol, AT(1000), &err), AJWT_ENOTYET,
           "far future");
    ok(strstr(err.text, "iat") && strstr(err.text, "1000s"), "reason: %s",
       err.text);
    pol = policy(0);
    is_int(check(cl, &pol, 1999), AJWT_ENOTYET, "no leeway: iat - 1");
}

static void max_age(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *cl = claims(p, "{\"exp\":99999,\"iat\":1000}");
    ajwt_claims_t *noiat = claims(p, "{\"exp\":99999,\"jti\":\"q\"}");
    ajwt_err_t err = { 0 };

    is_int(check(noiat, &pol, 1000), AJWT_OK, "no max age, no iat: fine");
    pol.max_age = 100;
    is_int(check(cl, &pol, 1000), AJWT_OK, "fresh");
    is_int(check(cl, &pol, 1100), AJWT_OK, "at max age");
    is_int(check(cl, &pol, 1130), AJWT_OK, "max age + leeway accepted");
    is_int(check(cl, &pol, 1131), AJWT_EMAXAGE, "max age + leeway + 1");
    is_int(ajwt_claims_check(cl, &pol, AT(2000), &err), AJWT_EMAXAGE,
           "old");
    ok(strstr(err.text, "1000s") && strstr(err.text, "100s"), "reason: %s",
       err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_claims_check(noiat, &pol, AT(1000), &err), AJWT_EMAXAGE,
           "max age without iat refused");
    ok(strstr(err.text, "iat") && strstr(err.text, "jti q"), "reason: %s",
       err.text);

    pol = policy(0);
    pol.max_age = 0;
    is_int(check(cl, &pol, 1000), AJWT_OK, "max age 0: same second");
    is_int(check(cl, &pol, 1001), AJWT_EMAXAGE, "max age 0: next second");

    pol = policy(30);
    pol.max_age = APR_INT64_MAX;
    is_int(check(cl, &pol, 99000), AJWT_OK, "huge max age, no overflow");
    pol.max_age = 100;
    is_int(check(cl, &pol, 980), AJWT_OK, "iat slightly ahead, max age");
}

static void issuers(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *a = claims(p, "{\"exp\":5000,\"iss\":\"https://a\"}");
    ajwt_claims_t *b = claims(p, "{\"exp\":5000,\"iss\":\"https://b\"}");
    ajwt_claims_t *c = claims(p, "{\"exp\":5000,\"iss\":\"https://a/\"}");
    ajwt_claims_t *none = claims(p, "{\"exp\":5000}");
    ajwt_err_t err = { 0 };

    is_int(check(none, &pol, 1000), AJWT_OK, "no issuers: any, even none");
    pol.issuers = list(p, NULL, NULL);
    is_int(check(a, &pol, 1000), AJWT_OK, "empty list: any");
    pol.issuers = list(p, "https://a", "https://b");
    is_int(check(a, &pol, 1000), AJWT_OK, "first issuer");
    is_int(check(b, &pol, 1000), AJWT_OK, "second issuer");
    is_int(ajwt_claims_check(c, &pol, AT(1000), &err), AJWT_EISSUER,
           "trailing slash is another issuer");
    ok(strstr(err.text, "https://a/") != NULL, "reason names iss: %s",
       err.text);
    is_int(check(none, &pol, 1000), AJWT_EISSUER, "missing iss refused");
    pol.issuers = list(p, "HTTPS://A", NULL);
    is_int(check(a, &pol, 1000), AJWT_EISSUER, "case matters");
}

static void audiences(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *s = claims(p, "{\"exp\":5000,\"aud\":\"api\"}");
    ajwt_claims_t *arr = claims(p, "{\"exp\":5000,\"aud\":[\"x\",\"api2\"]}");
    ajwt_claims_t *empty = claims(p, "{\"exp\":5000,\"aud\":[]}");
    ajwt_claims_t *none = claims(p, "{\"exp\":5000}");
    ajwt_err_t err = { 0 };

    is_int(check(none, &pol, 1000), AJWT_OK, "no audiences: any");
    pol.audiences = list(p, "api", "api2");
    is_int(check(s, &pol, 1000), AJWT_OK, "string equal");
    is_int(check(arr, &pol, 1000), AJWT_OK, "array containing one");
    is_int(ajwt_claims_check(none, &pol, AT(1000), &err), AJWT_EAUDIENCE,
           "missing aud refused");
    ok(strstr(err.text, "aud") != NULL, "reason: %s", err.text);
    is_int(check(empty, &pol, 1000), AJWT_EAUDIENCE, "empty array refused");
    pol.audiences = list(p, "other", NULL);
    is_int(check(s, &pol, 1000), AJWT_EAUDIENCE, "string not equal");
    is_int(check(arr, &pol, 1000), AJWT_EAUDIENCE, "array without one");
    pol.audiences = list(p, "ap", NULL);
    is_int(check(s, &pol, 1000), AJWT_EAUDIENCE, "prefix is not equal");
}

/* AuthJWTResource: aud must hold the resource, besides any audience. */
static void resource(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *s = claims(p, "{\"exp\":5000,\"aud\":"
                              "\"https://api.test/\"}");
    ajwt_claims_t *arr = claims(p, "{\"exp\":5000,\"aud\":[\"client-1\","
                                "\"https://api.test/\"]}");
    ajwt_claims_t *other = claims(p, "{\"exp\":5000,\"jti\":\"j-r\","
                                  "\"aud\":[\"client-1\","
                                  "\"https://other.test/\"]}");
    ajwt_claims_t *none = claims(p, "{\"exp\":5000}");
    ajwt_err_t err = { 0 };

    pol.resource = "https://api.test/";
    is_int(check(s, &pol, 1000), AJWT_OK, "aud is the resource");
    is_int(check(arr, &pol, 1000), AJWT_OK, "aud array holds it");
    is_int(ajwt_claims_check(other, &pol, AT(1000), &err), AJWT_EAUDIENCE,
           "aud without it: refused");
    ok(strstr(err.text, "https://api.test/") && strstr(err.text, "j-r"),
       "reason names the resource and jti: %s", err.text);
    is_int(check(none, &pol, 1000), AJWT_EAUDIENCE, "no aud: refused");
    pol.resource = "https://api.test";
    is_int(check(s, &pol, 1000), AJWT_EAUDIENCE, "no trailing slash: another "
           "resource (exact comparison)");
    /* both rules at once: an accepted audience does not stand in for the
     * resource, nor the resource for an audience */
    pol.resource = "https://api.test/";
    pol.audiences = list(p, "client-1", NULL);
    is_int(check(arr, &pol, 1000), AJWT_OK, "audience and resource: ok");
    is_int(check(other, &pol, 1000), AJWT_EAUDIENCE,
           "audience but not the resource: refused");
    is_int(check(s, &pol, 1000), AJWT_EAUDIENCE,
           "resource but not the audience: refused");
}

static void required(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(30);
    ajwt_claims_t *cl = claims(p, "{\"exp\":5000,\"email\":\"a@b\","
                               "\"realm_access\":{\"roles\":[]},"
                               "\"x.y\":1,\"n\":null}");
    ajwt_err_t err = { 0 };

    pol.required = list(p, "email", "realm_access.roles");
    is_int(check(cl, &pol, 1000), AJWT_OK, "present, nested present");
    pol.required = list(p, "x.y", "n");
    is_int(check(cl, &pol, 1000), AJWT_OK, "literal dotted, null value");
    pol.required = list(p, "email", "phone");
    is_int(ajwt_claims_check(cl, &pol, AT(1000), &err), AJWT_ECLAIM,
           "missing refused");
    ok(strstr(err.text, "phone") != NULL, "reason names claim: %s",
       err.text);
    pol.required = list(p, "realm_access.groups", NULL);
    is_int(check(cl, &pol, 1000), AJWT_ECLAIM, "missing nested refused");
}

static void order(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(0);
    ajwt_claims_t *cl = claims(p, "{\"exp\":1000,\"nbf\":5000,"
                               "\"iat\":6000,\"iss\":\"bad\"}");
    ajwt_err_t err = { 0 };
    pol.issuers = list(p, "good", NULL);
    pol.audiences = list(p, "aud", NULL);
    pol.required = list(p, "missing", NULL);
    pol.max_age = 1;
    is_int(check(cl, &pol, 2000), AJWT_EEXPIRED, "exp first");
    cl->exp = 9000;
    is_int(check(cl, &pol, 2000), AJWT_ENOTYET, "then nbf");
    cl->has_nbf = 0;
    is_int(check(cl, &pol, 2000), AJWT_ENOTYET, "then iat");
    cl->iat = 100;
    is_int(check(cl, &pol, 2000), AJWT_EMAXAGE, "then max age");
    pol.max_age = -1;
    is_int(check(cl, &pol, 2000), AJWT_EISSUER, "then iss");
    pol.issuers = NULL;
    is_int(check(cl, &pol, 2000), AJWT_EAUDIENCE, "then aud");
    pol.audiences = NULL;
    is_int(check(cl, &pol, 2000), AJWT_ECLAIM, "then required");
    pol.required = NULL;
    is_int(check(cl, &pol, 2000), AJWT_OK, "then nothing");

    /* The first reason stays. */
    cl->exp = 1000;
    ajwt_err_set(&err, AJWT_ESIG, "first");
    is_int(ajwt_claims_check(cl, &pol, AT(2000), &err), AJWT_EEXPIRED,
           "status returned");
    ok(!strcmp(err.text, "first") && err.status == AJWT_ESIG,
       "first error kept");
}

static void message_safety(apr_pool_t *p)
{
    ajwt_policy_t pol = policy(0);
    ajwt_claims_t *cl = claims(p, "{\"exp\":10,\"sub\":\"a\\r\\nInjected: x\","
                               "\"jti\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "\"}");
    ajwt_err_t err = { 0 };
    is_int(ajwt_claims_check(cl, &pol, AT(20), &err), AJWT_EEXPIRED,
           "expired");
    ok(!ajwt_json_has_ctl(err.text), "no control characters: %s", err.text);
    ok(strstr(err.text, "sub a??Injected") != NULL, "CR LF shown as ?");
    ok(strstr(err.text, "10s ago") != NULL, "seconds kept in long message");
}

static void strings(apr_pool_t *p)
{
    ajwt_claims_t *cl = claims(p, "{\"exp\":5000,\"sub\":\"alice\","
                               "\"uid\":1234,\"r\":2.5,\"b\":true,"
                               "\"n\":null,\"o\":{\"name\":\"x\"},"
                               "\"a\":[\"x\"]}");
    const char *s;
    s = ajwt_claims_string(cl, "sub", p);
    ok(s && !strcmp(s, "alice"), "string");
    s = ajwt_claims_string(cl, "uid", p);
    ok(s && !strcmp(s, "1234"), "integer as text");
    s = ajwt_claims_string(cl, "r", p);
    ok(s && !strcmp(s, "2.5"), "real as text");
    s = ajwt_claims_string(cl, "o.name", p);
    ok(s && !strcmp(s, "x"), "nested");
    ok(ajwt_claims_string(cl, "b", p) == NULL, "boolean: NULL");
    ok(ajwt_claims_string(cl, "n", p) == NULL, "null: NULL");
    ok(ajwt_claims_string(cl, "o", p) == NULL, "object: NULL");
    ok(ajwt_claims_string(cl, "a", p) == NULL, "array: NULL");
    ok(ajwt_claims_string(cl, "missing", p) == NULL, "missing: NULL");
}

static void words(apr_pool_t *p)
{
    ajwt_claims_t *cl = claims(p, "{\"exp\":5000,"
                               "\"roles\":[\"admin\",\"user\",7,\"a b\"],"
                               "\"sroles\":\"  editor   viewer \","
                               "\"one\":\"solo\",\"num\":5,\"obj\":{},"
                               "\"realm_access\":{\"roles\":[\"kc\"]},"
                               "\"https://ex.com/roles\":\"ns1 ns2\"}");
    ok(ajwt_claims_has_word(cl, "roles", "admin"), "array first");
    ok(ajwt_claims_has_word(cl, "roles", "user"), "array second");
    ok(!ajwt_claims_has_word(cl, "roles", "adm"), "array prefix");
    ok(!ajwt_claims_has_word(cl, "roles", "Admin"), "array case");
    ok(!ajwt_claims_has_word(cl, "roles", "7"), "array number ignored");
    ok(ajwt_claims_has_word(cl, "roles", "a b"), "array element whole");
    ok(!ajwt_claims_has_word(cl, "roles", "a"), "array no splitting");
    ok(ajwt_claims_has_word(cl, "sroles", "editor"), "string first word");
    ok(ajwt_claims_has_word(cl, "sroles", "viewer"), "string last word");
    ok(!ajwt_claims_has_word(cl, "sroles", "edit"), "string prefix");
    ok(!ajwt_claims_has_word(cl, "sroles", "itor"), "string suffix");
    ok(!ajwt_claims_has_word(cl, "sroles", "editor viewer"),
       "two words are not one");
    ok(ajwt_claims_has_word(cl, "one", "solo"), "single word string");
    ok(!ajwt_claims_has_word(cl, "one", "sol"), "single word prefix");
    ok(!ajwt_claims_has_word(cl, "one", ""), "empty word");
    ok(!ajwt_claims_has_word(cl, "sroles", " "), "space word");
    ok(!ajwt_claims_has_word(cl, "num", "5"), "number claim");
    ok(!ajwt_claims_has_word(cl, "obj", "x"), "object claim");
    ok(!ajwt_claims_has_word(cl, "missing", "admin"), "missing claim");
    ok(ajwt_claims_has_word(cl, "realm_access.roles", "kc"), "nested path");
    ok(ajwt_claims_has_word(cl, "https://ex.com/roles", "ns2"),
       "namespaced claim");
    ok(!ajwt_claims_has_word(NULL, "roles", "admin"), "no claims");
}

static void scopes(apr_pool_t *p)
{
    ajwt_claims_t *sc = claims(p, "{\"exp\":5000,\"scope\":\"read write\"}");
    ajwt_claims_t *scp = claims(p, "{\"exp\":5000,\"scp\":[\"read\"]}");
    ajwt_claims_t *scps = claims(p, "{\"exp\":5000,\"scp\":\"a read\"}");
    ajwt_claims_t *none = claims(p, "{\"exp\":5000,\"scopes\":\"read\"}");
    ok(ajwt_claims_has_scope(sc, "read"), "scope first");
    ok(ajwt_claims_has_scope(sc, "write"), "scope second");
    ok(!ajwt_claims_has_scope(sc, "admin"), "scope absent");
    ok(!ajwt_claims_has_scope(sc, "rea"), "scope prefix");
    ok(ajwt_claims_has_scope(scp, "read"), "scp array");
    ok(!ajwt_claims_has_scope(scp, "write"), "scp array absent");
    ok(ajwt_claims_has_scope(scps, "read"), "scp string");
    ok(!ajwt_claims_has_scope(none, "read"), "other claim name ignored");
}

static void equals(apr_pool_t *p)
{
    ajwt_claims_t *cl = claims(p, "{\"exp\":5000,\"s\":\"Yes\",\"i\":42,"
                               "\"neg\":-7,\"big\":9007199254740993,"
                               "\"r\":1.5,\"t\":true,\"f\":false,"
                               "\"n\":null,\"o\":{\"k\":\"v\"},"
                               "\"a\":[\"x\",3,false,[\"y\"]],"
                               "\"org\":{\"dept\":\"eng\"},\"e\":\"\"}");
    ok(ajwt_claims_equals(cl, "s", "Yes"), "string equal");
    ok(!ajwt_claims_equals(cl, "s", "yes"), "string case");
    ok(!ajwt_claims_equals(cl, "s", "Yes "), "string trailing space");
    ok(ajwt_claims_equals(cl, "e", ""), "empty string equal");
    ok(ajwt_claims_equals(cl, "i", "42"), "integer");
    ok(ajwt_claims_equals(cl, "i", "+42"), "integer with sign");
    ok(ajwt_claims_equals(cl, "i", "42.0"), "integer vs 42.0");
    ok(ajwt_claims_equals(cl, "i", "4.2e1"), "integer vs 4.2e1");
    ok(!ajwt_claims_equals(cl, "i", "42.5"), "integer vs 42.5");
    ok(!ajwt_claims_equals(cl, "i", "43"), "integer differs");
    ok(!ajwt_claims_equals(cl, "i", "42abc"), "integer trailing junk");
    ok(!ajwt_claims_equals(cl, "i", " 42"), "integer leading space");
    ok(!ajwt_claims_equals(cl, "i", "0x2a"), "integer hex");
    ok(!ajwt_claims_equals(cl, "i", ""), "integer vs empty");
    ok(ajwt_claims_equals(cl, "neg", "-7"), "negative");
    ok(ajwt_claims_equals(cl, "big", "9007199254740993"),
       "big integer exact");
    ok(!ajwt_claims_equals(cl, "big", "9007199254740992"),
       "big integer off by one");
    ok(!ajwt_claims_equals(cl, "big", "9007199254740993.0"),
       "big integer not via double");
    ok(!ajwt_claims_equals(cl, "i", "99999999999999999999"),
       "out of range value");
    ok(ajwt_claims_equals(cl, "r", "1.5"), "real");
    ok(ajwt_claims_equals(cl, "r", "1.50"), "real other spelling");
    ok(ajwt_claims_equals(cl, "r", "15e-1"), "real exponent");
    ok(!ajwt_claims_equals(cl, "r", "1.6"), "real differs");
    ok(!ajwt_claims_equals(cl, "r", "1.5x"), "real trailing junk");
    ok(!ajwt_claims_equals(cl, "r", "0x1.8p0"), "real hex");
    ok(ajwt_claims_equals(cl, "t", "true"), "true");
    ok(!ajwt_claims_equals(cl, "t", "false"), "true vs false");
    ok(!ajwt_claims_equals(cl, "t", "1"), "true vs 1");
    ok(!ajwt_claims_equals(cl, "t", "True"), "true vs True");
    ok(ajwt_claims_equals(cl, "f", "false"), "false");
    ok(!ajwt_claims_equals(cl, "f", "0"), "false vs 0");
    ok(!ajwt_claims_equals(cl, "n", "null"), "null never");
    ok(!ajwt_claims_equals(cl, "n", ""), "null vs empty");
    ok(!ajwt_claims_equals(cl, "o", "{\"k\":\"v\"}"), "object never");
    ok(ajwt_claims_equals(cl, "a", "x"), "array string");
    ok(ajwt_claims_equals(cl, "a", "3"), "array integer");
    ok(ajwt_claims_equals(cl, "a", "false"), "array boolean");
    ok(!ajwt_claims_equals(cl, "a", "y"), "nested array not searched");
    ok(!ajwt_claims_equals(cl, "a", "z"), "array without");
    ok(ajwt_claims_equals(cl, "org.dept", "eng"), "nested path");
    ok(!ajwt_claims_equals(cl, "missing", "x"), "missing");
    ok(!ajwt_claims_equals(cl, "s", NULL), "NULL value");
    ok(!ajwt_claims_equals(NULL, "s", "Yes"), "no claims");
}

/* AuthJWTClaimsEnv: JWT_CLAIM_<name>, every byte outside [A-Za-z0-9_]
 * made '_'. */
static void env_names(apr_pool_t *p)
{
    static const struct { const char *claim, *env; } cases[] = {
        { "sub", "JWT_CLAIM_sub" },
        { "Given_Name9", "JWT_CLAIM_Given_Name9" },
        { "realm_access.roles", "JWT_CLAIM_realm_access_roles" },
        { "https://example.com/roles", "JWT_CLAIM_https___example_com_roles" },
        { "x-custom-id", "JWT_CLAIM_x_custom_id" },
        { "a b\tc=d;e", "JWT_CLAIM_a_b_c_d_e" },
        { "caf\xc3\xa9", "JWT_CLAIM_caf__" },             /* 2 bytes */
        { "\xe6\x97\xa5", "JWT_CLAIM____" },              /* 3 bytes */
        { "\xf0\x9f\x94\x91k", "JWT_CLAIM_____k" },       /* 4 bytes */
        { "\xff\x80\x7f", "JWT_CLAIM____" },
        { "", "JWT_CLAIM_" },
        { "_", "JWT_CLAIM__" },
        { "JWT_CLAIM_x", "JWT_CLAIM_JWT_CLAIM_x" },
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *env = ajwt_claims_env_name(cases[i].claim, p);
        ok(env && !strcmp(env, cases[i].env), "%s (got %s)", cases[i].env,
           env ? env : "NULL");
    }
    ok(ajwt_claims_env_name(NULL, p) == NULL, "NULL claim: NULL");
    {
        char claim[] = "a.b";
        const char *env = ajwt_claims_env_name(claim, p);
        ok(env && !strcmp(claim, "a.b"), "the claim name is not touched");
    }
    {
        /* a long name: no fixed buffer anywhere */
        char *claim = apr_palloc(p, 5001);
        const char *env;
        memset(claim, '.', 5000);
        claim[5000] = '\0';
        env = ajwt_claims_env_name(claim, p);
        ok(env && strlen(env) == 5010 && env[5009] == '_' && !env[5010],
           "5000 dots: 5000 underscores");
    }
}

/* AuthJWTClaimHeader: a client header that could pose as ours. */
static void header_names(apr_pool_t *p)
{
    (void)p;
    ok(ajwt_claims_header_same("X-Jwt-User", "X-Jwt-User"), "same");
    ok(ajwt_claims_header_same("x-jwt-user", "X-JWT-USER"), "case");
    ok(ajwt_claims_header_same("X_Jwt_User", "X-Jwt-User"), "'_' is '-'");
    ok(ajwt_claims_header_same("X-Jwt-User", "x_jwt_user"), "both ways");
    ok(ajwt_claims_header_same("x_jwt-user", "X-JWT_USER"), "mixed");
    ok(ajwt_claims_header_same("__", "--"), "only separators");
    ok(ajwt_claims_header_same("", ""), "both empty");
    ok(!ajwt_claims_header_same("X-Jwt-User", "X-Jwt-Users"), "longer");
    ok(!ajwt_claims_header_same("X-Jwt-Users", "X-Jwt-User"), "shorter");
    ok(!ajwt_claims_header_same("X-Jwt-User", ""), "against empty");
    ok(!ajwt_claims_header_same("", "X"), "empty against one");
    ok(!ajwt_claims_header_same("X-Jwt-User", "X.Jwt.User"), "'.' is not '-'");
    ok(!ajwt_claims_header_same("X-Jwt-User", "X Jwt User"), "nor ' '");
    ok(!ajwt_claims_header_same("X-Jwt-User", "XJwtUser"), "nor nothing");
    ok(!ajwt_claims_header_same("X-Jwt-Us\xc3\xa9r", "X-Jwt-Us\xc3\x89r"),
       "UTF-8 letters are not folded");
    ok(ajwt_claims_header_same("X-\xc3\xa9", "x_\xc3\xa9"),
       "the same UTF-8 bytes match");
    ok(!ajwt_claims_header_same("[", "{"), "'[' is not '{' (ASCII letters "
       "only)");
    ok(!ajwt_claims_header_same("@", "`"), "'@' is not '`'");
    ok(!ajwt_claims_header_same(NULL, "a") && !ajwt_claims_header_same("a",
       NULL) && !ajwt_claims_header_same(NULL, NULL), "NULL: not the same");
}

UNIT_MAIN(read_all, read_refused, fractional_dates, exp_edges, nbf_edges,
          iat_future, max_age, issuers, audiences, resource, required, order,
          message_safety, strings, words, scopes, equals, env_names,
          header_names)
