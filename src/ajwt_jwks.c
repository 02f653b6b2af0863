/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_jwks.c: keys from a JWKS or discovery URL, one fetch for every
 * process (see ajwt_jwks.h for the rules).
 *
 * The region of one source: a header of control words and the published
 * document, then the document's text. Every shared word is read and
 * written with atomic operations, as in ajwt_store_shm.c, so that a reader
 * racing the writer is well defined and simply copies again.
 *
 * Writers: only the holder of the lease writes, so no mutex is needed.
 * The lease lasts longer than the two fetches can (timeouts); a process
 * that dies holding it only delays the next fetch until it expires. A
 * writer that died half-way through a publish leaves the sequence odd;
 * the next writer (holding the lease) makes it even again and rewrites
 * everything, and readers meanwhile keep the keys they have.
 *
 * What is published is not the provider's text but a normalized JWK Set
 * holding only the keys this module accepted: every process re-parses it
 * and must get the same keys without error, and comparing the normalized
 * text tells a real rotation from a refetch of the same keys (which must
 * not make every process parse again).
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include "ajwt_json.h"
#include "ajwt_jwks.h"

#define REGION_MAGIC    APR_UINT64_C(0x616a77746a776b31)   /* "ajwtjwk1" */
#define REGION_VERSION  2
#define ISSUER_WORDS    (AJWT_JWKS_URL_MAX / 8)
#define READ_RETRIES    32
#define COMBOS_MAX      16      /* static key sets combined per generation */

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

typedef struct {
    apr_uint64_t magic;         /* written last when laying out */
    apr_uint32_t version;
    apr_uint32_t cap;           /* bytes of the text area */
    apr_uint64_t size;          /* bytes of the region */
    apr_uint64_t url_hash;      /* of url and the discovery flag */
    /* control words, outside the seqlock */
    apr_int64_t lease;          /* a fetcher holds it until then (seconds) */
    apr_int64_t next_refresh;   /* periodic refresh due (seconds) */
    apr_int64_t last_attempt;   /* last fetch started (seconds) */
    apr_int64_t retry_at;       /* after a failure: not before (seconds) */
    apr_int64_t last_good;      /* last document accepted (seconds), 0 */
    apr_uint32_t failures;      /* in a row */
    apr_uint32_t seq;           /* odd while the published part changes */
    /* published, under seq */
    apr_uint64_t generation;    /* documents published so far */
    apr_uint32_t doc_len;
    apr_uint32_t issuer_len;
    apr_uint32_t nkeys;
    apr_uint32_t pad;
    apr_uint64_t issuer[ISSUER_WORDS];
} region;                       /* then cap bytes of text, as words */

typedef struct {
    const apr_array_header_t *stat;   /* the static set's key pointers */
    const ajwt_keyset_t *keys;
} combo;

struct ajwt_jwks_t {
    const ajwt_jwks_conf_t *conf;
    region *r;
    apr_uint64_t *text;
    apr_pool_t *pool;           /* parsed sets: children, never destroyed */
    apr_thread_mutex_t *lock;
    apr_uint64_t gen_seen;
    const ajwt_keyset_t *keys;  /* of gen_seen */
    const char *issuer;
    apr_pool_t *gen_pool;       /* where keys of gen_seen live */
    combo combos[COMBOS_MAX];
    int ncombos;
};

static apr_uint64_t url_hash(const ajwt_jwks_conf_t *c)
{
    apr_uint64_t h = APR_UINT64_C(0xcbf29ce484222325) ^ (c->discovery ? 1 : 2);
    const unsigned char *s = (const unsigned char *)c->url;
    for (; *s; s++) {
        h = (h ^ *s) * APR_UINT64_C(0x100000001b3);
    }
    return h;
}

static apr_size_t text_cap(const ajwt_jwks_conf_t *c)
{
    apr_size_t cap = c->fetch.max_size ? c->fetch.max_size
                                       : AJWT_FETCH_MAX_SIZE;
    return (cap + 7) & ~(apr_size_t)7;
}

