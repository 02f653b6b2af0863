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
#include "ajwt_revoke.h"
#include "ajwt_roles.h"
#include "ajwt_store.h"
#include "ajwt_verify.h"
#include "ajwt_web.h"

#include "mod_auth_jwt.h"

#define AUTH_TYPE_JWT "jwt"
#define STORE_WARN_EVERY 10             /* seconds between "allow" warnings */
#define HANDLER_REVOKE "jwt-revoke"
#define HANDLER_LOGIN "jwt-login"
#define HANDLER_REFRESH "jwt-refresh"
#define HANDLER_LOGOUT "jwt-logout"
#define HANDLER_JWKS "jwt-jwks"
#define LOGIN_MAX_BODY 4096
/*
 * A bcrypt hash of a random password at htpasswd -B's default cost (5):
 * checked for an unknown user until this process has timed a real check
 * (see check_cost_us).
 */
#define DUMMY_BCRYPT \
    "$2y$05$QGyHY.7bvbBlvhxMQEMyLOL5aAhylQTfZdPdb1S8YQTt35vMlIBoK"

/* When check_revoked last let a token through unchecked (seconds). */
static apr_uint32_t store_warned_at;    /* seconds, for rate limiting */
/* Guards the unknown-user dummy hash (file_dummy_hash), per process. */
static apr_thread_mutex_t *dummy_lock;

/* This process's verified-token cache (child_init), NULL when off. */
static ajwt_cache_t *verify_cache;

