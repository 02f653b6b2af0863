/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_journal.c: the durable copy of a revocation store (what it is for:
 * ajwt_journal.h).
 *
 * File format. Integers are little-endian whatever the host, so that a
 * state directory can move between machines.
 *
 *   header, 32 bytes, written once when the file is made whole:
 *      0   8  magic "ajwtjnl1"
 *      8   4  version, 1
 *     12   4  record size, 88
 *     16   8  base: the file's size when it was made whole (created,
 *              compacted, rewritten); compaction is due past twice it
 *     24   8  zero
 *   then records, 88 bytes each, each appended by one write(2):
 *      0   4  CRC-32 (IEEE 802.3, the one of zlib's crc32()) of bytes 4..87
 *      4   1  key length, 1 to AJWT_STORE_KEY_MAX - 1
 *      5   3  zero
 *      8   8  value (signed)
 *     16   8  expires: absolute seconds since the epoch (signed)
 *     24  64  the key's bytes, then zeros to the end of the field
 *
 * Why fixed-size records: every record starts at HEADER + k * RECORD, so a
 * bad one never hides where the next one is. Reading tells three cases
 * apart:
 *   - a bad stretch at the very end, no longer than one record or all
 *     zero bytes (a write cut short by a crash, or a size the filesystem
 *     extended before the data reached the disk): the tail. That write
 *     was never acknowledged (put returns after fdatasync), so cutting it
 *     off loses nothing.
 *   - a bad record followed by more (or a longer non-zero stretch at the
 *     end): damage. The sound records around it are still read: they
 *     carry their own CRC and their place is known, and every record is a
 *     revocation that would be lost otherwise.
 *   - no header of ours (magic, version, record size): foreign.
 *
 * Locking: the caller's global mutex serialises appends and compaction
 * among the threads and processes of one server generation. Each of those
 * steps also holds apr_file_lock() on the file itself (flock(2) on Linux,
 * fcntl elsewhere), because across a graceful restart the old children,
 * still finishing requests, hold another generation's mutex: without the
 * file lock the new parent's open could cut off an old child's append as
 * a "tail", and a compaction could rename the file away between an old
 * child's check of the file and its append. A file lock alone would not
 * do: it does not exclude the threads of one process.
 *
 * A compaction writes DIR/.NAME.journal.tmp, syncs it, renames it over the
 * journal and syncs the directory, so the path always names a whole file.
 * Other processes still hold the old one open: before each append they
 * compare the inode of their descriptor with the path's and reopen.
 *
 * Pools: the journal's run-time pools (the descriptor's, scratch) are
 * children of a pool of its own with its own allocator, and every scratch
 * pool has its own allocator too: a put or a replay may run in any thread
 * of a worker or event child, and pchild's allocator is not safe to share
 * between threads.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "ajwt_journal.h"

#define JNL_MAGIC       "ajwtjnl1"
#define JNL_VERSION     1
#define HDR_SIZE        32
#define REC_SIZE        88
#define REC_KEY_OFF     24
#define REC_KEY_FIELD   (REC_SIZE - REC_KEY_OFF)   /* 64 */
#define COMPACT_MIN     (64 * 1024)     /* bytes: never compact below */
#define READ_RECS       256             /* records per read: 22 KB */
#define REOPEN_TRIES    8               /* replaced again and again */
#define ASIDE_TRIES     100             /* NAME.journal.bad-T.1, .2... */
#define FILE_PERMS      (APR_FPROT_UREAD | APR_FPROT_UWRITE)

#if REC_KEY_FIELD < AJWT_STORE_KEY_MAX
#error "the record's key field must hold AJWT_STORE_KEY_MAX - 1 bytes"
#endif

struct ajwt_journal_t {
    const char *dir;            /* as given, without trailing '/' */
    const char *file;           /* NAME.journal: replay knows its own */
    const char *path;           /* DIR/NAME.journal */
    const char *tmp;            /* DIR/.NAME.journal.tmp */
    const char *probe;          /* DIR/.NAME.probe.XXXXXX */
    apr_global_mutex_t *lock;   /* NULL: one thread of one process */
    apr_pool_t *own;            /* ours alone: parent of fpool, scratch */
    apr_pool_t *fpool;          /* owns fd; replaced when reopening */
    apr_file_t *fd;             /* read and write, O_APPEND */
    apr_off_t base;             /* the header's base of the file fd is */
};

/* A key's merged record, in the hash of a read (key is the hash key). */
typedef struct {
    apr_int64_t value;
    apr_int64_t expires;
    char key[AJWT_STORE_KEY_MAX];
} entry;

/* What reading one file found. */
typedef struct {
    apr_uint32_t good;          /* sound records */
    apr_uint32_t bad;           /* bad stretches taken for damage */
    apr_off_t size;             /* bytes read in all */
    apr_off_t end;              /* after the last sound record */
    apr_off_t base;             /* the header's */
    int empty;                  /* not one byte */
    int foreign;                /* no header of ours */
    int tail;                   /* a bad end cut short or zeros: cut off */
} scan_t;

/* ------------------------------------------------------------ encoding */

