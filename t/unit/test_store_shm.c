/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_shm.c: the shared memory revocation store. Single process
 * first (put/get/expiry, re-attach, eviction order), then real processes
 * on an anonymous APR segment with an APR global mutex: concurrent
 * writers, and a reader racing a writer to catch torn reads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* memmem */
#endif
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sched.h>
#include <apr_shm.h>
#include <apr_thread_proc.h>
#include <apr_file_io.h>
#include "ajwt_store.h"
#include "unit.h"

#define FAR APR_INT64_C(4000000000)

static void *region(apr_pool_t *p, apr_size_t size)
{
    void *base = apr_palloc(p, size);
    memset(base, 0xa5, size);       /* garbage, as fresh memory may be */
    return base;
}

static ajwt_status_t put(ajwt_store_t *st, const char *key, apr_int64_t v,
                         apr_int64_t expires, apr_int64_t now)
{
    return st->ops->put(st, key, v, expires, now, NULL);
}

/* -1: absent, else the value; -2: an error */
static apr_int64_t get(ajwt_store_t *st, const char *key, apr_int64_t now)
{
    apr_int64_t v = -1;
    int found = 0;
    if (st->ops->get(st, key, &v, &found, now, NULL) != AJWT_OK) {
        return -2;
    }
    return found ? v : -1;
}

static const char *jkey(char *buf, const char *fmt, int i)
{
    char id[64];
    snprintf(id, sizeof(id), fmt, i);
    ajwt_store_key_jti(buf, id);
    return buf;
}

static void basics(apr_pool_t *p)
{
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    void *base = region(p, 64 * 1024);
    char big[100];

    is_int(ajwt_store_shm_init(&st, base, AJWT_SHM_MIN_SIZE - 1, NULL, p,
                               &err), AJWT_ECONFIG, "too small: ECONFIG");
    ok(strstr(err.text, "16384") != NULL, "says the minimum: %s", err.text);
    is_int(ajwt_store_shm_init(&st, NULL, 64 * 1024, NULL, p, NULL),
           AJWT_ECONFIG, "no region: ECONFIG");
    is_int(ajwt_store_shm_init(&st, base, 64 * 1024, NULL, p, NULL),
           AJWT_OK, "64 KB store");
    ok(!strcmp(st->ops->name, "shm"), "named shm");
    diag("64 KB: %u slots", (unsigned)ajwt_store_shm_slots(st));
    ok(ajwt_store_shm_slots(st) >= 600 && ajwt_store_shm_slots(st) % 8 == 0,
       "slots: %u", (unsigned)ajwt_store_shm_slots(st));
    is_int(ajwt_store_shm_evictions(st), 0, "no evictions");

    is_int(get(st, "k1", 100), -1, "absent in a fresh table");
    is_int(put(st, "k1", 42, 200, 100), AJWT_OK, "put k1");
    is_int(get(st, "k1", 100), 42, "get k1");
    is_int(get(st, "k2", 100), -1, "k2 absent");
    is_int(get(st, "k", 100), -1, "prefix of k1 absent");
    is_int(get(st, "k10", 100), -1, "k1 plus a byte absent");
    is_int(put(st, "k1", 43, 300, 150), AJWT_OK, "overwrite k1");
    is_int(get(st, "k1", 299), 43, "new value, new expiry");
    is_int(get(st, "k1", 300), -1, "expired at expires");
    is_int(put(st, "k1", 44, 400, 350), AJWT_OK, "put again after expiry");
    is_int(get(st, "k1", 350), 44, "found again");
    is_int(put(st, "neg", -5, FAR, 100), AJWT_OK, "negative value");
    is_int(get(st, "neg", 100), -5, "kept as is");

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    is_int(st->ops->put(st, big, 1, FAR, 1, NULL), AJWT_EINTERNAL,
           "99-byte key refused");
    big[AJWT_STORE_KEY_MAX - 1] = '\0';
    is_int(put(st, big, 7, FAR, 1), AJWT_OK, "63-byte key stored");
    is_int(get(st, big, 1), 7, "and found");
    is_int(st->ops->put(st, "", 1, FAR, 1, NULL), AJWT_EINTERNAL,
           "empty key refused");
    is_int(ajwt_store_shm_evictions(st), 0, "still no evictions");
}

