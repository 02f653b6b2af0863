/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_config.c: the configuration. Creates and merges the dir
 * and server records, parses every AuthJWT* directive (keys are loaded
 * here, once, at configuration time), applies defaults on read, and
 * checks in check_config the rules that involve several directives.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_uri.h"
#include "apr_network_io.h"

#include <errno.h>
#include <limits.h>

#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_cache.h"
#include "ajwt_issue.h"
#include "ajwt_json.h"
#include "ajwt_jwks.h"
#include "ajwt_key.h"
#include "ajwt_roles.h"
#include "ajwt_store.h"
#include "ajwt_web.h"

#include "mod_auth_jwt.h"

#define MAX_LEEWAY 86400
#define MIN_TOKEN_SIZE 256
#define MAX_TOKEN_SIZE (1024 * 1024)
#define DEFAULT_COOKIE "jwt"
#define DEFAULT_REFRESH_COOKIE "jwt_refresh"
#define DEFAULT_REFRESH_PATH "/auth/refresh"
#define DEFAULT_MAX_LIFETIME (30 * 86400)   /* AuthJWTMaxTokenLifetime */

static int issuing_used;                /* an AuthJWTSignKey was seen */

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
/* "server resource" -> array of scopes (auth_jwt_config_scopes), pconf */
static apr_hash_t *scope_index;

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

void *auth_jwt_config_create_dir(apr_pool_t *p, char *dir)
{
    auth_jwt_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    c->leeway = UNSET;
    c->max_age = UNSET;
    c->max_size = UNSET;
    c->claims_env = UNSET;
    c->revocation = UNSET;
    c->revocation_failure = UNSET;
    c->cors_preflight = UNSET;
    c->access_ttl = UNSET;
    c->refresh_ttl = UNSET;
    c->lockout_attempts = UNSET;
    c->lockout_window = UNSET;
    c->dpop = UNSET;
    c->dpop_window = UNSET;
    c->dpop_nonce_off = UNSET;
    c->mtls = UNSET;
    c->token_type = UNSET;
    c->profile = UNSET;
    return c;
}

#define MERGE_PTR(f) c->f = add->f ? add->f : base->f
#define MERGE_INT(f) c->f = (add->f != UNSET) ? add->f : base->f

void *auth_jwt_config_merge_dir(apr_pool_t *p, void *basev, void *addv)
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
    MERGE_INT(cors_preflight);
    MERGE_PTR(jwks);
    MERGE_PTR(jwks_ca);
    MERGE_PTR(sign_key);
    MERGE_PTR(retired_keys);
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
    MERGE_INT(dpop);
    c->dpop_algs = add->dpop_algs ? add->dpop_algs : base->dpop_algs;
    MERGE_INT(dpop_window);
    /* a secret and Off given in one section: the later line wins there */
    if (add->dpop_nonce || add->dpop_nonce_off != UNSET) {
        c->dpop_nonce = add->dpop_nonce;
        c->dpop_nonce_len = add->dpop_nonce_len;
        c->dpop_nonce_off = add->dpop_nonce_off;
    }
    else {
        c->dpop_nonce = base->dpop_nonce;
        c->dpop_nonce_len = base->dpop_nonce_len;
        c->dpop_nonce_off = base->dpop_nonce_off;
    }
    MERGE_PTR(public_url);
    MERGE_INT(mtls);
    MERGE_PTR(cert_header);
    MERGE_PTR(trusted_proxies);
    MERGE_INT(token_type);
    MERGE_PTR(resource);
    MERGE_PTR(resource_metadata_url);
    MERGE_INT(profile);
    /* as httpd's Require lines (AuthMerging Off): a section's replace */
    MERGE_PTR(scopes);
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

static ajwt_status_t load_key_file(ajwt_keyset_t **ks, const char *path,
                                   const char *kid, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    return ajwt_keyset_add_file(ks, path, kid, p, err);
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
    if (load == load_key_file) {
        int i;
        for (i = before; i < ajwt_keyset_count(c->keys); i++) {
            const ajwt_key_t *k = APR_ARRAY_IDX(c->keys->keys, i,
                                                ajwt_key_t *);
            if (k->pkey && k->has_private) {
                /* verification needs the public half only; a private key
                 * here is most likely meant for AuthJWTSignKey, and
                 * copying it to every verifier spreads a signing secret */
                return apr_psprintf(cmd->pool, "%s: %s holds a private "
                                    "key; give its public key (or the "
                                    "certificate) here, the private key "
                                    "belongs to AuthJWTSignKey",
                                    cmd->cmd->name, k->source);
            }
        }
    }
    return check_keys_fit(cmd, c, before);
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

/* The mask of an algorithm list (at least one name; none is "none");
 * no_secret: shared-secret algorithms refused too (DPoP proofs). */
static const char *parse_algs(cmd_parms *cmd, int argc, char *const argv[],
                              int no_secret, unsigned *out)
{
    ajwt_err_t err = { 0 };
    unsigned mask = 0;
    int i;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: name at least one algorithm",
                            cmd->cmd->name);
    }
    for (i = 0; i < argc; i++) {
        const ajwt_alg_t *a = ajwt_alg_find(argv[i]);
        if (no_secret && a && a->kty == AJWT_KTY_OCT) {
            return apr_psprintf(cmd->pool, "%s: %s is a shared-secret "
                                "algorithm; DPoP proofs are signed with the "
                                "client's own key (use ES256, PS256, "
                                "EdDSA...)", cmd->cmd->name, argv[i]);
        }
        if (ajwt_alg_mask_add(&mask, argv[i], &err) != AJWT_OK) {
            return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name,
                                err.text);
        }
    }
    *out = mask;
    return NULL;
}

