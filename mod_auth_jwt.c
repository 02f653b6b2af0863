/*
 * mod_auth_jwt.c: the httpd glue of mod_auth_jwt, and nothing else.
 *
 * Directives are parsed here into the core's structures (keys are loaded
 * once, at configuration time); the hooks take plain strings from the
 * request, make one core call (ajwt_verify), and map its status to an
 * HTTP answer and a log line. Everything that understands tokens lives
 * in src/, which never sees a request_rec.
 *
 *   AuthType jwt            hook_check_authn (check_user_id)
 *   AuthBasicProvider jwt   authn_jwt_check_password
 *   Require jwt-role ...    authz providers, parsed at configuration time
 *   AuthJWTClaimHeader      hook_fixups: strip the client's, set ours
 *   WWW-Authenticate        hook_note_auth_failure (401) and
 *                           hook_insert_error_filter (403)
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "util_mutex.h"

#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_hash.h"
#include "apr_md5.h"
#include "apr_lib.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "unixd.h"

#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_cache.h"
#include "ajwt_claims.h"
#include "ajwt_fetch.h"
#include "ajwt_issue.h"
#include "ajwt_journal.h"
#include "ajwt_json.h"
#include "ajwt_jwks.h"
#include "ajwt_key.h"
#include "ajwt_lockout.h"
#include "ajwt_revoke.h"
#include "ajwt_roles.h"
#include "ajwt_store.h"
#include "ajwt_verify.h"
#include "ajwt_web.h"

module AP_MODULE_DECLARE_DATA auth_jwt_module;


#define UNSET (-1)
#define AUTH_TYPE_JWT "jwt"
#define NOTE_DENIED "auth_jwt_denied"   /* our Require said no */
#define MAX_LEEWAY 86400
#define MIN_TOKEN_SIZE 256
#define MAX_TOKEN_SIZE (1024 * 1024)
#define SHM_MUTEX "auth-jwt-shm"
#define RETRY_AFTER "5"                 /* seconds, on 503 */
#define STORE_WARN_EVERY 10             /* seconds between "allow" warnings */
#define HANDLER_REVOKE "jwt-revoke"
#define HANDLER_LOGIN "jwt-login"
#define HANDLER_REFRESH "jwt-refresh"
#define HANDLER_LOGOUT "jwt-logout"
#define HANDLER_JWKS "jwt-jwks"
#define DEFAULT_ACCESS_TTL 900
#define DEFAULT_REFRESH_TTL 1209600
#define DEFAULT_COOKIE "jwt"
#define DEFAULT_REFRESH_COOKIE "jwt_refresh"
#define DEFAULT_REFRESH_PATH "/auth/refresh"
#define LOGIN_MAX_BODY 4096
/*
 * A bcrypt hash of a random password at htpasswd -B's default cost (5):
 * checked for an unknown user until this process has timed a real check
 * (see check_cost_us).
 */
#define DUMMY_BCRYPT \
    "$2y$05$QGyHY.7bvbBlvhxMQEMyLOL5aAhylQTfZdPdb1S8YQTt35vMlIBoK"

enum { FAIL_DENY = 0, FAIL_ALLOW = 1 };
enum { STORE_NONE = 0, STORE_SHM, STORE_MC, STORE_REDIS };
#define DEFAULT_MAX_LIFETIME (30 * 86400)   /* AuthJWTMaxTokenLifetime */
#define JOURNAL_MUTEX "auth-jwt-journal"

typedef enum { FROM_HEADER, FROM_COOKIE, FROM_QUERY } token_from_t;

typedef struct {
    token_from_t from;
    const char *name;           /* cookie or query parameter name */
} token_source;

typedef struct {
    const char *path;           /* claim path */
    const char *header;         /* request header set for the backend */
} claim_header;

typedef struct {
    ajwt_keyset_t *keys;        /* AuthJWTKey/Secret; a child's set replaces */
    unsigned algs;              /* AuthJWTAlgorithms mask; 0 = unset */
    apr_array_header_t *issuers;    /* of const char * */
    apr_array_header_t *audiences;  /* of const char * */
    apr_array_header_t *required;   /* of const char * */
    apr_array_header_t *sources;    /* of token_source */
    apr_array_header_t *headers;    /* of claim_header */
    const char *user_claim;
    const char *role_claim;
    int leeway;
    int max_age;
    int max_size;
    int claims_env;
    int revocation;             /* AuthJWTRevocation; UNSET = On */
    int revocation_failure;     /* FAIL_DENY (default) or FAIL_ALLOW */
    struct jwks_source *jwks;   /* AuthJWTJwksURL/DiscoveryURL, or NULL */
    const char *jwks_ca;        /* AuthJWTJwksCA of this section */
    ajwt_key_t *sign_key;       /* AuthJWTSignKey: signs issued tokens */
    int access_ttl;             /* AuthJWTAccessTTL; UNSET = 900 */
    int refresh_ttl;            /* AuthJWTRefreshTTL; UNSET = 1209600 */
    apr_array_header_t *login_providers;    /* of const char * */
    ajwt_roles_t *roles;        /* AuthJWTRoleFile */
    const char *cookie;         /* AuthJWTCookie */
    const char *refresh_cookie; /* AuthJWTRefreshCookie NAME */
    const char *refresh_path;   /* AuthJWTRefreshCookie ... PATH */
    const char *login_url;      /* AuthJWTLoginURL */
    int lockout_attempts;       /* AuthJWTLockout; UNSET = none */
    int lockout_window;
} auth_jwt_dir_conf;

/* Server-wide: the revocation store (main server only). */
typedef struct {
    int store_kind;             /* STORE_NONE, STORE_SHM, STORE_MC... */
    apr_size_t shm_size;
    ajwt_mc_conf_t mc;
    ajwt_redis_conf_t redis;
    const char *store_user;     /* AuthJWTRevocationStoreAuth */
    const char *store_password;
    const char *state_dir;      /* AuthJWTStateDir; NULL: the default */
    int state_off;              /* AuthJWTStateDir none */
    int verify_cache;           /* AuthJWTVerifyCache entries; UNSET */
    int jwks_startup;           /* AuthJWTJwksStartup; UNSET = continue */
} auth_jwt_srv_conf;

/*
 * The store of this generation, made in post_config (before the children
 * are forked, so every process and thread shares it) and re-attached in
 * child_init. NULL when no AuthJWTRevocationStore is configured.
 */
static ajwt_store_t *store;
static apr_global_mutex_t *shm_lock;
static void *shm_base;
static apr_size_t shm_size;
static apr_uint32_t store_warned_at;    /* seconds, for rate limiting */
static int store_is_shm;
static int issuing_used;                /* an AuthJWTSignKey was seen */
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
 * (note_store_events); NULL for shm or none. */
static ajwt_store_t *store_backend;
static int store_backend_kind;
static apr_uint64_t restores_seen, backend_evictions_seen;

/*
 * How long revocations must live (ajwt_store.h): the largest leeway of
 * any section of the configuration (.htaccess files may not go above it)
 * and AuthJWTMaxTokenLifetime. Set while the configuration is read, in
 * the parent, before any child exists; reset by pre_config.
 */
static int leeway_max = AJWT_DEFAULT_LEEWAY;
static apr_int64_t lifetime_max = DEFAULT_MAX_LIFETIME;
static int ttl_max;                     /* longest AuthJWT*TTL seen */
static const char *ttl_max_where;

/* Guards the unknown-user dummy hash (file_dummy_hash), per process. */
static apr_thread_mutex_t *dummy_lock;

/* This process's verified-token cache (child_init), NULL when off. */
static ajwt_cache_t *verify_cache;

/* What a successful verification leaves in r->request_config. */
typedef struct {
    ajwt_claims_t *claims;
    const auth_jwt_dir_conf *conf;  /* the configuration that verified */
} auth_jwt_rec;

/* Words of a Require line, split once at configuration time. */
typedef struct {
    const char *path;           /* jwt-claim only */
    apr_array_header_t *words;  /* of const char * */
} require_words;

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

static void *create_dir_conf(apr_pool_t *p, char *dir)
{
    auth_jwt_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    c->leeway = UNSET;
    c->max_age = UNSET;
    c->max_size = UNSET;
    c->claims_env = UNSET;
    c->revocation = UNSET;
    c->revocation_failure = UNSET;
    c->access_ttl = UNSET;
    c->refresh_ttl = UNSET;
    c->lockout_attempts = UNSET;
    c->lockout_window = UNSET;
    return c;
}

#define MERGE_PTR(f) c->f = add->f ? add->f : base->f
#define MERGE_INT(f) c->f = (add->f != UNSET) ? add->f : base->f

static void *merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const auth_jwt_dir_conf *base = basev, *add = addv;
    auth_jwt_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    /* runs per request for nested sections: pointer copies only */
    MERGE_PTR(keys);
    c->algs = add->algs ? add->algs : base->algs;
    MERGE_PTR(issuers);
    MERGE_PTR(audiences);
    MERGE_PTR(required);
    MERGE_PTR(sources);
    MERGE_PTR(headers);
    MERGE_PTR(user_claim);
    MERGE_PTR(role_claim);
    MERGE_INT(leeway);
    MERGE_INT(max_age);
    MERGE_INT(max_size);
    MERGE_INT(claims_env);
    MERGE_INT(revocation);
    MERGE_INT(revocation_failure);
    MERGE_PTR(jwks);
    MERGE_PTR(jwks_ca);
    MERGE_PTR(sign_key);
    MERGE_INT(access_ttl);
    MERGE_INT(refresh_ttl);
    MERGE_PTR(login_providers);
    MERGE_PTR(roles);
    MERGE_PTR(cookie);
    MERGE_PTR(refresh_cookie);
    MERGE_PTR(refresh_path);
    MERGE_PTR(login_url);
    MERGE_INT(lockout_attempts);
    MERGE_INT(lockout_window);
    return c;
}

#define IN_HTACCESS(cmd) ((cmd)->pool == (cmd)->temp_pool)

/*
 * httpd parses .htaccess files on every request, into the request pool.
 * Keys named there are loaded once per process and kept here, by source,
 * kid and mtime, so a request never re-reads or re-parses a key file.
 * The lock is taken only while an .htaccess file is being parsed.
 */
static apr_pool_t *htkeys_pool;
static apr_hash_t *htkeys;
static apr_thread_mutex_t *htkeys_lock;

typedef ajwt_status_t (*key_loader)(ajwt_keyset_t **ks, const char *src,
                                    const char *kid, apr_pool_t *p,
                                    ajwt_err_t *err);

static ajwt_status_t load_keys(cmd_parms *cmd, auth_jwt_dir_conf *c,
                               key_loader load, const char *src,
                               const char *kid, ajwt_err_t *err)
{
    apr_finfo_t fi;
    const char *id;
    ajwt_keyset_t *set;
    ajwt_status_t st;

    if (!IN_HTACCESS(cmd) || !htkeys) {
        return load(&c->keys, src, kid, cmd->pool, err);
    }
    fi.mtime = 0;
    if (strncmp(src, "env:", 4)) {
        apr_stat(&fi, strncmp(src, "file:", 5) ? src : src + 5,
                 APR_FINFO_MTIME, cmd->temp_pool);
    }
    id = apr_psprintf(cmd->temp_pool, "%s|%s|%" APR_TIME_T_FMT,
                      src, kid ? kid : "", fi.mtime);
    if (htkeys_lock) {
        apr_thread_mutex_lock(htkeys_lock);
    }
    set = apr_hash_get(htkeys, id, APR_HASH_KEY_STRING);
    st = AJWT_OK;
    if (!set) {
        st = load(&set, src, kid, htkeys_pool, err);
        if (st == AJWT_OK) {
            /* a replaced file leaves its old keys here: bounded by edits */
            apr_hash_set(htkeys, apr_pstrdup(htkeys_pool, id),
                         APR_HASH_KEY_STRING, set);
        }
    }
    if (htkeys_lock) {
        apr_thread_mutex_unlock(htkeys_lock);
    }
    if (st != AJWT_OK) {
        return st;
    }
    return ajwt_keyset_add_keys(&c->keys, set, cmd->pool, err);
}

/* Every key added since index "from" must fit an allowed algorithm. */
static const char *check_keys_fit(cmd_parms *cmd, const auth_jwt_dir_conf *c,
                                  int from)
{
    int i;
    if (!c->algs || !c->keys) {
        return NULL;
    }
    for (i = from; i < c->keys->keys->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(c->keys->keys, i, ajwt_key_t *);
        if (!(k->algs & c->algs)) {
            return apr_psprintf(cmd->pool, "%s: the key %s%s%s from %s "
                                "fits none of the allowed algorithms (%s); "
                                "it could only be used with %s",
                                cmd->cmd->name, k->kid ? "'" : "",
                                k->kid ? k->kid : "(no kid)",
                                k->kid ? "'" : "", k->source,
                                ajwt_alg_mask_str(c->algs, cmd->temp_pool),
                                ajwt_alg_mask_str(k->algs, cmd->temp_pool));
        }
    }
    return NULL;
}

static const char *add_keys(cmd_parms *cmd, auth_jwt_dir_conf *c,
                            key_loader load, const char *src,
                            const char *kid)
{
    ajwt_err_t err = { 0 };
    int before = ajwt_keyset_count(c->keys);
    if (load_keys(cmd, c, load, src, kid, &err) != AJWT_OK) {
        char why[120];
        return apr_psprintf(cmd->pool, "%s: %s%s%s", cmd->cmd->name,
                            err.text, err.rv ? ": " : "",
                            err.rv ? apr_strerror(err.rv, why, sizeof(why))
                                   : "");
    }
    return check_keys_fit(cmd, c, before);
}

