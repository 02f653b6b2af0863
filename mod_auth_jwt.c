/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt.c: the module record, and the server-wide hooks that call
 * into the glue files; nothing else.
 *
 * Directives are parsed into the core's structures (keys are loaded
 * once, at configuration time); the hooks take plain strings from the
 * request, make one core call (ajwt_verify), and map its status to an
 * HTTP answer and a log line. Everything that understands tokens lives
 * in src/, which never sees a request_rec. The glue, by httpd role:
 *
 *   AuthJWT* directives     mod_auth_jwt_config.c (create/merge, cmd_*)
 *   AuthType jwt            mod_auth_jwt_authn.c: hook_check_authn
 *   AuthBasicProvider jwt   mod_auth_jwt_authn.c: authn_jwt_check_password
 *   AuthJWTClaimHeader      mod_auth_jwt_authn.c: hook_fixups
 *   cnf: certificate, DPoP  mod_auth_jwt_sender.c: auth_jwt_sender_check
 *   WWW-Authenticate        mod_auth_jwt_authn.c: hook_note_auth_failure
 *                           (401) and hook_insert_error_filter (403)
 *   Require jwt-role ...    mod_auth_jwt_authz.c
 *   SetHandler jwt-*        mod_auth_jwt_handlers.c: one dispatch table
 *   status -> answer, log   mod_auth_jwt_log.c
 *   store, journal, JWKS    mod_auth_jwt_shared.c (post_config, child_init)
 */
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "apr_strings.h"

#include "mod_auth_jwt.h"

static int hook_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp)
{
    auth_jwt_config_pre_config();
    return auth_jwt_shared_pre_config(pconf);
}

/* check_config runs before -t exits: configtest fails on these too. */
static int hook_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    return auth_jwt_config_check(ptemp, s);
}

/* The version line, once per start (and per restart), not in the dry
 * run; and mod_auth_jwt/X.Y.Z as a version component, as mod_ssl adds
 * OpenSSL/...: always in the server description that mod_info and
 * mod_status show, in the Server header only under ServerTokens Full
 * (the administrator's choice; Debian's security.conf says OS). The
 * library versions stay in the log line only. */
static int hook_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    char v[AJWT_VERSIONS_LEN];

    ap_add_version_component(pconf, apr_pstrcat(pconf, "mod_auth_jwt/",
                                                ajwt_version(), NULL));
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, APLOGNO(70090) "%s",
                     ajwt_versions(v, sizeof(v)));
    }
    return auth_jwt_shared_post_config(pconf, s);
}

static void hook_child_init(apr_pool_t *pchild, server_rec *s)
{
    auth_jwt_authn_child_init(pchild, s);
    auth_jwt_shared_child_init(pchild, s);
    if (auth_jwt_config_child_init(pchild, s) != APR_SUCCESS) {
        return;
    }
    auth_jwt_handlers_child_init(pchild, s);
}

static void register_hooks(apr_pool_t *p)
{
    auth_jwt_authn_register(p);
    auth_jwt_authz_register(p);
    auth_jwt_sender_register(p);
    ap_hook_pre_config(hook_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(hook_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(hook_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(hook_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    auth_jwt_handlers_register(p);
}

/* Not AP_DECLARE_MODULE: mod_auth_jwt.h already says APLOG_USE_MODULE. */
module AP_MODULE_DECLARE_DATA auth_jwt_module = {
    STANDARD20_MODULE_STUFF,
    auth_jwt_config_create_dir,
    auth_jwt_config_merge_dir,
    auth_jwt_config_create_srv,
    NULL,
    auth_jwt_config_cmds,
    register_hooks
};
