/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_metrics.c: unit tests of src/ajwt_metrics.c: the block's layout
 * check (counts kept on re-attach, anything else laid out anew), exact
 * sums from several threads in two processes sharing one mapping, the
 * status-to-reason table, and the Prometheus and "Key: value" texts of a
 * known block, byte for byte.
 */
#include "unit.h"
#include "ajwt_metrics.h"

#include <apr_thread_proc.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS  100000

static void *shared_block(void)
{
    void *b = mmap(NULL, ajwt_metrics_size(), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return b == MAP_FAILED ? NULL : b;
}

static void attach(apr_pool_t *p)
{
    char *raw = apr_palloc(p, ajwt_metrics_size() + 16);
    void *base = (void *)(((apr_uintptr_t)raw + 7) & ~(apr_uintptr_t)7);
    ajwt_metrics_t *m, *again;
    ajwt_err_t err = { 0 };
    int kept = -1;

    memset(base, 0xa5, ajwt_metrics_size());    /* garbage: laid out anew */
    ok(ajwt_metrics_attach(&m, base, ajwt_metrics_size(), &kept, &err)
       == AJWT_OK && m, "attached");
    is_int(kept, 0, "garbage is not kept");
    is_int(ajwt_metrics_get(m, AJWT_M_LOCKOUT), 0, "zero after lay-out");
    ajwt_metrics_add(m, AJWT_M_LOCKOUT, 3);
    ajwt_metrics_token(m, AJWT_EEXPIRED);
    ok(ajwt_metrics_attach(&again, base, ajwt_metrics_size(), &kept, &err)
       == AJWT_OK && again, "attached again");
    is_int(kept, 1, "same layout: kept (graceful restart)");
    is_int(ajwt_metrics_get(again, AJWT_M_LOCKOUT), 3, "lockouts kept");
    is_int(ajwt_metrics_get(again, AJWT_M_TOKEN + AJWT_MR_EXPIRED), 1,
           "expired kept");
    /* another version's block (its header says so): zeroed */
    ((apr_uint32_t *)base)[2] = AJWT_METRICS_VERSION + 1;
    ok(ajwt_metrics_attach(&again, base, ajwt_metrics_size(), &kept, &err)
       == AJWT_OK, "other version attached");
    is_int(kept, 0, "other version not kept");
    is_int(ajwt_metrics_get(again, AJWT_M_LOCKOUT), 0, "other version zeroed");
    ok(ajwt_metrics_attach(&again, base, ajwt_metrics_size() - 1, NULL,
                           &err) == AJWT_EINTERNAL && !again, "too small");
    ok(ajwt_metrics_attach(&again, (char *)base + 4, ajwt_metrics_size(),
                           NULL, NULL) == AJWT_EINTERNAL, "misaligned");
    ajwt_metrics_add(NULL, AJWT_M_LOCKOUT, 1);      /* no block: no-op */
    ajwt_metrics_token(NULL, AJWT_OK);
    is_int(ajwt_metrics_get(NULL, AJWT_M_LOCKOUT), 0, "NULL reads 0");
    is_int(ajwt_metrics_get(m, AJWT_M_NCOUNTERS), 0, "out of range reads 0");
}

static void reasons(apr_pool_t *p)
{
    static const struct { ajwt_status_t st; ajwt_metrics_reason_t r; } t[] = {
        { AJWT_OK, AJWT_MR_OK },
        { AJWT_EINTERNAL, AJWT_MR_INTERNAL },
        { AJWT_ENOTOKEN, AJWT_MR_MISSING },
        { AJWT_EOVERSIZE, AJWT_MR_TOO_LARGE },
        { AJWT_EMALFORMED, AJWT_MR_MALFORMED },
        { AJWT_EALG, AJWT_MR_ALG_REFUSED },
        { AJWT_EHEADER, AJWT_MR_BAD_HEADER },
        { AJWT_EKEY, AJWT_MR_UNKNOWN_KID },
        { AJWT_ESIG, AJWT_MR_BAD_SIGNATURE },
        { AJWT_ECLAIM, AJWT_MR_CLAIM_REFUSED },
        { AJWT_EEXPIRED, AJWT_MR_EXPIRED },
        { AJWT_ENOTYET, AJWT_MR_NOT_YET_VALID },
        { AJWT_EMAXAGE, AJWT_MR_TOO_OLD },
        { AJWT_EISSUER, AJWT_MR_BAD_ISS },
        { AJWT_EAUDIENCE, AJWT_MR_BAD_AUD },
        { AJWT_ECONFIG, AJWT_MR_CONFIG_ERROR },
        { AJWT_EREVOKED, AJWT_MR_REVOKED },
        { AJWT_ESTORE, AJWT_MR_STORE_UNAVAILABLE },
        { AJWT_EFETCH, AJWT_MR_KEYS_UNAVAILABLE },
        { AJWT_ELOCKED, AJWT_MR_INTERNAL },
        { AJWT_EDPOP, AJWT_MR_DPOP_INVALID },
        { AJWT_EREPLAY, AJWT_MR_DPOP_REPLAYED },
        { AJWT_ENONCE, AJWT_MR_DPOP_NONCE },
        { AJWT_EBINDING, AJWT_MR_BINDING_MISMATCH },
        { AJWT_NSTATUS, AJWT_MR_INTERNAL },
        { (ajwt_status_t)-1, AJWT_MR_INTERNAL },
    };
    size_t i;
    (void)p;
    ok(sizeof(t) / sizeof(t[0]) == AJWT_NSTATUS + 2, "every status listed");
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        is_int(ajwt_metrics_reason(t[i].st), t[i].r, "status %d", t[i].st);
    }
}