/* CRC-32 (reflected 0xEDB88320), four bits per step: a 16-entry table. */
static const apr_uint32_t crc_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
    0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
    0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c
};

static apr_uint32_t crc_of(const unsigned char *b, apr_size_t n)
{
    apr_uint32_t c = 0xffffffff;
    while (n--) {
        c ^= *b++;
        c = (c >> 4) ^ crc_nibble[c & 15];
        c = (c >> 4) ^ crc_nibble[c & 15];
    }
    return ~c;
}

static void put32(unsigned char *b, apr_uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
}

static apr_uint32_t get32(const unsigned char *b)
{
    return (apr_uint32_t)b[0] | (apr_uint32_t)b[1] << 8
           | (apr_uint32_t)b[2] << 16 | (apr_uint32_t)b[3] << 24;
}

static void put64(unsigned char *b, apr_uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
}

static apr_uint64_t get64(const unsigned char *b)
{
    return (apr_uint64_t)get32(b) | (apr_uint64_t)get32(b + 4) << 32;
}

static void make_header(unsigned char *h, apr_off_t base)
{
    memset(h, 0, HDR_SIZE);
    memcpy(h, JNL_MAGIC, 8);
    put32(h + 8, JNL_VERSION);
    put32(h + 12, REC_SIZE);
    put64(h + 16, (apr_uint64_t)base);
}

static int header_ok(const unsigned char *h)
{
    return !memcmp(h, JNL_MAGIC, 8) && get32(h + 8) == JNL_VERSION
           && get32(h + 12) == REC_SIZE;
}

/* 0 when key does not fit a record (empty, or too long). */
static int make_record(unsigned char *r, const char *key, apr_int64_t value,
                       apr_int64_t expires)
{
    apr_size_t n = strlen(key);
    if (n == 0 || n >= AJWT_STORE_KEY_MAX) {
        return 0;
    }
    memset(r, 0, REC_SIZE);
    r[4] = (unsigned char)n;
    put64(r + 8, (apr_uint64_t)value);
    put64(r + 16, (apr_uint64_t)expires);
    memcpy(r + REC_KEY_OFF, key, n);
    put32(r, crc_of(r + 4, REC_SIZE - 4));
    return 1;
}

/* 1 and *e filled when r is a sound record, else 0. */
static int read_record(const unsigned char *r, entry *e)
{
    apr_size_t n = r[4], i;
    if (get32(r) != crc_of(r + 4, REC_SIZE - 4)) {
        return 0;
    }
    if (n == 0 || n >= AJWT_STORE_KEY_MAX || r[5] || r[6] || r[7]) {
        return 0;
    }
    for (i = 0; i < REC_KEY_FIELD; i++) {
        if ((i < n) != (r[REC_KEY_OFF + i] != 0)) {
            return 0;           /* a NUL in the key, or bytes after it */
        }
    }
    memcpy(e->key, r + REC_KEY_OFF, n);
    e->key[n] = '\0';
    e->value = (apr_int64_t)get64(r + 8);
    e->expires = (apr_int64_t)get64(r + 16);
    return 1;
}

