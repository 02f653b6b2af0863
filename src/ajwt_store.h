/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_store.h: the revocation store, shared by every worker process
 * (shm backend) or by every server (memcached backend), behind one small
 * interface, and the rules of what is stored and for how long.
 *
 * Entries are key -> 64-bit value, each with an absolute expiry in
 * seconds since the epoch. Keys are made here, never by callers:
 *   "ajwt:j:" + base64url(SHA-256(jti))  value: the token's exp
 *   "ajwt:s:" + base64url(SHA-256(sub))  value: the revocation time; every
 *                                        token of sub with iat <= value
 *                                        is revoked
 * Hashing bounds the key length (50 bytes) and keeps client bytes out of
 * memcached's protocol (no spaces, no control characters).
 *
 * Lifetimes: a revocation lives at least as long as any token it covers
 * could still be accepted by any location of the server, and no longer:
 * a jti entry until exp + the largest leeway in use; a subject entry
 * until now + AuthJWTMaxTokenLifetime + that leeway (where revocation is
 * checked, a token must carry iat and live at most that long: ajwt_policy_t
 * max_lifetime).
 */
#ifndef AJWT_STORE_H
#define AJWT_STORE_H

#include <apr_global_mutex.h>
#include "ajwt.h"
#include "ajwt_claims.h"

/* bytes with the NUL; one figure, defined where the claims keep keys */
#define AJWT_STORE_KEY_MAX     AJWT_CLAIMS_KEY_MAX
#define AJWT_SUB_REVOKE_TTL    (30 * 86400)     /* seconds, no max age */
#define AJWT_SHM_DEFAULT_SIZE  (1024 * 1024)    /* bytes */
#define AJWT_SHM_MIN_SIZE      (16 * 1024)

typedef struct ajwt_store_t ajwt_store_t;

/* Keys of one get_many: a token's jti, sub and session (sid). */
#define AJWT_STORE_MANY_MAX   3
/* memcached and Redis: connect and command timeouts (ms), and how long a
 * server that failed is skipped (s), when the configuration gives 0 */
#define AJWT_STORE_TIMEOUT_MS 300
#define AJWT_STORE_RETRY_S    2

/* What a lookup of several keys at once learnt of each (get_many). */
#define AJWT_STORE_UNKNOWN    (-1)  /* not looked up: the store failed */
#define AJWT_STORE_ABSENT     0
#define AJWT_STORE_FOUND      1     /* present, value set */
#define AJWT_STORE_MALFORMED  2     /* present, value not one of ours */

typedef struct {
    const char *name;                       /* "shm", "memcached" */
    /*
     * Record key -> value until expires (absolute seconds). Overwrites, so
     * that repeating a revocation is harmless. AJWT_ESTORE when the store
     * cannot be reached.
     */
    ajwt_status_t (*put)(ajwt_store_t *st, const char *key,
                         apr_int64_t value, apr_int64_t expires,
                         apr_int64_t now, ajwt_err_t *err);
    /*
     * *found is 1 and *value set when key is present and not expired at
     * now, else *found is 0. AJWT_ESTORE when the store cannot be reached.
     */
    ajwt_status_t (*get)(ajwt_store_t *st, const char *key,
                         apr_int64_t *value, int *found, apr_int64_t now,
                         ajwt_err_t *err);
    /*
     * Atomically add 1 to key's value and set *value to the result. A key
     * absent (or expired at now) starts at 1 and lives until expires; an
     * existing one keeps its own expiry. Counters of failed logins
     * (ajwt_issue.h). AJWT_ESTORE when the store cannot be reached.
     */
    ajwt_status_t (*incr)(ajwt_store_t *st, const char *key,
                          apr_int64_t *value, apr_int64_t expires,
                          apr_int64_t now, ajwt_err_t *err);
    /*
     * Optional (NULL: ajwt_store_check() calls get per key). Look up n
     * keys (1 to AJWT_STORE_MANY_MAX) at once, in one round trip where the backend can:
     * state[i] is one of AJWT_STORE_*, value[i] set when FOUND. Unlike
     * get, a value that does not parse is reported (MALFORMED), not
     * taken for a failure. AJWT_ESTORE when the store could not be
     * reached for some key: those keys are UNKNOWN, the others answered.
     */
    ajwt_status_t (*get_many)(ajwt_store_t *st, const char *const *keys,
                              int n, apr_int64_t *value, int *state,
                              apr_int64_t now, ajwt_err_t *err);
} ajwt_store_ops_t;