static const char *cmd_algorithms(cmd_parms *cmd, void *dconf, int argc,
                                  char *const argv[])
{
    auth_jwt_dir_conf *c = dconf;
    const char *why = parse_algs(cmd, argc, argv, 0, &c->algs);
    return why ? why : check_keys_fit(cmd, c, 0);
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

void *auth_jwt_config_create_srv(apr_pool_t *p, server_rec *s)
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
        /* timeouts and retry: the core's defaults (AJWT_STORE_*) */
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
        /* timeouts and retry: the core's defaults (AJWT_STORE_*) */
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

/* A per-directory choice between two words: the first sets 0, the
 * second 1 (AuthJWTRevocationFailure deny|allow, AuthJWTCORSPreflight
 * pass|auth). cmd->info names the field and the words. */
typedef struct {
    apr_size_t field;           /* APR_OFFSETOF in auth_jwt_dir_conf */
    const char *word0, *word1;
} two_words;

static const two_words failure_words = {
    APR_OFFSETOF(auth_jwt_dir_conf, revocation_failure), "deny", "allow"
};
static const two_words preflight_words = {
    APR_OFFSETOF(auth_jwt_dir_conf, cors_preflight), "pass", "auth"
};

static const two_words dpop_words = {
    APR_OFFSETOF(auth_jwt_dir_conf, dpop), "Optional", "Required"
};
static const two_words mtls_words = {
    APR_OFFSETOF(auth_jwt_dir_conf, mtls), "Optional", "Required"
};
static const two_words token_type_words = {
    APR_OFFSETOF(auth_jwt_dir_conf, token_type), "any", "at+jwt"
};

static const char *cmd_two_words(cmd_parms *cmd, void *dconf,
                                 const char *arg)
{
    const two_words *w = cmd->info;
    int *field = (int *)((char *)dconf + w->field);
    if (!strcasecmp(arg, w->word0)) {
        *field = 0;
    }
    else if (!strcasecmp(arg, w->word1)) {
        *field = 1;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither %s nor %s",
                            cmd->cmd->name, arg, w->word0, w->word1);
    }
    return NULL;
}

/* Every key URL of this reading of the configuration (see jwks_source in
 * mod_auth_jwt.h): made into shared regions by mod_auth_jwt_shared.c. */
static apr_array_header_t *jwks_sources;    /* of jwks_source *, pconf */

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
        js->name = apr_pstrcat(cmd->pool, cmd->cmd->name, " ", url, NULL);
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

/* PATH, file:PATH (both relative to ServerRoot) or env:NAME, from
 * cmd->pool; NULL for an invalid path */
static const char *key_source(cmd_parms *cmd, const char *src)
{
    if (strncmp(src, "env:", 4)) {
        int file = !strncmp(src, "file:", 5);
        const char *full = ap_server_root_relative(cmd->temp_pool,
                                                   file ? src + 5 : src);
        if (!full) {
            return NULL;
        }
        src = apr_pstrcat(cmd->pool, file ? "file:" : "", full, NULL);
    }
    return src;
}

/* One verifying key into the section's keys (pub lives on cmd->pool). */
static const char *accept_key(cmd_parms *cmd, auth_jwt_dir_conf *c,
                              ajwt_key_t *pub)
{
    ajwt_err_t err = { 0 };
    ajwt_keyset_t one;
    one.keys = apr_array_make(cmd->temp_pool, 1, sizeof(ajwt_key_t *));
    APR_ARRAY_PUSH(one.keys, ajwt_key_t *) = pub;
    one.algs = pub->algs;
    one.id = 0;
    if (ajwt_keyset_add_keys(&c->keys, &one, cmd->pool, &err)) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    return NULL;
}

/* The retired key of this section with kid, or NULL. */
static const ajwt_key_t *retired_with_kid(const auth_jwt_dir_conf *c,
                                          const char *kid)
{
    int i;
    for (i = 0; kid && c->retired_keys && i < c->retired_keys->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(c->retired_keys, i,
                                            const ajwt_key_t *);
        if (!strcmp(k->kid, kid)) {
            return k;
        }
    }
    return NULL;
}

/* AuthJWTSignKey PATH|file:PATH|env:NAME ALG [kid] */
static const char *cmd_sign_key(cmd_parms *cmd, void *dconf, int argc,
                                char *const argv[])
{
    auth_jwt_dir_conf *c = dconf;
    ajwt_err_t err = { 0 };
    ajwt_key_t *k, *pub;
    const char *src, *why = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);

    if (why) {
        return why;
    }
    if (argc < 2 || argc > 3) {
        return apr_psprintf(cmd->pool, "%s: takes a key (PATH, file:PATH or "
                            "env:NAME), an algorithm and an optional kid",
                            cmd->cmd->name);
    }
    if (!(src = key_source(cmd, argv[0]))) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, argv[0]);
    }
    if (ajwt_key_load_signing(&k, src, argv[1], argc > 2 ? argv[2] : NULL,
                              cmd->pool, &err)
        || ajwt_key_public(&pub, k, cmd->pool, &err)) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    if (retired_with_kid(c, k->kid)) {
        return apr_psprintf(cmd->pool, "%s: kid '%s' is also an "
                            "AuthJWTRetiredSignKey's here; a new signing key "
                            "needs a new kid", cmd->cmd->name, k->kid);
    }
    /* what this section issues, it also accepts */
    if ((why = accept_key(cmd, c, pub))) {
        return why;
    }
    c->sign_key = k;
    issuing_used = 1;
    return NULL;
}

/*
 * AuthJWTRetiredSignKey PATH|file:PATH|env:NAME ALG KID: a key that
 * signed here before. It never signs; it verifies the refresh tokens
 * (picked by their kid, ajwt_issue_check_refresh) and access tokens it
 * signed, and jwt-jwks publishes its public half, until the line is
 * removed (AuthJWTRefreshTTL after the switch: docs/runbooks.md).
 */
