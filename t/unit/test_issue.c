/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_issue.c: unit tests of src/ajwt_issue.c (with the signing-key
 * loader of ajwt_key.c): issued tokens for every algorithm through
 * ajwt_verify() and ajwt_issue_check_refresh(), each refusing the other's
 * token; refresh families with a fake store and the real shm store
 * (lockout is test_lockout.c).
 */
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_global_mutex.h>
#include <apr_hash.h>
#include <apr_thread_proc.h>
#include "unit.h"
#include "fixtures.h"
#include "fake_store.h"
#include "ajwt_json.h"
#include "ajwt_issue.h"
#include "ajwt_verify.h"

#define NOW     APR_INT64_C(1700000000)

/* ------------------------------------------------------------ stores */

/* The hook of fake_store.h: a logout of the family ctx names. */
static ajwt_status_t logout(ajwt_store_t *st, void *ctx, apr_int64_t expires,
                            apr_int64_t now, ajwt_err_t *err)
{
    return ajwt_family_revoke(st, ctx, expires, now, err);
}

static ajwt_store_t *shm(apr_pool_t *p)
{
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    apr_size_t size = 64 * 1024;
    void *base = apr_palloc(p, size);
    if (ajwt_store_shm_init(&st, base, size, NULL, p, &err)) {
        fx_die(err.text);
    }
    return st;
}

/* ------------------------------------------------------------ helpers */

static const struct {
    const char *alg, *type;     /* type NULL: HMAC secret */
} algs[] = {
    { "HS256", NULL }, { "HS384", NULL }, { "HS512", NULL },
    { "RS256", "RSA" }, { "RS384", "RSA" }, { "RS512", "RSA" },
    { "PS256", "RSA" }, { "PS384", "RSA" }, { "PS512", "RSA" },
    { "ES256", "P-256" }, { "ES384", "P-384" }, { "ES512", "P-521" },
    { "EdDSA", "Ed25519" }, { "Ed25519", "Ed25519" },
};

/* The signing key for alg, loaded as AuthJWTSignKey would load it. */
static ajwt_key_t *signing(const char *alg, const char *type, const char *kid,
                           apr_pool_t *p)
{
    char *dir = fx_tmpdir(p), *src;
    ajwt_key_t *k = NULL;
    ajwt_err_t err = { 0 };

    if (type) {
        char *pem = fx_pem_priv(fx_pkey(type), NULL, p);
        src = fx_write(dir, "k.pem", pem, strlen(pem), p);
    }
    else {
        char secret[65];
        memset(secret, 'k', 64);
        secret[64] = '\n';
        src = apr_pstrcat(p, "file:",
                          fx_write(dir, "s", secret, sizeof(secret), p),
                          NULL);
    }
    if (ajwt_key_load_signing(&k, src, alg, kid, p, &err)) {
        diag("load_signing %s: %s", alg, err.text);
        return NULL;
    }
    return k;
}

static ajwt_keyset_t *one_set(const ajwt_key_t *k, apr_pool_t *p)
{
    ajwt_keyset_t *ks = apr_pcalloc(p, sizeof(*ks));
    ks->keys = apr_array_make(p, 1, sizeof(const ajwt_key_t *));
    APR_ARRAY_PUSH(ks->keys, const ajwt_key_t *) = k;
    ks->algs = k->algs;
    ks->id = 0;
    return ks;
}

static ajwt_status_t verify(ajwt_claims_t **cl, const char *tok,
                            const ajwt_keyset_t *ks, const char *iss,
                            apr_int64_t now, apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_verifier_t v;
    apr_array_header_t *issuers = apr_array_make(p, 1, sizeof(char *));
    APR_ARRAY_PUSH(issuers, const char *) = iss;
    memset(&v, 0, sizeof(v));
    v.keys = ks;
    v.policy.leeway = 30;
    v.policy.max_age = -1;
    v.policy.issuers = issuers;
    return ajwt_verify(cl, NULL, tok, strlen(tok), &v, apr_time_from_sec(now),
                       p,
                       err);
}

static ajwt_issuer_t issuer(const ajwt_key_t *k, const char *alg)
{
    ajwt_issuer_t is;
    is.key = k;
    is.alg = ajwt_alg_find(alg);
    is.iss = "https://login.example";
    is.aud = NULL;
    is.retired = NULL;
    is.access_ttl = 900;
    is.refresh_ttl = 1209600;
    return is;
}

/* The decoded header or payload (part 0 or 1) of tok. */
static json_t *part(const char *tok, int which, apr_pool_t *p)
{
    const char *s = tok, *dot;
    unsigned char *out;
    apr_size_t len;
    if (which == 1) {
        s = strchr(tok, '.') + 1;
    }
    dot = strchr(s, '.');
    if (ajwt_b64_decode(&out, &len, s, dot - s, p, NULL)) {
        return NULL;
    }
    return ajwt_json_own(json_loadb((char *)out, len, 0, NULL), p);
}

/* ------------------------------------------------------------ cases */