static ajwt_status_t load_key_file(ajwt_keyset_t **ks, const char *path,
                                   const char *kid, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    return ajwt_keyset_add_file(ks, path, kid, p, err);
}

static const char *cmd_key(cmd_parms *cmd, void *dconf, const char *path,
                           const char *kid)
{
    const char *full = ap_server_root_relative(cmd->temp_pool, path);
    if (!full) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, path);
    }
    return add_keys(cmd, dconf, load_key_file,
                    apr_pstrdup(cmd->pool, full), kid);
}

static const char *cmd_secret(cmd_parms *cmd, void *dconf, const char *src,
                              const char *kid)
{
    if (!strncmp(src, "file:", 5)) {
        const char *full = ap_server_root_relative(cmd->temp_pool, src + 5);
        if (!full) {
            return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                                cmd->cmd->name, src + 5);
        }
        src = apr_pstrcat(cmd->pool, "file:", full, NULL);
    }
    return add_keys(cmd, dconf, ajwt_keyset_add_secret, src, kid);
}

static const char *cmd_algorithms(cmd_parms *cmd, void *dconf, int argc,
                                  char *const argv[])
{
    auth_jwt_dir_conf *c = dconf;
    ajwt_err_t err = { 0 };
    unsigned mask = 0;
    int i;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: name at least one algorithm",
                            cmd->cmd->name);
    }
    for (i = 0; i < argc; i++) {
        if (ajwt_alg_mask_add(&mask, argv[i], &err) != AJWT_OK) {
            return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name,
                                err.text);
        }
    }
    c->algs = mask;
    return check_keys_fit(cmd, c, 0);
}

static const char *cmd_strings(cmd_parms *cmd, void *dconf, int argc,
                               char *const argv[])
{
    apr_array_header_t **field =
        (apr_array_header_t **)((char *)dconf + (apr_size_t)cmd->info);
    int i;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: needs at least one value",
                            cmd->cmd->name);
    }
    if (!*field) {
        *field = apr_array_make(cmd->pool, argc, sizeof(const char *));
    }
    for (i = 0; i < argc; i++) {
        if (!*argv[i]) {
            return apr_psprintf(cmd->pool, "%s: empty value",
                                cmd->cmd->name);
        }
        APR_ARRAY_PUSH(*field, const char *) = apr_pstrdup(cmd->pool,
                                                           argv[i]);
    }
    return NULL;
}

/* A whole number in [lo, hi], or an error naming the directive. */
static const char *parse_int(cmd_parms *cmd, const char *arg, int lo, int hi,
                             int *out)
{
    char *end;
    apr_int64_t v;
    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number "
                            "from %d to %d", cmd->cmd->name, arg, lo, hi);
    }
    *out = (int)v;
    return NULL;
}

static const char *cmd_int(cmd_parms *cmd, void *dconf, const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    int which = (int)(apr_size_t)cmd->info;
    const char *why;
    switch (which) {
    case 0:
        if ((why = parse_int(cmd, arg, 0, MAX_LEEWAY, &c->leeway))) {
            return why;
        }
        if (!IN_HTACCESS(cmd)) {
            if (c->leeway > leeway_max) {
                leeway_max = c->leeway;
            }
        }
        else if (c->leeway > leeway_max) {
            /* revocations are written to outlive the server's largest
             * leeway; a larger one here would outlive them */
            return apr_psprintf(cmd->pool, "%s: %d is more than the "
                                "largest leeway of the server configuration "
                                "(%d): revocations would end before the "
                                "tokens they cover", cmd->cmd->name,
                                c->leeway, leeway_max);
        }
        return NULL;
    case 1:
        return parse_int(cmd, arg, 1, INT_MAX, &c->max_age);
    default:
        return parse_int(cmd, arg, MIN_TOKEN_SIZE, MAX_TOKEN_SIZE,
                         &c->max_size);
    }
}

static const char *cmd_token_from(cmd_parms *cmd, void *dconf, int argc,
                                  char *const argv[])
{
    auth_jwt_dir_conf *c = dconf;
    int i;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: name at least one source: "
                            "header, cookie=NAME or query=NAME",
                            cmd->cmd->name);
    }
    c->sources = apr_array_make(cmd->pool, argc, sizeof(token_source));
    for (i = 0; i < argc; i++) {
        token_source *s = apr_array_push(c->sources);
        const char *a = argv[i];
        if (!strcasecmp(a, "header")) {
            s->from = FROM_HEADER;
        }
        else if (!strncasecmp(a, "cookie=", 7) && a[7]) {
            s->from = FROM_COOKIE;
            s->name = apr_pstrdup(cmd->pool, a + 7);
        }
        else if (!strncasecmp(a, "query=", 6) && a[6]) {
            s->from = FROM_QUERY;
            s->name = apr_pstrdup(cmd->pool, a + 6);
        }
        else {
            return apr_psprintf(cmd->pool, "%s: '%s' is not header, "
                                "cookie=NAME or query=NAME",
                                cmd->cmd->name, a);
        }
    }
    return NULL;
}

static const char *cmd_claim_path(cmd_parms *cmd, void *dconf,
                                  const char *path)
{
    const char **field = (const char **)((char *)dconf
                                         + (apr_size_t)cmd->info);
    if (!*path || *path == '.' || path[strlen(path) - 1] == '.') {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a claim path",
                            cmd->cmd->name, path);
    }
    *field = path;
    return NULL;
}

static const char *cmd_claim_header(cmd_parms *cmd, void *dconf,
                                    const char *path, const char *header)
{
    auth_jwt_dir_conf *c = dconf;
    claim_header *h;
    const char *s;
    for (s = header; *s; s++) {
        /* an HTTP token (RFC 9110 5.6.2); no CR/LF/colon can sneak in */
        if (!apr_isalnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid "
                                "header name", cmd->cmd->name, header);
        }
    }
    if (!*header || !*path) {
        return apr_psprintf(cmd->pool, "%s: needs a claim path and a "
                            "header name", cmd->cmd->name);
    }
    if (!c->headers) {
        c->headers = apr_array_make(cmd->pool, 2, sizeof(claim_header));
    }
    h = apr_array_push(c->headers);
    h->path = path;
    h->header = header;
    return NULL;
}

static void *create_srv_conf(apr_pool_t *p, server_rec *s)
{
    auth_jwt_srv_conf *sc = apr_pcalloc(p, sizeof(*sc));
    sc->verify_cache = UNSET;
    sc->jwks_startup = UNSET;
    return sc;
}

static const char *cmd_verify_cache(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    auth_jwt_srv_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                 &auth_jwt_module);
    const char *why = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    return why ? why : parse_int(cmd, arg, 0, AJWT_CACHE_MAX,
                                 &sc->verify_cache);
}

/* AuthJWTRevocationStore shm[:BYTES] | memcached:HOST:PORT[,HOST:PORT] */
static const char *cmd_store(cmd_parms *cmd, void *dconf, const char *arg)
{
    auth_jwt_srv_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                 &auth_jwt_module);
    const char *why = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (why) {
        return why;
    }
    if (!strcasecmp(arg, "shm") || !strncasecmp(arg, "shm:", 4)) {
        int bytes = AJWT_SHM_DEFAULT_SIZE;
        if (arg[3] && (why = parse_int(cmd, arg + 4, AJWT_SHM_MIN_SIZE,
                                       1024 * 1024 * 1024, &bytes))) {
            return why;
        }
        sc->store_kind = STORE_SHM;
        sc->shm_size = (apr_size_t)bytes;
        return NULL;
    }
    if (!strncasecmp(arg, "memcached:", 10) && arg[10]) {
        ajwt_store_t *probe;
        ajwt_err_t err = { 0 };
        sc->store_kind = STORE_MC;
        sc->mc.servers = arg + 10;
        sc->mc.connect_timeout_ms = 300;
        sc->mc.poll_timeout_ms = 300;
        sc->mc.retry_timeout_s = 2;
        /* parse the server list now, so that a typo stops start-up */
        if (ajwt_store_mc_create(&probe, &sc->mc, cmd->temp_pool, &err)) {
            return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name,
                                err.text);
        }
        return NULL;
    }
    if ((!strncasecmp(arg, "redis://", 8) && arg[8])
        || (!strncasecmp(arg, "rediss://", 9) && arg[9])) {
        ajwt_store_t *probe;
        ajwt_err_t err = { 0 };
        int tls = arg[5] == 's' || arg[5] == 'S';
        const char *list = arg + (tls ? 9 : 8);
        if (list[strlen(list) - 1] == '/') {
            list = apr_pstrndup(cmd->pool, list, strlen(list) - 1);
        }
        if (tls && !ajwt_store_redis_has_tls()) {
            return apr_psprintf(cmd->pool, "%s: rediss:// needs a hiredis "
                                "with TLS (hiredis_ssl >= 1.0), which this "
                                "build does not have (configure said so); "
                                "use redis:// over a trusted network or a "
                                "TLS tunnel", cmd->cmd->name);
        }
        sc->store_kind = STORE_REDIS;
        sc->redis.servers = list;
        sc->redis.tls = tls;
        sc->redis.connect_timeout_ms = 300;
        sc->redis.timeout_ms = 300;
        sc->redis.retry_timeout_s = 2;
        if (ajwt_store_redis_create(&probe, &sc->redis, cmd->temp_pool,
                                    &err)) {
            return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name,
                                err.text);
        }
        return NULL;
    }
    return apr_psprintf(cmd->pool, "%s: '%s' is neither shm[:BYTES], "
                        "memcached:HOST:PORT[,HOST:PORT...] nor "
                        "redis://HOST:PORT[,HOST:PORT...]",
                        cmd->cmd->name, arg);
}

/* AuthJWTRevocationStoreAuth USER file:PATH|env:NAME: memcached SASL or
 * a Redis ACL user. Never inline, as for AuthJWTSecret. */
static const char *cmd_store_auth(cmd_parms *cmd, void *dconf,
                                  const char *user, const char *src)
{
    auth_jwt_srv_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                 &auth_jwt_module);
    const char *why = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    ajwt_err_t err = { 0 };
    const char *pw;
    apr_size_t len = 0;

    if (why) {
        return why;
    }
    if (!*user || ajwt_json_has_ctl(user) || strchr(user, ' ')) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a user name",
                            cmd->cmd->name, user);
    }
    if (!strncmp(src, "file:", 5)) {
        const char *full = ap_server_root_relative(cmd->temp_pool, src + 5);
        if (!full) {
            return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                                cmd->cmd->name, src + 5);
        }
        src = apr_pstrcat(cmd->temp_pool, "file:", full, NULL);
    }
    else if (strncmp(src, "env:", 4)) {
        return apr_psprintf(cmd->pool, "%s: the password must come from "
                            "file:PATH or env:NAME, never inline",
                            cmd->cmd->name);
    }
    if (ajwt_secret_read(&pw, &len, src, cmd->pool, &err) != AJWT_OK) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    if (!len || memchr(pw, '\0', len) || ajwt_json_has_ctl(pw)) {
        return apr_psprintf(cmd->pool, "%s: the password from %s is empty "
                            "or holds control characters", cmd->cmd->name,
                            src);
    }
    sc->store_user = apr_pstrdup(cmd->pool, user);
    sc->store_password = pw;
    return NULL;
}

/* AuthJWTStateDir DIR|none: where the revocation journal lives. */
static const char *cmd_state_dir(cmd_parms *cmd, void *dconf,
                                 const char *arg)
{
    auth_jwt_srv_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                 &auth_jwt_module);
    const char *why = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (why) {
        return why;
    }
    if (!strcasecmp(arg, "none")) {
        sc->state_off = 1;
        return NULL;
    }
    if (!(sc->state_dir = ap_server_root_relative(cmd->pool, arg))) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/* AuthJWTMaxTokenLifetime SECONDS */
static const char *cmd_max_lifetime(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    const char *why = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int secs = 0;
    /* kept where every door reads it (lifetime_max), set once here */
    if (!why && !(why = parse_int(cmd, arg, 60, 366 * 86400, &secs))) {
        lifetime_max = secs;
    }
    return why;
}