static int all_zero(const unsigned char *b, apr_size_t n)
{
    while (n--) {
        if (*b++) {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------ reading */

static void merge(apr_hash_t *h, const entry *rec)
{
    entry *e = apr_hash_get(h, rec->key, APR_HASH_KEY_STRING);
    if (!e) {
        e = apr_pmemdup(apr_hash_pool_get(h), rec, sizeof(*rec));
        apr_hash_set(h, e->key, APR_HASH_KEY_STRING, e);
        return;
    }
    e->value = ajwt_store_merge(e->key, e->value, e->expires, rec->value,
                                rec->expires, &e->expires);
}

/* now <= 0: no clock to judge by, every entry counts as live. */
static int is_live(const entry *e, apr_int64_t now)
{
    return now <= 0 || e->expires > now;
}

static apr_uint32_t count_live(apr_hash_t *h, apr_int64_t now)
{
    apr_hash_index_t *hi;
    apr_uint32_t n = 0;
    for (hi = apr_hash_first(NULL, h); hi; hi = apr_hash_next(hi)) {
        n += is_live(apr_hash_this_val(hi), now);
    }
    return n;
}

/*
 * Read f from where it stands (its start) to its end, merging every sound
 * record into h, and say what was found in *s. buf holds READ_RECS
 * records. The APR status of a read that failed, else APR_SUCCESS.
 */
static apr_status_t scan(apr_file_t *f, apr_hash_t *h, unsigned char *buf,
                         scan_t *s)
{
    apr_size_t n, i;
    apr_status_t rv;
    apr_off_t off, pend = 0;        /* bad bytes since the last sound one */
    apr_uint32_t pend_recs = 0;
    int pend_nonzero = 0, eof = 0;
    entry e;

    memset(s, 0, sizeof(*s));
    rv = apr_file_read_full(f, buf, HDR_SIZE, &n);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        return rv;
    }
    s->size = (apr_off_t)n;
    if (n == 0) {
        s->empty = 1;
        return APR_SUCCESS;
    }
    if (n < HDR_SIZE || !header_ok(buf)) {
        s->foreign = 1;
        return APR_SUCCESS;
    }
    s->base = (apr_off_t)get64(buf + 16);
    off = s->end = HDR_SIZE;
    while (!eof) {
        rv = apr_file_read_full(f, buf, READ_RECS * REC_SIZE, &n);
        if (APR_STATUS_IS_EOF(rv)) {
            eof = 1;
        }
        else if (rv != APR_SUCCESS) {
            return rv;
        }
        s->size += (apr_off_t)n;
        for (i = 0; i + REC_SIZE <= n; i += REC_SIZE, off += REC_SIZE) {
            if (read_record(buf + i, &e)) {
                s->bad += pend_recs;    /* bad ones with more after them */
                pend = pend_recs = pend_nonzero = 0;
                merge(h, &e);
                s->good++;
                s->end = off + REC_SIZE;
            }
            else {
                pend += REC_SIZE;
                pend_recs++;
                pend_nonzero |= !all_zero(buf + i, REC_SIZE);
            }
        }
        if (i < n) {                    /* only at the end: a short one */
            pend += (apr_off_t)(n - i);
            pend_recs++;
            pend_nonzero |= !all_zero(buf + i, n - i);
        }
    }
    if (pend) {
        if (pend <= REC_SIZE || !pend_nonzero) {
            s->tail = 1;
        }
        else {
            s->bad += pend_recs;
        }
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------ files */

/*
 * A pool of our own under parent, with its own allocator: see "Pools" at
 * the top.
 */
static apr_status_t own_pool(apr_pool_t **out, apr_pool_t *parent)
{
    apr_allocator_t *a;
    apr_status_t rv;

    if ((rv = apr_allocator_create(&a)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_pool_create_ex(out, parent, NULL, a)) != APR_SUCCESS) {
        apr_allocator_destroy(a);
        return rv;
    }
    apr_allocator_owner_set(a, *out);
    return APR_SUCCESS;
}

/* Scratch: a pool, a read buffer and a hash for one read or rewrite. */
typedef struct {
    apr_pool_t *p;
    unsigned char *buf;
    apr_hash_t *h;
} scratch_t;

static ajwt_status_t scratch(scratch_t *s, ajwt_journal_t *j,
                             ajwt_err_t *err)
{
    apr_status_t rv = own_pool(&s->p, j->own);
    if (rv != APR_SUCCESS) {
        s->p = NULL;
        return ajwt_err_set_rv(err, AJWT_EINTERNAL, rv, "journal %s: no "
                               "memory", j->path);
    }
    s->buf = apr_palloc(s->p, READ_RECS * REC_SIZE);
    s->h = apr_hash_make(s->p);
    return AJWT_OK;
}

/* (Re)open the file at j->path, creating it if it went missing. */
static apr_status_t reopen(ajwt_journal_t *j)
{
    apr_pool_t *fp;
    apr_file_t *f;
    apr_status_t rv;

    if ((rv = own_pool(&fp, j->own)) != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_open(&f, j->path, APR_FOPEN_READ | APR_FOPEN_WRITE
                       | APR_FOPEN_APPEND | APR_FOPEN_CREATE
                       | APR_FOPEN_BINARY, FILE_PERMS, fp);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(fp);
        return rv;
    }
    if (j->fpool) {
        apr_pool_destroy(j->fpool);     /* closes the old descriptor */
    }
    j->fpool = fp;
    j->fd = f;
    return APR_SUCCESS;
}

/* Some filesystems cannot sync a directory (EINVAL): nothing to do. */
static apr_status_t sync_dir(const char *dir, apr_pool_t *p)
{
    apr_file_t *d;
    apr_status_t rv;

    rv = apr_file_open(&d, dir, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_sync(d);
    apr_file_close(d);
    return APR_STATUS_IS_EINVAL(rv) ? APR_SUCCESS : rv;
}

/*
 * Can this process make files in the directory (compaction must)? A
 * temporary file of a name nobody else uses, removed on close.
 */
static apr_status_t probe_dir(const ajwt_journal_t *j, apr_pool_t *p)
{
    apr_file_t *f;
    char *tmpl = apr_pstrdup(p, j->probe);
    apr_status_t rv;

    rv = apr_file_mktemp(&f, tmpl, APR_FOPEN_CREATE | APR_FOPEN_READ
                         | APR_FOPEN_WRITE | APR_FOPEN_EXCL
                         | APR_FOPEN_DELONCLOSE, p);
    if (rv == APR_SUCCESS) {
        apr_file_close(f);
    }
    return rv;
}

static apr_status_t same_file(apr_file_t *f, const char *path,
                              apr_finfo_t *ff, apr_pool_t *p, int *same)
{
    apr_finfo_t pf;
    apr_int32_t want = APR_FINFO_SIZE | APR_FINFO_IDENT | APR_FINFO_MTIME;
    apr_status_t rv;

    *same = 0;
    rv = apr_file_info_get(ff, want, f);
    if (rv != APR_SUCCESS && (ff->valid & want) != want) {
        return rv;
    }
    rv = apr_stat(&pf, path, APR_FINFO_IDENT, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return APR_SUCCESS;             /* gone: reopen makes it again */
    }
    if (rv != APR_SUCCESS && (pf.valid & APR_FINFO_IDENT) != APR_FINFO_IDENT) {
        return rv;
    }
    *same = pf.inode == ff->inode && pf.device == ff->device;
    return APR_SUCCESS;
}

static ajwt_status_t lock_mutex(ajwt_journal_t *j, ajwt_status_t st,
                                ajwt_err_t *err)
{
    apr_status_t rv;
    if (j->lock && (rv = apr_global_mutex_lock(j->lock)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, st, rv, "journal %s: cannot take the "
                               "mutex", j->path);
    }
    return AJWT_OK;
}

static void unlock_mutex(ajwt_journal_t *j)
{
    if (j->lock) {
        apr_global_mutex_unlock(j->lock);
    }
}

/*
 * Write a header of base HDR_SIZE into the file fd is, emptied first, and
 * sync it and the directory (the file may be new).
 */
static apr_status_t fresh_header(ajwt_journal_t *j)
{
    unsigned char h[HDR_SIZE];
    apr_size_t n = HDR_SIZE;
    apr_status_t rv;

    make_header(h, HDR_SIZE);
    if ((rv = apr_file_trunc(j->fd, 0)) != APR_SUCCESS
        || (rv = apr_file_write_full(j->fd, h, n, &n)) != APR_SUCCESS
        || (rv = apr_file_datasync(j->fd)) != APR_SUCCESS) {
        return rv;
    }
    j->base = HDR_SIZE;
    return sync_dir(j->dir, j->fpool);
}

/*
 * Under the mutex: take the file lock on the file that j->path names now,
 * reopening when another process's compaction replaced it (or it was
 * removed), and set *size and *mtime. When repair is set (appending), an
 * empty or too short file gets a header, and a part record at the end
 * (a failed write, never acknowledged) is cut off so that the next record
 * starts where a reader looks for it. The file lock is held on AJWT_OK
 * only.
 */
static ajwt_status_t lock_file(ajwt_journal_t *j, int repair,
                               apr_off_t *size, apr_time_t *mtime,
                               ajwt_status_t st, ajwt_err_t *err)
{
    apr_finfo_t ff;
    apr_status_t rv;
    int tries, same, reopened = 0;
    apr_off_t odd;

    /* no descriptor: child_init could not open the file (and said so) */
    if (!j->fd && (rv = reopen(j)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, st, rv, "journal %s cannot be opened "
                               "for appending by this process", j->path);
    }
    for (tries = 0; ; tries++) {
        if ((rv = apr_file_lock(j->fd, APR_FLOCK_EXCLUSIVE))
            != APR_SUCCESS) {
            return ajwt_err_set_rv(err, st, rv, "journal %s: cannot lock "
                                   "the file", j->path);
        }
        rv = same_file(j->fd, j->path, &ff, j->fpool, &same);
        if (rv == APR_SUCCESS && same) {
            break;
        }
        apr_file_unlock(j->fd);
        if (rv != APR_SUCCESS) {
            return ajwt_err_set_rv(err, st, rv, "journal %s: cannot stat",
                                   j->path);
        }
        if (tries == REOPEN_TRIES) {
            return ajwt_err_set(err, st, "journal %s: replaced %d times "
                                "while opening it", j->path, tries);
        }
        if ((rv = reopen(j)) != APR_SUCCESS) {
            return ajwt_err_set_rv(err, st, rv, "journal %s: cannot "
                                   "reopen", j->path);
        }
        reopened = 1;
    }
    *size = ff.size;
    if (mtime) {
        *mtime = ff.mtime;
    }
    if (repair && ff.size < HDR_SIZE) {
        if ((rv = fresh_header(j)) != APR_SUCCESS) {
            apr_file_unlock(j->fd);
            return ajwt_err_set_rv(err, st, rv, "journal %s: cannot write "
                                   "the header", j->path);
        }
        *size = HDR_SIZE;
    }
    else if (repair && (odd = (ff.size - HDR_SIZE) % REC_SIZE) != 0) {
        if ((rv = apr_file_trunc(j->fd, ff.size - odd)) != APR_SUCCESS) {
            apr_file_unlock(j->fd);
            return ajwt_err_set_rv(err, st, rv, "journal %s: cannot cut "
                                   "off a failed write", j->path);
        }
        *size = ff.size - odd;
    }
    else if (reopened) {
        unsigned char h[HDR_SIZE];
        apr_size_t n;
        apr_off_t zero = 0;
        j->base = *size;
        if (apr_file_seek(j->fd, APR_SET, &zero) == APR_SUCCESS
            && apr_file_read_full(j->fd, h, HDR_SIZE, &n) == APR_SUCCESS
            && header_ok(h) && (apr_off_t)get64(h + 16) < *size) {
            j->base = (apr_off_t)get64(h + 16);
        }
    }
    if (j->base < HDR_SIZE) {
        j->base = HDR_SIZE;
    }
    return AJWT_OK;
}

static void unlock_file(ajwt_journal_t *j)
{
    apr_file_unlock(j->fd);
}

/*
 * Under both locks: keep the file now at j->path under a name of its own,
 * DIR/NAME.journal.bad-<when>[.N], by a hard link, so that j->path never
 * goes missing; where the filesystem has no hard links, by renaming (a
 * crash before the rewrite's rename then leaves no journal: the next
 * start makes an empty one, and the records are in the aside file).
 */
static apr_status_t set_aside(ajwt_journal_t *j, apr_int64_t when,
                              const char **aside, apr_pool_t *p)
{
    apr_finfo_t fi;
    apr_status_t rv = APR_EEXIST;
    const char *name;
    int i;

    for (i = 0; i < ASIDE_TRIES; i++) {
        name = i ? apr_psprintf(p, "%s.bad-%" APR_INT64_T_FMT ".%d",
                                j->path, when, i)
                 : apr_psprintf(p, "%s.bad-%" APR_INT64_T_FMT, j->path,
                                when);
        rv = apr_file_link(j->path, name);
        if (rv == APR_SUCCESS) {
            *aside = name;
            return APR_SUCCESS;
        }
        if (APR_STATUS_IS_EEXIST(rv)
            || apr_stat(&fi, name, APR_FINFO_TYPE, p) == APR_SUCCESS) {
            continue;
        }
        if ((rv = apr_file_rename(j->path, name, p)) == APR_SUCCESS) {
            *aside = name;
        }
        return rv;
    }
    return rv;
}

/*
 * Under both locks: replace the file at j->path by one holding the live
 * entries of h (write DIR/.NAME.journal.tmp, fsync it, rename it over,
 * fsync the directory), and reopen it. aside_when >= 0: the old file is
 * kept aside first (set_aside), its name in *aside from ap. Failures are
 * st, and j->path is then the old file still.
 */
static ajwt_status_t rewrite(ajwt_journal_t *j, scratch_t *s,
                             apr_int64_t now, apr_int64_t aside_when,
                             const char **aside, apr_pool_t *ap,
                             ajwt_status_t st, ajwt_err_t *err)
{
    apr_hash_index_t *hi;
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t fill = HDR_SIZE, n;
    apr_off_t base = HDR_SIZE + (apr_off_t)count_live(s->h, now) * REC_SIZE;
    const char *what = "write";

    apr_file_remove(j->tmp, s->p);      /* a crash's, maybe another uid's */
    rv = apr_file_open(&f, j->tmp, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                       | APR_FOPEN_EXCL | APR_FOPEN_BINARY, FILE_PERMS,
                       s->p);
    if (rv != APR_SUCCESS) {
        return ajwt_err_set_rv(err, st, rv, "journal %s: cannot create %s",
                               j->path, j->tmp);
    }
    make_header(s->buf, base);
    for (hi = apr_hash_first(NULL, s->h); hi && rv == APR_SUCCESS;
         hi = apr_hash_next(hi)) {
        const entry *e = apr_hash_this_val(hi);
        if (!is_live(e, now)) {
            continue;
        }
        make_record(s->buf + fill, e->key, e->value, e->expires);
        fill += REC_SIZE;
        if (fill + REC_SIZE > READ_RECS * REC_SIZE) {
            rv = apr_file_write_full(f, s->buf, fill, &n);
            fill = 0;
        }
    }
    if (rv == APR_SUCCESS && fill) {
        rv = apr_file_write_full(f, s->buf, fill, &n);
    }
    if (rv == APR_SUCCESS) {
        what = "sync";
        rv = apr_file_sync(f);
    }
    apr_file_close(f);
    if (rv == APR_SUCCESS && aside_when >= 0) {
        what = "set aside the old file for";
        rv = set_aside(j, aside_when, aside, ap);
    }
    if (rv == APR_SUCCESS) {
        what = "rename over the journal";
        rv = apr_file_rename(j->tmp, j->path, s->p);
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(j->tmp, s->p);
        return ajwt_err_set_rv(err, st, rv, "journal %s: cannot %s %s",
                               j->path, what, j->tmp);
    }
    if ((rv = sync_dir(j->dir, s->p)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, st, rv, "journal %s: cannot sync the "
                               "directory %s", j->path, j->dir);
    }
    if ((rv = reopen(j)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, st, rv, "journal %s: cannot reopen "
                               "after rewriting it", j->path);
    }
    j->base = base;
    return AJWT_OK;
}

/*
 * Under the mutex, at open: read our own file whole and put it right
 * (cut off a tail; set a damaged or foreign file aside and write a new
 * one), filling *info.
 */
static ajwt_status_t load(ajwt_journal_t *j, apr_int64_t now,
                          ajwt_journal_info_t *info, apr_pool_t *p,
                          ajwt_err_t *err)
{
    scratch_t s;
    scan_t sc;
    apr_off_t size, zero = 0;
    apr_time_t mtime;
    apr_status_t rv;
    ajwt_status_t rc;
    apr_int64_t when;

    if ((rc = lock_file(j, 0, &size, &mtime, AJWT_ECONFIG, err))) {
        return rc;
    }
    if ((rc = scratch(&s, j, err)) != AJWT_OK) {
        unlock_file(j);
        return rc;
    }
    /* the aside name: now, or without a clock the file's own mtime */
    when = now > 0 ? now : apr_time_sec(mtime);
    rv = apr_file_seek(j->fd, APR_SET, &zero);
    if (rv == APR_SUCCESS) {
        rv = scan(j->fd, s.h, s.buf, &sc);
    }
    if (rv != APR_SUCCESS) {
        rc = ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal %s: cannot "
                             "read it", j->path);
    }
    else if (sc.empty) {
        if ((rv = fresh_header(j)) != APR_SUCCESS) {
            rc = ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal %s: "
                                 "cannot write the header", j->path);
        }
    }
    else if (sc.foreign) {
        apr_hash_clear(s.h);
        info->foreign = 1;
        rc = rewrite(j, &s, now, when, &info->aside_path, p, AJWT_ECONFIG,
                     err);
    }
    else if (sc.bad) {
        info->damaged = 1;
        rc = rewrite(j, &s, now, when, &info->aside_path, p, AJWT_ECONFIG,
                     err);
    }
    else if (sc.tail) {
        info->truncated = 1;
        if ((rv = apr_file_trunc(j->fd, sc.end)) != APR_SUCCESS
            || (rv = apr_file_datasync(j->fd)) != APR_SUCCESS) {
            rc = ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal %s: cannot "
                                 "cut off an incomplete record", j->path);
        }
        j->base = sc.base < sc.end ? sc.base : sc.end;
    }
    else {
        j->base = sc.base < sc.size ? sc.base : sc.size;
    }
    if (j->base < HDR_SIZE) {
        j->base = HDR_SIZE;
    }
    if (!sc.foreign) {
        info->records = sc.good;
        info->live = count_live(s.h, now);
    }
    unlock_file(j);
    apr_pool_destroy(s.p);
    return rc;
}

/*
 * Under both locks, the file being size bytes: merge, drop the expired,
 * rewrite. The record just appended is durable whatever happens here, so
 * a failure is not the put's: the file is left as it is, and not tried
 * again before it has doubled once more. A file that reads as damaged is
 * left for the next start, which sets it aside and says so.
 */
static void compact(ajwt_journal_t *j, apr_off_t size, apr_int64_t now)
{
    scratch_t s;
    scan_t sc;
    apr_off_t zero = 0;
    apr_status_t rv;

    if (scratch(&s, j, NULL) != AJWT_OK) {
        j->base = size;
        return;
    }
    rv = apr_file_seek(j->fd, APR_SET, &zero);
    if (rv == APR_SUCCESS) {
        rv = scan(j->fd, s.h, s.buf, &sc);
    }
    if (rv != APR_SUCCESS || sc.foreign || sc.empty || sc.bad || sc.tail
        || rewrite(j, &s, now, -1, NULL, NULL, AJWT_ESTORE, NULL)) {
        j->base = size;
    }
    apr_pool_destroy(s.p);
}

/* ------------------------------------------------------------ the API */

ajwt_status_t ajwt_journal_open_at(ajwt_journal_t **out, const char *dir,
                                   const char *name,
                                   apr_global_mutex_t *lock, apr_int64_t now,
                                   ajwt_journal_info_t *info, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    ajwt_journal_info_t none;
    ajwt_journal_t *j;
    apr_finfo_t fi;
    apr_status_t rv;
    ajwt_status_t rc;
    apr_size_t len;

    *out = NULL;
    if (!info) {
        info = &none;
    }
    memset(info, 0, sizeof(*info));
    if (!name || !*name || name[0] == '.' || strchr(name, '/')
        || strlen(name) > 200) {
        return ajwt_err_set(err, AJWT_ECONFIG, "journal name \"%s\": not a "
                            "plain file name", name ? name : "");
    }
    if (!dir || !*dir) {
        return ajwt_err_set(err, AJWT_ECONFIG, "journal: no directory");
    }
    for (len = strlen(dir); len > 1 && dir[len - 1] == '/'; len--) {
        ;
    }
    dir = apr_pstrmemdup(p, dir, len);
    rv = apr_stat(&fi, dir, APR_FINFO_TYPE, p);
    if (APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_ENOTDIR(rv)) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal directory "
                               "%s does not exist", dir);
    }
    if (rv != APR_SUCCESS && !(fi.valid & APR_FINFO_TYPE)) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal directory "
                               "%s cannot be looked at", dir);
    }
    if (fi.filetype != APR_DIR) {
        return ajwt_err_set(err, AJWT_ECONFIG, "journal directory %s is not "
                            "a directory", dir);
    }

    j = apr_pcalloc(p, sizeof(*j));
    j->dir = dir;
    j->file = apr_pstrcat(p, name, ".journal", NULL);
    j->path = apr_pstrcat(p, dir, "/", j->file, NULL);
    j->tmp = apr_pstrcat(p, dir, "/.", j->file, ".tmp", NULL);
    j->probe = apr_pstrcat(p, dir, "/.", name, ".probe.XXXXXX", NULL);
    j->lock = lock;
    if ((rv = own_pool(&j->own, p)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_EINTERNAL, rv, "journal %s: no "
                               "memory", j->path);
    }
    if ((rv = probe_dir(j, j->own)) != APR_SUCCESS) {
        apr_pool_destroy(j->own);
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal directory "
                               "%s is not writable (the journal and its "
                               "compaction write there)", dir);
    }
    if ((rv = reopen(j)) != APR_SUCCESS) {
        apr_pool_destroy(j->own);
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal %s cannot be "
                               "opened for reading and appending", j->path);
    }
    if ((rc = lock_mutex(j, AJWT_ECONFIG, err)) != AJWT_OK) {
        apr_pool_destroy(j->own);
        return rc;
    }
    rc = load(j, now, info, p, err);
    unlock_mutex(j);
    if (rc != AJWT_OK) {
        apr_pool_destroy(j->own);
        return rc;
    }
    *out = j;
    return AJWT_OK;
}

