/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_handlers.c: the module's own endpoints, SetHandler
 * jwt-revoke, jwt-login, jwt-refresh, jwt-logout, jwt-jwks, jwt-metrics
 * and jwt-resource-metadata: one handler hook, one table from handler
 * name to function. Tokens are
 * checked through mod_auth_jwt_authn.c, refusals logged through
 * mod_auth_jwt_log.c; the answers are JSON (or redirects for browsers).
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "mod_auth.h"
#include "mod_status.h"

#include "apr_atomic.h"
#include "apr_md5.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_claims.h"
#include "ajwt_issue.h"
#include "ajwt_json.h"
#include "ajwt_jwks.h"
#include "ajwt_key.h"
#include "ajwt_lockout.h"
#include "ajwt_metrics.h"
#include "ajwt_revoke.h"
#include "ajwt_roles.h"
#include "ajwt_store.h"
#include "ajwt_web.h"

#include "mod_auth_jwt.h"

#define LOGIN_MAX_BODY 4096
/*
 * A bcrypt hash of a random password at htpasswd -B's default cost (5):
 * checked for an unknown user until this process has timed a real check
 * (see check_cost_us).
 */
#define DUMMY_BCRYPT \
    "$2y$05$QGyHY.7bvbBlvhxMQEMyLOL5aAhylQTfZdPdb1S8YQTt35vMlIBoK"

/* Guards the unknown-user dummy hash (file_dummy_hash), per process. */
static apr_thread_mutex_t *dummy_lock;

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
static int handler_revoke(request_rec *r, const auth_jwt_dir_conf *c)
{
    ajwt_store_t *store = auth_jwt_shared_store();
    const char *body, *answer;
    ajwt_revoke_req_t req;
    ajwt_revoke_bounds_t bounds_now = { auth_jwt_config_leeway_max(),
                                        auth_jwt_config_lifetime_max() };
    ajwt_err_t err = { 0 };
    ajwt_status_t st;
    apr_size_t len = 0;
    int json, status;

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
    if (req.kind == AJWT_REVOKE_TOKEN) {
        /* the token is checked as this location accepts tokens: its
         * static and fetched keys, its rules, and revocation */
        ajwt_claims_t *cl = NULL;
        const char *who = NULL;
        ajwt_err_t verr = { 0 };
        req.token_status = auth_jwt_authn_verify(r, c, req.token,
                                                 "jwt-revoke token=", 0, &cl,
                                                 &who, &verr);
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
    is->retired = c->retired_keys;
    is->alg = ajwt_alg_get((ajwt_alg_id_t)__builtin_ctz(c->sign_key->algs));
    is->iss = (c->issuers && c->issuers->nelts)
              ? APR_ARRAY_IDX(c->issuers, 0, const char *)
              : auth_jwt_authn_own_origin(r);
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
        && !ajwt_web_same_origin(origin, site,
                                 auth_jwt_authn_own_origin(r))) {
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
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_LOGIN_REFUSED, 1);
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
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_LOCKOUT, 1);
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
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_LOGIN_OK, 1);
    return json ? send_json(r, HTTP_OK, token_json(r, access, &is))
                : see_other(r, ret);
}

