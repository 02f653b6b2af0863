/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt.c: the error record shared by the whole core, and the version line.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdarg.h>
#include <stdio.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <jansson.h>
#include <curl/curl.h>
#include <libmemcached/memcached.h>
#include <hiredis/hiredis.h>
#include "ajwt.h"

/* PACKAGE_VERSION comes from AC_INIT in configure.ac, the one place the
 * version is set; builds without config.h (fuzz/build.sh) say so. */
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static ajwt_status_t set_va(ajwt_err_t *err, ajwt_status_t st,
                            apr_status_t rv, const char *fmt, va_list ap)
{
    if (err && err->status == AJWT_OK && st != AJWT_OK) {
        err->status = st;
        err->rv = rv;
        apr_vsnprintf(err->text, sizeof(err->text), fmt, ap);
    }
    return st;
}

ajwt_status_t ajwt_err_set(ajwt_err_t *err, ajwt_status_t st,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = set_va(err, st, APR_SUCCESS, fmt, ap);
    va_end(ap);
    return st;
}

ajwt_status_t ajwt_err_set_rv(ajwt_err_t *err, ajwt_status_t st,
                              apr_status_t rv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = set_va(err, st, rv, fmt, ap);
    va_end(ap);
    return st;
}

const char *ajwt_status_name(ajwt_status_t st)
{
    static const char *const names[AJWT_NSTATUS] = {
        [AJWT_OK]        = "ok",
        [AJWT_EINTERNAL] = "internal error",
        [AJWT_ENOTOKEN]  = "no token",
        [AJWT_EOVERSIZE] = "oversize token",
        [AJWT_EMALFORMED]= "malformed token",
        [AJWT_EALG]      = "algorithm refused",
        [AJWT_EHEADER]   = "header refused",
        [AJWT_EKEY]      = "no matching key",
        [AJWT_ESIG]      = "bad signature",
        [AJWT_ECLAIM]    = "bad claim",
        [AJWT_EEXPIRED]  = "expired",
        [AJWT_ENOTYET]   = "not yet valid",
        [AJWT_EMAXAGE]   = "too old",
        [AJWT_EISSUER]   = "issuer refused",
        [AJWT_EAUDIENCE] = "audience refused",
        [AJWT_ECONFIG]   = "configuration error",
        [AJWT_EREVOKED]  = "revoked",
        [AJWT_ESTORE]    = "store unavailable",
        [AJWT_EFETCH]    = "keys unavailable",
        [AJWT_ELOCKED]   = "locked out",
        [AJWT_EDPOP]     = "invalid DPoP proof",
        [AJWT_EREPLAY]   = "DPoP proof replayed",
        [AJWT_ENONCE]    = "DPoP nonce required",
        [AJWT_EBINDING]  = "sender binding refused",
    };
    return (st >= 0 && st < AJWT_NSTATUS && names[st]) ? names[st]
                                                      : "unknown status";
}

const char *ajwt_version(void)
{
    return PACKAGE_VERSION;
}

const char *ajwt_versions(char *buf, apr_size_t len)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    /* jansson_version_str() is Jansson 2.13's: older ones only have the
     * version they were built with */
#if JANSSON_VERSION_HEX >= 0x020d00
    const char *jv = jansson_version_str();
#else
    const char *jv = JANSSON_VERSION;
#endif

    apr_snprintf(buf, len,
                 "mod_auth_jwt/%s OpenSSL/%s Jansson/%s libcurl/%s "
                 "libmemcached/%s hiredis/%d.%d.%d",
                 PACKAGE_VERSION, OpenSSL_version(OPENSSL_VERSION_STRING), jv,
                 cv && cv->version ? cv->version : LIBCURL_VERSION,
                 memcached_lib_version(),
                 HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    return buf;
}
