/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_web.c: HTTP strings without httpd: where a token is found,
 * cookies, return addresses, and the fields of form and JSON bodies.
 *
 * Each finder answers NULL for "no token here" (also for an empty one),
 * so the caller moves on to its next source; none of them judges the
 * token itself, which ajwt_verify() does.
 */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "ajwt_json.h"
#include "ajwt_web.h"

/* RFC 6750 b64token characters, before any trailing '=': a table, as
 * this runs over every byte of every bearer token. */
#define B64T(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') \
                 || ((c) >= '0' && (c) <= '9') || (c) == '-' || (c) == '.' \
                 || (c) == '_' || (c) == '~' || (c) == '+' || (c) == '/')
#define B64T4(c) B64T(c), B64T((c) + 1), B64T((c) + 2), B64T((c) + 3)
#define B64T16(c) B64T4(c), B64T4((c) + 4), B64T4((c) + 8), B64T4((c) + 12)
#define B64T64(c) B64T16(c), B64T16((c) + 16), B64T16((c) + 32), \
                  B64T16((c) + 48)
static const unsigned char b64token[256] = {
    B64T64(0), B64T64(64), B64T64(128), B64T64(192)
};

static int is_b64token_char(unsigned char c)
{
    return b64token[c];
}

const char *ajwt_web_bearer(const char *authorization, apr_pool_t *p)
{
    return ajwt_web_credentials(authorization, "Bearer", p);
}

const char *ajwt_web_credentials(const char *authorization,
                                 const char *scheme, apr_pool_t *p)
{
    const char *s = authorization, *tok, *end;
    apr_size_t n = strlen(scheme);

    if (!s || strncasecmp(s, scheme, n) || s[n] != ' ') {
        return NULL;
    }
    s += n;
    while (*s == ' ') {
        s++;
    }
    tok = s;
    /* eight characters a round, one branch for all: the token is most of
     * the header and this runs for every request */
    {
        const unsigned char *u = (const unsigned char *)s;
        const unsigned char *e = u + strlen(s);
        while (e - u >= 8
               && (b64token[u[0]] & b64token[u[1]] & b64token[u[2]]
                   & b64token[u[3]] & b64token[u[4]] & b64token[u[5]]
                   & b64token[u[6]] & b64token[u[7]])) {
            u += 8;
        }
        s = (const char *)u;
    }
    while (is_b64token_char((unsigned char)*s)) {
        s++;
    }
    if (s == tok) {
        return NULL;
    }
    while (*s == '=') {
        s++;
    }
    end = s;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    /* "Bearer a b" or "Bearer a,b": not one credential, so none at all. */
    if (*s) {
        return NULL;
    }
    /* the usual case, nothing after the token: no copy needed */
    return *end ? apr_pstrmemdup(p, tok, end - tok) : tok;
}

static const char *skip_ows(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t')) {
        s++;
    }
    return s;
}

static const char *trim_ows(const char *start, const char *end)
{
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    return end;
}

const char *ajwt_web_cookie(const char *cookie_header, const char *name,
                            apr_pool_t *p)
{
    const char *s = cookie_header;
    size_t nlen;

    if (!s || !name || !*name) {
        return NULL;
    }
    nlen = strlen(name);
    /* RFC 6265 section 5.4: "name=value" pairs separated by ';'. */
    while (*s) {
        const char *pair_end = strchr(s, ';');
        const char *eq, *k, *k_end, *v, *v_end;
        if (!pair_end) {
            pair_end = s + strlen(s);
        }
        k = skip_ows(s, pair_end);
        eq = memchr(k, '=', pair_end - k);
        if (eq) {
            k_end = trim_ows(k, eq);
            if ((size_t)(k_end - k) == nlen && !memcmp(k, name, nlen)) {
                v = skip_ows(eq + 1, pair_end);
                v_end = trim_ows(v, pair_end);
                if (v_end - v >= 2 && *v == '"' && v_end[-1] == '"') {
                    v++;
                    v_end--;
                }
                /* The first cookie of that name wins, even when empty. */
                return v_end > v ? apr_pstrmemdup(p, v, v_end - v) : NULL;
            }
        }
        s = *pair_end ? pair_end + 1 : pair_end;
    }
    return NULL;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/*
 * The one URL decoder (query strings and form bodies): %XX and '+' (a
 * space) over len bytes; NULL for a bad or truncated escape or a %00.
 * *out_len (may be NULL) is the length decoded, from p.
 */
static char *url_decode(const char *s, apr_size_t len, apr_size_t *out_len,
                        apr_pool_t *p)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    apr_size_t i;
    for (i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        }
        else if (s[i] == '%') {
            int hi, lo;
            if (len - i < 3) {          /* "%" or "%A" at the end */
                return NULL;
            }
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return NULL;
            }
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        }
        else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    if (out_len) {
        *out_len = o - out;
    }
    return out;
}

