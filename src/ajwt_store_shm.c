/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_store_shm.c: the embedded revocation store, a fixed-size hash
 * table in one shared memory segment seen by every process of the server.
 *
 * Why our own table on APR shared memory rather than mod_socache_shmcb:
 * - shmcb declares itself not safe across processes (NOTMPSAFE flag)
 *   and expires entries inside retrieve, so the caller must hold a global
 *   mutex around every lookup: every request of every process would take
 *   one global lock just to learn that its token is not revoked. Here
 *   readers take no lock at all: each slot carries a sequence counter (a
 *   seqlock), a reader copies the slot and retries if a writer was there.
 *   Only revocations, which are rare, take the mutex.
 * - Eviction is ours to choose: expired entries go first wherever they
 *   are, then the oldest written, so the newest revocations stay when the
 *   table is full. shmcb reclaims expired entries only from the head of
 *   each cyclic buffer, then drops the oldest, so an older long-lived
 *   revocation can go while newer, already expired ones stay.
 * - The core stays free of httpd (socache is an httpd provider API).
 * The region holds offsets, never pointers, so it stays valid in a process
 * that maps it at another address and after a graceful restart, when
 * ajwt_store_shm_init() re-attaches to the table already there.
 *
 * Layout: a header, then slots of 96 bytes in groups of GROUP_WAYS. A
 * key's hash picks one group (set-associative), so a lookup reads at most
 * GROUP_WAYS slots. Keys are stored whole (up to AJWT_STORE_KEY_MAX - 1
 * bytes) and compared exactly. Every field of a slot is read and written
 * with atomic operations (relaxed, ordered by the sequence counter's
 * fences), so that a reader racing a writer is well defined in C11 terms
 * and simply retries.
 */
#include <string.h>
#include "ajwt_store.h"

#define SHM_MAGIC       APR_UINT64_C(0x616a777472657631)   /* "ajwtrev1" */
#define SHM_VERSION     2       /* 2: slots carry a tag, not a length */
#define GROUP_WAYS      8
#define KEY_WORDS       (AJWT_STORE_KEY_MAX / 8)
#define READ_RETRIES    64      /* per slot, then the reader takes the lock */

typedef struct {
    apr_uint64_t magic;         /* written last when laying out */
    apr_uint32_t version;
    apr_uint32_t slot_size;     /* sizeof(shm_slot): layout check */
    apr_uint64_t size;          /* bytes of the region */
    apr_uint64_t slots_off;     /* offset of the first slot from the base */
    apr_uint32_t nslots;
    apr_uint32_t ngroups;
    apr_uint64_t evictions;     /* live entries pushed out */
    apr_uint64_t generation;    /* writes so far: "written at" of slots */
    apr_uint64_t pad;
} shm_header;                   /* 64 bytes */

typedef struct {
    apr_uint32_t seq;           /* odd while a writer is in the slot */
    apr_uint32_t tag;           /* 0: never used; see key_tag() */
    apr_int64_t value;
    apr_int64_t expires;        /* absolute seconds */
    apr_uint64_t written;       /* the header's generation at the write */
    apr_uint64_t key[KEY_WORDS];    /* key bytes, zero padded */
} shm_slot;                     /* 96 bytes */

/* Process-local: pointers are fine here, never in the region. */
typedef struct {
    char *base;
    shm_header *hdr;
    shm_slot *slots;
    apr_global_mutex_t *lock;
} shm_impl;

/* One slot as read by a reader: a consistent copy. */
typedef struct {
    apr_uint32_t tag;
    apr_int64_t value, expires;
    apr_uint64_t written;
    apr_uint64_t key[KEY_WORDS];
} slot_copy;

#define LOAD(x)     __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/*
 * A hash of the key's words (keys are mostly digests already, this only
 * has to spread them over the groups): word by word, then a final mix so
 * that every byte reaches the low bits used by the modulo.
 */
static apr_uint64_t key_hash(const apr_uint64_t *w, apr_uint32_t len)
{
    apr_uint64_t h = APR_UINT64_C(0xcbf29ce484222325) ^ len;
    apr_uint32_t i;
    for (i = 0; i < (len + 7) / 8; i++) {
        h = (h ^ w[i]) * APR_UINT64_C(0x9e3779b97f4a7c15);
        h ^= h >> 32;
    }
    h ^= h >> 29;
    h *= APR_UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 32;
    return h;
}