ajwt_status_t ajwt_journal_open(ajwt_journal_t **out, const char *dir,
                                const char *name, apr_global_mutex_t *lock,
                                ajwt_journal_info_t *info, apr_pool_t *p,
                                ajwt_err_t *err)
{
    return ajwt_journal_open_at(out, dir, name, lock, 0, info, p, err);
}

ajwt_status_t ajwt_journal_child_init(ajwt_journal_t *j,
                                      apr_global_mutex_t *lock,
                                      apr_pool_t *pchild, ajwt_err_t *err)
{
    apr_pool_t *own, *old = j->own;
    apr_status_t rv;

    if ((rv = own_pool(&own, pchild)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_EINTERNAL, rv, "journal %s: no "
                               "memory", j->path);
    }
    j->lock = lock;
    j->own = own;
    j->fpool = NULL;
    j->fd = NULL;
    /* the parent's descriptor, closed in this process only: a child of
     * its own keeps the file lock apart from the other processes' */
    apr_pool_destroy(old);
    if ((rv = reopen(j)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal %s cannot be "
                               "opened for appending by this process (it "
                               "must belong to the server's user)", j->path);
    }
    if ((rv = probe_dir(j, j->own)) != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "journal directory "
                               "%s is not writable by this process "
                               "(compaction writes there: it must belong "
                               "to the server's user)", j->dir);
    }
    return AJWT_OK;
}