static const char *cmd_retired_sign_key(cmd_parms *cmd, void *dconf,
                                        const char *path, const char *alg,
                                        const char *kid)
{
    auth_jwt_dir_conf *c = dconf;
    ajwt_err_t err = { 0 };
    ajwt_key_t *k;
    const char *src, *why = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);

    if (why) {
        return why;
    }
    if (!(src = key_source(cmd, path))) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, path);
    }
    if (ajwt_key_load_retired(&k, src, alg, kid, cmd->pool, &err)) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    if (c->sign_key && c->sign_key->kid && !strcmp(c->sign_key->kid, kid)) {
        return apr_psprintf(cmd->pool, "%s: kid '%s' is the AuthJWTSignKey's "
                            "here; a retired key keeps the kid it signed "
                            "with, and the new signing key takes another",
                            cmd->cmd->name, kid);
    }
    if (retired_with_kid(c, kid)) {
        return apr_psprintf(cmd->pool, "%s: kid '%s' given twice",
                            cmd->cmd->name, kid);
    }
    if ((why = accept_key(cmd, c, k))) {
        return why;
    }
    if (!c->retired_keys) {
        c->retired_keys = apr_array_make(cmd->pool, 2, sizeof(ajwt_key_t *));
    }
    APR_ARRAY_PUSH(c->retired_keys, ajwt_key_t *) = k;
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

/* ------------------------------------------------------------------ */
/* Sender-constrained tokens (DPoP, mTLS), resource metadata           */

#define DPOP_NONCE_MIN 32               /* bytes of an AuthJWTDPoPNonce */
#define DPOP_WINDOW_MAX 3600

/* AuthJWTDPoPAlgorithms: asymmetric algorithms only; a proof is signed
 * by a key the client holds, so a shared secret makes no sense. */
static const char *cmd_dpop_algs(cmd_parms *cmd, void *dconf, int argc,
                                 char *const argv[])
{
    auth_jwt_dir_conf *c = dconf;
    return parse_algs(cmd, argc, argv, 1, &c->dpop_algs);
}

static const char *cmd_dpop_window(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    return parse_int(cmd, arg, 1, DPOP_WINDOW_MAX,
                                       &c->dpop_window);
}

/* AuthJWTDPoPNonce Off|file:PATH|env:NAME: read once, here. */
static const char *cmd_dpop_nonce(cmd_parms *cmd, void *dconf,
                                  const char *src)
{
    auth_jwt_dir_conf *c = dconf;
    ajwt_err_t err = { 0 };
    const char *secret;
    apr_size_t len;
    if (!strcasecmp(src, "Off")) {
        c->dpop_nonce = NULL;
        c->dpop_nonce_len = 0;
        c->dpop_nonce_off = 1;
        return NULL;
    }
    if (!strncmp(src, "file:", 5)) {
        const char *full = ap_server_root_relative(cmd->temp_pool, src + 5);
        if (!full) {
            return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                                cmd->cmd->name, src + 5);
        }
        src = apr_pstrcat(cmd->temp_pool, "file:", full, NULL);
    }
    if (ajwt_secret_read(&secret, &len, src, cmd->pool, &err) != AJWT_OK) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    if (len < DPOP_NONCE_MIN) {
        return apr_psprintf(cmd->pool, "%s: the secret is %" APR_SIZE_T_FMT
                            " bytes; at least %d are needed",
                            cmd->cmd->name, len, DPOP_NONCE_MIN);
    }
    c->dpop_nonce = secret;
    c->dpop_nonce_len = len;
    c->dpop_nonce_off = 0;
    return NULL;
}

/* An absolute http(s) URL; with origin_only, scheme://host[:port] and
 * nothing after it (a trailing "/" is dropped). */
static const char *parse_url(cmd_parms *cmd, const char *arg,
                             int origin_only, const char **out)
{
    apr_uri_t u;
    if (apr_uri_parse(cmd->temp_pool, arg, &u) != APR_SUCCESS || !u.scheme
        || (strcasecmp(u.scheme, "https") && strcasecmp(u.scheme, "http"))
        || !u.hostname || !*u.hostname || u.user || u.password
        || u.fragment || ajwt_json_has_ctl(arg) || strchr(arg, ' ')) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an absolute http or "
                            "https URL", cmd->cmd->name, arg);
    }
    if (origin_only) {
        if (u.query || (u.path && *u.path && strcmp(u.path, "/"))) {
            return apr_psprintf(cmd->pool, "%s: '%s' must be "
                                "scheme://host[:port] only, without a path",
                                cmd->cmd->name, arg);
        }
        *out = apr_pstrndup(cmd->pool, arg, strlen(arg)
                            - (u.path && !strcmp(u.path, "/") ? 1 : 0));
        return NULL;
    }
    *out = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *cmd_public_url(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    return parse_url(cmd, arg, 1, &c->public_url);
}

static const char *cmd_metadata_url(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    if (strchr(arg, '"') || strchr(arg, '\\')) {
        return apr_psprintf(cmd->pool, "%s: '%s' may not contain a quote or "
                            "a backslash", cmd->cmd->name, arg);
    }
    return parse_url(cmd, arg, 0,
                                       &c->resource_metadata_url);
}

/* AuthJWTResource: an absolute URI (RFC 8707 2: no fragment). */
static const char *cmd_resource(cmd_parms *cmd, void *dconf,
                                const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    apr_uri_t u;
    if (apr_uri_parse(cmd->temp_pool, arg, &u) != APR_SUCCESS || !u.scheme
        || u.fragment || ajwt_json_has_ctl(arg) || strchr(arg, ' ')) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an absolute URI "
                            "without a fragment", cmd->cmd->name, arg);
    }
    c->resource = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* AuthJWTClientCertHeader: a header name (RFC 9110 token). */