static const char *cmd_failure(cmd_parms *cmd, void *dconf, const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    if (!strcasecmp(arg, "deny")) {
        c->revocation_failure = FAIL_DENY;
    }
    else if (!strcasecmp(arg, "allow")) {
        c->revocation_failure = FAIL_ALLOW;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither deny nor allow",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/*
 * Keys from an identity provider (AuthJWTJwksURL, AuthJWTDiscoveryURL).
 * Every URL of the configuration is registered here at start-up, once
 * per URL whatever the number of sections naming it, so that one shared
 * memory region per URL can be made in post_config and one fetch serves
 * every section and every process. Not in .htaccess: the server must know
 * every URL before the children are forked.
 */
typedef struct jwks_source {
    ajwt_jwks_conf_t conf;
    int index;                  /* in jwks_sources and jwks_live */
    const char *directive;      /* for log lines */
    char *region;               /* its shared memory (post_config) */
    apr_array_header_t *servers;/* of server_rec *: the servers naming it */
    const char *ca_default;     /* their server-level AuthJWTJwksCA */
} jwks_source;

enum { JWKS_CONTINUE = 0, JWKS_FAIL = 1 };

static apr_array_header_t *jwks_sources;    /* of jwks_source *, pconf */
static ajwt_jwks_t **jwks_live;             /* this process, by index */
static int jwks_nlive;

static const char *jwks_set_ca(cmd_parms *cmd, jwks_source *js,
                               const char *ca)
{
    if (js->conf.fetch.ca_file && ca && strcmp(js->conf.fetch.ca_file, ca)) {
        return apr_psprintf(cmd->pool, "%s: %s is already configured with "
                            "another AuthJWTJwksCA (%s)", cmd->cmd->name,
                            js->conf.url, js->conf.fetch.ca_file);
    }
    if (ca) {
        js->conf.fetch.ca_file = ca;
    }
    return NULL;
}

/* AuthJWTJwksURL URL [REFRESH] and AuthJWTDiscoveryURL URL [REFRESH] */
static const char *cmd_jwks_url(cmd_parms *cmd, void *dconf, const char *url,
                                const char *refresh)
{
    auth_jwt_dir_conf *c = dconf;
    int discovery = cmd->info != NULL, secs = 0, i;
    jwks_source *js = NULL;
    const char *why = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);

    if (why) {
        return why;
    }
    if (strncasecmp(url, "https://", 8) || !url[8]
        || strlen(url) >= AJWT_JWKS_URL_MAX) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an https:// URL",
                            cmd->cmd->name, url);
    }
    if (refresh && (why = parse_int(cmd, refresh, AJWT_JWKS_REFRESH_MIN,
                                    AJWT_JWKS_REFRESH_MAX, &secs))) {
        return why;
    }
    if (!jwks_sources) {
        jwks_sources = apr_array_make(cmd->pool, 4, sizeof(jwks_source *));
    }
    for (i = 0; i < jwks_sources->nelts; i++) {
        jwks_source *o = APR_ARRAY_IDX(jwks_sources, i, jwks_source *);
        if (o->conf.discovery == discovery && !strcmp(o->conf.url, url)) {
            js = o;
            break;
        }
    }
    if (!js) {
        js = apr_pcalloc(cmd->pool, sizeof(*js));
        js->conf.url = apr_pstrdup(cmd->pool, url);
        js->conf.discovery = discovery;
        js->directive = cmd->cmd->name;
        js->servers = apr_array_make(cmd->pool, 2, sizeof(server_rec *));
        js->index = jwks_sources->nelts;
        APR_ARRAY_PUSH(jwks_sources, jwks_source *) = js;
    }
    if (secs && js->conf.refresh && js->conf.refresh != secs) {
        return apr_psprintf(cmd->pool, "%s: %s is already configured with "
                            "a refresh of %d seconds", cmd->cmd->name, url,
                            js->conf.refresh);
    }
    if (secs) {
        js->conf.refresh = secs;
    }
    for (i = 0; i < js->servers->nelts; i++) {
        if (APR_ARRAY_IDX(js->servers, i, server_rec *) == cmd->server) {
            break;
        }
    }
    if (i == js->servers->nelts) {
        APR_ARRAY_PUSH(js->servers, server_rec *) = cmd->server;
    }
    if ((why = jwks_set_ca(cmd, js, c->jwks_ca))) {
        return why;
    }
    c->jwks = js;
    return NULL;
}

/* AuthJWTJwksCA PATH: for the URL of the same section. */
static const char *cmd_jwks_ca(cmd_parms *cmd, void *dconf, const char *path)
{
    auth_jwt_dir_conf *c = dconf;
    const char *full, *why = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);
    apr_finfo_t fi;
    apr_status_t rv;

    if (why) {
        return why;
    }
    if (!(full = ap_server_root_relative(cmd->pool, path))) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, path);
    }
    if ((rv = apr_stat(&fi, full, APR_FINFO_TYPE, cmd->temp_pool))
        != APR_SUCCESS || fi.filetype != APR_REG) {
        char buf[120];
        return apr_psprintf(cmd->pool, "%s: %s: %s", cmd->cmd->name, full,
                            rv ? apr_strerror(rv, buf, sizeof(buf))
                               : "not a file");
    }
    c->jwks_ca = full;
    return c->jwks ? jwks_set_ca(cmd, c->jwks, full) : NULL;
}

/* AuthJWTJwksStartup continue|fail */
static const char *cmd_jwks_startup(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    auth_jwt_srv_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                 &auth_jwt_module);
    const char *why = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (why) {
        return why;
    }
    if (!strcasecmp(arg, "continue")) {
        sc->jwks_startup = JWKS_CONTINUE;
    }
    else if (!strcasecmp(arg, "fail")) {
        sc->jwks_startup = JWKS_FAIL;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither continue nor "
                            "fail", cmd->cmd->name, arg);
    }
    return NULL;
}

/* ---------------------------------------------------------- issuing */

/* AuthJWTSignKey PATH|file:PATH|env:NAME ALG [kid] */
static const char *cmd_sign_key(cmd_parms *cmd, void *dconf, int argc,
                                char *const argv[])
{
    auth_jwt_dir_conf *c = dconf;
    ajwt_err_t err = { 0 };
    ajwt_key_t *k, *pub;
    ajwt_keyset_t one;
    const char *src, *why = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);

    if (why) {
        return why;
    }
    if (argc < 2 || argc > 3) {
        return apr_psprintf(cmd->pool, "%s: takes a key (PATH, file:PATH or "
                            "env:NAME), an algorithm and an optional kid",
                            cmd->cmd->name);
    }
    src = argv[0];
    if (strncmp(src, "env:", 4)) {
        int file = !strncmp(src, "file:", 5);
        const char *full = ap_server_root_relative(cmd->temp_pool,
                                                   file ? src + 5 : src);
        if (!full) {
            return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                                cmd->cmd->name, src);
        }
        src = apr_pstrcat(cmd->pool, file ? "file:" : "", full, NULL);
    }
    if (ajwt_key_load_signing(&k, src, argv[1], argc > 2 ? argv[2] : NULL,
                              cmd->pool, &err)
        || ajwt_key_public(&pub, k, cmd->pool, &err)) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    /* what this section issues, it also accepts */
    one.keys = apr_array_make(cmd->temp_pool, 1, sizeof(ajwt_key_t *));
    APR_ARRAY_PUSH(one.keys, ajwt_key_t *) = pub;
    one.algs = pub->algs;
    one.id = 0;
    if (ajwt_keyset_add_keys(&c->keys, &one, cmd->pool, &err)) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    c->sign_key = k;
    issuing_used = 1;
    return NULL;
}

static const char *cmd_ttl(cmd_parms *cmd, void *dconf, const char *arg)
{
    int *field = (int *)((char *)dconf + (apr_size_t)cmd->info);
    const char *why = parse_int(cmd, arg, 10, 366 * 86400, field);
    if (!why && *field > ttl_max) {
        /* checked against AuthJWTMaxTokenLifetime in post_config */
        ttl_max = *field;
        ttl_max_where = apr_psprintf(cmd->pool, "%s %d (line %d of %s)",
                                     cmd->cmd->name, *field,
                                     cmd->config_file
                                     ? cmd->config_file->line_number : 0,
                                     cmd->config_file
                                     ? cmd->config_file->name : "-");
    }
    return why;
}

static const char *cmd_role_file(cmd_parms *cmd, void *dconf,
                                 const char *path)
{
    auth_jwt_dir_conf *c = dconf;
    ajwt_err_t err = { 0 };
    const char *full = ap_server_root_relative(cmd->temp_pool, path);
    if (!full || ajwt_roles_load(&c->roles, full, cmd->pool, &err)) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name,
                            full ? err.text : "invalid path");
    }
    return NULL;
}

/* A cookie name: an RFC 6265 token. */
static const char *check_cookie_name(cmd_parms *cmd, const char *name)
{
    const char *s;
    for (s = name; *s; s++) {
        if (!apr_isalnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s)) {
            break;
        }
    }
    if (!*name || *s) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid cookie name",
                            cmd->cmd->name, name);
    }
    return NULL;
}

static const char *cmd_cookie(cmd_parms *cmd, void *dconf, const char *name)
{
    auth_jwt_dir_conf *c = dconf;
    const char *why = check_cookie_name(cmd, name);
    if (!why) {
        c->cookie = name;
    }
    return why;
}

/* AuthJWTRefreshCookie NAME [PATH]: PATH is where jwt-refresh answers. */
static const char *cmd_refresh_cookie(cmd_parms *cmd, void *dconf,
                                      const char *name, const char *path)
{
    auth_jwt_dir_conf *c = dconf;
    const char *why = check_cookie_name(cmd, name);
    if (why) {
        return why;
    }
    if (path && !ajwt_web_return_ok(path)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a local path "
                            "(/...)", cmd->cmd->name, path);
    }
    c->refresh_cookie = name;
    c->refresh_path = path;
    return NULL;
}

static const char *cmd_login_url(cmd_parms *cmd, void *dconf,
                                 const char *url)
{
    auth_jwt_dir_conf *c = dconf;
    if (!ajwt_web_return_ok(url)) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a local path on "
                            "this site (/login...)", cmd->cmd->name, url);
    }
    c->login_url = url;
    return NULL;
}

static const char *cmd_lockout(cmd_parms *cmd, void *dconf,
                               const char *attempts, const char *secs)
{
    auth_jwt_dir_conf *c = dconf;
    const char *why = parse_int(cmd, attempts, 1, 1000, &c->lockout_attempts);
    return why ? why : parse_int(cmd, secs, 1, 86400, &c->lockout_window);
}

/* Where most directives go: sections, .htaccess (AllowOverride AuthConfig)
 * and the server level, whose settings every section inherits. */
#define AUTHCFG (OR_AUTHCFG | RSRC_CONF)

static const command_rec auth_jwt_cmds[] = {
    AP_INIT_TAKE12("AuthJWTKey", cmd_key, NULL, AUTHCFG,
        "a verification key file (PEM public key, X.509 certificate, JWK "
        "or JWKS) and an optional kid"),
    AP_INIT_TAKE12("AuthJWTSecret", cmd_secret, NULL, AUTHCFG,
        "an HMAC secret, file:PATH or env:NAME, and an optional kid"),
    AP_INIT_TAKE_ARGV("AuthJWTAlgorithms", cmd_algorithms, NULL, AUTHCFG,
        "the algorithms accepted (default: every one that fits a key)"),
    AP_INIT_TAKE_ARGV("AuthJWTIssuer", cmd_strings,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, issuers), AUTHCFG,
        "accepted values of the iss claim"),
    AP_INIT_TAKE_ARGV("AuthJWTAudience", cmd_strings,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, audiences), AUTHCFG,
        "values of which the aud claim must contain one"),
    AP_INIT_TAKE_ARGV("AuthJWTRequireClaim", cmd_strings,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, required), AUTHCFG,
        "claims that must be present"),
    AP_INIT_TAKE1("AuthJWTLeeway", cmd_int, (void *)0, AUTHCFG,
        "seconds of clock skew allowed on exp, nbf and iat (default 30)"),
    AP_INIT_TAKE1("AuthJWTMaxAge", cmd_int, (void *)1, AUTHCFG,
        "refuse tokens whose iat is older than this many seconds"),
    AP_INIT_TAKE1("AuthJWTMaxTokenSize", cmd_int, (void *)2, AUTHCFG,
        "longer tokens are refused before parsing (default 8192)"),
    AP_INIT_TAKE_ARGV("AuthJWTTokenFrom", cmd_token_from, NULL, AUTHCFG,
        "where to look for the token, in order: header, cookie=NAME, "
        "query=NAME"),
    AP_INIT_TAKE1("AuthJWTUserClaim", cmd_claim_path,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, user_claim), AUTHCFG,
        "the claim that becomes REMOTE_USER (default sub)"),
    AP_INIT_TAKE1("AuthJWTRoleClaim", cmd_claim_path,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, role_claim), AUTHCFG,
        "the claim holding roles (default roles)"),
    AP_INIT_FLAG("AuthJWTClaimsEnv", ap_set_flag_slot,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, claims_env), AUTHCFG,
        "export claims as JWT_CLAIM_* and the token as JWT_TOKEN "
        "(default On)"),
    AP_INIT_TAKE2("AuthJWTClaimHeader", cmd_claim_header, NULL, AUTHCFG,
        "a claim path and the request header that carries it to a "
        "backend"),
    AP_INIT_TAKE_ARGV("AuthJWTSignKey", cmd_sign_key, NULL,
        RSRC_CONF | ACCESS_CONF,
        "the key that signs issued tokens (PATH to a PEM private key, or "
        "file:PATH / env:NAME for an HMAC secret), its algorithm, and an "
        "optional kid"),
    AP_INIT_TAKE1("AuthJWTAccessTTL", cmd_ttl,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, access_ttl), AUTHCFG,
        "lifetime of issued access tokens in seconds (default 900)"),
    AP_INIT_TAKE1("AuthJWTRefreshTTL", cmd_ttl,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, refresh_ttl), AUTHCFG,
        "lifetime of refresh tokens in seconds (default 1209600)"),
    AP_INIT_TAKE_ARGV("AuthJWTLoginProvider", cmd_strings,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, login_providers), AUTHCFG,
        "authn providers that check passwords at jwt-login (default file)"),
    AP_INIT_TAKE1("AuthJWTRoleFile", cmd_role_file, NULL, AUTHCFG,
        "roles of issued tokens, in AuthGroupFile format"),
    AP_INIT_TAKE1("AuthJWTCookie", cmd_cookie, NULL, AUTHCFG,
        "name of the access token cookie (also a token source)"),
    AP_INIT_TAKE12("AuthJWTRefreshCookie", cmd_refresh_cookie, NULL,
        AUTHCFG, "name of the refresh token cookie, and the path of the "
        "jwt-refresh handler it is scoped to (default /auth/refresh)"),
    AP_INIT_TAKE1("AuthJWTLoginURL", cmd_login_url, NULL, AUTHCFG,
        "where browsers without a valid token are sent (a local path)"),
    AP_INIT_TAKE2("AuthJWTLockout", cmd_lockout, NULL, AUTHCFG,
        "failed logins per account and per client address, and the "
        "seconds they are counted over and locked for"),
    AP_INIT_TAKE1("AuthJWTVerifyCache", cmd_verify_cache, NULL, RSRC_CONF,
        "entries of the per-process cache of verified tokens (default "
        "1024; 0 turns it off)"),
    AP_INIT_TAKE1("AuthJWTRevocationStore", cmd_store, NULL, RSRC_CONF,
        "shm[:BYTES] (this server), memcached:HOST:PORT[,HOST:PORT...] or "
        "redis://HOST:PORT[,HOST:PORT...]"),
    AP_INIT_TAKE2("AuthJWTRevocationStoreAuth", cmd_store_auth, NULL,
        RSRC_CONF, "a user and its password (file:PATH or env:NAME) for the "
        "memcached (SASL) or Redis (ACL) revocation store"),
    AP_INIT_TAKE1("AuthJWTStateDir", cmd_state_dir, NULL, RSRC_CONF,
        "directory of the revocation journal, the durable copy of the store "
        "(default: DefaultRuntimeDir), or none"),
    AP_INIT_TAKE1("AuthJWTMaxTokenLifetime", cmd_max_lifetime, NULL,
        RSRC_CONF, "longest lifetime (exp - iat) of a token accepted where "
        "revocation is checked, in seconds (default 2592000, 30 days)"),
    AP_INIT_FLAG("AuthJWTRevocation", ap_set_flag_slot,
        (void *)APR_OFFSETOF(auth_jwt_dir_conf, revocation), AUTHCFG,
        "check the revocation store here (default On with a store)"),
    AP_INIT_TAKE1("AuthJWTRevocationFailure", cmd_failure, NULL, AUTHCFG,
        "store unreachable: deny (503, default) or allow"),
    AP_INIT_TAKE12("AuthJWTJwksURL", cmd_jwks_url, NULL, OR_AUTHCFG,
        "an https URL of a JWK Set, fetched and refreshed (optional "
        "refresh period in seconds, default 3600)"),
    AP_INIT_TAKE12("AuthJWTDiscoveryURL", cmd_jwks_url, (void *)1,
        OR_AUTHCFG, "an https URL of an OpenID discovery document: its "
        "jwks_uri and issuer are used (optional refresh period)"),
    AP_INIT_TAKE1("AuthJWTJwksCA", cmd_jwks_ca, NULL, AUTHCFG,
        "CA bundle (PEM) for the JWKS and discovery URL of this section, "
        "or at server level for every URL of the server without one"),
    AP_INIT_TAKE1("AuthJWTJwksStartup", cmd_jwks_startup, NULL, RSRC_CONF,
        "no keys at start-up: continue (answer 503 until they arrive, "
        "default) or fail (refuse to start)"),
    { NULL }
};

