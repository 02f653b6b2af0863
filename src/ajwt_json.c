/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_json.c: Jansson values owned by APR pools, and dotted claim paths.
 *
 * Every json_t handed out here is released by a cleanup on a pool, so no
 * caller ever calls json_decref() by hand.
 */
#include <stdio.h>
#include <string.h>
#include <apr_strings.h>
#include "ajwt_json.h"

static apr_status_t decref_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *ajwt_json_own(json_t *j, apr_pool_t *p)
{
    if (j) {
        apr_pool_cleanup_register(p, j, decref_cleanup,
                                  apr_pool_cleanup_null);
    }
    return j;
}

/*
 * Jansson appends " near '<token text>'" to many messages, and that text
 * is a piece of the token: cut it off so that the log never shows input.
 */
static void cut_near(char *text)
{
    char *near = strstr(text, " near ");
    if (near) {
        *near = '\0';
    }
}

ajwt_status_t ajwt_json_parse_object(json_t **out, const char *buf,
                                     apr_size_t len, const char *what,
                                     apr_pool_t *p, ajwt_err_t *err)
{
    json_error_t jerr;
    json_t *j;

    *out = NULL;
    if (!buf) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "%s: no JSON", what);
    }
    /*
     * No JSON_DECODE_ANY (the top level must be an array or object), no
     * JSON_ALLOW_NUL (a "\u0000" could cut a claim short for C code), no
     * JSON_DISABLE_EOF_CHECK (trailing bytes are an error). Duplicate
     * names are refused: two readers could otherwise see two values.
     */
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        cut_near(jerr.text);
        return ajwt_err_set(err, AJWT_EMALFORMED,
                            "%s is not valid JSON: %s (at byte %d)", what,
                            jerr.text, jerr.position);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return ajwt_err_set(err, AJWT_EMALFORMED,
                            "%s is not a JSON object", what);
    }
    *out = ajwt_json_own(j, p);
    return AJWT_OK;
}

json_t *ajwt_json_path(const json_t *root, const char *path)
{
    const char *seg, *dot;
    json_t *cur;

    if (!root || !path || !json_is_object(root)) {
        return NULL;
    }
    cur = json_object_get(root, path);
    if (cur || !strchr(path, '.')) {
        return cur;
    }
    /* Walk without copying: this runs for every Require line. */
    cur = (json_t *)root;
    seg = path;
    for (;;) {
        size_t n;
        dot = strchr(seg, '.');
        n = dot ? (size_t)(dot - seg) : strlen(seg);
        if (n == 0 || !json_is_object(cur)) {
            return NULL;
        }
        cur = json_object_getn(cur, seg, n);
        if (!cur || !dot) {
            return cur;
        }
        seg = dot + 1;
    }
}

static int is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* The text of a scalar (not NULL), with buf as room for numbers. */
static const char *scalar_text(const json_t *v, char *buf, size_t size)
{
    if (json_is_string(v)) {
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, size, "%.17g", json_real_value(v));
        return buf;
    }
    return json_is_true(v) ? "true" : "false";
}

/* Decimal text of an integer, from p. */
static const char *int_text(json_int_t n, apr_pool_t *p)
{
    char buf[24], *e = buf + sizeof(buf), *s = e;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n
                                 : (unsigned long long)n;
    do {
        *--s = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0) {
        *--s = '-';
    }
    return apr_pstrmemdup(p, s, (apr_size_t)(e - s));
}

const char *ajwt_json_text(const json_t *v, apr_pool_t *p)
{
    char buf[64];

    if (!v || json_is_null(v)) {
        return NULL;
    }
    /* per request for every exported claim: no copy of strings (they
     * live as long as v), integers without printf */
    if (json_is_string(v)) {
        return json_string_value(v);
    }
    if (json_is_integer(v)) {
        return int_text(json_integer_value(v), p);
    }
    if (is_scalar(v)) {
        return apr_pstrdup(p, scalar_text(v, buf, sizeof(buf)));
    }
    if (json_is_array(v)) {
        size_t i, n = json_array_size(v), total = 0;
        int all = 1, strings = 1;
        for (i = 0; i < n && all; i++) {
            const json_t *e = json_array_get(v, i);
            all = is_scalar(e);
            if (json_is_string(e)) {
                total += strlen(json_string_value(e)) + 1;
            }
            else {
                strings = 0;
            }
        }
        if (all && strings) {
            /* roles and scopes, per request: one allocation, no list */
            char *out = apr_palloc(p, total + 1), *o = out;
            for (i = 0; i < n; i++) {
                const char *e = json_string_value(json_array_get(v, i));
                apr_size_t l = strlen(e);
                memcpy(o, e, l);
                o += l;
                *o++ = ',';
            }
            o -= o > out;       /* no ',' after the last one */
            *o = '\0';
            return out;
        }
        if (all) {
            apr_array_header_t *parts = apr_array_make(p, (int)n + 1,
                                                       sizeof(char *));
            for (i = 0; i < n; i++) {
                const char *s = scalar_text(json_array_get(v, i), buf,
                                            sizeof(buf));
                APR_ARRAY_PUSH(parts, const char *) = s == buf
                    ? apr_pstrdup(p, s) : s;
            }
            return apr_array_pstrcat(p, parts, ',');
        }
    }
    {
        /* Objects and nested arrays: compact JSON, as a backend parses. */
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *s;
        if (!dump) {
            return NULL;
        }
        s = apr_pstrdup(p, dump);
        free(dump);
        return s;
    }
}

int ajwt_json_has_ctl(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!u) {
        return 0;
    }
    for (; *u; u++) {
        if (*u < 0x20 || *u == 0x7f) {
            return 1;
        }
    }
    return 0;
}