struct ajwt_store_t {
    const ajwt_store_ops_t *ops;
    void *impl;                 /* the backend's own state */
};

/* ------------------------------------------------------------ durability */

/*
 * A source of records to restore a store from: the journal
 * (ajwt_journal.h) replays through this, so that a backend can restore a
 * server found empty without knowing where the records come from. fn is
 * called once per live key (records merged by ajwt_store_merge(), those
 * expired at now left out); a non-zero return from fn stops the replay
 * and is returned as AJWT_ESTORE. AJWT_OK, or the source's failure.
 */
typedef int (*ajwt_store_rec_fn)(void *ctx, const char *key,
                                 apr_int64_t value, apr_int64_t expires);
typedef ajwt_status_t (*ajwt_store_replay_fn)(void *src, apr_int64_t now,
                                              ajwt_store_rec_fn fn,
                                              void *ctx, ajwt_err_t *err);

/*
 * Two values recorded for one key, by two writers or at two times: the
 * one that revokes more, so that a restore never lowers a revocation.
 *   "ajwt:s:" (subject): the later revocation time (max).
 *   "ajwt:f:" (a family, not its ":x:"/":r:" entries): 0 (revoked) wins,
 *            else the larger (the later generation).
 *   anything else: b (the later record).
 * *exp_out is the later of the two expiries.
 */
apr_int64_t ajwt_store_merge(const char *key, apr_int64_t a,
                             apr_int64_t a_expires, apr_int64_t b,
                             apr_int64_t b_expires, apr_int64_t *exp_out);

/* ------------------------------------------------------------ the rules */

/* Key for a jti or a subject into buf (AJWT_STORE_KEY_MAX bytes). */
void ajwt_store_key_jti(char *buf, const char *jti);
void ajwt_store_key_sub(char *buf, const char *sub);

/* prefix + base64url(SHA-256(id)) into buf (AJWT_STORE_KEY_MAX bytes),
 * for the issuer's own entries ("ajwt:f:", "ajwt:l:u:"...); prefix is at
 * most AJWT_STORE_PREFIX_MAX bytes (longer ones are cut). */
#define AJWT_STORE_PREFIX_MAX  12
void ajwt_store_key_named(char *buf, const char *prefix, const char *id);

/* The mark of a revoked refresh family (ajwt_issue.h), under this prefix
 * + hash(family id): what ajwt_store_check() reads for a token's sid. */
#define AJWT_STORE_FAMILY_DEAD_PREFIX "ajwt:f:x:"

/*
 * The keys of cl's jti, sub and sid into cl->store_jti, cl->store_sub and
 * cl->store_sid ("" for an absent claim), and cl->store_keys set: done once per verified
 * token, before it is cached (ajwt_verify()), so that ajwt_store_check()
 * of a cached token makes no digest.
 */
void ajwt_store_claims_keys(ajwt_claims_t *cl);

/*
 * Is this verified token revoked? The one check of every door that
 * accepts a token or mints one from another (AuthType jwt, the Basic
 * provider, jwt-refresh, jwt-logout, jwt-revoke token=). AJWT_EREVOKED
 * (its jti is listed, or its subject was revoked at or after its iat, or
 * its sid names a refresh family that was revoked: a logout ends every
 * access token of the session; a token without iat counts as issued
 * before any revocation of its subject; an entry of its jti, sub or
 * family whose value is not one of ours counts as a revocation), AJWT_ESTORE
 * (store unreachable, and no revocation found on what answered), or
 * AJWT_OK. A token without jti can still be revoked through its subject.
 * Uses cl->store_* when cl->store_keys is set, else makes the keys.
 */
