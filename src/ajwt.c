/*
 * ajwt.c: the error record shared by the whole core.
 */
#include <stdarg.h>
#include <stdio.h>
#include <apr_strings.h>
#include "ajwt.h"

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
    };
    return (st >= 0 && st < AJWT_NSTATUS && names[st]) ? names[st]
                                                      : "unknown status";
}
