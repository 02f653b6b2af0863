/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt.h: what the glue files of mod_auth_jwt share, and only
 * that: the configuration types, a few constants, and the functions one
 * glue file calls in another, named auth_jwt_<role>_<verb> for the file
 * mod_auth_jwt_<role>.c that has them. Not installed; src/ never sees it.
 */
#ifndef MOD_AUTH_JWT_H
#define MOD_AUTH_JWT_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "apr_tables.h"

#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_claims.h"
#include "ajwt_jwks.h"
#include "ajwt_key.h"
#include "ajwt_metrics.h"
#include "ajwt_roles.h"
#include "ajwt_verify.h"
#include "ajwt_store.h"

/* Every glue file logs as auth_jwt (LogLevel auth_jwt:debug). */
APLOG_USE_MODULE(auth_jwt);
extern module AP_MODULE_DECLARE_DATA auth_jwt_module;

#define UNSET (-1)
#define NOTE_DENIED "auth_jwt_denied"   /* our Require said no */
#define RETRY_AFTER "5"                 /* seconds, on 503 */

#define AUTH_TYPE_JWT "jwt"             /* AuthType jwt */
/* SetHandler names of the endpoints (mod_auth_jwt_handlers.c) */
#define HANDLER_REVOKE "jwt-revoke"
#define HANDLER_LOGIN "jwt-login"
#define HANDLER_REFRESH "jwt-refresh"
#define HANDLER_LOGOUT "jwt-logout"
#define HANDLER_JWKS "jwt-jwks"
#define HANDLER_METRICS "jwt-metrics"
#define HANDLER_RESOURCE_METADATA "jwt-resource-metadata"

enum { FAIL_DENY = 0, FAIL_ALLOW = 1 };
enum { PREFLIGHT_PASS = 0, PREFLIGHT_AUTH = 1 };    /* AuthJWTCORSPreflight */
enum { STORE_NONE = 0, STORE_SHM, STORE_MC, STORE_REDIS };
enum { JWKS_CONTINUE = 0, JWKS_FAIL = 1 };
enum { BIND_OPTIONAL = 0, BIND_REQUIRED = 1 };  /* AuthJWTDPoP, AuthJWTMTLS */
enum { TYPE_ANY = 0, TYPE_AT_JWT = 1 };         /* AuthJWTTokenType */
enum { PROFILE_NONE = 0, PROFILE_FAPI2 = 1 };   /* AuthJWTProfile */
#define DPOP_DEFAULT_WINDOW 60                  /* AuthJWTDPoPWindow */
/* AuthJWTDPoPAlgorithms unset: ES256 PS256 EdDSA */
#define DPOP_DEFAULT_ALGS (AJWT_ALG_BIT(AJWT_ES256) \
                           | AJWT_ALG_BIT(AJWT_PS256) \
                           | AJWT_ALG_BIT(AJWT_EDDSA))
/* What AuthJWTProfile fapi2 allows, for tokens and proofs (FAPI 2.0
 * Security Profile 5.4): PS256, ES256 and EdDSA (Ed25519 by either name) */
#define FAPI2_ALGS (AJWT_ALG_BIT(AJWT_PS256) | AJWT_ALG_BIT(AJWT_ES256) \
                    | AJWT_ALG_BIT(AJWT_EDDSA) | AJWT_ALG_BIT(AJWT_ED25519))

/* FROM_DPOP: "Authorization: DPoP <token>" (found where FROM_HEADER is) */
typedef enum { FROM_HEADER, FROM_COOKIE, FROM_QUERY, FROM_DPOP } token_from_t;

typedef struct {
    token_from_t from;
    const char *name;           /* cookie or query parameter name */
} token_source;

/* AuthJWTClaimHeader PATH HEADER: the core checks its text (no control
 * character), hook_fixups sets it. */
