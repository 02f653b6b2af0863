/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c: strict object parsing, claim paths, text forms.
 */
#include "ajwt_json.h"
#include "unit.h"

static json_t *parse(apr_pool_t *p, const char *s, ajwt_status_t *st,
                     ajwt_err_t *err)
{
    json_t *j = NULL;
    *st = ajwt_json_parse_object(&j, s, strlen(s), "payload", p, err);
    return j;
}

static void parse_ok(apr_pool_t *p)
{
    ajwt_err_t err = { 0 };
    ajwt_status_t st;
    json_t *j = parse(p, " {\"a\":1,\"b\":[true,null]} \n", &st, &err);
    is_int(st, AJWT_OK, "object accepted");
    ok(j && json_is_object(j), "out is the object");
    ok(j && json_integer_value(json_object_get(j, "a")) == 1, "member read");
    is_int(err.status, AJWT_OK, "no error recorded");
    /* Only len bytes are read: the rest of the buffer is not JSON. */
    {
        const char *buf = "{\"x\":2}garbage";
        j = NULL;
        st = ajwt_json_parse_object(&j, buf, 7, "header", p, NULL);
        is_int(st, AJWT_OK, "len bounds the input");
    }
    st = ajwt_json_parse_object(&j, "{}", 2, "header", p, NULL);
    is_int(st, AJWT_OK, "empty object");
}

static void parse_refused(apr_pool_t *p)
{
    static const struct { const char *json; const char *why; } bad[] = {
        { "{\"a\":1,\"a\":2}", "duplicate member" },
        { "{\"sub\":\"x\",\"sub\":\"x\"}", "duplicate equal member" },
        { "[1,2]", "array top level" },
        { "\"str\"", "string top level" },
        { "42", "number top level" },
        { "null", "null top level" },
        { "true", "boolean top level" },
        { "{\"a\":1} x", "trailing garbage" },
        { "{\"a\":1}{}", "two objects" },
        { "{\"a\":\"x\\u0000y\"}", "escaped NUL" },
        { "{\"a\":1,}", "trailing comma" },
        { "{'a':1}", "single quotes" },
        { "{\"a\":NaN}", "NaN" },
        { "", "empty" },
        { "   ", "blanks" },
        { "{\"a\":\"\x01\"}", "raw control char in string" },
        { "{\"a\":\"\xff\"}", "invalid UTF-8" },
        { "{\"a\":1", "unterminated" },
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ajwt_err_t err = { 0 };
        ajwt_status_t st;
        json_t *j = parse(p, bad[i].json, &st, &err);
        is_int(st, AJWT_EMALFORMED, "%s refused", bad[i].why);
        ok(j == NULL, "%s: no object out", bad[i].why);
        ok(strstr(err.text, "payload") != NULL, "%s: message names what "
           "(%s)", bad[i].why, err.text);
    }
}

static void parse_raw_nul(apr_pool_t *p)
{
    static const char buf[] = "{\"a\":\"x\0y\"}";
    static const char buf2[] = "{\"a\":1}\0";
    json_t *j = NULL;
    ajwt_err_t err = { 0 };
    is_int(ajwt_json_parse_object(&j, buf, sizeof(buf) - 1, "header", p,
                                  &err), AJWT_EMALFORMED, "raw NUL in string");
    ok(strstr(err.text, "header") != NULL, "names header: %s", err.text);
    is_int(ajwt_json_parse_object(&j, buf2, sizeof(buf2) - 1, "header", p,
                                  NULL), AJWT_EMALFORMED, "raw NUL after");
    is_int(ajwt_json_parse_object(&j, NULL, 0, "header", p, NULL),
           AJWT_EMALFORMED, "NULL buffer");
}

