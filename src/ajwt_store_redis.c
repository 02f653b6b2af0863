/*
 * ajwt_store_redis.c: the revocation store in Redis (hiredis). Stub until
 * the backend lands: every create is refused.
 */
#include "ajwt_store.h"

ajwt_status_t ajwt_store_redis_create(ajwt_store_t **out,
                                      const ajwt_redis_conf_t *conf,
                                      apr_pool_t *p, ajwt_err_t *err)
{
    *out = NULL;
    return ajwt_err_set(err, AJWT_ECONFIG, "Redis store not built yet");
}

int ajwt_store_redis_has_tls(void)
{
    return 0;
}
