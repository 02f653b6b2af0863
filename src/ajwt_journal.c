/*
 * ajwt_journal.c: the durable copy of a revocation store. Stub until the
 * journal lands.
 */
#include "ajwt_journal.h"

ajwt_status_t ajwt_journal_open(ajwt_journal_t **out, const char *dir,
                                const char *name, apr_global_mutex_t *lock,
                                ajwt_journal_info_t *info, apr_pool_t *p,
                                ajwt_err_t *err)
{
    *out = NULL;
    return ajwt_err_set(err, AJWT_ECONFIG, "journal not built yet");
}
