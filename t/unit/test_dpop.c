/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dpop.c: ajwt_dpop_check() against proofs made by python3-jwcrypto
 * (t/unit/dpop_vectors.h, from dpop_vectors.py): good proofs of every
 * algorithm and each check failing alone; the RFC 7638 thumbprint
 * example; htu normalisation; server nonces across slots; ath.
 */
#include <jansson.h>
#include "ajwt_dpop.h"
#include "ajwt_store.h"
#include "unit.h"
#include "dpop_vectors.h"

#define ALGS (AJWT_ALG_BIT(AJWT_ES256) | AJWT_ALG_BIT(AJWT_ES384) \
              | AJWT_ALG_BIT(AJWT_PS256) | AJWT_ALG_BIT(AJWT_RS256) \
              | AJWT_ALG_BIT(AJWT_EDDSA))

static ajwt_dpop_conf_t conf_of(int nonces)
{
    ajwt_dpop_conf_t c = { ALGS, DPOP_V_WINDOW, DPOP_V_LEEWAY, NULL, 0 };
    if (nonces) {
        c.nonce_secret = (const unsigned char *)DPOP_V_NONCE_SECRET;
        c.nonce_secret_len = strlen(DPOP_V_NONCE_SECRET);
    }
    return c;
}

static ajwt_status_t run(const struct dpop_vector *v,
                         const ajwt_dpop_conf_t *c, ajwt_dpop_proof_t *out,
                         apr_pool_t *p, ajwt_err_t *err)
{
    return ajwt_dpop_check(out, v->proof, c, v->method, v->htu, v->token,
                           v->now, p, err);
}

static void vectors(apr_pool_t *p)
{
    apr_size_t i, good = 0, bad = 0;

    for (i = 0; i < sizeof(dpop_vectors) / sizeof(dpop_vectors[0]); i++) {
        const struct dpop_vector *v = &dpop_vectors[i];
        ajwt_dpop_conf_t c = conf_of(v->nonces);
        ajwt_dpop_proof_t out;
        ajwt_err_t err = { 0 };
        ajwt_status_t want = v->expect == DPOP_V_OK ? AJWT_OK
                             : v->expect == DPOP_V_ENONCE ? AJWT_ENONCE
                             : AJWT_EDPOP;
        ajwt_status_t st = run(v, &c, &out, p, &err);

        if (!ok(st == want, "%s: %s (%s)", v->name, ajwt_status_name(st),
                st ? err.text : "accepted")) {
            diag("want %s", ajwt_status_name(want));
        }
        if (want == AJWT_OK && st == AJWT_OK) {
            char key[AJWT_STORE_KEY_MAX];
            good++;
            ok(!strcmp(out.jkt, v->jkt), "%s: jkt %s is jwcrypto's %s",
               v->name, out.jkt, v->jkt);
            ajwt_store_key_named(key, "ajwt:d:",
                                 apr_pstrcat(p, out.jkt, ".", out.jti,
                                             NULL));
            ok(!strcmp(out.replay_key, key)
               && !strncmp(out.replay_key, "ajwt:d:", 7)
               && strlen(out.replay_key) == 7 + 43,
               "%s: replay key %s", v->name, out.replay_key);
            ok(out.replay_expires == out.iat + DPOP_V_WINDOW
                                     + DPOP_V_LEEWAY + 1
               && out.replay_expires > v->now,
               "%s: replay entry until iat + window + leeway + 1",
               v->name);
        }
        else if (want != AJWT_OK) {
            bad++;
            ok(err.text[0] != '\0', "%s: a reason for the log", v->name);
        }
    }
    ok(good >= 10 && bad >= 50, "%u good and %u bad vectors",
       (unsigned)good, (unsigned)bad);
}

/* The same proofs, the nonces (on or off) swapped: a good proof with a
 * nonce is still good when nonces are off (the nonce is then ignored),
 * and every good proof without one fails ENONCE alone once they are on. */
