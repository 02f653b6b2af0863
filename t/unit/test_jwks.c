/* SPDX-License-Identifier: Apache-2.0 */
/*
 * t/unit/test_jwks.c: the shared JWKS source with a fake fetcher and an
 * explicit clock. Two attachments to the same memory stand for two
 * processes: one fetch must serve both, each parses once per generation.
 */
#include "unit.h"
#include "fixtures.h"
#include "ajwt_jwks.h"

#define T0 1000000

/* The fake provider: what each URL answers, and how often it was asked. */
static const char *jwks_doc, *disco_doc;
static long served_max_age = -1;
static int fetches, fail_next;
static ajwt_jwks_t *reentrant;      /* refreshed from inside a fetch */
static ajwt_jwks_result_t reentrant_what;

static ajwt_status_t fake_fetch(ajwt_fetch_result_t *out, const char *url,
                                const ajwt_fetch_opts_t *o, apr_pool_t *p,
                                ajwt_err_t *err)
{
    const char *doc = strstr(url, "openid") ? disco_doc : jwks_doc;
    fetches++;
    if (reentrant) {
        ajwt_jwks_refresh(reentrant, apr_time_from_sec(T0), 0, 1,
                          &reentrant_what, p, NULL);
    }
    if (fail_next) {
        fail_next = 0;
        return ajwt_err_set(err, AJWT_EFETCH, "GET %s: fake failure", url);
    }
    out->body = apr_pstrdup(p, doc);
    out->len = strlen(doc);
    out->max_age = served_max_age;
    return AJWT_OK;
}

static ajwt_jwks_conf_t conf_a = {
    "https://idp.test/jwks", 0, 600, { 0 }, fake_fetch
};
static ajwt_jwks_conf_t conf_disco = {
    "https://idp.test/.well-known/openid-configuration", 0, 0, { 0 },
    fake_fetch
};

static char *set_of(apr_pool_t *p, const char *k1, const char *k2)
{
    return apr_psprintf(p, "{\"keys\":[%s%s%s]}", k1, k2 ? "," : "",
                        k2 ? k2 : "");
}

static void *region(apr_pool_t *p, const ajwt_jwks_conf_t *c)
{
    void *m = apr_palloc(p, ajwt_jwks_region_size(c));
    memset(m, 0xa5, ajwt_jwks_region_size(c));     /* garbage at first */
    return m;
}

static ajwt_jwks_t *attach(apr_pool_t *p, const ajwt_jwks_conf_t *c,
                           void *m)
{
    ajwt_jwks_t *s = NULL;
    ajwt_err_t err = { 0 };
    ok(ajwt_jwks_attach(&s, c, m, ajwt_jwks_region_size(c), p, &err)
       == AJWT_OK, "attach %s", err.text);
    return s;
}

static const char *jwk(apr_pool_t *p, const char *type, const char *kid)
{
    return fx_jwk(fx_pkey(type), kid, NULL, 0, NULL, p);
}

static ajwt_jwks_result_t refresh(ajwt_jwks_t *s, apr_int64_t t, int kid,
                                  apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_jwks_result_t what = 99;
    ajwt_status_t st = ajwt_jwks_refresh(s, apr_time_from_sec(t), kid, 0,
                                         &what, p, err);
    ok((what == AJWT_JWKS_FAILED) == (st == AJWT_EFETCH),
       "status %d agrees with result %d", st, what);
    return what;
}

static const ajwt_keyset_t *keys(ajwt_jwks_t *s, const ajwt_keyset_t *stat,
                                 apr_pool_t *p)
{
    const ajwt_keyset_t *ks = NULL;
    ajwt_jwks_keys(&ks, NULL, s, stat, p, NULL);
    return ks;
}