typedef struct {
    ajwt_metrics_t *m;
} work_arg;

static void *APR_THREAD_FUNC work(apr_thread_t *t, void *data)
{
    work_arg *a = data;
    int i;
    for (i = 0; i < ROUNDS; i++) {
        ajwt_metrics_token(a->m, AJWT_OK);
        ajwt_metrics_add(a->m, AJWT_M_CACHE_HIT, 2);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* THREADS threads on one attachment; 0 if all ran */
static int hammer(ajwt_metrics_t *m, apr_pool_t *p)
{
    apr_thread_t *th[THREADS];
    work_arg a = { m };
    apr_status_t rv;
    int i, bad = 0;
    for (i = 0; i < THREADS; i++) {
        bad |= apr_thread_create(&th[i], NULL, work, &a, p) != APR_SUCCESS;
    }
    for (i = 0; i < THREADS; i++) {
        bad |= apr_thread_join(&rv, th[i]) != APR_SUCCESS;
    }
    return bad;
}

/* Two processes, each with its own attachment of one shared mapping and
 * THREADS threads: the sums are exact. */
static void processes(apr_pool_t *p)
{
    void *base = shared_block();
    ajwt_metrics_t *m = NULL, *mine;
    pid_t pid;
    int status = -1, kept = -1;

    ok(base != NULL, "shared mapping");
    if (!base) {
        return;
    }
    ok(ajwt_metrics_attach(&m, base, ajwt_metrics_size(), &kept, NULL)
       == AJWT_OK, "laid out in the parent");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        apr_pool_t *cp;
        apr_pool_create(&cp, NULL);
        /* the child attaches on its own, as a second process would */
        if (ajwt_metrics_attach(&mine, base, ajwt_metrics_size(), &kept,
                                NULL) != AJWT_OK || !kept) {
            _exit(2);
        }
        _exit(hammer(mine, cp) ? 3 : 0);
    }
    ok(pid > 0, "forked");
    ok(hammer(m, p) == 0, "parent's threads ran");
    ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status)
       && WEXITSTATUS(status) == 0, "child's threads ran (status %d)",
       status);
    is_int(ajwt_metrics_get(m, AJWT_M_TOKEN + AJWT_MR_OK),
           2 * THREADS * ROUNDS, "ok counted exactly");
    is_int(ajwt_metrics_get(m, AJWT_M_CACHE_HIT), 4 * THREADS * ROUNDS,
           "hits counted exactly");
    is_int(ajwt_metrics_get(m, AJWT_M_CACHE_MISS), 0, "neighbour untouched");
    munmap(base, ajwt_metrics_size());
}