/* ------------------------------------------------------------------ */
/* Errors: one table from core status to HTTP answer and log line      */

static const struct outcome {
    int http;
    const char *bearer;     /* RFC 6750 error code, NULL: no challenge */
    int level;
    const char *tag;
} outcomes[AJWT_NSTATUS] = {
    [AJWT_EINTERNAL]  = { 500, NULL,            APLOG_ERR,     APLOGNO(70001) },
    [AJWT_ENOTOKEN]   = { 401, "invalid_token", APLOG_INFO,    APLOGNO(70002) },
    [AJWT_EOVERSIZE]  = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70003) },
    [AJWT_EMALFORMED] = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70004) },
    [AJWT_EALG]       = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70005) },
    [AJWT_EHEADER]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70006) },
    [AJWT_EKEY]       = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70007) },
    [AJWT_ESIG]       = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70008) },
    [AJWT_ECLAIM]     = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70009) },
    [AJWT_EEXPIRED]   = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70010) },
    [AJWT_ENOTYET]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70011) },
    [AJWT_EMAXAGE]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70012) },
    [AJWT_EISSUER]    = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70013) },
    [AJWT_EAUDIENCE]  = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70014) },
    [AJWT_ECONFIG]    = { 500, NULL,            APLOG_ERR,     APLOGNO(70015) },
    [AJWT_EREVOKED]   = { 401, "invalid_token", APLOG_WARNING, APLOGNO(70016) },
    [AJWT_ESTORE]     = { 503, NULL,            APLOG_ERR,     APLOGNO(70017) },
    [AJWT_EFETCH]     = { 503, NULL,            APLOG_ERR,     APLOGNO(70032) },
    [AJWT_ELOCKED]    = { 429, NULL,            APLOG_WARNING, APLOGNO(70042) },
};

static const char *request_id(request_rec *r)
{
    if (!r->log_id) {
        const char *id = NULL;
        ap_run_generate_log_id(r->connection, r, &id);
        r->log_id = id;
    }
    return r->log_id ? r->log_id : "-";
}

static const struct outcome *outcome_of(ajwt_status_t st)
{
    if (st <= AJWT_OK || st >= AJWT_NSTATUS || !outcomes[st].http) {
        return &outcomes[AJWT_EINTERNAL];   /* no row for st: fail closed */
    }
    return &outcomes[st];
}

static void log_refusal(request_rec *r, ajwt_status_t st,
                        const ajwt_err_t *err)
{
    const struct outcome *o = outcome_of(st);
    ap_log_rerror(APLOG_MARK, o->level, err->rv, r,
                  "%stoken refused (%s): %s [id %s]", o->tag,
                  ajwt_status_name(st), err->text[0] ? err->text : "-",
                  request_id(r));
}

static void note_bearer(request_rec *r, const char *error)
{
    const char *realm = ap_auth_name(r);
    apr_table_setn(r->err_headers_out,
                   (PROXYREQ_PROXY == r->proxyreq) ? "Proxy-Authenticate"
                                                   : "WWW-Authenticate",
                   apr_psprintf(r->pool, "Bearer realm=\"%s\", error=\"%s\"",
                                ap_escape_quotes(r->pool,
                                                 realm ? realm : "jwt"),
                                error));
}

static int reject(request_rec *r, ajwt_status_t st, const ajwt_err_t *err)
{
    const struct outcome *o = outcome_of(st);
    log_refusal(r, st, err);
    if (o->bearer) {
        note_bearer(r, o->bearer);
    }
    if (o->http == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
    }
    return o->http;
}

/* ------------------------------------------------------------------ */
/* Verification, shared by AuthType jwt and AuthBasicProvider jwt      */

static const char *user_claim(const auth_jwt_dir_conf *c)
{
    return c->user_claim ? c->user_claim : "sub";
}

/* JWT_CLAIM_<name>: every byte outside [A-Za-z0-9_] becomes '_'. */
static void export_claims(request_rec *r, const ajwt_claims_t *cl,
                          const char *token)
{
    const char *name;
    json_t *v;
    json_object_foreach(cl->json, name, v) {
        const char *text = ajwt_json_text(v, r->pool);
        apr_size_t n;
        char *env, *s;
        if (!text || ajwt_json_has_ctl(text)) {
            continue;   /* no control characters into CGI/PHP */
        }
        /* one copy of the name behind the prefix, no varargs concat */
        n = strlen(name);
        env = apr_palloc(r->pool, 10 + n + 1);
        memcpy(env, "JWT_CLAIM_", 10);
        memcpy(env + 10, name, n + 1);
        for (s = env + 10; *s; s++) {
            if (!apr_isalnum(*s) && *s != '_') {
                *s = '_';
            }
        }
        /* addn: setn would scan the table for each name, per request;
         * the names come only from here */
        apr_table_addn(r->subprocess_env, env, text);
    }
    apr_table_setn(r->subprocess_env, "JWT_TOKEN", token);
}

/* The core's verifier for a location's configuration. */
static void make_verifier(ajwt_verifier_t *v, const auth_jwt_dir_conf *c)
{
    v->keys = c->keys;
    v->algs = c->algs;
    v->max_len = c->max_size == UNSET ? AJWT_DEFAULT_MAX_TOKEN
                                      : (apr_size_t)c->max_size;
    v->policy.leeway = c->leeway == UNSET ? AJWT_DEFAULT_LEEWAY : c->leeway;
    v->policy.max_age = c->max_age == UNSET ? -1 : c->max_age;
    v->policy.issuers = c->issuers;
    v->policy.audiences = c->audiences;
    v->policy.required = c->required;
    /* where revocation is checked, no token may outlive its revocation */
    v->policy.max_lifetime = (store_wanted && c->revocation != 0)
                             ? lifetime_max : 0;
    v->cache = verify_cache;
    v->store_keys = store_wanted;
}

/*
 * Keys of a location with AuthJWTJwksURL or AuthJWTDiscoveryURL.
 *
 * Refreshes run from the request path, in whichever request first finds
 * one due (ajwt_jwks_due is a few atomic loads) and wins the lease in
 * shared memory; every other request meanwhile uses the keys it has.
 * Why not mod_watchdog: an unknown kid must be refreshed from the request
 * anyway (that request waits for the answer), watchdog threads would add
 * a second path, a dependency on mod_watchdog being loaded and a thread
 * in the parent; and a server with no traffic needs no fresh keys. The
 * cost is that the request that triggers a periodic refresh waits for
 * the fetch (bounded by the timeouts), once per period per server.
 */
static ajwt_jwks_t *live_source(const auth_jwt_dir_conf *c)
{
    if (!c->jwks || !jwks_live || c->jwks->index >= jwks_nlive) {
        return NULL;
    }
    return jwks_live[c->jwks->index];
}

static ajwt_jwks_result_t jwks_refresh(request_rec *r, const jwks_source *js,
                                       ajwt_jwks_t *src, int unknown_kid)
{
    ajwt_jwks_result_t what = AJWT_JWKS_IDLE;
    ajwt_err_t e = { 0 };
    ajwt_jwks_refresh(src, apr_time_now(), unknown_kid, 0, &what, r->pool,
                      &e);
    /* one line per attempt; attempts are rate limited (5 s to 60 s) */
    if (what == AJWT_JWKS_FAILED) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70033)
                      "%s %s: refresh failed, %s: %s [id %s]", js->directive,
                      js->conf.url, ajwt_jwks_generation(src)
                      ? "keeping the last good keys" : "no keys yet",
                      e.text, request_id(r));
    }
    else if (what == AJWT_JWKS_UPDATED) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70034)
                      "%s %s: %d keys (generation %" APR_UINT64_T_FMT ")%s "
                      "[id %s]", js->directive, js->conf.url,
                      ajwt_jwks_nkeys(src), ajwt_jwks_generation(src),
                      unknown_kid ? ", fetched for an unknown kid" : "",
                      request_id(r));
    }
    return what;
}

/* v's keys (static + fetched) and, from discovery, its issuer. */
static ajwt_status_t jwks_verifier(request_rec *r, const auth_jwt_dir_conf *c,
                                   ajwt_jwks_t *src, ajwt_verifier_t *v,
                                   ajwt_err_t *err)
{
    const ajwt_keyset_t *ks = NULL;
    const char *iss = NULL;
    ajwt_jwks_keys(&ks, &iss, src, c->keys, r->pool, NULL);
    if (!ks && !c->keys) {
        return ajwt_err_set(err, AJWT_EFETCH, "no keys fetched yet from %s "
                            "%s", c->jwks->directive, c->jwks->conf.url);
    }
    v->keys = ks ? ks : c->keys;
    if (iss && !c->issuers) {
        apr_array_header_t *a = apr_array_make(r->pool, 1,
                                               sizeof(const char *));
        APR_ARRAY_PUSH(a, const char *) = iss;
        v->policy.issuers = a;
    }
    return AJWT_OK;
}

/*
 * ajwt_verify with the location's keys. With a key URL: a token whose kid
 * (or alg) fits no key may mean the provider rotated: refresh (rate
 * limited, shared by the whole server) and, if new keys arrived, verify
 * once more.
 */
static ajwt_status_t verify_keys(request_rec *r, const auth_jwt_dir_conf *c,
                                 const char *token, ajwt_claims_t **cl,
                                 ajwt_err_t *err)
{
    ajwt_verifier_t v;
    ajwt_jwks_t *src;
    ajwt_status_t st;

    make_verifier(&v, c);
    if (!c->jwks) {
        return ajwt_verify(cl, NULL, token, strlen(token), &v, r->request_time,
                           r->pool, err);
    }
    if (!(src = live_source(c))) {
        return ajwt_err_set(err, AJWT_EFETCH, "%s %s: no shared memory in "
                            "this process", c->jwks->directive,
                            c->jwks->conf.url);
    }
    if (ajwt_jwks_due(src, apr_time_now(), 0)) {
        jwks_refresh(r, c->jwks, src, 0);
    }
    if ((st = jwks_verifier(r, c, src, &v, err)) != AJWT_OK) {
        return st;
    }
    st = ajwt_verify(cl, NULL, token, strlen(token), &v, r->request_time, r->pool,
                     err);
    if (st == AJWT_EKEY && ajwt_jwks_due(src, apr_time_now(), 1)
        && jwks_refresh(r, c->jwks, src, 1) == AJWT_JWKS_UPDATED) {
        memset(err, 0, sizeof(*err));
        make_verifier(&v, c);
        if ((st = jwks_verifier(r, c, src, &v, err)) == AJWT_OK) {
            st = ajwt_verify(cl, NULL, token, strlen(token), &v, r->request_time,
                             r->pool, err);
        }
    }
    if (st == AJWT_EKEY && !ajwt_jwks_generation(src)) {
        /* only static keys so far: the provider's are still missing */
        memset(err, 0, sizeof(*err));
        st = ajwt_err_set(err, AJWT_EFETCH, "no keys fetched yet from %s "
                          "%s", c->jwks->directive, c->jwks->conf.url);
    }
    return st;
}

/*
 * Revocation of a verified token. With AuthJWTRevocationFailure allow, an
 * unreachable store lets it through with a warning at most every
 * STORE_WARN_EVERY seconds per process (no lock: a lost race only means
 * one more warning).
 */
