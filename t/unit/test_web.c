/* SPDX-License-Identifier: Apache-2.0 */
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

/* The DPoP scheme (RFC 9449 7.1) by the same rules; neither scheme takes
 * the other's credentials. */
static void dpop_scheme(apr_pool_t *p)
{
    ok(same(ajwt_web_credentials("DPoP " T, "DPoP", p), T), "DPoP token");
    ok(same(ajwt_web_credentials("dpop  " T, "DPoP", p), T),
       "scheme any case, spaces");
    ok(ajwt_web_credentials("Bearer " T, "DPoP", p) == NULL,
       "a Bearer header is not DPoP");
    ok(ajwt_web_bearer("DPoP " T, p) == NULL, "a DPoP header is not Bearer");
    ok(ajwt_web_credentials("DPoPX " T, "DPoP", p) == NULL, "longer scheme");
    ok(ajwt_web_credentials("DPoP " T " x", "DPoP", p) == NULL,
       "two credentials");
    ok(ajwt_web_credentials("DPoP", "DPoP", p) == NULL, "no token");
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
    /* A cookie is a copy from p; a bearer token at the end of its header
     * is the header's own bytes (no copy per request), else a copy. */
    char buf[64];
    const char *got;
    strcpy(buf, "Bearer abc");
    got = ajwt_web_bearer(buf, p);
    ok(got == buf + 7 && same(got, "abc"), "bearer: the header's bytes");
    strcpy(buf, "Bearer abc  ");
    got = ajwt_web_bearer(buf, p);
    memset(buf, 'x', sizeof(buf) - 1);
    ok(same(got, "abc"), "bearer with trailing blanks: a copy");
    strcpy(buf, "jwt=abc; z=1");
    got = ajwt_web_cookie(buf, "jwt", p);
    memset(buf, 'x', sizeof(buf) - 1);
    ok(same(got, "abc"), "cookie copy");
}

static void set_cookie(apr_pool_t *p)
{
    const char *c;

    c = ajwt_web_set_cookie("jwt", "a.b.c", "/", 900, p);
    ok(same(c, "jwt=a.b.c; Path=/; Max-Age=900; HttpOnly; Secure; "
               "SameSite=Strict"), "full cookie: %s", c ? c : "(null)");
    c = ajwt_web_set_cookie("rt", "x", "/auth/refresh", -1, p);
    ok(same(c, "rt=x; Path=/auth/refresh; HttpOnly; Secure; "
               "SameSite=Strict"), "session cookie has no Max-Age");
    c = ajwt_web_set_cookie("jwt", "", "/", 0, p);
    ok(same(c, "jwt=; Path=/; Max-Age=0; HttpOnly; Secure; "
               "SameSite=Strict"), "deleting cookie");
    ok(!ajwt_web_set_cookie("jwt", "", "/", 60, p), "empty value kept: no");
    ok(!ajwt_web_set_cookie("jwt", "a;Domain=evil.com", "/", 60, p),
       "value with ';'");
    ok(!ajwt_web_set_cookie("jwt", "a\r\nSet-Cookie: x=1", "/", 60, p),
       "value with CR/LF");
    ok(!ajwt_web_set_cookie("jwt", "a b", "/", 60, p), "value with a blank");
    ok(!ajwt_web_set_cookie("jwt", "a,b", "/", 60, p), "value with ','");
    ok(!ajwt_web_set_cookie("jwt", "\"a\"", "/", 60, p), "value with '\"'");
    ok(!ajwt_web_set_cookie("j;t", "a", "/", 60, p), "name with ';'");
    ok(!ajwt_web_set_cookie("j=t", "a", "/", 60, p), "name with '='");
    ok(!ajwt_web_set_cookie("", "a", "/", 60, p), "empty name");
    ok(!ajwt_web_set_cookie("jwt", "a", "/x; Domain=evil", 60, p),
       "path with '; '");
    ok(!ajwt_web_set_cookie("jwt", "a", "/x\n", 60, p), "path with LF");
    ok(!ajwt_web_set_cookie("jwt", "a", "x", 60, p), "relative path");
    ok(!ajwt_web_set_cookie("jwt", "a", "", 60, p), "empty path");
    ok(!ajwt_web_set_cookie(NULL, "a", "/", 60, p)
       && !ajwt_web_set_cookie("jwt", NULL, "/", 60, p)
       && !ajwt_web_set_cookie("jwt", "a", NULL, 60, p), "NULLs");
    ok(!ajwt_web_set_cookie("jwt", "caf\xc3\xa9", "/", 60, p),
       "non-ASCII value");
}

