/*
 * ajwt_issue.c: stub (being written).
 */
#include "ajwt_issue.h"

ajwt_status_t ajwt_issue_access(char **token, const char **jti,
                                const ajwt_issuer_t *is, const char *sub,
                                const apr_array_header_t *roles,
                                apr_int64_t now, apr_pool_t *p,
                                ajwt_err_t *err)
{
    (void)token; (void)jti; (void)is; (void)sub; (void)roles; (void)now;
    (void)p;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

ajwt_status_t ajwt_issue_refresh(char **token, const ajwt_issuer_t *is,
                                 const char *sub, const char *fam,
                                 apr_int64_t gen, apr_int64_t now,
                                 apr_pool_t *p, ajwt_err_t *err)
{
    (void)token; (void)is; (void)sub; (void)fam; (void)gen; (void)now;
    (void)p;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

const char *ajwt_issue_new_id(apr_pool_t *p)
{
    (void)p;
    return NULL;
}

ajwt_status_t ajwt_issue_check_refresh(ajwt_refresh_t *out,
                                       const char *token,
                                       const ajwt_issuer_t *is, int leeway,
                                       apr_int64_t now, apr_pool_t *p,
                                       ajwt_err_t *err)
{
    (void)out; (void)token; (void)is; (void)leeway; (void)now; (void)p;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

ajwt_status_t ajwt_family_start(ajwt_store_t *st, const char *fam,
                                apr_int64_t expires, apr_int64_t now,
                                ajwt_err_t *err)
{
    (void)st; (void)fam; (void)expires; (void)now;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

ajwt_status_t ajwt_family_rotate(ajwt_store_t *st, const char *fam,
                                 apr_int64_t gen, apr_int64_t *next,
                                 int *reuse, apr_int64_t expires,
                                 apr_int64_t now, ajwt_err_t *err)
{
    (void)st; (void)fam; (void)gen; (void)next; (void)reuse; (void)expires;
    (void)now;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

ajwt_status_t ajwt_family_revoke(ajwt_store_t *st, const char *fam,
                                 apr_int64_t expires, apr_int64_t now,
                                 ajwt_err_t *err)
{
    (void)st; (void)fam; (void)expires; (void)now;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

ajwt_status_t ajwt_lockout_check(ajwt_store_t *st, const char *user,
                                 const char *addr, int attempts,
                                 apr_int64_t now, apr_int64_t *retry_after,
                                 ajwt_err_t *err)
{
    (void)st; (void)user; (void)addr; (void)attempts; (void)now;
    (void)retry_after;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

ajwt_status_t ajwt_lockout_fail(ajwt_store_t *st, const char *user,
                                const char *addr, int window,
                                apr_int64_t now, ajwt_err_t *err)
{
    (void)st; (void)user; (void)addr; (void)window; (void)now;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}

ajwt_status_t ajwt_lockout_clear(ajwt_store_t *st, const char *user,
                                 apr_int64_t now, ajwt_err_t *err)
{
    (void)st; (void)user; (void)now;
    return ajwt_err_set(err, AJWT_EINTERNAL, "not implemented");
}