static void reattach(apr_pool_t *p)
{
    ajwt_store_t *st, *again;
    apr_size_t size = 64 * 1024;
    char *base = region(p, size);
    char k[AJWT_STORE_KEY_MAX];

    ajwt_store_shm_init(&st, base, size, NULL, p, NULL);
    put(st, jkey(k, "r%d", 1), 11, FAR, 1);
    put(st, "plain", 12, FAR, 1);
    is_int(ajwt_store_shm_init(&again, base, size, NULL, p, NULL), AJWT_OK,
           "init again on the same memory");
    is_int(get(again, jkey(k, "r%d", 1), 2), 11, "entry kept");
    is_int(get(again, "plain", 2), 12, "second entry kept");
    put(again, "third", 13, FAR, 2);
    is_int(get(st, "third", 2), 13, "both handles see one table");

    is_int(ajwt_store_shm_init(&again, base, size - 4096, NULL, p, NULL),
           AJWT_OK, "init with another size");
    is_int(get(again, "plain", 2), -1, "laid out fresh: entry gone");
    is_int(ajwt_store_shm_init(&again, base, size - 4096, NULL, p, NULL),
           AJWT_OK, "and that size again");
    is_int(put(again, "x", 1, FAR, 2), AJWT_OK, "usable");
    is_int(get(again, "x", 2), 1, "found");

    /* a region moved to another address (another process's mapping) */
    {
        char *moved = region(p, size - 4096);
        ajwt_store_t *m;
        memcpy(moved, base, size - 4096);
        memset(base, 0, size - 4096);
        ajwt_store_shm_init(&m, moved, size - 4096, NULL, p, NULL);
        is_int(get(m, "x", 2), 1, "a copy at another address still works "
               "(offsets, no pointers)");
    }

    memset(base, 0xff, 8);
    ajwt_store_shm_init(&again, base, size, NULL, p, NULL);
    is_int(get(again, "x", 2), -1, "bad magic: laid out fresh");

    /* a table of layout 1 (slots held the key's length where they now
     * hold a tag: read as tags, its keys would never be found, revoked
     * tokens would pass): a graceful restart into this version lays the
     * table out anew rather than re-attaching to it */
    put(again, "y", 5, FAR, 2);
    is_int(get(again, "y", 2), 5, "entry of this layout");
    *(apr_uint32_t *)(base + 8) = 1;            /* header: version */
    ajwt_store_shm_init(&again, base, size, NULL, p, NULL);
    is_int(get(again, "y", 2), -1, "version 1 table: laid out fresh");
    is_int(*(apr_uint32_t *)(base + 8), 2, "now version 2");
}

/*
 * Table full: every put succeeds, live entries pushed out are counted,
 * and what stays is the newest.
 */
static void fill(apr_pool_t *p)
{
    ajwt_store_t *st;
    char k[AJWT_STORE_KEY_MAX];
    int n, i, bad = 0, missing = 0, recent_missing = 0;

    ajwt_store_shm_init(&st, region(p, AJWT_SHM_MIN_SIZE), AJWT_SHM_MIN_SIZE,
                        NULL, p, NULL);
    n = (int)ajwt_store_shm_slots(st);
    diag("16 KB: %d slots", n);
    for (i = 0; i < 4 * n; i++) {
        if (put(st, jkey(k, "f%d", i), i, FAR, 1000 + i) != AJWT_OK) {
            bad++;
        }
    }
    is_int(bad, 0, "%d puts into %d slots: all OK", 4 * n, n);
    ok(ajwt_store_shm_evictions(st) >= (apr_uint64_t)(3 * n),
       "evictions counted: %lu", (unsigned long)ajwt_store_shm_evictions(st));
    is_int(ajwt_store_shm_evictions(st), 4 * n - n, "exactly one per put "
           "into a full group (every slot filled first)");
    for (i = 4 * n - n / 8; i < 4 * n; i++) {
        if (get(st, jkey(k, "f%d", i), 5000) != i) {
            recent_missing++;
        }
    }
    is_int(recent_missing, 0, "the newest %d all found", n / 8);
    for (i = 3 * n; i < 4 * n; i++) {
        if (get(st, jkey(k, "f%d", i), 5000) != i) {
            missing++;
        }
    }
    ok(missing < n / 4, "of the newest %d, %d missing (groups that got "
       "more than 8)", n, missing);
    for (i = 0, missing = 0; i < n; i++) {
        if (get(st, jkey(k, "f%d", i), 5000) != -1) {
            missing++;
        }
    }
    is_int(missing, 0, "the oldest %d all pushed out", n);
}