apr_size_t ajwt_jwks_region_size(const ajwt_jwks_conf_t *conf)
{
    return sizeof(region) + text_cap(conf);
}

/* Seconds a fetcher may hold the lease: both fetches, with margin. */
static apr_int64_t lease_seconds(const ajwt_jwks_conf_t *c)
{
    int t = c->fetch.timeout_ms ? c->fetch.timeout_ms : AJWT_FETCH_TIMEOUT_MS;
    int k = c->fetch.connect_timeout_ms ? c->fetch.connect_timeout_ms
                                        : AJWT_FETCH_CONNECT_MS;
    return 2 * ((t > k ? t : k) / 1000 + 1) + 5;
}

static int period_of(const ajwt_jwks_conf_t *c, long max_age)
{
    long v = c->refresh > 0 ? c->refresh : AJWT_JWKS_REFRESH_DEFAULT;
    if (max_age >= 0) {
        v = max_age;
    }
    if (v < AJWT_JWKS_REFRESH_MIN) {
        v = AJWT_JWKS_REFRESH_MIN;
    }
    if (v > AJWT_JWKS_REFRESH_MAX) {
        v = AJWT_JWKS_REFRESH_MAX;
    }
    return (int)v;
}

ajwt_status_t ajwt_jwks_attach(ajwt_jwks_t **out,
                               const ajwt_jwks_conf_t *conf, void *base,
                               apr_size_t size, apr_pool_t *p,
                               ajwt_err_t *err)
{
    region *r = base;
    ajwt_jwks_t *src;
    apr_uint64_t h;
    apr_status_t rv;

    if (!conf || !conf->url) {
        return ajwt_err_set(err, AJWT_ECONFIG, "jwks: no URL");
    }
    if (!base || ((apr_uintptr_t)base & 7)
        || size < ajwt_jwks_region_size(conf)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "jwks %s: no region, an "
                            "unaligned one or one smaller than %lu bytes",
                            conf->url,
                            (unsigned long)ajwt_jwks_region_size(conf));
    }
    size = ajwt_jwks_region_size(conf);
    h = url_hash(conf);
    /* The same source laid out before (a graceful restart): keep it. */
    if (!(__atomic_load_n(&r->magic, __ATOMIC_ACQUIRE) == REGION_MAGIC
          && r->version == REGION_VERSION && r->size == size
          && r->cap == text_cap(conf) && r->url_hash == h)) {
        memset(base, 0, size);
        r->version = REGION_VERSION;
        r->size = size;
        r->cap = (apr_uint32_t)text_cap(conf);
        r->url_hash = h;
        __atomic_store_n(&r->magic, REGION_MAGIC, __ATOMIC_RELEASE);
    }

    src = apr_pcalloc(p, sizeof(*src));
    src->conf = conf;
    src->r = r;
    src->text = (apr_uint64_t *)((char *)base + sizeof(region));
    if ((rv = apr_pool_create(&src->pool, p)) != APR_SUCCESS
        || (rv = apr_thread_mutex_create(&src->lock, APR_THREAD_MUTEX_DEFAULT,
                                         p)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_EINTERNAL, rv, "jwks %s: no pool "
                               "or mutex", conf->url);
    }
    apr_pool_tag(src->pool, "ajwt_jwks");
    *out = src;
    return AJWT_OK;
}

apr_uint64_t ajwt_jwks_generation(const ajwt_jwks_t *src)
{
    return __atomic_load_n(&src->r->generation, __ATOMIC_ACQUIRE);
}

int ajwt_jwks_nkeys(const ajwt_jwks_t *src)
{
    return (int)LOAD(src->r->nkeys);
}

apr_int64_t ajwt_jwks_last_good(const ajwt_jwks_t *src)
{
    return LOAD(src->r->last_good);
}

