/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_claim_path.c: claim paths and the text forms of claims on
 * hostile JSON: input is "PATH\0JSON". The JSON goes through the strict
 * parser (ajwt_json_parse_object: duplicates, NULs, depth), then
 * ajwt_json_path(), ajwt_json_text() on what it finds and on the whole
 * document, ajwt_json_has_ctl(), and ajwt_claims_read() (registered
 * claims) followed by ajwt_claims_string/has_word/has_scope/equals with
 * the path and with the found value's own text as the word.
 */
#include "ajwt_claims.h"
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
    apr_pool_t *p = fz_pool();
    char *path, *json;
    size_t jlen;
    json_t *root, *v;
    ajwt_err_t err = { 0 };
    ajwt_claims_t *cl;

    fz_split(data, size, '\0', &path, &json, &jlen, p);
    if (ajwt_json_parse_object(&root, json, jlen, "payload", p, &err)) {
        fz_pool_done(p);
        return 0;
    }
    v = ajwt_json_path(root, path);
    if (v) {
        const char *t = ajwt_json_text(v, p);
        if (!t && !json_is_null(v)) {
            fz_die("no text for a non-null value");
        }
        if (t) {
            (void)ajwt_json_has_ctl(t);
        }
    }
    if (*path && !strchr(path, '.') && v != json_object_get(root, path)) {
        fz_die("a plain name did not find its own member");
    }
    (void)ajwt_json_text(root, p);
    if (ajwt_claims_read(&cl, root, p, &err) == AJWT_OK) {
        const char *s = ajwt_claims_string(cl, path, p);
        const char *w = s ? s : path;
        (void)ajwt_claims_has_word(cl, path, w);
        (void)ajwt_claims_has_scope(cl, w);
        if (s && json_is_string(v) && !ajwt_claims_equals(cl, path, s)) {
            fz_die("a string claim does not equal its own text");
        }
        (void)ajwt_claims_equals(cl, path, path);
        (void)ajwt_claims_has_word(cl, "roles", path);
    }
    fz_pool_done(p);
    return 0;
}