const char *ajwt_web_query(const char *args, const char *name,
                           apr_pool_t *p)
{
    const char *s = args;
    size_t nlen;

    if (!s || !name || !*name) {
        return NULL;
    }
    nlen = strlen(name);
    while (*s) {
        const char *pair_end = strchr(s, '&');
        if (!pair_end) {
            pair_end = s + strlen(s);
        }
        if ((size_t)(pair_end - s) > nlen && !memcmp(s, name, nlen)
            && s[nlen] == '=') {
            const char *v = s + nlen + 1;
            if (pair_end == v) {
                return NULL;        /* "access_token=": no token */
            }
            return url_decode(v, pair_end - v, NULL, p);
        }
        s = *pair_end ? pair_end + 1 : pair_end;
    }
    return NULL;
}

/* ------------------------------------------------- issuing and browsers */

/* A cookie name, value or path byte that could end or forge an attribute
 * (RFC 6265 cookie-octet excludes these too). */
static int cookie_bad(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',' || c == '"'
            || c == '\\') {
            return 1;
        }
    }
    return 0;
}

const char *ajwt_web_set_cookie(const char *name, const char *value,
                                const char *path, long max_age,
                                apr_pool_t *p)
{
    const char *n;

    if (!name || !*name || !value || !path || !*path || path[0] != '/'
        || (!*value && max_age != 0) || cookie_bad(name)
        || strchr(name, '=') || cookie_bad(value) || cookie_bad(path)) {
        return NULL;
    }
    n = max_age < 0 ? "" : apr_psprintf(p, "; Max-Age=%ld", max_age);
    return apr_pstrcat(p, name, "=", value, "; Path=", path, n,
                       "; HttpOnly; Secure; SameSite=Strict", NULL);
}

int ajwt_web_return_ok(const char *ret)
{
    apr_size_t i, n;

    if (!ret || ret[0] != '/' || ret[1] == '/' || ret[1] == '\\') {
        return 0;
    }
    n = strlen(ret);
    if (n > 2048) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ret[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\') {
            return 0;
        }
        if (c == '%') {
            int h = hexval((unsigned char)ret[i + 1]);
            int l = h < 0 ? -1 : hexval((unsigned char)ret[i + 2]);
            int d = h * 16 + l;
            if (h < 0 || l < 0) {
                return 0;       /* a broken escape: refuse, not guess */
            }
            /* encoded controls, backslash and a second slash at
             * the start ("/%2F" decodes to "//" in some frameworks) */
            if (d < 0x20 || d == 0x7f || d == '\\'
                || (i == 1 && d == '/')) {
                return 0;
            }
        }
    }
    return 1;
}

/* "https://host[:port]" into scheme, host and port parts; 0 if not that. */
static int origin_parts(const char *o, const char **host, apr_size_t *hlen,
                        const char **port, apr_size_t *plen, int *https)
{
    const char *h, *c, *s;

    if (!strncasecmp(o, "https://", 8)) {
        *https = 1;
        h = o + 8;
    }
    else if (!strncasecmp(o, "http://", 7)) {
        *https = 0;
        h = o + 7;
    }
    else {
        return 0;
    }
    if (*h == '[') {
        c = strchr(h, ']');
        if (!c) {
            return 0;
        }
        c++;
    }
    else {
        c = h;
        while (*c && *c != ':') {
            c++;
        }
    }
    *host = h;
    *hlen = c - h;
    if (*hlen == 0) {
        return 0;
    }
    for (s = h; s < c; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == '@' || ch == '?'
            || ch == '#' || ch == '\\') {
            return 0;
        }
    }
    if (*c == ':') {
        c++;
        *port = c;
        for (s = c; *s; s++) {
            if (!apr_isdigit(*s)) {
                return 0;
            }
        }
        *plen = s - c;
        return *plen > 0 && *plen <= 5;
    }
    *port = "";
    *plen = 0;
    return *c == '\0';
}