static const char *cmd_cert_header(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    const char *s;
    for (s = arg; *s; s++) {
        if (!apr_isalnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s)) {
            break;
        }
    }
    if (!*arg || *s) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a header name",
                            cmd->cmd->name, arg);
    }
    c->cert_header = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* AuthJWTTrustedProxy CIDR...: addresses (a.b.c.d, a.b.c.d/n, IPv6) whose
 * AuthJWTClientCertHeader is believed. */
static const char *cmd_trusted_proxy(cmd_parms *cmd, void *dconf, int argc,
                                     char *const argv[])
{
    auth_jwt_dir_conf *c = dconf;
    int i;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: name at least one address",
                            cmd->cmd->name);
    }
    c->trusted_proxies = apr_array_make(cmd->pool, argc,
                                        sizeof(apr_ipsubnet_t *));
    for (i = 0; i < argc; i++) {
        char *ip = apr_pstrdup(cmd->temp_pool, argv[i]);
        char *mask = strchr(ip, '/');
        apr_ipsubnet_t *sn;
        if (mask) {
            *mask++ = '\0';
        }
        if (apr_ipsubnet_create(&sn, ip, mask, cmd->pool) != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not an IP address "
                                "or CIDR range", cmd->cmd->name, argv[i]);
        }
        APR_ARRAY_PUSH(c->trusted_proxies, apr_ipsubnet_t *) = sn;
    }
    return NULL;
}

static const char *cmd_profile(cmd_parms *cmd, void *dconf, const char *arg)
{
    auth_jwt_dir_conf *c = dconf;
    if (!strcasecmp(arg, "fapi2")) {
        c->profile = PROFILE_FAPI2;
    }
    else if (!strcasecmp(arg, "none")) {
        c->profile = PROFILE_NONE;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a profile (fapi2 or "
                            "none)", cmd->cmd->name, arg);
    }
    return NULL;
}

/* Require jwt-scope in a section: its words, for its RFC 9728 metadata.
 * "Require not jwt-scope" names scopes that are refused: not kept. */
void auth_jwt_config_note_scopes(cmd_parms *cmd,
                                 const apr_array_header_t *words)
{
    auth_jwt_dir_conf *c;
    const char *args = (cmd->directive && cmd->directive->args)
                       ? cmd->directive->args : "";
    if (!cmd->context
        || !strcasecmp(ap_getword_conf(cmd->temp_pool, &args), "not")) {
        return;
    }
    /* httpd makes our record of a section at its first AuthJWT* line:
     * a section with only Require lines has none yet */
    if (!(c = ap_get_module_config(cmd->context, &auth_jwt_module))) {
        c = auth_jwt_config_create_dir(cmd->pool, cmd->path);
        ap_set_module_config(cmd->context, &auth_jwt_module, c);
    }
    if (!c->scopes) {
        c->scopes = apr_array_make(cmd->pool, words->nelts,
                                   sizeof(const char *));
    }
    apr_array_cat(c->scopes, words);
}

/* Where most directives go: sections, .htaccess (AllowOverride AuthConfig)
 * and the server level, whose settings every section inherits. */
#define AUTHCFG (OR_AUTHCFG | RSRC_CONF)

const command_rec auth_jwt_config_cmds[] = {
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
    AP_INIT_TAKE3("AuthJWTRetiredSignKey", cmd_retired_sign_key, NULL,
        RSRC_CONF | ACCESS_CONF,
        "a key that signed before (PATH to its PEM private or public key, "
        "or file:PATH / env:NAME for an HMAC secret), its algorithm and its "
        "kid: it verifies what it signed, refresh tokens too, and never "
        "signs"),
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
    AP_INIT_TAKE1("AuthJWTRevocationFailure", cmd_two_words,
        (void *)&failure_words, AUTHCFG,
        "store unreachable: deny (503, default) or allow"),
    AP_INIT_TAKE1("AuthJWTCORSPreflight", cmd_two_words,
        (void *)&preflight_words, AUTHCFG,
        "a browser's CORS preflight (OPTIONS with Origin and "
        "Access-Control-Request-Method): pass (default) lets it through "
        "without a token, auth asks it for one"),
    AP_INIT_TAKE12("AuthJWTJwksURL", cmd_jwks_url, NULL, OR_AUTHCFG,
        "an https URL of a JWK Set, fetched and refreshed (optional "
        "refresh period in seconds, default 3600)"),
    AP_INIT_TAKE12("AuthJWTDiscoveryURL", cmd_jwks_url, (void *)1,
        OR_AUTHCFG, "an https URL of an OpenID discovery document: its "
        "jwks_uri and issuer are used (optional refresh period)"),
    AP_INIT_TAKE1("AuthJWTJwksCA", cmd_jwks_ca, NULL, AUTHCFG,
        "CA bundle (PEM) for the JWKS and discovery URL of this section, "
        "or at server level for every URL of the server without one"),
    AP_INIT_TAKE1("AuthJWTDPoP", cmd_two_words, (void *)&dpop_words,
        AUTHCFG, "Optional (default): DPoP-bound tokens need a valid DPoP "
        "proof, bearer tokens pass; Required: only DPoP-bound tokens"),
    AP_INIT_TAKE_ARGV("AuthJWTDPoPAlgorithms", cmd_dpop_algs, NULL, AUTHCFG,
        "algorithms accepted for DPoP proofs (default ES256 PS256 EdDSA)"),
    AP_INIT_TAKE1("AuthJWTDPoPWindow", cmd_dpop_window, NULL, AUTHCFG,
        "seconds a DPoP proof's iat may be from now, plus AuthJWTLeeway "
        "(default 60)"),
    AP_INIT_TAKE1("AuthJWTDPoPNonce", cmd_dpop_nonce, NULL,
        ACCESS_CONF | RSRC_CONF, "Off (default), or file:PATH or env:NAME "
        "of a secret (>= 32 bytes) that makes stateless DPoP server nonces"),
    AP_INIT_TAKE1("AuthJWTPublicURL", cmd_public_url, NULL, AUTHCFG,
        "scheme://host[:port] clients use, to rebuild a DPoP proof's htu "
        "behind a proxy (default: from the request)"),
    AP_INIT_TAKE1("AuthJWTMTLS", cmd_two_words, (void *)&mtls_words,
        AUTHCFG, "Optional (default): certificate-bound tokens need the "
        "client certificate they name; Required: only such tokens"),
    AP_INIT_TAKE1("AuthJWTClientCertHeader", cmd_cert_header, NULL,
        ACCESS_CONF | RSRC_CONF, "request header with the client "
        "certificate (URL-encoded PEM), believed only from an "
        "AuthJWTTrustedProxy"),
    AP_INIT_TAKE_ARGV("AuthJWTTrustedProxy", cmd_trusted_proxy, NULL,
        ACCESS_CONF | RSRC_CONF, "addresses or CIDR ranges of the proxies "
        "whose AuthJWTClientCertHeader is believed"),
    AP_INIT_TAKE1("AuthJWTTokenType", cmd_two_words,
        (void *)&token_type_words, AUTHCFG, "at+jwt: only RFC 9068 access "
        "tokens; any (default)"),
    AP_INIT_TAKE1("AuthJWTResource", cmd_resource, NULL, AUTHCFG,
        "this location's resource identifier (RFC 8707): tokens must have "
        "it in aud"),
    AP_INIT_TAKE1("AuthJWTResourceMetadataURL", cmd_metadata_url, NULL,
        AUTHCFG, "URL of this resource's RFC 9728 metadata, named in 401 "
        "challenges"),
    AP_INIT_TAKE1("AuthJWTProfile", cmd_profile, NULL, AUTHCFG,
        "fapi2: enforce the FAPI 2.0 resource server rules; none (default)"),
    AP_INIT_TAKE1("AuthJWTJwksStartup", cmd_jwks_startup, NULL, RSRC_CONF,
        "no keys at start-up: continue (answer 503 until they arrive, "
        "default) or fail (refuse to start)"),
    { NULL }
};

