/*
 * ajwt_web.h: HTTP strings without httpd: where a token is found.
 */
#ifndef AJWT_WEB_H
#define AJWT_WEB_H

#include "ajwt.h"

/*
 * The token of an "Authorization: Bearer TOKEN" value (scheme matched
 * case-insensitively, one or more spaces, no trailing garbage); NULL if
 * the header is not a Bearer one. From p.
 */
const char *ajwt_web_bearer(const char *authorization, apr_pool_t *p);

/*
 * The value of cookie name in a Cookie header (RFC 6265: pairs split on
 * ';', blanks trimmed, exact name, the first one wins, one pair of
 * surrounding double quotes removed), or NULL, also when that first one
 * is empty; from p.
 */
const char *ajwt_web_cookie(const char *cookie_header, const char *name,
                            apr_pool_t *p);

/*
 * The URL-decoded value of parameter name in a query string ('&'
 * separated, exact name, the first one wins; %XX and '+'), or NULL (also
 * when it is empty, has a bad escape or decodes to a NUL); from p.
 */
const char *ajwt_web_query(const char *args, const char *name,
                           apr_pool_t *p);

#endif