/* mine: the caller holds the lease (it re-checks after taking it) */
static int due(const ajwt_jwks_t *src, apr_int64_t t, int unknown_kid,
               int mine)
{
    region *r = src->r;

    if (t < LOAD(r->retry_at) || (!mine && t < LOAD(r->lease))) {
        return 0;       /* backing off after a failure, or being fetched */
    }
    if (LOAD(r->generation) == 0 || t >= LOAD(r->next_refresh)) {
        return 1;
    }
    return unknown_kid && t - LOAD(r->last_attempt) >= AJWT_JWKS_KID_EVERY;
}

int ajwt_jwks_due(const ajwt_jwks_t *src, apr_time_t now, int unknown_kid)
{
    return due(src, apr_time_sec(now), unknown_kid, 0);
}

/* ------------------------------------------------------------ publish */

/* Copy the published part out: 1 consistent, 0 a writer was there. */
static int read_published(const ajwt_jwks_t *src, apr_uint64_t *gen,
                          char **doc, apr_size_t *doc_len, char **issuer,
                          apr_pool_t *p)
{
    region *r = src->r;
    int tries;
    for (tries = 0; tries < READ_RETRIES; tries++) {
        apr_uint32_t s1, s2, dl, il, i;
        apr_uint64_t *dw, *iw;
        s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            continue;
        }
        *gen = LOAD(r->generation);
        dl = LOAD(r->doc_len);
        il = LOAD(r->issuer_len);
        if (dl > r->cap || il >= AJWT_JWKS_URL_MAX) {
            continue;       /* torn: the check below would fail anyway */
        }
        dw = apr_palloc(p, (dl + 8) & ~(apr_size_t)7);
        iw = apr_palloc(p, (il + 8) & ~(apr_size_t)7);
        for (i = 0; i < (dl + 7) / 8; i++) {
            dw[i] = LOAD(src->text[i]);
        }
        for (i = 0; i < (il + 7) / 8; i++) {
            iw[i] = LOAD(r->issuer[i]);
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        s2 = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
        if (s1 != s2) {
            continue;
        }
        *doc = (char *)dw;
        (*doc)[dl] = '\0';
        *doc_len = dl;
        *issuer = il ? (char *)iw : NULL;
        if (il) {
            (*issuer)[il] = '\0';
        }
        return 1;
    }
    return 0;
}

static void write_words(apr_uint64_t *dst, const char *src, apr_size_t len)
{
    apr_size_t i;
    for (i = 0; i < (len + 7) / 8; i++) {
        apr_uint64_t w = 0;
        apr_size_t n = len - i * 8 < 8 ? len - i * 8 : 8;
        memcpy(&w, src + i * 8, n);
        STORE(dst[i], w);
    }
}