/* ------------------------------------------------------------------ */
/* Defaults, applied on read: an UNSET field means the default         */

const char *auth_jwt_config_user_claim(const auth_jwt_dir_conf *c)
{
    return c->user_claim ? c->user_claim : "sub";
}

int auth_jwt_config_leeway(const auth_jwt_dir_conf *c)
{
    return c->leeway == UNSET ? AJWT_DEFAULT_LEEWAY : c->leeway;
}

int auth_jwt_config_access_ttl(const auth_jwt_dir_conf *c)
{
    return c->access_ttl == UNSET ? AJWT_DEFAULT_ACCESS_TTL : c->access_ttl;
}

int auth_jwt_config_refresh_ttl(const auth_jwt_dir_conf *c)
{
    return c->refresh_ttl == UNSET ? AJWT_DEFAULT_REFRESH_TTL : c->refresh_ttl;
}

const char *auth_jwt_config_access_cookie(const auth_jwt_dir_conf *c)
{
    return c->cookie ? c->cookie : DEFAULT_COOKIE;
}

const char *auth_jwt_config_refresh_cookie(const auth_jwt_dir_conf *c)
{
    return c->refresh_cookie ? c->refresh_cookie : DEFAULT_REFRESH_COOKIE;
}

const char *auth_jwt_config_refresh_path(const auth_jwt_dir_conf *c)
{
    return c->refresh_path ? c->refresh_path : DEFAULT_REFRESH_PATH;
}

/* ------------------------------------------------------------------ */
/* What the reading of the whole configuration found                   */

int auth_jwt_config_leeway_max(void)
{
    return leeway_max;
}

apr_int64_t auth_jwt_config_lifetime_max(void)
{
    return lifetime_max;
}

int auth_jwt_config_issuing(void)
{
    return issuing_used;
}

const apr_array_header_t *auth_jwt_config_jwks_sources(void)
{
    return jwks_sources;
}

/* A new reading of the configuration starts from nothing. */
void auth_jwt_config_pre_config(void)
{
    jwks_sources = NULL;        /* this reading of the configuration's */
    issuing_used = 0;
    leeway_max = AJWT_DEFAULT_LEEWAY;
    lifetime_max = DEFAULT_MAX_LIFETIME;
    ttl_max = 0;
    ttl_max_where = NULL;
    scope_index = NULL;
}

/*
 * What only the whole configuration shows, read from the directives as
 * httpd parsed them (ap_conftree: Include files and true <If*> sections
 * spliced in), each with the <VirtualHost> it stands in (NULL: the main
 * server, whose sections every virtual host inherits). A section with
 * AuthType jwt gets its keys from any section above it, so only "no key
 * anywhere for this server" is certain: that much is an error, since
 * every request there would be a 500.
 */
typedef struct {
    apr_array_header_t *uses;       /* of const ap_directive_t * */
    apr_array_header_t *uses_vh;    /* their <VirtualHost>, or NULL */
    apr_array_header_t *keys_vh;    /* a key source stands in these */
    apr_array_header_t *sign_vh;    /* an AuthJWTSignKey stands in these */
    int keys_main, sign_main;       /* ... in the main server */
} conf_scan;

static const char *first_word(const ap_directive_t *d, apr_pool_t *p)
{
    const char *args = d->args ? d->args : "";
    return ap_getword_conf(p, &args);
}

static int in_vhosts(const apr_array_header_t *a, const ap_directive_t *vh)
{
    int i;
    for (i = 0; i < a->nelts; i++) {
        if (APR_ARRAY_IDX(a, i, const ap_directive_t *) == vh) {
            return 1;
        }
    }
    return 0;
}

