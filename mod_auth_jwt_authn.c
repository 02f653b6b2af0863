/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_authn.c: authentication. The check_authn hook (AuthType
 * jwt) and the Basic provider (AuthBasicProvider jwt) take the token from
 * the request's sources, verify it with one core call (ajwt_verify, with
 * the location's static and fetched keys) and the revocation check, map a
 * refusal through mod_auth_jwt_log.c, and on success set r->user, the
 * claims in r->request_config, the JWT_CLAIM_* environment and (fixups)
 * the claim headers. The 401/403 challenges are added here too.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"

#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "ajwt.h"
#include "ajwt_cache.h"
#include "ajwt_claims.h"
#include "ajwt_json.h"
#include "ajwt_jwks.h"
#include "ajwt_store.h"
#include "ajwt_verify.h"
#include "ajwt_web.h"

#include "mod_auth_jwt.h"

#define STORE_WARN_EVERY 10             /* seconds between "allow" warnings */

/* When auth_jwt_authn_check_revoked last let a token through (allow). */
static apr_uint32_t store_warned_at;    /* seconds, for rate limiting */

/* This process's verified-token cache (child_init), NULL when off. */
static ajwt_cache_t *verify_cache;

/* ------------------------------------------------------------------ */
/* Verification, shared by AuthType jwt and AuthBasicProvider jwt      */

/* JWT_CLAIM_<name> for each claim whose text holds no control character
 * (ajwt_claims_env_name says how names are made). */
static void export_claims(request_rec *r, const ajwt_claims_t *cl,
                          const char *token)
{
    const char *name;
    json_t *v;
    json_object_foreach(cl->json, name, v) {
        const char *text = ajwt_json_text(v, r->pool);
        if (!text || ajwt_json_has_ctl(text)) {
            continue;   /* no control characters into CGI/PHP */
        }
        /* addn: setn would scan the table for each name, per request;
         * the names come only from here */
        apr_table_addn(r->subprocess_env,
                       ajwt_claims_env_name(name, r->pool), text);
    }
    apr_table_setn(r->subprocess_env, "JWT_TOKEN", token);
}

/*
 * The core's verifier for a location's configuration: every door that
 * accepts a token builds it here. Keys from a URL (AuthJWTJwksURL,
 * AuthJWTDiscoveryURL) are refreshed by ajwt_verify() from the request
 * path, in whichever request first finds a refresh due (a few atomic
 * loads) and wins the lease in shared memory; every other request
 * meanwhile uses the keys it has. Why not mod_watchdog: an unknown kid
 * must be refreshed from the request anyway (that request waits for the
 * answer), watchdog threads would add a second path, a dependency on
 * mod_watchdog being loaded and a thread in the parent; and a server with
 * no traffic needs no fresh keys. The cost is that the request that
 * triggers a periodic refresh waits for the fetch (bounded by the
 * timeouts), once per period per server.
 */
void auth_jwt_authn_verifier(ajwt_verifier_t *v, const auth_jwt_dir_conf *c)
{
    memset(v, 0, sizeof(*v));
    v->keys = c->keys;
    if (c->jwks) {
        v->jwks = auth_jwt_shared_jwks(c);
        v->jwks_name = c->jwks->name;
        v->jwks_wanted = 1;
    }
    v->algs = c->algs;
    if (c->profile == PROFILE_FAPI2) {
        /* whatever the keys fit (a JWKS may hold an HS key): FAPI's only */
        v->algs = (c->algs ? c->algs : FAPI2_ALGS) & FAPI2_ALGS;
    }
    v->at_jwt = c->token_type == TYPE_AT_JWT;
    v->max_len = c->max_size == UNSET ? AJWT_DEFAULT_MAX_TOKEN
                                      : (apr_size_t)c->max_size;
    v->policy.leeway = auth_jwt_config_leeway(c);
    v->policy.max_age = c->max_age == UNSET ? -1 : c->max_age;
    v->policy.issuers = c->issuers;
    v->policy.audiences = c->audiences;
    v->policy.resource = c->resource;
    v->policy.required = c->required;
    /* where revocation is checked, no token may outlive its revocation */
    v->policy.max_lifetime = (auth_jwt_shared_store_wanted()
                              && c->revocation != 0)
                             ? auth_jwt_config_lifetime_max() : 0;
    v->cache = verify_cache;
    v->store_keys = auth_jwt_shared_store_wanted();
    v->user_claim = auth_jwt_config_user_claim(c);
    v->headers = c->headers;
}

/* What ajwt_verify() did to the location's key URL: one line per fetch
 * attempt (attempts are rate limited: 5 s to 60 s). */
