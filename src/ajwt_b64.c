/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_b64.c: strict base64url, as JWS requires (RFC 7515 section 2).
 *
 * Strictness is a security property here, not pedantry: a lenient decoder
 * lets one signature stand for many tokens (padding, whitespace, '+' and
 * '/', non-zero unused bits), which breaks caches keyed by token text and
 * hides tampering from anything that compares tokens.
 */
#include <apr_strings.h>
#include "ajwt_b64.h"

#define X 0xff

/*
 * Character to 6-bit value; X (0xff) for everything outside the alphabet,
 * so one OR over four characters tells whether any of them was bad. A
 * table, not comparisons: every token byte goes through it per request.
 */
static const unsigned char dtab[256] = {
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};

#undef X

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

apr_size_t ajwt_b64_decoded_max(apr_size_t len)
{
    return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
}

ajwt_status_t ajwt_b64_decode_to(unsigned char *buf, apr_size_t *outlen,
                                 const char *in, apr_size_t len,
                                 ajwt_err_t *err)
{
    const unsigned char *s = (const unsigned char *)in;
    const unsigned char *end4 = s + (len & ~(apr_size_t)3);
    apr_size_t rest = len % 4;
    unsigned char *o = buf;

    if (rest == 1) {
        return ajwt_err_set(err, AJWT_EMALFORMED,
                            "base64url text of impossible length");
    }
    for (; s < end4; s += 4) {
        unsigned a = dtab[s[0]], b = dtab[s[1]], c = dtab[s[2]],
                 d = dtab[s[3]];
        if ((a | b | c | d) > 63) {
            return ajwt_err_set(err, AJWT_EMALFORMED,
                                "character outside base64url");
        }
        o[0] = (unsigned char)(a << 2 | b >> 4);
        o[1] = (unsigned char)(b << 4 | c >> 2);
        o[2] = (unsigned char)(c << 6 | d);
        o += 3;
    }
    if (rest) {
        unsigned a = dtab[s[0]], b = dtab[s[1]];
        unsigned c = rest == 3 ? dtab[s[2]] : 0;
        if ((a | b | c) > 63) {
            return ajwt_err_set(err, AJWT_EMALFORMED,
                                "character outside base64url");
        }
        *o++ = (unsigned char)(a << 2 | b >> 4);
        if (rest == 2) {
            if (b & 0x0f) {
                return ajwt_err_set(err, AJWT_EMALFORMED,
                                    "non-canonical base64url tail");
            }
        }
        else {
            *o++ = (unsigned char)(b << 4 | c >> 2);
            if (c & 0x03) {
                return ajwt_err_set(err, AJWT_EMALFORMED,
                                    "non-canonical base64url tail");
            }
        }
    }
    *o = '\0';
    *outlen = (apr_size_t)(o - buf);
    return AJWT_OK;
}

ajwt_status_t ajwt_b64_decode(unsigned char **out, apr_size_t *outlen,
                              const char *in, apr_size_t len,
                              apr_pool_t *p, ajwt_err_t *err)
{
    unsigned char *buf;
    ajwt_status_t st;

    if (len % 4 == 1) {
        return ajwt_err_set(err, AJWT_EMALFORMED,
                            "base64url text of impossible length");
    }
    buf = apr_palloc(p, ajwt_b64_decoded_max(len) + 1);
    if ((st = ajwt_b64_decode_to(buf, outlen, in, len, err))) {
        return st;
    }
    *out = buf;
    return AJWT_OK;
}

char *ajwt_b64_encode(const unsigned char *in, apr_size_t len,
                      apr_pool_t *p)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i + 3 <= len; i += 3) {
        *o++ = enc[in[i] >> 2];
        *o++ = enc[(in[i] & 0x03) << 4 | in[i + 1] >> 4];
        *o++ = enc[(in[i + 1] & 0x0f) << 2 | in[i + 2] >> 6];
        *o++ = enc[in[i + 2] & 0x3f];
    }
    if (len - i == 1) {
        *o++ = enc[in[i] >> 2];
        *o++ = enc[(in[i] & 0x03) << 4];
    }
    else if (len - i == 2) {
        *o++ = enc[in[i] >> 2];
        *o++ = enc[(in[i] & 0x03) << 4 | in[i + 1] >> 4];
        *o++ = enc[(in[i + 1] & 0x0f) << 2];
    }
    *o = '\0';
    return out;
}