/*
 * Expired entries are replaced before live ones, even when the live ones
 * are older: old "keep" entries survive a flood of short-lived newer ones.
 */
static void expired_first(apr_pool_t *p)
{
    ajwt_store_t *st;
    char k[AJWT_STORE_KEY_MAX];
    int n, i, kept = 0, bad = 0;
    apr_uint64_t e;

    ajwt_store_shm_init(&st, region(p, AJWT_SHM_MIN_SIZE), AJWT_SHM_MIN_SIZE,
                        NULL, p, NULL);
    n = (int)ajwt_store_shm_slots(st);
    for (i = 0; i < n / 8; i++) {
        put(st, jkey(k, "keep%d", i), i, FAR, 1000);
    }
    /* each lives one second, the clock moves a second per put */
    for (i = 0; i < 8 * n; i++) {
        if (put(st, jkey(k, "short%d", i), i, 1001 + i + 1, 1001 + i)) {
            bad++;
        }
    }
    is_int(bad, 0, "%d short-lived puts OK", 8 * n);
    is_int(ajwt_store_shm_evictions(st), 0, "no live entry pushed out");
    for (i = 0; i < n / 8; i++) {
        kept += get(st, jkey(k, "keep%d", i), 1001 + 8 * n) == i;
    }
    is_int(kept, n / 8, "all %d older live entries kept", n / 8);
    is_int(get(st, jkey(k, "short%d", 8 * n - 1), 1001 + 8 * n - 1),
           8 * n - 1, "the last short one is there while it lives");

    /* now live ones: the keeps are the oldest and go first */
    e = ajwt_store_shm_evictions(st);
    for (i = 0; i < 4 * n; i++) {
        put(st, jkey(k, "live%d", i), i, FAR, 20000);
    }
    ok(ajwt_store_shm_evictions(st) > e, "live flood evicts: %lu",
       (unsigned long)(ajwt_store_shm_evictions(st) - e));
    for (i = 0, kept = 0; i < n / 8; i++) {
        kept += get(st, jkey(k, "keep%d", i), 20000) == i;
    }
    is_int(kept, 0, "oldest live entries went first");
}

/*
 * A writer that died inside a slot leaves its sequence odd: readers must
 * not spin forever nor trust the slot, and the next put repairs it.
 * White box: the slot starts 32 bytes before its key bytes.
 */
static void dead_writer(apr_pool_t *p)
{
    ajwt_store_t *st;
    apr_size_t size = AJWT_SHM_MIN_SIZE;
    char *base = region(p, size), *at;
    apr_uint32_t *seq;
    const char *key = "ajwt:j:dead-writer-key";

    ajwt_store_shm_init(&st, base, size, NULL, p, NULL);
    put(st, key, 5, FAR, 1);
    put(st, "other", 6, FAR, 1);
    at = memmem(base, size, key, strlen(key));
    ok(at != NULL, "key bytes found in the region");
    if (!at) {
        return;
    }
    seq = (apr_uint32_t *)(at - 32);
    ok(*seq != 0 && (*seq & 1) == 0, "sequence even after a write: %u",
       (unsigned)*seq);
    (*seq)++;
    is_int(get(st, key, 2), -1, "odd slot: not trusted, no hang");
    is_int(get(st, "other", 2), 6, "others still found");
    is_int(put(st, key, 7, FAR, 2), AJWT_OK, "put again");
    ok((*seq & 1) == 0, "sequence even again: %u", (unsigned)*seq);
    is_int(get(st, key, 2), 7, "found again");
}