static void first_fetch(apr_pool_t *p)
{
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m), *b = attach(p, &conf_a, m);
    const ajwt_keyset_t *ka, *kb;
    ajwt_err_t err = { 0 };

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), jwk(p, "RSA", "b"));
    served_max_age = -1;
    fetches = 0;
    is_int(ajwt_jwks_generation(a), 0, "nothing published yet");
    ok(keys(a, NULL, p) == NULL, "no keys yet");
    ok(ajwt_jwks_due(a, apr_time_from_sec(T0), 0), "due without keys");
    is_int(refresh(a, T0, 0, p, &err), AJWT_JWKS_UPDATED, "fetched %s",
           err.text);
    is_int(fetches, 1, "one fetch");
    is_int(ajwt_jwks_generation(b), 1, "the other process sees it");
    is_int(ajwt_jwks_nkeys(b), 2, "two keys");
    is_int(refresh(b, T0 + 1, 0, p, &err), AJWT_JWKS_IDLE,
           "the other process has nothing to do");
    is_int(fetches, 1, "still one fetch for both");
    ka = keys(a, NULL, p);
    kb = keys(b, NULL, p);
    ok(ka && kb && ka != kb, "each process parses its own set");
    is_int(ajwt_keyset_count(kb), 2, "two keys parsed");
    ok(ajwt_keyset_find_kid(kb, "a") && ajwt_keyset_find_kid(kb, "b"),
       "kids a and b");
    ok(keys(a, NULL, p) == ka && keys(b, NULL, p) == kb,
       "parsed once per generation: same set on the next request");
}

static void periodic(apr_pool_t *p)
{
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m);
    const ajwt_keyset_t *k1;
    ajwt_err_t err = { 0 };

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), NULL);
    served_max_age = -1;
    fetches = 0;
    refresh(a, T0, 0, p, &err);
    k1 = keys(a, NULL, p);
    ok(!ajwt_jwks_due(a, apr_time_from_sec(T0 + 599), 0),
       "not due before the period (600 s)");
    is_int(refresh(a, T0 + 599, 0, p, &err), AJWT_JWKS_IDLE, "idle");
    ok(ajwt_jwks_due(a, apr_time_from_sec(T0 + 600), 0), "due at 600 s");
    is_int(refresh(a, T0 + 600, 0, p, &err), AJWT_JWKS_SAME,
           "same keys fetched again");
    is_int(fetches, 2, "two fetches");
    is_int(ajwt_jwks_generation(a), 1, "same document: same generation");
    ok(keys(a, NULL, p) == k1, "no parse for a refetch of the same keys");
    ok(!ajwt_jwks_due(a, apr_time_from_sec(T0 + 1199), 0),
       "next period counts from the last fetch");
}

static void max_age(apr_pool_t *p)
{
    static const struct { long age; int next; } cases[] = {
        { 10, 60 }, { 0, 60 }, { 300, 300 }, { 999999, 86400 },
    };
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m);
    apr_int64_t t = T0;
    ajwt_err_t err = { 0 };
    size_t i;

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        served_max_age = cases[i].age;
        is_int(refresh(a, t, 0, p, &err) != AJWT_JWKS_FAILED, 1, "fetched");
        ok(!ajwt_jwks_due(a, apr_time_from_sec(t + cases[i].next - 1), 0)
           && ajwt_jwks_due(a, apr_time_from_sec(t + cases[i].next), 0),
           "max-age %ld: next refresh after %d s", cases[i].age,
           cases[i].next);
        t += cases[i].next;
    }
    served_max_age = -1;
}

static void unknown_kid(apr_pool_t *p)
{
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m), *b = attach(p, &conf_a, m);
    const ajwt_keyset_t *ks;
    ajwt_err_t err = { 0 };

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), NULL);
    fetches = 0;
    refresh(a, T0, 0, p, &err);
    ok(!ajwt_jwks_due(a, apr_time_from_sec(T0 + 59), 1),
       "unknown kid 59 s after a fetch: not yet");
    is_int(refresh(b, T0 + 30, 1, p, &err), AJWT_JWKS_IDLE,
           "forged kid: no fetch");
    is_int(fetches, 1, "provider asked once");
    jwks_doc = set_of(p, jwk(p, "P-256", "a"), jwk(p, "P-384", "new"));
    ok(ajwt_jwks_due(b, apr_time_from_sec(T0 + 60), 1), "due at 60 s");
    ok(!ajwt_jwks_due(b, apr_time_from_sec(T0 + 60), 0),
       "but not for the period");
    is_int(refresh(b, T0 + 60, 1, p, &err), AJWT_JWKS_UPDATED,
           "new kid fetched");
    ks = keys(a, NULL, p);
    ok(ajwt_keyset_find_kid(ks, "new") != NULL, "the other process has it");
    is_int(refresh(a, T0 + 61, 1, p, &err), AJWT_JWKS_IDLE,
           "another unknown kid right after: no fetch");
    is_int(refresh(a, T0 + 119, 1, p, &err), AJWT_JWKS_IDLE, "nor at 119");
    is_int(fetches, 2, "two fetches in all");
}

