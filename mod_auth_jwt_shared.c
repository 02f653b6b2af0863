/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_shared.c: what the processes of the server share. The
 * revocation store (an shm segment and its lock, or the memcached or
 * Redis client), its journal (AuthJWTStateDir) and the shared regions of
 * the key URLs are made in post_config, before the children are forked,
 * and attached again by each child in child_init; the other glue files
 * reach them only through the auth_jwt_shared_*() functions.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"

#include "util_mutex.h"

#include "apr_md5.h"
#include "apr_lib.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include <errno.h>
#include <unistd.h>

#include "unixd.h"

#include "ajwt.h"
#include "ajwt_fetch.h"
#include "ajwt_journal.h"
#include "ajwt_jwks.h"
#include "ajwt_metrics.h"
#include "ajwt_store.h"

#include "mod_auth_jwt.h"

#define SHM_MUTEX "auth-jwt-shm"
#define JOURNAL_MUTEX "auth-jwt-journal"

/*
 * The store of this generation, made in post_config (before the children
 * are forked, so every process and thread shares it) and re-attached in
 * child_init. NULL when no AuthJWTRevocationStore is configured.
 */
static ajwt_store_t *store;
static apr_global_mutex_t *shm_lock;
static void *shm_base;
static apr_size_t shm_size;
static int store_is_shm;
static apr_uint64_t evictions_seen;     /* this process's last look */
/*
 * A store is configured (store_wanted) but this process has none: its
 * attach failed in child_init. Every door then answers as for a store
 * that cannot be reached (AuthJWTRevocationFailure), never "not revoked".
 */
static int store_wanted;
static const char *store_missing_why;
/* The durable copy of the store (AuthJWTStateDir), NULL when off. */
static ajwt_journal_t *journal;
static apr_global_mutex_t *journal_lock;
/* The memcached or Redis store under the journal, for its restore counts
 * (auth_jwt_shared_note_events); NULL for shm or none. */
static ajwt_store_t *store_backend;
static int store_backend_kind;
static apr_uint64_t restores_seen, backend_evictions_seen;

/* The counters of every process (ajwt_metrics.h), NULL when off. */
static ajwt_metrics_t *metrics;

/* The key URLs of the configuration, as this process sees them. */
static ajwt_jwks_t **jwks_live;             /* this process, by index */
static int jwks_nlive;

/* ------------------------------------------------------------------ */
/* What the other glue files see                                       */

ajwt_store_t *auth_jwt_shared_store(void)
{
    return store;
}

ajwt_metrics_t *auth_jwt_shared_metrics(void)
{
    return metrics;
}

int auth_jwt_shared_store_wanted(void)
{
    return store_wanted;
}

const char *auth_jwt_shared_store_missing(void)
{
    return store_missing_why ? store_missing_why : "attach failed";
}

const ajwt_metrics_jwks_t *auth_jwt_shared_jwks_rows(int *n, apr_pool_t *p)
{
    const apr_array_header_t *srcs = auth_jwt_config_jwks_sources();
    ajwt_metrics_jwks_t *rows;
    int i;
    *n = 0;
    if (!srcs || !jwks_live || srcs->nelts != jwks_nlive) {
        return NULL;
    }
    rows = apr_pcalloc(p, jwks_nlive * sizeof(*rows));
    for (i = 0; i < jwks_nlive; i++) {
        rows[i].url = APR_ARRAY_IDX(srcs, i, jwks_source *)->conf.url;
        if (jwks_live[i]) {
            rows[i].last_good = ajwt_jwks_last_good(jwks_live[i]);
            rows[i].nkeys = ajwt_jwks_nkeys(jwks_live[i]);
        }
    }
    *n = jwks_nlive;
    return rows;
}

ajwt_jwks_t *auth_jwt_shared_jwks(const auth_jwt_dir_conf *c)
{
    if (!c->jwks || !jwks_live || c->jwks->index >= jwks_nlive) {
        return NULL;
    }
    return jwks_live[c->jwks->index];
}

/*
 * A memcached or Redis server that came back empty was refilled from the
 * journal (or memcached evicted entries): say so once per new event seen
 * by this process. A few atomic loads per request; races only repeat a
 * line.
 */
