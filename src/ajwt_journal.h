/* SPDX-License-Identifier: Apache-2.0 */
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
 * instance's processes (under the caller's global mutex, and a file lock
 * that also keeps apart the old and new children of a graceful restart);
 * replay reads every *.journal file of DIR, so that servers sharing a
 * state directory restore each other's revocations. A file starts with a
 * header (magic, version); records are of one fixed size and each
 * carries its own CRC-32, so a record cut short by a crash (the tail) is
 * told apart from damage (a bad record before the end). The format is
 * described at the top of ajwt_journal.c.
 *
 * What the glue does (the parent runs as root, the children as User):
 *   post_config: create the global mutex, then ajwt_journal_open_at();
 *     log info->truncated (info), ->damaged and ->foreign (warning, with
 *     ->aside_path); then chown DIR and ajwt_journal_path() to User/Group:
 *     the file may have been made or rewritten (as root) by the open, and
 *     compaction in a child writes DIR/.NAME.journal.tmp and renames it
 *     over the journal, so the directory must be the children's too. The
 *     shm table laid out fresh: ajwt_journal_replay() into it.
 *   child_init: apr_global_mutex_child_init(), then
 *     ajwt_journal_child_init() (AJWT_ECONFIG: file or directory not the
 *     children's: log it, the names are in err).
 */
#ifndef AJWT_JOURNAL_H
#define AJWT_JOURNAL_H

#include <apr_global_mutex.h>
#include "ajwt.h"
#include "ajwt_store.h"

typedef struct ajwt_journal_t ajwt_journal_t;

/* What opening found, for the glue's log lines. */
typedef struct {
    apr_uint32_t records;       /* sound records read from our own file */
    apr_uint32_t live;          /* distinct keys among them, not expired
                                 * at now (open_at) */
    int truncated;              /* an incomplete last record was cut off
                                 * (never acknowledged: nothing lost) */
    int damaged;                /* a bad record before the end: the sound
                                 * ones around it kept, the file moved to
                                 * aside_path and a new one written */
    int foreign;                /* not a journal of ours (magic, version):
                                 * moved to aside_path, not read */
    const char *aside_path;     /* where a damaged/foreign file went */
} ajwt_journal_info_t;

/*
 * Open (create if absent, mode 0600) DIR/NAME.journal for appending, in
 * the parent at start-up, and read it whole. The directory must exist and
 * be writable by this process (it is tried: AJWT_ECONFIG otherwise).
 * NAME is a plain file name (no '/', not starting with '.').
 *   - an incomplete last record (a crash during a write that was never
 *     acknowledged) is cut off: info->truncated;
 *   - a bad record before the end is damage: the file is kept as
 *     NAME.journal.bad-<now>[.N] (info->aside_path, from p) and replaced
 *     by one holding the merged live records of every sound record, those
 *     after the damage too: info->damaged;
 *   - a file that is not a journal of ours (magic, version) is kept aside
 *     alike and replaced by an empty journal: info->foreign.
 * All three are AJWT_OK: the server can start with what was read. info
 * may be NULL. now (seconds) judges which records are live: info->live,
 * and a rewritten file leaves out the expired ones. lock (may be NULL in
 * a single thread of a single process) serialises appends and compaction
 * between processes and threads; it is taken here too. Allocated from p,
 * the file closed by p's cleanup. AJWT_ECONFIG: the directory or the file
 * cannot be used (err names it).
 */
ajwt_status_t ajwt_journal_open_at(ajwt_journal_t **out, const char *dir,
                                   const char *name,
                                   apr_global_mutex_t *lock, apr_int64_t now,
                                   ajwt_journal_info_t *info, apr_pool_t *p,
                                   ajwt_err_t *err);

/* The same without a clock: every record counts as live (info->live is
 * the number of keys; expired ones go at the next compaction or replay),
 * and an aside file is named after the bad file's mtime. */
ajwt_status_t ajwt_journal_open(ajwt_journal_t **out, const char *dir,
                                const char *name, apr_global_mutex_t *lock,
                                ajwt_journal_info_t *info, apr_pool_t *p,
                                ajwt_err_t *err);

/*
 * In each child after fork: re-attach lock (apr_global_mutex_child_init
 * is the caller's), close the parent's descriptor and open the file again
 * from pchild (a descriptor of its own, so that the file lock keeps the
 * processes apart). AJWT_ECONFIG: this process (User) cannot open the file
 * for appending or cannot make files in the directory (compaction would
 * fail): err names the path.
 */
ajwt_status_t ajwt_journal_child_init(ajwt_journal_t *j,
                                      apr_global_mutex_t *lock,
                                      apr_pool_t *pchild, ajwt_err_t *err);

/* The file's path, for log lines. */
const char *ajwt_journal_path(const ajwt_journal_t *j);

/*
 * Append one write and make it durable (write + fdatasync) before
 * returning AJWT_OK. A file replaced by another process's compaction is
 * reopened first. Compacts (rewrites with one merged record per key live
 * at now, to a temporary file, fsync, rename, fsync of the directory)
 * when the file has grown past twice its size after the last compaction
 * and past 64 KiB; a compaction that fails does not fail the put (the
 * record is on disk already) and is tried again once the file has doubled
 * again. AJWT_ESTORE when the write or the sync fails; AJWT_EINTERNAL for
 * a key of 0 or AJWT_STORE_KEY_MAX bytes or more. Safe from any thread of
 * any process that opened or child_init'ed j with the same mutex.
 */
ajwt_status_t ajwt_journal_put(ajwt_journal_t *j, const char *key,
                               apr_int64_t value, apr_int64_t expires,
                               apr_int64_t now, ajwt_err_t *err);

/*
 * An ajwt_store_replay_fn (src is the ajwt_journal_t *): every live key
 * of every *.journal file of the directory (ours first, then the others
 * by name), merged by ajwt_store_merge(), expired ones at now left out,
 * fn called once per key. Files are only read: an incomplete tail is
 * ignored, the sound records around damage are read, a file not of ours
 * is skipped. AJWT_ESTORE: a journal or the directory cannot be read, or
 * fn returned non-zero. Takes the mutex while it reads our own file, so
 * never call it with the mutex held; fn runs without it (it may put into
 * a store that takes the same mutex: the inner store, not the decorator
 * of ajwt_journal_store(), or every record would be journaled again).
 * Memory: one entry per distinct key, in a pool freed before returning.
 */
ajwt_status_t ajwt_journal_replay(void *src, apr_int64_t now,
                                  ajwt_store_rec_fn fn, void *ctx,
                                  ajwt_err_t *err);

/*
 * A store whose put goes to inner and then to the journal: a put is
 * acknowledged (AJWT_OK) only once both hold it; inner's failure is
 * returned as it is (nothing journaled), the journal's as AJWT_ESTORE
 * (inner holds the entry, the disk may not). incr (failed-login counters,
 * the rotation claim of a refresh, each living seconds) is not journaled.
 * get, get_many and incr are inner's, and so is ops->name ("shm"...). From
 * p.
 */
ajwt_status_t ajwt_journal_store(ajwt_store_t **out, ajwt_store_t *inner,
                                 ajwt_journal_t *j, apr_pool_t *p,
                                 ajwt_err_t *err);

#endif