static void bad_document(apr_pool_t *p)
{
    static const char *const bad[] = {
        "not json", "{}", "{\"keys\":{}}", "[1,2]", "{\"keys\":[]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\"}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"use\":\"enc\"}]}",
    };
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m);
    const ajwt_keyset_t *good;
    ajwt_err_t err = { 0 };
    apr_int64_t t = T0;
    size_t i;

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), NULL);
    refresh(a, t, 0, p, &err);
    good = keys(a, NULL, p);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t += AJWT_JWKS_REFRESH_MAX;
        jwks_doc = bad[i];
        memset(&err, 0, sizeof(err));
        is_int(refresh(a, t, 0, p, &err), AJWT_JWKS_FAILED, "refused: %s",
               err.text);
        is_int(err.status, AJWT_EFETCH, "as EFETCH");
        ok(keys(a, NULL, p) == good, "last good keys stay");
    }
    jwks_doc = set_of(p, fx_jwk_oct(32, 'k', "hs", NULL, p),
                      jwk(p, "P-256", "a"));
    memset(&err, 0, sizeof(err));
    t += AJWT_JWKS_REFRESH_MAX;
    is_int(refresh(a, t, 0, p, &err), AJWT_JWKS_FAILED,
           "a symmetric key in a JWKS URL: refused");
    ok(strstr(err.text, "oct") != NULL, "%s", err.text);
    /* one unusable key next to good ones is left out, not fatal */
    jwks_doc = set_of(p, jwk(p, "RSA1024", "weak"), jwk(p, "P-256", "a2"));
    memset(&err, 0, sizeof(err));
    t += AJWT_JWKS_REFRESH_MAX;
    is_int(refresh(a, t, 0, p, &err), AJWT_JWKS_UPDATED, "usable part");
    ok(ajwt_keyset_find_kid(keys(a, NULL, p), "a2")
       && !ajwt_keyset_find_kid(keys(a, NULL, p), "weak"),
       "the 1024-bit key is left out");
    is_int(ajwt_jwks_nkeys(a), 1, "one key published");
    ok(ajwt_keyset_find_kid(good, "a") != NULL,
       "an old set stays usable for requests that hold it");
}

static void failure_backoff(apr_pool_t *p)
{
    static const int waits[] = { 5, 10, 20, 40, 60, 60 };
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m);
    ajwt_err_t err = { 0 };
    apr_int64_t t = T0;
    size_t i;

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), NULL);
    for (i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
        fail_next = 1;
        memset(&err, 0, sizeof(err));
        is_int(refresh(a, t, 0, p, &err), AJWT_JWKS_FAILED, "%s", err.text);
        ok(!ajwt_jwks_due(a, apr_time_from_sec(t + waits[i] - 1), 1)
           && ajwt_jwks_due(a, apr_time_from_sec(t + waits[i]), 0),
           "failure %d: retry after %d s", (int)i + 1, waits[i]);
        t += waits[i];
    }
    ok(keys(a, NULL, p) == NULL, "still no keys");
    is_int(refresh(a, t, 0, p, &err), AJWT_JWKS_UPDATED, "provider back");
    ok(keys(a, NULL, p) != NULL, "keys");
    ok(!ajwt_jwks_due(a, apr_time_from_sec(t + 5), 0),
       "backoff forgotten after a success");
}