void auth_jwt_shared_note_events(request_rec *r)
{
    apr_uint64_t n, e = 0;
    char what[256];

    if (!store_backend) {
        return;
    }
    if (store_backend_kind == STORE_MC) {
        n = ajwt_store_mc_restores(store_backend);
        e = ajwt_store_mc_evictions(store_backend);
    }
    else {
        n = ajwt_store_redis_restores(store_backend);
    }
    if (n == restores_seen && e == backend_evictions_seen) {
        return;
    }
    what[0] = '\0';
    if (store_backend_kind == STORE_MC) {
        ajwt_store_mc_last_event(store_backend, what, sizeof(what));
    }
    else {
        ajwt_store_redis_last_restore(store_backend, what, sizeof(what));
    }
    if (e != backend_evictions_seen) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70070)
                      "revocation store memcached evicted %" APR_UINT64_T_FMT
                      " entries (memory full; run it with -M or more -m): "
                      "its servers are refilled from the journal [id %s]",
                      e - backend_evictions_seen, auth_jwt_log_request_id(r));
        backend_evictions_seen = e;
    }
    if (n != restores_seen) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70071)
                      "revocation store: %s%s [id %s]", what[0] ? what
                      : "a server was refilled", journal ? ""
                      : " (no journal: AuthJWTStateDir none, nothing to "
                        "restore)", auth_jwt_log_request_id(r));
        restores_seen = n;
    }
}

/*
 * A full shm store keeps serving and keeps the newest entries, but the
 * oldest revocations it pushed out no longer hold: say so, once per new
 * batch of evictions seen by this process.
 */
void auth_jwt_shared_note_full(request_rec *r)
{
    apr_uint64_t n;
    if (!store || !store_is_shm) {
        return;
    }
    n = ajwt_store_shm_evictions(store);
    if (n > evictions_seen) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70041)
                      "revocation store full: %" APR_UINT64_T_FMT " live "
                      "entries pushed out so far (%u slots); older "
                      "revocations no longer hold: raise "
                      "AuthJWTRevocationStore shm:BYTES [id %s]", n,
                      ajwt_store_shm_slots(store), auth_jwt_log_request_id(r));
        evictions_seen = n;
    }
}

void auth_jwt_shared_count_fetch(ajwt_jwks_result_t what)
{
    ajwt_metrics_add(metrics, what == AJWT_JWKS_UPDATED ? AJWT_M_JWKS_UPDATED
                     : what == AJWT_JWKS_SAME ? AJWT_M_JWKS_SAME
                     : what == AJWT_JWKS_FAILED ? AJWT_M_JWKS_FAILED
                     : AJWT_M_NCOUNTERS, 1);     /* IDLE: no fetch */
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */

/* pre_config: curl's global state and the two global mutexes. */
int auth_jwt_shared_pre_config(apr_pool_t *pconf)
{
    ajwt_err_t err = { 0 };
    /* curl_global_init is not thread safe: here, the parent is single */
    if (ajwt_fetch_global_init(&err) != AJWT_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, NULL, APLOGNO(70035)
                     "%s", err.text);
        return !OK;
    }
    /* the shm store's writers' lock and the journal's; the Mutex
     * directive can tune them */
    return (ap_mutex_register(pconf, SHM_MUTEX, NULL, APR_LOCK_DEFAULT, 0)
            == APR_SUCCESS
            && ap_mutex_register(pconf, JOURNAL_MUTEX, NULL,
                                 APR_LOCK_DEFAULT, 0) == APR_SUCCESS)
           ? OK : !OK;
}

/* ------------------------------------------------------------------ */
/* The durable copy of the store (AuthJWTStateDir)                     */

/*
 * The journal's lock lives in the process pool, as the shm segment's: the
 * children of the old and the new generation append to one file side by
 * side after a graceful restart.
 */