ajwt_status_t ajwt_store_check(ajwt_store_t *st, const ajwt_claims_t *cl,
                               apr_int64_t now, ajwt_err_t *err);

/* Revoke one token by jti until exp + leeway. exp in the past (beyond
 * leeway) is AJWT_OK with nothing stored: it cannot pass anyway. */
ajwt_status_t ajwt_store_revoke_jti(ajwt_store_t *st, const char *jti,
                                    apr_int64_t exp, int leeway,
                                    apr_int64_t now, ajwt_err_t *err);

/*
 * Revoke every token of sub issued at or before now. lifetime: the
 * longest a token accepted anywhere on this server can live (exp - iat,
 * AuthJWTMaxTokenLifetime), leeway: the largest leeway in use; the entry
 * lives now + lifetime + leeway, as long as any token it covers could
 * still pass. lifetime < 0: AJWT_SUB_REVOKE_TTL.
 */
ajwt_status_t ajwt_store_revoke_sub(ajwt_store_t *st, const char *sub,
                                    apr_int64_t lifetime, int leeway,
                                    apr_int64_t now, ajwt_err_t *err);

/* ------------------------------------------------------------ shm */

/*
 * Lay out a store in size bytes at base (shared memory the caller mapped
 * in every process), or re-attach to the one already there when its
 * header matches (a graceful restart keeps what was revoked). Writers take
 * lock (created by the caller, may be NULL in a single process); readers
 * take no lock (per-slot sequence counters). When the table is full,
 * expired entries are replaced first, then the oldest written, so the
 * newest revocations stay; ajwt_store_shm_evictions() counts the live
 * ones pushed out. The store object is allocated from p.
 */
ajwt_status_t ajwt_store_shm_init(ajwt_store_t **out, void *base,
                                  apr_size_t size, apr_global_mutex_t *lock,
                                  apr_pool_t *p, ajwt_err_t *err);

/* How many live entries were pushed out because the table was full, since
 * the segment was laid out (the glue logs when this grows). */
apr_uint64_t ajwt_store_shm_evictions(const ajwt_store_t *st);

/* How many entries the table holds at most (slots of 96 bytes in groups
 * of 8, so about size / 96): for the glue's log and the tests. */
apr_uint32_t ajwt_store_shm_slots(const ajwt_store_t *st);

/* ------------------------------------------------------------ memcached */

typedef struct {
    const char *servers;        /* "host:port,host:port" */
    int connect_timeout_ms;     /* default 300 */
    int poll_timeout_ms;        /* default 300 */
    int retry_timeout_s;        /* a dead server is retried after, def. 2 */
    const char *user;           /* SASL (binary protocol), NULL: none */
    const char *password;       /* with user; the secret's bytes */
    /*
     * The durable copy (the journal), NULL: none. A server found empty
     * (its seed entry missing: restarted, flushed, evicted) is not
     * trusted by this process until every record of replay whose key
     * lives on that server was written back to it; until then its keys
     * answer AJWT_ESTORE. With no replay source an empty server is
     * seeded at once (nothing to restore).
     */
    ajwt_store_replay_fn replay;
    void *replay_src;
} ajwt_mc_conf_t;

/*
 * A memcached-backed store: consistent (ketama) hashing over the servers,
 * binary protocol, short timeouts; one connection set per thread, made on
 * first use and reused (never one per request); a server that went away is
 * retried after retry_timeout_s without any restart. Parsing errors in
 * servers are AJWT_ECONFIG, and so is a user without a password, or a
 * user with a libmemcached built without SASL. Nothing is connected here.
 * Allocated from p, with a cleanup that closes the calling thread's
 * connections and wipes the kept copy of the password. Every server gets
 * a seed entry ("ajwt:seed:<n>", never expiring) on first use; a server
 * found without this process's seed is restored from replay before its
 * keys answer (ajwt_store_mc.c says how). A refused SASL login is
 * AJWT_ESTORE, "memcached HOST:PORT: authentication failed".
 */
