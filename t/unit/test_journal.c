/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_journal.c: the durable copy of the revocation store. One process
 * first (the format, round trip, expiry, merge rules, tail, damage,
 * foreign files, peers' files, compaction, unusable directories), then
 * what the server does: another user's children, processes and threads
 * appending under one APR global mutex, a writer killed at a random
 * point, and the decorator over the real shm store. Each case works in a
 * fresh directory under /tmp and removes it.
 */
#include <stdlib.h>
#include <unistd.h>
#include <signal.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <apr_hash.h>
#include <apr_thread_proc.h>
#include <apr_global_mutex.h>
#include "ajwt_journal.h"
#include "unit.h"

#define FAR     APR_INT64_C(4000000000)
#define HDR     32          /* the format of ajwt_journal.c, white box */
#define REC     88
#define NOBODY  65534

/* ------------------------------------------------------------ helpers */

static char *tmpdir(apr_pool_t *p)
{
    char tmpl[] = "/tmp/ajwt-jnl-XXXXXX";
    if (!mkdtemp(tmpl)) {
        return NULL;
    }
    return apr_pstrdup(p, tmpl);
}

static void rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[512];
    struct stat sb;

    if (!d) {
        return;
    }
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rmtree(path);
        }
        else {
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

static long fsize(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/*
 * Has the file at path been replaced since hold(path)? Held open, its
 * inode cannot be reused (a freed one can: ext4 hands it to the next
 * temporary file), and the rename over it leaves it without a name.
 */
static int hold(const char *path)
{
    return open(path, O_RDONLY);
}

static int replaced(int held)
{
    struct stat sb;
    int gone = fstat(held, &sb) == 0 && sb.st_nlink == 0;
    close(held);
    return gone;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static const char *jkey(char *buf, const char *fmt, int i)
{
    char id[64];
    snprintf(id, sizeof(id), fmt, i);
    ajwt_store_key_jti(buf, id);
    return buf;
}

static const char *jpath(apr_pool_t *p, const char *dir, const char *name)
{
    return apr_pstrcat(p, dir, "/", name, ".journal", NULL);
}

/* Open in a pool of its own, so that closing is destroying that pool. */
static ajwt_journal_t *jopen(apr_pool_t **jp, const char *dir,
                             const char *name, apr_global_mutex_t *lock,
                             apr_int64_t now, ajwt_journal_info_t *info,
                             apr_pool_t *p)
{
    ajwt_journal_t *j = NULL;
    ajwt_err_t err = { 0 };
    apr_pool_create(jp, p);
    if (ajwt_journal_open_at(&j, dir, name, lock, now, info, *jp, &err)) {
        diag("open %s/%s: %s", dir, name, err.text);
        return NULL;
    }
    return j;
}

static void jclose(apr_pool_t *jp)
{
    apr_pool_destroy(jp);
}

/* What a replay called back with. */
typedef struct {
    apr_hash_t *h;
    int calls, dups;
    int stop_after;         /* > 0: return non-zero at that call */
} got_t;

typedef struct {
    apr_int64_t value, expires;
} got_e;

static int collect(void *ctx, const char *key, apr_int64_t value,
                   apr_int64_t expires)
{
    got_t *g = ctx;
    apr_pool_t *p = apr_hash_pool_get(g->h);
    got_e *e;

    g->calls++;
    if (apr_hash_get(g->h, key, APR_HASH_KEY_STRING)) {
        g->dups++;
    }
    e = apr_palloc(p, sizeof(*e));
    e->value = value;
    e->expires = expires;
    apr_hash_set(g->h, apr_pstrdup(p, key), APR_HASH_KEY_STRING, e);
    return g->stop_after && g->calls >= g->stop_after;
}

static got_t *replay(ajwt_journal_t *j, apr_int64_t now, apr_pool_t *p)
{
    got_t *g = apr_pcalloc(p, sizeof(*g));
    ajwt_err_t err = { 0 };
    g->h = apr_hash_make(p);
    if (ajwt_journal_replay(j, now, collect, g, &err) != AJWT_OK) {
        diag("replay: %s", err.text);
        g->calls = -1;
    }
    return g;
}

/* -1: absent */
static apr_int64_t got(const got_t *g, const char *key)
{
    got_e *e = apr_hash_get(g->h, key, APR_HASH_KEY_STRING);
    return e ? e->value : -1;
}

static apr_int64_t got_exp(const got_t *g, const char *key)
{
    got_e *e = apr_hash_get(g->h, key, APR_HASH_KEY_STRING);
    return e ? e->expires : -1;
}

static ajwt_status_t put(ajwt_journal_t *j, const char *key, apr_int64_t v,
                         apr_int64_t expires, apr_int64_t now)
{
    ajwt_err_t err = { 0 };
    ajwt_status_t rc = ajwt_journal_put(j, key, v, expires, now, &err);
    if (rc) {
        diag("put: %s", err.text);
    }
    return rc;
}

/* Keys "fmt" % i for i in [from, to) with value i: how many replayed. */
static int count_got(const got_t *g, const char *fmt, int from, int to)
{
    char k[AJWT_STORE_KEY_MAX];
    int i, n = 0;
    for (i = from; i < to; i++) {
        n += got(g, jkey(k, fmt, i)) == i;
    }
    return n;
}

static int put_range(ajwt_journal_t *j, const char *fmt, int from, int to)
{
    char k[AJWT_STORE_KEY_MAX];
    int i, bad = 0;
    for (i = from; i < to; i++) {
        bad += put(j, jkey(k, fmt, i), i, FAR, 1000) != AJWT_OK;
    }
    return bad;
}

static int write_at(const char *path, long off, const void *b, size_t n)
{
    int fd = open(path, O_WRONLY);
    int ok_ = fd >= 0 && pwrite(fd, b, n, off) == (ssize_t)n;
    if (fd >= 0) {
        close(fd);
    }
    return ok_;
}

static int append(const char *path, const void *b, size_t n)
{
    return write_at(path, fsize(path), b, n);
}

static int flip_bit(const char *path, long off, int bit)
{
    unsigned char c = 0;
    int fd = open(path, O_RDWR), ok_ = 0;
    if (fd >= 0 && pread(fd, &c, 1, off) == 1) {
        c ^= (unsigned char)(1 << bit);
        ok_ = pwrite(fd, &c, 1, off) == 1;
    }
    if (fd >= 0) {
        close(fd);
    }
    return ok_;
}

static int read_at(const char *path, long off, void *b, size_t n)
{
    int fd = open(path, O_RDONLY);
    int ok_ = fd >= 0 && pread(fd, b, n, off) == (ssize_t)n;
    if (fd >= 0) {
        close(fd);
    }
    return ok_;
}

/* Reference CRC-32 (bit by bit, as zlib's crc32()). */
static apr_uint32_t ref_crc(const unsigned char *b, size_t n)
{
    apr_uint32_t c = 0xffffffff;
    int k;
    while (n--) {
        c ^= *b++;
        for (k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320 & (0 - (c & 1)));
        }
    }
    return ~c;
}

static apr_uint64_t le64(const unsigned char *b)
{
    apr_uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) {
        v = v << 8 | b[i];
    }
    return v;
}

static apr_uint32_t le32(const unsigned char *b)
{
    return (apr_uint32_t)b[0] | (apr_uint32_t)b[1] << 8
           | (apr_uint32_t)b[2] << 16 | (apr_uint32_t)b[3] << 24;
}

static int reap(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* Become nobody (in a forked child only). */
static int drop_root(void)
{
    return setgroups(0, NULL) == 0 && setgid(NOBODY) == 0
           && setuid(NOBODY) == 0;
}

/* ------------------------------------------------------------ one process */

/* The bytes on disk are the ones the header comment of the source says. */
static void format(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path;
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    unsigned char h[HDR], r[REC], want[REC];
    char big[AJWT_STORE_KEY_MAX + 1];
    const char *key = "ajwt:j:format-key";

    j = jopen(&jp, dir, "fmt", NULL, 1000, &info, p);
    if (!ok(j != NULL, "opened a new journal")) {
        rmtree(dir);
        return;
    }
    path = jpath(p, dir, "fmt");
    ok(!strcmp(ajwt_journal_path(j), path), "path: %s",
       ajwt_journal_path(j));
    ok(!info.records && !info.live && !info.truncated && !info.damaged
       && !info.foreign && !info.aside_path, "nothing found in a new file");
    is_int(fsize(path), HDR, "a new file is its header");
    ok(read_at(path, 0, h, HDR), "header read");
    ok(!memcmp(h, "ajwtjnl1", 8), "magic");
    is_int(le32(h + 8), 1, "version 1");
    is_int(le32(h + 12), REC, "record size");
    is_int(le64(h + 16), HDR, "base: the size when made whole");
    {
        struct stat sb;
        stat(path, &sb);
        is_int(sb.st_mode & 0777, 0600, "mode 0600");
    }

    is_int(put(j, key, APR_INT64_C(0x0102030405060708), 2000, 1000),
           AJWT_OK, "put");
    is_int(fsize(path), HDR + REC, "one record appended");
    ok(read_at(path, HDR, r, REC), "record read");
    memset(want, 0, REC);
    want[4] = (unsigned char)strlen(key);
    memcpy(want + 8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    memcpy(want + 16, "\xd0\x07\0\0\0\0\0\0", 8);           /* 2000 */
    memcpy(want + 24, key, strlen(key));
    ok(!memcmp(r + 4, want + 4, REC - 4), "length, value, expires, key "
       "little-endian and zero padded");
    is_int(le32(r), ref_crc(r + 4, REC - 4), "CRC-32 of bytes 4..87");
    is_int(ref_crc((const unsigned char *)"123456789", 9), 0xcbf43926,
           "(the reference CRC is CRC-32)");

    memset(big, 'k', sizeof(big) - 1);
    big[AJWT_STORE_KEY_MAX] = '\0';
    is_int(ajwt_journal_put(j, big, 1, FAR, 1000, NULL), AJWT_EINTERNAL,
           "a key of %d bytes: EINTERNAL", AJWT_STORE_KEY_MAX);
    big[AJWT_STORE_KEY_MAX - 1] = '\0';
    is_int(put(j, big, 1, FAR, 1000), AJWT_OK, "a key of %d bytes fits",
           AJWT_STORE_KEY_MAX - 1);
    is_int(ajwt_journal_put(j, "", 1, FAR, 1000, NULL), AJWT_EINTERNAL,
           "an empty key: EINTERNAL");
    is_int(fsize(path), HDR + 2 * REC, "refused keys wrote nothing");
    jclose(jp);
    rmtree(dir);
}

#define RT_N 300

static void round_trip(apr_pool_t *p)
{
    const char *dir = tmpdir(p);
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    got_t *g;

    j = jopen(&jp, dir, "rt", NULL, 1000, &info, p);
    is_int(put_range(j, "rt%d", 0, RT_N), 0, "%d puts OK", RT_N);
    g = replay(j, 1000, p);
    is_int(g->calls, RT_N, "replay while open: %d keys", RT_N);
    jclose(jp);

    j = jopen(&jp, dir, "rt", NULL, 1000, &info, p);
    ok(j != NULL, "reopened");
    is_int(info.records, RT_N, "records read");
    is_int(info.live, RT_N, "all live");
    ok(!info.truncated && !info.damaged && !info.foreign, "clean");
    g = replay(j, 1000, p);
    is_int(g->calls, RT_N, "replay: one call per key");
    is_int(g->dups, 0, "no key twice");
    is_int(count_got(g, "rt%d", 0, RT_N), RT_N, "every value back");
    is_int(got_exp(g, jkey((char[AJWT_STORE_KEY_MAX]){ 0 }, "rt%d", 7)),
           FAR, "expiry back");
    jclose(jp);
    rmtree(dir);
}

static void expiry(apr_pool_t *p)
{
    const char *dir = tmpdir(p);
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    char k[AJWT_STORE_KEY_MAX];
    got_t *g;
    int i;

    j = jopen(&jp, dir, "ex", NULL, 500, &info, p);
    for (i = 0; i < 10; i++) {
        put(j, jkey(k, "short%d", i), i, 1000, 500);
        put(j, jkey(k, "long%d", i), i, FAR, 500);
    }
    g = replay(j, 999, p);
    is_int(g->calls, 20, "at 999 all 20 live");
    g = replay(j, 1000, p);
    is_int(g->calls, 10, "at 1000 (expires <= now) the short ones gone");
    is_int(count_got(g, "long%d", 0, 10), 10, "the long ones there");
    is_int(count_got(g, "short%d", 0, 10), 0, "no short one");
    jclose(jp);

    j = jopen(&jp, dir, "ex", NULL, 2000, &info, p);
    is_int(info.records, 20, "open at 2000: 20 records");
    is_int(info.live, 10, "10 live");
    jclose(jp);
    apr_pool_create(&jp, p);
    ok(ajwt_journal_open(&j, dir, "ex", NULL, &info, jp, NULL) == AJWT_OK,
       "open without a clock");
    is_int(info.live, 20, "without a clock every key counts as live");
    jclose(jp);
    rmtree(dir);
}

static void merge_rules(apr_pool_t *p)
{
    const char *dir = tmpdir(p);
    ajwt_journal_info_t info;
    ajwt_journal_t *a, *b;
    apr_pool_t *ap, *bp;
    char sub[AJWT_STORE_KEY_MAX], fam[AJWT_STORE_KEY_MAX];
    char mark[AJWT_STORE_KEY_MAX], jti[AJWT_STORE_KEY_MAX];
    char sub2[AJWT_STORE_KEY_MAX], fam2[AJWT_STORE_KEY_MAX];
    char only_b[AJWT_STORE_KEY_MAX];
    got_t *g;

    ajwt_store_key_sub(sub, "alice");
    ajwt_store_key_named(fam, "ajwt:f:", "family-1");
    ajwt_store_key_named(mark, "ajwt:f:x:", "family-1");
    ajwt_store_key_jti(jti, "jti-1");
    ajwt_store_key_sub(sub2, "bob");
    ajwt_store_key_named(fam2, "ajwt:f:", "family-2");
    ajwt_store_key_jti(only_b, "only-in-b");

    a = jopen(&ap, dir, "a", NULL, 1000, &info, p);
    put(a, sub, 300, 5000, 1000);
    put(a, sub, 200, 6000, 1000);       /* an older time written later */
    put(a, fam, 5, 5000, 1000);
    put(a, fam, 0, 5000, 1000);         /* revoked */
    put(a, fam, 7, 5000, 1000);         /* a rotation racing the revoke */
    put(a, mark, 0, 5000, 1000);
    put(a, mark, 3, 5000, 1000);        /* marks: the later record */
    put(a, jti, 1, 5000, 1000);
    put(a, jti, 2, 4000, 1000);
    g = replay(a, 1000, p);
    is_int(got(g, sub), 300, "sub: the later revocation time (max)");
    is_int(got_exp(g, sub), 6000, "sub: the later expiry");
    is_int(got(g, fam), 0, "family: 0 (revoked) sticks");
    is_int(got(g, mark), 3, "family mark: the later record");
    is_int(got(g, jti), 2, "jti: the later record");
    is_int(got_exp(g, jti), 5000, "jti: the later expiry");

    /* two servers sharing the directory, each with its own file */
    b = jopen(&bp, dir, "b", NULL, 1000, &info, p);
    put(a, sub2, 500, 5000, 1000);
    put(b, sub2, 400, 7000, 1000);
    put(a, fam2, 0, 5000, 1000);
    put(b, fam2, 9, 5000, 1000);
    put(b, only_b, 42, 5000, 1000);
    put(b, sub, 250, 5000, 1000);
    g = replay(a, 1000, p);
    is_int(got(g, sub2), 500, "across files: sub max");
    is_int(got_exp(g, sub2), 7000, "across files: the later expiry");
    is_int(got(g, fam2), 0, "across files: family 0 sticks");
    is_int(got(g, only_b), 42, "a key only in the other file");
    is_int(got(g, sub), 300, "sub across files and within one");
    is_int(g->dups, 0, "one call per key across files");
    g = replay(b, 1000, p);
    is_int(got(g, sub2), 500, "the other server replays the same: sub");
    is_int(got(g, fam2), 0, "and family");
    jclose(bp);
    jclose(ap);
    rmtree(dir);
}

static void tail(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path = jpath(p, dir, "t");
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    unsigned char junk[3 * REC];
    got_t *g;

    j = jopen(&jp, dir, "t", NULL, 1000, &info, p);
    put_range(j, "t%d", 0, 10);
    jclose(jp);

    memset(junk, 0x5a, sizeof(junk));
    ok(append(path, junk, 40), "40 bytes of a record cut short");
    j = jopen(&jp, dir, "t", NULL, 1000, &info, p);
    ok(info.truncated, "truncated");
    ok(!info.damaged && !info.foreign && !info.aside_path, "not damage");
    is_int(info.records, 10, "the 10 before kept");
    is_int(fsize(path), HDR + 10 * REC, "the tail cut off");
    is_int(count_got(replay(j, 1000, p), "t%d", 0, 10), 10, "all replayed");
    is_int(put(j, "ajwt:j:after", 1, FAR, 1000), AJWT_OK, "put after it");
    jclose(jp);
    j = jopen(&jp, dir, "t", NULL, 1000, &info, p);
    ok(!info.truncated && info.records == 11, "then clean, 11 records");
    jclose(jp);

    ok(append(path, junk, REC), "a whole record of garbage at the end");
    j = jopen(&jp, dir, "t", NULL, 1000, &info, p);
    ok(info.truncated && !info.damaged, "one bad last record: the tail");
    is_int(fsize(path), HDR + 11 * REC, "cut off");
    jclose(jp);

    memset(junk, 0, sizeof(junk));
    ok(append(path, junk, sizeof(junk)), "three records of zeros (a size "
       "extended before the data reached the disk)");
    j = jopen(&jp, dir, "t", NULL, 1000, &info, p);
    ok(info.truncated && !info.damaged, "zeros at the end: the tail");
    is_int(fsize(path), HDR + 11 * REC, "cut off");
    g = replay(j, 1000, p);
    is_int(g->calls, 11, "11 keys");
    jclose(jp);

    /* another server's file is only read: its tail is ignored */
    memset(junk, 0x5a, sizeof(junk));
    append(path, junk, 50);
    j = jopen(&jp, dir, "other", NULL, 1000, &info, p);
    g = replay(j, 1000, p);
    is_int(g->calls, 11, "a peer's tail ignored by replay");
    is_int(fsize(path), HDR + 11 * REC + 50, "and left as it is");
    jclose(jp);
    rmtree(dir);
}

static void damage(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path = jpath(p, dir, "d");
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    unsigned char junk[2 * REC];
    char k[AJWT_STORE_KEY_MAX];
    long size;
    got_t *g;

    j = jopen(&jp, dir, "d", NULL, 1000, &info, p);
    put_range(j, "d%d", 0, 10);
    jclose(jp);
    size = fsize(path);
    ok(flip_bit(path, HDR + 5 * REC + 30, 3), "one bit flipped in record "
       "5 of 10");

    j = jopen(&jp, dir, "d", NULL, 4321, &info, p);
    ok(j != NULL, "opened all the same");
    ok(info.damaged && !info.truncated && !info.foreign, "damaged");
    ok(info.aside_path && strstr(info.aside_path, "/d.journal.bad-4321"),
       "aside: %s", info.aside_path ? info.aside_path : "(none)");
    ok(info.aside_path && fsize(info.aside_path) == size,
       "the damaged file kept whole aside");
    is_int(info.records, 9, "9 sound records");
    is_int(fsize(path), HDR + 9 * REC, "a new file of the 9");
    g = replay(j, 1000, p);
    is_int(count_got(g, "d%d", 0, 5), 5, "the records before the damage");
    is_int(count_got(g, "d%d", 6, 10), 4, "and those after it");
    is_int(got(g, jkey(k, "d%d", 5)), -1, "not the damaged one");
    is_int(g->calls, 9, "nothing else");
    jclose(jp);

    j = jopen(&jp, dir, "d", NULL, 4321, &info, p);
    ok(!info.damaged && !info.truncated && info.records == 9,
       "the new file is clean");
    jclose(jp);

    /* damaged again in the same second: a name of its own */
    flip_bit(path, HDR + 1 * REC + 10, 0);
    j = jopen(&jp, dir, "d", NULL, 4321, &info, p);
    ok(info.damaged && info.aside_path
       && strstr(info.aside_path, "/d.journal.bad-4321.1"),
       "second aside: %s", info.aside_path ? info.aside_path : "(none)");
    jclose(jp);

    /* more than one record of garbage at the end is damage, not a tail */
    memset(junk, 0x77, sizeof(junk));
    append(path, junk, sizeof(junk));
    j = jopen(&jp, dir, "d", NULL, 5000, &info, p);
    ok(info.damaged && !info.truncated, "two records of garbage at the "
       "end: damage");
    is_int(info.records, 8, "the 8 kept");
    jclose(jp);

    /* a peer's damaged file: read around the damage, left alone */
    j = jopen(&jp, dir, "peer", NULL, 1000, &info, p);
    size = fsize(path);
    flip_bit(path, HDR + 2 * REC + 50, 6);
    g = replay(j, 1000, p);
    is_int(g->calls, 7, "a peer's damaged file: its 7 sound records");
    is_int(fsize(path), size, "and the file untouched");
    jclose(jp);
    rmtree(dir);
}

static void foreign(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path = jpath(p, dir, "f");
    const char text[] = "this is not a journal of ours, whatever it is\n";
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    unsigned char h[HDR];
    char buf[sizeof(text)];
    FILE *f;

    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    j = jopen(&jp, dir, "f", NULL, 777, &info, p);
    ok(j != NULL, "opened");
    ok(info.foreign && !info.damaged && !info.truncated, "foreign");
    ok(info.aside_path && strstr(info.aside_path, "/f.journal.bad-777"),
       "aside: %s", info.aside_path ? info.aside_path : "(none)");
    ok(info.aside_path && read_at(info.aside_path, 0, buf, sizeof(text) - 1)
       && !memcmp(buf, text, sizeof(text) - 1), "kept as it was");
    is_int(info.records, 0, "nothing read");
    is_int(fsize(path), HDR, "an empty journal in its place");
    is_int(replay(j, 1000, p)->calls, 0, "replay: empty");
    is_int(put(j, "ajwt:j:x", 1, FAR, 1000), AJWT_OK, "put");
    jclose(jp);
    j = jopen(&jp, dir, "f", NULL, 1000, &info, p);
    ok(!info.foreign && info.records == 1, "then a journal of ours");
    jclose(jp);

    read_at(path, 0, h, HDR);
    h[8] = 2;                           /* version 2 */
    write_at(path, 0, h, HDR);
    j = jopen(&jp, dir, "f", NULL, 1000, &info, p);
    ok(info.foreign && info.records == 0, "another version: foreign");
    jclose(jp);

    f = fopen(path, "w");
    fputs("ajwtjnl", f);
    fclose(f);
    j = jopen(&jp, dir, "f", NULL, 1001, &info, p);
    ok(info.foreign, "shorter than a header: foreign");
    jclose(jp);
    rmtree(dir);
}

/* Replay reads *.journal files only, and only journals of ours. */
static void peers(apr_pool_t *p)
{
    const char *dir = tmpdir(p);
    ajwt_journal_info_t info;
    ajwt_journal_t *a, *b;
    apr_pool_t *ap, *bp;
    got_t *g;
    FILE *f;

    a = jopen(&ap, dir, "a", NULL, 1000, &info, p);
    b = jopen(&bp, dir, "b", NULL, 1000, &info, p);
    put_range(a, "a%d", 0, 5);
    put_range(b, "b%d", 0, 5);
    f = fopen(apr_pstrcat(p, dir, "/c.journal", NULL), "w");
    fputs("not ours at all, but named like one of ours\n", f);
    fclose(f);
    f = fopen(apr_pstrcat(p, dir, "/.hidden.journal", NULL), "w");
    fclose(f);
    ok(link(jpath(p, dir, "b"), apr_pstrcat(p, dir, "/b.journal.bad-1",
                                            NULL)) == 0,
       "an aside file (a copy of b)");
    mkdir(apr_pstrcat(p, dir, "/e.journal", NULL), 0700);
    g = replay(a, 1000, p);
    is_int(g->calls, 10, "both journals, nothing else: %d", g->calls);
    is_int(g->dups, 0, "no key twice");
    is_int(count_got(g, "b%d", 0, 5), 5, "b's keys from a");

    g = apr_pcalloc(p, sizeof(*g));
    g->h = apr_hash_make(p);
    g->stop_after = 3;
    is_int(ajwt_journal_replay(a, 1000, collect, g, NULL), AJWT_ESTORE,
           "a receiver that stops: ESTORE");
    is_int(g->calls, 3, "no call after it stopped");
    jclose(bp);
    jclose(ap);
    rmtree(dir);
}

/* Hot keys rewritten again and again: compaction keeps one of each. */
#define HOT         20
#define HOT_PUTS    2000

static void compaction(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path = jpath(p, dir, "c");
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    char k[AJWT_STORE_KEY_MAX];
    int held;
    long size, last, max = 0;
    int i, bad = 0, shrinks = 0, exact = 0;
    got_t *g;

    j = jopen(&jp, dir, "c", NULL, 1000, &info, p);
    held = hold(path);
    for (i = 0; i < 50; i++) {          /* gone by the first compaction */
        put(j, jkey(k, "brief%d", i), i, 1500, 1000);
    }
    last = fsize(path);
    for (i = 0; i < HOT_PUTS; i++) {
        bad += put(j, jkey(k, "hot%d", i % HOT), i, FAR, 2000) != AJWT_OK;
        size = fsize(path);
        if (size < last) {
            shrinks++;
            /* right after a compaction: one record per live key */
            exact += size == HDR + HOT * REC;
        }
        if (size > max) {
            max = size;
        }
        last = size;
    }
    is_int(bad, 0, "%d puts OK", HOT_PUTS);
    ok(shrinks >= 2, "compacted %d times", shrinks);
    is_int(exact, shrinks, "each time to one record per live key (%d), "
           "the expired ones dropped", HOT);
    ok(max <= 64 * 1024 + REC, "the file never passed 64 KiB + a record: "
       "%ld", max);
    ok(replaced(held), "the file was replaced (renamed over)");
    ok(!exists(apr_pstrcat(p, dir, "/.c.journal.tmp", NULL)),
       "no temporary file left");
    g = replay(j, 2000, p);
    is_int(g->calls, HOT, "replay: the %d hot keys", HOT);
    is_int(g->dups, 0, "each once");
    for (i = 0, bad = 0; i < HOT; i++) {
        bad += got(g, jkey(k, "hot%d", i)) != HOT_PUTS - HOT + i;
    }
    is_int(bad, 0, "each with its last value");
    jclose(jp);

    j = jopen(&jp, dir, "c", NULL, 2000, &info, p);
    ok(!info.truncated && !info.damaged && !info.foreign, "reopens clean");
    is_int(info.live, HOT, "%d live keys", HOT);
    {
        unsigned char h[HDR];
        read_at(path, 0, h, HDR);
        is_int(le64(h + 16), HDR + HOT * REC, "the header's base is the "
               "compacted size");
    }
    jclose(jp);
    rmtree(dir);
}

static void unusable(apr_pool_t *p)
{
    const char *dir = tmpdir(p);
    const char *missing = apr_pstrcat(p, dir, "/no-such-dir", NULL);
    const char *file = apr_pstrcat(p, dir, "/plain-file", NULL);
    const char *ro = apr_pstrcat(p, dir, "/ro", NULL);
    ajwt_journal_t *j = NULL;
    ajwt_err_t err = { 0 };
    pid_t pid;
    FILE *f;

    is_int(ajwt_journal_open(&j, missing, "x", NULL, NULL, p, &err),
           AJWT_ECONFIG, "missing directory: ECONFIG");
    ok(strstr(err.text, missing) != NULL, "names it: %s", err.text);
    ok(j == NULL, "no journal");
    f = fopen(file, "w");
    fclose(f);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_journal_open(&j, file, "x", NULL, NULL, p, &err),
           AJWT_ECONFIG, "a file for a directory: ECONFIG");
    ok(strstr(err.text, file) != NULL, "names it: %s", err.text);
    is_int(ajwt_journal_open(&j, dir, "../x", NULL, NULL, p, NULL),
           AJWT_ECONFIG, "a name with '/': ECONFIG");
    is_int(ajwt_journal_open(&j, dir, ".x", NULL, NULL, p, NULL),
           AJWT_ECONFIG, "a hidden name: ECONFIG");
    is_int(ajwt_journal_open(&j, dir, "", NULL, NULL, p, NULL),
           AJWT_ECONFIG, "an empty name: ECONFIG");

    mkdir(ro, 0755);
    if (geteuid() != 0) {
        chmod(ro, 0555);
        memset(&err, 0, sizeof(err));
        is_int(ajwt_journal_open(&j, ro, "x", NULL, NULL, p, &err),
               AJWT_ECONFIG, "a directory not writable: ECONFIG");
        ok(strstr(err.text, ro) && strstr(err.text, "not writable"),
           "says so: %s", err.text);
        chmod(ro, 0755);
        rmtree(dir);
        return;
    }
    /* root writes anywhere: be another user, as the children are */
    chmod(dir, 0755);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int rc = 1;
        memset(&err, 0, sizeof(err));
        if (drop_root()
            && ajwt_journal_open(&j, ro, "x", NULL, NULL, p, &err)
               == AJWT_ECONFIG
            && strstr(err.text, ro) && strstr(err.text, "not writable")) {
            rc = 0;
        }
        _exit(rc);
    }
    is_int(reap(pid), 0, "a directory not writable (as uid %d): ECONFIG "
           "naming it", NOBODY);
    ok(!exists(apr_pstrcat(p, ro, "/x.journal", NULL)), "nothing made");
    rmtree(dir);
}

/* ------------------------------------------------------------ processes */

/*
 * What the server does: the parent (root) opens, the children (another
 * user) child_init and append, compaction included. Not chowned: the
 * child is refused with a reason; chowned: it works.
 */
static int child_as_nobody(ajwt_journal_t *j, const char *fmt, int n,
                           apr_pool_t *p, ajwt_err_t *err)
{
    apr_pool_t *pchild;
    char k[AJWT_STORE_KEY_MAX];
    int i;

    apr_pool_create(&pchild, p);
    if (!drop_root()) {
        return 2;
    }
    if (ajwt_journal_child_init(j, NULL, pchild, err) != AJWT_OK) {
        /* a glue that carries on: puts fail, they do not crash */
        return ajwt_journal_put(j, "ajwt:j:k", 1, FAR, 1000, NULL)
               == AJWT_ESTORE ? 3 : 5;
    }
    for (i = 0; i < n; i++) {
        if (ajwt_journal_put(j, jkey(k, fmt, i), i, FAR, 1000, err)) {
            return 4;
        }
    }
    return 0;
}

static void other_user(apr_pool_t *p)
{
    const char *dir, *path;
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    apr_pool_t *jp;
    int held;
    int pfd[2];
    char text[AJWT_ERR_TEXT] = "";
    ssize_t n;
    pid_t pid;

    if (geteuid() != 0) {
        ok(1, "# SKIP not root: no other user to become");
        return;
    }
    dir = tmpdir(p);
    path = jpath(p, dir, "u");
    j = jopen(&jp, dir, "u", NULL, 1000, &info, p);
    put_range(j, "root%d", 0, 10);

    /* not chowned: refused in child_init, with the path */
    if (pipe(pfd) != 0) {
        ok(0, "pipe");
        return;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        ajwt_err_t err = { 0 };
        int rc = child_as_nobody(j, "n%d", 1, p, &err);
        n = write(pfd[1], err.text, strlen(err.text));
        _exit(rc);
    }
    close(pfd[1]);
    n = read(pfd[0], text, sizeof(text) - 1);
    text[n > 0 ? n : 0] = '\0';
    close(pfd[0]);
    is_int(reap(pid), 3, "not chowned: child_init refuses, a put after it "
           "is ESTORE");
    ok(strstr(text, path) != NULL, "naming the file: %s", text);

    /* chowned as the glue does: the child appends and compacts */
    ok(chown(dir, NOBODY, NOBODY) == 0 && chown(path, NOBODY, NOBODY) == 0,
       "directory and file chowned to %d", NOBODY);
    held = hold(path);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        ajwt_err_t err = { 0 };
        _exit(child_as_nobody(j, "n%d", 800, p, &err));
    }
    is_int(reap(pid), 0, "as uid %d: 800 puts", NOBODY);
    ok(replaced(held), "and a compaction by the child");
    {
        struct stat sb;
        stat(path, &sb);
        is_int(sb.st_uid, NOBODY, "the compacted file is the child's");
    }
    {
        got_t *g = replay(j, 1000, p);
        is_int(count_got(g, "n%d", 0, 800), 800, "the parent replays "
               "the child's keys");
        is_int(count_got(g, "root%d", 0, 10), 10, "and its own");
    }
    is_int(put(j, "ajwt:j:parent-after", 1, FAR, 1000), AJWT_OK,
           "the parent appends to the file the child made");
    jclose(jp);
    j = jopen(&jp, dir, "u", NULL, 1000, &info, p);
    is_int(info.records, 811, "811 records on reopen");
    jclose(jp);
    rmtree(dir);
}