static void return_ok(apr_pool_t *p)
{
    char *big = apr_palloc(p, 2050);
    (void)p;
    ok(ajwt_web_return_ok("/ok"), "/ok");
    ok(ajwt_web_return_ok("/"), "/");
    ok(ajwt_web_return_ok("/app/page.php?x=1&y=%20z#frag"),
       "path, query, escaped blank, fragment");
    ok(!ajwt_web_return_ok("//evil.com"), "//evil.com");
    ok(!ajwt_web_return_ok("//evil.com/ok"), "//evil.com/ok");
    ok(!ajwt_web_return_ok("/\\evil.com"), "/\\evil.com");
    ok(!ajwt_web_return_ok("/ok\\..\\x"), "backslash anywhere");
    ok(!ajwt_web_return_ok("https://evil.com"), "https://evil.com");
    ok(!ajwt_web_return_ok("http://evil.com/"), "http://evil.com/");
    ok(!ajwt_web_return_ok("javascript:alert(1)"), "javascript:");
    ok(!ajwt_web_return_ok("JaVaScRiPt:alert(1)"), "JaVaScRiPt:");
    ok(!ajwt_web_return_ok("evil.com"), "no leading slash");
    ok(!ajwt_web_return_ok("/ok%0d%0aSet-Cookie:x=1"), "escaped CR LF");
    ok(!ajwt_web_return_ok("/ok%0D%0A"), "escaped CR LF, upper case");
    ok(!ajwt_web_return_ok("/ok%00"), "escaped NUL");
    ok(!ajwt_web_return_ok("/ok\r\nLocation: x"), "raw CR/LF");
    ok(!ajwt_web_return_ok("/ok\tx"), "raw tab");
    ok(!ajwt_web_return_ok("/ok x"), "raw blank");
    ok(!ajwt_web_return_ok("/%2Fevil.com"), "slash, escaped slash");
    ok(!ajwt_web_return_ok("/%5Cevil.com"), "slash, escaped backslash");
    ok(!ajwt_web_return_ok("/%zz"), "broken escape");
    ok(!ajwt_web_return_ok("/%"), "truncated escape");
    ok(!ajwt_web_return_ok("/ok\x7f"), "DEL");
    ok(!ajwt_web_return_ok("/caf\xc3\xa9"), "raw non-ASCII");
    ok(!ajwt_web_return_ok(""), "empty");
    ok(!ajwt_web_return_ok(NULL), "NULL");
    big[0] = '/';
    memset(big + 1, 'a', 2047);
    big[2048] = '\0';
    ok(ajwt_web_return_ok(big), "2048 bytes");
    big[2048] = 'a';
    big[2049] = '\0';
    ok(!ajwt_web_return_ok(big), "2049 bytes");
}