static void parse_no_input_in_message(apr_pool_t *p)
{
    ajwt_err_t err = { 0 };
    ajwt_status_t st;
    parse(p, "{\"a\":SECRETTOKENTEXT}", &st, &err);
    is_int(st, AJWT_EMALFORMED, "bad literal refused");
    ok(strstr(err.text, "SECRET") == NULL, "input not echoed: %s", err.text);
    memset(&err, 0, sizeof(err));
    parse(p, "{\"SECRETKEYNAME\":1,\"SECRETKEYNAME\":2}", &st, &err);
    is_int(st, AJWT_EMALFORMED, "duplicate refused");
    ok(strstr(err.text, "SECRET") == NULL, "key not echoed: %s", err.text);
    ok(strstr(err.text, "duplicate") != NULL, "says duplicate: %s",
       err.text);
}

static void parse_deep(apr_pool_t *p)
{
    enum { DEPTH = 5000 };
    char *buf = apr_palloc(p, 2 * DEPTH + 16);
    char *q = buf;
    int i;
    ajwt_status_t st;
    ajwt_err_t err = { 0 };
    json_t *j = NULL;

    *q++ = '{';
    memcpy(q, "\"a\":", 4);
    q += 4;
    for (i = 0; i < DEPTH; i++) {
        *q++ = '[';
    }
    for (i = 0; i < DEPTH; i++) {
        *q++ = ']';
    }
    *q++ = '}';
    st = ajwt_json_parse_object(&j, buf, q - buf, "payload", p, &err);
    is_int(st, AJWT_EMALFORMED, "5000 nested arrays refused");
    ok(j == NULL, "nothing out");

    /* Modest nesting still works. */
    q = buf;
    *q++ = '{';
    memcpy(q, "\"a\":", 4);
    q += 4;
    for (i = 0; i < 50; i++) {
        *q++ = '[';
    }
    for (i = 0; i < 50; i++) {
        *q++ = ']';
    }
    *q++ = '}';
    st = ajwt_json_parse_object(&j, buf, q - buf, "payload", p, NULL);
    is_int(st, AJWT_OK, "50 nested arrays fine");
}

static void own_releases(apr_pool_t *p)
{
    apr_pool_t *sub;
    json_t *j = json_object();
    json_incref(j);                 /* our own reference, to watch it */
    apr_pool_create(&sub, p);
    ok(ajwt_json_own(j, sub) == j, "own returns j");
    is_int(j->refcount, 2, "two references");
    apr_pool_destroy(sub);
    is_int(j->refcount, 1, "pool cleanup dropped one");
    json_decref(j);
    ok(ajwt_json_own(NULL, p) == NULL, "NULL passes through");
}

static void path_lookup(apr_pool_t *p)
{
    json_t *j = NULL;
    const char *doc =
        "{\"sub\":\"u\","
        "\"realm_access\":{\"roles\":[\"admin\",\"user\"]},"
        "\"resource_access\":{\"app\":{\"roles\":\"r1 r2\"}},"
        "\"https://example.com/roles\":[\"ns\"],"
        "\"a.b\":\"literal\",\"a\":{\"b\":\"nested\"},"
        "\"s\":\"str\",\"\":{\"x\":1}}";
    ajwt_json_parse_object(&j, doc, strlen(doc), "payload", p, NULL);
    ok(j != NULL, "document parsed");
    ok(json_is_string(ajwt_json_path(j, "sub")), "top level");
    ok(json_is_array(ajwt_json_path(j, "realm_access.roles")), "nested");
    ok(json_is_string(ajwt_json_path(j, "resource_access.app.roles")),
       "two levels");
    ok(json_is_object(ajwt_json_path(j, "resource_access.app")),
       "object value");
    ok(json_is_array(ajwt_json_path(j, "https://example.com/roles")),
       "namespaced literal name");
    ok(!strcmp(json_string_value(ajwt_json_path(j, "a.b")), "literal"),
       "literal dotted name wins");
    ok(ajwt_json_path(j, "missing") == NULL, "missing top");
    ok(ajwt_json_path(j, "realm_access.missing") == NULL, "missing nested");
    ok(ajwt_json_path(j, "missing.roles") == NULL, "missing parent");
    ok(ajwt_json_path(j, "s.x") == NULL, "through a string");
    ok(ajwt_json_path(j, "realm_access.roles.0") == NULL,
       "no array indexing");
    ok(ajwt_json_path(j, "realm_access..roles") == NULL, "empty segment");
    ok(ajwt_json_path(j, "realm_access.") == NULL, "trailing dot");
    ok(ajwt_json_path(j, ".x") == NULL, "leading dot");
    ok(ajwt_json_path(j, "realm") == NULL, "prefix is not a name");
    ok(ajwt_json_path(j, "realm_access.roles.") == NULL, "dot after leaf");
    ok(ajwt_json_path(NULL, "sub") == NULL, "NULL root");
    ok(ajwt_json_path(j, NULL) == NULL, "NULL path");
    ok(ajwt_json_path(json_object_get(j, "s"), "x") == NULL,
       "root not an object");
}

