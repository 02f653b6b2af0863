/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_cache.h: the verified-token cache (AuthJWTVerifyCache). One per
 * process, shared by its threads: a token seen again skips parsing and the
 * signature check, never the claim checks (exp, nbf, iat, iss, aud,
 * required), revocation or Require, which callers still run on every
 * request.
 *
 * An entry is found only for the same token bytes (compared whole, not by
 * hash), verified under the same keyset content (ajwt_keyset_t.id), the
 * same allowed algorithms and size limit. It is dropped once the token's
 * exp has passed. The claims' JSON is shared read-only between the cache
 * and the requests using it (Jansson's reference counts are atomic); a
 * request keeps its copy alive through a cleanup on its pool.
 *
 * Direct-mapped, with a mutex per stripe of entries: a lookup holds one
 * uncontended lock for a compare and a reference count increment.
 */
#ifndef AJWT_CACHE_H
#define AJWT_CACHE_H

#include "ajwt.h"
#include "ajwt_claims.h"
#include "ajwt_key.h"

#define AJWT_CACHE_DEFAULT   1024       /* entries per process */
#define AJWT_CACHE_MAX       (1 << 20)

typedef struct ajwt_cache_t ajwt_cache_t;

/* What an entry was verified under. */
typedef struct {
    apr_uint64_t keyset_id;
    unsigned algs;
    apr_size_t max_len;
} ajwt_cache_scope_t;

/*
 * A cache of entries slots (rounded up to a power of two), freed with p.
 * entries 0 gives *out NULL (off). AJWT_EINTERNAL if memory or locks fail.
 */
ajwt_status_t ajwt_cache_create(ajwt_cache_t **out, int entries,
                                apr_pool_t *p, ajwt_err_t *err);

/*
 * The claims verified earlier for this token and scope, as a copy from p
 * whose JSON stays valid as long as p; NULL on a miss (absent, other
 * scope, or exp at or before now).
 */
ajwt_claims_t *ajwt_cache_get(ajwt_cache_t *c, const char *token,
                              apr_size_t len, const ajwt_cache_scope_t *sc,
                              apr_int64_t now, apr_pool_t *p);

/* Remember claims (just verified) for token and scope. 1 when another
 * token's entry was evicted to make room, else 0. */
int ajwt_cache_put(ajwt_cache_t *c, const char *token, apr_size_t len,
                    const ajwt_cache_scope_t *sc, const ajwt_claims_t *cl);

#endif