static apr_status_t journal_mutex(server_rec *s, apr_global_mutex_t **out)
{
    apr_pool_t *pp = s->process->pool;
    static const char key[] = "auth_jwt_journal_mutex";
    apr_global_mutex_t *m = NULL;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&m, key, pp);
    if (!m) {
        if ((rv = ap_global_mutex_create(&m, NULL, JOURNAL_MUTEX, NULL, s,
                                         pp, 0)) != APR_SUCCESS) {
            return rv;
        }
        apr_pool_userdata_set(m, key, apr_pool_cleanup_null, pp);
    }
    *out = m;
    return APR_SUCCESS;
}

/* A name for this server instance's journal: its host and ServerRoot, so
 * that servers sharing a state directory keep one file each. */
static const char *journal_name(apr_pool_t *p)
{
    char host[256];
    const char *root = ap_server_root ? ap_server_root : "-";
    unsigned char md[APR_MD5_DIGESTSIZE];
    char *s;

    if (gethostname(host, sizeof(host) - 1) != 0) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    host[sizeof(host) - 1] = '\0';
    for (s = host; *s; s++) {
        if (!apr_isalnum(*s) && *s != '-' && *s != '.') {
            *s = '_';
        }
    }
    apr_md5(md, root, strlen(root));
    return apr_psprintf(p, "revocations-%s-%02x%02x%02x%02x", host, md[0],
                        md[1], md[2], md[3]);
}

/* Put a journal record back into a store that lacks it (shm after a full
 * stop): never over what is there, but a later subject revocation wins. */
typedef struct {
    ajwt_store_t *st;
    apr_int64_t now;
    apr_uint32_t restored;
    ajwt_err_t *err;
} restore_ctx;

static int restore_one(void *data, const char *key, apr_int64_t value,
                       apr_int64_t expires)
{
    restore_ctx *rc = data;
    apr_int64_t have = 0, exp = 0;
    int found = 0;

    if (rc->st->ops->get(rc->st, key, &have, &found, rc->now, NULL)
        == AJWT_OK && found) {
        value = ajwt_store_merge(key, have, expires, value, expires, &exp);
        if (value == have) {
            return 0;
        }
    }
    if (rc->st->ops->put(rc->st, key, value, expires, rc->now, rc->err)) {
        return 1;
    }
    rc->restored++;
    return 0;
}

/*
 * Open the journal and, for the shm store, put back what a full stop or
 * a reboot emptied. Damaged or foreign files are set aside, never
 * trusted, and said loudly; the server starts with what could be read.
 */
static int journal_post_config(apr_pool_t *pconf, server_rec *s,
                               const auth_jwt_srv_conf *sc, int kind)
{
    ajwt_journal_info_t info;
    ajwt_err_t err = { 0 };
    const char *dir;
    apr_finfo_t fi;
    apr_status_t rv;
    int created;

    journal = NULL;
    journal_lock = NULL;
    if (kind == STORE_NONE || sc->state_off) {
        return OK;
    }
    dir = sc->state_dir ? sc->state_dir
                        : ap_runtime_dir_relative(pconf, "auth_jwt");
    created = apr_stat(&fi, dir, APR_FINFO_TYPE, pconf) != APR_SUCCESS;
    if ((rv = apr_dir_make_recursive(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                     | APR_FPROT_UEXECUTE, pconf))
        != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(70055)
                     "AuthJWTStateDir %s: cannot create it", dir);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /*
     * Whoever can write the directory can drop revocations at the next
     * start: it must be the server's own. One that existed before is
     * never given away (AuthJWTStateDir /etc must not chown /etc); it must
     * already belong to the server's user and be closed to others.
     */
    if (geteuid() == 0 && !created) {
        if ((rv = apr_stat(&fi, dir, APR_FINFO_TYPE | APR_FINFO_OWNER
                           | APR_FINFO_PROT, pconf)) != APR_SUCCESS
            || fi.filetype != APR_DIR || fi.user != ap_unixd_config.user_id
            || (fi.protection & (APR_FPROT_GWRITE | APR_FPROT_WWRITE))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(70072)
                         "AuthJWTStateDir %s: an existing directory must be a "
                         "directory of the server's user (User), writable by "
                         "it alone: give it one of its own (it is made so "
                         "when it does not exist)", dir);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if ((rv = journal_mutex(s, &journal_lock)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(70056)
                     "AuthJWTStateDir %s: cannot create the journal's lock",
                     dir);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    memset(&info, 0, sizeof(info));
    if (ajwt_journal_open_at(&journal, dir, journal_name(pconf), journal_lock,
                             apr_time_sec(apr_time_now()), &info, pconf,
                             &err) != AJWT_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, err.rv, s, APLOGNO(70057)
                     "AuthJWTStateDir %s: %s", dir, err.text);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* the children append as the server's user: theirs, dir (if made
     * here) and file */
    if (geteuid() == 0) {
        if ((created && chown(dir, ap_unixd_config.user_id,
                              ap_unixd_config.group_id))
            || chown(ajwt_journal_path(journal), ap_unixd_config.user_id,
                     ap_unixd_config.group_id)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, APLOGNO(70058)
                         "AuthJWTStateDir %s: cannot give it to the server's "
                         "user", dir);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (info.foreign || info.damaged) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, APLOGNO(70059)
                     "revocation journal %s %s: moved to %s; %s",
                     ajwt_journal_path(journal), info.foreign
                     ? "is not a journal of this module (or of another "
                       "version)" : "is damaged",
                     info.aside_path ? info.aside_path : "-",
                     info.foreign ? "starting without its records"
                     : apr_psprintf(pconf, "the %u good records before the "
                                    "damage are kept", info.records));
    }
    else if (info.truncated) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, APLOGNO(70060)
                     "revocation journal %s: an incomplete last record "
                     "(never acknowledged) was cut off; %u records kept",
                     ajwt_journal_path(journal), info.records);
    }
    return OK;
}