/*
 * A memcached or Redis server that came back empty was refilled from the
 * journal (or memcached evicted entries): say so once per new event seen
 * by this process. A few atomic loads per request; races only repeat a
 * line.
 */
static void note_store_events(request_rec *r)
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
                      e - backend_evictions_seen, request_id(r));
        backend_evictions_seen = e;
    }
    if (n != restores_seen) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70071)
                      "revocation store: %s%s [id %s]", what[0] ? what
                      : "a server was refilled", journal ? ""
                      : " (no journal: AuthJWTStateDir none, nothing to "
                        "restore)", request_id(r));
        restores_seen = n;
    }
}

static ajwt_status_t check_revoked(request_rec *r, const auth_jwt_dir_conf *c,
                                   const ajwt_claims_t *cl, int always,
                                   ajwt_err_t *err)
{
    ajwt_err_t e = { 0 };
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(r->request_time);
    ajwt_status_t st;

    if (!store_wanted || (c->revocation == 0 && !always)) {
        return AJWT_OK;
    }
    if (!store) {
        /* the store is configured but this process could not attach it:
         * as if it could not be reached, never as "not revoked" */
        st = ajwt_err_set(&e, AJWT_ESTORE, "revocation store not available "
                          "in this process (%s)", store_missing_why
                          ? store_missing_why : "attach failed");
    }
    else {
        st = ajwt_store_check(store, cl, apr_time_sec(r->request_time), &e);
        note_store_events(r);
    }
    if (st == AJWT_ESTORE && c->revocation_failure == FAIL_ALLOW) {
        apr_uint32_t last = apr_atomic_read32(&store_warned_at);
        if (now - last >= STORE_WARN_EVERY
            && apr_atomic_cas32(&store_warned_at, now, last) == last) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, e.rv, r, APLOGNO(70022)
                          "revocation store unreachable, token let through "
                          "(AuthJWTRevocationFailure allow): %s [id %s]",
                          e.text, request_id(r));
        }
        return AJWT_OK;
    }
    if (st != AJWT_OK) {
        *err = e;
    }
    return st;
}

/*
 * The one verification path of every door that accepts a token (AuthType
 * jwt, the Basic provider, jwt-revoke token=, jwt-logout): the
 * location's static and fetched keys, its claim rules, the user claim and
 * claim-header rules, and (revocation set) revocation. jwt-revoke alone
 * leaves revocation out: the token there is what is being revoked, not a
 * credential, and revoking it again must give the same answer. On AJWT_OK
 * *out and *user are set; nothing of the request is changed.
 */
static ajwt_status_t verify_claims(request_rec *r, const auth_jwt_dir_conf *c,
                                   const char *token, int revocation,
                                   ajwt_claims_t **out,
                                   const char **user_out, ajwt_err_t *err)
{
    ajwt_claims_t *cl;
    const char *user;
    ajwt_status_t st;
    int i;

    *out = NULL;
    *user_out = NULL;
    if (!c->keys && !c->jwks) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no AuthJWTKey, "
                            "AuthJWTSecret or AuthJWTJwksURL applies to %s",
                            r->uri);
    }
    st = verify_keys(r, c, token, &cl, err);
    if (st != AJWT_OK) {
        return st;
    }
    user = ajwt_json_text(ajwt_json_path(cl->json, user_claim(c)), r->pool);
    if (!user || !*user) {
        return ajwt_err_set(err, AJWT_ECLAIM, "no user claim '%s' (jti %s)",
                            user_claim(c), cl->jti ? cl->jti : "-");
    }
    if (ajwt_json_has_ctl(user)) {
        return ajwt_err_set(err, AJWT_ECLAIM, "user claim '%s' holds a "
                            "control character (jti %s)", user_claim(c),
                            cl->jti ? cl->jti : "-");
    }
    for (i = 0; c->headers && i < c->headers->nelts; i++) {
        const claim_header *h = &APR_ARRAY_IDX(c->headers, i, claim_header);
        const char *text = ajwt_json_text(ajwt_json_path(cl->json, h->path),
                                          r->pool);
        if (text && ajwt_json_has_ctl(text)) {
            return ajwt_err_set(err, AJWT_ECLAIM, "claim '%s' for header "
                                "%s holds a control character (sub %s)",
                                h->path, h->header, user);
        }
    }
    if (revocation && (st = check_revoked(r, c, cl, 0, err)) != AJWT_OK) {
        return st;
    }
    *out = cl;
    *user_out = user;
    return AJWT_OK;
}

/*
 * The whole check of one token for this request: on AJWT_OK r->user is
 * the user claim, the claims are in r->request_config and, if enabled,
 * in the environment.
 */
static ajwt_status_t verify_token(request_rec *r, const auth_jwt_dir_conf *c,
                                  const char *token, ajwt_err_t *err)
{
    ajwt_claims_t *cl;
    auth_jwt_rec *rec;
    const char *user;
    ajwt_status_t st;

    if ((st = verify_claims(r, c, token, 1, &cl, &user, err)) != AJWT_OK) {
        return st;
    }
    rec = apr_palloc(r->pool, sizeof(*rec));
    rec->claims = cl;
    rec->conf = c;
    ap_set_module_config(r->request_config, &auth_jwt_module, rec);
    r->user = (char *)user;
    if (c->claims_env != 0) {
        export_claims(r, cl, token);
    }
    return AJWT_OK;
}

/* The claims verified for this request, a subrequest's parent or an
 * internal redirect's original. */
static const auth_jwt_rec *find_rec(const request_rec *r)
{
    for (; r; r = r->main ? r->main : r->prev) {
        const auth_jwt_rec *rec = ap_get_module_config(r->request_config,
                                                       &auth_jwt_module);
        if (rec) {
            return rec;
        }
    }
    return NULL;
}

/*
 * The token, from the first of the configured sources that has one
 * (default: the Authorization header, then the AuthJWTCookie if set);
 * *from says which kind of source it was.
 */
static const char *find_token(request_rec *r, const auth_jwt_dir_conf *c,
                              token_from_t *from)
{
    static const token_source header = { FROM_HEADER, NULL };
    token_source cookie = { FROM_COOKIE, c->cookie };
    int n = c->sources ? c->sources->nelts : (c->cookie ? 2 : 1);
    int i;
    for (i = 0; i < n; i++) {
        const token_source *s = c->sources
            ? &APR_ARRAY_IDX(c->sources, i, token_source)
            : (i == 0 ? &header : &cookie);
        const char *t = NULL;
        switch (s->from) {
        case FROM_HEADER:
            t = ajwt_web_bearer(apr_table_get(r->headers_in,
                                              "Authorization"), r->pool);
            break;
        case FROM_COOKIE:
            t = ajwt_web_cookie(apr_table_get(r->headers_in, "Cookie"),
                                s->name, r->pool);
            break;
        case FROM_QUERY:
            t = ajwt_web_query(r->args, s->name, r->pool);
            break;
        }
        if (t && *t) {
            *from = s->from;
            return t;
        }
    }
    return NULL;
}

/* scheme://host[:port] of this request, as a browser's Origin says it */
static const char *own_origin(request_rec *r)
{
    return ap_construct_url(r->pool, "", r);
}

static int is_safe_method(const request_rec *r)
{
    return r->method_number == M_GET || r->method_number == M_OPTIONS
           || r->header_only;
}

/* A cookie rides along on cross-site requests: unsafe methods need proof
 * that the request comes from our own pages. */
static int csrf_ok(request_rec *r)
{
    return is_safe_method(r)
           || ajwt_web_same_origin(apr_table_get(r->headers_in, "Origin"),
                                   apr_table_get(r->headers_in,
                                                 "Sec-Fetch-Site"),
                                   own_origin(r));
}

static int wants_html(const request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    return accept && ap_strcasestr(accept, "text/html") != NULL;
}

/*
 * A browser without a valid token: to the refresh handler first when a
 * refresh cookie is configured (it rotates and comes back, or sends the
 * browser on to the login page), else to the login page; both with this
 * address to come back to.
 */
static int redirect_to_login(request_rec *r, const auth_jwt_dir_conf *c)
{
    const char *to = c->refresh_cookie
        ? (c->refresh_path ? c->refresh_path : DEFAULT_REFRESH_PATH)
        : c->login_url;
    apr_table_setn(r->err_headers_out, "Location",
                   apr_pstrcat(r->pool, to, strchr(to, '?') ? "&" : "?",
                               "return=", ap_escape_urlencoded(r->pool,
                                   r->unparsed_uri), NULL));
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

/* ------------------------------------------------------------------ */
/* Hooks                                                               */

static int is_jwt_type(request_rec *r)
{
    const char *type = ap_auth_type(r);
    return type && !strcasecmp(type, AUTH_TYPE_JWT);
}

static int hook_check_authn(request_rec *r)
{
    const auth_jwt_dir_conf *c;
    ajwt_err_t err = { 0 };
    const char *token;
    token_from_t from = FROM_HEADER;
    ajwt_status_t st;

    if (!is_jwt_type(r)) {
        return DECLINED;
    }
    c = ap_get_module_config(r->per_dir_config, &auth_jwt_module);
    token = find_token(r, c, &from);
    if (!token) {
        st = ajwt_err_set(&err, AJWT_ENOTOKEN, "no token in the request for "
                          "%s", r->uri);
    }
    else if (from == FROM_COOKIE && !csrf_ok(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70043)
                      "token refused (cross-site): a cookie token on %s "
                      "without a same-origin Origin or Sec-Fetch-Site "
                      "[id %s]", r->method, request_id(r));
        return HTTP_FORBIDDEN;
    }
    else {
        st = verify_token(r, c, token, &err);
    }
    if (st != AJWT_OK) {
        if (c->login_url && wants_html(r) && is_safe_method(r) && !r->main
            && outcome_of(st)->http == HTTP_UNAUTHORIZED) {
            log_refusal(r, st, &err);
            return redirect_to_login(r, c);
        }
        return reject(r, st, &err);
    }
    /* as mod_auth_basic does: what CGI sees as AUTH_TYPE */
    r->ap_auth_type = (char *)ap_auth_type(r);
    return OK;
}

static authn_status authn_jwt_check_password(request_rec *r,
                                             const char *user,
                                             const char *password)
{
    const auth_jwt_dir_conf *c = ap_get_module_config(r->per_dir_config,
                                                      &auth_jwt_module);
    ajwt_err_t err = { 0 };
    ajwt_status_t st = verify_token(r, c, password, &err);
    if (st != AJWT_OK) {
        log_refusal(r, st, &err);
        return outcome_of(st)->http >= 500 ? AUTH_GENERAL_ERROR
                                           : AUTH_DENIED;
    }
    return AUTH_GRANTED;
}

static int hook_note_auth_failure(request_rec *r, const char *auth_type)
{
    if (strcasecmp(auth_type, AUTH_TYPE_JWT)) {
        return DECLINED;
    }
    note_bearer(r, find_rec(r) ? "insufficient_scope" : "invalid_token");
    return OK;
}

/* A 403 from our Require (AuthzSendForbiddenOnFailure On) still says why,
 * as RFC 6750 section 3.1 asks. */
static void hook_insert_error_filter(request_rec *r)
{
    if (r->status == HTTP_FORBIDDEN && is_jwt_type(r)
        && apr_table_get(r->notes, NOTE_DENIED) && find_rec(r)) {
        note_bearer(r, "insufficient_scope");
    }
}

/* Claim headers: the client's own copies never reach the backend. */
/*
 * A client header whose name is a claim header's with '_' for '-'
 * (X_Jwt_User for X-Jwt-User): httpd keeps it apart from ours, but many
 * backends fold both into one name (CGI-style HTTP_X_JWT_USER in WSGI,
 * Rack, PHP behind some proxies), so it could pose as ours there. Such
 * names are removed too; only names with an '_' are looked at.
 */
typedef struct {
    const char *name;           /* a claim header's name */
    apr_array_header_t *hits;   /* of const char *: client names to drop */
} header_variant;

static int same_header_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a == '_') ? '-' : apr_tolower(*a);
        char y = (*b == '_') ? '-' : apr_tolower(*b);
        if (x != y) {
            return 0;
        }
    }
    return *a == *b;
}

static int find_variant(void *data, const char *key, const char *value)
{
    header_variant *v = data;
    (void)value;
    if (strchr(key, '_') && same_header_name(key, v->name)) {
        APR_ARRAY_PUSH(v->hits, const char *) = key;
    }
    return 1;
}

/* Does any client header name hold an '_'? Once per request. */
static int any_underscore_name(const request_rec *r)
{
    const apr_array_header_t *all = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)all->elts;
    int i;

    for (i = 0; i < all->nelts; i++) {
        if (e[i].key && strchr(e[i].key, '_')) {
            return 1;
        }
    }
    return 0;
}

/* Remove the client's copies of a claim header: the name itself, and its
 * '_' spellings when the request has any name with an '_' at all. */
static void unset_claim_header(request_rec *r, const char *name,
                               int underscores)
{
    header_variant v;
    int i;

    apr_table_unset(r->headers_in, name);
    if (!underscores) {
        return;                 /* the usual case */
    }
    v.name = name;
    v.hits = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(find_variant, &v, r->headers_in, NULL);
    for (i = 0; i < v.hits->nelts; i++) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(v.hits, i,
                                                     const char *));
    }
}

static int hook_fixups(request_rec *r)
{
    const auth_jwt_dir_conf *c = ap_get_module_config(r->per_dir_config,
                                                      &auth_jwt_module);
    const auth_jwt_rec *rec;
    int i, underscores;
    if (!c->headers) {
        return DECLINED;
    }
    rec = find_rec(r);
    underscores = any_underscore_name(r);
    for (i = 0; i < c->headers->nelts; i++) {
        const claim_header *h = &APR_ARRAY_IDX(c->headers, i, claim_header);
        const char *text;
        unset_claim_header(r, h->header, underscores);
        if (!rec) {
            continue;
        }
        text = ajwt_json_text(ajwt_json_path(rec->claims->json, h->path),
                              r->pool);
        if (text && !ajwt_json_has_ctl(text)) {
            apr_table_setn(r->headers_in, h->header, text);
        }
    }
    return DECLINED;
}

