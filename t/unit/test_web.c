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

UNIT_MAIN(bearer, cookie, query, copies, set_cookie, return_ok,
          same_origin, login_parse)
