/*
 * ajwt_journal.h: the durable copy of a revocation store. Every write of
 * a store (put: revocations, refresh families, lockout windows) is
 * appended to a journal file and on disk (fdatasync) before the write is
 * acknowledged, so that a full stop, a crash or a reboot loses nothing a
 * client was told was done. At start-up the journal is replayed into an
 * empty store (shm), or into a server of a shared store found empty
 * (memcached, Redis: ajwt_store_replay_fn).
 *
 * Files: one per server instance, DIR/NAME.journal, written only by that
 * instance's processes (under the caller's global mutex); replay reads
 * every *.journal file of DIR, so that servers sharing a state directory
 * restore each other's revocations. A file starts with a header (magic,
 * version); each record carries its own CRC-32, so a record cut short by
 * a crash (the tail) is told apart from damage (a bad record before the
 * end).
 */
#ifndef AJWT_JOURNAL_H
#define AJWT_JOURNAL_H

#include <apr_global_mutex.h>
#include "ajwt.h"
#include "ajwt_store.h"

typedef struct ajwt_journal_t ajwt_journal_t;

/* What opening found, for the glue's log lines. */
typedef struct {
    apr_uint32_t records;       /* good records read from our own file */
    apr_uint32_t live;          /* of them, keys not yet expired */
    int truncated;              /* an incomplete last record was cut off
                                 * (never acknowledged: nothing lost) */
    int damaged;                /* a bad record before the end: the good
                                 * ones before it kept, the file moved to
                                 * aside_path and a new one written */
    int foreign;                /* not a journal of ours (magic, version):
                                 * moved to aside_path, not read */
    const char *aside_path;     /* where a damaged/foreign file went */
} ajwt_journal_info_t;

/*
 * Open (create if absent, mode 0600) DIR/NAME.journal for appending, in
 * the parent at start-up. The directory must exist. A damaged or foreign
 * file is never trusted blindly: it is renamed to NAME.journal.bad-<time>
 * and *info says so (AJWT_OK: the server can start with what was read).
 * lock (may be NULL in a single process) serialises appends and
 * compaction between processes. Allocated from p, closed by its cleanup.
 * AJWT_ECONFIG: the directory or file cannot be used (err names it).
 */
ajwt_status_t ajwt_journal_open(ajwt_journal_t **out, const char *dir,
                                const char *name, apr_global_mutex_t *lock,
                                ajwt_journal_info_t *info, apr_pool_t *p,
                                ajwt_err_t *err);

/* In each child after fork: re-attach lock (apr_global_mutex_child_init
 * is the caller's) and reopen the file descriptor from pchild. */
ajwt_status_t ajwt_journal_child_init(ajwt_journal_t *j,
                                      apr_global_mutex_t *lock,
                                      apr_pool_t *pchild, ajwt_err_t *err);

/* The file's path, for log lines. */
const char *ajwt_journal_path(const ajwt_journal_t *j);

/*
 * Append one write and make it durable (write + fdatasync) before
 * returning AJWT_OK. A file replaced by another process's compaction is
 * reopened first. Compacts (rewrites with one merged record per live
 * key, to a temporary file, fsync, rename, fsync of the directory) when
 * the file has grown past twice its size after the last compaction and
 * past 64 KiB. AJWT_ESTORE when the write or the sync fails.
 */
ajwt_status_t ajwt_journal_put(ajwt_journal_t *j, const char *key,
                               apr_int64_t value, apr_int64_t expires,
                               apr_int64_t now, ajwt_err_t *err);

/*
 * An ajwt_store_replay_fn (src is the ajwt_journal_t *): every live key
 * of every *.journal file of the directory, merged by ajwt_store_merge(),
 * expired ones at now left out. Other servers' files are read as they
 * are (an incomplete tail is ignored; a damaged one is read up to the
 * damage).
 */
ajwt_status_t ajwt_journal_replay(void *src, apr_int64_t now,
                                  ajwt_store_rec_fn fn, void *ctx,
                                  ajwt_err_t *err);

/*
 * A store whose put and incr go to inner and, for put, then to the
 * journal: a put is acknowledged (AJWT_OK) only once both hold it. incr
 * (failed-login counters, the rotation claim of a refresh, each living
 * seconds) is not journaled. get and get_many are inner's. From p.
 */
ajwt_status_t ajwt_journal_store(ajwt_store_t **out, ajwt_store_t *inner,
                                 ajwt_journal_t *j, apr_pool_t *p,
                                 ajwt_err_t *err);

#endif