ajwt_status_t ajwt_store_mc_create(ajwt_store_t **out,
                                   const ajwt_mc_conf_t *conf,
                                   apr_pool_t *p, ajwt_err_t *err);

/*
 * What the store of this process did about servers found empty, for the
 * glue's log (it logs when a count grows). Counted per store object,
 * shared by the threads of a process; 0 for a store of another kind.
 *   restores:  a server was written back from the replay source because
 *              its seed entry was missing or not the one this process
 *              restored into (restarted, flushed, seed evicted), or its
 *              evictions count grew; a process's first look at a server
 *              that still holds a seed is not counted
 *   evictions: the growth of the servers' own "evictions" counts seen
 *              (every item memcached pushed out, not only ours)
 */
apr_uint64_t ajwt_store_mc_restores(const ajwt_store_t *st);
apr_uint64_t ajwt_store_mc_evictions(const ajwt_store_t *st);

/*
 * The last counted restore as one line ("memcached 10.0.0.5:11211 came
 * back empty: restored 12 of 12 records"), copied into buf (size bytes,
 * cut to fit, NUL-terminated). Returns its length, 0 when there was none
 * (or st is not a memcached store).
 */
apr_size_t ajwt_store_mc_last_event(const ajwt_store_t *st, char *buf,
                                    apr_size_t size);

/* ------------------------------------------------------------ redis */

typedef struct {
    const char *servers;        /* "host:port,host:port" (no scheme) */
    int tls;                    /* rediss:// */
    const char *ca_file;        /* TLS: CA bundle, NULL: the system's */
    int connect_timeout_ms;     /* default 300 */
    int timeout_ms;             /* each command, default 300 */
    int retry_timeout_s;        /* a dead server is retried after, def. 2 */
    const char *user;           /* ACL user, NULL: AUTH with password only */
    const char *password;       /* NULL: no AUTH */
    ajwt_store_replay_fn replay;    /* as in ajwt_mc_conf_t */
    void *replay_src;
} ajwt_redis_conf_t;

/*
 * A Redis-backed store (hiredis). Same contract as ajwt_store_mc_create:
 * parsing errors in servers are AJWT_ECONFIG, TLS asked for without
 * hiredis TLS support is AJWT_ECONFIG, nothing is connected here; one
 * connection per server per thread, made on first use, reconnected after
 * retry_timeout_s when it failed.
 */
ajwt_status_t ajwt_store_redis_create(ajwt_store_t **out,
                                      const ajwt_redis_conf_t *conf,
                                      apr_pool_t *p, ajwt_err_t *err);

/* 1 when this build has Redis TLS (hiredis_ssl), else 0. */
int ajwt_store_redis_has_tls(void);

/*
 * How many restores this process made since st was made (a fork keeps
 * the parent's count): a server found empty (no "ajwt:seed": restarted
 * without persistence, flushed, evicted) seeded and the records of replay
 * written back, or written back because its seed was not the one this
 * process restored into. A process's first look at a server that holds a
 * seed replays too, but is not counted (as ajwt_store_mc_restores()).
 * The glue logs when this grows; 0 for a store that is not Redis.
 */
apr_uint64_t ajwt_store_redis_restores(const ajwt_store_t *st);

/*
 * The last counted restore's text into buf (size bytes, "" when none):
 * server, cause ("found empty (no seed)", "seed changed (restarted or
 * flushed)", "found with a seed not ours"), records written back and
 * kept, the seed. Safe for the error log (no key bytes, no password).
 */
void ajwt_store_redis_last_restore(const ajwt_store_t *st, char *buf,
                                   apr_size_t size);

#endif