static void lease(apr_pool_t *p)
{
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m), *b = attach(p, &conf_a, m);
    ajwt_err_t err = { 0 };

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), NULL);
    fetches = 0;
    reentrant = b;              /* b tries while a is fetching */
    reentrant_what = 99;
    is_int(refresh(a, T0, 0, p, &err), AJWT_JWKS_UPDATED, "a fetched");
    reentrant = NULL;
    is_int(reentrant_what, AJWT_JWKS_IDLE,
           "b, even forced, does not fetch while a holds the lease");
    is_int(fetches, 1, "one fetch");
    is_int(ajwt_jwks_refresh(b, apr_time_from_sec(T0 + 1), 0, 1,
                             &reentrant_what, p, NULL), AJWT_OK, "forced");
    is_int(reentrant_what, AJWT_JWKS_SAME, "lease released after a's fetch");
    is_int(fetches, 2, "b fetched");
}

static void combine_static(apr_pool_t *p)
{
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m);
    ajwt_keyset_t *stat = NULL, *again = NULL;
    const ajwt_keyset_t *c1, *c2;
    ajwt_err_t err = { 0 };

    fx_key(&stat, "Ed25519", "s", p);
    fx_key(&stat, "P-384", "a", p);     /* the kid of a fetched key */
    jwks_doc = set_of(p, jwk(p, "P-256", "a"), jwk(p, "RSA", "b"));
    refresh(a, T0, 0, p, &err);
    c1 = keys(a, stat, p);
    is_int(ajwt_keyset_count(c1), 3, "static s, a + fetched b");
    ok(ajwt_keyset_find_kid(c1, "a") == ajwt_keyset_find_kid(stat, "a"),
       "a static key wins over a fetched one of the same kid");
    ok(keys(a, stat, p) == c1, "the same combination next time");
    ajwt_keyset_add_keys(&again, stat, p, NULL);
    ok(keys(a, again, p) == c1,
       "the same keys in another set (.htaccess) find it too");
    jwks_doc = set_of(p, jwk(p, "RSA", "b"), NULL);
    refresh(a, T0 + 600, 0, p, &err);
    c2 = keys(a, stat, p);
    ok(c2 != c1 && ajwt_keyset_count(c2) == 3, "new generation, new set");
    ok(c1->id != c2->id, "with a new id (verified-token cache)");
}

/*
 * A static key without kid next to fetched keys: a token with a fetched
 * kid uses that key first; one whose kid no key has is verified by the
 * static key, and if that fails it is still an unknown kid (AJWT_EKEY,
 * which makes the glue fetch again).
 */
static void combine_kidless(apr_pool_t *p)
{
    static const char *pay = "{\"sub\":\"u\",\"exp\":2000000}";
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m);
    ajwt_keyset_t *stat = NULL;
    const ajwt_key_t *s = fx_key(&stat, "P-256-b", NULL, p);
    const ajwt_key_t *f = fx_key(NULL, "P-256", "f", p);
    const ajwt_key_t *x = fx_key(NULL, "P-256", "x", p);  /* f's, as x */
    const ajwt_key_t *used = NULL;
    const ajwt_keyset_t *c;
    ajwt_jws_t *jws;
    ajwt_err_t err = { 0 };
    char *tok;

    jwks_doc = set_of(p, jwk(p, "P-256", "f"), jwk(p, "RSA", "b"));
    refresh(a, T0, 0, p, &err);
    c = keys(a, stat, p);
    is_int(ajwt_keyset_count(c), 3, "static kid-less + fetched f, b");
    tok = fx_token(p, "ES256", f, NULL, pay);
    ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
    is_int(ajwt_jws_verify(&used, jws, c, AJWT_ALG_ALL, &err), AJWT_OK,
           "fetched kid f verifies (%s)", err.text);
    ok(used && used->kid && !strcmp(used->kid, "f"),
       "by f, though the static key comes first in the set");
    tok = fx_craft(p, "ES256", s, "{\"alg\":\"ES256\",\"kid\":\"f\"}",
                   pay);
    ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
    is_int(ajwt_jws_verify(&used, jws, c, AJWT_ALG_ALL, NULL), AJWT_OK,
           "kid f signed by the static key: f fails, the static one not");
    ok(used && !used->kid, "... the static key verified it");
    tok = fx_craft(p, "ES256", s, "{\"alg\":\"ES256\",\"kid\":\"new\"}",
                   pay);
    ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
    is_int(ajwt_jws_verify(NULL, jws, c, AJWT_ALG_ALL, NULL), AJWT_OK,
           "a kid no key has, signed by the static key");
    memset(&err, 0, sizeof(err));
    tok = fx_token(p, "ES256", x, NULL, pay);
    ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
    is_int(ajwt_jws_verify(NULL, jws, c, AJWT_ALG_ALL, &err), AJWT_EKEY,
           "kid x, not fetched yet: an unknown kid, f's key not tried");
    ok(strstr(err.text, "1 key without kid tried") != NULL, "reason: %s",
       err.text);
}

