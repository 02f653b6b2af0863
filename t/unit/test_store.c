/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store.c: the revocation rules of src/ajwt_store.c (keys, check,
 * lifetimes), against a tiny in-memory store that records what it is
 * given, so that every edge is visible.
 */
#include "ajwt_store.h"
#include <apr_lib.h>
#include "unit.h"

#define FAKE_MAX 16

typedef struct {
    int n, puts, gets, fail;
    char key[FAKE_MAX][AJWT_STORE_KEY_MAX];
    apr_int64_t value[FAKE_MAX], expires[FAKE_MAX];
} fake_t;

static ajwt_status_t fake_put(ajwt_store_t *st, const char *key,
                              apr_int64_t value, apr_int64_t expires,
                              apr_int64_t now, ajwt_err_t *err)
{
    fake_t *f = st->impl;
    int i;
    f->puts++;
    if (f->fail) {
        return ajwt_err_set(err, AJWT_ESTORE, "fake store down");
    }
    for (i = 0; i < f->n && strcmp(f->key[i], key); i++) {
    }
    if (i == f->n) {
        if (f->n == FAKE_MAX) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "fake store full");
        }
        f->n++;
    }
    apr_cpystrn(f->key[i], key, AJWT_STORE_KEY_MAX);
    f->value[i] = value;
    f->expires[i] = expires;
    return AJWT_OK;
}

static ajwt_status_t fake_get(ajwt_store_t *st, const char *key,
                              apr_int64_t *value, int *found,
                              apr_int64_t now, ajwt_err_t *err)
{
    fake_t *f = st->impl;
    int i;
    f->gets++;
    *found = 0;
    if (f->fail) {
        return ajwt_err_set(err, AJWT_ESTORE, "fake store down");
    }
    for (i = 0; i < f->n; i++) {
        if (!strcmp(f->key[i], key) && f->expires[i] > now) {
            *value = f->value[i];
            *found = 1;
        }
    }
    return AJWT_OK;
}

static const ajwt_store_ops_t fake_ops = { "fake", fake_put, fake_get,
                                           NULL };

static ajwt_store_t *fake(apr_pool_t *p, fake_t **f)
{
    ajwt_store_t *st = apr_pcalloc(p, sizeof(*st));
    *f = apr_pcalloc(p, sizeof(**f));
    st->ops = &fake_ops;
    st->impl = *f;
    return st;
}

static ajwt_claims_t claims(const char *jti, const char *sub, int has_iat,
                            apr_int64_t iat)
{
    ajwt_claims_t cl;
    memset(&cl, 0, sizeof(cl));
    cl.exp = 5000;
    cl.jti = jti;
    cl.sub = sub;
    cl.has_iat = has_iat;
    cl.iat = iat;
    return cl;
}

static int safe_key(const char *k)
{
    for (; *k; k++) {
        if (!(apr_isalnum(*k) || *k == '-' || *k == '_' || *k == ':')) {
            return 0;
        }
    }
    return 1;
}