static int is_endpoint(const char *h)
{
    return !strcasecmp(h, HANDLER_LOGIN) || !strcasecmp(h, HANDLER_REFRESH)
           || !strcasecmp(h, HANDLER_LOGOUT) || !strcasecmp(h, HANDLER_JWKS);
}

static void scan_tree(conf_scan *cs, const ap_directive_t *d,
                      const ap_directive_t *vh, apr_pool_t *p)
{
    for (; d; d = d->next) {
        const char *n = d->directive;
        if (!strcasecmp(n, "AuthJWTKey") || !strcasecmp(n, "AuthJWTSecret")
            || !strcasecmp(n, "AuthJWTRetiredSignKey")
            || !strcasecmp(n, "AuthJWTJwksURL")
            || !strcasecmp(n, "AuthJWTDiscoveryURL")) {
            if (vh) {
                APR_ARRAY_PUSH(cs->keys_vh, const ap_directive_t *) = vh;
            }
            cs->keys_main |= !vh;
        }
        else if (!strcasecmp(n, "AuthJWTSignKey")) {
            /* its public half verifies the tokens it issued, too */
            if (vh) {
                APR_ARRAY_PUSH(cs->sign_vh, const ap_directive_t *) = vh;
                APR_ARRAY_PUSH(cs->keys_vh, const ap_directive_t *) = vh;
            }
            cs->sign_main |= !vh;
            cs->keys_main |= !vh;
        }
        else if ((!strcasecmp(n, "AuthType")
                  && !strcasecmp(first_word(d, p), AUTH_TYPE_JWT))
                 || (!strcasecmp(n, "SetHandler")
                     && is_endpoint(first_word(d, p)))) {
            APR_ARRAY_PUSH(cs->uses, const ap_directive_t *) = d;
            APR_ARRAY_PUSH(cs->uses_vh, const ap_directive_t *) = vh;
        }
        if (d->first_child) {
            scan_tree(cs, d->first_child,
                      !strcasecmp(n, "<VirtualHost") ? d : vh, p);
        }
    }
}

/* A memcached or Redis host that does not resolve now: a warning (DNS
 * may come up after httpd), since the store then answers 503. */
static void check_hosts(server_rec *s, const char *servers, const char *what,
                        apr_pool_t *p)
{
    char *list = apr_pstrdup(p, servers ? servers : ""), *last, *one;

    for (one = apr_strtok(list, ",", &last); one;
         one = apr_strtok(NULL, ",", &last)) {
        char *host = one, *colon;
        apr_sockaddr_t *sa;
        apr_status_t rv;
        while (apr_isspace(*host)) {
            host++;
        }
        if (*host == '[' || !*host) {
            continue;               /* an IPv6 literal needs no lookup */
        }
        if ((colon = strrchr(host, ':'))) {
            *colon = '\0';
        }
        rv = apr_sockaddr_info_get(&sa, host, APR_UNSPEC, 0, 0, p);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, APLOGNO(70076)
                         "AuthJWTRevocationStore: %s host '%s' does not "
                         "resolve now: the store answers 503 (and every "
                         "protected request with it) until it does", what,
                         host);
        }
    }
}

/* ------------------------------------------------------------------ */
/* RFC 9728 metadata: scopes by resource, AuthJWTResource required     */

static void index_scopes(server_rec *s, const auth_jwt_dir_conf *top,
                         const auth_jwt_dir_conf *sec, apr_pool_t *pconf)
{
    const char *res;
    apr_array_header_t *list;
    const char *key;
    int i, j;
    /* a section read before LoadModule auth_jwt_module has no record */
    if (!sec || !sec->scopes) {
        return;
    }
    if (!(res = sec->resource ? sec->resource : top ? top->resource
                                                    : NULL)) {
        return;
    }
    key = apr_psprintf(pconf, "%pp %s", (void *)s, res);
    if (!(list = apr_hash_get(scope_index, key, APR_HASH_KEY_STRING))) {
        list = apr_array_make(pconf, 8, sizeof(const char *));
        apr_hash_set(scope_index, key, APR_HASH_KEY_STRING, list);
    }
    for (i = 0; i < sec->scopes->nelts; i++) {
        const char *w = APR_ARRAY_IDX(sec->scopes, i, const char *);
        for (j = 0; j < list->nelts; j++) {
            if (!strcmp(APR_ARRAY_IDX(list, j, const char *), w)) {
                break;
            }
        }
        if (j == list->nelts) {
            APR_ARRAY_PUSH(list, const char *) = apr_pstrdup(pconf, w);
        }
    }
}

/* Every section of every server, once per reading of the configuration:
 * the scopes each resource names (sections of the main server count in
 * every virtual host, as httpd applies them there too). */
static void collect_scopes(server_rec *s)
{
    apr_pool_t *pconf = s->process->pconf;
    scope_index = apr_hash_make(pconf);
    for (; s; s = s->next) {
        const core_server_config *core =
            ap_get_core_module_config(s->module_config);
        const auth_jwt_dir_conf *top =
            ap_get_module_config(s->lookup_defaults, &auth_jwt_module);
        const apr_array_header_t *lists[2];
        int l, i;
        lists[0] = core->sec_dir;
        lists[1] = core->sec_url;
        index_scopes(s, top, top, pconf);
        for (l = 0; l < 2; l++) {
            for (i = 0; lists[l] && i < lists[l]->nelts; i++) {
                ap_conf_vector_t *v = APR_ARRAY_IDX(lists[l], i,
                                                    ap_conf_vector_t *);
                index_scopes(s, top, ap_get_module_config(v,
                                                          &auth_jwt_module),
                             pconf);
            }
        }
    }
}