/* ------------------------------------------------------------------ */
/* Verification, shared by AuthType jwt and AuthBasicProvider jwt      */

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
    v->policy.leeway = auth_jwt_config_leeway(c);
    v->policy.max_age = c->max_age == UNSET ? -1 : c->max_age;
    v->policy.issuers = c->issuers;
    v->policy.audiences = c->audiences;
    v->policy.required = c->required;
    /* where revocation is checked, no token may outlive its revocation */
    v->policy.max_lifetime = (auth_jwt_shared_store_wanted()
                              && c->revocation != 0)
                             ? auth_jwt_config_lifetime_max() : 0;
    v->cache = verify_cache;
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
                      e.text, auth_jwt_log_request_id(r));
    }
    else if (what == AJWT_JWKS_UPDATED) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70034)
                      "%s %s: %d keys (generation %" APR_UINT64_T_FMT ")%s "
                      "[id %s]", js->directive, js->conf.url,
                      ajwt_jwks_nkeys(src), ajwt_jwks_generation(src),
                      unknown_kid ? ", fetched for an unknown kid" : "",
                      auth_jwt_log_request_id(r));
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
        return ajwt_verify(cl, token, strlen(token), &v, r->request_time,
                           r->pool, err);
    }
    if (!(src = auth_jwt_shared_jwks(c))) {
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
    st = ajwt_verify(cl, token, strlen(token), &v, r->request_time, r->pool,
                     err);
    if (st == AJWT_EKEY && ajwt_jwks_due(src, apr_time_now(), 1)
        && jwks_refresh(r, c->jwks, src, 1) == AJWT_JWKS_UPDATED) {
        memset(err, 0, sizeof(*err));
        make_verifier(&v, c);
        if ((st = jwks_verifier(r, c, src, &v, err)) == AJWT_OK) {
            st = ajwt_verify(cl, token, strlen(token), &v, r->request_time,
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
static ajwt_status_t check_revoked(request_rec *r, const auth_jwt_dir_conf *c,
                                   const ajwt_claims_t *cl, int always,
                                   ajwt_err_t *err)
{
    ajwt_store_t *store = auth_jwt_shared_store();
    ajwt_err_t e = { 0 };
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(r->request_time);
    ajwt_status_t st;

    if (!auth_jwt_shared_store_wanted() || (c->revocation == 0 && !always)) {
        return AJWT_OK;
    }
    if (!store) {
        /* the store is configured but this process could not attach it:
         * as if it could not be reached, never as "not revoked" */
        st = ajwt_err_set(&e, AJWT_ESTORE, "revocation store not available "
                          "in this process (%s)",
                          auth_jwt_shared_store_missing());
    }
    else {
        st = ajwt_store_check(store, cl, apr_time_sec(r->request_time), &e);
        auth_jwt_shared_note_events(r);
    }
    if (st == AJWT_ESTORE && c->revocation_failure == FAIL_ALLOW) {
        apr_uint32_t last = apr_atomic_read32(&store_warned_at);
        if (now - last >= STORE_WARN_EVERY
            && apr_atomic_cas32(&store_warned_at, now, last) == last) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, e.rv, r, APLOGNO(70022)
                          "revocation store unreachable, token let through "
                          "(AuthJWTRevocationFailure allow): %s [id %s]",
                          e.text, auth_jwt_log_request_id(r));
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
    user = ajwt_json_text(ajwt_json_path(cl->json,
                                         auth_jwt_config_user_claim(c)),
                          r->pool);
    if (!user || !*user) {
        return ajwt_err_set(err, AJWT_ECLAIM, "no user claim '%s' (jti %s)",
                            auth_jwt_config_user_claim(c),
                            cl->jti ? cl->jti : "-");
    }
    if (ajwt_json_has_ctl(user)) {
        return ajwt_err_set(err, AJWT_ECLAIM, "user claim '%s' holds a "
                            "control character (jti %s)",
                            auth_jwt_config_user_claim(c),
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
const auth_jwt_rec *auth_jwt_authn_find_rec(const request_rec *r)
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
        ? auth_jwt_config_refresh_path(c) : c->login_url;
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
                      "[id %s]", r->method, auth_jwt_log_request_id(r));
        return HTTP_FORBIDDEN;
    }
    else {
        st = verify_token(r, c, token, &err);
    }
    if (st != AJWT_OK) {
        if (c->login_url && wants_html(r) && is_safe_method(r) && !r->main
            && auth_jwt_log_http_status(st) == HTTP_UNAUTHORIZED) {
            auth_jwt_log_refusal(r, st, &err);
            return redirect_to_login(r, c);
        }
        return auth_jwt_log_reject(r, st, &err);
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
        auth_jwt_log_refusal(r, st, &err);
        return auth_jwt_log_http_status(st) >= 500 ? AUTH_GENERAL_ERROR
                                                   : AUTH_DENIED;
    }
    return AUTH_GRANTED;
}

static int hook_note_auth_failure(request_rec *r, const char *auth_type)
{
    if (strcasecmp(auth_type, AUTH_TYPE_JWT)) {
        return DECLINED;
    }
    auth_jwt_log_note_bearer(r, auth_jwt_authn_find_rec(r)
                                ? "insufficient_scope" : "invalid_token");
    return OK;
}

/* A 403 from our Require (AuthzSendForbiddenOnFailure On) still says why,
 * as RFC 6750 section 3.1 asks. */
static void hook_insert_error_filter(request_rec *r)
{
    if (r->status == HTTP_FORBIDDEN && is_jwt_type(r)
        && apr_table_get(r->notes, NOTE_DENIED)
        && auth_jwt_authn_find_rec(r)) {
        auth_jwt_log_note_bearer(r, "insufficient_scope");
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
    rec = auth_jwt_authn_find_rec(r);
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
    auth_jwt_config_pre_config();
    return auth_jwt_shared_pre_config(pconf);
}

static int hook_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    return auth_jwt_config_check(s);
}

static int hook_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    return auth_jwt_shared_post_config(pconf, s);
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
    auth_jwt_shared_child_init(pchild, s);
    if (auth_jwt_config_child_init(pchild, s) != APR_SUCCESS) {
        return;
    }
    if (apr_thread_mutex_create(&dummy_lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        dummy_lock = NULL;      /* then only the measured average serves */
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

/* SetHandler jwt-revoke: POST token=, jti= with exp=, or sub=. */
static int handler_revoke(request_rec *r)
{
    ajwt_store_t *store = auth_jwt_shared_store();
    const auth_jwt_dir_conf *c;
    const char *body, *answer;
    ajwt_revoke_req_t req;
    ajwt_revoke_bounds_t bounds_now = { auth_jwt_config_leeway_max(),
                                        auth_jwt_config_lifetime_max() };
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
                      auth_jwt_log_request_id(r));
        return send_json(r, HTTP_BAD_REQUEST, ajwt_revoke_error(
            "invalid_request", err.text, r->pool));
    }
    if (!auth_jwt_shared_store_wanted()) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70028)
                      "jwt-revoke: no AuthJWTRevocationStore is configured "
                      "[id %s]", auth_jwt_log_request_id(r));
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "no revocation store", r->pool));
    }
    if (!store) {
        st = ajwt_err_set(&err, AJWT_ESTORE, "revocation store not "
                          "available in this process (%s)",
                          auth_jwt_shared_store_missing());
        auth_jwt_log_refusal(r, st, &err);
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
            auth_jwt_log_refusal(r, req.token_status, &verr);
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
        auth_jwt_log_refusal(r, st, &err);
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
        return send_json(r, HTTP_SERVICE_UNAVAILABLE, answer);
    }
    if (st != AJWT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70029)
                      "jwt-revoke: token to revoke refused (%s): %s [id %s]",
                      ajwt_status_name(st), err.text,
                      auth_jwt_log_request_id(r));
        return send_json(r, HTTP_BAD_REQUEST, answer);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, APLOGNO(70030)
                  "jwt-revoke by %s: %s [id %s]", r->user ? r->user : "-",
                  answer, auth_jwt_log_request_id(r));
    auth_jwt_shared_note_full(r);
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
    is->access_ttl = auth_jwt_config_access_ttl(c);
    is->refresh_ttl = auth_jwt_config_refresh_ttl(c);
    return 1;
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
    set_cookie(r, auth_jwt_config_access_cookie(c), "", "/", 0);
    set_cookie(r, auth_jwt_config_refresh_cookie(c), "",
               auth_jwt_config_refresh_path(c), 0);
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
    set_cookie(r, auth_jwt_config_access_cookie(c), at, "/", is->access_ttl);
    set_cookie(r, auth_jwt_config_refresh_cookie(c), rt,
               auth_jwt_config_refresh_path(c), is->refresh_ttl);
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
                      auth_jwt_log_request_id(r));
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
                          "loaded?) [id %s]", name, auth_jwt_log_request_id(r));
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
    ajwt_store_t *store = auth_jwt_shared_store();
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
                      "revocation store [id %s]", auth_jwt_log_request_id(r));
        return login_failed(r, c, json, ret, HTTP_INTERNAL_SERVER_ERROR,
                            "server_error", "login is not configured");
    }
    if (c->lockout_attempts > 0
        && ajwt_lockout_check(store, user, r->useragent_ip,
                              c->lockout_attempts, now, &retry, &err)
           == AJWT_ELOCKED) {
        auth_jwt_log_refusal(r, AJWT_ELOCKED, &err);
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
                      ap_escape_logitem(r->pool, user),
                      auth_jwt_log_request_id(r));
        return login_failed(r, c, json, ret, HTTP_UNAUTHORIZED,
                            "invalid_grant", "wrong user name or password");
    }
    if (c->lockout_attempts > 0) {
        ajwt_lockout_clear(store, user, now, NULL);
    }
    fam = ajwt_issue_new_id(r->pool);
    if (ajwt_family_start(store, fam, now + is.refresh_ttl, now, &err)
        || issue_session(r, c, &is, user, fam, 1, &access, &err)) {
        auth_jwt_log_refusal(r, err.status ? err.status : AJWT_EINTERNAL, &err);
        return login_failed(r, c, json, ret,
                            auth_jwt_log_http_status(err.status),
                            "server_error", "login is not available");
    }
    r->user = (char *)user;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70048)
                  "jwt-login: user \"%s\" logged in [id %s]",
                  ap_escape_logitem(r->pool, user), auth_jwt_log_request_id(r));
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
    ajwt_store_t *store = auth_jwt_shared_store();
    apr_int64_t now = apr_time_sec(r->request_time), next = 0;
    int browser = r->method_number == M_GET, reuse = 0;
    int leeway = auth_jwt_config_leeway(c);
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
                      "revocation store [id %s]", auth_jwt_log_request_id(r));
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "refresh is not configured", r->pool));
    }
    token = ajwt_web_cookie(apr_table_get(r->headers_in, "Cookie"),
                            auth_jwt_config_refresh_cookie(c), r->pool);
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
        auth_jwt_log_refusal(r, st, &err);
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
                      auth_jwt_log_request_id(r));
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
                      ap_escape_logitem(r->pool, rt.jti),
                      auth_jwt_log_request_id(r));
        return refresh_failed(r, c, browser, ret);
    }
    if (st != AJWT_OK) {
        auth_jwt_log_refusal(r, st, &err);
        return refresh_failed(r, c, browser, ret);
    }
    if (issue_session(r, c, &is, rt.sub, rt.fam, next, &access, &err)) {
        auth_jwt_log_refusal(r, err.status, &err);
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
    ajwt_store_t *store = auth_jwt_shared_store();
    apr_int64_t now = apr_time_sec(r->request_time);
    int leeway = auth_jwt_config_leeway(c);
    int leeway_max = auth_jwt_config_leeway_max();
    apr_int64_t lifetime_max = auth_jwt_config_lifetime_max();
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
    if (!issuer_of(r, c, &is) || !auth_jwt_shared_store_wanted()) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70051)
                      "jwt-logout: needs AuthJWTSignKey here and a "
                      "revocation store [id %s]", auth_jwt_log_request_id(r));
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "logout is not configured", r->pool));
    }
    if (logout_scope(r, &all, &err) != AJWT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70067)
                      "jwt-logout: bad request: %s [id %s]", err.text,
                      auth_jwt_log_request_id(r));
        return send_json(r, HTTP_BAD_REQUEST, ajwt_revoke_error(
            "invalid_request", err.text, r->pool));
    }
    token = ajwt_web_cookie(cookies, auth_jwt_config_refresh_cookie(c),
                            r->pool);
    if (token && !ajwt_issue_check_refresh(&rt, token, &is, leeway, now,
                                           r->pool, NULL)) {
        have_rt = 1;
        sub = rt.sub;
    }
    token = find_token(r, c, &from);
    if (!token) {
        token = ajwt_web_cookie(cookies, auth_jwt_config_access_cookie(c),
                                r->pool);
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
                      "revoked [id %s]", auth_jwt_log_request_id(r));
        auth_jwt_log_note_bearer(r, "invalid_token");
        return send_json(r, HTTP_UNAUTHORIZED, ajwt_revoke_error(
            "invalid_token", "log in to log out everywhere", r->pool));
    }
    if (!st && !store) {
        st = ajwt_err_set(&werr, AJWT_ESTORE, "revocation store not "
                          "available in this process (%s)",
                          auth_jwt_shared_store_missing());
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
                      auth_jwt_log_request_id(r));
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
        return send_json(r, HTTP_SERVICE_UNAVAILABLE, ajwt_revoke_error(
            "temporarily_unavailable", "logout could not be recorded; you "
            "are still logged in: try again", r->pool));
    }
    if (sub) {
        r->user = (char *)sub;
    }
    auth_jwt_shared_note_full(r);
    clear_cookies(r, c);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70052)
                  "jwt-logout: %s logged out%s [id %s]",
                  r->user ? ap_escape_logitem(r->pool, r->user) : "-",
                  all ? " everywhere (scope=all)" : "",
                  auth_jwt_log_request_id(r));
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

static const authn_provider authn_jwt_provider = {
    &authn_jwt_check_password,
    NULL
};

static void register_hooks(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "jwt",
                              AUTHN_PROVIDER_VERSION, &authn_jwt_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    auth_jwt_authz_register(p);
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

module AP_MODULE_DECLARE_DATA auth_jwt_module = {
    STANDARD20_MODULE_STUFF,
    auth_jwt_config_create_dir,
    auth_jwt_config_merge_dir,
    auth_jwt_config_create_srv,
    NULL,
    auth_jwt_config_cmds,
    register_hooks
};
