/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_web.h: HTTP strings without httpd: where a token is found,
 * cookies, return addresses, and the fields of form and JSON bodies.
 */
#ifndef AJWT_WEB_H
#define AJWT_WEB_H

#include "ajwt.h"

/*
 * The token of an "Authorization: Bearer TOKEN" value (scheme matched
 * case-insensitively, one or more spaces, no trailing garbage); NULL if
 * the header is not a Bearer one. Points into authorization when nothing
 * follows the token (it lives as long as the header), else from p.
 */
const char *ajwt_web_bearer(const char *authorization, apr_pool_t *p);

/* The same for any auth scheme (case-insensitive), e.g. "DPoP" (RFC 9449
 * 7.1: the token68 of "Authorization: DPoP <token>"). */
const char *ajwt_web_credentials(const char *authorization,
                                 const char *scheme, apr_pool_t *p);

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

/* ------------------------------------------------- issuing and browsers */

/*
 * A Set-Cookie value "NAME=VALUE; Path=PATH; Max-Age=N; HttpOnly; Secure;
 * SameSite=Strict": max_age < 0 leaves Max-Age out (a session cookie), 0
 * deletes the cookie. NULL when name, value or path is empty (value may
 * be empty only to delete) or holds ';', ',', a blank, a quote, a
 * backslash or a control character (they would split or forge
 * attributes). From p.
 */
const char *ajwt_web_set_cookie(const char *name, const char *value,
                                const char *path, long max_age,
                                apr_pool_t *p);

/*
 * Is ret a safe return address after a login: a local path ("/..." but
 * not "//" nor "/\"), no scheme, no backslash anywhere, no control
 * characters (raw or %-encoded CR/LF/NUL/TAB), no blanks, at most 2048
 * bytes. 1 if safe, 0 otherwise (the caller then uses "/").
 */
int ajwt_web_return_ok(const char *ret);

/*
 * May a cookie-borne token be used on an unsafe method: Sec-Fetch-Site is
 * "same-origin", or Origin equals own_origin ("https://host[:port]"),
 * scheme and host case-insensitively, port exactly (a default port given
 * on one side only still differs). Neither header, "null", or anything
 * else: 0 (not same-origin). 1 if same-origin.
 */
int ajwt_web_same_origin(const char *origin, const char *sec_fetch_site,
                         const char *own_origin);

/* ------------------------------------------------- form and JSON bodies */

/* A field a request body may carry (ajwt_web_fields_parse). */
typedef struct {
    const char *name;
    apr_size_t max;             /* most bytes of its value, decoded */
    int integer;                /* JSON: an integer is taken too, as its
                                   decimal text (else strings only) */
} ajwt_web_field_t;

/*
 * The fields of a request body, for every endpoint that reads one (login,
 * jwt-revoke): len bytes of body, one JSON object when json is true, else
 * a form (application/x-www-form-urlencoded: '&'-separated pairs, empty
 * ones skipped; a name is the bytes before the first '=', compared as
 * they are; "name" without '=' is the field with an empty value; values
 * URL-decoded: %XX and '+').
 *
 * vals[i] is fields[i]'s value (no NUL inside), or NULL when absent; an
 * empty value is "" (the caller says whether that is allowed). Names not
 * in fields are ignored when unknown is NULL (and not even decoded), else
 * refused with unknown as the message. AJWT_EMALFORMED, strictly, for: a
 * NUL byte anywhere in the body, JSON that is not one object (a member
 * twice included), a field given twice, a field of another JSON type, a
 * bad or truncated %-escape or a %00, a value with a control character
 * (below 0x20, 0x7f) or longer than its max. err->text names the field
 * and never quotes the body (it is fit for the client). From p.
 */
ajwt_status_t ajwt_web_fields_parse(const char **vals,
                                    const ajwt_web_field_t *fields, int n,
                                    const char *unknown, const char *body,
                                    apr_size_t len, int json, apr_pool_t *p,
                                    ajwt_err_t *err);

/*
 * A login body: JSON {"username","password"[,"return"]} or a form
 * username=&password=[&return=], through ajwt_web_fields_parse (other
 * fields ignored: CSRF tokens and the like); username 1..256 bytes,
 * password 1..1024 bytes, return up to 2048 bytes (empty: absent), the
 * body at most 7424 bytes; anything else is AJWT_EMALFORMED (the text
 * never quotes the password). *ret is NULL when absent. All from p.
 */
ajwt_status_t ajwt_web_login_parse(const char **user, const char **pass,
                                   const char **ret, const char *body,
                                   apr_size_t len, int json, apr_pool_t *p,
                                   ajwt_err_t *err);

#endif
