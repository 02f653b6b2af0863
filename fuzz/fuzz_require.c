/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_require.c: what the Require checks ask of the claims. The
 * splitting of a Require line into words is httpd's ap_getword_conf()
 * (in the glue, not fuzzed here: no glue code is copied); this harness
 * fuzzes the core functions the checks call on every request with the
 * words httpd hands over: ajwt_claims_has_word() (jwt-role, with the
 * configured role claim path), ajwt_claims_has_scope() (jwt-scope) and
 * ajwt_claims_equals() (jwt-claim PATH VALUE...).
 *
 * Input: a claims JSON object, then '\0', then the words of a line
 * separated by '\n': "ROLECLAIM\nPATH\nWORD\nWORD...". The claims come
 * from ajwt_claims_read(), as after a verified token. Invariants checked:
 * a string claim equals itself; a word found by has_word in a string
 * claim is one of its space-separated words.
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

/* Is w one of the space-separated words of s? */
static int is_word_of(const char *s, const char *w)
{
    size_t n = strlen(w);
    while (*s) {
        const char *e = strchr(s, ' ');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == n && !memcmp(s, w, n)) {
            return 1;
        }
        if (!e) {
            break;
        }
        s = e + 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool();
    char *json, *line, *word, *last;
    const char *roleclaim = NULL, *path = NULL;
    size_t llen;
    json_t *root;
    ajwt_err_t err = { 0 };
    ajwt_claims_t *cl;

    fz_split(data, size, '\0', &json, &line, &llen, p);
    if (ajwt_json_parse_object(&root, json, strlen(json), "payload", p,
                               &err)
        || ajwt_claims_read(&cl, root, p, &err)) {
        fz_pool_done(p);
        return 0;
    }
    for (word = apr_strtok(line, "\n", &last); word;
         word = apr_strtok(NULL, "\n", &last)) {
        json_t *v;
        if (!roleclaim) {
            roleclaim = word;
            continue;
        }
        if (!path) {
            path = word;
            continue;
        }
        v = ajwt_json_path(cl->json, roleclaim);
        if (ajwt_claims_has_word(cl, roleclaim, word) && json_is_string(v)
            && strcmp(json_string_value(v), word)
            && !is_word_of(json_string_value(v), word)) {
            fz_die("has_word found a word that is not in the string");
        }
        (void)ajwt_claims_has_scope(cl, word);
        (void)ajwt_claims_equals(cl, path, word);
        v = ajwt_json_path(cl->json, path);
        if (json_is_string(v) && !strcmp(json_string_value(v), word)
            && !ajwt_claims_equals(cl, path, word)) {
            fz_die("a string claim does not equal its own value");
        }
    }
    fz_pool_done(p);
    return 0;
}
