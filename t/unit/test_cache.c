/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cache.c: the verified-token cache: a hit only for the same token
 * under the same keys, never past exp, claim checks still applied, and
 * safe under threads.
 */
#include <apr_thread_proc.h>
#include "ajwt_cache.h"
#include "ajwt_store.h"
#include "ajwt_verify.h"
#include "unit.h"
#include "fixtures.h"

#define NOW 1700000000

static ajwt_verifier_t verifier(apr_pool_t *p, ajwt_cache_t *cache,
                                const ajwt_key_t **key)
{
    ajwt_verifier_t v = { 0 };
    ajwt_keyset_t *ks = NULL;
    *key = fx_secret(&ks, 32, 'k', "k1", p);
    v.keys = ks;
    v.policy.leeway = 30;
    v.policy.max_age = -1;
    v.cache = cache;
    return v;
}

static void off(apr_pool_t *p)
{
    ajwt_cache_t *c = (ajwt_cache_t *)1;
    is_int(ajwt_cache_create(&c, 0, p, NULL), AJWT_OK, "0 entries is off");
    ok(c == NULL, "no cache");
    ok(ajwt_cache_get(NULL, "a.b.c", 5, NULL, NOW, p) == NULL,
       "get on no cache misses");
}

static void hit_and_scope(apr_pool_t *p)
{
    ajwt_cache_t *c;
    const ajwt_key_t *key;
    ajwt_verifier_t v;
    ajwt_claims_t *cl;
    ajwt_cache_scope_t sc;
    const char *tok;

    ajwt_cache_create(&c, 16, p, NULL);
    v = verifier(p, c, &key);
    tok = fx_token(p, "HS256", key, NULL,
                   "{\"sub\":\"u\",\"jti\":\"j\",\"exp\":1700000600}");
    sc.keyset_id = v.keys->id;
    sc.algs = AJWT_ALG_ALL;
    sc.max_len = AJWT_DEFAULT_MAX_TOKEN;
    ok(!ajwt_cache_get(c, tok, strlen(tok), &sc, NOW, p), "cold: miss");
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v,
                       apr_time_from_sec(NOW), p,
                       NULL), AJWT_OK, "first verification");
    cl = ajwt_cache_get(c, tok, strlen(tok), &sc, NOW, p);
    ok(cl && cl->exp == 1700000600 && !strcmp(cl->sub, "u"),
       "then a hit with its claims");
    sc.keyset_id++;
    ok(!ajwt_cache_get(c, tok, strlen(tok), &sc, NOW, p),
       "other keyset: miss");
    sc.keyset_id--;
    sc.algs = AJWT_ALG_BIT(AJWT_RS256);
    ok(!ajwt_cache_get(c, tok, strlen(tok), &sc, NOW, p),
       "other allowed algorithms: miss");
    sc.algs = AJWT_ALG_ALL;
    ok(!ajwt_cache_get(c, tok, strlen(tok) - 1, &sc, NOW, p),
       "a prefix of the token: miss");
    ok(!ajwt_cache_get(c, tok, strlen(tok), &sc, 1700000600, p),
       "at exp: miss");
    ok(!ajwt_cache_get(c, tok, strlen(tok), &sc, NOW, p),
       "and the entry is gone");
}

/*
 * With a revocation store in the process, the store keys of a token are
 * made once, before it is cached, and every hit gets them in its own copy
 * of the claims: no digest per request, no pointer into the entry.
 */
static void store_keys_cached(apr_pool_t *p)
{
    ajwt_cache_t *c;
    const ajwt_key_t *key;
    ajwt_verifier_t v;
    ajwt_claims_t *cl, *again;
    const char *tok, *tok2;
    char k[AJWT_STORE_KEY_MAX];

    ajwt_cache_create(&c, 16, p, NULL);
    v = verifier(p, c, &key);
    tok = fx_token(p, "HS256", key, NULL,
                   "{\"sub\":\"ks\",\"jti\":\"kj\",\"exp\":1700000600}");
    tok2 = fx_token(p, "HS256", key, NULL,
                    "{\"sub\":\"ks2\",\"exp\":1700000600}");
    v.store_keys = 0;
    ajwt_verify(&cl, NULL, tok, strlen(tok), &v, apr_time_from_sec(NOW), p,
                NULL);
    ok(cl && !cl->store_keys, "no store wanted: no keys made");
    v.store_keys = 1;
    ajwt_verify(&cl, NULL, tok2, strlen(tok2), &v, apr_time_from_sec(NOW), p,
                NULL);
    ok(cl && cl->store_keys, "a store exists: keys made on verification");
    is_int(ajwt_verify(&again, NULL, tok2, strlen(tok2), &v,
                       apr_time_from_sec(NOW), p, NULL), AJWT_OK, "hit");
    ok(again && again != cl && again->store_keys, "the hit's copy has them");
    ajwt_store_key_sub(k, "ks2");
    ok(again && !strcmp(again->store_sub, k), "sub key: %s",
       again ? again->store_sub : "-");
    ok(again && again->store_jti[0] == '\0', "no jti: empty jti key");
    ok(again && (char *)again->store_sub >= (char *)again
       && (char *)again->store_sub < (char *)(again + 1),
       "keys inline in the copy");
    (void)tok;
}

