/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_roles.c: unit tests of src/ajwt_roles.c (AuthJWTRoleFile).
 */
#include "unit.h"
#include "fixtures.h"
#include "ajwt_roles.h"

static int has(const apr_array_header_t *a, int i, const char *g)
{
    return a && i < a->nelts && !strcmp(APR_ARRAY_IDX(a, i, const char *), g);
}

static void parsing(apr_pool_t *p)
{
    const char *text =
        "# roles for issued tokens\n"
        "\n"
        "admin: alice  bob\n"
        "   # an indented comment\n"
        "staff:alice\tcarol\r\n"
        "readers :  alice bob carol dave alice\n"
        "empty:\n"
        "\t\n"
        "last: erin";           /* no final newline */
    char *dir = fx_tmpdir(p);
    const char *path = fx_write(dir, "groups", text, strlen(text), p);
    ajwt_roles_t *r = NULL;
    ajwt_err_t err = { 0 };
    const apr_array_header_t *a;

    is_int(ajwt_roles_load(&r, path, p, &err), AJWT_OK, "loads");
    a = ajwt_roles_of(r, "alice");
    is_int(a->nelts, 3, "alice in three groups, once each");
    ok(has(a, 0, "admin") && has(a, 1, "staff") && has(a, 2, "readers"),
       "in file order");
    a = ajwt_roles_of(r, "bob");
    ok(a->nelts == 2 && has(a, 0, "admin") && has(a, 1, "readers"), "bob");
    a = ajwt_roles_of(r, "carol");
    ok(a->nelts == 2 && has(a, 0, "staff") && has(a, 1, "readers"),
       "carol (tab separated, CRLF line)");
    a = ajwt_roles_of(r, "erin");
    ok(a->nelts == 1 && has(a, 0, "last"), "last line without newline");
    a = ajwt_roles_of(r, "zed");
    ok(a != NULL && a->nelts == 0, "unknown user: empty, not NULL");
    a = ajwt_roles_of(r, "#");
    ok(a->nelts == 0, "comment words are not users");
    a = ajwt_roles_of(r, "Alice");
    ok(a->nelts == 0, "user names are case-sensitive");
    ok(ajwt_roles_of(NULL, "alice") != NULL
       && ajwt_roles_of(NULL, "alice")->nelts == 0, "NULL roles: empty");
    ok(ajwt_roles_of(r, NULL)->nelts == 0, "NULL user: empty");
}

static void refusals(apr_pool_t *p)
{
    char *dir = fx_tmpdir(p);
    ajwt_roles_t *r = NULL;
    ajwt_err_t err = { 0 };
    const char *path;

    is_int(ajwt_roles_load(&r, apr_pstrcat(p, dir, "/missing", NULL), p,
                           &err), AJWT_ECONFIG, "missing file");
    ok(strstr(err.text, "missing") != NULL, "names the file: %s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_roles_load(&r, dir, p, &err), AJWT_ECONFIG, "a directory");
    path = fx_write(dir, "nocolon", "admin alice\n", 12, p);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_roles_load(&r, path, p, &err), AJWT_ECONFIG,
           "line without a colon");
    ok(strstr(err.text, "line 1") != NULL, "names the line: %s", err.text);
    path = fx_write(dir, "noname", "# c\n: alice\n", 12, p);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_roles_load(&r, path, p, &err), AJWT_ECONFIG,
           "empty group name");
    ok(strstr(err.text, "line 2") != NULL, "line 2: %s", err.text);
    path = fx_write(dir, "nul", "a: b\0c\n", 7, p);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_roles_load(&r, path, p, &err), AJWT_ECONFIG, "NUL byte");
    path = fx_write(dir, "ctl", "ad\x01min: b\n", 10, p);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_roles_load(&r, path, p, &err), AJWT_ECONFIG,
           "control character in a group name");
    path = fx_write(dir, "empty", "", 0, p);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_roles_load(&r, path, p, &err), AJWT_OK, "empty file loads");
    ok(ajwt_roles_of(r, "a")->nelts == 0, "with nobody in it");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_roles_load(&r, NULL, p, &err), AJWT_ECONFIG, "no path");
}

UNIT_MAIN(parsing, refusals)