/* ------------------------------------------------------------ processes */

typedef struct {
    apr_shm_t *shm;
    apr_global_mutex_t *mutex;
    const char *lockfile;
    char *dir;
    ajwt_store_t *st;
    /* races: the writer goes on past RACE_US until the reader has seen
     * enough, so that a reader scheduled late (under valgrind, one thread
     * at a time; a loaded CI machine) still meets a live writer. A word of
     * its own shared memory, so that a forked writer sees it too. */
    int *reader_done;
} shared_t;

static int shared(shared_t *s, apr_size_t size, apr_pool_t *p)
{
    apr_status_t rv;
    char tmpl[] = "/tmp/ajwt-shm-XXXXXX";
    memset(s, 0, sizeof(*s));
    if (!mkdtemp(tmpl)) {
        return 0;
    }
    s->dir = apr_pstrdup(p, tmpl);
    s->lockfile = apr_pstrcat(p, tmpl, "/lock", NULL);
    s->reader_done = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!ok(s->reader_done != MAP_FAILED, "control word in shared memory")) {
        s->reader_done = NULL;
        return 0;
    }
    *s->reader_done = 0;
    rv = apr_shm_create(&s->shm, size, NULL, p);
    if (!ok(rv == APR_SUCCESS, "anonymous shm of %lu bytes", (unsigned long)
            size)) {
        return 0;
    }
    rv = apr_global_mutex_create(&s->mutex, s->lockfile, APR_LOCK_DEFAULT,
                                 p);
    if (!ok(rv == APR_SUCCESS, "global mutex (%s)",
            apr_global_mutex_name(s->mutex))) {
        return 0;
    }
    return ok(ajwt_store_shm_init(&s->st, apr_shm_baseaddr_get(s->shm),
                                  apr_shm_size_get(s->shm), s->mutex, p,
                                  NULL) == AJWT_OK, "store in it");
}

static void unshared(shared_t *s)
{
    if (s->mutex) {
        apr_global_mutex_destroy(s->mutex);
    }
    if (s->shm) {
        apr_shm_destroy(s->shm);
    }
    if (s->lockfile) {
        unlink(s->lockfile);
    }
    if (s->dir) {
        rmdir(s->dir);
    }
    if (s->reader_done) {
        munmap(s->reader_done, sizeof(int));
    }
}

/* Start a child that runs fn and exits with its result. */
static int spawn(apr_proc_t *proc, shared_t *s, int (*fn)(shared_t *, int),
                 int arg, apr_pool_t *p)
{
    apr_status_t rv;
    fflush(stdout);
    rv = apr_proc_fork(proc, p);
    if (rv == APR_INCHILD) {
        int rc = 99;
        if (apr_global_mutex_child_init(&s->mutex, s->lockfile, p)
            == APR_SUCCESS) {
            rc = fn(s, arg);
        }
        _exit(rc);
    }
    return rv == APR_INPARENT;
}

static int reap(apr_proc_t *proc)
{
    int code = -1;
    apr_exit_why_e why;
    apr_proc_wait(proc, &code, &why, APR_WAIT);
    return why == APR_PROC_EXIT ? code : 100 + code;
}

#define PER_CHILD 500
#define CHILDREN  4

static int child_writes(shared_t *s, int c)
{
    char k[AJWT_STORE_KEY_MAX], id[32];
    int i, bad = 0;
    for (i = 0; i < PER_CHILD; i++) {
        snprintf(id, sizeof(id), "c%d-%d", c, i);
        ajwt_store_key_jti(k, id);
        if (put(s->st, k, c * 100000 + i, FAR, 1) != AJWT_OK) {
            bad++;
        }
        if (get(s->st, k, 1) != c * 100000 + i) {
            bad++;      /* a writer sees its own write at once */
        }
    }
    return bad ? 1 : 0;
}