const char *ajwt_journal_path(const ajwt_journal_t *j)
{
    return j->path;
}

ajwt_status_t ajwt_journal_put(ajwt_journal_t *j, const char *key,
                               apr_int64_t value, apr_int64_t expires,
                               apr_int64_t now, ajwt_err_t *err)
{
    unsigned char rec[REC_SIZE];
    apr_size_t n = REC_SIZE;
    apr_off_t size;
    apr_status_t rv;
    ajwt_status_t rc;

    if (!make_record(rec, key, value, expires)) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "journal %s: key of %lu "
                            "bytes", j->path, (unsigned long)strlen(key));
    }
    if ((rc = lock_mutex(j, AJWT_ESTORE, err)) != AJWT_OK) {
        return rc;
    }
    if ((rc = lock_file(j, 1, &size, NULL, AJWT_ESTORE, err)) != AJWT_OK) {
        unlock_mutex(j);
        return rc;
    }
    /* one write: O_APPEND places it whole at the end */
    rv = apr_file_write(j->fd, rec, &n);
    if (rv != APR_SUCCESS || n != REC_SIZE) {
        if (n > 0) {
            apr_file_trunc(j->fd, size);    /* else lock_file cuts it */
        }
        rc = ajwt_err_set_rv(err, AJWT_ESTORE, rv ? rv : APR_EGENERAL,
                             "journal %s: cannot append (%lu of %d bytes "
                             "written)", j->path, (unsigned long)n,
                             REC_SIZE);
    }
    else if ((rv = apr_file_datasync(j->fd)) != APR_SUCCESS) {
        rc = ajwt_err_set_rv(err, AJWT_ESTORE, rv, "journal %s: cannot sync "
                             "it to disk", j->path);
    }
    else if (size + REC_SIZE > 2 * j->base
             && size + REC_SIZE > COMPACT_MIN) {
        compact(j, size + REC_SIZE, now);
    }
    unlock_file(j);
    unlock_mutex(j);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Merge the sound records of path into s->h. A file that went away, or
 * is not a journal of ours, adds nothing; one that cannot be read is
 * AJWT_ESTORE (a restore without it would miss its revocations).
 */
