/*
 * ajwt_web.c: where a token is found in HTTP strings, without httpd.
 *
 * Each finder answers NULL for "no token here" (also for an empty one),
 * so the caller moves on to its next source; none of them judges the
 * token itself, which ajwt_verify() does.
 */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include "ajwt_web.h"

/* RFC 6750 b64token characters, before any trailing '='. */
static int is_b64token_char(unsigned char c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
           || c == '+' || c == '/';
}

const char *ajwt_web_bearer(const char *authorization, apr_pool_t *p)
{
    const char *s = authorization, *tok, *end;

    if (!s || strncasecmp(s, "Bearer", 6) || s[6] != ' ') {
        return NULL;
    }
    s += 6;
    while (*s == ' ') {
        s++;
    }
    tok = s;
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
    return apr_pstrmemdup(p, tok, end - tok);
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

/* URL-decode len bytes ('+' is a space); NULL for a bad or %00 escape. */
static const char *url_decode(const char *s, size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    size_t i;
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
            return url_decode(v, pair_end - v, p);
        }
        s = *pair_end ? pair_end + 1 : pair_end;
    }
    return NULL;
}

/* ------------------------------------------------- issuing and browsers */

const char *ajwt_web_set_cookie(const char *name, const char *value,
                                const char *path, long max_age,
                                apr_pool_t *p)
{
    (void)name; (void)value; (void)path; (void)max_age; (void)p;
    return NULL;
}

int ajwt_web_return_ok(const char *ret)
{
    (void)ret;
    return 0;
}

int ajwt_web_same_origin(const char *origin, const char *sec_fetch_site,
                         const char *own_origin)
{
    (void)origin; (void)sec_fetch_site; (void)own_origin;
    return 0;
}

ajwt_status_t ajwt_web_login_parse(const char **user, const char **pass,
                                   const char **ret, const char *body,
                                   apr_size_t len, int json, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    (void)user; (void)pass; (void)ret; (void)body; (void)len; (void)json;
    (void)p;
    return ajwt_err_set(err, AJWT_EMALFORMED, "not implemented");
}