static void processes(apr_pool_t *p)
{
    shared_t s;
    apr_proc_t procs[CHILDREN];
    char k[AJWT_STORE_KEY_MAX], id[32];
    int c, i, started = 0, exited = 0, seen = 0;

    if (!shared(&s, 1024 * 1024, p)) {
        unshared(&s);
        return;
    }
    for (c = 0; c < CHILDREN; c++) {
        started += spawn(&procs[c], &s, child_writes, c, p);
    }
    is_int(started, CHILDREN, "children started");
    for (c = 0; c < started; c++) {
        exited += reap(&procs[c]) == 0;
    }
    is_int(exited, CHILDREN, "every child wrote and read back its keys");
    for (c = 0; c < CHILDREN; c++) {
        for (i = 0; i < PER_CHILD; i++) {
            snprintf(id, sizeof(id), "c%d-%d", c, i);
            ajwt_store_key_jti(k, id);
            seen += get(s.st, k, 1) == c * 100000 + i;
        }
    }
    is_int(seen, CHILDREN * PER_CHILD, "the parent sees every key");
    is_int(ajwt_store_shm_evictions(s.st), 0, "no evictions in 1 MB");
    unshared(&s);
}

/*
 * Writer and reader race for about a second. The writer rewrites hot keys
 * in turn as live (even value, far expiry) and dead (odd value, expired),
 * and floods cold keys so that slots change hands. A torn read would show
 * a found entry with an odd value (value of one write, expiry of another)
 * or a value made for another key.
 */
#define HOT      16
#define COLD     4096
#define RACE_US  1000000

static apr_int64_t race_value(apr_int64_t n, int k, int dead)
{
    return ((n * 4096 + k) << 1) | dead;
}

static int child_race_writer(shared_t *s, int unused)
{
    char hot[HOT][AJWT_STORE_KEY_MAX], k[AJWT_STORE_KEY_MAX];
    apr_time_t end = apr_time_now() + RACE_US;
    apr_int64_t n;
    int i;
    for (i = 0; i < HOT; i++) {
        jkey(hot[i], "hot%d", i);
    }
    for (n = 1; apr_time_now() < end
                || (!__atomic_load_n(s->reader_done, __ATOMIC_ACQUIRE)
                    && apr_time_now() < end + 30 * RACE_US); n++) {
        i = (int)(n % HOT);
        if ((n & 63) == 0) {
            sched_yield();  /* valgrind runs one thread at a time: let the
                             * reader have turns while we run */
        }
        if (put(s->st, hot[i], race_value(n, i, 1), 1, 2)
            || put(s->st, hot[i], race_value(n, i, 0), FAR, 2)
            || put(s->st, jkey(k, "cold%d", (int)(n % COLD)),
                   race_value(n, (int)(n % COLD), 0), FAR, 2)) {
            return 1;
        }
    }
    return 0;
}