/* A cached token still goes through every claim check, each time. */
static void claims_still_checked(apr_pool_t *p)
{
    ajwt_cache_t *c;
    const ajwt_key_t *key;
    ajwt_verifier_t v;
    ajwt_claims_t *cl;
    const char *tok;
    apr_array_header_t *iss = apr_array_make(p, 1, sizeof(char *));

    ajwt_cache_create(&c, 16, p, NULL);
    v = verifier(p, c, &key);
    tok = fx_token(p, "HS256", key, NULL, "{\"sub\":\"u\",\"iss\":\"a\","
                   "\"exp\":1700000600,\"nbf\":1700000100}");
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v,
                       apr_time_from_sec(NOW), p,
                       NULL), AJWT_ENOTYET, "nbf in the future");
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v,
                       apr_time_from_sec(NOW), p,
                       NULL), AJWT_ENOTYET, "still, from the cache");
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v,
                       apr_time_from_sec(1700000100), p, NULL), AJWT_OK,
           "valid once nbf is reached");
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v,
                       apr_time_from_sec(1700000630), p, NULL),
           AJWT_EEXPIRED, "expires on time");
    APR_ARRAY_PUSH(iss, const char *) = "b";
    v.policy.issuers = iss;
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v,
                       apr_time_from_sec(1700000200), p, NULL),
           AJWT_EISSUER, "issuer policy applied to a cached token");
}

/* A forged token never becomes a hit, even after the real one is cached. */
static void forged_never_hits(apr_pool_t *p)
{
    ajwt_cache_t *c;
    const ajwt_key_t *key;
    ajwt_verifier_t v;
    ajwt_claims_t *cl;
    const char *tok, *bad;

    ajwt_cache_create(&c, 16, p, NULL);
    v = verifier(p, c, &key);
    tok = fx_token(p, "HS256", key, NULL, "{\"sub\":\"u\",\"exp\":1700000600}");
    ajwt_verify(&cl, NULL, tok, strlen(tok), &v, apr_time_from_sec(NOW), p,
                NULL);
    bad = fx_tamper_sig(p, tok);
    is_int(ajwt_verify(&cl, NULL, bad, strlen(bad), &v,
                       apr_time_from_sec(NOW), p,
                       NULL), AJWT_ESIG, "tampered signature refused");
    is_int(ajwt_verify(&cl, NULL, bad, strlen(bad), &v,
                       apr_time_from_sec(NOW), p,
                       NULL), AJWT_ESIG, "and again (not cached)");
}

/* Claims handed out outlive an eviction: the request keeps a reference. */
static void outlives_eviction(apr_pool_t *p)
{
    ajwt_cache_t *c;
    const ajwt_key_t *key;
    ajwt_verifier_t v;
    ajwt_claims_t *a, *b;
    apr_pool_t *req;
    const char *t1, *t2;
    int i;

    ajwt_cache_create(&c, 1, p, NULL);
    v = verifier(p, c, &key);
    t1 = fx_token(p, "HS256", key, NULL, "{\"sub\":\"one\",\"exp\":1700000600}");
    ajwt_verify(&a, NULL, t1, strlen(t1), &v, apr_time_from_sec(NOW), p, NULL);
    apr_pool_create(&req, p);
    ajwt_verify(&a, NULL, t1, strlen(t1), &v, apr_time_from_sec(NOW), req,
                NULL);
    for (i = 0; i < 3; i++) {
        ajwt_verify_info_t info;
        t2 = fx_token(p, "HS256", key, NULL, apr_psprintf(p,
                      "{\"sub\":\"two%d\",\"exp\":1700000600}", i));
        ajwt_verify(&b, &info, t2, strlen(t2), &v, apr_time_from_sec(NOW), p,
                    NULL);
        is_int(info.cache_evictions, 1, "one slot: token %d evicts the one "
               "before it", i);
    }
    {
        ajwt_verify_info_t info;
        ajwt_verify(&b, &info, t2, strlen(t2), &v, apr_time_from_sec(NOW), p,
                    NULL);
        is_int(info.cache_evictions, 0, "a hit evicts nothing");
    }
    ok(a && !strcmp(a->sub, "one"), "claims still readable after eviction");
    apr_pool_destroy(req);
}

struct worker { ajwt_verifier_t *v; const char **toks; int n, bad; };

static void *APR_THREAD_FUNC work(apr_thread_t *t, void *data)
{
    struct worker *w = data;
    apr_pool_t *p;
    int i;
    apr_pool_create(&p, NULL);
    for (i = 0; i < 20000; i++) {
        ajwt_claims_t *cl;
        const char *tok = w->toks[i % w->n];
        if (ajwt_verify(&cl, NULL, tok, strlen(tok), w->v,
                        apr_time_from_sec(NOW),
                        p, NULL) != AJWT_OK
            || strcmp(cl->jti, apr_psprintf(p, "%d", i % w->n))) {
            w->bad++;
        }
        if (i % 100 == 0) {
            apr_pool_clear(p);
        }
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void threads(apr_pool_t *p)
{
    ajwt_cache_t *c;
    const ajwt_key_t *key;
    ajwt_verifier_t v;
    struct worker w[4];
    apr_thread_t *t[4];
    const char *toks[40];
    apr_status_t rv;
    int i, bad = 0;

    ajwt_cache_create(&c, 8, p, NULL);     /* small: many evictions */
    v = verifier(p, c, &key);
    for (i = 0; i < 40; i++) {
        toks[i] = fx_token(p, "HS256", key, NULL, apr_psprintf(p,
                           "{\"sub\":\"u\",\"jti\":\"%d\",\"exp\":1700000600}",
                           i));
    }
    for (i = 0; i < 4; i++) {
        w[i].v = &v;
        w[i].toks = toks;
        w[i].n = 40;
        w[i].bad = 0;
        apr_thread_create(&t[i], NULL, work, &w[i], p);
    }
    for (i = 0; i < 4; i++) {
        apr_thread_join(&rv, t[i]);
        bad += w[i].bad;
    }
    is_int(bad, 0, "4 threads x 20000 verifications through an 8-entry "
           "cache: every answer right");
}

UNIT_MAIN(off, hit_and_scope, store_keys_cached, claims_still_checked, forged_never_hits,
          outlives_eviction, threads)
