/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_fetch.h: one HTTPS GET of a small document (a JWK Set, an OpenID
 * discovery document) with libcurl, as strict as a key download must be:
 * https only, no redirects, certificate and host name verified (against
 * ca_file when given, else the system store), short timeouts, a size
 * limit, and status 200 only.
 *
 * ajwt_fetch_global_init() must run once per process before any fetch,
 * while the process has a single thread: the glue calls it in pre_config
 * (curl_global_init is not thread safe). No clock is read here: libcurl
 * keeps its own timeouts.
 */
#ifndef AJWT_FETCH_H
#define AJWT_FETCH_H

#include "ajwt.h"

#define AJWT_FETCH_CONNECT_MS    3000
#define AJWT_FETCH_TIMEOUT_MS    5000
#define AJWT_FETCH_MAX_SIZE      (512 * 1024)   /* bytes */

typedef struct {
    const char *ca_file;        /* PEM bundle; NULL: the system's store */
    int connect_timeout_ms;     /* 0: AJWT_FETCH_CONNECT_MS */
    int timeout_ms;             /* whole transfer; 0: AJWT_FETCH_TIMEOUT_MS */
    apr_size_t max_size;        /* 0: AJWT_FETCH_MAX_SIZE */
} ajwt_fetch_opts_t;

typedef struct {
    char *body;                 /* NUL terminated, from the caller's pool */
    apr_size_t len;
    long max_age;               /* Cache-Control max-age, -1 if none */
} ajwt_fetch_result_t;

/* curl_global_init, once per process; AJWT_EINTERNAL if it fails. */
ajwt_status_t ajwt_fetch_global_init(ajwt_err_t *err);

/*
 * GET url into *out (body from p). Anything else than a 200 answer of at
 * most max_size bytes over verified https is AJWT_EFETCH with curl's
 * reason or the status in err (never a byte of the body). o may be NULL.
 */
ajwt_status_t ajwt_fetch(ajwt_fetch_result_t *out, const char *url,
                         const ajwt_fetch_opts_t *o, apr_pool_t *p,
                         ajwt_err_t *err);

#endif