static void same_origin(apr_pool_t *p)
{
    const char *own = "https://app.example";
    (void)p;
    ok(ajwt_web_same_origin(NULL, "same-origin", own), "Sec-Fetch-Site");
    ok(!ajwt_web_same_origin(NULL, "same-site", own), "same-site is not");
    ok(!ajwt_web_same_origin(NULL, "cross-site", own), "cross-site");
    ok(!ajwt_web_same_origin(NULL, "none", own), "none");
    ok(!ajwt_web_same_origin(NULL, NULL, own), "neither header");
    ok(ajwt_web_same_origin("https://app.example", NULL, own), "Origin");
    ok(ajwt_web_same_origin("HTTPS://APP.Example", NULL, own),
       "scheme and host any case");
    ok(!ajwt_web_same_origin("https://app.example:8443", NULL, own),
       "another port");
    ok(!ajwt_web_same_origin("https://app.example:443", NULL, own),
       "explicit default port differs (exact port)");
    ok(ajwt_web_same_origin("https://app.example:8443", NULL,
                            "https://app.example:8443"), "same port");
    ok(!ajwt_web_same_origin("http://app.example", NULL, own),
       "http is another origin");
    ok(!ajwt_web_same_origin("https://evil.com", NULL, own), "evil.com");
    ok(!ajwt_web_same_origin("https://app.example.evil.com", NULL, own),
       "suffix host");
    ok(!ajwt_web_same_origin("https://evil.com@app.example", NULL, own),
       "userinfo");
    ok(!ajwt_web_same_origin("https://app.example/", NULL, own),
       "trailing slash is not an origin");
    ok(!ajwt_web_same_origin("null", NULL, own), "null origin");
    ok(!ajwt_web_same_origin("https://app.example\r\n", NULL, own), "CR/LF");
    ok(!ajwt_web_same_origin("https://evil.com", "cross-site", own),
       "both say cross");
    ok(!ajwt_web_same_origin("https://app.example", NULL, NULL),
       "own origin unknown");
}

static void login_parse(apr_pool_t *p)
{
    const char *u, *pw, *r;
    ajwt_err_t err = { 0 };
    char *big;
#define LP(body, json) (memset(&err, 0, sizeof(err)), \
        ajwt_web_login_parse(&u, &pw, &r, body, strlen(body), json, p, &err))

    is_int(LP("{\"username\":\"alice\",\"password\":\"s3cr\\u00e9t\"}", 1),
           AJWT_OK, "JSON");
    ok(same(u, "alice") && same(pw, "s3cr\xc3\xa9t") && r == NULL,
       "JSON fields, no return");
    is_int(LP("{\"username\":\"a\",\"password\":\"b\",\"return\":\"/x\","
              "\"csrf\":1}", 1), AJWT_OK, "JSON with return, extra member");
    ok(same(r, "/x"), "return read");
    is_int(LP("username=al%20ice&password=p%26ss+word&return=%2Fapp", 0),
           AJWT_OK, "form");
    ok(same(u, "al ice") && same(pw, "p&ss word") && same(r, "/app"),
       "form decoded");
    is_int(LP("other=1&password=x&username=bob", 0), AJWT_OK,
           "form any order, extra field");
    ok(same(u, "bob") && same(pw, "x"), "form fields");
    is_int(LP("{\"username\":\"a\",\"password\":1}", 1), AJWT_EMALFORMED,
           "password not a string");
    ok(!strstr(err.text, "1}"), "text quotes nothing of the body");
    is_int(LP("{\"username\":[\"a\"],\"password\":\"b\"}", 1),
           AJWT_EMALFORMED, "username an array");
    is_int(LP("{\"username\":\"a\",\"password\":\"b\",\"password\":\"c\"}",
              1), AJWT_EMALFORMED, "duplicate JSON member");
    is_int(LP("{\"username\":\"a\"}", 1), AJWT_EMALFORMED, "no password");
    is_int(LP("{\"username\":\"\",\"password\":\"b\"}", 1), AJWT_EMALFORMED,
           "empty username");
    is_int(LP("{\"username\":\"a\\nb\",\"password\":\"b\"}", 1),
           AJWT_EMALFORMED, "control in username");
    is_int(LP("{\"username\":\"a\",\"password\":\"b\\u0000c\"}", 1),
           AJWT_EMALFORMED, "NUL in password");
    is_int(LP("[\"a\",\"b\"]", 1), AJWT_EMALFORMED, "JSON array");
    is_int(LP("{\"username\":\"a\",\"password\":\"b\"} x", 1),
           AJWT_EMALFORMED, "trailing data");
    is_int(LP("username=a%0d%0a&password=b", 0), AJWT_EMALFORMED,
           "form CR/LF");
    is_int(LP("username=a&password=b%00", 0), AJWT_EMALFORMED, "form escaped NUL");
    is_int(LP("username=a&password=b%zz", 0), AJWT_EMALFORMED, "bad escape");
    is_int(LP("username=a&password=b%4", 0), AJWT_EMALFORMED,
           "truncated escape");
    is_int(LP("username=a&username=b&password=c", 0), AJWT_EMALFORMED,
           "form field twice");
    is_int(LP("username=a&password=", 0), AJWT_EMALFORMED,
           "empty password");
    is_int(LP("", 0), AJWT_EMALFORMED, "empty body");
    big = apr_palloc(p, 300);
    memset(big, 'u', 257);
    big[257] = '\0';
    is_int(LP(apr_pstrcat(p, "username=", big, "&password=x", NULL), 0),
           AJWT_EMALFORMED, "username of 257 bytes");
    big[256] = '\0';
    is_int(LP(apr_pstrcat(p, "username=", big, "&password=x", NULL), 0),
           AJWT_OK, "username of 256 bytes");
    big = apr_palloc(p, 1100);
    memset(big, 'p', 1025);
    big[1025] = '\0';
    is_int(LP(apr_pstrcat(p, "{\"username\":\"a\",\"password\":\"", big,
                          "\"}", NULL), 1), AJWT_EMALFORMED,
           "password of 1025 bytes");
    ok(!strstr(err.text, "pppp"), "the password is not in the text");
    big[1024] = '\0';
    is_int(LP(apr_pstrcat(p, "{\"username\":\"a\",\"password\":\"", big,
                          "\"}", NULL), 1), AJWT_OK,
           "password of 1024 bytes");
}