static void every_alg(apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        const char *alg = algs[i].alg;
        ajwt_key_t *k = signing(alg, algs[i].type, "k1", p), *pub = NULL;
        ajwt_issuer_t is;
        ajwt_err_t err = { 0 };
        ajwt_claims_t *cl = NULL;
        ajwt_refresh_t rt;
        ajwt_keyset_t *ks;
        const char *jti = NULL;
        char *at = NULL, *rtok = NULL;
        apr_array_header_t *roles = apr_array_make(p, 2, sizeof(char *));
        json_t *h, *pl;

        if (!ok(k != NULL, "%s: signing key loads", alg)) {
            continue;
        }
        is_int(k->algs, AJWT_ALG_BIT(ajwt_alg_find(alg)->id),
               "%s: key narrowed to its alg", alg);
        ok(!strcmp(k->kid, "k1"), "%s: kid kept", alg);
        is_int(ajwt_key_public(&pub, k, p, &err), AJWT_OK,
               "%s: public copy", alg);
        if (!pub) {
            continue;
        }
        ok(algs[i].type ? pub->has_private == 0 : pub->secret_len == 64,
           "%s: public copy has no private half", alg);
        ks = one_set(pub, p);
        is = issuer(k, alg);
        APR_ARRAY_PUSH(roles, const char *) = "admin";
        APR_ARRAY_PUSH(roles, const char *) = "a \"quoted\" role";

        is_int(ajwt_issue_access(&at, &jti, &is, "alice", roles, "fam1", NOW,
                                 p, &err), AJWT_OK, "%s: access issued", alg);
        ok(jti && strlen(jti) == 22, "%s: jti of 22 characters", alg);
        h = part(at, 0, p);
        pl = part(at, 1, p);
        ok(pl && !strcmp(json_string_value(json_object_get(pl, "sid")),
                         "fam1"), "%s: sid names the refresh family", alg);
        ok(h && !strcmp(json_string_value(json_object_get(h, "typ")),
                        "at+jwt")
           && !strcmp(json_string_value(json_object_get(h, "alg")), alg)
           && !strcmp(json_string_value(json_object_get(h, "kid")), "k1"),
           "%s: header alg, typ at+jwt, kid", alg);
        ok(pl && json_integer_value(json_object_get(pl, "exp")) == NOW + 900
           && json_integer_value(json_object_get(pl, "iat")) == NOW
           && !strcmp(json_string_value(json_object_get(pl, "aud")),
                      "https://login.example")
           && !strcmp(json_string_value(json_object_get(pl, "client_id")),
                      "https://login.example")
           && !strcmp(json_string_value(json_object_get(pl, "jti")), jti)
           && json_array_size(json_object_get(pl, "roles")) == 2,
           "%s: claims exp, iat, aud, client_id, jti, roles", alg);

        memset(&err, 0, sizeof(err));
        is_int(verify(&cl, at, ks, is.iss, NOW + 10, p, &err), AJWT_OK,
               "%s: access token passes ajwt_verify", alg);
        if (err.status) {
            diag("%s", err.text);
        }
        ok(cl && cl->sub && !strcmp(cl->sub, "alice")
           && ajwt_claims_has_word(cl, "roles", "admin")
           && ajwt_claims_has_word(cl, "roles", "a \"quoted\" role"),
           "%s: sub and roles read back", alg);

        memset(&err, 0, sizeof(err));
        is_int(ajwt_issue_refresh(&rtok, &is, "alice", "fam1", 3, NOW, p,
                                  &err), AJWT_OK, "%s: refresh issued", alg);
        memset(&err, 0, sizeof(err));
        is_int(verify(&cl, rtok, ks, is.iss, NOW + 10, p, &err),
               AJWT_EHEADER, "%s: refresh token refused by ajwt_verify",
               alg);
        memset(&err, 0, sizeof(err));
        is_int(ajwt_issue_check_refresh(&rt, rtok, &is, 30, NOW + 10, p,
                                        &err), AJWT_OK,
               "%s: refresh token passes check_refresh", alg);
        ok(rt.sub && !strcmp(rt.sub, "alice") && rt.fam
           && !strcmp(rt.fam, "fam1") && rt.gen == 3 && rt.iat == NOW
           && rt.exp == NOW + 1209600 && rt.jti && strlen(rt.jti) == 22,
           "%s: refresh claims read back", alg);
        /* with the verification-only copy too */
        is.key = pub;
        memset(&err, 0, sizeof(err));
        is_int(ajwt_issue_check_refresh(&rt, rtok, &is, 30, NOW + 10, p,
                                        &err), AJWT_OK,
               "%s: check_refresh with the public copy", alg);
        is.key = k;
        memset(&err, 0, sizeof(err));
        is_int(ajwt_issue_check_refresh(&rt, at, &is, 30, NOW + 10, p,
                                        &err), AJWT_EHEADER,
               "%s: access token refused by check_refresh", alg);
        memset(&err, 0, sizeof(err));
        is_int(ajwt_issue_check_refresh(&rt, fx_tamper_sig(p, rtok), &is,
                                        30, NOW + 10, p, &err), AJWT_ESIG,
               "%s: tampered refresh token", alg);
    }
}

static void refresh_refusals(apr_pool_t *p)
{
    ajwt_key_t *k = signing("ES256", "P-256", NULL, p);
    ajwt_key_t *other = signing("ES256", "P-256-b", NULL, p);
    ajwt_key_t *hs = signing("HS256", NULL, NULL, p);
    ajwt_issuer_t is = issuer(k, "ES256"), is2 = is, ish = issuer(hs, "HS256");
    ajwt_refresh_t rt;
    ajwt_err_t err = { 0 };
    char *tok, *t2, *crafted;

    ok(ajwt_issue_refresh(&tok, &is, "bob", "F", 1, NOW, p, &err) == 0,
       "issued");
    is_int(ajwt_issue_check_refresh(&rt, tok, &is, 30, NOW + 1209600 + 29,
                                    p, &err), AJWT_OK, "within leeway");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tok, &is, 30, NOW + 1209600 + 30,
                                    p, &err), AJWT_EEXPIRED, "expired");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tok, &is, 30, NOW - 31, p, &err),
           AJWT_ENOTYET, "issued in the future beyond leeway");
    is2.iss = "https://other.example";
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tok, &is2, 30, NOW, p, &err),
           AJWT_EISSUER, "wrong iss");
    ok(ajwt_issue_refresh(&t2, &is2, "bob", "F", 1, NOW, p, &err) == 0,
       "issued by another iss");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, t2, &is, 30, NOW, p, &err),
           AJWT_EISSUER, "another issuer's token (same key)");
    is2 = is;
    is2.key = other;
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tok, &is2, 30, NOW, p, &err),
           AJWT_ESIG, "another key");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tok, &ish, 30, NOW, p, &err),
           AJWT_EALG, "another algorithm");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, "a.b", &is, 30, NOW, p, &err),
           AJWT_EMALFORMED, "two segments");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, NULL, &is, 30, NOW, p, &err),
           AJWT_ENOTOKEN, "no token");

