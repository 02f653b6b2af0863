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

#define BAD 0xffu

/* Character to 6-bit value; BAD for everything outside the alphabet. */
static unsigned val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return BAD;
}

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

ajwt_status_t ajwt_b64_decode(unsigned char **out, apr_size_t *outlen,
                              const char *in, apr_size_t len,
                              apr_pool_t *p, ajwt_err_t *err)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t full = len / 4, rest = len % 4, i, o = 0;
    unsigned char *buf;

    if (rest == 1) {
        return ajwt_err_set(err, AJWT_EMALFORMED,
                            "base64url text of impossible length");
    }
    buf = apr_palloc(p, full * 3 + (rest ? rest - 1 : 0) + 1);
    for (i = 0; i < full * 4; i += 4) {
        unsigned a = val(s[i]), b = val(s[i + 1]), c = val(s[i + 2]),
                 d = val(s[i + 3]);
        if ((a | b | c | d) > 63) {
            return ajwt_err_set(err, AJWT_EMALFORMED,
                                "character outside base64url");
        }
        buf[o++] = (unsigned char)(a << 2 | b >> 4);
        buf[o++] = (unsigned char)(b << 4 | c >> 2);
        buf[o++] = (unsigned char)(c << 6 | d);
    }
    if (rest) {
        unsigned a = val(s[i]), b = val(s[i + 1]);
        unsigned c = rest == 3 ? val(s[i + 2]) : 0;
        if ((a | b | c) > 63) {
            return ajwt_err_set(err, AJWT_EMALFORMED,
                                "character outside base64url");
        }
        buf[o++] = (unsigned char)(a << 2 | b >> 4);
        if (rest == 2) {
            if (b & 0x0f) {
                return ajwt_err_set(err, AJWT_EMALFORMED,
                                    "non-canonical base64url tail");
            }
        }
        else {
            buf[o++] = (unsigned char)(b << 4 | c >> 2);
            if (c & 0x03) {
                return ajwt_err_set(err, AJWT_EMALFORMED,
                                    "non-canonical base64url tail");
            }
        }
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
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
