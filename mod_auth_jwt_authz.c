/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_jwt_authz.c: the Require providers jwt-role, jwt-claim,
 * jwt-scope and valid-jwt. Their words are split once, at configuration
 * time; a check looks only at the claims authn verified for the request
 * (or its parent) and never verifies a token itself.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"
#include "mod_auth.h"

#include "apr_strings.h"

#include "ajwt_claims.h"

#include "mod_auth_jwt.h"

/* Words of a Require line, split once at configuration time. */
typedef struct {
    const char *path;           /* jwt-claim only */
    apr_array_header_t *words;  /* of const char * */
} require_words;

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
    const char *why;
    cmd->info = "jwt-scope";
    if ((why = authz_words_parse(cmd, line, parsed, 0))) {
        return why;
    }
    /* for the section's RFC 9728 metadata (scopes_supported) */
    auth_jwt_config_note_scopes(cmd, ((const require_words *)*parsed)->words);
    return NULL;
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
                                      ajwt_metrics_word_t mw,
                                      const require_words *w,
                                      const char *path, word_test test)
{
    const auth_jwt_rec *rec = auth_jwt_authn_find_rec(r);
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
    ajwt_metrics_add(auth_jwt_shared_metrics(), AJWT_M_DENIED + mw, 1);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, APLOGNO(70021)
                  "Require %s: user %s does not qualify [id %s]", what,
                  r->user, auth_jwt_log_request_id(r));
    return AUTHZ_DENIED;
}

static authz_status authz_role_check(request_rec *r, const char *line,
                                     const void *parsed)
{
    const auth_jwt_rec *rec = auth_jwt_authn_find_rec(r);
    const char *path = (rec && rec->conf->role_claim) ? rec->conf->role_claim
                                                      : "roles";
    return authz_words_check(r, "jwt-role", AJWT_MW_ROLE, parsed, path,
                             ajwt_claims_has_word);
}

static authz_status authz_claim_check(request_rec *r, const char *line,
                                      const void *parsed)
{
    const require_words *w = parsed;
    return authz_words_check(r, "jwt-claim", AJWT_MW_CLAIM, w, w->path,
                             ajwt_claims_equals);
}

static authz_status authz_scope_check(request_rec *r, const char *line,
                                      const void *parsed)
{
    return authz_words_check(r, "jwt-scope", AJWT_MW_SCOPE, parsed, NULL,
                             scope_test);
}

static authz_status authz_valid_check(request_rec *r, const char *line,
                                      const void *parsed)
{
    if (auth_jwt_authn_find_rec(r)) {
        return AUTHZ_GRANTED;
    }
    if (r->user) {
        /* a user from another module: no token behind it */
        ajwt_metrics_add(auth_jwt_shared_metrics(),
                         AJWT_M_DENIED + AJWT_MW_VALID, 1);
        return AUTHZ_DENIED;
    }
    return AUTHZ_DENIED_NO_USER;
}

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

void auth_jwt_authz_register(apr_pool_t *p)
{
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
}