/*
 * What a slot shows first: 24 bits of the hash (bits the group choice
 * barely uses) above the key's length. Every key of the store has the
 * same length and its first word is a common prefix, so without it an
 * absent key (the usual lookup) compared two words in each of the
 * group's slots; with it, one compare mostly, and a false match (1 in
 * 16 million) only costs the full compare that follows. Never 0: a key
 * has at least one byte.
 */
static apr_uint32_t key_tag(apr_uint64_t h, apr_uint32_t len)
{
    return (apr_uint32_t)(h >> 40) << 8 | len;
}

/* The key as zero-padded words, so that comparing is KEY_WORDS compares. */
static ajwt_status_t key_words(apr_uint64_t *w, apr_uint32_t *len,
                               const char *key, ajwt_err_t *err)
{
    apr_size_t n = strlen(key);
    if (n == 0 || n >= AJWT_STORE_KEY_MAX) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "shm store: key of %lu "
                            "bytes", (unsigned long)n);
    }
    memset(w, 0, KEY_WORDS * sizeof(*w));
    memcpy(w, key, n);
    *len = (apr_uint32_t)n;
    return AJWT_OK;
}

/* The key's group (from its hash h) and its tag. */
static shm_slot *group_of(const shm_impl *im, const apr_uint64_t *w,
                          apr_uint32_t len, apr_uint32_t *tag)
{
    apr_uint64_t h = key_hash(w, len);
    *tag = key_tag(h, len);
    return im->slots + (h % im->hdr->ngroups) * GROUP_WAYS;
}

static int same_key(const slot_copy *c, apr_uint32_t tag,
                    const apr_uint64_t *w)
{
    int i;
    if (c->tag != tag) {
        return 0;
    }
    for (i = 0; i < KEY_WORDS; i++) {
        if (c->key[i] != w[i]) {
            return 0;
        }
    }
    return 1;
}

static void copy_fields(slot_copy *c, shm_slot *s)
{
    int i;
    c->tag = LOAD(s->tag);
    c->value = LOAD(s->value);
    c->expires = LOAD(s->expires);
    c->written = LOAD(s->written);
    for (i = 0; i < KEY_WORDS; i++) {
        c->key[i] = LOAD(s->key[i]);
    }
}

/*
 * The reader's half of the seqlock, for one slot and one key: 1 when the
 * slot holds the key (*value and *expires from one and the same write), 0
 * when it does not, -1 when a writer was there (retry).
 *
 * A key that differs needs no check of the sequence: every word is read
 * atomically, so a mix of an old and a new key differs from the key only
 * if the old or the new one does, and "not here" is then a true answer
 * either before or after the concurrent write. So the tag is looked at
 * before the sequence: an absent key (the usual case) costs one load and
 * one compare per slot.
 */
static int slot_find(shm_slot *s, apr_uint32_t tag, const apr_uint64_t *w,
                     apr_int64_t *value, apr_int64_t *expires)
{
    apr_uint32_t s1, s2, i;
    if (LOAD(s->tag) != tag) {
        return 0;
    }
    s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
    if (s1 & 1) {
        return -1;
    }
    if (LOAD(s->tag) != tag) {
        return 0;
    }
    for (i = 0; i < KEY_WORDS; i++) {
        if (LOAD(s->key[i]) != w[i]) {
            return 0;
        }
    }
    *value = LOAD(s->value);
    *expires = LOAD(s->expires);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    return s1 == s2 ? 1 : -1;
}

/*
 * The writer's half, under the mutex. A slot left odd by a writer that
 * died half-way is made even first, then rewritten whole.
 */