/* For the shm store: what the journal holds and the table lacks. */
static int journal_restore_shm(apr_pool_t *pconf, server_rec *s,
                               ajwt_store_t *inner)
{
    restore_ctx rc;
    ajwt_err_t err = { 0 };

    rc.st = inner;
    rc.now = apr_time_sec(apr_time_now());
    rc.restored = 0;
    rc.err = &err;
    if (ajwt_journal_replay(journal, rc.now, restore_one, &rc, &err)
        != AJWT_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, err.rv, s, APLOGNO(70061)
                     "revocation journal %s: cannot replay it: %s",
                     ajwt_journal_path(journal), err.text);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rc.restored) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, APLOGNO(70062)
                     "revocation store shm: %u entries restored from %s",
                     rc.restored, ajwt_journal_path(journal));
    }
    return OK;
}

/*
 * The shm segment and its writers' lock live in the process pool, not
 * pconf: a graceful restart finds them again, so revoked tokens stay
 * revoked, and the children of the old and the new generation, which run
 * side by side for a while, write under the same lock. A new size means a
 * new segment (the old one is left to the old generation's children).
 */
static apr_status_t shm_segment(server_rec *s, apr_size_t size)
{
    apr_pool_t *pp = s->process->pool;
    const char *key = apr_psprintf(pp, "auth_jwt_shm_%" APR_SIZE_T_FMT, size);
    struct { apr_shm_t *shm; apr_global_mutex_t *lock; } *seg = NULL;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&seg, key, pp);
    if (!seg) {
        seg = apr_pcalloc(pp, sizeof(*seg));
        if ((rv = apr_shm_create(&seg->shm, size, NULL, pp)) != APR_SUCCESS
            || (rv = ap_global_mutex_create(&seg->lock, NULL, SHM_MUTEX,
                                            NULL, s, pp, 0)) != APR_SUCCESS) {
            return rv;
        }
        apr_pool_userdata_set(seg, key, apr_pool_cleanup_null, pp);
    }
    shm_base = apr_shm_baseaddr_get(seg->shm);
    shm_lock = seg->lock;
    shm_size = size;
    return APR_SUCCESS;
}

/*
 * The counters: one segment of the process pool, as shm_segment, so a
 * graceful restart finds the counts again; one of another layout
 * (another module version) is another name, and the old generation's
 * children keep theirs. The children inherit the mapping: nothing to
 * attach in child_init. Without it the server runs, uncounted.
 */