int ajwt_web_same_origin(const char *origin, const char *sec_fetch_site,
                         const char *own_origin)
{
    const char *h1, *h2, *p1, *p2;
    apr_size_t hl1, hl2, pl1, pl2;
    int s1, s2;

    if (sec_fetch_site && !strcmp(sec_fetch_site, "same-origin")) {
        return 1;
    }
    if (!origin || !own_origin
        || !origin_parts(origin, &h1, &hl1, &p1, &pl1, &s1)
        || !origin_parts(own_origin, &h2, &hl2, &p2, &pl2, &s2)) {
        return 0;
    }
    return s1 == s2 && hl1 == hl2 && !strncasecmp(h1, h2, hl1)
           && pl1 == pl2 && !memcmp(p1, p2, pl1);
}

/* ------------------------------------------------- form and JSON bodies */

static int field_find(const ajwt_web_field_t *fields, int n,
                      const char *name, apr_size_t len)
{
    int i;
    for (i = 0; i < n; i++) {
        if (strlen(fields[i].name) == len
            && !memcmp(fields[i].name, name, len)) {
            return i;
        }
    }
    return -1;
}

/* Field i's value v (vl bytes): within its size, no control bytes. */
static ajwt_status_t field_take(const char **vals,
                                const ajwt_web_field_t *fields, int i,
                                const char *v, apr_size_t vl,
                                ajwt_err_t *err)
{
    apr_size_t k;
    if (vl > fields[i].max) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "field %s is longer than %"
                            APR_SIZE_T_FMT " bytes", fields[i].name,
                            fields[i].max);
    }
    for (k = 0; k < vl; k++) {
        unsigned char c = (unsigned char)v[k];
        if (c < 0x20 || c == 0x7f) {
            return ajwt_err_set(err, AJWT_EMALFORMED, "field %s holds "
                                "control characters", fields[i].name);
        }
    }
    vals[i] = v;
    return AJWT_OK;
}

/*
 * Pairs split on '&' ("&&" and a trailing '&' are no pair); a pair's name
 * is the bytes before its first '=', not decoded. A name without '=' is
 * the field, empty: the stricter of the two old parsers (login skipped
 * it, so that "username&username=x" passed).
 */
static ajwt_status_t fields_form(const char **vals,
                                 const ajwt_web_field_t *fields, int n,
                                 const char *unknown, const char *body,
                                 apr_size_t len, apr_pool_t *p,
                                 ajwt_err_t *err)
{
    const char *s = body, *end = body + len;

    while (s < end) {
        const char *amp = memchr(s, '&', end - s), *eq;
        if (!amp) {
            amp = end;
        }
        eq = memchr(s, '=', amp - s);
        if (amp > s) {
            int i = field_find(fields, n, s, (eq ? eq : amp) - s);
            const char *v = "";
            apr_size_t vl = 0;
            ajwt_status_t st;
            if (i < 0 && unknown) {
                return ajwt_err_set(err, AJWT_EMALFORMED, "%s", unknown);
            }
            if (i >= 0 && vals[i]) {
                return ajwt_err_set(err, AJWT_EMALFORMED, "field %s given "
                                    "twice", fields[i].name);
            }
            if (i >= 0 && eq && amp > eq + 1
                && !(v = url_decode(eq + 1, amp - eq - 1, &vl, p))) {
                return ajwt_err_set(err, AJWT_EMALFORMED, "field %s is not "
                                    "URL-encoded text", fields[i].name);
            }
            if (i >= 0 && (st = field_take(vals, fields, i, v, vl, err))) {
                return st;
            }
        }
        if (amp == end) {
            break;
        }
        s = amp + 1;
    }
    return AJWT_OK;
}