static ajwt_status_t replay_file(const char *path, scratch_t *s,
                                 ajwt_err_t *err)
{
    apr_file_t *f;
    apr_status_t rv;
    scan_t sc;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_FPROT_OS_DEFAULT, s->p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return AJWT_OK;
    }
    if (rv == APR_SUCCESS) {
        rv = scan(f, s->h, s->buf, &sc);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ESTORE, rv, "journal %s cannot be "
                               "read", path);
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_journal_replay(void *src, apr_int64_t now,
                                  ajwt_store_rec_fn fn, void *ctx,
                                  ajwt_err_t *err)
{
    ajwt_journal_t *j = src;
    apr_array_header_t *names;
    apr_hash_index_t *hi;
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_status_t rv;
    ajwt_status_t rc;
    scratch_t s;
    int i, locked;

    /* under the mutex: the scratch pool is a child of j->own, and our own
     * file is read while no thread of ours holds its file lock */
    if ((rc = lock_mutex(j, AJWT_ESTORE, err)) != AJWT_OK) {
        return rc;
    }
    if ((rc = scratch(&s, j, err)) != AJWT_OK) {
        unlock_mutex(j);
        return rc;
    }
    rc = replay_file(j->path, &s, err);
    unlock_mutex(j);

    names = apr_array_make(s.p, 4, sizeof(const char *));
    if (rc == AJWT_OK
        && (rv = apr_dir_open(&d, j->dir, s.p)) != APR_SUCCESS) {
        rc = ajwt_err_set_rv(err, AJWT_ESTORE, rv, "journal directory %s "
                             "cannot be listed", j->dir);
    }
    else if (rc == AJWT_OK) {
        while ((rv = apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d))
               == APR_SUCCESS || rv == APR_INCOMPLETE) {
            apr_size_t len = strlen(fi.name);
            if (fi.name[0] == '.' || len <= 8
                || strcmp(fi.name + len - 8, ".journal")
                || !strcmp(fi.name, j->file)
                || ((fi.valid & APR_FINFO_TYPE) && fi.filetype == APR_DIR)) {
                continue;
            }
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(s.p, fi.name);
        }
        apr_dir_close(d);
        /* a fixed order, so that two replays merge alike */
        qsort(names->elts, names->nelts, sizeof(const char *), name_cmp);
    }
    for (i = 0; rc == AJWT_OK && i < names->nelts; i++) {
        rc = replay_file(apr_pstrcat(s.p, j->dir, "/",
                                     APR_ARRAY_IDX(names, i, const char *),
                                     NULL), &s, err);
    }
    for (hi = apr_hash_first(NULL, s.h); rc == AJWT_OK && hi;
         hi = apr_hash_next(hi)) {
        const entry *e = apr_hash_this_val(hi);
        if (is_live(e, now) && fn(ctx, e->key, e->value, e->expires)) {
            rc = ajwt_err_set(err, AJWT_ESTORE, "replay of the journals of "
                              "%s stopped by its receiver", j->dir);
        }
    }
    /* unlinked from j->own under the mutex; should it fail now, the pool
     * goes all the same (a process that cannot take its mutex does not
     * put either) */
    locked = lock_mutex(j, AJWT_ESTORE, NULL) == AJWT_OK;
    apr_pool_destroy(s.p);
    if (locked) {
        unlock_mutex(j);
    }
    return rc;
}