#define CRAFT(hdr, body) fx_craft(p, "ES256", k, hdr, body)
#define H "{\"alg\":\"ES256\",\"typ\":\"refresh+jwt\"}"
#define CL "\"iss\":\"https://login.example\",\"aud\":\"https://login." \
           "example\",\"iat\":1700000000,\"exp\":1700009000"
    crafted = CRAFT(H, "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":\"F\","
                    "\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_OK, "crafted control token passes");
    crafted = CRAFT("{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
                    "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":\"F\","
                    "\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_EHEADER, "typ JWT refused");
    crafted = CRAFT("{\"alg\":\"ES256\"}",
                    "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":\"F\","
                    "\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_EHEADER, "no typ refused");
    crafted = CRAFT("{\"alg\":\"ES256\",\"typ\":\"Refresh+JWT\"}",
                    "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":\"F\","
                    "\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_EHEADER, "typ in another case refused (exact)");
    crafted = CRAFT("{\"alg\":\"ES256\",\"typ\":\"refresh+jwt\","
                    "\"crit\":[\"x\"],\"x\":1}",
                    "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":\"F\","
                    "\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_EHEADER, "crit refused");
    crafted = CRAFT(H, "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_ECLAIM, "no fam");
    crafted = CRAFT(H, "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":1,"
                    "\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_ECLAIM, "fam not a string");
    crafted = CRAFT(H, "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":\"F\","
                    "\"gen\":0}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_ECLAIM, "gen 0");
    crafted = CRAFT(H, "{" CL ",\"sub\":\"b\",\"jti\":\"j\",\"fam\":\"F\","
                    "\"gen\":\"1\"}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_ECLAIM, "gen a string");
    crafted = CRAFT(H, "{" CL ",\"jti\":\"j\",\"fam\":\"F\",\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_ECLAIM, "no sub");
    crafted = CRAFT(H, "{" CL ",\"sub\":\"b\",\"fam\":\"F\",\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_ECLAIM, "no jti");
    crafted = CRAFT(H, "{\"iss\":\"https://login.example\",\"aud\":\"https:"
                    "//login.example\",\"iat\":1700000000,\"sub\":\"b\","
                    "\"jti\":\"j\",\"fam\":\"F\",\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_ECLAIM, "no exp");
    crafted = CRAFT(H, "{\"iss\":\"https://login.example\",\"aud\":\"other\","
                    "\"iat\":1700000000,\"exp\":1700009000,\"sub\":\"b\","
                    "\"jti\":\"j\",\"fam\":\"F\",\"gen\":1}");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, crafted, &is, 30, NOW, p, &err),
           AJWT_EAUDIENCE, "another audience");
    ok(!strstr(err.text, crafted), "error text holds no token");
}

static void ids(apr_pool_t *p)
{
    apr_hash_t *seen = apr_hash_make(p);
    ajwt_key_t *k = signing("HS256", NULL, NULL, p);
    ajwt_issuer_t is = issuer(k, "HS256");
    ajwt_err_t err = { 0 };
    int i, dup = 0, shape = 1;

    for (i = 0; i < 2000; i++) {
        const char *id = ajwt_issue_new_id(p);
        if (!id || strlen(id) != 22 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWX"
            "YZabcdefghijklmnopqrstuvwxyz0123456789-_") != 22) {
            shape = 0;
        }
        if (id && apr_hash_get(seen, id, APR_HASH_KEY_STRING)) {
            dup++;
        }
        if (id) {
            apr_hash_set(seen, id, APR_HASH_KEY_STRING, "");
        }
    }
    ok(shape, "2000 ids are 22 base64url characters");
    is_int(dup, 0, "no id repeats");
    for (i = 0; i < 200; i++) {
        char *t;
        const char *jti;
        if (ajwt_issue_access(&t, &jti, &is, "u", NULL, NULL, NOW, p, &err)) {
            break;
        }
        if (apr_hash_get(seen, jti, APR_HASH_KEY_STRING)) {
            dup++;
        }
        apr_hash_set(seen, jti, APR_HASH_KEY_STRING, "");
    }
    is_int(i, 200, "200 access tokens (roles NULL)");
    is_int(dup, 0, "their jtis all differ");
    is_int(ajwt_issue_access(&(char *){ NULL }, NULL, &is, "", NULL, NULL, NOW, p,
                             &err), AJWT_ECLAIM, "empty sub refused");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_access(&(char *){ NULL }, NULL, &is, "a\r\nb", NULL, NULL,
                             NOW, p, &err), AJWT_ECLAIM,
           "sub with CR/LF refused");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_refresh(&(char *){ NULL }, &is, "u", "F", 0, NOW, p,
                              &err), AJWT_ECLAIM, "refresh gen 0 refused");
}

static void aud_given(apr_pool_t *p)
{
    ajwt_key_t *k = signing("HS256", NULL, NULL, p);
    ajwt_issuer_t is = issuer(k, "HS256");
    ajwt_err_t err = { 0 };
    ajwt_refresh_t rt;
    char *t;
    json_t *pl;

    is.aud = "app";
    ok(!ajwt_issue_access(&t, NULL, &is, "u", NULL, NULL, NOW, p, &err),
       "issued with aud");
    pl = part(t, 1, p);
    ok(!strcmp(json_string_value(json_object_get(pl, "aud")), "app")
       && !strcmp(json_string_value(json_object_get(pl, "client_id")),
                  "app")
       && json_is_array(json_object_get(pl, "roles"))
       && json_array_size(json_object_get(pl, "roles")) == 0,
       "aud and client_id are the configured audience; roles empty array");
    ok(!ajwt_issue_refresh(&t, &is, "u", "F", 1, NOW, p, &err)
       && !ajwt_issue_check_refresh(&rt, t, &is, 0, NOW, p, &err),
       "refresh with aud round-trips");
}

static void signing_keys(apr_pool_t *p)
{
    char *dir = fx_tmpdir(p);
    char *rsa = fx_pem_priv(fx_pkey("RSA"), NULL, p);
    char *weak = fx_pem_priv(fx_pkey("RSA1024"), NULL, p);
    char *pub = fx_pem_pub(fx_pkey("P-256"), p);
    char *s32 = "0123456789abcdef0123456789abcdef";
    const char *rp = fx_write(dir, "rsa.pem", rsa, strlen(rsa), p);
    const char *wp = fx_write(dir, "weak.pem", weak, strlen(weak), p);
    const char *pp = fx_write(dir, "pub.pem", pub, strlen(pub), p);
    const char *sp = apr_pstrcat(p, "file:",
                                 fx_write(dir, "s32", s32, 32, p), NULL);
    ajwt_key_t *k;
    ajwt_err_t err = { 0 };

#define LOAD(src, alg) (memset(&err, 0, sizeof(err)), k = NULL, \
                        ajwt_key_load_signing(&k, src, alg, NULL, p, &err))
    is_int(LOAD(rp, "RS256"), AJWT_OK, "RSA for RS256");
    ok(k && k->has_private && k->kid == NULL, "has_private, no kid");
    is_int(LOAD(rp, "ES256"), AJWT_ECONFIG, "RSA for ES256 refused");
    ok(strstr(err.text, "ES256") && strstr(err.text, "RS256"),
       "message names both: %s", err.text);
    is_int(LOAD(rp, "HS256"), AJWT_ECONFIG, "a key file for HS256 refused");
    is_int(LOAD(wp, "RS256"), AJWT_ECONFIG, "RSA 1024 refused");
    is_int(LOAD(pp, "ES256"), AJWT_ECONFIG, "a public key cannot sign");
    is_int(LOAD(sp, "HS256"), AJWT_OK, "32-byte secret for HS256");
    is_int(LOAD(sp, "HS384"), AJWT_ECONFIG, "32-byte secret for HS384");
    ok(strstr(err.text, "HS384") != NULL && !strstr(err.text, s32),
       "message names HS384, not the secret");
    is_int(LOAD(sp, "RS256"), AJWT_ECONFIG, "secret for RS256 refused");
    is_int(LOAD(sp, "none"), AJWT_ECONFIG, "alg none refused");
    is_int(LOAD(sp, "XX999"), AJWT_ECONFIG, "unknown alg refused");
    is_int(LOAD("/nonexistent/k.pem", "RS256"), AJWT_ECONFIG,
           "missing file");
    is_int(LOAD("env:AJWT_TEST_NO_SUCH_VAR", "HS256"), AJWT_ECONFIG,
           "unset env");
    setenv("AJWT_TEST_SIGN_SECRET", "0123456789abcdef0123456789abcdef0123"
           "456789abcdef", 1);
    is_int(LOAD("env:AJWT_TEST_SIGN_SECRET", "HS384"), AJWT_OK,
           "48-byte env secret for HS384");
    is_int(LOAD("inline-secret-value-0123456789abcdef", "HS256"),
           AJWT_ECONFIG, "inline secret refused");
}

/*
 * AuthJWTSignKey with an Ed25519 key: ALG EdDSA signs and publishes as it
 * always did; ALG Ed25519 (RFC 9864) signs and publishes that name.
 */
static void ed25519_signing(apr_pool_t *p)
{
    ajwt_key_t *old = signing("EdDSA", "Ed25519", "old", p);
    ajwt_key_t *new = signing("Ed25519", "Ed25519", "new", p);
    ajwt_key_t *po = NULL, *pn = NULL;
    const ajwt_key_t *keys[2];
    ajwt_keyset_t *ks = NULL;
    ajwt_issuer_t is;
    ajwt_claims_t *cl;
    ajwt_err_t err = { 0 };
    const char *text;
    char *t_old = NULL, *t_new = NULL, *dir = fx_tmpdir(p), *pem;
    json_t *arr;

    if (!old || !new || ajwt_key_public(&po, old, p, &err)
        || ajwt_key_public(&pn, new, p, &err)) {
        fx_die("Ed25519 signing keys");
    }
    is_int(old->algs, AJWT_ALG_BIT(AJWT_EDDSA), "ALG EdDSA: signs EdDSA");
    is_int(new->algs, AJWT_ALG_BIT(AJWT_ED25519), "ALG Ed25519: Ed25519");
    is_int(po->algs, AJWT_ALG_BIT(AJWT_EDDSA), "its public copy: EdDSA");
    is_int(pn->algs, AJWT_ALG_BIT(AJWT_ED25519), "its public copy: Ed25519");
    keys[0] = old;
    keys[1] = new;
    text = ajwt_keys_public_jwks(keys, 2, p);
    arr = json_object_get(ajwt_json_own(json_loads(text, 0, NULL), p),
                          "keys");
    ok(json_array_size(arr) == 2
       && !strcmp(json_string_value(json_object_get(json_array_get(arr, 0),
                                                    "alg")), "EdDSA")
       && !strcmp(json_string_value(json_object_get(json_array_get(arr, 1),
                                                    "alg")), "Ed25519"),
       "jwt-jwks: alg EdDSA and alg Ed25519 (%s)", text);
    is_int(ajwt_keyset_add_jwks(&ks, text, strlen(text), "jwks", p, &err),
           AJWT_OK, "reads back");
    is = issuer(old, "EdDSA");
    ajwt_issue_access(&t_old, NULL, &is, "carol", NULL, NULL, NOW, p, &err);
    is = issuer(new, "Ed25519");
    ajwt_issue_access(&t_new, NULL, &is, "carol", NULL, NULL, NOW, p, &err);
    if (!t_old || !t_new) {
        fx_die("issuing");
    }
    ok(!strcmp(json_string_value(json_object_get(part(t_old, 0, p), "alg")),
               "EdDSA"), "EdDSA key issues alg EdDSA");
    ok(!strcmp(json_string_value(json_object_get(part(t_new, 0, p), "alg")),
               "Ed25519"), "Ed25519 key issues alg Ed25519");
    is_int(verify(&cl, t_old, ks, is.iss, NOW, p, &err), AJWT_OK,
           "EdDSA token verifies against the published JWKS");
    is_int(verify(&cl, t_new, ks, is.iss, NOW, p, &err), AJWT_OK,
           "Ed25519 token verifies against the published JWKS");
    /* what a section signs, it accepts; not the other name */
    is_int(verify(&cl, t_new, one_set(po, p), is.iss, NOW, p, &err),
           AJWT_EKEY, "an EdDSA section refuses its key's Ed25519 token");
    is_int(verify(&cl, t_new, one_set(pn, p), is.iss, NOW, p, &err),
           AJWT_OK, "an Ed25519 section accepts it");
    /* Ed448 is not Ed25519 */
    pem = fx_pem_priv(fx_pkey("Ed448"), NULL, p);
    is_int(ajwt_key_load_signing(&new, fx_write(dir, "ed448.pem", pem,
                                                strlen(pem), p),
                                 "Ed25519", NULL, p, &err), AJWT_ECONFIG,
           "an Ed448 key cannot sign Ed25519");
    pem = fx_pem_priv(fx_pkey("RSA"), NULL, p);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_key_load_signing(&new, fx_write(dir, "rsa.pem", pem,
                                                strlen(pem), p),
                                 "Ed25519", NULL, p, &err), AJWT_ECONFIG,
           "nor an RSA key");
    ok(strstr(err.text, "Ed25519") != NULL, "message names Ed25519: %s",
       err.text);
}

static void jwks(apr_pool_t *p)
{
    const char *types[] = { "RSA", "P-256", "P-384", "P-521", "Ed25519" };
    const char *alg[] = { "PS256", "ES256", "ES384", "ES512", "EdDSA" };
    const ajwt_key_t *keys[7];
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    const char *text;
    json_t *doc, *arr;
    size_t i;
    int clean = 1;

    for (i = 0; i < 5; i++) {
        keys[i] = signing(alg[i], types[i], apr_psprintf(p, "kid%d",
                                                         (int)i), p);
        if (!keys[i]) {
            fx_die("signing key");
        }
    }
    keys[5] = signing("HS512", NULL, "hmac", p);
    keys[6] = NULL;
    text = ajwt_keys_public_jwks(keys, 7, p);
    doc = ajwt_json_own(json_loads(text, 0, NULL), p);
    arr = json_object_get(doc, "keys");
    is_int(json_array_size(arr), 5, "five public keys, no oct, NULL skipped");
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *j = json_array_get(arr, i);
        const char *m;
        json_t *v;
        json_object_foreach(j, m, v) {
            if (!strcmp(m, "d") || !strcmp(m, "p") || !strcmp(m, "q")
                || !strcmp(m, "dp") || !strcmp(m, "dq") || !strcmp(m, "qi")
                || !strcmp(m, "k") || !strcmp(m, "oth")) {
                clean = 0;
            }
        }
        ok(!strcmp(json_string_value(json_object_get(j, "use")), "sig")
           && !strcmp(json_string_value(json_object_get(j, "alg")), alg[i])
           && !strcmp(json_string_value(json_object_get(j, "kid")),
                      apr_psprintf(p, "kid%d", (int)i)),
           "key %d: use sig, alg %s, kid", (int)i, alg[i]);
    }
    ok(clean, "no private member anywhere");
    ok(!strstr(text, "hmac") && !strstr(text, "\"oct\""), "no oct key");
    is_int(ajwt_keyset_add_jwks(&ks, text, strlen(text), "jwks", p, &err),
           AJWT_OK, "parses back through ajwt_keyset_add_jwks");
    is_int(ajwt_keyset_count(ks), 5, "five keys back");
    for (i = 0; i < 5; i++) {
        ajwt_issuer_t is = issuer(keys[i], alg[i]);
        ajwt_claims_t *cl;
        char *t;
        memset(&err, 0, sizeof(err));
        ajwt_issue_access(&t, NULL, &is, "carol", NULL, NULL, NOW, p, &err);
        is_int(verify(&cl, t, ks, is.iss, NOW, p, &err), AJWT_OK,
               "%s token verifies against the published JWKS", alg[i]);
        ok(ajwt_keyset_find_kid(ks, apr_psprintf(p, "kid%d", (int)i))
           && !ajwt_keyset_find_kid(ks, apr_psprintf(p, "kid%d", (int)i))
               ->has_private, "kid%d public only", (int)i);
    }
    text = ajwt_keys_public_jwks(NULL, 0, p);
    ok(!strcmp(text, "{\"keys\":[]}"), "empty set: %s", text);
}

/*
 * The losers of a rotation (ajwt_issue.h): within AJWT_REFRESH_GRACE of
 * the rotation of their own generation they are refused and the family
 * stays; later, or one generation further back, they are reuse.
 */
#define E (memset(&err, 0, sizeof(err)), &err)
static void races_on(ajwt_store_t *st, const char *name)
{
    ajwt_err_t err = { 0 };
    apr_int64_t next = 0, exp = NOW + 100000, t = NOW;
    char fkey[AJWT_STORE_KEY_MAX], claim[AJWT_STORE_KEY_MAX];
    char id[AJWT_STORE_KEY_MAX + 8];
    int why = -1;

    is_int(ajwt_family_start(st, "famE", exp, t, E), AJWT_OK,
           "%s: start E", name);
    is_int(ajwt_family_rotate(st, "famE", 1, &next, &why, exp, t, E),
           AJWT_OK, "%s: E gen 1 rotated", name);
    is_int(ajwt_family_rotate(st, "famE", 1, &next, &why, exp, t, E),
           AJWT_EREVOKED, "%s: E gen 1 again, same second: refused", name);
    is_int(why, AJWT_ROTATE_RACED, "%s: as a lost race", name);
    is_int(next, 0, "%s: no next generation for the loser", name);
    ok(strstr(err.text, "concurrent") != NULL, "%s: reason: %s", name,
       err.text);
    t += AJWT_REFRESH_GRACE;
    is_int(ajwt_family_rotate(st, "famE", 1, &next, &why, exp, t, E),
           AJWT_EREVOKED, "%s: E gen 1 at the end of the grace", name);
    is_int(why, AJWT_ROTATE_RACED, "%s: still a lost race", name);
    is_int(ajwt_family_rotate(st, "famE", 2, &next, &why, exp, t, E),
           AJWT_OK, "%s: the winner's gen 2 still rotates", name);
    is_int(next, 3, "%s: to 3", name);
    is_int(ajwt_family_rotate(st, "famE", 1, &next, &why, exp, t, E),
           AJWT_EREVOKED, "%s: gen 1 two rotations back", name);
    is_int(why, AJWT_ROTATE_REUSE, "%s: is reuse, whenever", name);
    is_int(ajwt_family_rotate(st, "famE", 3, &next, &why, exp, t, E),
           AJWT_EREVOKED, "%s: E revoked with it", name);
    is_int(why, 0, "%s: (revoked is not a race)", name);

    is_int(ajwt_family_start(st, "famF", exp, t, E), AJWT_OK,
           "%s: start F", name);
    is_int(ajwt_family_rotate(st, "famF", 1, &next, &why, exp, t, E),
           AJWT_OK, "%s: F gen 1 rotated", name);
    is_int(ajwt_family_rotate(st, "famF", 1, &next, &why, exp,
                              t + AJWT_REFRESH_GRACE + 1, E),
           AJWT_EREVOKED, "%s: F gen 1 after the grace", name);
    is_int(why, AJWT_ROTATE_REUSE, "%s: is reuse", name);
    ok(strstr(err.text, "reuse") != NULL, "%s: reason: %s", name, err.text);
    is_int(ajwt_family_rotate(st, "famF", 2, &next, &why, exp,
                              t + AJWT_REFRESH_GRACE + 1, E),
           AJWT_EREVOKED, "%s: F revoked", name);

    /* a winner between its claim and its put: the others lose, and wait
     * for nothing (the claim is taken for good) */
    is_int(ajwt_family_start(st, "famG", exp, t, E), AJWT_OK,
           "%s: start G", name);
    ajwt_store_key_named(fkey, "ajwt:f:", "famG");
    apr_snprintf(id, sizeof(id), "%s.1", fkey);
    ajwt_store_key_named(claim, "ajwt:f:r:", id);
    is_int(st->ops->incr(st, claim, &next, exp, t, E), AJWT_OK,
           "%s: G gen 1 claimed by someone else", name);
    is_int(next, 1, "%s: (first claim)", name);
    is_int(ajwt_family_rotate(st, "famG", 1, &next, &why, exp, t, E),
           AJWT_EREVOKED, "%s: G gen 1 refused", name);
    is_int(why, AJWT_ROTATE_RACED, "%s: as a lost race", name);
    ok(strstr(err.text, "being rotated") != NULL, "%s: reason: %s", name,
       err.text);
    is_int(ajwt_family_rotate(st, "famG", 1, &next, &why, exp,
                              t + 1000, E),
           AJWT_EREVOKED, "%s: G gen 1 much later: still refused", name);
    is_int(why, AJWT_ROTATE_RACED, "%s: (nothing handed out)", name);
}

static void families_on(ajwt_store_t *st, const char *name)
{
    ajwt_err_t err = { 0 };
    apr_int64_t next = 0, exp = NOW + 1000;
    int reuse = -1;

    is_int(ajwt_family_start(st, "famA", exp, NOW, E), AJWT_OK,
           "%s: start", name);
    is_int(ajwt_family_rotate(st, "famA", 1, &next, &reuse, exp, NOW, E),
           AJWT_OK, "%s: rotate gen 1", name);
    is_int(next, 2, "%s: next 2", name);
    is_int(reuse, 0, "%s: no reuse", name);
    is_int(ajwt_family_rotate(st, "famA", 2, &next, &reuse, exp, NOW, E),
           AJWT_OK, "%s: rotate gen 2", name);
    is_int(next, 3, "%s: next 3", name);
    is_int(ajwt_family_rotate(st, "famA", 1, &next, &reuse, exp, NOW, E),
           AJWT_EREVOKED, "%s: gen 1 again is reuse", name);
    is_int(reuse, 1, "%s: reuse flagged", name);
    ok(strstr(err.text, "reuse") != NULL, "%s: reason: %s", name, err.text);
    is_int(ajwt_family_rotate(st, "famA", 3, &next, &reuse, exp, NOW, E),
           AJWT_EREVOKED, "%s: the current gen is revoked with the family",
           name);
    is_int(reuse, 0, "%s: that is not reuse itself", name);
    is_int(ajwt_family_rotate(st, "famB", 1, &next, &reuse, exp, NOW, E),
           AJWT_EREVOKED, "%s: unknown family", name);
    is_int(ajwt_family_start(st, "famC", exp, NOW, E), AJWT_OK,
           "%s: start C", name);
    is_int(ajwt_family_rotate(st, "famC", 5, &next, &reuse, exp, NOW, E),
           AJWT_EREVOKED, "%s: gen ahead of the store refused", name);
    is_int(ajwt_family_revoke(st, "famC", exp, NOW, E), AJWT_OK,
           "%s: revoke (logout)", name);
    is_int(ajwt_family_rotate(st, "famC", 1, &next, &reuse, exp, NOW, E),
           AJWT_EREVOKED, "%s: revoked family", name);
    is_int(reuse, 0, "%s: logout is not reuse", name);
    is_int(ajwt_family_start(st, "famD", NOW + 10, NOW, E), AJWT_OK,
           "%s: start D", name);
    is_int(ajwt_family_rotate(st, "famD", 1, &next, &reuse, NOW + 10,
                              NOW + 10, E), AJWT_EREVOKED,
           "%s: expired family", name);
    races_on(st, name);
}

/*
 * A logout between a rotation's read of the family and its write of gen +
 * 1: the write lands over the logout's 0, and the family must still end
 * revoked (the rotation reads the logout's mark after its write).
 */
static void revoke_race(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    apr_int64_t next = -1, exp = NOW + 1000, v = -1;
    int why = -1, found = 0;
    char fam[] = "famR";

    is_int(ajwt_family_start(st, "famR", exp, NOW, E), AJWT_OK,
           "revoke race: start");
    ajwt_store_key_named(f->hook_key, "ajwt:f:", "famR");
    f->hook = logout;
    f->hook_ctx = fam;
    is_int(ajwt_family_rotate(st, "famR", 1, &next, &why, exp, NOW, E),
           AJWT_EREVOKED, "revoke race: the rotation that lost to a logout "
           "is refused");
    ok(strstr(err.text, "revoked while") != NULL, "revoke race: reason: %s",
       err.text);
    is_int(next, 0, "revoke race: no next generation handed out");
    ok(f->hook_key[0] == '\0', "revoke race: the logout did run in between");
    ajwt_store_key_named(f->hook_key, "ajwt:f:", "famR");
    is_int(st->ops->get(st, f->hook_key, &v, &found, NOW, E), AJWT_OK,
           "revoke race: family entry read");
    f->hook_key[0] = '\0';
    ok(found && v == 0, "revoke race: the family ends revoked (%d, %d)",
       found, (int)v);
    is_int(ajwt_family_rotate(st, "famR", 2, &next, &why, exp, NOW, E),
           AJWT_EREVOKED, "revoke race: generation 2 is refused");
    is_int(ajwt_family_rotate(st, "famR", 1, &next, &why, exp, NOW, E),
           AJWT_EREVOKED, "revoke race: generation 1 is refused");
}

/*
 * A winner whose write of gen + 1 failed (store away for that moment):
 * its claim blocks the token for the grace period only, then the next
 * use rotates, so the user is not stuck until the family expires.
 */
static void lost_put(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    apr_int64_t next = -1, exp = NOW + 100000;
    int why = -1;

    is_int(ajwt_family_start(st, "famL", exp, NOW, E), AJWT_OK,
           "lost put: start");
    ajwt_store_key_named(f->fail_key, "ajwt:f:", "famL");
    is_int(ajwt_family_rotate(st, "famL", 1, &next, &why, exp, NOW, E),
           AJWT_ESTORE, "lost put: the winner's write fails (503)");
    is_int(ajwt_family_rotate(st, "famL", 1, &next, &why, exp, NOW + 1, E),
           AJWT_EREVOKED, "lost put: a second later the token is blocked");
    is_int(why, AJWT_ROTATE_RACED, "lost put: as raced, family kept");
    is_int(ajwt_family_rotate(st, "famL", 1, &next, &why, exp,
                              NOW + AJWT_REFRESH_GRACE + 1, E),
           AJWT_OK, "lost put: after the grace period it rotates again");
    is_int(next, 2, "lost put: to generation 2");
    is_int(ajwt_family_rotate(st, "famL", 2, &next, &why, exp,
                              NOW + AJWT_REFRESH_GRACE + 2, E),
           AJWT_OK, "lost put: and generation 2 rotates");
}

static void families(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    apr_int64_t next;
    int reuse;

    families_on(st, "fake");
    families_on(shm(p), "shm");
    f->fail = 1;
    is_int(ajwt_family_start(st, "x", NOW + 5, NOW, &err), AJWT_ESTORE,
           "store down: start");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_family_rotate(st, "x", 1, &next, &reuse, NOW + 5, NOW,
                              &err), AJWT_ESTORE, "store down: rotate");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_family_rotate(NULL, "x", 1, &next, &reuse, NOW + 5, NOW,
                              &err), AJWT_ECONFIG, "no store");
    f->fail = 0;
    ok(!strncmp(f->key[0], "ajwt:f:", 7) && strlen(f->key[0]) == 50
       && !strstr(f->key[0], "famA"), "family key is ajwt:f: + hash");
}

/* ------------------------------------------------------------ races */

#define RACERS  8
#define ROUNDS  300

typedef struct {
    ajwt_store_t *st;
    char fam[32];
    volatile apr_uint32_t ready, go;
    apr_uint32_t won, raced, other;
} race_t;

static void *APR_THREAD_FUNC racer(apr_thread_t *t, void *data)
{
    race_t *r = data;
    ajwt_err_t err = { 0 };
    apr_int64_t next = 0;
    int why = 0;
    ajwt_status_t rc;

    apr_atomic_inc32(&r->ready);
    while (!apr_atomic_read32(&r->go)) {
        apr_thread_yield();
    }
    rc = ajwt_family_rotate(r->st, r->fam, 1, &next, &why, NOW + 1000, NOW,
                            &err);
    if (rc == AJWT_OK && next == 2 && why == 0) {
        apr_atomic_inc32(&r->won);
    }
    else if (rc == AJWT_EREVOKED && why == AJWT_ROTATE_RACED && next == 0) {
        apr_atomic_inc32(&r->raced);
    }
    else {
        apr_atomic_inc32(&r->other);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/*
 * RACERS threads rotate generation 1 of one family at once, ROUNDS times
 * (a new family each): exactly one wins each round, the others lose the
 * race without revoking, and the winner's generation 2 rotates after.
 */
static void race_threads(apr_pool_t *p)
{
    char dir[] = "/tmp/ajwt-issue-XXXXXX";
    const char *lockfile;
    apr_global_mutex_t *mutex = NULL;
    apr_size_t size = 256 * 1024;
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    race_t r;
    apr_thread_t *th[RACERS];
    apr_status_t rv;
    apr_int64_t next;
    int round, i, why, exact = 0, after = 0, started = 1;

    if (!ok(mkdtemp(dir) != NULL, "temporary directory")) {
        return;
    }
    lockfile = apr_pstrcat(p, dir, "/lock", NULL);
    ok(apr_global_mutex_create(&mutex, lockfile, APR_LOCK_DEFAULT, p)
       == APR_SUCCESS, "writer lock");
    is_int(ajwt_store_shm_init(&st, apr_pcalloc(p, size), size, mutex, p,
                               &err), AJWT_OK, "shm store with the lock");
    for (round = 0; round < ROUNDS && st && mutex; round++) {
        memset(&r, 0, sizeof(r));
        r.st = st;
        apr_snprintf(r.fam, sizeof(r.fam), "race%d", round);
        memset(&err, 0, sizeof(err));
        if (ajwt_family_start(st, r.fam, NOW + 1000, NOW, &err)) {
            break;
        }
        for (i = 0; i < RACERS; i++) {
            if (apr_thread_create(&th[i], NULL, racer, &r, p)
                != APR_SUCCESS) {
                started = 0;
            }
        }
        while (apr_atomic_read32(&r.ready) < RACERS && started) {
            apr_thread_yield();
        }
        apr_atomic_set32(&r.go, 1);
        for (i = 0; i < RACERS; i++) {
            apr_thread_join(&rv, th[i]);
        }
        if (r.won == 1 && r.raced == RACERS - 1 && r.other == 0) {
            exact++;
        }
        else {
            diag("round %d: %u won, %u raced, %u other", round, r.won,
                 r.raced, r.other);
        }
        memset(&err, 0, sizeof(err));
        if (ajwt_family_rotate(st, r.fam, 2, &next, &why, NOW + 1000, NOW,
                               &err) == AJWT_OK && next == 3) {
            after++;
        }
    }
    ok(started, "%d threads a round", RACERS);
    is_int(exact, ROUNDS, "rounds with exactly one winner and %d losers",
           RACERS - 1);
    is_int(after, ROUNDS, "rounds whose winner's generation 2 rotates");
    if (mutex) {
        apr_global_mutex_destroy(mutex);
    }
    unlink(lockfile);
    rmdir(dir);
}

/*
 * AuthJWTRetiredSignKey: the refresh token's kid picks the retired key
 * (loaded from its private or its public PEM), no other key is tried,
 * and a retired key never stands for the current one.
 */
static void retired_keys(apr_pool_t *p)
{
    char *dir = fx_tmpdir(p);
    char *apub = fx_pem_pub(fx_pkey("P-256"), p);
    char *apriv = fx_pem_priv(fx_pkey("P-256"), NULL, p);
    const char *pubp = fx_write(dir, "a.pub", apub, strlen(apub), p);
    const char *privp = fx_write(dir, "a.pem", apriv, strlen(apriv), p);
    ajwt_key_t *a = NULL, *ra = NULL, *rpub = NULL;
    ajwt_key_t *b = signing("RS256", "RSA", "B", p);
    ajwt_key_t *c = signing("ES256", "P-256-b", "C", p);
    ajwt_key_t *c_as_a = signing("ES256", "P-256-b", "A", p);
    ajwt_issuer_t isa, isb, isc, isca;
    apr_array_header_t *ret = apr_array_make(p, 1, sizeof(ajwt_key_t *));
    ajwt_refresh_t rt;
    ajwt_err_t err = { 0 };
    char *ta = NULL, *tb = NULL, *tc = NULL, *tca = NULL;

    ok(ajwt_key_load_signing(&a, privp, "ES256", "A", p, &err) == AJWT_OK,
       "key A signs");
    is_int(ajwt_key_load_retired(&ra, privp, "ES256", "A", p, &err), AJWT_OK,
           "retired A from its private key");
    ok(ra && !ra->has_private && ra->kid && !strcmp(ra->kid, "A"),
       "only its public half is kept, kid A");
    is_int(ajwt_key_load_retired(&rpub, pubp, "ES256", "A", p, &err),
           AJWT_OK, "retired A from its public key");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_key_load_retired(&rpub, pubp, "ES256", NULL, p, &err),
           AJWT_ECONFIG, "a retired key without kid refused");
    ok(strstr(err.text, "kid") != NULL, "message says kid: %s", err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_key_load_retired(&rpub, pubp, "RS256", "A", p, &err),
           AJWT_ECONFIG, "an alg that does not fit refused");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_key_load_retired(&rpub, pubp, "HS256", "A", p, &err),
           AJWT_ECONFIG, "a key file for HS256 refused");
    if (!a || !b || !c || !c_as_a || !ra) {
        return;
    }
    isa = issuer(a, "ES256");
    isb = issuer(b, "RS256");
    isc = issuer(c, "ES256");
    isca = issuer(c_as_a, "ES256");
    ok(!ajwt_issue_refresh(&ta, &isa, "bob", "F", 3, NOW, p, &err)
       && !ajwt_issue_refresh(&tb, &isb, "bob", "F", 1, NOW, p, &err)
       && !ajwt_issue_refresh(&tc, &isc, "bob", "F", 1, NOW, p, &err)
       && !ajwt_issue_refresh(&tca, &isca, "bob", "F", 1, NOW, p, &err),
       "refresh tokens under A, B, C and C-with-kid-A");

    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, ta, &isb, 30, NOW, p, &err),
           AJWT_EALG, "B alone refuses A's token");
    APR_ARRAY_PUSH(ret, ajwt_key_t *) = ra;
    isb.retired = ret;
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, ta, &isb, 30, NOW, p, &err),
           AJWT_OK, "B with A retired accepts A's token");
    ok(rt.gen == 3 && rt.fam && !strcmp(rt.fam, "F"), "its claims read");
    is_int(ajwt_issue_check_refresh(&rt, tb, &isb, 30, NOW, p, &err),
           AJWT_OK, "and B's own");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tc, &isb, 30, NOW, p, &err),
           AJWT_EALG, "C's token (kid C, ES256) is neither");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tca, &isb, 30, NOW, p, &err),
           AJWT_ESIG, "kid A signed by another key: bad signature");
    /* a retired key picked by kid cannot verify for the current one */
    isa.retired = ret;
    memset(&err, 0, sizeof(err));
    is_int(ajwt_issue_check_refresh(&rt, tb, &isa, 30, NOW, p, &err),
           AJWT_EALG, "A current, A retired: B's token refused");
}

UNIT_MAIN(every_alg, refresh_refusals, ids, aud_given, signing_keys,
          retired_keys,
          ed25519_signing, jwks,
          race_threads,
          families, revoke_race, lost_put)
