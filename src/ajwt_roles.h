/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_roles.h: AuthJWTRoleFile, in AuthGroupFile format: one group per
 * line, "group: user1 user2 ...", '#' starts a comment line, blank lines
 * are skipped, no continuation lines. A user listed under several groups
 * has all of them, in file order, each once.
 */
#ifndef AJWT_ROLES_H
#define AJWT_ROLES_H

#include "ajwt.h"

typedef struct ajwt_roles_t ajwt_roles_t;

/*
 * Load path into *out (from p). AJWT_ECONFIG for a file that cannot be
 * read, and for a line without ':' or with an empty group name (naming
 * the line number).
 */
ajwt_status_t ajwt_roles_load(ajwt_roles_t **out, const char *path,
                              apr_pool_t *p, ajwt_err_t *err);

/* The groups of user (of const char *), never NULL (an empty array for
 * an unknown user or a NULL r); owned by r's pool, read-only. */
const apr_array_header_t *ajwt_roles_of(const ajwt_roles_t *r,
                                        const char *user);

#endif