typedef ajwt_claim_header_t claim_header;

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
    const char *name;           /* "directive url", for the core's errors */
    char *region;               /* its shared memory (post_config) */
    apr_array_header_t *servers;/* of server_rec *: the servers naming it */
    const char *ca_default;     /* their server-level AuthJWTJwksCA */
} jwks_source;

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
    int cors_preflight;         /* PREFLIGHT_PASS (default) or _AUTH */
    struct jwks_source *jwks;   /* AuthJWTJwksURL/DiscoveryURL, or NULL */
    const char *jwks_ca;        /* AuthJWTJwksCA of this section */
    ajwt_key_t *sign_key;       /* AuthJWTSignKey: signs issued tokens */
    apr_array_header_t *retired_keys;   /* AuthJWTRetiredSignKey: of
                                 * ajwt_key_t *, verify only, each a kid */
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
    /* sender-constrained tokens, resource server (issue 12) */
    int dpop;                   /* AuthJWTDPoP: BIND_OPTIONAL or _REQUIRED */
    unsigned dpop_algs;         /* AuthJWTDPoPAlgorithms; 0 = the default */
    int dpop_window;            /* AuthJWTDPoPWindow; UNSET = 60 */
    const char *dpop_nonce;     /* AuthJWTDPoPNonce secret; NULL = unset */
    apr_size_t dpop_nonce_len;
    int dpop_nonce_off;         /* AuthJWTDPoPNonce Off given here */
    const char *public_url;     /* AuthJWTPublicURL scheme://host[:port] */
    int mtls;                   /* AuthJWTMTLS: BIND_OPTIONAL or _REQUIRED */
    const char *cert_header;    /* AuthJWTClientCertHeader */
    apr_array_header_t *trusted_proxies;    /* of apr_ipsubnet_t * */
    int token_type;             /* AuthJWTTokenType: TYPE_ANY or TYPE_AT_JWT */
    const char *resource;       /* AuthJWTResource */
    const char *resource_metadata_url;      /* AuthJWTResourceMetadataURL */
    int profile;                /* AuthJWTProfile: PROFILE_NONE or _FAPI2 */
    apr_array_header_t *scopes; /* of const char *: this section's Require
                                 * jwt-scope words (metadata only) */
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

/* What a successful verification leaves in r->request_config. */
typedef struct {
    ajwt_claims_t *claims;
    const auth_jwt_dir_conf *conf;  /* the configuration that verified */
} auth_jwt_rec;

/* --------------------------------------------- mod_auth_jwt_config.c */

/* The module record's: dir and server records on p (httpd's config
 * pools, or r->pool for a merge per request), and the directives. */
void *auth_jwt_config_create_dir(apr_pool_t *p, char *dir);
void *auth_jwt_config_merge_dir(apr_pool_t *p, void *basev, void *addv);
void *auth_jwt_config_create_srv(apr_pool_t *p, server_rec *s);
extern const command_rec auth_jwt_config_cmds[];

/* A field of c, or its default where it is UNSET (or NULL). Strings are
 * c's (config pool) or static. */
const char *auth_jwt_config_user_claim(const auth_jwt_dir_conf *c);
int auth_jwt_config_leeway(const auth_jwt_dir_conf *c);
int auth_jwt_config_access_ttl(const auth_jwt_dir_conf *c);
int auth_jwt_config_refresh_ttl(const auth_jwt_dir_conf *c);
const char *auth_jwt_config_access_cookie(const auth_jwt_dir_conf *c);
const char *auth_jwt_config_refresh_cookie(const auth_jwt_dir_conf *c);
const char *auth_jwt_config_refresh_path(const auth_jwt_dir_conf *c);

/*
 * What the reading of the whole configuration found, in the parent
 * before any child exists (read-only afterwards): the largest leeway of
 * any section and AuthJWTMaxTokenLifetime (how long revocations must
 * live), whether any AuthJWTSignKey was seen, and every key URL (an
 * array of jwks_source * in pconf; NULL if none).
 */
int auth_jwt_config_leeway_max(void);
apr_int64_t auth_jwt_config_lifetime_max(void);
int auth_jwt_config_issuing(void);
const apr_array_header_t *auth_jwt_config_jwks_sources(void);

/* pre_config: forget what the last reading of the configuration found. */
void auth_jwt_config_pre_config(void);

/* check_config: the rules that involve several directives. OK, or
 * HTTP_INTERNAL_SERVER_ERROR after logging why (start-up stops). */
int auth_jwt_config_check(apr_pool_t *ptemp, server_rec *s);

/*
 * The scopes of the resource "resource" on server s for its RFC 9728
 * metadata: the words of every Require jwt-scope line (not under "not")
 * of the server level and of every <Location> and <Directory> section
 * of s (not <Files>, <If> or .htaccess) whose AuthJWTResource, its own
 * or the server level's, is "resource"; in the order of the
 * configuration, each once. Collected by
 * auth_jwt_config_check (in pconf); NULL when there are none.
 */
const apr_array_header_t *auth_jwt_config_scopes(const server_rec *s,
                                                 const char *resource);

/* Require jwt-scope WORDS... in the section of cmd (its dir config in
 * cmd->context): remember them there for auth_jwt_config_scopes. */
void auth_jwt_config_note_scopes(cmd_parms *cmd,
                                 const apr_array_header_t *words);

/* child_init: this process's cache of keys named in .htaccess files, in
 * a subpool of pchild. Not APR_SUCCESS only if that pool could not be
 * made (keys are then loaded per request). */