static void keys(apr_pool_t *p)
{
    char a[AJWT_STORE_KEY_MAX], b[AJWT_STORE_KEY_MAX];
    char c[AJWT_STORE_KEY_MAX], d[AJWT_STORE_KEY_MAX];
    char big[4000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ajwt_store_key_jti(a, "abc");
    ajwt_store_key_jti(b, "abc");
    ok(!strcmp(a, b), "stable: %s", a);
    is_int(strlen(a), 50, "50 bytes");
    /* SHA-256("abc") = ba7816bf..., base64url of it, fixed for good */
    ok(!strcmp(a, "ajwt:j:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"),
       "known value for jti abc");
    ajwt_store_key_sub(c, "abc");
    ok(!strncmp(c, "ajwt:s:", 7) && strcmp(a, c) && !strcmp(a + 7, c + 7),
       "sub key has its own prefix: %s", c);
    ajwt_store_key_jti(d, "abd");
    ok(strcmp(a, d) != 0, "another jti, another key");
    ajwt_store_key_jti(d, big);
    is_int(strlen(d), 50, "4 KB jti: still 50 bytes");
    ok(safe_key(d), "no byte outside A-Za-z0-9-_:");
    ajwt_store_key_sub(d, "a b\r\nset x 0 0 1\r\n");
    ok(safe_key(d) && strlen(d) == 50, "CR/LF and spaces do not reach "
       "the key: %s", d);
    ajwt_store_key_jti(d, "");
    ok(safe_key(d) && strlen(d) == 50, "empty jti: a key all the same");
}

static void jti_rules(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    ajwt_claims_t cl = claims("t-1", "alice", 1, 900);
    ajwt_claims_t other = claims("t-2", "alice", 1, 900);

    is_int(ajwt_store_check(st, &cl, 1000, NULL), AJWT_OK, "nothing stored");
    is_int(ajwt_store_revoke_jti(st, "t-1", 5000, 30, 1000, NULL), AJWT_OK,
           "revoke t-1");
    is_int(f->n, 1, "one entry");
    is_int(f->value[0], 5000, "value is exp");
    is_int(f->expires[0], 5030, "lives until exp + leeway");
    is_int(ajwt_store_check(st, &cl, 1000, &err), AJWT_EREVOKED,
           "t-1 revoked");
    ok(strstr(err.text, "t-1") != NULL, "reason names the jti: %s",
       err.text);
    is_int(ajwt_store_check(st, &other, 1000, NULL), AJWT_OK,
           "t-2 of the same subject still good");
    is_int(ajwt_store_check(st, &cl, 5029, NULL), AJWT_EREVOKED,
           "revoked at exp + leeway - 1");
    is_int(ajwt_store_check(st, &cl, 5030, NULL), AJWT_OK,
           "entry gone at exp + leeway (the token is expired then)");
    is_int(ajwt_store_revoke_jti(st, "t-1", 5000, 30, 1000, NULL), AJWT_OK,
           "revoking twice is harmless");
    is_int(f->n, 1, "still one entry");

    f->puts = 0;
    is_int(ajwt_store_revoke_jti(st, "old", 900, 30, 930, NULL), AJWT_OK,
           "exp + leeway == now: OK");
    is_int(f->puts, 0, "and nothing stored");
    is_int(ajwt_store_revoke_jti(st, "old", 900, 30, 929, NULL), AJWT_OK,
           "exp + leeway == now + 1");
    is_int(f->puts, 1, "stored");
    is_int(ajwt_store_revoke_jti(st, NULL, 900, 30, 100, NULL), AJWT_ECLAIM,
           "no jti: ECLAIM");
}

static void sub_rules(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    ajwt_claims_t before = claims("b", "bob", 1, 1999);
    ajwt_claims_t same = claims("s", "bob", 1, 2000);
    ajwt_claims_t after = claims("a", "bob", 1, 2001);
    ajwt_claims_t noiat = claims("n", "bob", 0, 0);
    ajwt_claims_t nojti = claims(NULL, "bob", 1, 1500);
    ajwt_claims_t nojti_after = claims(NULL, "bob", 1, 2500);
    ajwt_claims_t carol = claims(NULL, "carol", 1, 1500);
    ajwt_claims_t nothing = claims(NULL, NULL, 0, 0);

    is_int(ajwt_store_revoke_sub(st, "bob", -1, 30, 2000, NULL), AJWT_OK,
           "revoke bob, no max age");
    is_int(f->value[0], 2000, "value is now");
    is_int(f->expires[0], 2000 + AJWT_SUB_REVOKE_TTL + 30, "lives "
           "AJWT_SUB_REVOKE_TTL + leeway");
    is_int(ajwt_store_check(st, &before, 2100, &err), AJWT_EREVOKED,
           "iat before: revoked");
    ok(strstr(err.text, "bob") != NULL, "reason names the sub: %s",
       err.text);
    is_int(ajwt_store_check(st, &same, 2100, NULL), AJWT_EREVOKED,
           "iat == revocation second: revoked (conservative)");
    is_int(ajwt_store_check(st, &after, 2100, NULL), AJWT_OK,
           "iat after: good");
    is_int(ajwt_store_check(st, &noiat, 2100, NULL), AJWT_EREVOKED,
           "no iat: revoked");
    is_int(ajwt_store_check(st, &nojti, 2100, NULL), AJWT_EREVOKED,
           "no jti, sub revoked: revoked");
    is_int(ajwt_store_check(st, &nojti_after, 2600, NULL), AJWT_OK,
           "no jti, issued after: good");
    is_int(ajwt_store_check(st, &carol, 2100, NULL), AJWT_OK,
           "another subject: good");
    f->gets = 0;
    is_int(ajwt_store_check(st, &nothing, 2100, NULL), AJWT_OK,
           "neither jti nor sub: good");
    is_int(f->gets, 0, "and no lookup");
    is_int(ajwt_store_check(st, &before,
                            2000 + AJWT_SUB_REVOKE_TTL + 29, NULL),
           AJWT_EREVOKED, "entry still there within the leeway");
    is_int(ajwt_store_check(st, &before,
                            2000 + AJWT_SUB_REVOKE_TTL + 30, NULL), AJWT_OK,
           "entry gone after AJWT_SUB_REVOKE_TTL + leeway");

    is_int(ajwt_store_revoke_sub(st, "carol", 3600, 30, 2000, NULL),
           AJWT_OK, "revoke carol, max lifetime 3600");
    is_int(f->n, 2, "two entries");
    is_int(f->expires[1], 2000 + 3600 + 30, "lives max lifetime + leeway");
    is_int(ajwt_store_revoke_sub(st, "carol", 0, 30, 2000, NULL),
           AJWT_OK, "max lifetime 0 is a bound");
    is_int(f->expires[1], 2030, "lives leeway only");
    is_int(ajwt_store_revoke_sub(st, "bob", -1, 30, 3000, NULL), AJWT_OK,
           "revoke bob again later");
    is_int(f->value[0], 3000, "revocation time moves forward");
    is_int(ajwt_store_check(st, &nojti_after, 3001, NULL), AJWT_EREVOKED,
           "so the token issued in between is revoked now");
    is_int(ajwt_store_revoke_sub(st, NULL, -1, 30, 3000, NULL), AJWT_ECLAIM,
           "no sub: ECLAIM");
}

/* A session's family mark (the token's sid) is the third key. */
static void sid_rules(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    ajwt_claims_t cl = claims("j", "fay", 1, 2500);
    ajwt_claims_t other = claims("k", "fay", 1, 2500);
    ajwt_claims_t sidonly = claims(NULL, NULL, 0, 0);
    char mark[AJWT_STORE_KEY_MAX];

    cl.sid = "fam-1";
    other.sid = "fam-2";
    sidonly.sid = "fam-1";
    is_int(ajwt_store_check(st, &cl, 2600, NULL), AJWT_OK,
           "session not revoked: good");
    is_int(f->gets, 3, "jti, sub and the session looked up");
    ajwt_store_key_named(mark, AJWT_STORE_FAMILY_DEAD_PREFIX, "fam-1");
    f->fail = 0;
    st->ops->put(st, mark, 1, 9000, 2600, NULL);
    is_int(ajwt_store_check(st, &cl, 2600, &err), AJWT_EREVOKED,
           "session revoked (logged out): refused");
    ok(strstr(err.text, "logged out") != NULL, "says so: %s", err.text);
    is_int(ajwt_store_check(st, &sidonly, 2600, NULL), AJWT_EREVOKED,
           "also with the sid alone");
    is_int(ajwt_store_check(st, &other, 2600, NULL), AJWT_OK,
           "another session of the same user: good");
    ajwt_store_claims_keys(&cl);
    ok(!strcmp(cl.store_sid, mark), "the cached key is the mark's");
    is_int(ajwt_store_check(st, &cl, 2600, NULL), AJWT_EREVOKED,
           "revoked through the cached keys too");
    f->fail = 1;
    is_int(ajwt_store_check(st, &other, 2600, NULL), AJWT_ESTORE,
           "store down: ESTORE, never OK");
}

static void both_listed(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_claims_t cl = claims("j", "dave", 1, 2500);

    ajwt_store_revoke_sub(st, "dave", -1, 30, 2000, NULL);
    is_int(ajwt_store_check(st, &cl, 2600, NULL), AJWT_OK,
           "issued after the subject's revocation");
    ajwt_store_revoke_jti(st, "j", 5000, 30, 2600, NULL);
    is_int(ajwt_store_check(st, &cl, 2600, NULL), AJWT_EREVOKED,
           "but its jti is listed");
}

static void store_failure(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    ajwt_claims_t cl = claims("j", "erin", 1, 100);
    ajwt_claims_t subonly = claims(NULL, "erin", 1, 100);

    f->fail = 1;
    is_int(ajwt_store_check(st, &cl, 200, &err), AJWT_ESTORE,
           "get fails on jti: ESTORE");
    ok(err.text[0] != '\0', "with a reason: %s", err.text);
    is_int(ajwt_store_check(st, &subonly, 200, NULL), AJWT_ESTORE,
           "get fails on sub: ESTORE");
    is_int(ajwt_store_revoke_jti(st, "j", 5000, 30, 200, NULL), AJWT_ESTORE,
           "put fails: ESTORE");
    is_int(ajwt_store_revoke_sub(st, "erin", -1, 30, 200, NULL),
           AJWT_ESTORE, "put fails on sub: ESTORE");
}

static void error_text(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    char jti[300];
    ajwt_claims_t cl;

    memset(jti, 'J', sizeof(jti) - 1);
    jti[sizeof(jti) - 1] = '\0';
    jti[3] = '\n';
    cl = claims(jti, "x", 1, 100);
    ajwt_store_revoke_jti(st, jti, 5000, 30, 200, NULL);
    is_int(ajwt_store_check(st, &cl, 200, &err), AJWT_EREVOKED, "revoked");
    ok(!strchr(err.text, '\n'), "no newline in the reason");
    ok(strlen(err.text) < 120, "long jti cut short: %s", err.text);
}

/*
 * Keys made once (ajwt_store_claims_keys()) are the ones checked: a token
 * cached with them costs no digest per request.
 */
static void claims_keys(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_claims_t cl = claims("ck", "carl", 1, 100);
    char k[AJWT_STORE_KEY_MAX];

    ajwt_store_claims_keys(&cl);
    ok(cl.store_keys, "made");
    ajwt_store_key_jti(k, "ck");
    ok(!strcmp(cl.store_jti, k), "jti key as ajwt_store_key_jti");
    ajwt_store_key_sub(k, "carl");
    ok(!strcmp(cl.store_sub, k), "sub key as ajwt_store_key_sub");
    cl = claims(NULL, NULL, 0, 0);
    ajwt_store_claims_keys(&cl);
    ok(!cl.store_jti[0] && !cl.store_sub[0], "absent claims: empty keys");

    /* the check reads the keys kept with the claims, not the claims */
    cl = claims("ck", "carl", 1, 100);
    ajwt_store_key_jti(cl.store_jti, "listed");
    ajwt_store_key_sub(cl.store_sub, "carl");
    cl.store_keys = 1;
    ajwt_store_revoke_jti(st, "listed", 5000, 30, 200, NULL);
    is_int(ajwt_store_check(st, &cl, 200, NULL), AJWT_EREVOKED,
           "kept keys are used");
    cl.store_keys = 0;
    is_int(ajwt_store_check(st, &cl, 200, NULL), AJWT_OK,
           "without them the keys are made from the claims");
}

UNIT_MAIN(sid_rules, keys, jti_rules, sub_rules, both_listed, store_failure,
          error_text, claims_keys)
