/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_cache.c: the per-process verified-token cache (see ajwt_cache.h).
 */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "ajwt_cache.h"

#define STRIPES 64              /* locks; entries are spread over them */

typedef struct {
    char *token;                /* malloc'd copy, NULL when empty */
    apr_size_t len;
    ajwt_cache_scope_t scope;
    ajwt_claims_t claims;       /* claims.json holds one reference */
} entry_t;

struct ajwt_cache_t {
    entry_t *slots;
    apr_size_t mask;            /* slots - 1 */
    apr_uint64_t seed;          /* keyed hash: no chosen-collision flood */
    apr_thread_mutex_t *locks[STRIPES];
};

static void clear_entry(entry_t *e)
{
    if (e->token) {
        free(e->token);
        json_decref(e->claims.json);
        memset(e, 0, sizeof(*e));
    }
}

static apr_status_t cache_cleanup(void *data)
{
    ajwt_cache_t *c = data;
    apr_size_t i;
    for (i = 0; i <= c->mask; i++) {
        clear_entry(&c->slots[i]);
    }
    free(c->slots);
    return APR_SUCCESS;
}

ajwt_status_t ajwt_cache_create(ajwt_cache_t **out, int entries,
                                apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_cache_t *c;
    apr_size_t n = 1;
    int i;

    *out = NULL;
    if (entries <= 0) {
        return AJWT_OK;
    }
    while (n < (apr_size_t)entries && n < AJWT_CACHE_MAX) {
        n <<= 1;
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->mask = n - 1;
    c->slots = calloc(n, sizeof(entry_t));
    if (!c->slots || RAND_bytes((unsigned char *)&c->seed,
                                sizeof(c->seed)) != 1) {
        free(c->slots);
        return ajwt_err_set(err, AJWT_EINTERNAL, "no memory or randomness "
                            "for a verified-token cache of %d entries",
                            entries);
    }
    for (i = 0; i < STRIPES; i++) {
        apr_status_t rv = apr_thread_mutex_create(&c->locks[i],
                                                  APR_THREAD_MUTEX_DEFAULT,
                                                  p);
        if (rv != APR_SUCCESS) {
            free(c->slots);
            return ajwt_err_set_rv(err, AJWT_EINTERNAL, rv, "no lock for "
                                   "the verified-token cache");
        }
    }
    apr_pool_cleanup_register(p, c, cache_cleanup, apr_pool_cleanup_null);
    *out = c;
    return AJWT_OK;
}

/*
 * A seeded multiply-xorshift hash over 8 bytes at a time: it only picks a
 * slot (the token itself is then compared whole), so speed matters more
 * than strength; the per-process random seed keeps a client from aiming
 * many tokens at one slot.
 */
static apr_uint64_t slot_hash(const ajwt_cache_t *c, const char *s,
                              apr_size_t len)
{
    apr_uint64_t h = c->seed ^ (len * 0x9e3779b97f4a7c15ULL), w;
    apr_size_t i;
    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s + i, len - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

static int same_scope(const ajwt_cache_scope_t *a,
                      const ajwt_cache_scope_t *b)
{
    return a->keyset_id == b->keyset_id && a->algs == b->algs
           && a->max_len == b->max_len;
}

static apr_status_t decref_cleanup(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

ajwt_claims_t *ajwt_cache_get(ajwt_cache_t *c, const char *token,
                              apr_size_t len, const ajwt_cache_scope_t *sc,
                              apr_int64_t now, apr_pool_t *p)
{
    apr_size_t i;
    apr_thread_mutex_t *lock;
    ajwt_claims_t *cl = NULL;
    entry_t *e;

    if (!c || !len) {
        return NULL;
    }
    i = slot_hash(c, token, len) & c->mask;
    e = &c->slots[i];
    lock = c->locks[i % STRIPES];
    apr_thread_mutex_lock(lock);
    if (e->token && e->len == len && same_scope(&e->scope, sc)
        && !memcmp(e->token, token, len)) {
        if (e->claims.exp <= now) {
            clear_entry(e);     /* never served past exp */
        }
        else {
            cl = apr_pmemdup(p, &e->claims, sizeof(*cl));
            json_incref(cl->json);
        }
    }
    apr_thread_mutex_unlock(lock);
    if (cl) {
        apr_pool_cleanup_register(p, cl->json, decref_cleanup,
                                  apr_pool_cleanup_null);
    }
    return cl;
}

int ajwt_cache_put(ajwt_cache_t *c, const char *token, apr_size_t len,
                    const ajwt_cache_scope_t *sc, const ajwt_claims_t *cl)
{
    apr_size_t i;
    apr_thread_mutex_t *lock;
    entry_t *e;
    char *copy;

    int evicted;

    if (!c || !len || !cl || !cl->json) {
        return 0;
    }
    copy = malloc(len);
    if (!copy) {
        return 0;               /* a cache may always forget */
    }
    memcpy(copy, token, len);
    i = slot_hash(c, token, len) & c->mask;
    e = &c->slots[i];
    lock = c->locks[i % STRIPES];
    apr_thread_mutex_lock(lock);
    evicted = e->token && (e->len != len || memcmp(e->token, token, len));
    clear_entry(e);
    e->token = copy;
    e->len = len;
    e->scope = *sc;
    e->claims = *cl;
    json_incref(e->claims.json);
    apr_thread_mutex_unlock(lock);
    return evicted;
}