/* ajwt_web_fields_parse: the one parser behind login and jwt-revoke. */
static void fields_parse(apr_pool_t *p)
{
    static const ajwt_web_field_t f[] = {
        { "a", 4, 0 }, { "b.c", 8, 0 }, { "n", 12, 1 },
    };
    const char *v[3];
    ajwt_err_t err = { 0 };
    char nul[] = "a=x&z=y\0z";
#define FP(body, json, unknown) (memset(&err, 0, sizeof(err)), \
        ajwt_web_fields_parse(v, f, 3, unknown, body, strlen(body), json, p, \
                              &err))

    /* forms */
    is_int(FP("a=1%262&b.c=x+y&n=42", 0, NULL), AJWT_OK, "form");
    ok(same(v[0], "1&2") && same(v[1], "x y") && same(v[2], "42"),
       "form values decoded");
    is_int(FP("n=7", 0, NULL), AJWT_OK, "one field");
    ok(!v[0] && !v[1] && same(v[2], "7"), "the others NULL");
    is_int(FP("&&a=1&&", 0, NULL), AJWT_OK, "empty pairs skipped");
    ok(same(v[0], "1"), "... the field read");
    is_int(FP("a=&b.c", 0, NULL), AJWT_OK, "empty values");
    ok(same(v[0], "") && same(v[1], ""), "\"a=\" and \"b.c\" are \"\"");
    is_int(FP("a=x=y", 0, NULL), AJWT_OK, "'=' in a value");
    ok(same(v[0], "x=y"), "... kept");
    is_int(FP("", 0, NULL), AJWT_OK, "no pairs: no fields");
    ok(!v[0] && !v[1] && !v[2], "all NULL");
    is_int(FP("a=1&a=2", 0, NULL), AJWT_EMALFORMED, "form field twice");
    ok(strstr(err.text, "field a given twice") != NULL, "reason: %s",
       err.text);
    is_int(FP("a&a=2", 0, NULL), AJWT_EMALFORMED,
           "a name without '=' counts as the field: then twice");
    is_int(FP("a=1&zz=%zz&=q&x", 0, NULL), AJWT_OK,
           "unknown names ignored, their values not decoded");
    is_int(FP("a=1&zz=2", 0, "no such field"), AJWT_EMALFORMED,
           "unknown names refused when asked");
    ok(same(err.text, "no such field"), "with the caller's text: %s",
       err.text);
    is_int(FP("=1", 0, "no such field"), AJWT_EMALFORMED,
           "an empty name is unknown");
    is_int(FP("%61=1", 0, "no such field"), AJWT_EMALFORMED,
           "names are not decoded");
    is_int(FP("a=%zz", 0, NULL), AJWT_EMALFORMED, "bad escape");
    ok(strstr(err.text, "field a is not URL-encoded text") != NULL,
       "reason: %s", err.text);
    is_int(FP("a=%4", 0, NULL), AJWT_EMALFORMED, "truncated escape");
    is_int(FP("a=%", 0, NULL), AJWT_EMALFORMED, "lone %%");
    is_int(FP("a=x%00", 0, NULL), AJWT_EMALFORMED, "escaped NUL");
    is_int(FP("a=%0a", 0, NULL), AJWT_EMALFORMED, "escaped LF");
    is_int(FP("a=\x7f", 0, NULL), AJWT_EMALFORMED, "raw DEL");
    ok(strstr(err.text, "field a holds control characters") != NULL,
       "reason: %s", err.text);
    is_int(FP("a=1234", 0, NULL), AJWT_OK, "value at its max");
    is_int(FP("a=12345", 0, NULL), AJWT_EMALFORMED, "value over its max");
    ok(strstr(err.text, "field a is longer than 4 bytes")
       && !strstr(err.text, "12345"), "reason: %s", err.text);
    is_int(FP("a=%31%32%33%34", 0, NULL), AJWT_OK,
           "the max counts decoded bytes");
    is_int(FP("a=\xc3\xa9", 0, NULL), AJWT_OK, "UTF-8 is no control");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_web_fields_parse(v, f, 3, NULL, nul, sizeof(nul) - 1, 0, p,
                                 &err), AJWT_EMALFORMED,
           "a NUL byte, even in an ignored field");
    is_int(ajwt_web_fields_parse(v, f, 3, NULL, NULL, 0, 0, p, NULL),
           AJWT_EMALFORMED, "no body");
    is_int(ajwt_web_fields_parse(v, f, 3, NULL, "a=1&b.c=2", 3, 0, p, NULL),
           AJWT_OK, "only len bytes count");
    ok(same(v[0], "1") && !v[1], "... b.c not seen");

    /* JSON */
    is_int(FP("{\"a\":\"1&2\",\"b.c\":\"x+y\",\"n\":42}", 1, NULL), AJWT_OK,
           "JSON");
    ok(same(v[0], "1&2") && same(v[1], "x+y") && same(v[2], "42"),
       "JSON values as they are, an integer as its text");
    is_int(FP("{\"n\":\"-5\"}", 1, NULL), AJWT_OK, "an integer field as "
           "a string");
    is_int(FP("{\"a\":\"\"}", 1, NULL), AJWT_OK, "empty JSON string");
    ok(same(v[0], ""), "... is \"\"");
    is_int(FP("{\"a\":1}", 1, NULL), AJWT_EMALFORMED, "integer for a string "
           "field");
    ok(strstr(err.text, "field a has the wrong type") != NULL, "reason: %s",
       err.text);
    is_int(FP("{\"n\":1.5}", 1, NULL), AJWT_EMALFORMED, "a real");
    is_int(FP("{\"n\":true}", 1, NULL), AJWT_EMALFORMED, "a boolean");
    is_int(FP("{\"a\":null}", 1, NULL), AJWT_EMALFORMED, "null");
    is_int(FP("{\"a\":[\"x\"]}", 1, NULL), AJWT_EMALFORMED, "an array");
    is_int(FP("{\"a\":\"x\",\"a\":\"y\"}", 1, NULL), AJWT_EMALFORMED,
           "JSON member twice");
    is_int(FP("{\"a\":\"x\",\"q\":{\"r\":[1]}}", 1, NULL), AJWT_OK,
           "unknown members of any type ignored");
    is_int(FP("{\"a\":\"x\",\"q\":1}", 1, "no such field"), AJWT_EMALFORMED,
           "or refused when asked");
    is_int(FP("{\"a\":\"x\\ty\"}", 1, NULL), AJWT_EMALFORMED,
           "an escaped control character");
    is_int(FP("{\"a\":\"x\\u0000\"}", 1, NULL), AJWT_EMALFORMED,
           "\\u0000");
    is_int(FP("{\"a\":\"12345\"}", 1, NULL), AJWT_EMALFORMED,
           "JSON value over its max");
    is_int(FP("{\"n\":1234567890123}", 1, NULL), AJWT_EMALFORMED,
           "an integer's text over its max");
    is_int(FP("[\"a\"]", 1, NULL), AJWT_EMALFORMED, "an array body");
    is_int(FP("{\"a\":\"x\"} {}", 1, NULL), AJWT_EMALFORMED,
           "trailing data");
    is_int(FP("{\"a\":\"\\uD800\\u0041\"}", 1, NULL), AJWT_EMALFORMED,
           "bad JSON");
    ok(!strstr(err.text, "D800") && !strstr(err.text, "0041"),
       "the reason quotes nothing of the body: %s", err.text);
    is_int(FP("", 1, NULL), AJWT_EMALFORMED, "empty JSON body");