static void metrics_post_config(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    const char *key = apr_psprintf(pp, "auth_jwt_metrics_%d_%d",
                                   AJWT_METRICS_VERSION, AJWT_M_NCOUNTERS);
    apr_shm_t *shm = NULL;
    ajwt_err_t err = { 0 };
    apr_status_t rv;

    metrics = NULL;
    apr_pool_userdata_get((void **)&shm, key, pp);
    if (!shm) {
        if ((rv = apr_shm_create(&shm, ajwt_metrics_size(), NULL, pp))
            != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, APLOGNO(70080)
                         "metrics: cannot create %" APR_SIZE_T_FMT " bytes "
                         "of shared memory: nothing is counted",
                         ajwt_metrics_size());
            return;
        }
        apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, pp);
    }
    if (ajwt_metrics_attach(&metrics, apr_shm_baseaddr_get(shm),
                            apr_shm_size_get(shm), NULL, &err) != AJWT_OK) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, APLOGNO(70081)
                     "metrics: %s: nothing is counted", err.text);
    }
}

/*
 * The JWKS regions, one segment of the process pool per URL (as
 * shm_segment: a graceful restart finds the last good keys there). Then
 * the first fetch, in the parent, so that the children start with keys;
 * a URL that already has keys from before a graceful restart is left to
 * its refresh period.
 *
 * A segment is found again by its URL, kind and size, not by its place in
 * the configuration: a graceful restart that adds, removes or reorders
 * sources keeps the keys of every URL it still names (also while the
 * provider is away), and the old generation's children, still serving,
 * never see a region laid out anew for another URL.
 */
static int jwks_post_config(apr_pool_t *pconf, server_rec *s)
{
    const auth_jwt_srv_conf *sc = ap_get_module_config(s->module_config,
                                                       &auth_jwt_module);
    const apr_array_header_t *jwks_sources = auth_jwt_config_jwks_sources();
    apr_pool_t *pp = s->process->pool;
    int i, failed = 0;

    jwks_live = NULL;
    jwks_nlive = 0;
    if (!jwks_sources || !jwks_sources->nelts) {
        return OK;
    }
    jwks_live = apr_pcalloc(pconf, jwks_sources->nelts * sizeof(*jwks_live));
    for (i = 0; i < jwks_sources->nelts; i++) {
        jwks_source *js = APR_ARRAY_IDX(jwks_sources, i, jwks_source *);
        apr_size_t size = ajwt_jwks_region_size(&js->conf);
        ajwt_jwks_result_t what;
        ajwt_err_t err = { 0 };
        ajwt_jwks_t *src;
        apr_shm_t *shm = NULL;
        apr_status_t rv;
        const char *key;
        int k;

        /*
         * No AuthJWTJwksCA in the URL's own section: the one given at
         * server or virtual host level (merged with the main server's by
         * now), as an administrator expects of a server-wide setting. One
         * URL is one fetch for every server naming it, so their CAs must
         * agree.
         */
        for (k = 0; !js->conf.fetch.ca_file && k < js->servers->nelts; k++) {
            server_rec *vs = APR_ARRAY_IDX(js->servers, k, server_rec *);
            const auth_jwt_dir_conf *d = ap_get_module_config(
                vs->lookup_defaults, &auth_jwt_module);
            const char *ca = d ? d->jwks_ca : NULL;
            if (k == 0) {
                js->ca_default = ca;
            }
            else if ((ca || js->ca_default)
                     && (!ca || !js->ca_default
                         || strcmp(ca, js->ca_default))) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, vs, APLOGNO(70054)
                             "%s %s: the servers naming it have different "
                             "AuthJWTJwksCA (%s, %s): give the CA beside the "
                             "URL, or the same one to each", js->directive,
                             js->conf.url, js->ca_default ? js->ca_default
                             : "the system's", ca ? ca : "the system's");
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        if (!js->conf.fetch.ca_file) {
            js->conf.fetch.ca_file = js->ca_default;
        }
        /* keys fetched under another CA are not these: the CA is part of
         * the segment's name, so changing it fetches again */
        key = apr_psprintf(pconf, "auth_jwt_jwks_shm %d %" APR_SIZE_T_FMT
                           " %s %s", js->conf.discovery, size, js->conf.url,
                           js->conf.fetch.ca_file ? js->conf.fetch.ca_file
                                                  : "-");

        apr_pool_userdata_get((void **)&shm, key, pp);
        if (!shm) {
            if ((rv = apr_shm_create(&shm, size, NULL, pp)) != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(70036)
                             "%s %s: cannot create %" APR_SIZE_T_FMT
                             " bytes of shared memory", js->directive,
                             js->conf.url, size);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            /* the key lives as long as the segment: in pp */
            apr_pool_userdata_set(shm, apr_pstrdup(pp, key),
                                  apr_pool_cleanup_null, pp);
        }
        js->region = apr_shm_baseaddr_get(shm);
        if (ajwt_jwks_attach(&src, &js->conf, js->region, size, pconf,
                             &err) != AJWT_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, err.rv, s, APLOGNO(70037)
                         "%s %s: %s", js->directive, js->conf.url, err.text);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        jwks_live[i] = src;
        if (ajwt_jwks_generation(src)) {
            continue;
        }
        ajwt_jwks_refresh(src, apr_time_now(), 0, 1, &what, pconf, &err);
        auth_jwt_shared_count_fetch(what);
        if (what == AJWT_JWKS_FAILED) {
            ap_log_error(APLOG_MARK, sc->jwks_startup == JWKS_FAIL
                         ? APLOG_EMERG : APLOG_WARNING, 0, s, APLOGNO(70038)
                         "%s %s: no keys at start-up: %s; %s", js->directive,
                         js->conf.url, err.text,
                         sc->jwks_startup == JWKS_FAIL
                         ? "not starting (AuthJWTJwksStartup fail)"
                         : "tokens get 503 until keys arrive");
            failed = 1;
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, APLOGNO(70039)
                         "%s %s: %d keys at start-up", js->directive,
                         js->conf.url, ajwt_jwks_nkeys(src));
        }
    }
    jwks_nlive = jwks_sources->nelts;
    return (failed && sc->jwks_startup == JWKS_FAIL)
           ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