apr_status_t auth_jwt_config_child_init(apr_pool_t *pchild, server_rec *s);

/* ------------------------------------------------ mod_auth_jwt_log.c */

/* r->log_id, generated first if still NULL; "-" when there is none. */
const char *auth_jwt_log_request_id(request_rec *r);

/* The HTTP status of a core status; any status without a row of its own
 * (AJWT_OK too) answers as AJWT_EINTERNAL: 500. */
int auth_jwt_log_http_status(ajwt_status_t st);

/* The "token refused" line of st (its APLOGNO and level) with err's
 * text and the request id; nothing is sent. */
void auth_jwt_log_refusal(request_rec *r, ajwt_status_t st,
                          const ajwt_err_t *err);

/* An RFC 6750 Bearer challenge with error code "error" (on r->pool);
 * NULL or "": without an error code (no token was presented). It ends
 * with auth_jwt_log_challenge_params(r). */
void auth_jwt_log_note_bearer(request_rec *r, const char *error);

/* The auth-params every challenge of r's location ends with (any scheme:
 * Bearer, DPoP): ", resource_metadata=\"URL\"" with
 * AuthJWTResourceMetadataURL (RFC 9728 5.1), else "". On r->pool or
 * static. */
const char *auth_jwt_log_challenge_params(request_rec *r);

/* Log the refusal, add the challenge or Retry-After its row asks for,
 * and return its HTTP status for the hook to answer with. */
int auth_jwt_log_reject(request_rec *r, ajwt_status_t st,
                        const ajwt_err_t *err);

/* ---------------------------------------------- mod_auth_jwt_authn.c */

/* The core's verifier for c (keys static and fetched, rules, user claim,
 * claim headers): what every door that accepts a token verifies with. */
void auth_jwt_authn_verifier(ajwt_verifier_t *v, const auth_jwt_dir_conf *c);

/*
 * The one verification path of every door that accepts a token (AuthType
 * jwt, the Basic provider, jwt-revoke token=, jwt-logout): the location's
 * static and fetched keys, its claim rules, the user claim and the claim
 * headers' values, and, if revocation is set, the revocation check. On
 * AJWT_OK *out and *user_out are set (r->pool), and at LogLevel debug a
 * line (AH70078) traces it, "from" via (where the token came from); the
 * request is not changed. Else the refusal's status, err says why
 * (nothing logged).
 */
ajwt_status_t auth_jwt_authn_verify(request_rec *r, const auth_jwt_dir_conf *c,
                                    const char *token, const char *via,
                                    int revocation, ajwt_claims_t **out,
                                    const char **user_out, ajwt_err_t *err);

/* The revocation check of verified claims where c checks revocation (or
 * always): AJWT_OK, AJWT_EREVOKED, or AJWT_ESTORE when the store cannot
 * answer (AJWT_OK instead, with a rate-limited warning, where
 * AuthJWTRevocationFailure allow). */
ajwt_status_t auth_jwt_authn_check_revoked(request_rec *r,
                                           const auth_jwt_dir_conf *c,
                                           const ajwt_claims_t *cl,
                                           int always, ajwt_err_t *err);

/* The token from the first of c's sources that has one (r->pool), and
 * which kind of source that was; NULL if none has one. */
const char *auth_jwt_authn_find_token(request_rec *r,
                                      const auth_jwt_dir_conf *c,
                                      token_from_t *from);

/* The claims verified for this request, a subrequest's parent or an
 * internal redirect's original (in their request pools); NULL if none. */
const auth_jwt_rec *auth_jwt_authn_find_rec(const request_rec *r);

/* scheme://host[:port] of r as a browser's Origin says it (r->pool). */
const char *auth_jwt_authn_own_origin(request_rec *r);

/* Does the client accept text/html (a browser rather than an API)? */
int auth_jwt_authn_wants_html(const request_rec *r);

/* Register the Basic provider and the check_authn, note_auth_failure,
 * insert_error_filter and fixups hooks. */
void auth_jwt_authn_register(apr_pool_t *p);

/* child_init: this process's verified-token cache, in pchild. */
void auth_jwt_authn_child_init(apr_pool_t *pchild, server_rec *s);

/* ----------------------------------------------- mod_auth_jwt_dpop.c */

/* With dpop_scheme (the token came as "Authorization: DPoP"), the one
 * DPoP header's proof for this request and token (ajwt_dpop_check), its
 * jti counted once in the revocation store: AJWT_OK and *jkt_out the
 * proof key's thumbprint (r->pool), or AJWT_EDPOP, AJWT_EREPLAY,
 * AJWT_ENONCE, AJWT_ESTORE. Without it, AJWT_OK and *jkt_out NULL. */