typedef struct {
    apr_global_mutex_t *mutex;
    const char *lockfile;
    ajwt_journal_t *j;
    const char *fmt;
    int from, to, bad;
} writer_t;

static int mutex_make(writer_t *w, const char *dir, apr_pool_t *p)
{
    apr_status_t rv;
    w->lockfile = apr_pstrcat(p, dir, "/lock", NULL);
    rv = apr_global_mutex_create(&w->mutex, w->lockfile, APR_LOCK_DEFAULT,
                                 p);
    return ok(rv == APR_SUCCESS, "global mutex (%s)",
              rv == APR_SUCCESS ? apr_global_mutex_name(w->mutex) : "none");
}

#define PER_PROC 500

static void processes(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path = jpath(p, dir, "pr");
    ajwt_journal_info_t info;
    apr_pool_t *jp;
    writer_t w = { 0 };
    int held;
    pid_t pid;
    got_t *g;

    if (!mutex_make(&w, dir, p)) {
        rmtree(dir);
        return;
    }
    w.j = jopen(&jp, dir, "pr", w.mutex, 1000, &info, p);
    held = hold(path);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        apr_pool_t *pchild;
        apr_pool_create(&pchild, p);
        if (apr_global_mutex_child_init(&w.mutex, w.lockfile, pchild)
            || ajwt_journal_child_init(w.j, w.mutex, pchild, NULL)) {
            _exit(2);
        }
        _exit(put_range(w.j, "child%d", 0, PER_PROC) ? 1 : 0);
    }
    is_int(put_range(w.j, "parent%d", 0, PER_PROC), 0, "parent: %d puts OK",
           PER_PROC);
    is_int(reap(pid), 0, "child: %d puts OK", PER_PROC);
    ok(replaced(held), "compacted in between (%d records > 64 KiB)",
       2 * PER_PROC);
    g = replay(w.j, 1000, p);
    is_int(count_got(g, "parent%d", 0, PER_PROC), PER_PROC,
           "every key of the parent");
    is_int(count_got(g, "child%d", 0, PER_PROC), PER_PROC,
           "every key of the child");
    is_int(g->calls, 2 * PER_PROC, "nothing else");
    jclose(jp);
    w.j = jopen(&jp, dir, "pr", NULL, 1000, &info, p);
    ok(!info.truncated && !info.damaged && info.records == 2 * PER_PROC,
       "reopens clean with %u records", info.records);
    jclose(jp);
    apr_global_mutex_destroy(w.mutex);
    rmtree(dir);
}