/* Each child parses the shared keys itself, from its own pool (pconf's
 * allocator has no lock for the threads of a child). */
static void jwks_child_init(apr_pool_t *pchild, server_rec *s)
{
    const apr_array_header_t *jwks_sources = auth_jwt_config_jwks_sources();
    int i;
    for (i = 0; i < jwks_nlive; i++) {
        jwks_source *js = APR_ARRAY_IDX(jwks_sources, i, jwks_source *);
        ajwt_err_t err = { 0 };
        ajwt_jwks_t *src;
        apr_size_t size = ajwt_jwks_region_size(&js->conf);
        if (ajwt_jwks_attach(&src, &js->conf, js->region, size, pchild,
                             &err)
            != AJWT_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, err.rv, s, APLOGNO(70040)
                         "%s %s: %s", js->directive, js->conf.url, err.text);
            continue;           /* keeps the parent's view: still works */
        }
        jwks_live[i] = src;
    }
}

/* ------------------------------------------------------------------ */
/* post_config and child_init                                          */

/*
 * The store of this generation (AuthJWTRevocationStore; shm when only
 * issuing asks for one), its journal, and the key URLs' regions.
 */
int auth_jwt_shared_post_config(apr_pool_t *pconf, server_rec *s)
{
    const auth_jwt_srv_conf *sc = ap_get_module_config(s->module_config,
                                                       &auth_jwt_module);
    ajwt_err_t err = { 0 };
    apr_status_t rv;
    int kind;

    store = NULL;
    shm_lock = NULL;
    store_missing_why = NULL;
    store_backend = NULL;
    store_backend_kind = STORE_NONE;
    /* issuing keeps refresh families and lockouts: a store it must have */
    kind = (sc->store_kind == STORE_NONE && auth_jwt_config_issuing())
           ? STORE_SHM : sc->store_kind;
    store_is_shm = kind == STORE_SHM;
    store_wanted = kind != STORE_NONE;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;      /* the dry run: nothing shared is made twice */
    }
    metrics_post_config(s);
    if (journal_post_config(pconf, s, sc, kind) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (kind == STORE_SHM) {
        if ((rv = shm_segment(s, sc->shm_size ? sc->shm_size
                                              : AJWT_SHM_DEFAULT_SIZE))
            != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(70023)
                         "AuthJWTRevocationStore shm: cannot create the "
                         "shared memory or its lock");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (ajwt_store_shm_init(&store, shm_base, shm_size, shm_lock, pconf,
                                &err) != AJWT_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, APLOGNO(70024)
                         "AuthJWTRevocationStore shm: %s", err.text);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (journal && journal_restore_shm(pconf, s, store) != OK) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    else if (kind == STORE_MC) {
        ajwt_mc_conf_t mc = sc->mc;
        mc.user = sc->store_user;
        mc.password = sc->store_password;
        mc.replay = journal ? ajwt_journal_replay : NULL;
        mc.replay_src = journal;
        if (ajwt_store_mc_create(&store, &mc, pconf, &err) != AJWT_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, APLOGNO(70025)
                         "AuthJWTRevocationStore memcached: %s", err.text);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    else if (kind == STORE_REDIS) {
        ajwt_redis_conf_t rc = sc->redis;
        rc.user = sc->store_user;
        rc.password = sc->store_password;
        rc.replay = journal ? ajwt_journal_replay : NULL;
        rc.replay_src = journal;
        if (ajwt_store_redis_create(&store, &rc, pconf, &err) != AJWT_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, APLOGNO(70064)
                         "AuthJWTRevocationStore redis: %s", err.text);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (kind == STORE_MC || kind == STORE_REDIS) {
        store_backend = store;
        store_backend_kind = kind;
        restores_seen = backend_evictions_seen = 0;
    }
    if (store && journal && ajwt_journal_store(&store, store, journal, pconf,
                                               &err) != AJWT_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, APLOGNO(70065)
                     "revocation journal: %s", err.text);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return jwks_post_config(pconf, s);
}

/* This child's view of the key URLs, the store and the journal. */
void auth_jwt_shared_child_init(apr_pool_t *pchild, server_rec *s)
{
    jwks_child_init(pchild, s);
    if (shm_lock) {
        ajwt_err_t err = { 0 };
        apr_status_t rv = apr_global_mutex_child_init(&shm_lock,
                              apr_global_mutex_lockfile(shm_lock), pchild);
        if (rv != APR_SUCCESS
            || ajwt_store_shm_init(&store, shm_base, shm_size, shm_lock,
                                   pchild, &err) != AJWT_OK) {
            store_missing_why = apr_psprintf(pchild, "shm attach: %s",
                                             err.text[0] ? err.text
                                             : "mutex");
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(70026)
                         "revocation store: cannot attach in this child: %s; "
                         "tokens will be refused with 503 (or let through "
                         "where AuthJWTRevocationFailure allow)", err.text);
            store = NULL;
            shm_lock = NULL;
        }
        else if (journal && ajwt_journal_store(&store, store, journal,
                                               pchild, &err) != AJWT_OK) {
            store_missing_why = apr_pstrdup(pchild, err.text);
            store = NULL;
        }
    }
    if (journal && store) {
        ajwt_err_t err = { 0 };
        apr_status_t rv = apr_global_mutex_child_init(&journal_lock,
                              apr_global_mutex_lockfile(journal_lock),
                              pchild);
        if (rv != APR_SUCCESS
            || ajwt_journal_child_init(journal, journal_lock, pchild, &err)
               != AJWT_OK) {
            store_missing_why = apr_psprintf(pchild, "journal %s: %s",
                                             ajwt_journal_path(journal),
                                             err.text[0] ? err.text
                                             : "mutex");
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(70066)
                         "revocation journal %s: cannot open it in this "
                         "child: %s; tokens will be refused with 503 (or let "
                         "through where AuthJWTRevocationFailure allow)",
                         ajwt_journal_path(journal), err.text);
            store = NULL;
        }
    }
}
