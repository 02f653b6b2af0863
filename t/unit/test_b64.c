/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_b64.c: strict base64url both ways.
 */
#include "ajwt_b64.h"
#include "unit.h"

/* is_int() as a statement: its || value would trip -Wunused-value */


static ajwt_status_t dec(apr_pool_t *p, const char *in, const char **out,
                         apr_size_t *outlen)
{
    unsigned char *o = NULL;
    apr_size_t l = 0;
    ajwt_status_t st = ajwt_b64_decode(&o, &l, in, strlen(in), p, NULL);
    if (out) {
        *out = (const char *)o;
    }
    if (outlen) {
        *outlen = l;
    }
    return st;
}

static void rfc4648(apr_pool_t *p)
{
    /* RFC 4648 section 10, padding removed */
    static const char *const v[][2] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy" },
    };
    apr_size_t i;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        const char *out;
        apr_size_t l;
        ok(!strcmp(ajwt_b64_encode((const unsigned char *)v[i][0],
                                   strlen(v[i][0]), p), v[i][1]),
           "encode \"%s\"", v[i][0]);
        is_int(dec(p, v[i][1], &out, &l), AJWT_OK, "decode %s", v[i][1]);
        ok(l == strlen(v[i][0]) && !memcmp(out, v[i][0], l) && !out[l],
           "decoded %s right and NUL-terminated", v[i][1]);
    }
}

static void url_alphabet(apr_pool_t *p)
{
    static const unsigned char bin[] = { 0xfb, 0xff, 0xbf };
    const char *out;
    apr_size_t l;
    ok(!strcmp(ajwt_b64_encode(bin, 3, p), "-_-_"), "encodes - and _");
    is_int(dec(p, "-_-_", &out, &l), AJWT_OK, "decodes - and _");
    ok(l == 3 && !memcmp(out, bin, 3), "round trip of - and _");
    is_int(dec(p, "+/+/", NULL, NULL), AJWT_EMALFORMED, "'+' '/' refused");
    is_int(dec(p, "Zm9v+g", NULL, NULL), AJWT_EMALFORMED, "'+' refused");
    is_int(dec(p, "Zm9v/g", NULL, NULL), AJWT_EMALFORMED, "'/' refused");
}

static void strictness(apr_pool_t *p)
{
    static const char *const bad[] = {
        "Zg==", "Zg=", "Zm8=", "Zm9v====", "Z", "Zm9vY", "Zm 9v", "Zm9v\n",
        " Zm9v", "Zm9v\t", "Zm9v\r\n", "Zm9?", "Zm.v", "Zm9v.", "Zh",
        "Zm9", "Zm-", "AB", "AAB", "Zm\xc3\xa9",
    };
    apr_size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_int(dec(p, bad[i], NULL, NULL), AJWT_EMALFORMED, "refused #%d",
               (int)i);
    }
    /* canonical tails: last char of 2-char tail must be one of AQgw */
    is_int(dec(p, "ZA", NULL, NULL), AJWT_OK, "ZA canonical");
    is_int(dec(p, "ZB", NULL, NULL), AJWT_EMALFORMED, "ZB non-canonical");
    is_int(dec(p, "Zm8", NULL, NULL), AJWT_OK, "Zm8 canonical");
    is_int(dec(p, "Zm9", NULL, NULL), AJWT_EMALFORMED, "Zm9 non-canonical");
    {
        /* NUL inside the given length is outside the alphabet */
        unsigned char *o;
        apr_size_t l;
        ajwt_err_t err = { 0 };
        is_int(ajwt_b64_decode(&o, &l, "Zm\0v", 4, p, &err),
               AJWT_EMALFORMED, "embedded NUL refused");
        is_int(err.status, AJWT_EMALFORMED, "err recorded");
        is_int(ajwt_b64_decode(&o, &l, "Zm9vX", 4, p, NULL), AJWT_OK,
               "len bounds the input");
        ok(l == 3 && !memcmp(o, "foo", 3), "only len chars read");
    }
}

static void all_bytes(apr_pool_t *p)
{
    unsigned char bin[256];
    int i, n, good = 1;
    for (i = 0; i < 256; i++) {
        bin[i] = (unsigned char)(255 - i);
    }
    for (n = 0; n <= 256; n++) {
        char *e = ajwt_b64_encode(bin, n, p);
        unsigned char *o;
        apr_size_t l;
        if (strchr(e, '=') || strchr(e, '+') || strchr(e, '/')
            || ajwt_b64_decode(&o, &l, e, strlen(e), p, NULL) != AJWT_OK
            || l != (apr_size_t)n || memcmp(o, bin, n)) {
            good = 0;
            diag("length %d failed", n);
        }
    }
    ok(good, "round trip of every length 0..256");
}

/* Each byte value in each position of a group: only the alphabet passes,
 * and each character decodes to its own index. */
static void every_char(apr_pool_t *p)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int c, pos, good = 1;

    for (c = 0; c < 256; c++) {
        const char *in = c ? strchr(alpha, c) : NULL;
        for (pos = 0; pos < 4; pos++) {
            char g[5] = "AAAA";
            unsigned char *o;
            apr_size_t l;
            ajwt_status_t st;
            unsigned v;
            g[pos] = (char)c;
            st = ajwt_b64_decode(&o, &l, g, 4, p, NULL);
            if (!in) {
                if (st != AJWT_EMALFORMED) {
                    good = 0;
                    diag("byte %d at %d accepted", c, pos);
                }
                continue;
            }
            v = (unsigned)(in - alpha);
            if (st != AJWT_OK || l != 3
                || ((unsigned)o[0] << 16 | (unsigned)o[1] << 8 | o[2])
                   != v << (6 * (3 - pos))) {
                good = 0;
                diag("byte %d at %d decoded wrong", c, pos);
            }
        }
    }
    ok(good, "every byte value at every position of a group");
}

static void decode_to(apr_pool_t *p)
{
    unsigned char buf[8];
    apr_size_t l = 99;

    (void)p;
    is_int(ajwt_b64_decoded_max(0), 0, "max of 0");
    is_int(ajwt_b64_decoded_max(2), 1, "max of 2");
    is_int(ajwt_b64_decoded_max(3), 2, "max of 3");
    is_int(ajwt_b64_decoded_max(8), 6, "max of 8");
    memset(buf, 0x77, sizeof(buf));
    is_int(ajwt_b64_decode_to(buf, &l, "Zm9vYg", 6, NULL), AJWT_OK,
           "decode_to");
    ok(l == 4 && !memcmp(buf, "foob", 4) && buf[4] == 0 && buf[5] == 0x77,
       "decode_to writes max + 1 bytes only");
    is_int(ajwt_b64_decode_to(buf, &l, "Zm9vY", 5, NULL), AJWT_EMALFORMED,
           "decode_to: impossible length");
    is_int(ajwt_b64_decode_to(buf, &l, "Zm9vYh", 6, NULL), AJWT_EMALFORMED,
           "decode_to: non-canonical tail");
}

UNIT_MAIN(rfc4648, url_alphabet, strictness, all_bytes, every_char,
          decode_to)