/* A known block, and its two texts exactly. */
static ajwt_metrics_t *known(apr_pool_t *p)
{
    void *base = apr_pcalloc(p, ajwt_metrics_size());
    ajwt_metrics_t *m;
    int i;
    ajwt_metrics_attach(&m, base, ajwt_metrics_size(), NULL, NULL);
    for (i = 0; i < 7; i++) {
        ajwt_metrics_token(m, AJWT_OK);
    }
    ajwt_metrics_add(m, AJWT_M_TOKEN + AJWT_MR_MISSING, 3);
    ajwt_metrics_add(m, AJWT_M_TOKEN + AJWT_MR_EXPIRED, 2);
    ajwt_metrics_token(m, AJWT_ESIG);
    ajwt_metrics_token(m, AJWT_ESIG);
    ajwt_metrics_token(m, AJWT_EMALFORMED);
    ajwt_metrics_add(m, AJWT_M_DENIED + AJWT_MW_ROLE, 2);
    ajwt_metrics_add(m, AJWT_M_CACHE_HIT, 5);
    ajwt_metrics_add(m, AJWT_M_CACHE_MISS, 4);
    ajwt_metrics_add(m, AJWT_M_JWKS_UPDATED, 1);
    ajwt_metrics_add(m, AJWT_M_REVOKE_NOT_REVOKED, 6);
    ajwt_metrics_add(m, AJWT_M_REVOKE_ALLOWED, 1);
    ajwt_metrics_add(m, AJWT_M_LOGIN_REFUSED, 8);
    ajwt_metrics_add(m, AJWT_M_LOCKOUT, 1);
    ajwt_metrics_add(m, AJWT_M_REFRESH_REUSE, 1);
    ajwt_metrics_add(m, AJWT_M_LOGOUT_OK, APR_UINT64_C(12345678901234));
    ajwt_metrics_observe(m, AJWT_MH_HMAC, 5);
    ajwt_metrics_observe(m, AJWT_MH_HMAC, 10);     /* le is inclusive */
    ajwt_metrics_observe(m, AJWT_MH_HMAC, 11);
    ajwt_metrics_observe(m, AJWT_MH_RSA, 300);
    ajwt_metrics_observe(m, AJWT_MH_RSA, 200000);  /* over 0.1 s: +Inf */
    ajwt_metrics_observe(m, AJWT_MH_EC, -1);       /* ignored */
    ajwt_metrics_observe(m, AJWT_MH_N, 1);         /* ignored */
    return m;
}