/* ------------------------------------------------------------ decorator */

typedef struct {
    ajwt_store_t *inner;
    ajwt_journal_t *j;
} jstore_impl;

static ajwt_status_t jstore_put(ajwt_store_t *st, const char *key,
                                apr_int64_t value, apr_int64_t expires,
                                apr_int64_t now, ajwt_err_t *err)
{
    jstore_impl *im = st->impl;
    ajwt_status_t rc;

    rc = im->inner->ops->put(im->inner, key, value, expires, now, err);
    if (rc != AJWT_OK) {
        return rc;                  /* not held: nothing to make durable */
    }
    if (ajwt_journal_put(im->j, key, value, expires, now, err) != AJWT_OK) {
        return AJWT_ESTORE;
    }
    return AJWT_OK;
}

static ajwt_status_t jstore_get(ajwt_store_t *st, const char *key,
                                apr_int64_t *value, int *found,
                                apr_int64_t now, ajwt_err_t *err)
{
    jstore_impl *im = st->impl;
    return im->inner->ops->get(im->inner, key, value, found, now, err);
}

static ajwt_status_t jstore_incr(ajwt_store_t *st, const char *key,
                                 apr_int64_t *value, apr_int64_t expires,
                                 apr_int64_t now, ajwt_err_t *err)
{
    jstore_impl *im = st->impl;
    return im->inner->ops->incr(im->inner, key, value, expires, now, err);
}