static void nonce_switch(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(dpop_vectors) / sizeof(dpop_vectors[0]); i++) {
        const struct dpop_vector *v = &dpop_vectors[i];
        ajwt_dpop_conf_t c = conf_of(!v->nonces);
        ajwt_dpop_proof_t out;
        ajwt_err_t err = { 0 };
        ajwt_status_t st;

        if (v->expect != DPOP_V_OK) {
            continue;
        }
        st = run(v, &c, &out, p, &err);
        is_int(st, v->nonces ? AJWT_OK : AJWT_ENONCE, "%s, nonces %s",
               v->name, v->nonces ? "off" : "on");
    }
}

/* What a vector cannot carry, and the conf's own refusals. */
static void edges(apr_pool_t *p)
{
    const struct dpop_vector *g = &dpop_vectors[0];    /* good ES256 */
    ajwt_dpop_conf_t c = conf_of(0);
    ajwt_dpop_proof_t out;
    ajwt_err_t err = { 0 };
    char *big = apr_palloc(p, AJWT_DPOP_PROOF_MAX + 2);
    apr_size_t i;

    ok(!strcmp(g->name, "good ES256"), "vector 0 is the good ES256 proof");
    is_int(run(g, &c, &out, p, NULL), AJWT_OK, "good with err NULL");
    memset(big, 'A', AJWT_DPOP_PROOF_MAX + 1);
    big[AJWT_DPOP_PROOF_MAX + 1] = '\0';
    is_int(ajwt_dpop_check(&out, big, &c, "GET", g->htu, g->token, g->now,
                           p, &err), AJWT_EDPOP, "8193 bytes: %s", err.text);
    is_int(ajwt_dpop_check(&out, NULL, &c, "GET", g->htu, g->token, g->now,
                           p, NULL), AJWT_EDPOP, "no proof");
    is_int(ajwt_dpop_check(&out, "", &c, "GET", g->htu, g->token, g->now,
                           p, NULL), AJWT_EDPOP, "empty proof");
    /* ES256 no longer allowed: refused by alg alone */
    c.algs = AJWT_ALG_BIT(AJWT_EDDSA);
    is_int(run(g, &c, &out, p, NULL), AJWT_EDPOP, "alg left out of algs");
    /* HMAC bits in the mask are never honoured */
    c.algs = AJWT_ALG_ALL;
    for (i = 0; i < sizeof(dpop_vectors) / sizeof(dpop_vectors[0]); i++) {
        if (strstr(dpop_vectors[i].name, "HS256")) {
            is_int(run(&dpop_vectors[i], &c, &out, p, NULL), AJWT_EDPOP,
                   "HS256 refused with every alg allowed");
        }
    }
    c = conf_of(0);
    /* a token presented: ath checked against it */
    is_int(ajwt_dpop_check(&out, g->proof, &c, "GET", g->htu, "other",
                           g->now, p, NULL), AJWT_EDPOP, "another token");
    /* the clock: the window follows now */
    is_int(ajwt_dpop_check(&out, g->proof, &c, "GET", g->htu, g->token,
                           g->now + DPOP_V_WINDOW + DPOP_V_LEEWAY, p, NULL),
           AJWT_OK, "now at the edge of the window");
    is_int(ajwt_dpop_check(&out, g->proof, &c, "GET", g->htu, g->token,
                           g->now + DPOP_V_WINDOW + DPOP_V_LEEWAY + 1, p,
                           NULL), AJWT_EDPOP, "now past the window");
    c.leeway = 0;
    is_int(ajwt_dpop_check(&out, g->proof, &c, "GET", g->htu, g->token,
                           g->now + DPOP_V_WINDOW + 1, p, NULL),
           AJWT_EDPOP, "leeway counts");
    c = conf_of(0);
    /* a request URL the glue could not rebuild: fail closed */
    is_int(ajwt_dpop_check(&out, g->proof, &c, "GET", "/resource",
                           g->token, g->now, p, NULL), AJWT_EINTERNAL,
           "relative request URL");
    is_int(ajwt_dpop_check(&out, g->proof, &c, NULL, g->htu, g->token,
                           g->now, p, NULL), AJWT_EDPOP, "no method");
}