/* The reader's side of a race, about RACE_US long; its checks. */
static void race_reader(ajwt_store_t *st, const char *what, int *done)
{
    char hot[HOT][AJWT_STORE_KEY_MAX], k[AJWT_STORE_KEY_MAX];
    apr_int64_t last[HOT] = { 0 }, v;
    apr_time_t end, hard_end;
    long reads = 0, found = 0, torn = 0, backwards = 0, cold_found = 0;
    int i;

    for (i = 0; i < HOT; i++) {
        jkey(hot[i], "hot%d", i);
    }
    end = apr_time_now() + RACE_US;
    hard_end = end + 30 * RACE_US;
    /* past RACE_US until the writer's entries have been seen: under
     * valgrind, which runs one thread at a time, the writer may only get
     * its turn late */
    while (apr_time_now() < end
           || (found <= 1000 && apr_time_now() < hard_end)) {
        for (i = 0; i < HOT; i++, reads++) {
            v = get(st, hot[i], 3);
            if (v == -1) {
                continue;
            }
            found++;
            if (v < 0 || (v & 1) || ((v >> 1) % 4096) != i) {
                torn++;
            }
            else if (v < last[i]) {
                backwards++;
            }
            else {
                last[i] = v;
            }
        }
        if ((reads & 1023) < HOT + 1) {
            sched_yield();  /* and the writer its turns */
        }
        i = (int)(reads % COLD);
        v = get(st, jkey(k, "cold%d", i), 3);
        reads++;
        if (v != -1) {
            cold_found++;
            if (v < 0 || (v & 1) || ((v >> 1) % 4096) != i) {
                torn++;
            }
        }
    }
    if (done) {
        __atomic_store_n(done, 1, __ATOMIC_RELEASE);
    }
    diag("%s: %ld reads, %ld hot found, %ld cold found", what, reads, found,
         cold_found);
    ok(found > 1000, "%s: reader saw live hot entries: %ld", what, found);
    is_int(torn, 0, "%s: no torn read", what);
    is_int(backwards, 0, "%s: no key went back in time", what);
}

static void race(apr_pool_t *p)
{
    shared_t s;
    apr_proc_t proc;

    if (!shared(&s, AJWT_SHM_MIN_SIZE, p)) {
        unshared(&s);
        return;
    }
    ok(spawn(&proc, &s, child_race_writer, 0, p), "writer started");
    race_reader(s.st, "processes", s.reader_done);
    is_int(reap(&proc), 0, "writer: every put OK");
    ok(ajwt_store_shm_evictions(s.st) > 0, "slots changed hands: %lu",
       (unsigned long)ajwt_store_shm_evictions(s.st));
    unshared(&s);
}

static void *APR_THREAD_FUNC thread_race_writer(apr_thread_t *t, void *data)
{
    apr_thread_exit(t, child_race_writer(data, 0));
    return NULL;
}

/* The same with threads of one process (worker and event MPMs). */
static void race_threads(apr_pool_t *p)
{
    shared_t s;
    apr_thread_t *t;
    apr_status_t rv = APR_EGENERAL;

    if (!shared(&s, AJWT_SHM_MIN_SIZE, p)) {
        unshared(&s);
        return;
    }
    ok(apr_thread_create(&t, NULL, thread_race_writer, &s, p)
       == APR_SUCCESS, "writer thread started");
    race_reader(s.st, "threads", s.reader_done);
    apr_thread_join(&rv, t);
    is_int(rv, 0, "writer thread: every put OK");
    unshared(&s);
}

/* Not a test: what a lookup costs, for the record. */
static void cost(apr_pool_t *p)
{
    ajwt_store_t *st;
    char present[AJWT_STORE_KEY_MAX], absent[AJWT_STORE_KEY_MAX];
    char k[AJWT_STORE_KEY_MAX];
    apr_size_t size = AJWT_SHM_DEFAULT_SIZE;
    apr_time_t t0;
    apr_int64_t sum = 0;
    ajwt_claims_t cl;
    int i, rounds = 2000000;

    ajwt_store_shm_init(&st, region(p, size), size, NULL, p, NULL);
    for (i = 0; i < 5000; i++) {
        put(st, jkey(k, "c%d", i), i, FAR, 1);
    }
    jkey(present, "c%d", 1234);
    jkey(absent, "nope%d", 1);
    t0 = apr_time_now();
    for (i = 0; i < rounds; i++) {
        sum += get(st, present, 2);
    }
    diag("get, present key: %.1f ns/op",
         (double)(apr_time_now() - t0) * 1000.0 / rounds);
    t0 = apr_time_now();
    for (i = 0; i < rounds; i++) {
        sum += get(st, absent, 2);
    }
    diag("get, absent key: %.1f ns/op",
         (double)(apr_time_now() - t0) * 1000.0 / rounds);
    memset(&cl, 0, sizeof(cl));
    cl.jti = "a6f1c1f0-53b2-4c1b-9a53-6a3c0e3d7b21";
    cl.sub = "alice@example.com";
    cl.has_iat = 1;
    cl.iat = 1;
    t0 = apr_time_now();
    for (i = 0; i < rounds / 4; i++) {
        sum += ajwt_store_check(st, &cl, 2, NULL);
    }
    diag("ajwt_store_check, jti and sub not revoked (two SHA-256, two "
         "gets): %.1f ns/op",
         (double)(apr_time_now() - t0) * 1000.0 / (rounds / 4));
    ok(sum == (apr_int64_t)rounds * 1234 - rounds, "lookups answered");
}