static ajwt_status_t jstore_get_many(ajwt_store_t *st,
                                     const char *const *keys, int n,
                                     apr_int64_t *value, int *state,
                                     apr_int64_t now, ajwt_err_t *err)
{
    jstore_impl *im = st->impl;
    return im->inner->ops->get_many(im->inner, keys, n, value, state, now,
                                    err);
}

ajwt_status_t ajwt_journal_store(ajwt_store_t **out, ajwt_store_t *inner,
                                 ajwt_journal_t *j, apr_pool_t *p,
                                 ajwt_err_t *err)
{
    ajwt_store_ops_t *ops;
    jstore_impl *im;
    ajwt_store_t *st;

    *out = NULL;
    if (!inner || !inner->ops || !j) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "journal store: no inner "
                            "store or no journal");
    }
    ops = apr_pcalloc(p, sizeof(*ops));
    ops->name = inner->ops->name;       /* the glue prints the backend's */
    ops->put = jstore_put;
    ops->get = jstore_get;
    ops->incr = jstore_incr;
    ops->get_many = inner->ops->get_many ? jstore_get_many : NULL;
    im = apr_pcalloc(p, sizeof(*im));
    im->inner = inner;
    im->j = j;
    st = apr_pcalloc(p, sizeof(*st));
    st->ops = ops;
    st->impl = im;
    *out = st;
    return AJWT_OK;
}