const apr_array_header_t *auth_jwt_config_scopes(const server_rec *s,
                                                 const char *resource)
{
    if (!scope_index || !resource) {
        return NULL;
    }
    return apr_hash_get(scope_index, apr_psprintf(s->process->pconf, "%pp %s",
                                                  (void *)s, resource),
                        APR_HASH_KEY_STRING);
}

/* The last d named "name" among the direct children of section sec (NULL:
 * the top level), or NULL. */
static const ap_directive_t *child_named(const ap_directive_t *sec,
                                         const char *name)
{
    const ap_directive_t *d, *found = NULL;
    for (d = sec ? sec->first_child : ap_conftree; d; d = d->next) {
        if (!strcasecmp(d->directive, name)) {
            found = d;
        }
    }
    return found;
}

/* Does the section of d, or one around it, give AuthJWTResource? */
static int resource_given(const ap_directive_t *d)
{
    const ap_directive_t *sec;
    for (sec = d->parent; ; sec = sec->parent) {
        if (child_named(sec, "AuthJWTResource")) {
            return 1;
        }
        if (!sec) {
            return 0;
        }
    }
}

static int check_metadata(server_rec *s, const ap_directive_t *d,
                          apr_pool_t *p)
{
    int bad = 0;
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "SetHandler")
            && !strcasecmp(first_word(d, p), HANDLER_RESOURCE_METADATA)
            && !resource_given(d)) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(70140)
                         "%s:%d: SetHandler %s needs an AuthJWTResource in "
                         "its section or a section around it (the "
                         "<VirtualHost> or the server level): the metadata "
                         "names the resource it describes", d->filename,
                         d->line_num, HANDLER_RESOURCE_METADATA);
            bad = 1;
        }
        if (d->first_child) {
            bad |= check_metadata(s, d->first_child, p);
        }
    }
    return bad;
}

/* ------------------------------------------------------------------ */
/* AuthJWTProfile fapi2: what contradicts it                           */

/*
 * The profile's value in section sec (NULL: the top level): the last
 * AuthJWTProfile line among its own directives, or UNSET.
 */
static int profile_of(const ap_directive_t *sec, apr_pool_t *p)
{
    const ap_directive_t *d = child_named(sec, "AuthJWTProfile");
    if (!d) {
        return UNSET;
    }
    return strcasecmp(first_word(d, p), "fapi2") ? PROFILE_NONE
                                                 : PROFILE_FAPI2;
}

/* Why directive d contradicts FAPI 2.0, or NULL. */
static const char *fapi2_conflict(const ap_directive_t *d, apr_pool_t *p)
{
    const char *n = d->directive, *args = d->args ? d->args : "", *w;
    if (!strcasecmp(n, "AuthJWTTokenFrom")) {
        while (*args && (w = ap_getword_conf(p, &args)) && *w) {
            if (strcasecmp(w, "header")) {
                return apr_psprintf(p, "'%s': FAPI 2.0 takes the token from "
                                    "the Authorization header only", w);
            }
        }
    }
    else if (!strcasecmp(n, "AuthJWTAlgorithms")
             || !strcasecmp(n, "AuthJWTDPoPAlgorithms")) {
        while (*args && (w = ap_getword_conf(p, &args)) && *w) {
            const ajwt_alg_t *a = ajwt_alg_find(w);
            if (!a || !(AJWT_ALG_BIT(a->id) & FAPI2_ALGS)) {
                return apr_psprintf(p, "'%s': FAPI 2.0 allows PS256, ES256 "
                                    "and EdDSA (Ed25519) only", w);
            }
        }
    }
    else if (!strcasecmp(n, "AuthJWTSecret")) {
        return "FAPI 2.0 allows no shared-secret (HMAC) algorithm";
    }
    else if (!strcasecmp(n, "AuthJWTRevocation")
             && !strcasecmp(first_word(d, p), "off")) {
        return "FAPI 2.0 has revocation checked";
    }
    else if (!strcasecmp(n, "AuthJWTRevocationFailure")
             && !strcasecmp(first_word(d, p), "allow")) {
        return "FAPI 2.0 has revocation checked, also when the store "
               "cannot answer";
    }
    return NULL;
}

typedef struct {
    server_rec *s;
    apr_pool_t *p;
    apr_hash_t *seen;           /* directives already reported */
    const ap_directive_t *profile;  /* the AuthJWTProfile fapi2 line */
    int bad;
} fapi2_scan;

static void fapi2_one(fapi2_scan *fs, const ap_directive_t *d)
{
    const char *why = fapi2_conflict(d, fs->p);
    if (!why || apr_hash_get(fs->seen, &d, sizeof(d))) {
        return;
    }
    apr_hash_set(fs->seen, apr_pmemdup(fs->p, &d, sizeof(d)), sizeof(d),
                 "");
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, fs->s, APLOGNO(70141)
                 "%s:%d: %s: %s, and AuthJWTProfile fapi2 (%s:%d) applies "
                 "here", d->filename, d->line_num, d->directive, why,
                 fs->profile->filename, fs->profile->line_num);
    fs->bad = 1;
}

/* Every directive from d on and inside, but for sections that say
 * AuthJWTProfile none (the profile does not apply there). */
static void fapi2_inside(fapi2_scan *fs, const ap_directive_t *d)
{
    for (; d; d = d->next) {
        fapi2_one(fs, d);
        if (d->first_child && profile_of(d, fs->p) != PROFILE_NONE) {
            fapi2_inside(fs, d->first_child);
        }
    }
}

/* The section of the profile line P inherits the directives of the
 * sections around it that neither it nor a nearer one gives again. */