/* ------------------------------------------------------------ incr */

static void counter(apr_pool_t *p)
{
    ajwt_store_t *st;
    ajwt_err_t err = { 0 };
    char k[AJWT_STORE_KEY_MAX], other[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0;

    ajwt_store_shm_init(&st, region(p, 64 * 1024), 64 * 1024, NULL, p,
                        NULL);
    ajwt_store_key_named(k, "ajwt:l:u:", "dave");
    ajwt_store_key_named(other, "ajwt:l:a:", "dave");
    ok(strncmp(k, "ajwt:l:u:", 9) == 0 && strlen(k) == 52
       && strcmp(k, other) && !strcmp(k + 9, other + 9),
       "named keys: prefix + the same hash");
    is_int(st->ops->incr(st, k, &v, 160, 100, &err), AJWT_OK, "incr new");
    is_int(v, 1, "a new key starts at 1");
    is_int(get(st, k, 100), 1, "get sees 1");
    st->ops->incr(st, k, &v, 999, 110, &err);
    is_int(v, 2, "then 2");
    st->ops->incr(st, k, &v, 999, 159, &err);
    is_int(v, 3, "then 3");
    is_int(get(st, k, 159), 3, "still there at 159");
    is_int(get(st, k, 160), -1, "the first expiry was kept: gone at 160");
    st->ops->incr(st, k, &v, 300, 160, &err);
    is_int(v, 1, "an expired key starts again at 1");
    is_int(get(st, k, 299), 1, "with the new expiry");
    is_int(get(st, k, 300), -1, "gone at 300");
    put(st, k, 41, 400, 200);
    st->ops->incr(st, k, &v, 999, 200, &err);
    is_int(v, 42, "incr of a put value");
    is_int(get(st, other, 200), -1, "other key untouched");
}

static int child_incrs(shared_t *s, int c)
{
    char k[AJWT_STORE_KEY_MAX];
    apr_int64_t v, last = 0;
    int i, bad = 0;
    (void)c;
    ajwt_store_key_named(k, "ajwt:l:a:", "192.0.2.1");
    for (i = 0; i < PER_CHILD; i++) {
        if (s->st->ops->incr(s->st, k, &v, FAR, 1, NULL) != AJWT_OK
            || v <= last) {
            bad++;      /* each process sees its counts go up */
        }
        last = v;
    }
    return bad ? 1 : 0;
}

static void incr_processes(apr_pool_t *p)
{
    shared_t s;
    apr_proc_t procs[CHILDREN];
    char k[AJWT_STORE_KEY_MAX];
    int c, started = 0, exited = 0;

    if (!shared(&s, 256 * 1024, p)) {
        unshared(&s);
        return;
    }
    for (c = 0; c < CHILDREN; c++) {
        started += spawn(&procs[c], &s, child_incrs, c, p);
    }
    for (c = 0; c < started; c++) {
        exited += reap(&procs[c]) == 0;
    }
    is_int(exited, CHILDREN, "every child counted");
    ajwt_store_key_named(k, "ajwt:l:a:", "192.0.2.1");
    is_int(get(s.st, k, 1), CHILDREN * PER_CHILD,
           "no increment lost between processes");
    unshared(&s);
}

UNIT_MAIN(basics, reattach, fill, expired_first, dead_writer, processes,
          race, race_threads, cost, counter, incr_processes)