static void thumbprint(apr_pool_t *p)
{
    /* RFC 7638 section 3.1 */
    static const char rfc[] =
        "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM"
        "78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhM"
        "stn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"
        "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLy"
        "rdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"
        "Cur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
        "\"kid\":\"2011-04-29\"}";
    char out[AJWT_JKT_LEN + 1];
    json_t *j = json_loads(rfc, 0, NULL);
    ajwt_err_t err = { 0 };

    (void)p;
    is_int(ajwt_jwk_thumbprint(out, j, &err), AJWT_OK, "RFC 7638 3.1 key");
    ok(!strcmp(out, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
       "RFC 7638 3.1 thumbprint: %s", out);
    json_object_del(j, "e");
    is_int(ajwt_jwk_thumbprint(out, j, NULL), AJWT_EMALFORMED, "no e");
    json_object_set_new(j, "e", json_integer(65537));
    is_int(ajwt_jwk_thumbprint(out, j, NULL), AJWT_EMALFORMED, "e a number");
    json_object_set_new(j, "e", json_string("AQ\"AB"));
    is_int(ajwt_jwk_thumbprint(out, j, NULL), AJWT_EMALFORMED,
           "e not base64url (no escaping question)");
    json_object_set_new(j, "kty", json_string("oct"));
    is_int(ajwt_jwk_thumbprint(out, j, NULL), AJWT_EMALFORMED, "kty oct");
    json_decref(j);
    j = json_array();
    is_int(ajwt_jwk_thumbprint(out, j, NULL), AJWT_EMALFORMED, "an array");
    json_decref(j);
    /* RFC 8037 appendix A.3: the Ed25519 example key */
    j = json_loads("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrf"
                   "VS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", 0, NULL);
    is_int(ajwt_jwk_thumbprint(out, j, NULL), AJWT_OK, "RFC 8037 A.3 key");
    ok(!strcmp(out, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"),
       "RFC 8037 A.3 thumbprint: %s", out);
    json_decref(j);
}

static void htu(apr_pool_t *p)
{
    static const char *const cases[][2] = {
        { "https://api.example.com/r", "https://api.example.com/r" },
        { "HTTPS://API.Example.COM/r", "https://api.example.com/r" },
        { "https://a.example:443/r", "https://a.example/r" },
        { "http://a.example:80/r", "http://a.example/r" },
        { "http://a.example:443/r", "http://a.example:443/r" },
        { "https://a.example:80/r", "https://a.example:80/r" },
        { "https://a.example:08443/r", "https://a.example:8443/r" },
        { "https://a.example:/r", "https://a.example/r" },
        { "https://a.example", "https://a.example/" },
        { "https://a.example?q#f", "https://a.example/" },
        { "https://a.example/P/a%2Fth?q=1#f", "https://a.example/P/a%2Fth" },
        { "https://[::1]:8443/r", "https://[::1]:8443/r" },
        { "https://[::1]:443/r", "https://[::1]/r" },
        { "https://a.example/r#f?x", "https://a.example/r" },
    };
    static const char *const bad[] = {
        "ftp://a.example/", "/r", "a.example/r", "https:///r",
        "https://user@a.example/r", "https://a.example:x/r",
        "https://a.example:65536/r", "https://a.example:0/r",
        "https://a.example/r r", "https://a.example/r\n", "https://[::1/r",
        "https://a:b:c/r", "https://[::1]x/r", "", "https://",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ajwt_dpop_htu_normalize(cases[i][0], p);
        ok(got && !strcmp(got, cases[i][1]), "%s -> %s", cases[i][0],
           got ? got : "(null)");
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!ajwt_dpop_htu_normalize(bad[i], p), "refused: %s", bad[i]);
    }
    ok(!ajwt_dpop_htu_normalize(NULL, p), "refused: NULL");
}

static void nonces(apr_pool_t *p)
{
    ajwt_dpop_conf_t c = conf_of(1), other = conf_of(1), none = conf_of(0);
    apr_int64_t t = 1700000000 - 1700000000 % AJWT_DPOP_NONCE_SLOT;
    const char *n = ajwt_dpop_nonce_make(&c, t, p);
    char *bad;

    other.nonce_secret = (const unsigned char *)
        "another-secret-0123456789abcdefg";
    ok(n && strlen(n) == 54, "a nonce of 54 characters: %s", n ? n : "-");
    ok(ajwt_dpop_nonce_ok(&c, n, t), "current when made");
    ok(ajwt_dpop_nonce_ok(&c, n, t + AJWT_DPOP_NONCE_SLOT - 1),
       "current to the end of its slot");
    ok(ajwt_dpop_nonce_ok(&c, n, t + 2 * AJWT_DPOP_NONCE_SLOT - 1),
       "current through the next slot");
    ok(!ajwt_dpop_nonce_ok(&c, n, t + 2 * AJWT_DPOP_NONCE_SLOT),
       "stale two slots on");
    ok(!ajwt_dpop_nonce_ok(&c, n, t - 1), "not yet current a slot before");
    ok(!strcmp(n, ajwt_dpop_nonce_make(&c, t + AJWT_DPOP_NONCE_SLOT - 1, p)),
       "one nonce per slot (every server makes the same)");
    ok(strcmp(n, ajwt_dpop_nonce_make(&c, t + AJWT_DPOP_NONCE_SLOT, p)),
       "a new one the next slot");
    ok(!ajwt_dpop_nonce_ok(&other, n, t), "another secret refuses it");
    ok(strcmp(n, ajwt_dpop_nonce_make(&other, t, p)),
       "another secret makes another");
    ok(!ajwt_dpop_nonce_ok(&none, n, t), "no secret: never current");
    ok(!ajwt_dpop_nonce_make(&none, t, p), "no secret: no nonce");
    bad = apr_pstrdup(p, n);
    bad[30] = bad[30] == 'A' ? 'B' : 'A';
    ok(!ajwt_dpop_nonce_ok(&c, bad, t), "MAC tampered");
    bad = apr_pstrdup(p, n);
    bad[5] = bad[5] == 'A' ? 'B' : 'A';
    ok(!ajwt_dpop_nonce_ok(&c, bad, t), "slot tampered");
    ok(!ajwt_dpop_nonce_ok(&c, apr_pstrcat(p, n, "A", NULL), t), "longer");
    ok(!ajwt_dpop_nonce_ok(&c, apr_pstrndup(p, n, 53), t), "shorter");
    ok(!ajwt_dpop_nonce_ok(&c, "", t), "empty");
    ok(!ajwt_dpop_nonce_ok(&c, NULL, t), "NULL");
    n = ajwt_dpop_nonce_make(&c, -5, p);
    ok(n && ajwt_dpop_nonce_ok(&c, n, -1) && !ajwt_dpop_nonce_ok(&c, n, 60),
       "a clock before 1970 has slots too");
}

static void ath(apr_pool_t *p)
{
    const char *a = ajwt_dpop_ath(DPOP_V_TOKEN, p);
    ok(a && !strcmp(a, DPOP_V_ATH), "ath is jwcrypto's: %s", a ? a : "-");
    /* RFC 9449 section 7.1 example */
    a = ajwt_dpop_ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU", p);
    ok(a && !strcmp(a, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"),
       "RFC 9449 7.1 ath: %s", a ? a : "-");
}

UNIT_MAIN(vectors, nonce_switch, edges, thumbprint, htu, nonces, ath)