static void log_refreshes(request_rec *r, const auth_jwt_dir_conf *c,
                          const ajwt_verify_info_t *info)
{
    ajwt_jwks_t *src = auth_jwt_shared_jwks(c);
    int i;

    for (i = 0; src && i < info->nrefresh; i++) {
        auth_jwt_shared_count_fetch(info->refresh[i].what);
        if (info->refresh[i].what == AJWT_JWKS_FAILED) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70033)
                          "%s %s: refresh failed, %s: %s [id %s]",
                          c->jwks->directive, c->jwks->conf.url,
                          ajwt_jwks_generation(src)
                          ? "keeping the last good keys" : "no keys yet",
                          info->refresh[i].err.text,
                          auth_jwt_log_request_id(r));
        }
        else if (info->refresh[i].what == AJWT_JWKS_UPDATED) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70034)
                          "%s %s: %d keys (generation %" APR_UINT64_T_FMT
                          ")%s [id %s]", c->jwks->directive,
                          c->jwks->conf.url, ajwt_jwks_nkeys(src),
                          ajwt_jwks_generation(src),
                          info->refresh[i].unknown_kid
                          ? ", fetched for an unknown kid" : "",
                          auth_jwt_log_request_id(r));
        }
    }
}

/*
 * Revocation of a verified token. With AuthJWTRevocationFailure allow, an
 * unreachable store lets it through with a warning at most every
 * STORE_WARN_EVERY seconds per process (no lock: a lost race only means
 * one more warning).
 */
ajwt_status_t auth_jwt_authn_check_revoked(request_rec *r,
                                           const auth_jwt_dir_conf *c,
                                           const ajwt_claims_t *cl,
                                           int always, ajwt_err_t *err)
{
    ajwt_store_t *store = auth_jwt_shared_store();
    ajwt_err_t e = { 0 };
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(r->request_time);
    ajwt_status_t st;

    if (!auth_jwt_shared_store_wanted()
        || (c->revocation == 0 && c->profile != PROFILE_FAPI2 && !always)) {
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
    ajwt_metrics_add(auth_jwt_shared_metrics(), st == AJWT_OK
                     ? AJWT_M_REVOKE_NOT_REVOKED : st == AJWT_EREVOKED
                     ? AJWT_M_REVOKE_REVOKED : AJWT_M_REVOKE_ERROR, 1);
    if (st == AJWT_ESTORE && c->revocation_failure == FAIL_ALLOW
        && c->profile != PROFILE_FAPI2) {
        apr_uint32_t last = apr_atomic_read32(&store_warned_at);
        if (now - last >= STORE_WARN_EVERY
            && apr_atomic_cas32(&store_warned_at, now, last) == last) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, e.rv, r, APLOGNO(70022)
                          "revocation store unreachable, token let through "
                          "(AuthJWTRevocationFailure allow): %s [id %s]",
                          e.text, auth_jwt_log_request_id(r));
        }
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_REVOKE_ALLOWED, 1);
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
/*
 * LogLevel auth_jwt:debug: what an accepted token went through, never the
 * token itself: where it came from, its alg and kid, which key verified
 * it (a configured or a fetched one) or that the verified-token cache
 * answered, and the revocation lookup.
 */
static void trace_accepted(request_rec *r, const auth_jwt_dir_conf *c,
                           const ajwt_verify_info_t *info, const char *via,
                           int revocation)
{
    const char *key = "-";
    int i;

    if (!APLOGrdebug(r)) {
        return;
    }
    if (info->key) {
        key = "fetched";
        for (i = 0; c->keys && i < c->keys->keys->nelts; i++) {
            if (APR_ARRAY_IDX(c->keys->keys, i, ajwt_key_t *) == info->key) {
                key = "configured";
            }
        }
        key = apr_psprintf(r->pool, "%s key %s%s%s (%s)", key,
                           info->key->kid ? "'" : "",
                           info->key->kid ? info->key->kid : "without kid",
                           info->key->kid ? "'" : "", info->key->source);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, APLOGNO(70078)
                  "token accepted: user %s, from %s, %s, revocation %s "
                  "[id %s]",
                  ap_escape_logitem(r->pool, info->user ? info->user : "-"),
                  via, !info->alg ? "verified-token cache hit"
                  : apr_psprintf(r->pool, "alg %s, kid %s, %s",
                                 ap_escape_logitem(r->pool, info->alg),
                                 info->kid ? ap_escape_logitem(r->pool,
                                                               info->kid)
                                           : "none", key),
                  !revocation ? "not asked"
                  : !auth_jwt_shared_store_wanted() ? "no store"
                  : c->revocation == 0 ? "off here" : "not revoked",
                  auth_jwt_log_request_id(r));
}