/* The lease holder's half of the seqlock. */
static void write_published(ajwt_jwks_t *src, const char *doc,
                            apr_size_t len, const char *issuer, int nkeys)
{
    region *r = src->r;
    apr_uint32_t seq = LOAD(r->seq);
    apr_size_t il = issuer ? strlen(issuer) : 0;

    seq += (seq & 1);           /* a dead writer's odd count */
    STORE(r->seq, seq + 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    write_words(src->text, doc, len);
    write_words(r->issuer, issuer ? issuer : "", il);
    STORE(r->doc_len, (apr_uint32_t)len);
    STORE(r->issuer_len, (apr_uint32_t)il);
    STORE(r->nkeys, (apr_uint32_t)nkeys);
    STORE(r->generation, LOAD(r->generation) + 1);
    __atomic_store_n(&r->seq, seq + 2, __ATOMIC_RELEASE);
}

/*
 * The provider's document as the normalized JWK Set of the keys we
 * accept. Refused: not a JSON object, no "keys" array, a symmetric key
 * (a secret published at a URL is no secret; and an HMAC key next to
 * public keys would open alg confusion), no usable key at all. A single
 * key we cannot use (an encryption key, an unknown curve, a short RSA
 * modulus, a duplicate kid) is left out rather than refusing the rest.
 */
static ajwt_status_t normalize(char **out, apr_size_t *out_len, int *nkeys,
                               const char *doc, apr_size_t len,
                               const char *url, apr_pool_t *p,
                               ajwt_err_t *err)
{
    json_t *root, *keys, *k, *set, *arr;
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t e = { 0 };
    size_t i;
    char *text;
    int n = 0;

    if (ajwt_json_parse_object(&root, doc, len, "JWK Set", p, &e)) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: not a JWK Set: %s", url,
                            e.text);
    }
    keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: not a JWK Set (no "
                            "\"keys\" array)", url);
    }
    arr = json_array();
    set = ajwt_json_own(json_object(), p);
    if (!arr || !set || json_object_set_new(set, "keys", arr)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", url);
    }
    json_array_foreach(keys, i, k) {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        char *one;
        if (!json_is_object(k)) {
            continue;
        }
        if (kty && !strcmp(kty, "oct")) {
            return ajwt_err_set(err, AJWT_EFETCH, "%s: holds a symmetric "
                                "(oct) key: refused", url);
        }
        one = json_dumps(k, JSON_COMPACT);
        if (!one) {
            continue;
        }
        if (ajwt_keyset_add_jwks(&ks, one, strlen(one), url, p, NULL)
            == AJWT_OK && ajwt_keyset_count(ks) > n) {
            n = ajwt_keyset_count(ks);
            json_array_append(arr, k);
        }
        free(one);
    }
    if (n == 0) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: no usable key in the "
                            "JWK Set", url);
    }
    text = json_dumps(set, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", url);
    }
    *out_len = strlen(text);
    *out = apr_pstrmemdup(p, text, *out_len);
    free(text);
    *nkeys = n;
    return AJWT_OK;
}

ajwt_status_t ajwt_jwks_publish(ajwt_jwks_t *src, const char *doc,
                                apr_size_t len, const char *issuer,
                                long max_age, apr_time_t now,
                                ajwt_jwks_result_t *what, apr_pool_t *p,
                                ajwt_err_t *err)
{
    region *r = src->r;
    const char *url = src->conf->url;
    apr_int64_t t = apr_time_sec(now);
    char *norm = NULL, *old_doc, *old_issuer;
    apr_size_t norm_len = 0, old_len;
    apr_uint64_t gen;
    ajwt_status_t st;
    int nkeys = 0;

    *what = AJWT_JWKS_FAILED;
    if (len > r->cap) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: JWK Set larger than %lu "
                            "bytes", url, (unsigned long)r->cap);
    }
    if (issuer && strlen(issuer) >= AJWT_JWKS_URL_MAX) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: issuer longer than %d "
                            "bytes", url, AJWT_JWKS_URL_MAX - 1);
    }
    if ((st = normalize(&norm, &norm_len, &nkeys, doc, len, url, p, err))) {
        return st;
    }
    if (norm_len > r->cap) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: JWK Set larger than %lu "
                            "bytes", url, (unsigned long)r->cap);
    }
    if (LOAD(r->generation) && read_published(src, &gen, &old_doc, &old_len,
                                              &old_issuer, p)
        && old_len == norm_len && !memcmp(old_doc, norm, norm_len)
        && ((!old_issuer && !issuer)
            || (old_issuer && issuer && !strcmp(old_issuer, issuer)))) {
        *what = AJWT_JWKS_SAME;
    }
    else {
        write_published(src, norm, norm_len, issuer, nkeys);
        *what = AJWT_JWKS_UPDATED;
    }
    STORE(r->next_refresh, t + period_of(src->conf, max_age));
    STORE(r->last_good, t);
    STORE(r->failures, 0);
    STORE(r->retry_at, 0);
    return AJWT_OK;
}

/* ------------------------------------------------------------ refresh */