static void fapi2_around(fapi2_scan *fs, const ap_directive_t *sec)
{
    static const char *const names[] = {
        "AuthJWTTokenFrom", "AuthJWTAlgorithms", "AuthJWTDPoPAlgorithms",
        "AuthJWTRevocation", "AuthJWTRevocationFailure"
    };
    int given[sizeof(names) / sizeof(names[0])] = { 0 }, keys = 0;
    const ap_directive_t *a;
    apr_size_t i;
    for (a = sec; a; a = a->parent) {
        const ap_directive_t *up = a->parent, *d;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            given[i] |= child_named(a, names[i]) != NULL;
            if (!given[i] && (d = child_named(up, names[i]))) {
                fapi2_one(fs, d);
            }
        }
        /* a section's own keys replace those around it */
        keys |= child_named(a, "AuthJWTKey")
                || child_named(a, "AuthJWTSecret");
        for (d = up ? up->first_child : ap_conftree; d && !keys;
             d = d->next) {
            if (!strcasecmp(d->directive, "AuthJWTSecret")) {
                fapi2_one(fs, d);
            }
        }
    }
}

static void check_fapi2(fapi2_scan *fs, const ap_directive_t *d,
                        const auth_jwt_srv_conf *sc)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "AuthJWTProfile")
            && child_named(d->parent, "AuthJWTProfile") == d
            && profile_of(d->parent, fs->p) == PROFILE_FAPI2) {
            fs->profile = d;
            if (sc->store_kind == STORE_NONE) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, fs->s,
                             APLOGNO(70142) "%s:%d: AuthJWTProfile fapi2 has "
                             "revocation checked (and DPoP proofs checked "
                             "for replay) in the revocation store, and no "
                             "AuthJWTRevocationStore is configured",
                             d->filename, d->line_num);
                fs->bad = 1;
            }
            fapi2_inside(fs, d->parent ? d->parent->first_child
                                       : ap_conftree);
            if (d->parent) {
                fapi2_around(fs, d->parent);
            }
        }
        if (d->first_child) {
            check_fapi2(fs, d->first_child, sc);
        }
    }
}

/*
 * Rules that involve several directives, so that `apachectl configtest`
 * fails on them too (check_config runs before -t exits).
 */
int auth_jwt_config_check(apr_pool_t *ptemp, server_rec *s)
{
    const auth_jwt_srv_conf *sc = ap_get_module_config(s->module_config,
                                                       &auth_jwt_module);
    conf_scan cs;
    int i, bad = 0;

    if (ttl_max > lifetime_max) {
        /* a token we issue must not outlive a revocation of its subject */
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(70063)
                     "%s is longer than AuthJWTMaxTokenLifetime (%"
                     APR_INT64_T_FMT " s): raise the one or lower the other",
                     ttl_max_where ? ttl_max_where : "a TTL", lifetime_max);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    memset(&cs, 0, sizeof(cs));
    cs.uses = apr_array_make(ptemp, 8, sizeof(const ap_directive_t *));
    cs.uses_vh = apr_array_make(ptemp, 8, sizeof(const ap_directive_t *));
    cs.keys_vh = apr_array_make(ptemp, 8, sizeof(const ap_directive_t *));
    cs.sign_vh = apr_array_make(ptemp, 8, sizeof(const ap_directive_t *));
    scan_tree(&cs, ap_conftree, NULL, ptemp);
    for (i = 0; i < cs.uses->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(cs.uses, i,
                                                const ap_directive_t *);
        const ap_directive_t *vh = APR_ARRAY_IDX(cs.uses_vh, i,
                                                 const ap_directive_t *);
        const char *word = first_word(d, ptemp);
        if (!strcasecmp(d->directive, "AuthType")) {
            if (!cs.keys_main && !in_vhosts(cs.keys_vh, vh)) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(70074)
                             "%s:%d: AuthType %s: no AuthJWTKey, "
                             "AuthJWTSecret, AuthJWTJwksURL, "
                             "AuthJWTDiscoveryURL or AuthJWTSignKey is "
                             "configured for this server: every request "
                             "here would be a 500",
                             d->filename, d->line_num, word);
                bad = 1;
            }
            continue;
        }
        if (!cs.sign_main && !in_vhosts(cs.sign_vh, vh)) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(70075)
                         "%s:%d: SetHandler %s needs an AuthJWTSignKey, and "
                         "none is configured for this server", d->filename,
                         d->line_num, word);
            bad = 1;
        }
        if (strcasecmp(word, HANDLER_JWKS) && sc->store_kind == STORE_NONE) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(70077)
                         "%s:%d: SetHandler %s needs an "
                         "AuthJWTRevocationStore (sessions and refresh "
                         "families live there), and none is configured",
                         d->filename, d->line_num, word);
            bad = 1;
        }
    }
    collect_scopes(s);
    bad |= check_metadata(s, ap_conftree, ptemp);
    {
        fapi2_scan fs;
        memset(&fs, 0, sizeof(fs));
        fs.s = s;
        fs.p = ptemp;
        fs.seen = apr_hash_make(ptemp);
        check_fapi2(&fs, ap_conftree, sc);
        bad |= fs.bad;
    }
    if (sc->store_kind == STORE_MC) {
        check_hosts(s, sc->mc.servers, "memcached", ptemp);
    }
    else if (sc->store_kind == STORE_REDIS) {
        check_hosts(s, sc->redis.servers, "redis", ptemp);
    }
    return bad ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

/* This process's cache of keys named in .htaccess files. */
apr_status_t auth_jwt_config_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if ((rv = apr_pool_create(&htkeys_pool, pchild)) != APR_SUCCESS) {
        htkeys_pool = NULL;
        return rv;
    }
    apr_pool_tag(htkeys_pool, "auth_jwt_htaccess_keys");
    htkeys = apr_hash_make(htkeys_pool);
    if (apr_thread_mutex_create(&htkeys_lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, APLOGNO(70020)
                     "no mutex for the .htaccess key cache: keys named in "
                     ".htaccess files will be loaded per request");
        htkeys = NULL;
    }
    return APR_SUCCESS;
}