ajwt_status_t auth_jwt_authn_verify(request_rec *r, const auth_jwt_dir_conf *c,
                                    const char *token, const char *via,
                                    int revocation, ajwt_claims_t **out,
                                    const char **user_out, ajwt_err_t *err)
{
    ajwt_verifier_t v;
    ajwt_verify_info_t info;
    ajwt_claims_t *cl;
    ajwt_status_t st;
    apr_time_t t0;

    *out = NULL;
    *user_out = NULL;
    auth_jwt_authn_verifier(&v, c);
    t0 = apr_time_now();
    st = ajwt_verify(&cl, &info, token, strlen(token), &v, r->request_time,
                     r->pool, err);
    /* a parsed token by its alg's family, a cache hit as "cached" */
    ajwt_metrics_observe(auth_jwt_shared_metrics(), info.kty
                         ? ajwt_metrics_alg(info.kty) : info.cache_hits
                         ? AJWT_MH_CACHED : AJWT_MH_N,
                         apr_time_now() - t0);
    log_refreshes(r, c, &info);
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_CACHE_HIT,
                     info.cache_hits);
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_CACHE_MISS,
                     info.cache_misses);
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_CACHE_EVICTION,
                     info.cache_evictions);
    if (st == AJWT_ECONFIG && !c->keys && !c->jwks) {
        memset(err, 0, sizeof(*err));
        return ajwt_err_set(err, AJWT_ECONFIG, "no AuthJWTKey, "
                            "AuthJWTSecret or AuthJWTJwksURL applies to %s",
                            r->uri);
    }
    if (st != AJWT_OK) {
        return st;
    }
    if (revocation
        && (st = auth_jwt_authn_check_revoked(r, c, cl, 0, err)) != AJWT_OK) {
        return st;
    }
    trace_accepted(r, c, &info, via, revocation);
    *out = cl;
    *user_out = info.user;
    return AJWT_OK;
}

/*
 * The whole check of one token for this request, its sender included
 * (dpop_scheme: it came as "Authorization: DPoP"): on AJWT_OK r->user is
 * the user claim, the claims are in r->request_config and, if enabled,
 * in the environment.
 */
