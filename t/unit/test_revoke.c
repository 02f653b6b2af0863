/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_revoke.c: the jwt-revoke request: strict parsing of form and JSON
 * bodies, and what is stored (or not) for each kind of request.
 */
#include "ajwt_revoke.h"
#include "unit.h"
#include "fixtures.h"
#include "fake_store.h"

#define NOW 1700000000

static ajwt_status_t parse(apr_pool_t *p, const char *body, int json,
                           ajwt_revoke_req_t *req)
{
    return ajwt_revoke_parse(req, body, strlen(body), json, p, NULL);
}

static void form_bodies(apr_pool_t *p)
{
    ajwt_revoke_req_t r;
    is_int(parse(p, "jti=abc&exp=1700000600", 0, &r), AJWT_OK, "jti+exp");
    ok(r.kind == AJWT_REVOKE_JTI && !strcmp(r.jti, "abc")
       && r.exp == 1700000600, "jti+exp read");
    is_int(parse(p, "sub=alice%40example.com", 0, &r), AJWT_OK, "sub");
    ok(r.kind == AJWT_REVOKE_SUB && !strcmp(r.sub, "alice@example.com"),
       "sub URL-decoded");
    is_int(parse(p, "token=a.b.c", 0, &r), AJWT_OK, "token");
    ok(r.kind == AJWT_REVOKE_TOKEN, "token kind");
    is_int(parse(p, "", 0, &r), AJWT_EMALFORMED, "empty body");
    is_int(parse(p, "jti=abc", 0, &r), AJWT_EMALFORMED, "jti without exp");
    is_int(parse(p, "exp=5", 0, &r), AJWT_EMALFORMED, "exp alone");
    is_int(parse(p, "jti=a&exp=x", 0, &r), AJWT_EMALFORMED, "exp not a number");
    is_int(parse(p, "jti=a&exp=-5", 0, &r), AJWT_EMALFORMED, "exp negative");
    is_int(parse(p, "jti=a&exp=99999999999999", 0, &r), AJWT_EMALFORMED,
           "exp huge");
    is_int(parse(p, "jti=a&exp=5&sub=b", 0, &r), AJWT_EMALFORMED, "two modes");
    is_int(parse(p, "sub=a&sub=b", 0, &r), AJWT_EMALFORMED, "field twice");
    is_int(parse(p, "sub=a&admin=1", 0, &r), AJWT_EMALFORMED, "unknown field");
    is_int(parse(p, "sub=", 0, &r), AJWT_EMALFORMED, "empty value");
    is_int(parse(p, "sub=a%0d%0aX", 0, &r), AJWT_EMALFORMED, "CR/LF in sub");
    is_int(parse(p, "sub=%zz", 0, &r), AJWT_EMALFORMED, "bad escape");
}

static void json_bodies(apr_pool_t *p)
{
    ajwt_revoke_req_t r;
    is_int(parse(p, "{\"jti\":\"abc\",\"exp\":1700000600}", 1, &r), AJWT_OK,
           "jti+exp");
    ok(r.exp == 1700000600, "integer exp");
    is_int(parse(p, "{\"jti\":\"abc\",\"exp\":\"1700000600\"}", 1, &r),
           AJWT_OK, "exp as a string of digits");
    is_int(parse(p, "{\"sub\":\"alice\"}", 1, &r), AJWT_OK, "sub");
    is_int(parse(p, "{\"sub\":\"a\",\"sub\":\"b\"}", 1, &r), AJWT_EMALFORMED,
           "duplicate member");
    is_int(parse(p, "{\"sub\":5}", 1, &r), AJWT_EMALFORMED, "sub not a string");
    is_int(parse(p, "{\"jti\":\"a\",\"exp\":1.5}", 1, &r), AJWT_EMALFORMED,
           "exp real");
    is_int(parse(p, "[\"sub\"]", 1, &r), AJWT_EMALFORMED, "not an object");
    is_int(parse(p, "{\"sub\":\"a\"", 1, &r), AJWT_EMALFORMED, "truncated");
    is_int(parse(p, "{\"who\":\"a\"}", 1, &r), AJWT_EMALFORMED, "unknown member");
}

