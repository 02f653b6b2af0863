/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_b64.c: strict base64url and the HTTP strings the glue reads a
 * token from. The first byte picks:
 *   0: ajwt_b64_decode(); what it accepts must encode back to exactly the
 *      input (canonical: no padding, zero trailing bits), and what it
 *      encodes must decode to the same bytes;
 *   1: ajwt_web_bearer() on the input as an Authorization value;
 *   2: ajwt_web_cookie() on "NAME\nCOOKIE-HEADER";
 *   3: ajwt_web_query() on "NAME\nQUERY-STRING".
 */
#include "ajwt_b64.h"
#include "ajwt_web.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    unsigned char *out, *back;
    apr_size_t outlen, backlen;
    ajwt_err_t err = { 0 };
    char *a, *b, *in;
    size_t bl;
    int mode;

    if (size < 1) {
        return 0;
    }
    mode = data[0] & 3;
    data++;
    size--;
    p = fz_pool();
    switch (mode) {
    case 0: {
        char *enc;
        in = apr_pmemdup(p, data, size);    /* exactly size bytes */
        if (ajwt_b64_decode(&out, &outlen, in, size, p, &err) == AJWT_OK) {
            if (out[outlen] != '\0') {
                fz_die("decoded bytes not NUL-terminated");
            }
            enc = ajwt_b64_encode(out, outlen, p);
            if (strlen(enc) != size || memcmp(enc, in, size)) {
                fz_die("accepted a non-canonical encoding");
            }
        }
        enc = ajwt_b64_encode(data, size, p);
        if (ajwt_b64_decode(&back, &backlen, enc, strlen(enc), p, &err)
            || backlen != size || (size && memcmp(back, data, size))) {
            fz_die("encode/decode round trip");
        }
        break;
    }
    case 1:
        in = apr_pstrmemdup(p, (const char *)data, size);
        (void)ajwt_web_bearer(in, p);
        break;
    case 2:
        fz_split(data, size, '\n', &a, &b, &bl, p);
        (void)ajwt_web_cookie(b, a, p);
        break;
    default:
        fz_split(data, size, '\n', &a, &b, &bl, p);
        (void)ajwt_web_query(b, a, p);
        break;
    }
    fz_pool_done(p);
    return 0;
}
