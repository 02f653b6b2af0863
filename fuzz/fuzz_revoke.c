/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_revoke.c: the jwt-revoke request body parser, ajwt_revoke_parse(),
 * as JSON (first byte odd) or as a form (even). On success exactly one
 * kind is set, with its field non-empty and free of control characters;
 * an error text never repeats the input (it goes to the client).
 */
#include "ajwt_revoke.h"
#include "ajwt_json.h"
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
    ajwt_revoke_req_t req;
    ajwt_err_t err = { 0 };
    const char *body, *f;
    int json;

    if (size < 1) {
        return 0;
    }
    json = data[0] & 1;
    data++;
    size--;
    p = fz_pool();
    body = apr_pmemdup(p, data, size);
    if (ajwt_revoke_parse(&req, body, size, json, p, &err) == AJWT_OK) {
        f = req.kind == AJWT_REVOKE_TOKEN ? req.token
            : req.kind == AJWT_REVOKE_JTI ? req.jti
            : req.kind == AJWT_REVOKE_SUB ? req.sub : NULL;
        if (!f || !*f || ajwt_json_has_ctl(f)) {
            fz_die("accepted a request without a clean field");
        }
        if (req.kind == AJWT_REVOKE_JTI
            && (req.exp < 0 || req.exp > AJWT_MAX_NUMERIC_DATE)) {
            fz_die("accepted an exp out of range");
        }
    }
    else if (size >= 8 && strstr(err.text, apr_pstrmemdup(p, body, 8))
             && !memchr(body, '\0', 8)) {
        /* 8 input bytes in the message: probably echoed. Field names
         * ("token=...") are allowed to appear, so look for more. */
        if (size >= 24
            && strstr(err.text, apr_pstrmemdup(p, body, 24))) {
            fz_die("the error text repeats the input");
        }
    }
    (void)ajwt_revoke_error("invalid_request", err.text, p);
    fz_pool_done(p);
    return 0;
}