static int refresh_failed(request_rec *r, const auth_jwt_dir_conf *c,
                          int browser, const char *ret)
{
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_REFRESH_REFUSED, 1);
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
        st = auth_jwt_authn_check_revoked(r, c, refresh_claims(&rt, r->pool),
                                          1, &err);
    }
    if (st == AJWT_OK) {
        st = ajwt_family_rotate(store, rt.fam, rt.gen, &next, &reuse,
                                now + is.refresh_ttl, now, &err);
    }
    if (st == AJWT_ESTORE) {
        auth_jwt_log_refusal(r, st, &err);
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_REFRESH_REFUSED, 1);
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
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_REFRESH_REFUSED, 1);
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
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_REFRESH_REUSE, 1);
        return refresh_failed(r, c, browser, ret);
    }
    if (st != AJWT_OK) {
        auth_jwt_log_refusal(r, st, &err);
        return refresh_failed(r, c, browser, ret);
    }
    if (issue_session(r, c, &is, rt.sub, rt.fam, next, &access, &err)) {
        auth_jwt_log_refusal(r, err.status, &err);
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_REFRESH_REFUSED, 1);
        return send_json(r, HTTP_INTERNAL_SERVER_ERROR, ajwt_revoke_error(
            "server_error", "refresh is not available", r->pool));
    }
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_REFRESH_OK, 1);
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
    static const ajwt_web_field_t scope_field = { "scope", 16, 0 };
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
    if (!json && (!type || strncasecmp(type,
                                       "application/x-www-form-urlencoded",
                                       33))) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "send a form or JSON");
    }
    /* the one strict body parser of every endpoint */
    if (ajwt_web_fields_parse(&scope, &scope_field, 1, "only a field scope "
                              "is allowed", body, len, json, r->pool,
                              err)) {
        return AJWT_EMALFORMED;
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
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_LOGOUT_REFUSED, 1);
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
    token = auth_jwt_authn_find_token(r, c, &from);
    if (!token) {
        token = ajwt_web_cookie(cookies, auth_jwt_config_access_cookie(c),
                                r->pool);
    }
    if (token) {
        /* the location's one verification path (static and fetched keys);
         * a token already revoked has nothing more to revoke */
        vst = auth_jwt_authn_verify(r, c, token, "jwt-logout", 1, &cl,
                                    &who, &err);
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
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_LOGOUT_REFUSED, 1);
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
        ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_LOGOUT_REFUSED, 1);
        return send_json(r, HTTP_SERVICE_UNAVAILABLE, ajwt_revoke_error(
            "temporarily_unavailable", "logout could not be recorded; you "
            "are still logged in: try again", r->pool));
    }
    if (sub) {
        r->user = (char *)sub;
    }
    auth_jwt_shared_note_full(r);
    clear_cookies(r, c);
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_LOGOUT_OK, 1);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(70052)
                  "jwt-logout: %s logged out%s [id %s]",
                  r->user ? ap_escape_logitem(r->pool, r->user) : "-",
                  all ? " everywhere (scope=all)" : "",
                  auth_jwt_log_request_id(r));
    if (auth_jwt_authn_wants_html(r)) {
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

/*
 * jwt-metrics: every counter in the Prometheus text format 0.0.4. It is a
 * handler like the others: whoever may read it is said by the location's
 * Require lines (Require ip, or a token), as for server-status.
 */
static int handler_metrics(request_rec *r, const auth_jwt_dir_conf *c)
{
    ajwt_metrics_t *m = auth_jwt_shared_metrics();
    (void)c;
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!m) {
        return HTTP_SERVICE_UNAVAILABLE;    /* AH70080/70081 said why */
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    if (!r->header_only) {
        int n;
        const ajwt_metrics_jwks_t *rows = auth_jwt_shared_jwks_rows(&n,
                                                                    r->pool);
        ap_rputs(ajwt_metrics_prometheus(m, r->pool), r);
        ap_rputs(ajwt_metrics_jwks(rows, n, apr_time_sec(apr_time_now()), 0,
                                   r->pool), r);
    }
    return OK;
}

/*
 * jwt-resource-metadata: RFC 9728 protected-resource metadata of the
 * configuration of this handler's own location (which inherits the
 * <VirtualHost> and server level, as every section does), named by its
 * AuthJWTResource (checked at start-up: AH70140). scopes_supported are
 * those of the sections with the same AuthJWTResource on this server
 * (collected at start-up). jwks_uri and resource_signing_alg_values_
 * supported are the resource's own keys and algorithms for signing its
 * responses (RFC 9728 2): the module signs none, so they are left out.
 */
static json_t *alg_names(unsigned mask)
{
    json_t *a = json_array();
    int i;
    for (i = 0; i < AJWT_NALG; i++) {
        if (mask & AJWT_ALG_BIT(i)) {
            json_array_append_new(a, json_string(ajwt_alg_get(i)->name));
        }
    }
    return a;
}

static json_t *string_list(const apr_array_header_t *l)
{
    json_t *a = json_array();
    int i;
    for (i = 0; l && i < l->nelts; i++) {
        json_array_append_new(a, json_string(APR_ARRAY_IDX(l, i,
                                                           const char *)));
    }
    return a;
}

static int handler_resource_metadata(request_rec *r,
                                     const auth_jwt_dir_conf *c)
{
    json_t *doc, *methods;
    const apr_array_header_t *scopes;
    int fapi2 = c->profile == PROFILE_FAPI2, i;
    /* certificate-bound tokens: where the admin says mTLS is used */
    int mtls = c->mtls != UNSET || c->cert_header;
    char *dumped;
    const char *text;

    if (r->method_number != M_GET) {
        /* httpd's 405 writes Allow itself, from r->allowed_methods:
         * "GET,HEAD" (and TRACE where TraceEnable allows it) */
        ap_allow_methods(r, 1, "GET", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!c->resource) {
        /* only where start-up could not see it (.htaccess) */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(70143)
                      "SetHandler %s: no AuthJWTResource applies to %s "
                      "[id %s]", HANDLER_RESOURCE_METADATA, r->uri,
                      auth_jwt_log_request_id(r));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    doc = ajwt_json_own(json_object(), r->pool);
    json_object_set_new(doc, "resource", json_string(c->resource));
    if (c->issuers && c->issuers->nelts) {
        json_object_set_new(doc, "authorization_servers",
                            string_list(c->issuers));
    }
    else if (c->jwks && c->jwks->conf.discovery) {
        /* the issuer of the last discovery document, once there is one */
        ajwt_jwks_t *src = auth_jwt_shared_jwks(c);
        const ajwt_keyset_t *ks;
        const char *iss = NULL;
        ajwt_err_t err = { 0 };
        if (src && ajwt_jwks_keys(&ks, &iss, src, NULL, r->pool, &err)
                   == AJWT_OK && iss) {
            json_t *a = json_array();
            json_array_append_new(a, json_string(iss));
            json_object_set_new(doc, "authorization_servers", a);
        }
    }
    /* RFC 6750 methods; a cookie is none of them. FAPI 2.0: header only */
    methods = json_array();
    for (i = 0; i < (c->sources ? c->sources->nelts : 1); i++) {
        token_from_t from = c->sources ? APR_ARRAY_IDX(c->sources, i,
                                                       token_source).from
                                       : FROM_HEADER;
        const char *m = from == FROM_HEADER ? "header"
                        : (from == FROM_QUERY && !fapi2) ? "query" : NULL;
        int j, dup = 0;
        for (j = 0; m && j < (int)json_array_size(methods); j++) {
            dup |= !strcmp(json_string_value(json_array_get(methods, j)), m);
        }
        if (m && !dup) {
            json_array_append_new(methods, json_string(m));
        }
    }
    json_object_set_new(doc, "bearer_methods_supported", methods);
    json_object_set_new(doc, "dpop_signing_alg_values_supported",
                        alg_names((c->dpop_algs ? c->dpop_algs
                                                : DPOP_DEFAULT_ALGS)
                                  & (fapi2 ? FAPI2_ALGS : AJWT_ALG_ALL)));
    json_object_set_new(doc, "dpop_bound_access_tokens_required",
                        json_boolean(c->dpop == BIND_REQUIRED
                                     || (fapi2 && !mtls)));
    json_object_set_new(doc, "tls_client_certificate_bound_access_tokens",
                        json_boolean(mtls));
    if ((scopes = auth_jwt_config_scopes(r->server, c->resource))) {
        json_object_set_new(doc, "scopes_supported", string_list(scopes));
    }
    if (!(dumped = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    text = apr_pstrdup(r->pool, dumped);
    free(dumped);
    /* public, and what it says changes only with the configuration */
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    ap_set_content_type(r, "application/json");
    if (!r->header_only) {
        ap_rputs(text, r);
        ap_rputc('\n', r);
    }
    return OK;
}

/* mod_status (server-status): a table, or "Key: value" lines with ?auto */
static int status_row(void *data, const char *family, const char *help,
                      const char *label, const char *value,
                      apr_uint64_t count)
{
    request_rec *r = data;
    (void)help;
    ap_rprintf(r, "<tr><td>%s</td><td>%s%s%s%s</td><td>%" APR_UINT64_T_FMT
               "</td></tr>\n", family, label ? label : "", label ? "=\""
               : "", label ? value : "", label ? "\"" : "", count);
    return 0;
}

static int hook_status(request_rec *r, int flags)
{
    ajwt_metrics_t *m = auth_jwt_shared_metrics();
    int n;
    const ajwt_metrics_jwks_t *rows;
    if (!m) {
        return OK;
    }
    rows = auth_jwt_shared_jwks_rows(&n, r->pool);
    if (flags & AP_STATUS_SHORT) {
        ap_rputs(ajwt_metrics_lines(m, r->pool), r);
        ap_rputs(ajwt_metrics_jwks(rows, n, apr_time_sec(apr_time_now()), 1,
                                   r->pool), r);
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_auth_jwt</h2>\n<table border=\"0\">"
             "<tr><th>counter</th><th>label</th><th>count</th></tr>\n", r);
    ajwt_metrics_each(m, status_row, r);
    ap_rputs("</table>\n", r);
    ap_rputs(ajwt_metrics_hist_html(m, r->pool), r);
    if (n) {
        int i;
        apr_int64_t now = apr_time_sec(apr_time_now());
        ap_rputs("<table border=\"0\"><tr><th>key URL</th><th>seconds "
                 "since last good fetch</th><th>keys</th></tr>\n", r);
        for (i = 0; i < n; i++) {
            ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%d</td></tr>\n",
                       ap_escape_html(r->pool, rows[i].url),
                       rows[i].last_good ? apr_psprintf(r->pool, "%"
                           APR_INT64_T_FMT, now - rows[i].last_good)
                       : "never", rows[i].nkeys);
        }
        ap_rputs("</table>\n", r);
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* Dispatch: SetHandler NAME                                           */

typedef int (*handler_fn)(request_rec *r, const auth_jwt_dir_conf *c);

static const struct {
    const char *name;
    handler_fn run;
} handlers[] = {
    { HANDLER_REVOKE,  handler_revoke },
    { HANDLER_LOGIN,   handler_login },
    { HANDLER_REFRESH, handler_refresh },
    { HANDLER_LOGOUT,  handler_logout },
    { HANDLER_JWKS,    handler_jwks },
    { HANDLER_METRICS, handler_metrics },
    { HANDLER_RESOURCE_METADATA, handler_resource_metadata },
};

static int hook_handler(request_rec *r)
{
    apr_size_t i;
    if (!r->handler || strncmp(r->handler, "jwt-", 4)) {
        return DECLINED;
    }
    for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
        if (!strcmp(r->handler, handlers[i].name)) {
            return handlers[i].run(r, ap_get_module_config(r->per_dir_config,
                                                           &auth_jwt_module));
        }
    }
    return DECLINED;
}

void auth_jwt_handlers_register(apr_pool_t *p)
{
    ap_hook_handler(hook_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* only called when mod_status is loaded */
    APR_OPTIONAL_HOOK(ap, status_hook, hook_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

/* The lock of this process's unknown-user dummy hash (file_dummy_hash). */
void auth_jwt_handlers_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (apr_thread_mutex_create(&dummy_lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        dummy_lock = NULL;      /* then only the measured average serves */
    }
}