static ajwt_status_t fields_json(const char **vals,
                                 const ajwt_web_field_t *fields, int n,
                                 const char *unknown, const char *body,
                                 apr_size_t len, apr_pool_t *p,
                                 ajwt_err_t *err)
{
    json_t *obj, *v;
    const char *name;

    /* Jansson's reason is not passed on: it may quote the body ("invalid
     * Unicode '\uD800'"), which holds passwords and tokens */
    if (ajwt_json_parse_object(&obj, body, len, "body", p, NULL)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "body is not one JSON "
                            "object");
    }
    json_object_foreach(obj, name, v) {
        int i = field_find(fields, n, name, strlen(name));
        const char *s;
        apr_size_t sl;
        ajwt_status_t st;
        if (i < 0) {
            if (unknown) {
                return ajwt_err_set(err, AJWT_EMALFORMED, "%s", unknown);
            }
            continue;
        }
        if (json_is_string(v)) {
            s = json_string_value(v);
            sl = json_string_length(v);
            /* no JSON_ALLOW_NUL, so Jansson refused any "\u0000" */
            if (strlen(s) != sl) {
                return ajwt_err_set(err, AJWT_EMALFORMED, "field %s holds "
                                    "control characters", fields[i].name);
            }
        }
        else if (fields[i].integer && json_is_integer(v)) {
            s = apr_psprintf(p, "%" APR_INT64_T_FMT,
                             (apr_int64_t)json_integer_value(v));
            sl = strlen(s);
        }
        else {
            return ajwt_err_set(err, AJWT_EMALFORMED, "field %s has the "
                                "wrong type", fields[i].name);
        }
        /* a name twice was refused by the parse (JSON_REJECT_DUPLICATES) */
        if ((st = field_take(vals, fields, i, s, sl, err))) {
            return st;
        }
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_web_fields_parse(const char **vals,
                                    const ajwt_web_field_t *fields, int n,
                                    const char *unknown, const char *body,
                                    apr_size_t len, int json, apr_pool_t *p,
                                    ajwt_err_t *err)
{
    int i;

    for (i = 0; i < n; i++) {
        vals[i] = NULL;
    }
    /* a NUL is in no form or JSON text: the revocation parser refused it
     * anywhere, the login parser only inside its own fields */
    if (!body || memchr(body, '\0', len)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "empty or binary body");
    }
    return json ? fields_json(vals, fields, n, unknown, body, len, p, err)
                : fields_form(vals, fields, n, unknown, body, len, p, err);
}

#define LOGIN_USER_MAX  256
#define LOGIN_PASS_MAX  1024
#define LOGIN_RET_MAX   2048

ajwt_status_t ajwt_web_login_parse(const char **user, const char **pass,
                                   const char **ret, const char *body,
                                   apr_size_t len, int json, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    /* other fields (CSRF tokens and the like) are ignored */
    static const ajwt_web_field_t fields[] = {
        { "username", LOGIN_USER_MAX, 0 },
        { "password", LOGIN_PASS_MAX, 0 },
        { "return", LOGIN_RET_MAX, 0 },
    };
    const char *v[3];
    ajwt_err_t e = { 0 };

    *user = *pass = NULL;
    if (ret) {
        *ret = NULL;
    }
    if (!body || len == 0) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "login: empty body");
    }
    if (len > LOGIN_USER_MAX + LOGIN_PASS_MAX + LOGIN_RET_MAX + 4096) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "login: body of %"
                            APR_SIZE_T_FMT " bytes is too large", len);
    }
    if (ajwt_web_fields_parse(v, fields, 3, NULL, body, len, json, p, &e)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "login: %s", e.text);
    }
    if (!v[0] || !*v[0]) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "login: username missing "
                            "or empty");
    }
    if (!v[1] || !*v[1]) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "login: password missing "
                            "or empty");
    }
    *user = v[0];
    *pass = v[1];
    if (ret) {
        *ret = (v[2] && *v[2]) ? v[2] : NULL;     /* "return=": none */
    }
    return AJWT_OK;
}