static void slot_write(shm_impl *im, shm_slot *s, apr_uint32_t tag,
                       const apr_uint64_t *w, apr_int64_t value,
                       apr_int64_t expires)
{
    apr_uint32_t seq = LOAD(s->seq);
    int i;
    seq += (seq & 1);
    STORE(s->seq, seq + 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    STORE(s->tag, tag);
    for (i = 0; i < KEY_WORDS; i++) {
        STORE(s->key[i], w[i]);
    }
    STORE(s->value, value);
    STORE(s->expires, expires);
    STORE(s->written, LOAD(im->hdr->generation) + 1);
    STORE(im->hdr->generation, LOAD(im->hdr->generation) + 1);
    __atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

static ajwt_status_t lock(shm_impl *im, ajwt_err_t *err)
{
    apr_status_t rv;
    if (im->lock && (rv = apr_global_mutex_lock(im->lock)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ESTORE, rv, "shm store: cannot "
                               "take the mutex");
    }
    return AJWT_OK;
}

static void unlock(shm_impl *im)
{
    if (im->lock) {
        apr_global_mutex_unlock(im->lock);
    }
}

/*
 * Under the writers' mutex: the slot of group g to write key w into. The
 * slot already holding the key (*same set, *held its fields), else an
 * empty or expired one, else the oldest written, which counts as an
 * eviction. Under the mutex no writer runs: plain copies are consistent.
 */
static shm_slot *choose_slot(shm_impl *im, shm_slot *g, apr_uint32_t tag,
                             const apr_uint64_t *w, apr_int64_t now,
                             int *same, slot_copy *held)
{
    shm_slot *pick = NULL, *oldest = NULL;
    apr_uint64_t oldest_written = 0;
    int i;

    *same = 0;
    for (i = 0; i < GROUP_WAYS; i++) {
        slot_copy c;
        copy_fields(&c, &g[i]);
        if (LOAD(g[i].seq) & 1) {
            c.tag = 0;              /* a dead writer's slot: reuse it */
        }
        if (same_key(&c, tag, w)) {
            *same = 1;
            *held = c;
            return &g[i];
        }
        if (!pick && (c.tag == 0 || c.expires <= now)) {
            pick = &g[i];           /* keep looking for the same key */
        }
        if (!oldest || c.written < oldest_written) {
            oldest = &g[i];
            oldest_written = c.written;
        }
    }
    if (!pick) {
        pick = oldest;              /* every slot live: the oldest goes */
        STORE(im->hdr->evictions, LOAD(im->hdr->evictions) + 1);
    }
    return pick;
}

/*
 * Every write, under the writers' mutex: put stores value until expires;
 * incr (counted non-NULL) adds 1 to a live entry, which keeps its expiry,
 * or starts a new or expired one at 1, so that two failed logins counted
 * at once in two processes are two. The slot is chosen alike for both.
 */
static ajwt_status_t shm_write(ajwt_store_t *st, const char *key,
                               apr_int64_t value, apr_int64_t expires,
                               apr_int64_t now, apr_int64_t *counted,
                               ajwt_err_t *err)
{
    shm_impl *im = st->impl;
    apr_uint64_t w[KEY_WORDS];
    apr_uint32_t len, tag;
    slot_copy held;
    shm_slot *g, *slot;
    ajwt_status_t rc;
    int same;

    if ((rc = key_words(w, &len, key, err)) != AJWT_OK) {
        return rc;
    }
    g = group_of(im, w, len, &tag);
    if ((rc = lock(im, err)) != AJWT_OK) {
        return rc;
    }
    slot = choose_slot(im, g, tag, w, now, &same, &held);
    if (counted) {
        if (same && held.expires > now) {
            value = held.value + 1;
            expires = held.expires;
        }
        else {
            value = 1;              /* new, or expired: starts again */
        }
        *counted = value;
    }
    slot_write(im, slot, tag, w, value, expires);
    unlock(im);
    return AJWT_OK;
}

static ajwt_status_t shm_put(ajwt_store_t *st, const char *key,
                             apr_int64_t value, apr_int64_t expires,
                             apr_int64_t now, ajwt_err_t *err)
{
    return shm_write(st, key, value, expires, now, NULL, err);
}

static ajwt_status_t shm_get(ajwt_store_t *st, const char *key,
                             apr_int64_t *value, int *found,
                             apr_int64_t now, ajwt_err_t *err)
{
    shm_impl *im = st->impl;
    apr_uint64_t w[KEY_WORDS];
    apr_uint32_t len, tag;
    apr_int64_t v = 0, expires = 0;
    shm_slot *g;
    ajwt_status_t rc;
    int i, tries, r = 0, locked = 0;

    *found = 0;
    if ((rc = key_words(w, &len, key, err)) != AJWT_OK) {
        return rc;
    }
    g = group_of(im, w, len, &tag);
    for (i = 0; i < GROUP_WAYS; i++) {
        for (tries = 0; (r = slot_find(&g[i], tag, w, &v, &expires)) < 0;
             tries++) {
            if (tries < READ_RETRIES) {
                continue;
            }
            /*
             * A writer keeps this slot busy (or died in it): wait for the
             * mutex, after which no writer is in any slot. A slot still
             * odd then is a dead writer's, and holds nothing.
             */
            if (!locked) {
                if ((rc = lock(im, err)) != AJWT_OK) {
                    return rc;
                }
                locked = 1;
                continue;
            }
            r = 0;
            break;
        }
        if (r) {
            break;          /* a key is in one slot of its group at most */
        }
    }
    if (locked) {
        unlock(im);
    }
    if (r && expires > now) {
        *value = v;
        *found = 1;
    }
    return AJWT_OK;
}

static ajwt_status_t shm_incr(ajwt_store_t *st, const char *key,
                              apr_int64_t *value, apr_int64_t expires,
                              apr_int64_t now, ajwt_err_t *err)
{
    return shm_write(st, key, 1, expires, now, value, err);
}

static const ajwt_store_ops_t shm_ops = { "shm", shm_put, shm_get,
                                          shm_incr, NULL };

ajwt_status_t ajwt_store_shm_init(ajwt_store_t **out, void *base,
                                  apr_size_t size, apr_global_mutex_t *lock,
                                  apr_pool_t *p, ajwt_err_t *err)
{
    shm_impl *im;
    shm_header *h = base;
    apr_uint64_t slots_off = sizeof(shm_header);
    apr_uint64_t ngroups;
    ajwt_store_t *st;

    if (size < AJWT_SHM_MIN_SIZE) {
        return ajwt_err_set(err, AJWT_ECONFIG, "shm store of %lu bytes: at "
                            "least %d needed", (unsigned long)size,
                            AJWT_SHM_MIN_SIZE);
    }
    if (!base || ((apr_uintptr_t)base & 7)) {
        return ajwt_err_set(err, AJWT_ECONFIG, "shm store: no region or "
                            "an unaligned one");
    }
    ngroups = (size - slots_off) / (sizeof(shm_slot) * GROUP_WAYS);
    if (ngroups > APR_UINT32_MAX / GROUP_WAYS) {
        ngroups = APR_UINT32_MAX / GROUP_WAYS;
    }

    /* The same table laid out before (a graceful restart): keep it. */
    if (!(__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == SHM_MAGIC
          && h->version == SHM_VERSION && h->slot_size == sizeof(shm_slot)
          && h->size == size && h->slots_off == slots_off
          && h->ngroups == ngroups
          && h->nslots == ngroups * GROUP_WAYS)) {
        memset(base, 0, size);
        h->version = SHM_VERSION;
        h->slot_size = sizeof(shm_slot);
        h->size = size;
        h->slots_off = slots_off;
        h->ngroups = (apr_uint32_t)ngroups;
        h->nslots = (apr_uint32_t)(ngroups * GROUP_WAYS);
        __atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
    }

    im = apr_pcalloc(p, sizeof(*im));
    im->base = base;
    im->hdr = h;
    im->slots = (shm_slot *)(im->base + h->slots_off);
    im->lock = lock;
    st = apr_pcalloc(p, sizeof(*st));
    st->ops = &shm_ops;
    st->impl = im;
    *out = st;
    return AJWT_OK;
}

apr_uint64_t ajwt_store_shm_evictions(const ajwt_store_t *st)
{
    const shm_impl *im = st->impl;
    return __atomic_load_n(&im->hdr->evictions, __ATOMIC_RELAXED);
}

apr_uint32_t ajwt_store_shm_slots(const ajwt_store_t *st)
{
    const shm_impl *im = st->impl;
    return im->hdr->nslots;
}
