/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt.h: words shared by every file of the core (src/).
 *
 * The core never includes an httpd header, never logs and never reads the
 * clock: callers pass "now" in, and every failure comes back as an
 * ajwt_status_t plus an ajwt_err_t whose text is safe for the error log
 * (it names kid, alg, iss, sub or jti, never token or key bytes).
 */
#ifndef AJWT_H
#define AJWT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#define AJWT_DEFAULT_LEEWAY      30     /* seconds of clock skew */
#define AJWT_DEFAULT_MAX_TOKEN   8192   /* bytes, checked before parsing */
#define AJWT_ERR_TEXT            256

typedef enum {
    AJWT_OK = 0,
    AJWT_EINTERNAL,     /* allocation or library failure: fail closed */
    AJWT_ENOTOKEN,      /* no token where the configuration looks */
    AJWT_EOVERSIZE,     /* longer than the configured maximum */
    AJWT_EMALFORMED,    /* not three strict base64url segments of JSON */
    AJWT_EALG,          /* alg missing, "none", unknown or not allowed */
    AJWT_EHEADER,       /* crit, typ, kid of the wrong shape */
    AJWT_EKEY,          /* no configured key fits kid and alg */
    AJWT_ESIG,          /* the signature does not verify */
    AJWT_ECLAIM,        /* a claim is missing or of the wrong type */
    AJWT_EEXPIRED,      /* exp + leeway is past */
    AJWT_ENOTYET,       /* nbf or iat is in the future beyond leeway */
    AJWT_EMAXAGE,       /* iat older than the configured max age */
    AJWT_EISSUER,       /* iss is not one of the configured issuers */
    AJWT_EAUDIENCE,     /* aud holds none of the configured audiences */
    AJWT_ECONFIG,       /* a key, secret or setting is unusable */
    AJWT_EREVOKED,      /* revoked by jti or subject */
    AJWT_ESTORE,        /* a shared store could not be reached */
    AJWT_EFETCH,        /* keys from a URL could not be fetched (yet) */
    AJWT_ELOCKED,       /* too many failed logins: locked out for now */
    AJWT_EDPOP,         /* a DPoP proof missing, malformed or refused */
    AJWT_EREPLAY,       /* a DPoP proof's jti was seen before */
    AJWT_ENONCE,        /* a DPoP proof without a current server nonce */
    AJWT_EBINDING,      /* token's cnf does not match the proof key or the
                         * client certificate, or an unbound token where
                         * a bound one is required */
    AJWT_NSTATUS
} ajwt_status_t;

typedef struct {
    ajwt_status_t status;       /* first error set, AJWT_OK if none */
    apr_status_t rv;            /* APR/errno cause where there is one */
    char text[AJWT_ERR_TEXT];   /* for the error log, never the client */
} ajwt_err_t;

/*
 * Record the first error in err (NULL allowed: nothing recorded) and return
 * st, so that callers can write "return ajwt_err_set(err, ...)". A later
 * call does not overwrite the first reason.
 */
ajwt_status_t ajwt_err_set(ajwt_err_t *err, ajwt_status_t st,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, with an APR status kept as the cause. */
ajwt_status_t ajwt_err_set_rv(ajwt_err_t *err, ajwt_status_t st,
                              apr_status_t rv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A short constant name for a status ("expired", "bad signature"...). */
const char *ajwt_status_name(ajwt_status_t st);

/* The version of mod_auth_jwt (AC_INIT in configure.ac), e.g. "0.1.0". */
const char *ajwt_version(void);

/*
 * One line naming this version and the libraries it runs with, at run
 * time where the library tells (OpenSSL, Jansson >= 2.13, libcurl,
 * libmemcached; hiredis only says the version built against):
 * "mod_auth_jwt/0.1.0 OpenSSL/3.0.17 Jansson/2.14 libcurl/7.88.1
 * libmemcached/1.1.4 hiredis/0.14.1". Written into buf (len bytes,
 * AJWT_VERSIONS_LEN is enough), which is returned.
 */
#define AJWT_VERSIONS_LEN 256
const char *ajwt_versions(char *buf, apr_size_t len);

#endif