#define THREADS     4
#define PER_THREAD  250

static void *APR_THREAD_FUNC thread_writer(apr_thread_t *t, void *data)
{
    writer_t *w = data;
    w->bad = put_range(w->j, w->fmt, w->from, w->to);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void threads(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path = jpath(p, dir, "th");
    ajwt_journal_info_t info;
    apr_pool_t *jp;
    writer_t w[THREADS], m = { 0 };
    apr_thread_t *t[THREADS];
    apr_status_t rv;
    int held;
    int i, started = 0, bad = 0;
    got_t *g;

    if (!mutex_make(&m, dir, p)) {
        rmtree(dir);
        return;
    }
    m.j = jopen(&jp, dir, "th", m.mutex, 1000, &info, p);
    held = hold(path);
    for (i = 0; i < THREADS; i++) {
        w[i] = m;
        w[i].fmt = "th%d";
        w[i].from = i * PER_THREAD;
        w[i].to = (i + 1) * PER_THREAD;
        started += apr_thread_create(&t[i], NULL, thread_writer, &w[i], p)
                   == APR_SUCCESS;
    }
    is_int(started, THREADS, "threads started");
    for (i = 0; i < started; i++) {
        apr_thread_join(&rv, t[i]);
        bad += w[i].bad;
    }
    is_int(bad, 0, "%d puts from %d threads OK", THREADS * PER_THREAD,
           THREADS);
    ok(replaced(held), "compacted in between");
    g = replay(m.j, 1000, p);
    is_int(count_got(g, "th%d", 0, THREADS * PER_THREAD),
           THREADS * PER_THREAD, "every key");
    jclose(jp);
    m.j = jopen(&jp, dir, "th", NULL, 1000, &info, p);
    ok(!info.truncated && !info.damaged
       && info.records == THREADS * PER_THREAD, "reopens clean: %u records",
       info.records);
    jclose(jp);
    apr_global_mutex_destroy(m.mutex);
    rmtree(dir);
}

/*
 * A writer killed at a random point, compactions included: every key it
 * was told was written (it says so on a pipe only after the put returned
 * AJWT_OK) is there after a restart.
 */
#define CRASH_ROUNDS 3
#define CRASH_MAX    1500

static void crash(apr_pool_t *p)
{
    int round;
    srand((unsigned)getpid() ^ (unsigned)apr_time_now());
    for (round = 0; round < CRASH_ROUNDS; round++) {
        const char *dir = tmpdir(p);
        ajwt_journal_info_t info;
        ajwt_journal_t *j;
        apr_pool_t *jp;
        char k[AJWT_STORE_KEY_MAX];
        int pfd[2], acked = 0, missing = 0, i, at = 50 + rand() % CRASH_MAX;
        int *seen = apr_pcalloc(p, sizeof(int) * 100000);
        pid_t pid;
        got_t *g;

        j = jopen(&jp, dir, "k", NULL, 1000, &info, p);
        if (pipe(pfd) != 0) {
            ok(0, "pipe");
            return;
        }
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            apr_pool_t *pchild;
            close(pfd[0]);
            apr_pool_create(&pchild, p);
            if (ajwt_journal_child_init(j, NULL, pchild, NULL)) {
                _exit(2);
            }
            for (i = 0; i < 100000; i++) {
                if (ajwt_journal_put(j, jkey(k, "k%d", i), i, FAR, 1000,
                                     NULL) != AJWT_OK
                    || write(pfd[1], &i, sizeof(i)) != sizeof(i)) {
                    _exit(1);
                }
            }
            _exit(0);
        }
        close(pfd[1]);
        while (read(pfd[0], &i, sizeof(i)) == sizeof(i)) {
            if (i >= 0 && i < 100000) {
                seen[i] = 1;
            }
            if (++acked == at) {
                kill(pid, SIGKILL);
            }
        }
        close(pfd[0]);
        is_int(reap(pid), 100 + SIGKILL, "round %d: writer killed after "
               "%d acknowledged puts", round, at);
        jclose(jp);

        j = jopen(&jp, dir, "k", NULL, 1000, &info, p);
        ok(j && !info.damaged && !info.foreign, "round %d: reopens (%u "
           "records%s)", round, info.records,
           info.truncated ? ", tail cut off" : "");
        g = replay(j, 1000, p);
        for (i = 0; i < 100000; i++) {
            if (seen[i] && got(g, jkey(k, "k%d", i)) != i) {
                missing++;
            }
        }
        is_int(missing, 0, "round %d: every one of the %d acknowledged "
               "keys is there (%d replayed)", round, acked, g->calls);
        jclose(jp);
        rmtree(dir);
    }
}

