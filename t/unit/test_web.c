/*
 * test_web.c: finding a token in Authorization, Cookie and query strings.
 */
#include "ajwt_web.h"
#include "unit.h"

#define T "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln-_"

static int same(const char *got, const char *want)
{
    if (!got || !want) {
        return got == want;
    }
    return !strcmp(got, want);
}

static void bearer(apr_pool_t *p)
{
    static const struct { const char *in, *want, *why; } cases[] = {
        { "Bearer " T, T, "plain" },
        { "bearer " T, T, "lower case scheme" },
        { "BEARER " T, T, "upper case scheme" },
        { "BeArEr " T, T, "mixed case scheme" },
        { "Bearer    " T, T, "several spaces" },
        { "Bearer " T "   ", T, "trailing spaces" },
        { "Bearer " T " \t", T, "trailing tab" },
        { "Bearer abc+/~==", "abc+/~==", "b64token with padding" },
        { "Bearer", NULL, "scheme only" },
        { "Bearer ", NULL, "scheme and space" },
        { "Bearer    ", NULL, "scheme and spaces" },
        { "", NULL, "empty" },
        { "Bearer" T, NULL, "no space" },
        { "Bearer\t" T, NULL, "tab is not SP" },
        { "Basic dXNlcjpwYXNz", NULL, "Basic" },
        { "Bearerx " T, NULL, "longer scheme" },
        { "Bear " T, NULL, "shorter scheme" },
        { " Bearer " T, NULL, "leading space" },
        { "Bearer " T " extra", NULL, "second word" },
        { "Bearer " T ",Bearer " T, NULL, "two credentials" },
        { "Bearer " T "\r\nX: y", NULL, "CRLF after" },
        { "Bearer a=b", NULL, "= inside" },
        { "Bearer ===", NULL, "padding only" },
        { "Bearer \"" T "\"", NULL, "quoted" },
        { "Bearer tok\x01", NULL, "control char" },
        { "Bearer t\xc3\xa9", NULL, "non-ASCII" },
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ajwt_web_bearer(cases[i].in, p);
        ok(same(got, cases[i].want), "%s: got %s", cases[i].why,
           got ? got : "(null)");
    }
    ok(ajwt_web_bearer(NULL, p) == NULL, "NULL header");
}

static void cookie(apr_pool_t *p)
{
    static const struct { const char *in, *name, *want, *why; } cases[] = {
        { "jwt=" T, "jwt", T, "single" },
        { "a=1; jwt=" T "; b=2", "jwt", T, "middle" },
        { "a=1;jwt=" T, "jwt", T, "no space after ;" },
        { "a=1;   jwt=" T "  ", "jwt", T, "spaces trimmed" },
        { "jwt = " T, "jwt", T, "spaces around =" },
        { "jwt=\"" T "\"", "jwt", T, "quoted value" },
        { "jwt=\"\"", "jwt", NULL, "empty quoted value" },
        { "jwt=\"", "jwt", "\"", "lone quote kept" },
        { "jwt=first; jwt=second", "jwt", "first", "first match wins" },
        { "jwt=; jwt=second", "jwt", NULL, "first, empty, wins" },
        { "xjwt=no; jwt=yes", "jwt", "yes", "suffix name not matched" },
        { "jwtx=no; jwt=yes", "jwt", "yes", "prefix name not matched" },
        { "JWT=no; jwt=yes", "jwt", "yes", "names are case-sensitive" },
        { "JWT=no", "jwt", NULL, "only other case" },
        { "a=1; b=2", "jwt", NULL, "absent" },
        { "jwt", "jwt", NULL, "no =" },
        { "jwt;jwt=v", "jwt", "v", "bare name skipped" },
        { "", "jwt", NULL, "empty header" },
        { ";;; ;", "jwt", NULL, "only separators" },
        { "a=b=c; jwt=x=y", "jwt", "x=y", "= in value kept" },
        { "a=\"x;jwt=evil\"; jwt=good", "jwt", "evil\"",
          "no quoting of ; (RFC 6265 cookie-octets exclude it)" },
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ajwt_web_cookie(cases[i].in, cases[i].name, p);
        ok(same(got, cases[i].want), "%s: got %s", cases[i].why,
           got ? got : "(null)");
    }
    ok(ajwt_web_cookie(NULL, "jwt", p) == NULL, "NULL header");
    ok(ajwt_web_cookie("jwt=x", NULL, p) == NULL, "NULL name");
    ok(ajwt_web_cookie("=x", "", p) == NULL, "empty name");
}

static void query(apr_pool_t *p)
{
    static const struct { const char *in, *name, *want, *why; } cases[] = {
        { "access_token=" T, "access_token", T, "single" },
        { "a=1&access_token=" T "&b=2", "access_token", T, "middle" },
        { "access_token=a%2Eb", "access_token", "a.b", "%XX decoded" },
        { "access_token=a%2eb", "access_token", "a.b", "lower-case hex" },
        { "access_token=a+b", "access_token", "a b", "+ is a space" },
        { "access_token=a%2", "access_token", NULL, "short escape" },
        { "access_token=a%", "access_token", NULL, "lone %" },
        { "access_token=%zz", "access_token", NULL, "bad hex" },
        { "access_token=a%00b", "access_token", NULL, "%00" },
        { "access_token=", "access_token", NULL, "empty" },
        { "access_token", "access_token", NULL, "no =" },
        { "access_token&access_token=x", "access_token", "x",
          "bare name skipped" },
        { "t=1&t=2", "t", "1", "first match wins" },
        { "xt=1&t=2", "t", "2", "suffix name not matched" },
        { "tx=1&t=2", "t", "2", "prefix name not matched" },
        { "T=1", "t", NULL, "case-sensitive" },
        { "a=1", "t", NULL, "absent" },
        { "", "t", NULL, "empty args" },
        { "&&t=v&&", "t", "v", "empty pairs" },
        { "t=a=b", "t", "a=b", "= in value" },
        { "t=a;b", "t", "a;b", "; is not a separator" },
        { "t%3D=x", "t=", NULL, "names are not decoded" },
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ajwt_web_query(cases[i].in, cases[i].name, p);
        ok(same(got, cases[i].want), "%s: got %s", cases[i].why,
           got ? got : "(null)");
    }
    ok(ajwt_web_query(NULL, "t", p) == NULL, "NULL args");
    ok(ajwt_web_query("t=1", NULL, p) == NULL, "NULL name");
}

static void copies(apr_pool_t *p)
{
    /* Results are copies from p: the input may be reused afterwards. */
    char buf[64];
    const char *got;
    strcpy(buf, "Bearer abc");
    got = ajwt_web_bearer(buf, p);
    memset(buf, 'x', sizeof(buf) - 1);
    ok(same(got, "abc"), "bearer copy");
    strcpy(buf, "jwt=abc; z=1");
    got = ajwt_web_cookie(buf, "jwt", p);
    memset(buf, 'x', sizeof(buf) - 1);
    ok(same(got, "abc"), "cookie copy");
}

UNIT_MAIN(bearer, cookie, query, copies)