static int hook_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp)
{
    ajwt_err_t err = { 0 };
    jwks_sources = NULL;        /* this reading of the configuration's */
    issuing_used = 0;
    leeway_max = AJWT_DEFAULT_LEEWAY;
    lifetime_max = DEFAULT_MAX_LIFETIME;
    ttl_max = 0;
    ttl_max_where = NULL;
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

/*
 * Rules that involve several directives, so that `apachectl configtest`
 * fails on them too (check_config runs before -t exits).
 */
static int hook_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    if (ttl_max > lifetime_max) {
        /* a token we issue must not outlive a revocation of its subject */
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(70063)
                     "%s is longer than AuthJWTMaxTokenLifetime (%"
                     APR_INT64_T_FMT " s): raise the one or lower the other",
                     ttl_max_where ? ttl_max_where : "a TTL", lifetime_max);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int hook_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
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
    kind = (sc->store_kind == STORE_NONE && issuing_used) ? STORE_SHM
                                                         : sc->store_kind;
    store_is_shm = kind == STORE_SHM;
    store_wanted = kind != STORE_NONE;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;      /* the dry run: nothing shared is made twice */
    }
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

static void hook_child_init(apr_pool_t *pchild, server_rec *s)
{
    const auth_jwt_srv_conf *sc = ap_get_module_config(s->module_config,
                                                       &auth_jwt_module);
    ajwt_err_t cerr = { 0 };
    if (ajwt_cache_create(&verify_cache, sc->verify_cache == UNSET
                          ? AJWT_CACHE_DEFAULT : sc->verify_cache,
                          pchild, &cerr) != AJWT_OK) {
        ap_log_error(APLOG_MARK, APLOG_ERR, cerr.rv, s, APLOGNO(70031)
                     "verified-token cache off in this process: %s",
                     cerr.text);
    }
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
    if (apr_pool_create(&htkeys_pool, pchild) != APR_SUCCESS) {
        htkeys_pool = NULL;
        return;
    }
    apr_pool_tag(htkeys_pool, "auth_jwt_htaccess_keys");
    if (apr_thread_mutex_create(&dummy_lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        dummy_lock = NULL;      /* then only the measured average serves */
    }
    htkeys = apr_hash_make(htkeys_pool);
    if (apr_thread_mutex_create(&htkeys_lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, APLOGNO(70020)
                     "no mutex for the .htaccess key cache: keys named in "
                     ".htaccess files will be loaded per request");
        htkeys = NULL;
    }
}

/* ------------------------------------------------------------------ */
/* Handlers                                                            */

static int send_json(request_rec *r, int status, const char *json)
{
    r->status = status;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "application/json");
    ap_rputs(json, r);
    ap_rputc('\n', r);
    return OK;
}

/*
 * A POST with a form or JSON body (*json says which): DECLINED to go on,
 * else the answer already sent (405 or 415) for the handler to return.
 */
static int check_post(request_rec *r, int *json)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return send_json(r, HTTP_METHOD_NOT_ALLOWED, ajwt_revoke_error(
            "invalid_request", "use POST", r->pool));
    }
    *json = type && !strncasecmp(type, "application/json", 16);
    if (!*json && !(type && !strncasecmp(type,
                    "application/x-www-form-urlencoded", 33))) {
        return send_json(r, HTTP_UNSUPPORTED_MEDIA_TYPE, ajwt_revoke_error(
            "invalid_request", "send application/x-www-form-urlencoded or "
            "application/json", r->pool));
    }
    return DECLINED;
}

/* The request body, at most max bytes; NULL with *status set if not. */
static const char *read_body(request_rec *r, apr_size_t max,
                             apr_size_t *len, int *status)
{
    char *buf = apr_palloc(r->pool, max + 1);
    apr_size_t n = 0;
    long got;
    *status = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (*status != OK) {
        return NULL;
    }
    if (ap_should_client_block(r)) {
        while ((got = ap_get_client_block(r, buf + n, max + 1 - n)) > 0) {
            n += (apr_size_t)got;
            if (n > max) {
                *status = HTTP_REQUEST_ENTITY_TOO_LARGE;
                return NULL;
            }
        }
        if (got < 0) {
            *status = HTTP_BAD_REQUEST;
            return NULL;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/*
 * A full shm store keeps serving and keeps the newest entries, but the
 * oldest revocations it pushed out no longer hold: say so, once per new
 * batch of evictions seen by this process.
 */
static void note_store_full(request_rec *r)
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
                      ajwt_store_shm_slots(store), request_id(r));
        evictions_seen = n;
    }
}

/* SetHandler jwt-revoke: POST token=, jti= with exp=, or sub=. */
static int handler_revoke(request_rec *r)
{
    const auth_jwt_dir_conf *c;
    const char *body, *answer;
    ajwt_revoke_req_t req;
    ajwt_revoke_bounds_t bounds_now = { leeway_max, lifetime_max };
    ajwt_err_t err = { 0 };
    ajwt_status_t st;
    apr_size_t len = 0;
    int json, status;

    if (!r->handler || strcmp(r->handler, HANDLER_REVOKE)) {
        return DECLINED;
    }
    if ((status = check_post(r, &json)) != DECLINED) {
        return status;
    }
    body = read_body(r, AJWT_REVOKE_MAX_BODY, &len, &status);
    if (!body) {
        return send_json(r, status, ajwt_revoke_error("invalid_request",
            status == HTTP_REQUEST_ENTITY_TOO_LARGE ? "body too large"
                                                    : "unreadable body",
            r->pool));
    }
    if ((st = ajwt_revoke_parse(&req, body, len, json, r->pool, &err))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70027)
                      "jwt-revoke: bad request: %s [id %s]", err.text,
                      request_id(r));
        return send_json(r, HTTP_BAD_REQUEST, ajwt_revoke_error(
            "invalid_request", err.text, r->pool));
    }
    if (!store_wanted) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70028)
                      "jwt-revoke: no AuthJWTRevocationStore is configured "
                      "[id %s]", request_id(r));
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "no revocation store", r->pool));
    }
    if (!store) {
        st = ajwt_err_set(&err, AJWT_ESTORE, "revocation store not "
                          "available in this process (%s)", store_missing_why
                          ? store_missing_why : "attach failed");
        log_refusal(r, st, &err);
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
        return send_json(r, HTTP_SERVICE_UNAVAILABLE, ajwt_revoke_error(
            "temporarily_unavailable", "the revocation store cannot be "
            "reached", r->pool));
    }
    c = ap_get_module_config(r->per_dir_config, &auth_jwt_module);
    if (req.kind == AJWT_REVOKE_TOKEN) {
        /* the token is checked as this location accepts tokens: its
         * static and fetched keys, its rules, and revocation */
        ajwt_claims_t *cl = NULL;
        const char *who = NULL;
        ajwt_err_t verr = { 0 };
        req.token_status = verify_claims(r, c, req.token, 0, &cl, &who,
                                         &verr);
        req.claims = cl;
        if (req.token_status == AJWT_ESTORE
            || req.token_status == AJWT_EFETCH) {
            log_refusal(r, req.token_status, &verr);
            apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
            return send_json(r, HTTP_SERVICE_UNAVAILABLE, ajwt_revoke_error(
                "temporarily_unavailable", "try again later", r->pool));
        }
        if (req.token_status != AJWT_OK) {
            err = verr;
        }
    }
    st = ajwt_revoke_run(&answer, &req, store, &bounds_now, r->request_time,
                         r->pool, &err);
    if (st == AJWT_ESTORE) {
        log_refusal(r, st, &err);
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
        return send_json(r, HTTP_SERVICE_UNAVAILABLE, answer);
    }
    if (st != AJWT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70029)
                      "jwt-revoke: token to revoke refused (%s): %s [id %s]",
                      ajwt_status_name(st), err.text, request_id(r));
        return send_json(r, HTTP_BAD_REQUEST, answer);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, APLOGNO(70030)
                  "jwt-revoke by %s: %s [id %s]", r->user ? r->user : "-",
                  answer, request_id(r));
    note_store_full(r);
    return send_json(r, HTTP_OK, answer);
}

/* ------------------------------------------------------------------ */
/* Issuing: jwt-login, jwt-refresh, jwt-logout, jwt-jwks               */

static int issuer_of(request_rec *r, const auth_jwt_dir_conf *c,
                     ajwt_issuer_t *is)
{
    if (!c->sign_key || !c->sign_key->algs) {
        return 0;
    }
    is->key = c->sign_key;
    is->alg = ajwt_alg_get((ajwt_alg_id_t)__builtin_ctz(c->sign_key->algs));
    is->iss = (c->issuers && c->issuers->nelts)
              ? APR_ARRAY_IDX(c->issuers, 0, const char *) : own_origin(r);
    is->aud = (c->audiences && c->audiences->nelts)
              ? APR_ARRAY_IDX(c->audiences, 0, const char *) : NULL;
    is->access_ttl = c->access_ttl == UNSET ? DEFAULT_ACCESS_TTL
                                            : c->access_ttl;
    is->refresh_ttl = c->refresh_ttl == UNSET ? DEFAULT_REFRESH_TTL
                                              : c->refresh_ttl;
    return 1;
}

static const char *access_cookie(const auth_jwt_dir_conf *c)
{
    return c->cookie ? c->cookie : DEFAULT_COOKIE;
}

static const char *refresh_cookie(const auth_jwt_dir_conf *c)
{
    return c->refresh_cookie ? c->refresh_cookie : DEFAULT_REFRESH_COOKIE;
}

static const char *refresh_path(const auth_jwt_dir_conf *c)
{
    return c->refresh_path ? c->refresh_path : DEFAULT_REFRESH_PATH;
}

static void set_cookie(request_rec *r, const char *name, const char *value,
                       const char *path, long max_age)
{
    const char *h = ajwt_web_set_cookie(name, value, path, max_age, r->pool);
    if (h) {
        /* err_headers_out: kept on redirects and error answers too */
        apr_table_addn(r->err_headers_out, "Set-Cookie", h);
    }
}

static void clear_cookies(request_rec *r, const auth_jwt_dir_conf *c)
{
    set_cookie(r, access_cookie(c), "", "/", 0);
    set_cookie(r, refresh_cookie(c), "", refresh_path(c), 0);
}

/*
 * A new access token and the refresh token of family fam at gen, both as
 * cookies; *access for the JSON answer.
 */
static ajwt_status_t issue_session(request_rec *r, const auth_jwt_dir_conf *c,
                                   const ajwt_issuer_t *is, const char *user,
                                   const char *fam, apr_int64_t gen,
                                   const char **access, ajwt_err_t *err)
{
    static const apr_array_header_t *none;
    apr_int64_t now = apr_time_sec(r->request_time);
    const apr_array_header_t *roles = c->roles ? ajwt_roles_of(c->roles, user)
                                               : none;
    const char *jti;
    char *at, *rt;
    ajwt_status_t st;

    if (!roles) {
        roles = none = apr_array_make(r->server->process->pool, 0,
                                      sizeof(const char *));
    }
    if ((st = ajwt_issue_access(&at, &jti, is, user, roles, fam, now,
                                r->pool, err))
        || (st = ajwt_issue_refresh(&rt, is, user, fam, gen, now, r->pool,
                                    err))) {
        return st;
    }
    set_cookie(r, access_cookie(c), at, "/", is->access_ttl);
    set_cookie(r, refresh_cookie(c), rt, refresh_path(c), is->refresh_ttl);
    *access = at;
    return AJWT_OK;
}

static const char *token_json(request_rec *r, const char *access,
                              const ajwt_issuer_t *is)
{
    return apr_psprintf(r->pool, "{\"access_token\":\"%s\",\"token_type\":"
                        "\"Bearer\",\"expires_in\":%d}", access,
                        is->access_ttl);
}

/* 303 to a checked local address (else "/"): never an open redirect. */
static int see_other(request_rec *r, const char *to)
{
    if (!to || !ajwt_web_return_ok(to)) {
        to = "/";
    }
    apr_table_setn(r->err_headers_out, "Location", to);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_SEE_OTHER;
}

/*
 * Requests to the login handlers that say they come from another site
 * are refused, and logged: a forged login, refresh or sign-out is an
 * attack an operator wants to see. Requests that say nothing (API
 * clients, which send no cookies by themselves) pass.
 */
static int cross_site(request_rec *r, const char *handler)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    if ((origin || site)
        && !ajwt_web_same_origin(origin, site, own_origin(r))) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70045)
                      "%s: cross-site request refused (Origin %s, "
                      "Sec-Fetch-Site %s) [id %s]", handler,
                      origin ? ap_escape_logitem(r->pool, origin) : "-",
                      site ? ap_escape_logitem(r->pool, site) : "-",
                      request_id(r));
        return 1;
    }
    return 0;
}

/*
 * What a real password check costs here (microseconds, a moving average
 * of this process's checks of existing users): an unknown user is made to
 * take as long, whatever hash the password file uses, so that the time of
 * a failure does not tell whether the account exists. Before any real
 * check, a bcrypt check of htpasswd's default cost stands in. Races on it
 * only blur an average.
 */
static apr_uint32_t check_cost_us;

/*
 * A hash of the same cost as the provider's, for an unknown user of the
 * "file" provider (AuthUserFile, the default): the first bcrypt (or other
 * crypt) hash of the file itself, so that checking the password of an
 * unknown user against it costs exactly what a wrong password of a real
 * user costs, in every process and from the very first request (no
 * measurement to wait for). mod_authn_file keeps AuthUserFile as the one
 * member of its per-directory record, as it has since httpd 2.1; the file
 * is read once per process per path and mtime.
 */