static ajwt_status_t verify_token(request_rec *r, const auth_jwt_dir_conf *c,
                                  const char *token, const char *via,
                                  int dpop_scheme, ajwt_err_t *err)
{
    ajwt_claims_t *cl;
    auth_jwt_rec *rec;
    const char *user, *jkt;
    ajwt_status_t st;

    if ((st = auth_jwt_authn_verify(r, c, token, via, 1, &cl, &user, err))
        != AJWT_OK
        || (st = auth_jwt_dpop_check(r, c, token, dpop_scheme, &jkt, err))
           != AJWT_OK
        || (st = auth_jwt_sender_check(r, c, dpop_scheme, jkt, cl, err))
           != AJWT_OK) {
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

/* In the first request's slot when its outcome was counted but no token
 * verified there: "counted", no claims (auth_jwt_authn_find_rec skips it). */
static const auth_jwt_rec counted_only = { NULL, NULL };

/* The claims verified for this request, a subrequest's parent or an
 * internal redirect's original. */
const auth_jwt_rec *auth_jwt_authn_find_rec(const request_rec *r)
{
    for (; r; r = r->main ? r->main : r->prev) {
        const auth_jwt_rec *rec = ap_get_module_config(r->request_config,
                                                       &auth_jwt_module);
        if (rec && rec != &counted_only) {
            return rec;
        }
    }
    return NULL;
}

/*
 * st as this request's token outcome (ajwt_metrics_token), once per
 * request whatever its subrequests and internal redirects verify again.
 * The first request's slot says it was counted: its claims, or
 * counted_only. The first request itself is counted before anything it
 * spawns, so it need not look (a note in r->notes would cost every later
 * lookup in that table more than the count itself).
 */
static void count_outcome(request_rec *r, ajwt_status_t st)
{
    request_rec *top = r;
    while (top->main || top->prev) {
        top = top->main ? top->main : top->prev;
    }
    if (top != r && ap_get_module_config(top->request_config,
                                         &auth_jwt_module)) {
        return;
    }
    if (!ap_get_module_config(top->request_config, &auth_jwt_module)) {
        ap_set_module_config(top->request_config, &auth_jwt_module,
                             (void *)&counted_only);
    }
    ajwt_metrics_token(auth_jwt_shared_metrics(), st);
}

/*
 * The token, from the first of the configured sources that has one
 * (default: the Authorization header, then the AuthJWTCookie if set);
 * *from says which kind of source it was.
 */
const char *auth_jwt_authn_find_token(request_rec *r,
                                      const auth_jwt_dir_conf *c,
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
        if (c->profile == PROFILE_FAPI2 && s->from != FROM_HEADER) {
            continue;   /* FAPI 2.0: the Authorization header only */
        }
        switch (s->from) {
        case FROM_HEADER:
        case FROM_DPOP: {
            const char *a = apr_table_get(r->headers_in, "Authorization");
            if ((t = ajwt_web_bearer(a, r->pool)) && *t) {
                *from = FROM_HEADER;
                return t;
            }
            if ((t = ajwt_web_credentials(a, "DPoP", r->pool)) && *t) {
                *from = FROM_DPOP;
                return t;
            }
            break;
        }
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
const char *auth_jwt_authn_own_origin(request_rec *r)
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
                                   auth_jwt_authn_own_origin(r));
}

int auth_jwt_authn_wants_html(const request_rec *r)
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

/*
 * A browser's CORS preflight (Fetch standard: OPTIONS with Origin and
 * Access-Control-Request-Method) never carries credentials, so asking it
 * for a token fails every cross-origin call of a single-page app before
 * its first request. With AuthJWTCORSPreflight pass (the default) such a
 * request is let through without authentication, as httpd's
 * access_checker_ex allows (like <LimitExcept OPTIONS> around the
 * Require lines, for preflights only): mod_headers or the application
 * answers it. Any other OPTIONS request needs a token as before.
 */
static int hook_preflight(request_rec *r)
{
    const auth_jwt_dir_conf *c;

    if (r->method_number != M_OPTIONS || !is_jwt_type(r)
        || !apr_table_get(r->headers_in, "Origin")
        || !apr_table_get(r->headers_in, "Access-Control-Request-Method")) {
        return DECLINED;
    }
    c = ap_get_module_config(r->per_dir_config, &auth_jwt_module);
    if (c->cors_preflight == PREFLIGHT_AUTH) {
        return DECLINED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, APLOGNO(70073)
                  "CORS preflight of %s passed without a token "
                  "(AuthJWTCORSPreflight pass) [id %s]", r->uri,
                  auth_jwt_log_request_id(r));
    return OK;
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
    token = auth_jwt_authn_find_token(r, c, &from);
    if (!token) {
        st = ajwt_err_set(&err, AJWT_ENOTOKEN, "no token in the request for "
                          "%s", r->uri);
    }
    else if (from == FROM_COOKIE && !csrf_ok(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, APLOGNO(70043)
                      "token refused (cross-site): a cookie token on %s "
                      "without a same-origin Origin or Sec-Fetch-Site "
                      "[id %s]", r->method, auth_jwt_log_request_id(r));
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_CROSS_SITE, 1);
        return HTTP_FORBIDDEN;
    }
    else {
        st = verify_token(r, c, token, from == FROM_COOKIE ? "a cookie"
                          : from == FROM_QUERY ? "the query string"
                          : from == FROM_DPOP ? "the Authorization header "
                            "(DPoP)" : "the Authorization header",
                          from == FROM_DPOP, &err);
    }
    count_outcome(r, st);
    if (st != AJWT_OK) {
        if (c->login_url && auth_jwt_authn_wants_html(r) && is_safe_method(r)
            && !r->main
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
    ajwt_status_t st = verify_token(r, c, password,
                                    "the Basic password", 0, &err);
    count_outcome(r, st);
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

static int find_variant(void *data, const char *key, const char *value)
{
    header_variant *v = data;
    (void)value;
    if (strchr(key, '_') && ajwt_claims_header_same(key, v->name)) {
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

static const authn_provider authn_jwt_provider = {
    &authn_jwt_check_password,
    NULL
};

void auth_jwt_authn_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "jwt",
                              AUTHN_PROVIDER_VERSION, &authn_jwt_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authn(hook_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    /* before mod_authz_core's own (APR_HOOK_LAST) */
    ap_hook_check_access_ex(hook_preflight, NULL, NULL, APR_HOOK_FIRST,
                            AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(hook_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(hook_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_fixups(hook_fixups, NULL, NULL, APR_HOOK_FIRST);
}

/* This process's verified-token cache (AuthJWTVerifyCache). */
void auth_jwt_authn_child_init(apr_pool_t *pchild, server_rec *s)
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
}