/* The discovery document: jwks_uri (https) and issuer. */
static ajwt_status_t discover(const char **jwks_uri, const char **issuer,
                              const ajwt_jwks_conf_t *c, apr_pool_t *p,
                              ajwt_err_t *err)
{
    ajwt_jwks_fetch_fn fetch = c->fetcher ? c->fetcher : ajwt_fetch;
    ajwt_fetch_result_t res;
    ajwt_err_t e = { 0 };
    json_t *root;
    const char *u, *i;
    ajwt_status_t st;

    if ((st = fetch(&res, c->url, &c->fetch, p, err))) {
        return st;
    }
    if (ajwt_json_parse_object(&root, res.body, res.len, "discovery "
                               "document", p, &e)) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: %s", c->url, e.text);
    }
    u = json_string_value(json_object_get(root, "jwks_uri"));
    i = json_string_value(json_object_get(root, "issuer"));
    if (!u || strncasecmp(u, "https://", 8) || strlen(u) >= AJWT_JWKS_URL_MAX
        || ajwt_json_has_ctl(u)) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: no https jwks_uri in the "
                            "discovery document", c->url);
    }
    if (!i || !*i || strlen(i) >= AJWT_JWKS_URL_MAX || ajwt_json_has_ctl(i)) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s: no usable issuer in the "
                            "discovery document", c->url);
    }
    *jwks_uri = apr_pstrdup(p, u);
    *issuer = apr_pstrdup(p, i);
    return AJWT_OK;
}

ajwt_status_t ajwt_jwks_refresh(ajwt_jwks_t *src, apr_time_t now,
                                int unknown_kid, int force,
                                ajwt_jwks_result_t *what, apr_pool_t *p,
                                ajwt_err_t *err)
{
    const ajwt_jwks_conf_t *c = src->conf;
    ajwt_jwks_fetch_fn fetch = c->fetcher ? c->fetcher : ajwt_fetch;
    region *r = src->r;
    apr_int64_t t = apr_time_sec(now), held;
    const char *url = c->url, *issuer = NULL;
    ajwt_fetch_result_t res;
    ajwt_status_t st;

    *what = AJWT_JWKS_IDLE;
    if (!force && !ajwt_jwks_due(src, now, unknown_kid)) {
        return AJWT_OK;
    }
    held = LOAD(r->lease);
    if (held > t || !__atomic_compare_exchange_n(&r->lease, &held,
                                                 t + lease_seconds(c), 0,
                                                 __ATOMIC_ACQ_REL,
                                                 __ATOMIC_RELAXED)) {
        return AJWT_OK;         /* another process is fetching */
    }
    /* another process may have finished a fetch since we looked */
    if (!force && !due(src, t, unknown_kid, 1)) {
        __atomic_store_n(&r->lease, 0, __ATOMIC_RELEASE);
        return AJWT_OK;
    }
    STORE(r->last_attempt, t);

    st = AJWT_OK;
    if (c->discovery) {
        st = discover(&url, &issuer, c, p, err);
    }
    if (st == AJWT_OK) {
        st = fetch(&res, url, &c->fetch, p, err);
    }
    if (st == AJWT_OK) {
        st = ajwt_jwks_publish(src, res.body, res.len, issuer, res.max_age,
                               now, what, p, err);
    }
    if (st != AJWT_OK) {
        apr_uint32_t f = LOAD(r->failures) + 1;
        apr_int64_t wait = (apr_int64_t)5 << (f - 1 < 4 ? f - 1 : 4);
        STORE(r->failures, f);
        STORE(r->retry_at, t + (wait < AJWT_JWKS_RETRY_MAX
                                ? wait : AJWT_JWKS_RETRY_MAX));
        *what = AJWT_JWKS_FAILED;
        if (st != AJWT_EFETCH && err && err->status == st) {
            err->status = AJWT_EFETCH;      /* one status for the caller */
        }
        st = AJWT_EFETCH;
    }
    __atomic_store_n(&r->lease, 0, __ATOMIC_RELEASE);
    return st;
}

/* ------------------------------------------------------------ keys */