typedef struct { char *pwfile; } authn_file_conf_peek;

static char dummy_path[1024], dummy_hash[256];
static apr_time_t dummy_mtime;

static int file_dummy_hash(request_rec *r, char *out, apr_size_t outlen)
{
    module *m = ap_find_linked_module("mod_authn_file.c");
    const authn_file_conf_peek *fc;
    apr_finfo_t fi;
    ap_configfile_t *f;
    char line[MAX_STRING_LEN];
    int found = 0;

    if (!dummy_lock || !m
        || !(fc = ap_get_module_config(r->per_dir_config, m))
        || !fc->pwfile || strlen(fc->pwfile) >= sizeof(dummy_path)
        || apr_stat(&fi, fc->pwfile, APR_FINFO_MTIME, r->pool)
           != APR_SUCCESS) {
        return 0;
    }
    apr_thread_mutex_lock(dummy_lock);
    if (dummy_mtime == fi.mtime && !strcmp(dummy_path, fc->pwfile)) {
        found = dummy_hash[0] != '\0';
    }
    else if (ap_pcfg_openfile(&f, r->pool, fc->pwfile) == APR_SUCCESS) {
        dummy_hash[0] = '\0';
        while (!ap_cfg_getline(line, sizeof(line), f)) {
            const char *h = strchr(line, ':');
            if (line[0] == '#' || !h || strlen(h + 1) >= sizeof(dummy_hash)) {
                continue;
            }
            apr_cpystrn(dummy_hash, h + 1, sizeof(dummy_hash));
            break;
        }
        ap_cfg_closefile(f);
        apr_cpystrn(dummy_path, fc->pwfile, sizeof(dummy_path));
        dummy_mtime = fi.mtime;
        found = dummy_hash[0] != '\0';
    }
    if (found) {
        apr_cpystrn(out, dummy_hash, outlen);
    }
    apr_thread_mutex_unlock(dummy_lock);
    return found;
}

/*
 * The password, checked by the configured authn providers, as
 * mod_auth_form does. An unknown user costs as much as a known one.
 */
static authn_status check_password(request_rec *r, const auth_jwt_dir_conf *c,
                                   const char *user, const char *pass)
{
    authn_status res = AUTH_USER_NOT_FOUND;
    int i, n = c->login_providers ? c->login_providers->nelts : 1;
    apr_time_t start = apr_time_now(), spent;
    apr_uint32_t avg = apr_atomic_read32(&check_cost_us);
    for (i = 0; i < n; i++) {
        const char *name = c->login_providers
            ? APR_ARRAY_IDX(c->login_providers, i, const char *) : "file";
        const authn_provider *prov = ap_lookup_provider(AUTHN_PROVIDER_GROUP,
                                         name, AUTHN_PROVIDER_VERSION);
        if (!prov || !prov->check_password) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70044)
                          "jwt-login: no authn provider '%s' (is its module "
                          "loaded?) [id %s]", name, request_id(r));
            return AUTH_GENERAL_ERROR;
        }
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, name);
        res = prov->check_password(r, user, pass);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (res != AUTH_USER_NOT_FOUND) {
            break;
        }
    }
    spent = apr_time_now() - start;
    if (res == AUTH_GRANTED || res == AUTH_DENIED) {
        apr_atomic_set32(&check_cost_us, avg ? (apr_uint32_t)((avg * 7
                         + (apr_uint64_t)spent) / 8) : (apr_uint32_t)spent);
    }
    else if (res == AUTH_USER_NOT_FOUND) {
        char hash[sizeof(dummy_hash)];
        int file = 0;
        for (i = 0; i < n && !file; i++) {
            file = !strcmp(c->login_providers ? APR_ARRAY_IDX(
                c->login_providers, i, const char *) : "file", "file");
        }
        if (file && file_dummy_hash(r, hash, sizeof(hash))) {
            /* the cost of a wrong password, whatever the hash's cost */
            apr_password_validate(pass, hash);
        }
        else if (!avg) {
            apr_password_validate(pass, DUMMY_BCRYPT);
        }
        else if ((apr_time_t)avg > spent) {
            apr_sleep((apr_interval_time_t)avg - spent);
        }
    }
    return res;
}

/* A failed login: JSON for API clients, a page for forms whose link back
 * to the login page (with the address to return to) needs no script. */
static int login_failed(request_rec *r, const auth_jwt_dir_conf *c, int json,
                        const char *ret, int status, const char *code,
                        const char *text)
{
    const char *back = c->login_url ? c->login_url : "/";
    if (json) {
        return send_json(r, status, ajwt_revoke_error(code, text, r->pool));
    }
    if (ret && ajwt_web_return_ok(ret)) {
        back = apr_pstrcat(r->pool, back, strchr(back, '?') ? "&" : "?",
                           "return=", ap_escape_urlencoded(r->pool, ret),
                           NULL);
    }
    r->status = status;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rprintf(r, "<!DOCTYPE html><title>Login</title><p>%s</p>"
               "<p><a href=\"%s\">Back to the login page</a></p>\n",
               ap_escape_html(r->pool, text), ap_escape_html(r->pool, back));
    return OK;
}

static int handler_login(request_rec *r, const auth_jwt_dir_conf *c)
{
    const char *body, *user, *pass, *ret, *fam, *access;
    apr_int64_t now = apr_time_sec(r->request_time), retry = 0;
    ajwt_issuer_t is;
    ajwt_err_t err = { 0 };
    apr_size_t len = 0;
    int json, status;
    authn_status res;

    if ((status = check_post(r, &json)) != DECLINED) {
        return status;
    }
    if (cross_site(r, HANDLER_LOGIN)) {
        return login_failed(r, c, json, NULL, HTTP_FORBIDDEN,
                            "invalid_request", "cross-site request");
    }
    if (!(body = read_body(r, LOGIN_MAX_BODY, &len, &status))) {
        return login_failed(r, c, json, NULL, status, "invalid_request",
                            "unreadable or oversized body");
    }
    if (ajwt_web_login_parse(&user, &pass, &ret, body, len, json, r->pool,
                             &err)) {
        return login_failed(r, c, json, NULL, HTTP_BAD_REQUEST,
                            "invalid_request", err.text);
    }
    if (!issuer_of(r, c, &is) || !store) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70046)
                      "jwt-login: needs AuthJWTSignKey here and a "
                      "revocation store [id %s]", request_id(r));
        return login_failed(r, c, json, ret, HTTP_INTERNAL_SERVER_ERROR,
                            "server_error", "login is not configured");
    }
    if (c->lockout_attempts > 0
        && ajwt_lockout_check(store, user, r->useragent_ip,
                              c->lockout_attempts, now, &retry, &err)
           == AJWT_ELOCKED) {
        log_refusal(r, AJWT_ELOCKED, &err);
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    retry > 0 ? retry : 1));
        return login_failed(r, c, json, ret, HTTP_TOO_MANY_REQUESTS,
                            "too_many_attempts", "too many failed logins; "
                            "try again later");
    }
    res = check_password(r, c, user, pass);
    if (res == AUTH_GENERAL_ERROR) {
        return login_failed(r, c, json, ret, HTTP_INTERNAL_SERVER_ERROR,
                            "server_error", "login is not available");
    }
    if (res != AUTH_GRANTED) {
        if (c->lockout_attempts > 0) {
            ajwt_lockout_fail(store, user, r->useragent_ip,
                              c->lockout_window, now, NULL);
        }
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70047)
                      "jwt-login: failed login for user \"%s\" [id %s]",
                      ap_escape_logitem(r->pool, user), request_id(r));
        return login_failed(r, c, json, ret, HTTP_UNAUTHORIZED,
                            "invalid_grant", "wrong user name or password");
    }
    if (c->lockout_attempts > 0) {
        ajwt_lockout_clear(store, user, now, NULL);
    }
    fam = ajwt_issue_new_id(r->pool);
    if (ajwt_family_start(store, fam, now + is.refresh_ttl, now, &err)
        || issue_session(r, c, &is, user, fam, 1, &access, &err)) {
        log_refusal(r, err.status ? err.status : AJWT_EINTERNAL, &err);
        return login_failed(r, c, json, ret, outcome_of(err.status)->http,
                            "server_error", "login is not available");
    }
    r->user = (char *)user;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70048)
                  "jwt-login: user \"%s\" logged in [id %s]",
                  ap_escape_logitem(r->pool, user), request_id(r));
    return json ? send_json(r, HTTP_OK, token_json(r, access, &is))
                : see_other(r, ret);
}

static int refresh_failed(request_rec *r, const auth_jwt_dir_conf *c,
                          int browser, const char *ret)
{
    clear_cookies(r, c);
    if (browser && c->login_url) {
        return see_other(r, ret ? apr_pstrcat(r->pool, c->login_url,
            strchr(c->login_url, '?') ? "&" : "?", "return=",
            ap_escape_urlencoded(r->pool, ret), NULL) : c->login_url);
    }
    return send_json(r, HTTP_UNAUTHORIZED, ajwt_revoke_error(
        "invalid_grant", "no valid refresh token", r->pool));
}

/* A verified refresh token as claims for the revocation check. */
static const ajwt_claims_t *refresh_claims(const ajwt_refresh_t *rt,
                                           apr_pool_t *p)
{
    ajwt_claims_t *cl = apr_pcalloc(p, sizeof(*cl));
    cl->jti = rt->jti;
    cl->sub = rt->sub;
    cl->sid = rt->fam;
    cl->exp = rt->exp;
    cl->iat = rt->iat;
    cl->has_iat = 1;
    return cl;
}

static int handler_refresh(request_rec *r, const auth_jwt_dir_conf *c)
{
    apr_int64_t now = apr_time_sec(r->request_time), next = 0;
    int browser = r->method_number == M_GET, reuse = 0;
    int leeway = c->leeway == UNSET ? AJWT_DEFAULT_LEEWAY : c->leeway;
    const char *ret = ajwt_web_query(r->args, "return", r->pool);
    const char *token, *access;
    ajwt_refresh_t rt;
    ajwt_issuer_t is;
    ajwt_err_t err = { 0 };
    ajwt_status_t st;

    if (r->method_number != M_POST && !browser) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, POST");
        return send_json(r, HTTP_METHOD_NOT_ALLOWED, ajwt_revoke_error(
            "invalid_request", "use POST (or GET from a browser)", r->pool));
    }
    if (ret && !ajwt_web_return_ok(ret)) {
        ret = NULL;
    }
    if (!browser && cross_site(r, HANDLER_REFRESH)) {
        return send_json(r, HTTP_FORBIDDEN, ajwt_revoke_error(
            "invalid_request", "cross-site request", r->pool));
    }
    if (!issuer_of(r, c, &is) || !store) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70049)
                      "jwt-refresh: needs AuthJWTSignKey here and a "
                      "revocation store [id %s]", request_id(r));
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "refresh is not configured", r->pool));
    }
    token = ajwt_web_cookie(apr_table_get(r->headers_in, "Cookie"),
                            refresh_cookie(c), r->pool);
    if (!token) {
        return refresh_failed(r, c, browser, ret);
    }
    st = ajwt_issue_check_refresh(&rt, token, &is, leeway, now, r->pool,
                                  &err);
    if (st == AJWT_OK) {
        /* minting from a refresh token is accepting it: the same jti,
         * subject and family revocations as any token, always */
        st = check_revoked(r, c, refresh_claims(&rt, r->pool), 1, &err);
    }
    if (st == AJWT_OK) {
        st = ajwt_family_rotate(store, rt.fam, rt.gen, &next, &reuse,
                                now + is.refresh_ttl, now, &err);
    }
    if (st == AJWT_ESTORE) {
        log_refusal(r, st, &err);
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
        return send_json(r, HTTP_SERVICE_UNAVAILABLE, ajwt_revoke_error(
            "temporarily_unavailable", "try again later", r->pool));
    }
    if (reuse == AJWT_ROTATE_RACED) {
        /*
         * Another request with the same refresh cookie rotated it a
         * moment ago (ajwt_issue.h): its answer sets the new cookies, so
         * these are left alone; a browser goes back where it was going,
         * by then with the new access cookie. Info, not a warning: every
         * page whose parallel requests all carried an expired access
         * cookie has such losers.
         */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70053)
                      "jwt-refresh: refused, rotated a moment ago by a "
                      "concurrent request: %s [id %s]", err.text,
                      request_id(r));
        if (browser) {
            return see_other(r, ret);
        }
        return send_json(r, HTTP_UNAUTHORIZED, ajwt_revoke_error(
            "invalid_grant", "refresh token rotated by a concurrent request",
            r->pool));
    }
    if (reuse) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70050)
                      "jwt-refresh: reuse of an already rotated refresh "
                      "token (sub %s, jti %s): its whole family is revoked "
                      "[id %s]", ap_escape_logitem(r->pool, rt.sub),
                      ap_escape_logitem(r->pool, rt.jti), request_id(r));
        return refresh_failed(r, c, browser, ret);
    }
    if (st != AJWT_OK) {
        log_refusal(r, st, &err);
        return refresh_failed(r, c, browser, ret);
    }
    if (issue_session(r, c, &is, rt.sub, rt.fam, next, &access, &err)) {
        log_refusal(r, err.status, &err);
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "refresh is not available", r->pool));
    }
    r->user = (char *)rt.sub;
    return browser ? see_other(r, ret)
                   : send_json(r, HTTP_OK, token_json(r, access, &is));
}

/*
 * The optional body of jwt-logout: nothing, or scope=all (form or JSON)
 * to end every session of the user. *all set; AJWT_EMALFORMED for
 * anything else.
 */