/* ------------------------------------------------------------ decorator */

static int restore_into(void *ctx, const char *key, apr_int64_t value,
                        apr_int64_t expires)
{
    ajwt_store_t *st = ctx;
    return st->ops->put(st, key, value, expires, 2000, NULL) != AJWT_OK;
}

static ajwt_status_t failing_put(ajwt_store_t *st, const char *key,
                                 apr_int64_t value, apr_int64_t expires,
                                 apr_int64_t now, ajwt_err_t *err)
{
    return ajwt_err_set(err, AJWT_ESTORE, "fake store down");
}

static void decorator(apr_pool_t *p)
{
    const char *dir = tmpdir(p), *path = jpath(p, dir, "s");
    apr_size_t size = 64 * 1024;
    void *base = apr_palloc(p, size);
    ajwt_journal_info_t info;
    ajwt_journal_t *j;
    ajwt_store_t *inner, *st;
    ajwt_err_t err = { 0 };
    ajwt_claims_t cl, other;
    apr_pool_t *jp;
    apr_int64_t v = 0;
    long before;
    pid_t pid;

    memset(base, 0xa5, size);
    memset(&cl, 0, sizeof(cl));
    cl.jti = "token-1";
    cl.sub = "alice";
    cl.has_iat = 1;
    cl.iat = 900;
    memset(&other, 0, sizeof(other));
    other.jti = "token-2";
    other.sub = "bob";
    other.has_iat = 1;
    other.iat = 900;

    ajwt_store_shm_init(&inner, base, size, NULL, p, NULL);
    j = jopen(&jp, dir, "s", NULL, 1000, &info, p);
    is_int(ajwt_journal_store(&st, inner, j, p, &err), AJWT_OK,
           "decorator made");
    ok(!strcmp(st->ops->name, "shm"), "keeps the inner name: %s",
       st->ops->name);
    ok(st->ops->get_many == NULL, "no get_many where inner has none");
    is_int(ajwt_store_revoke_sub(st, "alice", -1, 30, 1000, &err), AJWT_OK,
           "revoke sub through it");
    is_int(ajwt_store_revoke_jti(st, "token-1", 5000, 30, 1000, &err),
           AJWT_OK, "revoke jti through it");
    is_int(fsize(path), HDR + 2 * REC, "both journaled");
    is_int(ajwt_store_check(st, &cl, 1000, NULL), AJWT_EREVOKED,
           "revoked (get through the decorator)");
    is_int(ajwt_store_check(st, &other, 1000, NULL), AJWT_OK,
           "another token is not");
    is_int(st->ops->incr(st, "ajwt:l:u:counter", &v, 1100, 1000, NULL),
           AJWT_OK, "incr through it");
    is_int(v, 1, "counted by inner");
    is_int(fsize(path), HDR + 2 * REC, "incr not journaled");

    /* a full stop: the shm is gone, the journal stays */
    jclose(jp);
    memset(base, 0xa5, size);
    ajwt_store_shm_init(&inner, base, size, NULL, p, NULL);
    is_int(ajwt_store_check(inner, &cl, 2000, NULL), AJWT_OK,
           "a new table knows nothing");
    j = jopen(&jp, dir, "s", NULL, 2000, &info, p);
    is_int(info.live, 2, "two live records on start");
    is_int(ajwt_journal_replay(j, 2000, restore_into, inner, &err), AJWT_OK,
           "replayed into the new table");
    is_int(ajwt_store_check(inner, &cl, 2000, &err), AJWT_EREVOKED,
           "revoked again after the restart: %s", err.text);
    cl.jti = "token-3";
    is_int(ajwt_store_check(inner, &cl, 2000, NULL), AJWT_EREVOKED,
           "by subject too (another jti of alice)");
    cl.sub = NULL;
    cl.jti = "token-1";
    is_int(ajwt_store_check(inner, &cl, 2000, NULL), AJWT_EREVOKED,
           "by jti alone");
    is_int(ajwt_store_check(inner, &other, 2000, NULL), AJWT_OK,
           "the other token still passes");

    /* inner fails: nothing journaled, its error returned */
    {
        ajwt_store_ops_t fops = *inner->ops;
        ajwt_store_t fake = { &fops, inner->impl }, *fst;
        fops.put = failing_put;
        ajwt_journal_store(&fst, &fake, j, p, NULL);
        before = fsize(path);
        memset(&err, 0, sizeof(err));
        is_int(fst->ops->put(fst, "ajwt:j:x", 1, FAR, 2000, &err),
               AJWT_ESTORE, "inner failed: its status");
        ok(strstr(err.text, "fake store down") != NULL, "its reason: %s",
           err.text);
        is_int(fsize(path), before, "nothing journaled");
    }

    /* the journal fails (the file may not grow): AJWT_ESTORE, in a child
     * so that the limit stays there */
    ajwt_journal_store(&st, inner, j, p, NULL);
    before = fsize(path);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl;
        int rc = 0;
        signal(SIGXFSZ, SIG_IGN);
        rl.rlim_cur = rl.rlim_max = (rlim_t)before;
        setrlimit(RLIMIT_FSIZE, &rl);
        memset(&err, 0, sizeof(err));
        if (st->ops->put(st, "ajwt:j:y", 1, FAR, 2000, &err) != AJWT_ESTORE
            || !strstr(err.text, path)) {
            rc = 1;
        }
        _exit(rc);
    }
    is_int(reap(pid), 0, "the journal failed: ESTORE naming the file");
    is_int(fsize(path), before, "and nothing half written");
    jclose(jp);
    rmtree(dir);
}

UNIT_MAIN(format, round_trip, expiry, merge_rules, tail, damage, foreign,
          peers, compaction, unusable, other_user, processes, threads, crash,
          decorator)