/* static + fetched, static first; fetched keys of a static kid left out */
static const ajwt_keyset_t *combine(const ajwt_keyset_t *stat,
                                    const ajwt_keyset_t *fetched,
                                    apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    int i;
    if (ajwt_keyset_add_keys(&ks, stat, p, NULL) != AJWT_OK) {
        return NULL;
    }
    for (i = 0; fetched && i < fetched->keys->nelts; i++) {
        ajwt_key_t *k = APR_ARRAY_IDX(fetched->keys, i, ajwt_key_t *);
        ajwt_keyset_t one = { 0 };
        one.keys = apr_array_make(p, 1, sizeof(ajwt_key_t *));
        APR_ARRAY_PUSH(one.keys, ajwt_key_t *) = k;
        one.algs = k->algs;
        if (k->kid && ajwt_keyset_find_kid(ks, k->kid)) {
            continue;
        }
        ajwt_keyset_add_keys(&ks, &one, p, NULL);
    }
    return ks;
}

/* Under src->lock: parse the shared document if its generation moved. */
static void catch_up(ajwt_jwks_t *src, apr_uint64_t gen)
{
    apr_pool_t *gp, *scratch;
    apr_uint64_t got;
    char *doc, *issuer;
    apr_size_t len;
    ajwt_keyset_t *ks = NULL;

    if (apr_pool_create(&gp, src->pool) != APR_SUCCESS) {
        return;
    }
    if (apr_pool_create(&scratch, gp) != APR_SUCCESS
        || !read_published(src, &got, &doc, &len, &issuer, scratch)) {
        apr_pool_destroy(gp);   /* a writer is busy: next request */
        return;
    }
    if (got == src->gen_seen) {
        apr_pool_destroy(gp);
        return;
    }
    /*
     * The text was checked by the process that published it; should it
     * still fail here, the old keys stay and this generation is not
     * parsed again (not on every request).
     */
    if (ajwt_keyset_add_jwks(&ks, doc, len, src->conf->url, gp, NULL)
        == AJWT_OK) {
        src->keys = ks;
        src->issuer = issuer ? apr_pstrdup(gp, issuer) : NULL;
        src->gen_pool = gp;
        src->ncombos = 0;
    }
    apr_pool_destroy(scratch);
    src->gen_seen = got;
    (void)gen;
}

/*
 * The same static keys? Compared by key pointers, not by set: a set named
 * in .htaccess is a new set on every request, made of the same keys (the
 * glue loads them once per process), and must find its combination too.
 */
static int same_keys(const apr_array_header_t *a, const apr_array_header_t *b)
{
    return a->nelts == b->nelts
           && !memcmp(a->elts, b->elts, (apr_size_t)a->nelts * a->elt_size);
}

ajwt_status_t ajwt_jwks_keys(const ajwt_keyset_t **out, const char **issuer,
                             ajwt_jwks_t *src,
                             const ajwt_keyset_t *static_keys,
                             apr_pool_t *p, ajwt_err_t *err)
{
    apr_uint64_t gen = ajwt_jwks_generation(src);
    const ajwt_keyset_t *ks;
    int i;

    apr_thread_mutex_lock(src->lock);
    if (gen != src->gen_seen) {
        catch_up(src, gen);
    }
    ks = src->keys;
    if (ks && ajwt_keyset_count(static_keys)) {
        const ajwt_keyset_t *c = NULL;
        for (i = 0; i < src->ncombos; i++) {
            if (same_keys(src->combos[i].stat, static_keys->keys)) {
                c = src->combos[i].keys;
                break;
            }
        }
        if (!c && src->ncombos < COMBOS_MAX) {
            c = combine(static_keys, ks, src->gen_pool);
            if (c) {
                src->combos[src->ncombos].stat =
                    apr_array_copy(src->gen_pool, static_keys->keys);
                src->combos[src->ncombos++].keys = c;
            }
        }
        else if (!c) {
            c = combine(static_keys, ks, p);  /* uncommon: not cached */
        }
        ks = c ? c : ks;
    }
    *out = ks;
    if (issuer) {
        *issuer = src->issuer;
    }
    apr_thread_mutex_unlock(src->lock);
    return AJWT_OK;
}