static const char want_prometheus[] =
"# HELP mod_auth_jwt_tokens_total Token checks (one per request), by outcome.\n"
"# TYPE mod_auth_jwt_tokens_total counter\n"
"mod_auth_jwt_tokens_total{reason=\"ok\"} 7\n"
"mod_auth_jwt_tokens_total{reason=\"missing\"} 3\n"
"mod_auth_jwt_tokens_total{reason=\"malformed\"} 1\n"
"mod_auth_jwt_tokens_total{reason=\"too_large\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"alg_refused\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"bad_signature\"} 2\n"
"mod_auth_jwt_tokens_total{reason=\"unknown_kid\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"expired\"} 2\n"
"mod_auth_jwt_tokens_total{reason=\"not_yet_valid\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"too_old\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"bad_iss\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"bad_aud\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"bad_header\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"claim_refused\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"revoked\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"store_unavailable\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"keys_unavailable\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"dpop_invalid\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"dpop_replayed\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"dpop_nonce\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"binding_mismatch\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"config_error\"} 0\n"
"mod_auth_jwt_tokens_total{reason=\"internal\"} 0\n"
"# HELP mod_auth_jwt_authz_denied_total Authorization denials, by Require word.\n"
"# TYPE mod_auth_jwt_authz_denied_total counter\n"
"mod_auth_jwt_authz_denied_total{word=\"jwt-role\"} 2\n"
"mod_auth_jwt_authz_denied_total{word=\"jwt-claim\"} 0\n"
"mod_auth_jwt_authz_denied_total{word=\"jwt-scope\"} 0\n"
"mod_auth_jwt_authz_denied_total{word=\"valid-jwt\"} 0\n"
"# HELP mod_auth_jwt_verify_cache_total Verified-token cache lookups, by result.\n"
"# TYPE mod_auth_jwt_verify_cache_total counter\n"
"mod_auth_jwt_verify_cache_total{result=\"hit\"} 5\n"
"mod_auth_jwt_verify_cache_total{result=\"miss\"} 4\n"
"mod_auth_jwt_verify_cache_total{result=\"eviction\"} 0\n"
"# HELP mod_auth_jwt_jwks_fetches_total Key URL fetches, by result.\n"
"# TYPE mod_auth_jwt_jwks_fetches_total counter\n"
"mod_auth_jwt_jwks_fetches_total{result=\"updated\"} 1\n"
"mod_auth_jwt_jwks_fetches_total{result=\"same\"} 0\n"
"mod_auth_jwt_jwks_fetches_total{result=\"failed\"} 0\n"
"# HELP mod_auth_jwt_revocation_lookups_total Revocation lookups, by result.\n"
"# TYPE mod_auth_jwt_revocation_lookups_total counter\n"
"mod_auth_jwt_revocation_lookups_total{result=\"not_revoked\"} 6\n"
"mod_auth_jwt_revocation_lookups_total{result=\"revoked\"} 0\n"
"mod_auth_jwt_revocation_lookups_total{result=\"store_error\"} 0\n"
"# HELP mod_auth_jwt_revocation_allowed_total Tokens let through with the "
"store unreachable (AuthJWTRevocationFailure allow).\n"
"# TYPE mod_auth_jwt_revocation_allowed_total counter\n"
"mod_auth_jwt_revocation_allowed_total 1\n"
"# HELP mod_auth_jwt_logins_total Logins (jwt-login), by result.\n"
"# TYPE mod_auth_jwt_logins_total counter\n"
"mod_auth_jwt_logins_total{result=\"ok\"} 0\n"
"mod_auth_jwt_logins_total{result=\"refused\"} 8\n"
"# HELP mod_auth_jwt_refreshes_total Refreshes (jwt-refresh), by result.\n"
"# TYPE mod_auth_jwt_refreshes_total counter\n"
"mod_auth_jwt_refreshes_total{result=\"ok\"} 0\n"
"mod_auth_jwt_refreshes_total{result=\"refused\"} 0\n"
"# HELP mod_auth_jwt_logouts_total Logouts (jwt-logout), by result.\n"
"# TYPE mod_auth_jwt_logouts_total counter\n"
"mod_auth_jwt_logouts_total{result=\"ok\"} 12345678901234\n"
"mod_auth_jwt_logouts_total{result=\"refused\"} 0\n"
"# HELP mod_auth_jwt_lockouts_total Logins refused because the account is "
"locked out.\n"
"# TYPE mod_auth_jwt_lockouts_total counter\n"
"mod_auth_jwt_lockouts_total 1\n"
"# HELP mod_auth_jwt_refresh_reuse_total Reuses of an already rotated "
"refresh token.\n"
"# TYPE mod_auth_jwt_refresh_reuse_total counter\n"
"mod_auth_jwt_refresh_reuse_total 1\n"
"# HELP mod_auth_jwt_cross_site_refused_total Cookie tokens refused (403) "
"on an unsafe request without a same-origin Origin or Sec-Fetch-Site.\n"
"# TYPE mod_auth_jwt_cross_site_refused_total counter\n"
"mod_auth_jwt_cross_site_refused_total 0\n"
"# HELP mod_auth_jwt_verify_seconds Time of one token verification "
"(signature and claims), by algorithm family; cached: a "
"verified-token cache hit.\n"
"# TYPE mod_auth_jwt_verify_seconds histogram\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"1e-05\"} 2\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"2.5e-05\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"5e-05\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.0001\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.00025\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.0005\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.001\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.0025\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.005\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.01\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.025\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"0.1\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"hmac\",le=\"+Inf\"} 3\n"
"mod_auth_jwt_verify_seconds_sum{alg=\"hmac\"} 0.000026\n"
"mod_auth_jwt_verify_seconds_count{alg=\"hmac\"} 3\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"1e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"2.5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.0001\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.00025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.0005\"} 1\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.001\"} 1\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.0025\"} 1\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.005\"} 1\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.01\"} 1\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.025\"} 1\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"0.1\"} 1\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"rsa\",le=\"+Inf\"} 2\n"
"mod_auth_jwt_verify_seconds_sum{alg=\"rsa\"} 0.200300\n"
"mod_auth_jwt_verify_seconds_count{alg=\"rsa\"} 2\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"1e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"2.5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.0001\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.00025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.0005\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.001\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.0025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.005\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.01\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"0.1\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"ec\",le=\"+Inf\"} 0\n"
"mod_auth_jwt_verify_seconds_sum{alg=\"ec\"} 0.000000\n"
"mod_auth_jwt_verify_seconds_count{alg=\"ec\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"1e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"2.5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.0001\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.00025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.0005\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.001\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.0025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.005\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.01\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"0.1\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"eddsa\",le=\"+Inf\"} 0\n"
"mod_auth_jwt_verify_seconds_sum{alg=\"eddsa\"} 0.000000\n"
"mod_auth_jwt_verify_seconds_count{alg=\"eddsa\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"1e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"2.5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"5e-05\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.0001\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.00025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.0005\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.001\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.0025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.005\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.01\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.025\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"0.1\"} 0\n"
"mod_auth_jwt_verify_seconds_bucket{alg=\"cached\",le=\"+Inf\"} 0\n"
"mod_auth_jwt_verify_seconds_sum{alg=\"cached\"} 0.000000\n"
"mod_auth_jwt_verify_seconds_count{alg=\"cached\"} 0\n";