#undef FP
}

/* Where the old login parser was laxer than the revocation one. */
static void login_strict(apr_pool_t *p)
{
    const char *u, *pw, *r;
    ajwt_err_t err = { 0 };
    static const char nul[] = "csrf=a\0b&username=a&password=b";
#define LP(body, json) (memset(&err, 0, sizeof(err)), \
        ajwt_web_login_parse(&u, &pw, &r, body, strlen(body), json, p, &err))

    is_int(LP("username&username=bob&password=x", 0), AJWT_EMALFORMED,
           "\"username\" without '=' then username=: given twice");
    ok(strstr(err.text, "username given twice") != NULL, "reason: %s",
       err.text);
    is_int(ajwt_web_login_parse(&u, &pw, &r, nul, sizeof(nul) - 1, 0, p,
                                NULL), AJWT_EMALFORMED,
           "a NUL byte in an ignored field");
    /* unchanged */
    is_int(LP("return&username=a&password=b", 0), AJWT_OK,
           "\"return\" without '=': empty, so no return address");
    ok(r == NULL, "... none");
    is_int(LP("username=a&password=b&return=", 0), AJWT_OK, "return=");
    ok(r == NULL, "... none");
    is_int(LP("password&username=a", 0), AJWT_EMALFORMED,
           "\"password\" without '='");
    is_int(LP("username=a&password=b&csrf=%zz%00", 0), AJWT_OK,
           "an ignored field is not decoded");
    is_int(LP("{\"username\":\"a\",\"password\":\"b\",\"x\":\"\\uD800\"}",
              1), AJWT_EMALFORMED, "bad JSON anywhere");
    ok(!strstr(err.text, "D800"), "reason quotes nothing: %s", err.text);
#undef LP
}

UNIT_MAIN(bearer, dpop_scheme, cookie, query, copies, set_cookie, return_ok,
          same_origin, login_parse, fields_parse, login_strict)