ajwt_status_t auth_jwt_dpop_check(request_rec *r,
                                  const auth_jwt_dir_conf *c,
                                  const char *token, int dpop_scheme,
                                  const char **jkt_out, ajwt_err_t *err);

/* When the request used DPoP (or the location requires it): set the DPoP
 * challenge with error code error (and a DPoP-Nonce when one is wanted)
 * and return 1; else 0 (the caller sets a Bearer challenge). */
int auth_jwt_dpop_note_challenge(request_rec *r, const char *error);

/* --------------------------------------------- mod_auth_jwt_sender.c */

/*
 * The sender rules of c for verified claims cl (ajwt_cnf_check): a token
 * with cnf.x5t#S256 against the client certificate (mod_ssl, or
 * AuthJWTClientCertHeader from an AuthJWTTrustedProxy), one with cnf.jkt
 * against a verified DPoP proof (dpop_scheme: it came as "Authorization:
 * DPoP"; dpop_jkt: the key of its verified proof, auth_jwt_dpop_check),
 * AuthJWTDPoP/AuthJWTMTLS Required and AuthJWTProfile fapi2.
 * AJWT_OK, or AJWT_EBINDING with why in err (nothing logged).
 */
ajwt_status_t auth_jwt_sender_check(request_rec *r, const auth_jwt_dir_conf *c,
                                    int dpop_scheme, const char *dpop_jkt,
                                    const ajwt_claims_t *cl, ajwt_err_t *err);

/* Register the optional-function lookup of mod_ssl and the hooks that
 * remove an AuthJWTClientCertHeader no trusted proxy sent. */
void auth_jwt_sender_register(apr_pool_t *p);

/* ---------------------------------------------- mod_auth_jwt_authz.c */

/* Register Require jwt-role, jwt-claim, jwt-scope and valid-jwt. */
void auth_jwt_authz_register(apr_pool_t *p);

/* ------------------------------------------- mod_auth_jwt_handlers.c */

/* Register the one handler hook (jwt-revoke, login, refresh, logout,
 * jwks). */
void auth_jwt_handlers_register(apr_pool_t *p);

/* child_init: the lock of the unknown-user dummy hash, in pchild. */
void auth_jwt_handlers_child_init(apr_pool_t *pchild, server_rec *s);

/* --------------------------------------------- mod_auth_jwt_shared.c */

/* The revocation store of this process, NULL when none is configured or
 * when this child could not attach it (then wanted is 1 and missing says
 * why, in pchild, or "attach failed"). Shared by all its threads. */
ajwt_store_t *auth_jwt_shared_store(void);
int auth_jwt_shared_store_wanted(void);
const char *auth_jwt_shared_store_missing(void);

/* The keys of c's AuthJWTJwksURL/DiscoveryURL in this process; NULL when
 * c has none, or this process has no region for it. */
ajwt_jwks_t *auth_jwt_shared_jwks(const auth_jwt_dir_conf *c);

/* Every key URL's last good fetch and key count, for the metrics (*n of
 * them, from p; NULL and 0 when there are none). */
const ajwt_metrics_jwks_t *auth_jwt_shared_jwks_rows(int *n, apr_pool_t *p);

/* Log, once per new event this process sees, a memcached/Redis server
 * refilled from the journal or memcached evictions (note_events), or a
 * full shm table pushing out live revocations (note_full). */
void auth_jwt_shared_note_events(request_rec *r);
void auth_jwt_shared_note_full(request_rec *r);

/* The counter block every process and thread shares (made in
 * post_config, in the process pool: it outlives a graceful restart);
 * NULL when it could not be made (counting is then off). */
ajwt_metrics_t *auth_jwt_shared_metrics(void);

/* One fetch of a key URL, by its result (IDLE: none, not counted). */
void auth_jwt_shared_count_fetch(ajwt_jwks_result_t what);

/* pre_config: curl's global init and the global mutexes' registration.
 * OK, or !OK after logging why. */
int auth_jwt_shared_pre_config(apr_pool_t *pconf);

/* post_config: the store, its journal and the key URLs' regions, in the
 * process pool (they outlive a graceful restart) or pconf. OK, or
 * HTTP_INTERNAL_SERVER_ERROR after logging why (start-up stops). In the
 * dry run (AP_SQ_MS_CREATE_PRE_CONFIG) it only notes what is wanted. */
int auth_jwt_shared_post_config(apr_pool_t *pconf, server_rec *s);

/* child_init: attach all of it in this child (pchild); what fails is
 * logged, and the store is then missing (see above). */
void auth_jwt_shared_child_init(apr_pool_t *pchild, server_rec *s);

#endif /* MOD_AUTH_JWT_H */