static const char want_lines[] =
"AuthJWT_tokens_ok: 7\n"
"AuthJWT_tokens_missing: 3\n"
"AuthJWT_tokens_malformed: 1\n"
"AuthJWT_tokens_too_large: 0\n"
"AuthJWT_tokens_alg_refused: 0\n"
"AuthJWT_tokens_bad_signature: 2\n"
"AuthJWT_tokens_unknown_kid: 0\n"
"AuthJWT_tokens_expired: 2\n"
"AuthJWT_tokens_not_yet_valid: 0\n"
"AuthJWT_tokens_too_old: 0\n"
"AuthJWT_tokens_bad_iss: 0\n"
"AuthJWT_tokens_bad_aud: 0\n"
"AuthJWT_tokens_bad_header: 0\n"
"AuthJWT_tokens_claim_refused: 0\n"
"AuthJWT_tokens_revoked: 0\n"
"AuthJWT_tokens_store_unavailable: 0\n"
"AuthJWT_tokens_keys_unavailable: 0\n"
"AuthJWT_tokens_dpop_invalid: 0\n"
"AuthJWT_tokens_dpop_replayed: 0\n"
"AuthJWT_tokens_dpop_nonce: 0\n"
"AuthJWT_tokens_binding_mismatch: 0\n"
"AuthJWT_tokens_config_error: 0\n"
"AuthJWT_tokens_internal: 0\n"
"AuthJWT_authz_denied_jwt_role: 2\n"
"AuthJWT_authz_denied_jwt_claim: 0\n"
"AuthJWT_authz_denied_jwt_scope: 0\n"
"AuthJWT_authz_denied_valid_jwt: 0\n"
"AuthJWT_verify_cache_hit: 5\n"
"AuthJWT_verify_cache_miss: 4\n"
"AuthJWT_verify_cache_eviction: 0\n"
"AuthJWT_jwks_fetches_updated: 1\n"
"AuthJWT_jwks_fetches_same: 0\n"
"AuthJWT_jwks_fetches_failed: 0\n"
"AuthJWT_revocation_lookups_not_revoked: 6\n"
"AuthJWT_revocation_lookups_revoked: 0\n"
"AuthJWT_revocation_lookups_store_error: 0\n"
"AuthJWT_revocation_allowed: 1\n"
"AuthJWT_logins_ok: 0\n"
"AuthJWT_logins_refused: 8\n"
"AuthJWT_refreshes_ok: 0\n"
"AuthJWT_refreshes_refused: 0\n"
"AuthJWT_logouts_ok: 12345678901234\n"
"AuthJWT_logouts_refused: 0\n"
"AuthJWT_lockouts: 1\n"
"AuthJWT_refresh_reuse: 1\n"
"AuthJWT_cross_site_refused: 0\n"
"AuthJWT_verify_hmac_count: 3\n"
"AuthJWT_verify_hmac_sum_us: 26\n"
"AuthJWT_verify_rsa_count: 2\n"
"AuthJWT_verify_rsa_sum_us: 200300\n"
"AuthJWT_verify_ec_count: 0\n"
"AuthJWT_verify_ec_sum_us: 0\n"
"AuthJWT_verify_eddsa_count: 0\n"
"AuthJWT_verify_eddsa_sum_us: 0\n"
"AuthJWT_verify_cached_count: 0\n"
"AuthJWT_verify_cached_sum_us: 0\n";

