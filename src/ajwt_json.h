/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_json.h: Jansson values owned by APR pools, and dotted claim paths.
 */
#ifndef AJWT_JSON_H
#define AJWT_JSON_H

#include <jansson.h>
#include "ajwt.h"

/*
 * Parse len bytes as one JSON object. Duplicate member names, a top level
 * that is not an object, NUL bytes, trailing data and nesting deeper than
 * Jansson's limit are AJWT_EMALFORMED (what names "header" or "payload"
 * in the message). The result is decref'd by a cleanup on p.
 */
ajwt_status_t ajwt_json_parse_object(json_t **out, const char *buf,
                                     apr_size_t len, const char *what,
                                     apr_pool_t *p, ajwt_err_t *err);

/* Register json_decref(j) on p; returns j. */
json_t *ajwt_json_own(json_t *j, apr_pool_t *p);

/*
 * Look a claim up by path. A member whose whole name equals path wins
 * (namespaced claims such as "https://example.com/roles"); otherwise the
 * path is split on '.' and followed through objects
 * ("realm_access.roles", "resource_access.app.roles"). NULL if absent.
 */
json_t *ajwt_json_path(const json_t *root, const char *path);

/*
 * The text form of a scalar: strings as they are, integers in decimal,
 * reals with %.17g, true/false; arrays of scalars joined with ','; objects
 * and other arrays as compact JSON; NULL for JSON null. A string may be
 * v's own (valid as long as v), everything else is from p.
 */
const char *ajwt_json_text(const json_t *v, apr_pool_t *p);

/* True if s (len bytes) holds a byte < 0x20 or 0x7f. */
int ajwt_json_has_ctl(const char *s);

#endif