static void text_forms(apr_pool_t *p)
{
    json_t *j = NULL;
    const char *doc =
        "{\"s\":\"hello world\",\"i\":1234567890123,\"n\":-5,\"r\":1.5,"
        "\"t\":true,\"f\":false,\"z\":null,"
        "\"as\":[\"a\",\"b\",3,true],\"ae\":[],"
        "\"ass\":[\"admin\",\"user\",\"\"],\"a1\":[\"solo\"],"
        "\"a0\":[\"\",\"\"],"
        "\"ao\":[{\"x\":1},\"y\"],\"aa\":[[1],2],\"an\":[null,1],"
        "\"o\":{\"k\":\"v\",\"n\":[1,2]},\"e\":\"\"}";
    ajwt_json_parse_object(&j, doc, strlen(doc), "payload", p, NULL);
    ok(j != NULL, "document parsed");
#define TEXT(name, want) do { \
        const char *got = ajwt_json_text(json_object_get(j, name), p); \
        ok(got && !strcmp(got, want), "%s -> '%s' (got '%s')", name, want, \
           got ? got : "(null)"); \
    } while (0)
    TEXT("s", "hello world");
    TEXT("i", "1234567890123");
    TEXT("n", "-5");
    TEXT("r", "1.5");
    TEXT("t", "true");
    TEXT("f", "false");
    TEXT("as", "a,b,3,true");
    TEXT("ass", "admin,user,");
    TEXT("a1", "solo");
    TEXT("a0", ",");
    TEXT("ae", "");
    TEXT("ao", "[{\"x\":1},\"y\"]");
    TEXT("aa", "[[1],2]");
    TEXT("an", "[null,1]");
    TEXT("o", "{\"k\":\"v\",\"n\":[1,2]}");
    TEXT("e", "");
#undef TEXT
    ok(ajwt_json_text(json_object_get(j, "z"), p) == NULL, "null is NULL");
    ok(ajwt_json_text(NULL, p) == NULL, "absent is NULL");
    {
        json_t *r = ajwt_json_own(json_real(0.1), p);
        const char *got = ajwt_json_text(r, p);
        ok(got && strtod(got, NULL) == 0.1, "real round-trips: %s", got);
    }
}

static void ctl(apr_pool_t *p)
{
    (void)p;
    ok(!ajwt_json_has_ctl("plain text ~ with UTF-8 \xc3\xa9"), "plain");
    ok(!ajwt_json_has_ctl(""), "empty");
    ok(!ajwt_json_has_ctl(NULL), "NULL");
    ok(ajwt_json_has_ctl("a\r\nb"), "CRLF");
    ok(ajwt_json_has_ctl("a\nb"), "LF");
    ok(ajwt_json_has_ctl("\tx"), "tab");
    ok(ajwt_json_has_ctl("x\x1f"), "0x1f");
    ok(ajwt_json_has_ctl("x\x7f"), "DEL");
    ok(!ajwt_json_has_ctl("x\x20y"), "space is fine");
}

UNIT_MAIN(parse_ok, parse_refused, parse_raw_nul, parse_no_input_in_message,
          parse_deep, own_releases, path_lookup, text_forms, ctl)