/* Through ajwt_web_fields_parse, the parser login uses too. */
static void shared_parser(apr_pool_t *p)
{
    ajwt_revoke_req_t r;
    ajwt_err_t err = { 0 };
    static const char nul[] = "sub=a\0";
    char *big = apr_palloc(p, AJWT_REVOKE_MAX_FIELD + 16);
#define PE(body, json) (memset(&err, 0, sizeof(err)), \
        ajwt_revoke_parse(&r, body, strlen(body), json, p, &err))

    /* Jansson's reason quoted the body ("invalid Unicode '\uD800'") */
    is_int(PE("{\"sub\":\"\\uD800\\u0041\"}", 1), AJWT_EMALFORMED,
           "bad JSON");
    ok(!strstr(err.text, "D800") && !strstr(err.text, "0041"),
       "the client's text quotes nothing of the body: %s", err.text);
    is_int(PE("{\"sub\":\"a\",\"sub\":\"b\"}", 1), AJWT_EMALFORMED,
           "member twice");
    ok(!strstr(err.text, "\"a\""), "... quoted nothing: %s", err.text);
    is_int(PE("token", 0), AJWT_EMALFORMED, "\"token\" without '='");
    ok(strstr(err.text, "field token is empty") != NULL, "reason: %s",
       err.text);
    is_int(PE("sub=a&&", 0), AJWT_OK, "empty pairs skipped");
    is_int(PE("sub=a&foo", 0), AJWT_EMALFORMED, "unknown name without '='");
    ok(strstr(err.text, "unknown field (use token, jti with exp, or sub)")
       != NULL, "reason: %s", err.text);
    is_int(PE("sub=a&sub=a", 0), AJWT_EMALFORMED, "the same value twice");
    ok(strstr(err.text, "field sub given twice") != NULL, "reason: %s",
       err.text);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_revoke_parse(&r, nul, sizeof(nul) - 1, 0, p, &err),
           AJWT_EMALFORMED, "a NUL byte");
    is_int(ajwt_revoke_parse(&r, NULL, 0, 0, p, NULL), AJWT_EMALFORMED,
           "no body");
    is_int(PE("{\"jti\":\"a\",\"exp\":-5}", 1), AJWT_EMALFORMED,
           "negative integer exp");
    is_int(PE("{\"jti\":\"a\",\"exp\":\"\"}", 1), AJWT_EMALFORMED,
           "empty JSON exp");
    is_int(PE("{\"jti\":\"a\\u007f\",\"exp\":5}", 1), AJWT_EMALFORMED,
           "DEL in a JSON jti");
    is_int(PE("{\"token\":1}", 1), AJWT_EMALFORMED, "integer token");
    memset(big, 'j', AJWT_REVOKE_MAX_FIELD);
    big[AJWT_REVOKE_MAX_FIELD] = '\0';
    is_int(PE(apr_pstrcat(p, "exp=1700000600&jti=", big, NULL), 0),
           AJWT_OK, "jti at its limit");
    is_int(PE(apr_pstrcat(p, "exp=1700000600&jti=", big, "j", NULL), 0),
           AJWT_EMALFORMED, "jti over its limit");
    ok(!strstr(err.text, "jjjj"), "reason: %s", err.text);
    is_int(PE(apr_pstrcat(p, "exp=1700000600&jti=", big, "%6a", NULL), 0),
           AJWT_EMALFORMED, "jti over its limit once decoded");
#undef PE
}

static void oversize(apr_pool_t *p)
{
    ajwt_revoke_req_t r;
    char *big = apr_palloc(p, AJWT_REVOKE_MAX_BODY + 10);
    memset(big, 'a', AJWT_REVOKE_MAX_BODY + 9);
    memcpy(big, "token=", 6);
    big[AJWT_REVOKE_MAX_BODY + 9] = '\0';
    is_int(parse(p, big, 0, &r), AJWT_EOVERSIZE, "body over the limit");
}

static ajwt_verifier_t verifier(apr_pool_t *p, const ajwt_key_t **key)
{
    ajwt_verifier_t v = { 0 };
    ajwt_keyset_t *ks = NULL;
    *key = fx_secret(&ks, 32, 'k', NULL, p);
    v.keys = ks;
    v.policy.leeway = 30;
    v.policy.max_age = -1;
    return v;
}

/* The glue's order: the token verified first (its one path), then run. */
static ajwt_status_t run(const char **answer, ajwt_revoke_req_t *r,
                         ajwt_store_t *st, const ajwt_verifier_t *v,
                         apr_int64_t lifetime, apr_pool_t *p)
{
    ajwt_revoke_bounds_t b = { v->policy.leeway, lifetime };
    if (r->kind == AJWT_REVOKE_TOKEN) {
        ajwt_claims_t *cl = NULL;
        r->token_status = ajwt_verify(&cl, NULL, r->token, strlen(r->token), v,
                                      apr_time_from_sec(NOW), p, NULL);
        r->claims = cl;
    }
    return ajwt_revoke_run(answer, r, st, &b, apr_time_from_sec(NOW), p,
                           NULL);
}