static ajwt_status_t logout_scope(request_rec *r, int *all, ajwt_err_t *err)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    const char *body, *scope = NULL;
    apr_size_t len = 0;
    int status, json;

    *all = 0;
    if (!type && !apr_table_get(r->headers_in, "Content-Length")
        && !apr_table_get(r->headers_in, "Transfer-Encoding")) {
        return AJWT_OK;
    }
    if (!(body = read_body(r, LOGIN_MAX_BODY, &len, &status))) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "unreadable or oversized "
                            "body");
    }
    if (len == 0) {
        return AJWT_OK;
    }
    json = type && !strncasecmp(type, "application/json", 16);
    if (json) {
        json_t *obj, *v;
        const char *name;
        if (ajwt_json_parse_object(&obj, body, len, "body", r->pool, err)) {
            return AJWT_EMALFORMED;
        }
        json_object_foreach(obj, name, v) {
            if (strcmp(name, "scope") || !json_is_string(v)) {
                return ajwt_err_set(err, AJWT_EMALFORMED, "only a string "
                                    "field scope is allowed");
            }
            scope = json_string_value(v);
        }
    }
    else if (type && !strncasecmp(type, "application/x-www-form-urlencoded",
                                  33)) {
        if (strncmp(body, "scope=", 6) || strchr(body, '&')) {
            return ajwt_err_set(err, AJWT_EMALFORMED, "only a field scope "
                                "is allowed");
        }
        scope = ajwt_web_query(body, "scope", r->pool);
    }
    else {
        return ajwt_err_set(err, AJWT_EMALFORMED, "send a form or JSON");
    }
    if (scope && !strcmp(scope, "all")) {
        *all = 1;
    }
    else if (scope && *scope && strcmp(scope, "session")) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "scope must be all or "
                            "session");
    }
    return AJWT_OK;
}

/*
 * jwt-logout: revoke the refresh family (from the refresh cookie, or the
 * access token's sid) and the access token, or with scope=all every
 * token of the user (a subject revocation, on every server sharing the
 * store). The answer says it worked only once every write did: a store
 * that fails gets 503 with the cookies kept, so the client can try again
 * and the user knows the session is not over.
 */
static int handler_logout(request_rec *r, const auth_jwt_dir_conf *c)
{
    apr_int64_t now = apr_time_sec(r->request_time);
    int leeway = c->leeway == UNSET ? AJWT_DEFAULT_LEEWAY : c->leeway;
    const char *cookies = apr_table_get(r->headers_in, "Cookie");
    const char *token, *who = NULL, *sub = NULL;
    token_from_t from;
    ajwt_issuer_t is;
    ajwt_refresh_t rt;
    ajwt_claims_t *cl = NULL;
    ajwt_err_t err = { 0 }, werr = { 0 };
    ajwt_status_t st = AJWT_OK, vst;
    int all = 0, have_rt = 0;

    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return send_json(r, HTTP_METHOD_NOT_ALLOWED, ajwt_revoke_error(
            "invalid_request", "use POST", r->pool));
    }
    if (cross_site(r, HANDLER_LOGOUT)) {
        return send_json(r, HTTP_FORBIDDEN, ajwt_revoke_error(
            "invalid_request", "cross-site request", r->pool));
    }
    if (!issuer_of(r, c, &is) || !store_wanted) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70051)
                      "jwt-logout: needs AuthJWTSignKey here and a "
                      "revocation store [id %s]", request_id(r));
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "logout is not configured", r->pool));
    }
    if (logout_scope(r, &all, &err) != AJWT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70067)
                      "jwt-logout: bad request: %s [id %s]", err.text,
                      request_id(r));
        return send_json(r, HTTP_BAD_REQUEST, ajwt_revoke_error(
            "invalid_request", err.text, r->pool));
    }
    token = ajwt_web_cookie(cookies, refresh_cookie(c), r->pool);
    if (token && !ajwt_issue_check_refresh(&rt, token, &is, leeway, now,
                                           r->pool, NULL)) {
        have_rt = 1;
        sub = rt.sub;
    }
    token = find_token(r, c, &from);
    if (!token) {
        token = ajwt_web_cookie(cookies, access_cookie(c), r->pool);
    }
    if (token) {
        /* the location's one verification path (static and fetched keys);
         * a token already revoked has nothing more to revoke */
        vst = verify_claims(r, c, token, 1, &cl, &who, &err);
        if (vst == AJWT_ESTORE || vst == AJWT_EFETCH) {
            /* whether the token is good is unknown (the store or the
             * keys are away): its session cannot be said ended */
            st = ajwt_err_set(&werr, vst, "%s", err.text);
        }
        if (vst != AJWT_OK) {
            cl = NULL;
        }
        else {
            sub = cl->sub;
        }
    }
    if (all && !sub && !st) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70068)
                      "jwt-logout scope=all without a valid token: nothing "
                      "revoked [id %s]", request_id(r));
        note_bearer(r, "invalid_token");
        return send_json(r, HTTP_UNAUTHORIZED, ajwt_revoke_error(
            "invalid_token", "log in to log out everywhere", r->pool));
    }
    if (!st && !store) {
        st = ajwt_err_set(&werr, AJWT_ESTORE, "revocation store not "
                          "available in this process (%s)",
                          store_missing_why ? store_missing_why
                                            : "attach failed");
    }
    if (!st && have_rt) {
        st = ajwt_family_revoke(store, rt.fam, rt.exp + leeway_max, now,
                                &werr);
    }
    if (!st && cl && cl->sid) {
        /* the refresh cookie is scoped to the refresh path and may not
         * reach us: the access token names its session (sid) too */
        st = ajwt_family_revoke(store, cl->sid, now + (is.refresh_ttl > 0
                                ? is.refresh_ttl : 0) + leeway_max, now,
                                &werr);
    }
    if (!st && cl && cl->jti) {
        st = ajwt_store_revoke_jti(store, cl->jti, cl->exp, leeway_max, now,
                                   &werr);
    }
    if (!st && all) {
        st = ajwt_store_revoke_sub(store, sub, lifetime_max, leeway_max, now,
                                   &werr);
    }
    if (st != AJWT_OK) {
        /* nothing is said done that was not: the cookies stay */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, werr.rv, r, APLOGNO(70069)
                      "jwt-logout%s of %s failed, the session is NOT ended: "
                      "%s [id %s]", all ? " scope=all" : "",
                      sub ? ap_escape_logitem(r->pool, sub) : "-", werr.text,
                      request_id(r));
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
        return send_json(r, HTTP_SERVICE_UNAVAILABLE, ajwt_revoke_error(
            "temporarily_unavailable", "logout could not be recorded; you "
            "are still logged in: try again", r->pool));
    }
    if (sub) {
        r->user = (char *)sub;
    }
    note_store_full(r);
    clear_cookies(r, c);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70052)
                  "jwt-logout: %s logged out%s [id %s]",
                  r->user ? ap_escape_logitem(r->pool, r->user) : "-",
                  all ? " everywhere (scope=all)" : "", request_id(r));
    if (wants_html(r)) {
        return see_other(r, c->login_url ? c->login_url : "/");
    }
    return send_json(r, HTTP_OK, all ? "{\"logged_out\":true,\"scope\":"
                     "\"all\"}" : "{\"logged_out\":true}");
}

static int handler_jwks(request_rec *r, const auth_jwt_dir_conf *c)
{
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return HTTP_METHOD_NOT_ALLOWED;
    }
    r->status = HTTP_OK;
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    ap_set_content_type(r, "application/jwk-set+json");
    ap_rputs(ajwt_keys_public_jwks(c->keys ? (const ajwt_key_t *const *)
                                   c->keys->keys->elts : NULL,
                                   c->keys ? c->keys->keys->nelts : 0,
                                   r->pool), r);
    ap_rputc('\n', r);
    return OK;
}

static int handler_issue(request_rec *r)
{
    const auth_jwt_dir_conf *c;
    if (!r->handler || strncmp(r->handler, "jwt-", 4)) {
        return DECLINED;
    }
    c = ap_get_module_config(r->per_dir_config, &auth_jwt_module);
    if (!strcmp(r->handler, HANDLER_LOGIN)) {
        return handler_login(r, c);
    }
    if (!strcmp(r->handler, HANDLER_REFRESH)) {
        return handler_refresh(r, c);
    }
    if (!strcmp(r->handler, HANDLER_LOGOUT)) {
        return handler_logout(r, c);
    }
    if (!strcmp(r->handler, HANDLER_JWKS)) {
        return handler_jwks(r, c);
    }
    return DECLINED;
}

/* ------------------------------------------------------------------ */
/* Authorization: Require jwt-role / jwt-claim / jwt-scope / valid-jwt */

static const char *authz_words_parse(cmd_parms *cmd, const char *line,
                                     const void **parsed, int with_path)
{
    require_words *w = apr_pcalloc(cmd->pool, sizeof(*w));
    const char *word;
    w->words = apr_array_make(cmd->pool, 4, sizeof(const char *));
    while (*line && (word = ap_getword_conf(cmd->pool, &line)) && *word) {
        if (with_path && !w->path) {
            w->path = word;
        }
        else {
            APR_ARRAY_PUSH(w->words, const char *) = word;
        }
    }
    if (!w->words->nelts) {
        return apr_psprintf(cmd->pool, "Require %s: needs %s",
                            (const char *)cmd->info, with_path
                            ? "a claim path and at least one value"
                            : "at least one value");
    }
    *parsed = w;
    return NULL;
}

static const char *authz_role_parse(cmd_parms *cmd, const char *line,
                                    const void **parsed)
{
    cmd->info = "jwt-role";
    return authz_words_parse(cmd, line, parsed, 0);
}

static const char *authz_scope_parse(cmd_parms *cmd, const char *line,
                                     const void **parsed)
{
    cmd->info = "jwt-scope";
    return authz_words_parse(cmd, line, parsed, 0);
}

static const char *authz_claim_parse(cmd_parms *cmd, const char *line,
                                     const void **parsed)
{
    cmd->info = "jwt-claim";
    return authz_words_parse(cmd, line, parsed, 1);
}

static const char *authz_valid_parse(cmd_parms *cmd, const char *line,
                                     const void **parsed)
{
    if (*line) {
        return "Require valid-jwt: takes no arguments";
    }
    return NULL;
}

typedef int (*word_test)(const ajwt_claims_t *cl, const char *path,
                         const char *word);

static int scope_test(const ajwt_claims_t *cl, const char *path,
                      const char *word)
{
    return ajwt_claims_has_scope(cl, word);
}

/* The common shape of our Require checks. */
static authz_status authz_words_check(request_rec *r, const char *what,
                                      const require_words *w,
                                      const char *path, word_test test)
{
    const auth_jwt_rec *rec = find_rec(r);
    int i;
    if (!rec) {
        /* no token verified (yet): let authn run and answer 401 */
        return r->user ? AUTHZ_DENIED : AUTHZ_DENIED_NO_USER;
    }
    for (i = 0; i < w->words->nelts; i++) {
        if (test(rec->claims, path, APR_ARRAY_IDX(w->words, i,
                                                  const char *))) {
            return AUTHZ_GRANTED;
        }
    }
    apr_table_setn(r->notes, NOTE_DENIED, "1");
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, APLOGNO(70021)
                  "Require %s: user %s does not qualify [id %s]", what,
                  r->user, request_id(r));
    return AUTHZ_DENIED;
}

static authz_status authz_role_check(request_rec *r, const char *line,
                                     const void *parsed)
{
    const auth_jwt_rec *rec = find_rec(r);
    const char *path = (rec && rec->conf->role_claim) ? rec->conf->role_claim
                                                      : "roles";
    return authz_words_check(r, "jwt-role", parsed, path,
                             ajwt_claims_has_word);
}

static authz_status authz_claim_check(request_rec *r, const char *line,
                                      const void *parsed)
{
    const require_words *w = parsed;
    return authz_words_check(r, "jwt-claim", w, w->path, ajwt_claims_equals);
}

static authz_status authz_scope_check(request_rec *r, const char *line,
                                      const void *parsed)
{
    return authz_words_check(r, "jwt-scope", parsed, NULL, scope_test);
}

static authz_status authz_valid_check(request_rec *r, const char *line,
                                      const void *parsed)
{
    if (find_rec(r)) {
        return AUTHZ_GRANTED;
    }
    return r->user ? AUTHZ_DENIED : AUTHZ_DENIED_NO_USER;
}

static const authn_provider authn_jwt_provider = {
    &authn_jwt_check_password,
    NULL
};

static const authz_provider authz_role_provider = {
    &authz_role_check, &authz_role_parse
};
static const authz_provider authz_claim_provider = {
    &authz_claim_check, &authz_claim_parse
};
static const authz_provider authz_scope_provider = {
    &authz_scope_check, &authz_scope_parse
};
static const authz_provider authz_valid_provider = {
    &authz_valid_check, &authz_valid_parse
};

static void register_hooks(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "jwt",
                              AUTHN_PROVIDER_VERSION, &authn_jwt_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jwt-role",
                              AUTHZ_PROVIDER_VERSION, &authz_role_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jwt-claim",
                              AUTHZ_PROVIDER_VERSION, &authz_claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jwt-scope",
                              AUTHZ_PROVIDER_VERSION, &authz_scope_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "valid-jwt",
                              AUTHZ_PROVIDER_VERSION, &authz_valid_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authn(hook_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(hook_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(hook_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_fixups(hook_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_pre_config(hook_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(hook_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(hook_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(hook_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler_revoke, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler_issue, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(auth_jwt) = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,
    merge_dir_conf,
    create_srv_conf,
    NULL,
    auth_jwt_cmds,
    register_hooks
};