static void discovery(apr_pool_t *p)
{
    ajwt_jwks_conf_t c = conf_disco;
    void *m;
    ajwt_jwks_t *a;
    const ajwt_keyset_t *ks = NULL;
    const char *iss = NULL;
    ajwt_err_t err = { 0 };

    c.discovery = 1;
    m = region(p, &c);
    a = attach(p, &c, m);
    jwks_doc = set_of(p, jwk(p, "P-256", "d"), NULL);
    disco_doc = "{\"issuer\":\"https://idp.test/realms/x\","
                "\"jwks_uri\":\"https://idp.test/jwks\"}";
    fetches = 0;
    is_int(refresh(a, T0, 0, p, &err), AJWT_JWKS_UPDATED, "discovered %s",
           err.text);
    is_int(fetches, 2, "discovery document, then JWKS");
    ajwt_jwks_keys(&ks, &iss, a, NULL, p, NULL);
    ok(ajwt_keyset_find_kid(ks, "d") != NULL, "keys");
    ok(iss && !strcmp(iss, "https://idp.test/realms/x"), "issuer %s",
       iss ? iss : "(null)");
    disco_doc = "{\"issuer\":\"https://idp.test\","
                "\"jwks_uri\":\"http://idp.test/jwks\"}";
    memset(&err, 0, sizeof(err));
    is_int(refresh(a, T0 + 3600, 0, p, &err), AJWT_JWKS_FAILED,
           "http jwks_uri refused: %s", err.text);
    disco_doc = "{\"jwks_uri\":\"https://idp.test/jwks\"}";
    memset(&err, 0, sizeof(err));
    is_int(refresh(a, T0 + 3600 + 60, 0, p, &err), AJWT_JWKS_FAILED,
           "no issuer refused: %s", err.text);
    ajwt_jwks_keys(&ks, &iss, a, NULL, p, NULL);
    ok(iss && !strcmp(iss, "https://idp.test/realms/x")
       && ajwt_keyset_find_kid(ks, "d"), "last good issuer and keys stay");
}

static void restart(apr_pool_t *p)
{
    ajwt_jwks_conf_t other = conf_a;
    void *m = region(p, &conf_a);
    ajwt_jwks_t *a = attach(p, &conf_a, m), *again;
    ajwt_err_t err = { 0 };

    jwks_doc = set_of(p, jwk(p, "P-256", "a"), NULL);
    refresh(a, T0, 0, p, &err);
    again = attach(p, &conf_a, m);
    is_int(ajwt_jwks_generation(again), 1,
           "re-attached after a graceful restart: keys kept");
    ok(ajwt_keyset_find_kid(keys(again, NULL, p), "a") != NULL, "usable");
    other.url = "https://other.test/jwks";
    again = attach(p, &other, m);
    is_int(ajwt_jwks_generation(again), 0,
           "another URL in the same place: laid out afresh");
    ok(ajwt_jwks_attach(&again, &conf_a, m, 100, p, &err) == AJWT_ECONFIG,
       "too small a region refused");
}

UNIT_MAIN(first_fetch, periodic, max_age, unknown_kid, bad_document,
          failure_backoff, lease, combine_static, combine_kidless, discovery,
          restart)