static void run_token(apr_pool_t *p)
{
    const ajwt_key_t *key, *other;
    ajwt_verifier_t v = verifier(p, &key);
    ajwt_keyset_t *ks2 = NULL;
    ajwt_revoke_req_t r = { AJWT_REVOKE_TOKEN };
    const char *answer;
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    char want[AJWT_STORE_KEY_MAX];

    r.token = fx_token(p, "HS256", key, NULL,
                       "{\"sub\":\"u\",\"jti\":\"j1\",\"exp\":1700000600}");
    is_int(run(&answer, &r, st, &v, -1, p), AJWT_OK, "valid token revoked");
    ajwt_store_key_jti(want, "j1");
    ok(f->puts == 1 && !strcmp(f->key[f->last], want),
       "stored under its jti");
    is_int(f->expires[f->last], 1700000630, "until exp + leeway");
    ok(answer && strstr(answer, "\"revoked\":\"jti\""), "answer says jti");

    other = fx_secret(&ks2, 32, 'x', NULL, p);
    r.token = fx_token(p, "HS256", other, NULL,
                       "{\"sub\":\"u\",\"jti\":\"j2\",\"exp\":1700000600}");
    ok(run(&answer, &r, st, &v, -1, p)
       == AJWT_ESIG, "forged token refused");
    ok(f->puts == 1, "nothing stored for a forged token");
    ok(strstr(answer, "invalid_token") != NULL, "answer invalid_token");

    r.token = fx_token(p, "HS256", key, NULL,
                       "{\"sub\":\"u\",\"jti\":\"j3\",\"exp\":1600000000}");
    is_int(run(&answer, &r, st, &v, -1, p), AJWT_OK, "expired token: nothing to do");
    ok(f->puts == 1 && strstr(answer, "\"revoked\":null"), "nothing stored");

    r.token = fx_token(p, "HS256", key, NULL,
                       "{\"sub\":\"u\",\"exp\":1700000600}");
    is_int(run(&answer, &r, st, &v, -1, p), AJWT_EMALFORMED, "token without jti");
    ok(f->puts == 1, "nothing stored without jti");

    r.token = NULL;
    r.claims = NULL;
    r.token_status = AJWT_EREVOKED;
    is_int(ajwt_revoke_run(&answer, &r, st, NULL, apr_time_from_sec(NOW), p,
                           NULL), AJWT_OK, "already revoked: nothing to do");
    ok(f->puts == 1 && strstr(answer, "already revoked"), "said so");
    r.token_status = AJWT_OK;
    is_int(ajwt_revoke_run(&answer, &r, st, NULL, apr_time_from_sec(NOW), p,
                           NULL), AJWT_EINTERNAL, "OK without claims: refused");
}

static void run_jti_sub(apr_pool_t *p)
{
    const ajwt_key_t *key;
    ajwt_verifier_t v = verifier(p, &key);
    ajwt_revoke_req_t r = { AJWT_REVOKE_JTI };
    const char *answer;
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    char want[AJWT_STORE_KEY_MAX];

    r.jti = "abc";
    r.exp = NOW + 100;
    is_int(run(&answer, &r, st, &v, -1, p), AJWT_OK, "jti revoked");
    ajwt_store_key_jti(want, "abc");
    ok(!strcmp(f->key[f->last], want) && f->expires[f->last] == NOW + 130,
       "jti until exp+30");

    r.exp = NOW - 40;
    is_int(run(&answer, &r, st, &v, -1, p), AJWT_OK, "long-expired jti");
    is_int(f->puts, 1, "nothing stored for it");

    r.kind = AJWT_REVOKE_SUB;
    r.sub = "alice";
    is_int(run(&answer, &r, st, &v, -1, p), AJWT_OK, "sub revoked");
    ajwt_store_key_sub(want, "alice");
    ok(!strcmp(f->key[f->last], want) && f->value[f->last] == NOW,
       "sub revoked as of now");
    is_int(f->expires[f->last], NOW + AJWT_SUB_REVOKE_TTL + 30,
           "no lifetime bound: default TTL + leeway");
    v.policy.max_age = 60;      /* a location's max age does not shorten */
    run(&answer, &r, st, &v, 3600, p);
    is_int(f->expires[f->last], NOW + 3630,
           "max lifetime + leeway, not max age");

    f->fail = 1;
    is_int(run(&answer, &r, st, &v, -1, p), AJWT_ESTORE, "store down");
    ok(strstr(answer, "temporarily_unavailable") != NULL, "answer says so");
}

UNIT_MAIN(form_bodies, json_bodies, shared_parser, oversize, run_token,
          run_jti_sub)
