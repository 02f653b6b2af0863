/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_roles.c: AuthJWTRoleFile (AuthGroupFile format) loading and lookup.
 *
 * Loaded once per configuration (or per file change, by the glue's
 * cache), looked up once per login: a hash from user to the array of
 * their groups is built at load time, so a lookup allocates nothing.
 */
#include <string.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "ajwt_roles.h"

#define MAX_ROLE_FILE   (16 * 1024 * 1024)

struct ajwt_roles_t {
    apr_hash_t *users;          /* user -> apr_array_header_t of groups */
    apr_array_header_t *none;   /* what unknown users get */
};

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Add group to user's list, once. */
static void add(ajwt_roles_t *r, const char *user, const char *group,
                apr_pool_t *p)
{
    apr_array_header_t *a = apr_hash_get(r->users, user,
                                         APR_HASH_KEY_STRING);
    int i;

    if (!a) {
        a = apr_array_make(p, 2, sizeof(const char *));
        apr_hash_set(r->users, user, APR_HASH_KEY_STRING, a);
    }
    for (i = 0; i < a->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), group)) {
            return;
        }
    }
    APR_ARRAY_PUSH(a, const char *) = group;
}

ajwt_status_t ajwt_roles_load(ajwt_roles_t **out, const char *path,
                              apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_roles_t *r;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n = 0;
    char *buf, *line, *next;
    int lineno = 0;

    if (!path || !*path) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no role file given");
    }
    /* the type first: opening a FIFO would block start-up for ever */
    if (apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS
        && fi.filetype != APR_REG) {
        return ajwt_err_set(err, AJWT_ECONFIG, "role file %s is not a "
                            "regular file", path);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "cannot open role "
                               "file %s", path);
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS || fi.filetype != APR_REG
        || fi.size > MAX_ROLE_FILE) {
        apr_file_close(f);
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "role file %s is not "
                               "a regular file of at most %d bytes", path,
                               MAX_ROLE_FILE);
    }
    buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    if (fi.size > 0) {
        rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &n);
    }
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "cannot read role "
                               "file %s", path);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "role file %s holds a NUL "
                            "byte", path);
    }

    r = apr_pcalloc(p, sizeof(*r));
    r->users = apr_hash_make(p);
    r->none = apr_array_make(p, 1, sizeof(const char *));
    for (line = buf; line; line = next) {
        char *colon, *g, *s, *end;
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        lineno++;
        while (blank(*line)) {
            line++;
        }
        if (*line == '\0' || *line == '#') {
            continue;
        }
        if (!(colon = strchr(line, ':'))) {
            return ajwt_err_set(err, AJWT_ECONFIG, "role file %s line %d: "
                                "no ':' after the group name", path, lineno);
        }
        end = colon;
        while (end > line && blank(end[-1])) {
            end--;
        }
        *end = '\0';
        g = line;
        if (!*g) {
            return ajwt_err_set(err, AJWT_ECONFIG, "role file %s line %d: "
                                "empty group name", path, lineno);
        }
        for (s = g; *s; s++) {
            if ((unsigned char)*s < 0x20 || *s == 0x7f || blank(*s)) {
                return ajwt_err_set(err, AJWT_ECONFIG, "role file %s line "
                                    "%d: group name with a blank or control "
                                    "character", path, lineno);
            }
        }
        s = colon + 1;
        for (;;) {
            char *u;
            while (blank(*s)) {
                s++;
            }
            if (!*s) {
                break;
            }
            u = s;
            while (*s && !blank(*s)) {
                s++;
            }
            if (*s) {
                *s++ = '\0';
            }
            add(r, u, g, p);
        }
    }
    *out = r;
    return AJWT_OK;
}

const apr_array_header_t *ajwt_roles_of(const ajwt_roles_t *r,
                                        const char *user)
{
    static const apr_array_header_t empty = { NULL, sizeof(const char *),
                                              0, 0, NULL };
    const apr_array_header_t *a;

    if (!r || !user) {
        return &empty;
    }
    a = apr_hash_get(r->users, user, APR_HASH_KEY_STRING);
    return a ? a : r->none;
}