static void prometheus(apr_pool_t *p)
{
    const char *got = ajwt_metrics_prometheus(known(p), p);
    ok(!strcmp(got, want_prometheus), "Prometheus text exactly");
    if (strcmp(got, want_prometheus)) {
        diag("got:\n%s", got);
    }
    got = ajwt_metrics_prometheus(NULL, p);
    ok(strstr(got, "mod_auth_jwt_tokens_total{reason=\"ok\"} 0\n") != NULL,
       "no block: zeros");
}

static void lines(apr_pool_t *p)
{
    const char *got = ajwt_metrics_lines(known(p), p);
    ok(!strcmp(got, want_lines), "status lines exactly");
    if (strcmp(got, want_lines)) {
        diag("got:\n%s", got);
    }
}

/* Every counter has a family and, where the family has a label, a value. */
static int count_one(void *data, const char *family, const char *help,
                     const char *label, const char *value,
                     apr_uint64_t count)
{
    int *n = data;
    (void)count;
    if (family && help && (!label || value)) {
        ++*n;
    }
    return 0;
}

static void complete(apr_pool_t *p)
{
    int n = 0;
    (void)p;
    ajwt_metrics_each(NULL, count_one, &n);
    is_int(n, AJWT_M_NCOUNTERS, "every counter described");
}

static void histogram(apr_pool_t *p)
{
    ajwt_metrics_t *m = known(p);
    is_int(ajwt_metrics_hist_count(m, AJWT_MH_HMAC), 3, "hmac count");
    is_int(ajwt_metrics_hist_sum(m, AJWT_MH_HMAC), 26, "hmac sum");
    is_int(ajwt_metrics_hist_count(m, AJWT_MH_RSA), 2, "rsa count");
    is_int(ajwt_metrics_hist_count(m, AJWT_MH_EC), 0, "ec: nothing");
    is_int(ajwt_metrics_hist_count(m, AJWT_MH_N), 0, "out of range: 0");
    is_int(ajwt_metrics_alg(AJWT_KTY_OCT), AJWT_MH_HMAC, "oct: hmac");
    is_int(ajwt_metrics_alg(AJWT_KTY_RSA), AJWT_MH_RSA, "rsa");
    is_int(ajwt_metrics_alg(AJWT_KTY_EC), AJWT_MH_EC, "ec");
    is_int(ajwt_metrics_alg(AJWT_KTY_OKP), AJWT_MH_EDDSA, "okp: eddsa");
    is_int(ajwt_metrics_alg((ajwt_kty_t)0), AJWT_MH_N, "none");
}

UNIT_MAIN(attach, reasons, processes, prometheus, lines, complete, histogram)
