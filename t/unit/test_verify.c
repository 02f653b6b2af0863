/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_verify.c: ajwt_verify() end to end on tokens signed here, with
 * HMAC secrets and with RSA, EC and Ed25519 keys made at run time by
 * fixtures.h (no private key is ever committed).
 */
#include "ajwt_verify.h"
#include "ajwt_jwks.h"
#include "ajwt_jws.h"
#include "ajwt_json.h"
#include "ajwt_b64.h"
#include "unit.h"
#include "fixtures.h"

#define NOW APR_INT64_C(1700000000)
#define NOW_T apr_time_from_sec(NOW)

static const unsigned char secret1[] = "0123456789abcdef0123456789abcdef";
static const unsigned char secret2[] = "fedcba9876543210fedcba9876543210";

/* ------------------------------------------------------------ keys */

/* PEM text of the process's key of this type (t/unit/fixtures.h). */
static const char *priv_pem(const char *type, apr_pool_t *p)
{
    return fx_pem_priv(fx_pkey(type), NULL, p);
}

static const char *pub_pem(const char *type, apr_pool_t *p)
{
    return fx_pem_pub(fx_pkey(type), p);
}

static ajwt_keyset_t *add_pem(ajwt_keyset_t *ks, const char *pem,
                              const char *kid, apr_pool_t *p)
{
    ajwt_err_t err = { 0 };
    if (ajwt_keyset_add_pem(&ks, pem, strlen(pem), kid, "test", p, &err)) {
        diag("cannot load PEM (kid %s): %s", kid ? kid : "-", err.text);
    }
    return ks;
}

static ajwt_keyset_t *add_secret(ajwt_keyset_t *ks, const unsigned char *s,
                                 const char *kid, apr_pool_t *p)
{
    ajwt_err_t err = { 0 };
    if (ajwt_keyset_add_secret_bytes(&ks, s, 32, kid, "test", p, &err)) {
        diag("cannot load secret (kid %s): %s", kid ? kid : "-", err.text);
    }
    return ks;
}

static const ajwt_key_t *first_key(const ajwt_keyset_t *ks)
{
    if (!ks || ajwt_keyset_count(ks) < 1) {
        return NULL;
    }
    return APR_ARRAY_IDX(ks->keys, 0, const ajwt_key_t *);
}

/* ---------------------------------------------------------- tokens */

static json_t *json(apr_pool_t *p, const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j) {
        diag("bad test JSON %s: %s", text, e.text);
        exit(1);
    }
    return ajwt_json_own(j, p);
}

/* A compact JWS of header (may be NULL) and payload, signed under alg. */
static char *mint(apr_pool_t *p, ajwt_alg_id_t alg, const ajwt_key_t *key,
                  const char *header, const char *payload)
{
    char *tok = NULL;
    ajwt_err_t err = { 0 };
    if (!key) {
        diag("no key to sign with");
        return apr_pstrdup(p, "no.key.here");
    }
    if (ajwt_jws_sign(&tok, ajwt_alg_get(alg), key,
                      json(p, header ? header : "{}"), json(p, payload), p,
                      &err)) {
        diag("cannot sign: %s", err.text);
        return apr_pstrdup(p, "cannot.sign.token");
    }
    return tok;
}

static char *b64s(apr_pool_t *p, const char *s)
{
    return ajwt_b64_encode((const unsigned char *)s, strlen(s), p);
}

/* A token put together by hand, signature segment given as is. */
static char *craft(apr_pool_t *p, const char *header, const char *payload,
                   const char *sig_b64)
{
    return apr_pstrcat(p, b64s(p, header), ".", b64s(p, payload), ".",
                       sig_b64, NULL);
}

/* Change one character in the middle of segment seg (0, 1 or 2). */
static char *tamper(apr_pool_t *p, const char *tok, int seg)
{
    char *t = apr_pstrdup(p, tok), *s = t, *end;
    int i;
    for (i = 0; i < seg; i++) {
        s = strchr(s, '.') + 1;
    }
    end = strchr(s, '.');
    if (!end) {
        end = s + strlen(s);
    }
    s += (end - s) / 2;
    *s = (*s == 'A') ? 'B' : 'A';
    return t;
}

/* tok with its payload replaced (header and signature kept). */
static char *swap_payload(apr_pool_t *p, const char *tok, const char *pay)
{
    const char *dot = strchr(tok, '.');
    return apr_pstrcat(p, apr_pstrmemdup(p, tok, dot - tok + 1),
                       b64s(p, pay), strrchr(tok, '.'), NULL);
}

static const char *payload_ok =
    "{\"sub\":\"alice\",\"jti\":\"j-1\",\"iss\":\"https://idp\","
    "\"aud\":\"api\",\"exp\":1700000600,\"iat\":1700000000,"
    "\"roles\":[\"admin\"]}";

static ajwt_verifier_t verifier(const ajwt_keyset_t *ks)
{
    ajwt_verifier_t v;
    memset(&v, 0, sizeof(v));
    v.keys = ks;
    v.policy.leeway = 30;
    v.policy.max_age = -1;
    return v;
}

static ajwt_status_t run(const char *tok, const ajwt_verifier_t *v,
                         apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_claims_t *cl = (ajwt_claims_t *)1;
    ajwt_status_t st = ajwt_verify(&cl, NULL, tok, tok ? strlen(tok) : 0, v,
                                   NOW_T, p, err);
    if (st != AJWT_OK && cl != NULL) {
        diag("claims out on failure");
        return AJWT_NSTATUS;
    }
    return st;
}

static apr_array_header_t *list1(apr_pool_t *p, const char *s)
{
    apr_array_header_t *l = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(l, const char *) = s;
    return l;
}

/* ----------------------------------------------------------- cases */

static void hs256_valid(apr_pool_t *p)
{
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    ajwt_verifier_t v = verifier(ks);
    char *tok = mint(p, AJWT_HS256, first_key(ks), NULL, payload_ok);
    ajwt_claims_t *cl = NULL;
    ajwt_err_t err = { 0 };
    ajwt_status_t st;

    st = ajwt_verify(&cl, NULL, tok, strlen(tok), &v, NOW_T, p, &err);
    is_int(st, AJWT_OK, "HS256 token accepted (%s)", err.text);
    is_int(err.status, AJWT_OK, "no error recorded");
    ok(cl != NULL, "claims out");
    if (cl) {
        ok(cl->sub && !strcmp(cl->sub, "alice"), "sub read");
        ok(cl->jti && !strcmp(cl->jti, "j-1"), "jti read");
        ok(cl->iss && !strcmp(cl->iss, "https://idp"), "iss read");
        is_int(cl->exp, 1700000600, "exp read");
        ok(cl->has_iat && cl->iat == NOW, "iat read");
        ok(ajwt_claims_has_word(cl, "roles", "admin"), "payload usable");
    }
    /* Only len bytes count: the same token inside a longer buffer. */
    {
        char *buf = apr_pstrcat(p, tok, " trailing", NULL);
        cl = NULL;
        st = ajwt_verify(&cl, NULL, buf, strlen(tok), &v, NOW_T, p, NULL);
        is_int(st, AJWT_OK, "len bounds the token");
    }
    /* A kid-less key verifies a kid-less token; a kid'd token too. */
    {
        ajwt_keyset_t *nokid = add_secret(NULL, secret1, NULL, p);
        ajwt_verifier_t v2 = verifier(nokid);
        is_int(run(mint(p, AJWT_HS256, first_key(nokid), NULL, payload_ok),
                   &v2, p, NULL), AJWT_OK, "no kid anywhere");
        is_int(run(mint(p, AJWT_HS256, first_key(nokid),
                        "{\"kid\":\"kc-hs\"}", payload_ok), &v2, p, NULL),
               AJWT_OK, "a kid-less key, a token with a kid");
    }
    /* Several keys: the one with the token's kid is used. */
    {
        ajwt_keyset_t *two = add_secret(NULL, secret2, "k2", p);
        ajwt_verifier_t v2;
        two = add_secret(two, secret1, "k1", p);
        v2 = verifier(two);
        is_int(run(tok, &v2, p, NULL), AJWT_OK, "second key by kid");
    }
    /* An explicit allow-list that holds the alg. */
    v.algs = AJWT_ALG_BIT(AJWT_HS256) | AJWT_ALG_BIT(AJWT_RS256);
    is_int(run(tok, &v, p, NULL), AJWT_OK, "allowed by list");
}

static void typ_rules(apr_pool_t *p)
{
    static const struct { const char *typ; ajwt_status_t want; } cases[] = {
        { "\"JWT\"", AJWT_OK },
        { "\"jwt\"", AJWT_OK },
        { "\"Jwt\"", AJWT_OK },
        { "\"application/jwt\"", AJWT_OK },
        { "\"Application/JWT\"", AJWT_OK },
        { "\"at+jwt\"", AJWT_OK },
        { "\"AT+JWT\"", AJWT_OK },
        { "\"application/at+jwt\"", AJWT_OK },
        { "\"refresh+jwt\"", AJWT_EHEADER },
        { "\"application/refresh+jwt\"", AJWT_EHEADER },
        { "\"id+jwt\"", AJWT_EHEADER },
        { "\"JOSE\"", AJWT_EHEADER },
        { "\"JWE\"", AJWT_EHEADER },
        { "\"\"", AJWT_EHEADER },
        { "\"application/\"", AJWT_EHEADER },
        { "\" JWT\"", AJWT_EHEADER },
        { "\"JWT \"", AJWT_EHEADER },
        { "\"application/application/jwt\"", AJWT_EHEADER },
        { "\"jwt+at\"", AJWT_EHEADER },
        { "1", AJWT_EHEADER },
        { "null", AJWT_EHEADER },
        { "[\"JWT\"]", AJWT_EHEADER },
        { "true", AJWT_EHEADER },
    };
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    ajwt_verifier_t v = verifier(ks);
    size_t i;

    is_int(run(mint(p, AJWT_HS256, first_key(ks), "{}", payload_ok), &v, p,
               NULL), AJWT_OK, "no typ accepted");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ajwt_err_t err = { 0 };
        const char *hdr = apr_psprintf(p, "{\"typ\":%s}", cases[i].typ);
        is_int(run(mint(p, AJWT_HS256, first_key(ks), hdr, payload_ok), &v,
                   p, &err), cases[i].want, "typ %s (%s)", cases[i].typ,
               err.text);
    }
    {
        ajwt_err_t err = { 0 };
        run(mint(p, AJWT_HS256, first_key(ks), "{\"typ\":\"refresh+jwt\"}",
                 payload_ok), &v, p, &err);
        is_int(err.status, AJWT_EHEADER, "refresh token: header refused");
        ok(strstr(err.text, "typ") != NULL, "reason names typ: %s",
           err.text);
    }
}

/* AuthJWTTokenType at+jwt, also through the verified-token cache: a
 * token cached where any typ was fine is still refused where at+jwt is
 * asked (the header is not read on a cache hit). */
static void at_jwt_rule(apr_pool_t *p)
{
    static const struct { const char *hdr; ajwt_status_t want; } cases[] = {
        { "{\"typ\":\"at+jwt\"}", AJWT_OK },
        { "{\"typ\":\"AT+JWT\"}", AJWT_OK },
        { "{\"typ\":\"application/at+jwt\"}", AJWT_OK },
        { "{\"typ\":\"application/AT+JWT\"}", AJWT_OK },
        { "{\"typ\":\"JWT\"}", AJWT_EHEADER },
        { "{\"typ\":\"application/jwt\"}", AJWT_EHEADER },
        { "{}", AJWT_EHEADER },
        { "{\"typ\":\"at+jwt \"}", AJWT_EHEADER },
        { "{\"typ\":\"dpop+jwt\"}", AJWT_EHEADER },
    };
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    ajwt_verifier_t any = verifier(ks), at = verifier(ks);
    ajwt_cache_t *cache = NULL;
    size_t i;

    at.at_jwt = 1;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ajwt_err_t err = { 0 };
        is_int(run(mint(p, AJWT_HS256, first_key(ks), cases[i].hdr,
                        payload_ok), &at, p, &err), cases[i].want,
               "at+jwt asked, header %s (%s)", cases[i].hdr, err.text);
    }
    {
        ajwt_err_t err = { 0 };
        run(mint(p, AJWT_HS256, first_key(ks), "{\"typ\":\"JWT\"}",
                 payload_ok), &at, p, &err);
        ok(strstr(err.text, "at+jwt") && strstr(err.text, "j-1"),
           "reason: %s", err.text);
    }
    ajwt_cache_create(&cache, 16, p, NULL);
    any.cache = at.cache = cache;
    {
        char *jwt = mint(p, AJWT_HS256, first_key(ks), "{\"typ\":\"JWT\"}",
                         payload_ok);
        char *atj = mint(p, AJWT_HS256, first_key(ks),
                         "{\"typ\":\"at+jwt\"}", payload_ok);
        is_int(run(jwt, &any, p, NULL), AJWT_OK, "typ JWT, any: cached");
        is_int(run(jwt, &any, p, NULL), AJWT_OK, "again, from the cache");
        is_int(run(jwt, &at, p, NULL), AJWT_EHEADER,
               "the cached typ JWT token where at+jwt is asked: refused");
        is_int(run(atj, &at, p, NULL), AJWT_OK, "typ at+jwt: cached");
        is_int(run(atj, &at, p, NULL), AJWT_OK, "and from the cache");
        is_int(run(atj, &any, p, NULL), AJWT_OK, "and where any typ goes");
    }
}

/* The cnf claim comes out of ajwt_verify read, also from the cache; a
 * malformed one refuses the token (nothing cached). */
static void cnf_read(apr_pool_t *p)
{
    static const char *bound =
        "{\"sub\":\"alice\",\"jti\":\"j-2\",\"exp\":1700000600,"
        "\"cnf\":{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I\"}}";
    static const char *bad =
        "{\"sub\":\"alice\",\"jti\":\"j-3\",\"exp\":1700000600,"
        "\"cnf\":{\"x5t#S256\":\"short\"}}";
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    ajwt_verifier_t v = verifier(ks);
    ajwt_cache_t *cache = NULL;
    char *tok = mint(p, AJWT_HS256, first_key(ks), NULL, bound);
    char *btok = mint(p, AJWT_HS256, first_key(ks), NULL, bad);
    int i;

    ajwt_cache_create(&cache, 16, p, NULL);
    v.cache = cache;
    for (i = 0; i < 2; i++) {
        ajwt_claims_t *cl = NULL;
        ajwt_verify_info_t info;
        is_int(ajwt_verify(&cl, &info, tok, strlen(tok), &v, NOW_T, p,
                           NULL), AJWT_OK, "bound token, pass %d", i + 1);
        ok(cl && cl->cnf.has_jkt && !strcmp(cl->cnf.jkt,
           "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
           "cnf.jkt read (%s)", info.cache_hits ? "cache hit" : "parsed");
    }
    for (i = 0; i < 2; i++) {
        ajwt_err_t err = { 0 };
        is_int(run(btok, &v, p, &err), AJWT_ECLAIM, "malformed cnf refused, "
               "pass %d (%s)", i + 1, err.text);
    }
}

static void claim_rules(apr_pool_t *p)
{
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    const ajwt_key_t *k = first_key(ks);
    ajwt_verifier_t v = verifier(ks);
    ajwt_err_t err = { 0 };

#define PAY(extra) "{\"sub\":\"bob\",\"jti\":\"j-9\"," extra "}"
    is_int(run(mint(p, AJWT_HS256, k, NULL, PAY("\"exp\":1699999971")), &v,
               p, NULL), AJWT_OK, "exp + leeway - 1 accepted");
    is_int(run(mint(p, AJWT_HS256, k, NULL, PAY("\"exp\":1699999970")), &v,
               p, &err), AJWT_EEXPIRED, "exp + leeway refused");
    ok(strstr(err.text, "j-9") && strstr(err.text, "30s"), "reason: %s",
       err.text);
    ok(!strstr(err.text, "eyJ"), "no token in reason");
    is_int(run(mint(p, AJWT_HS256, k, NULL, PAY("\"sub2\":1")), &v, p, NULL),
           AJWT_ECLAIM, "exp missing");
    is_int(run(mint(p, AJWT_HS256, k, NULL, PAY("\"exp\":\"1700000600\"")),
               &v, p, NULL), AJWT_ECLAIM, "exp string");
    /* a non-integer NumericDate (RFC 7519 section 2): exp rounds down */
    is_int(run(mint(p, AJWT_HS256, k, NULL, PAY("\"exp\":1699999971.5")),
               &v, p, NULL), AJWT_OK, "exp real accepted");
    is_int(run(mint(p, AJWT_HS256, k, NULL, PAY("\"exp\":1699999970.9")),
               &v, p, NULL), AJWT_EEXPIRED, "exp real rounds down");
    is_int(run(mint(p, AJWT_HS256, k, NULL, PAY("\"exp\":-1.5")),
               &v, p, NULL), AJWT_ECLAIM, "exp negative real");
    is_int(run(mint(p, AJWT_HS256, k, NULL,
                    PAY("\"exp\":1700000600,\"nbf\":1700000031")), &v, p,
               NULL), AJWT_ENOTYET, "nbf beyond leeway");
    is_int(run(mint(p, AJWT_HS256, k, NULL,
                    PAY("\"exp\":1700000600,\"iat\":1700000100")), &v, p,
               NULL), AJWT_ENOTYET, "iat in the future");
    v.policy.max_age = 60;
    is_int(run(mint(p, AJWT_HS256, k, NULL,
                    PAY("\"exp\":1700000600,\"iat\":1699999900")), &v, p,
               NULL), AJWT_EMAXAGE, "too old");
    v.policy.max_age = -1;

    v.policy.issuers = list1(p, "https://other");
    is_int(run(mint(p, AJWT_HS256, k, NULL, payload_ok), &v, p, NULL),
           AJWT_EISSUER, "wrong iss");
    v.policy.issuers = list1(p, "https://idp");
    is_int(run(mint(p, AJWT_HS256, k, NULL, payload_ok), &v, p, NULL),
           AJWT_OK, "right iss");
    v.policy.audiences = list1(p, "other");
    is_int(run(mint(p, AJWT_HS256, k, NULL, payload_ok), &v, p, NULL),
           AJWT_EAUDIENCE, "wrong aud");
    v.policy.audiences = list1(p, "api");
    is_int(run(mint(p, AJWT_HS256, k, NULL, payload_ok), &v, p, NULL),
           AJWT_OK, "right aud");
    v.policy.required = list1(p, "email");
    is_int(run(mint(p, AJWT_HS256, k, NULL, payload_ok), &v, p, NULL),
           AJWT_ECLAIM, "required claim missing");
    v.policy.required = list1(p, "roles");
    is_int(run(mint(p, AJWT_HS256, k, NULL, payload_ok), &v, p, NULL),
           AJWT_OK, "required claim present");
#undef PAY
}

static void input_rules(apr_pool_t *p)
{
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    ajwt_verifier_t v = verifier(ks);
    char *tok = mint(p, AJWT_HS256, first_key(ks), NULL, payload_ok);
    ajwt_claims_t *cl = (ajwt_claims_t *)1;
    ajwt_keyset_t empty;

    is_int(ajwt_verify(&cl, NULL, NULL, 0, &v, NOW_T, p, NULL), AJWT_ENOTOKEN,
           "NULL token");
    ok(cl == NULL, "out cleared");
    is_int(ajwt_verify(&cl, NULL, tok, 0, &v, NOW_T, p, NULL), AJWT_ENOTOKEN,
           "len 0");
    is_int(run("", &v, p, NULL), AJWT_ENOTOKEN, "empty string");

    v.keys = NULL;
    is_int(run(tok, &v, p, NULL), AJWT_ECONFIG, "no keyset");
    empty.keys = apr_array_make(p, 1, sizeof(ajwt_key_t *));
    empty.algs = 0;
    v.keys = &empty;
    is_int(run(tok, &v, p, NULL), AJWT_ECONFIG, "empty keyset");
    v.keys = ks;

    is_int(run("garbage", &v, p, NULL), AJWT_EMALFORMED, "one segment");
    is_int(run("a.b", &v, p, NULL), AJWT_EMALFORMED, "two segments");
    is_int(run("a.b.c.d", &v, p, NULL), AJWT_EMALFORMED, "four segments");
    is_int(run("..", &v, p, NULL), AJWT_EMALFORMED, "empty segments");
    is_int(run(apr_pstrcat(p, tok, " ", NULL), &v, p, NULL),
           AJWT_EMALFORMED, "trailing space");
    is_int(run(apr_pstrcat(p, tok, "=", NULL), &v, p, NULL),
           AJWT_EMALFORMED, "padding");
    is_int(run(craft(p, "{\"alg\":\"HS256\"}", "[1]", "c2ln"), &v, p, NULL),
           AJWT_EMALFORMED, "payload array");
    is_int(run(craft(p, "{\"alg\":\"HS256\"}", "\"x\"", "c2ln"), &v, p,
               NULL), AJWT_EMALFORMED, "payload string");
    is_int(run(craft(p, "{\"alg\":\"HS256\"}",
                     "{\"exp\":1,\"exp\":1700000600}", "c2ln"), &v, p, NULL),
           AJWT_EMALFORMED, "duplicate exp");
    is_int(run(craft(p, "{\"alg\":\"HS256\",\"alg\":\"none\"}", payload_ok,
                     "c2ln"), &v, p, NULL), AJWT_EMALFORMED,
           "duplicate alg");
    is_int(run(craft(p, "{\"typ\":\"JWT\"}", payload_ok, "c2ln"), &v, p,
               NULL), AJWT_EALG, "no alg");
}

static void oversize(apr_pool_t *p)
{
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    ajwt_verifier_t v = verifier(ks);
    char *tok = mint(p, AJWT_HS256, first_key(ks), NULL, payload_ok);
    apr_size_t len = strlen(tok);
    char *pad = apr_palloc(p, 9001), *big;
    ajwt_err_t err = { 0 };

    v.max_len = len;
    is_int(run(tok, &v, p, NULL), AJWT_OK, "exactly the maximum");
    v.max_len = len - 1;
    is_int(run(tok, &v, p, &err), AJWT_EOVERSIZE, "one byte over");
    ok(strstr(err.text, "eyJ") == NULL, "no token in reason: %s", err.text);
    v.max_len = 0;
    is_int(run(tok, &v, p, NULL), AJWT_OK, "default maximum");

    memset(pad, 'x', 9000);
    pad[9000] = '\0';
    big = mint(p, AJWT_HS256, first_key(ks), NULL,
               apr_psprintf(p, "{\"exp\":1700000600,\"pad\":\"%s\"}", pad));
    is_int(run(big, &v, p, NULL), AJWT_EOVERSIZE, "over the default 8192");
    v.max_len = 20000;
    is_int(run(big, &v, p, NULL), AJWT_OK, "under a raised maximum");
    /* Size is checked before anything else: garbage of that size too. */
    v.max_len = 10;
    is_int(run("garbage.garbage.garbage", &v, p, NULL), AJWT_EOVERSIZE,
           "size before parsing");
}

static void sig_key_alg(apr_pool_t *p)
{
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    ajwt_keyset_t *other = add_secret(NULL, secret2, "k1", p);
    ajwt_keyset_t *stranger = add_secret(NULL, secret1, "zz", p);
    ajwt_verifier_t v = verifier(ks);
    char *tok = mint(p, AJWT_HS256, first_key(ks), NULL, payload_ok);
    ajwt_err_t err = { 0 };

    is_int(run(tamper(p, tok, 2), &v, p, &err), AJWT_ESIG,
           "tampered signature");
    is_int(err.status, AJWT_ESIG, "err carries ESIG");
    /* Same header and signature, another payload. */
    is_int(run(swap_payload(p, tok, "{\"sub\":\"admin\","
                            "\"exp\":1700000600}"), &v, p, NULL),
           AJWT_ESIG, "swapped payload");
    is_int(run(mint(p, AJWT_HS256, first_key(other), NULL, payload_ok), &v,
               p, NULL), AJWT_ESIG, "same kid, other secret");
    memset(&err, 0, sizeof(err));
    is_int(run(mint(p, AJWT_HS256, first_key(stranger), NULL, payload_ok),
               &v, p, &err), AJWT_EKEY, "unknown kid");
    is_int(err.status, AJWT_EKEY, "err carries EKEY");

    v.algs = AJWT_ALG_BIT(AJWT_RS256);
    memset(&err, 0, sizeof(err));
    is_int(run(tok, &v, p, &err), AJWT_EALG, "alg not in allow-list");
    is_int(err.status, AJWT_EALG, "err carries EALG");
    v.algs = 0;
    is_int(run(craft(p, "{\"alg\":\"none\"}", payload_ok, "c2ln"), &v, p,
               NULL), AJWT_EALG, "alg none");
    is_int(run(craft(p, "{\"alg\":\"NONE\",\"kid\":\"k1\"}", payload_ok,
                     "c2ln"), &v, p, NULL), AJWT_EALG, "alg NONE");
    is_int(run(craft(p, "{\"alg\":\"hs256\"}", payload_ok, "c2ln"), &v, p,
               NULL), AJWT_EALG, "alg in lower case");
    is_int(run(mint(p, AJWT_HS256, first_key(ks), "{\"crit\":[\"exp\"]}",
                    payload_ok), &v, p, NULL), AJWT_EHEADER, "crit");
    /* A 32-byte secret never verifies HS512, whatever the token says. */
    is_int(run(craft(p, "{\"alg\":\"HS512\",\"kid\":\"k1\"}", payload_ok,
                     "c2ln"), &v, p, NULL), AJWT_EKEY, "HS512 refused");
}

static void asymmetric(apr_pool_t *p)
{
    static const struct {
        const char *type; ajwt_alg_id_t alg; const char *kid;
    } cases[] = {
        { "RSA", AJWT_RS256, "rsa" },
        { "RSA", AJWT_PS256, "rsa" },
        { "P-256", AJWT_ES256, "ec" },
        { "Ed25519", AJWT_EDDSA, "ed" },
        { "Ed25519", AJWT_ED25519, "ed" },     /* RFC 9864 */
    };
    size_t i;
    ajwt_keyset_t *hs = add_secret(NULL, secret1, "k1", p);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *name = ajwt_alg_get(cases[i].alg)->name;
        ajwt_keyset_t *sk = add_pem(NULL, priv_pem(cases[i].type, p),
                                    cases[i].kid, p);
        ajwt_keyset_t *vk = add_pem(NULL, pub_pem(cases[i].type, p),
                                    cases[i].kid, p);
        ajwt_verifier_t v = verifier(vk);
        char *tok = mint(p, cases[i].alg, first_key(sk), NULL, payload_ok);
        ajwt_claims_t *cl = NULL;
        ajwt_err_t err = { 0 };
        ajwt_status_t st;

        st = ajwt_verify(&cl, NULL, tok, strlen(tok), &v, NOW_T, p, &err);
        is_int(st, AJWT_OK, "%s accepted (%s)", name, err.text);
        ok(cl && cl->sub && !strcmp(cl->sub, "alice"), "%s claims", name);
        is_int(run(tamper(p, tok, 2), &v, p, NULL), AJWT_ESIG,
               "%s tampered signature", name);
        is_int(run(swap_payload(p, tok, "{\"sub\":\"root\","
                                "\"exp\":1700000600}"), &v, p, NULL),
               AJWT_ESIG, "%s swapped payload", name);
        /* The private key's set verifies too (it holds the public half). */
        v.keys = sk;
        is_int(run(tok, &v, p, NULL), AJWT_OK, "%s with private key set",
               name);
        /* Keys of another type never verify it. */
        v.keys = hs;
        is_int(run(tok, &v, p, NULL), AJWT_EKEY, "%s against HMAC keys",
               name);
        v.keys = vk;
        v.algs = AJWT_ALG_BIT(AJWT_HS256);
        is_int(run(tok, &v, p, NULL), AJWT_EALG, "%s not allowed", name);
        v.algs = 0;
        v.policy.issuers = list1(p, "https://other");
        is_int(run(tok, &v, p, NULL), AJWT_EISSUER, "%s wrong iss", name);
    }
    {
        /* Same kid, another RSA key: the signature does not verify. */
        ajwt_keyset_t *sk = add_pem(NULL, priv_pem("RSA-b", p), "rsa", p);
        ajwt_keyset_t *vk = add_pem(NULL, pub_pem("RSA", p), "rsa", p);
        ajwt_verifier_t v = verifier(vk);
        is_int(run(mint(p, AJWT_RS256, first_key(sk), NULL, payload_ok), &v,
                   p, NULL), AJWT_ESIG, "RS256 by another key");
    }
    {
        /* Alg confusion: HS256 keyed with the RSA public key's PEM. */
        const char *pub = pub_pem("RSA", p);
        ajwt_keyset_t *evil = NULL, *vk = add_pem(NULL, pub, "rsa", p);
        ajwt_verifier_t v = verifier(vk);
        ajwt_status_t st;
        ajwt_keyset_add_secret_bytes(&evil, (const unsigned char *)pub,
                                     strlen(pub), "rsa", "attack", p, NULL);
        st = run(mint(p, AJWT_HS256, first_key(evil), NULL, payload_ok), &v,
                 p, NULL);
        ok(st == AJWT_EKEY || st == AJWT_EALG, "HS256 with RSA public key "
           "as secret refused (%s)", ajwt_status_name(st));
    }
}

/* ------------------------------------------------- keys from a source */

/* The fake provider of the key-source cases: its JWK Set and fetches. */
static const char *src_doc;
static int src_fetches, src_fail;

static ajwt_status_t src_fetch(ajwt_fetch_result_t *out, const char *url,
                               const ajwt_fetch_opts_t *o, apr_pool_t *p,
                               ajwt_err_t *err)
{
    (void)o;
    src_fetches++;
    if (src_fail) {
        return ajwt_err_set(err, AJWT_EFETCH, "GET %s: fake failure", url);
    }
    out->body = apr_pstrdup(p, src_doc);
    out->len = strlen(src_doc);
    out->max_age = -1;
    return AJWT_OK;
}

static ajwt_jwks_conf_t src_conf = {
    "https://idp.test/jwks", 0, 600, { 0 }, src_fetch
};

static ajwt_jwks_t *source(apr_pool_t *p)
{
    apr_size_t n = ajwt_jwks_region_size(&src_conf);
    void *m = apr_pcalloc(p, n);
    ajwt_jwks_t *s = NULL;
    ajwt_jwks_attach(&s, &src_conf, m, n, p, NULL);
    return s;
}

static const char *jwks_of(apr_pool_t *p, const char *type, const char *kid)
{
    return apr_psprintf(p, "{\"keys\":[%s]}",
                        fx_jwk(fx_pkey(type), kid, NULL, 0, NULL, p));
}

/* A token of a rotated key: refreshed for the unknown kid, verified on the
 * second try; the refresh is reported, not logged. */
static void source_rotation(apr_pool_t *p)
{
    const ajwt_key_t *old_k = fx_key(NULL, "P-256", "old", p);
    const ajwt_key_t *new_k = fx_key(NULL, "P-256-b", "new", p);
    ajwt_verifier_t v = verifier(NULL);
    ajwt_verify_info_t info;
    ajwt_claims_t *cl = NULL;
    ajwt_err_t err = { 0 };
    const char *t_old = fx_token(p, "ES256", old_k, NULL, payload_ok);
    const char *t_new = fx_token(p, "ES256", new_k, NULL, payload_ok);
    apr_time_t t = NOW_T;

    v.jwks = source(p);
    v.jwks_name = "AuthJWTJwksURL https://idp.test/jwks";
    v.user_claim = "sub";
    src_doc = jwks_of(p, "P-256", "old");
    src_fetches = src_fail = 0;
    is_int(ajwt_verify(&cl, &info, t_old, strlen(t_old), &v, t, p, &err),
           AJWT_OK, "first request fetches and verifies: %s", err.text);
    is_int(src_fetches, 1, "one fetch");
    ok(info.nrefresh == 1 && info.refresh[0].what == AJWT_JWKS_UPDATED
       && !info.refresh[0].unknown_kid, "reported: periodic refresh, "
       "updated");
    is_int(ajwt_verify(&cl, &info, t_old, strlen(t_old), &v, t, p, &err),
           AJWT_OK, "again: no fetch");
    ok(src_fetches == 1 && info.nrefresh == 0, "nothing fetched, nothing "
       "reported");

    /* the provider rotates; a token with the new kid arrives */
    src_doc = jwks_of(p, "P-256-b", "new");
    memset(&err, 0, sizeof(err));
    t += (AJWT_JWKS_KID_EVERY + 1) * APR_USEC_PER_SEC;
    is_int(ajwt_verify(&cl, &info, t_new, strlen(t_new), &v, t, p, &err),
           AJWT_OK, "unknown kid: refreshed, retried, "
           "verified: %s", err.text);
    is_int(src_fetches, 2, "one more fetch");
    ok(info.nrefresh == 1 && info.refresh[0].unknown_kid
       && info.refresh[0].what == AJWT_JWKS_UPDATED, "reported: "
       "unknown-kid refresh, updated");
    ok(cl && info.user && !strcmp(info.user, "alice"), "user of the "
       "retried token");

    /* another unknown kid at once: rate limited, no fetch, a 401 */
    memset(&err, 0, sizeof(err));
    is_int(ajwt_verify(&cl, &info, t_old, strlen(t_old), &v,
                       t + APR_USEC_PER_SEC, p, &err), AJWT_EKEY, "retired kid refused: %s",
           err.text);
    ok(src_fetches == 2 && info.nrefresh == 0, "within the rate limit: "
       "no fetch");
    ok(cl == NULL, "no claims out on failure");

    /* a failed refresh is reported and the last good keys kept */
    src_fail = 1;
    memset(&err, 0, sizeof(err));
    t_new = fx_token(p, "ES256", new_k, NULL, "{\"sub\":\"alice\","
                     "\"exp\":1700003600}");
    is_int(ajwt_verify(&cl, &info, t_new, strlen(t_new), &v,
                       t + 601 * APR_USEC_PER_SEC, p, &err), AJWT_OK,
           "refresh due and failing: last good keys still verify");
    ok(info.nrefresh == 1 && info.refresh[0].what == AJWT_JWKS_FAILED
       && strstr(info.refresh[0].err.text, "fake failure"), "the failure "
       "is reported: %s", info.nrefresh ? info.refresh[0].err.text : "-");
    src_fail = 0;
}

/* Before any document arrived, and with no source in this process: 503
 * material, never a 401; no key at all: a configuration error. */
static void source_missing(apr_pool_t *p)
{
    const ajwt_key_t *k = fx_key(NULL, "P-256", "old", p);
    const char *tok = fx_token(p, "ES256", k, NULL, payload_ok);
    ajwt_keyset_t *stat = add_secret(NULL, secret1, "hs", p);
    ajwt_verifier_t v = verifier(NULL);
    ajwt_verify_info_t info;
    ajwt_err_t err = { 0 };
    ajwt_claims_t *cl;

    v.jwks = source(p);
    v.jwks_name = "AuthJWTJwksURL https://idp.test/jwks";
    src_fail = 1;
    src_fetches = 0;
    is_int(ajwt_verify(&cl, &info, tok, strlen(tok), &v, NOW_T, p, &err),
           AJWT_EFETCH, "no keys yet: %s", err.text);
    ok(strstr(err.text, "no keys fetched yet from AuthJWTJwksURL"),
           "names the source");
    ok(info.nrefresh == 1 && info.refresh[0].what == AJWT_JWKS_FAILED,
       "the failed fetch is reported");

    v.keys = stat;      /* static keys beside a source with none yet */
    memset(&err, 0, sizeof(err));
    is_int(ajwt_verify(&cl, &info, tok, strlen(tok), &v,
                       NOW_T + 5 * APR_USEC_PER_SEC, p, &err), AJWT_EFETCH,
           "static keys only, token for the provider: still 503 (%s)",
           err.text);
    src_fail = 0;

    v = verifier(NULL);
    v.jwks_wanted = 1;
    v.jwks_name = "AuthJWTJwksURL https://idp.test/jwks";
    memset(&err, 0, sizeof(err));
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v, NOW_T, p, &err),
           AJWT_EFETCH, "source configured, none in this process: %s",
           err.text);

    v = verifier(NULL);
    memset(&err, 0, sizeof(err));
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v, NOW_T, p, &err),
           AJWT_ECONFIG, "no key, no source: %s", err.text);
}

/* A discovered issuer applies when AuthJWTIssuer names none. */
static void source_issuer(apr_pool_t *p)
{
    const ajwt_key_t *k = fx_key(NULL, "P-256", "old", p);
    const char *tok = fx_token(p, "ES256", k, NULL, payload_ok);
    ajwt_verifier_t v = verifier(NULL);
    ajwt_err_t err = { 0 };
    ajwt_claims_t *cl;
    ajwt_jwks_result_t what;

    v.jwks = source(p);
    ajwt_jwks_publish(v.jwks, jwks_of(p, "P-256", "old"),
                      strlen(jwks_of(p, "P-256", "old")), "https://other",
                      -1, NOW_T, &what, p, NULL);
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v, NOW_T, p, &err),
           AJWT_EISSUER, "discovered issuer enforced: %s", err.text);
    v.policy.issuers = list1(p, "https://idp");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v, NOW_T, p, &err),
           AJWT_OK, "AuthJWTIssuer replaces it: %s", err.text);
}

/* REMOTE_USER only from a non-empty string or a number, never from an
 * array or object's JSON text; control characters refused. */
static void user_claim(apr_pool_t *p)
{
    static const struct {
        const char *sub;        /* JSON of the "who" claim; NULL: absent */
        ajwt_status_t st;
        const char *user;
    } cases[] = {
        { "\"alice\"", AJWT_OK, "alice" },
        { "42", AJWT_OK, "42" },
        { "[\"alice\"]", AJWT_ECLAIM, NULL },
        { "{\"n\":\"alice\"}", AJWT_ECLAIM, NULL },
        { "true", AJWT_ECLAIM, NULL },
        { "null", AJWT_ECLAIM, NULL },
        { "\"\"", AJWT_ECLAIM, NULL },
        { "\"al\\nice\"", AJWT_ECLAIM, NULL },
        { "\"al\\u007fice\"", AJWT_ECLAIM, NULL },
        { NULL, AJWT_ECLAIM, NULL },
    };
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    const ajwt_key_t *key = first_key(ks);
    ajwt_verifier_t v = verifier(ks);
    ajwt_verify_info_t info;
    size_t i;

    v.user_claim = "who";
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ajwt_err_t err = { 0 };
        ajwt_claims_t *cl;
        const char *pl = apr_psprintf(p, "{\"exp\":1700000600%s%s}",
                                      cases[i].sub ? ",\"who\":" : "",
                                      cases[i].sub ? cases[i].sub : "");
        const char *tok = fx_token(p, "HS256", key, NULL, pl);
        ajwt_status_t st = ajwt_verify(&cl, &info, tok, strlen(tok), &v,
                                       NOW_T, p, &err);
        is_int(st, cases[i].st, "user claim %s: %s", cases[i].sub
               ? cases[i].sub : "(absent)", err.text[0] ? err.text : "ok");
        if (cases[i].user) {
            ok(st == AJWT_OK && !strcmp(info.user, cases[i].user),
               "user is %s", cases[i].user);
        }
    }
    v.user_claim = NULL;
    {
        ajwt_err_t err = { 0 };
        ajwt_claims_t *cl;
        const char *tok = fx_token(p, "HS256", key, NULL,
                                   "{\"exp\":1700000600}");
        is_int(ajwt_verify(&cl, &info, tok, strlen(tok), &v, NOW_T, p,
                           &err), AJWT_OK, "no user claim asked: none "
               "needed");
        ok(info.user == NULL, "and none reported");
    }
}

/* Claims that become request headers may hold no control character. */
static void header_claims(apr_pool_t *p)
{
    ajwt_keyset_t *ks = add_secret(NULL, secret1, "k1", p);
    const ajwt_key_t *key = first_key(ks);
    ajwt_verifier_t v = verifier(ks);
    apr_array_header_t *h = apr_array_make(p, 1,
                                           sizeof(ajwt_claim_header_t));
    ajwt_claim_header_t *ch = apr_array_push(h);
    ajwt_err_t err = { 0 };
    ajwt_claims_t *cl;
    const char *bad, *good;

    ch->path = "org.name";
    ch->header = "X-Org";
    v.headers = h;
    v.user_claim = "sub";
    bad = fx_token(p, "HS256", key, NULL, "{\"sub\":\"a\",\"exp\":1700000600,"
                   "\"org\":{\"name\":\"x\\r\\nSet-Cookie: y\"}}");
    good = fx_token(p, "HS256", key, NULL, "{\"sub\":\"a\",\"exp\":"
                    "1700000600,\"org\":{\"name\":\"Example Ltd\"}}");
    is_int(ajwt_verify(&cl, NULL, bad, strlen(bad), &v, NOW_T, p, &err),
           AJWT_ECLAIM, "CR LF in a header claim: %s", err.text);
    ok(strstr(err.text, "X-Org") != NULL, "names the header");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_verify(&cl, NULL, good, strlen(good), &v, NOW_T, p, &err),
           AJWT_OK, "plain text passes");
}

/*
 * AuthJWTKey without a kid and an identity provider's token, which always
 * names its kid (Keycloak, Auth0, Okta, Entra, Google): RFC 7515 makes the
 * kid a hint, so the key verifies it. Through the verified-token cache
 * too, and a key with another kid still refuses it.
 */
static void kidless_key(apr_pool_t *p)
{
    static const char *kc_hdr = "{\"typ\":\"JWT\","
                                "\"kid\":\"Zx3lS0kV9qL2bT8uRw5nQy1mH4cJ6pEa\"}";
    ajwt_keyset_t *sk = add_pem(NULL, priv_pem("RSA", p), NULL, p);
    ajwt_keyset_t *vk = add_pem(NULL, pub_pem("RSA", p), NULL, p);
    ajwt_keyset_t *named = add_pem(NULL, pub_pem("RSA", p), "other", p);
    ajwt_verifier_t v = verifier(vk);
    ajwt_cache_scope_t sc;
    ajwt_cache_t *cache = NULL;
    ajwt_claims_t *cl = NULL;
    ajwt_err_t err = { 0 };
    char *tok = mint(p, AJWT_RS256, first_key(sk), kc_hdr, payload_ok);
    int i;

    is_int(run(tok, &v, p, &err), AJWT_OK, "RS256 token with kid, key "
           "without: accepted (%s)", err.text);
    v.keys = named;
    memset(&err, 0, sizeof(err));
    is_int(run(tok, &v, p, &err), AJWT_EKEY, "the same key as kid other: "
           "refused");
    ok(strstr(err.text, "Zx3lS0kV9qL2bT8uRw5nQy1mH4cJ6pEa") != NULL,
       "reason names the token's kid: %s", err.text);

    ajwt_cache_create(&cache, 16, p, NULL);
    v.cache = cache;
    v.keys = vk;
    for (i = 0; i < 2; i++) {
        is_int(ajwt_verify(&cl, NULL, tok, strlen(tok), &v, NOW_T, p,
                           NULL),
               AJWT_OK, "with the cache, pass %d", i + 1);
    }
    sc.keyset_id = vk->id;
    sc.algs = AJWT_ALG_ALL;
    sc.max_len = AJWT_DEFAULT_MAX_TOKEN;
    ok(ajwt_cache_get(cache, tok, strlen(tok), &sc, NOW, p) != NULL,
       "cached under the kid-less key's set");
    v.keys = named;
    is_int(run(tok, &v, p, NULL), AJWT_EKEY, "the cache does not carry it "
           "to a set whose key has another kid");
    v.keys = vk;
    /* refused as an unknown kid: no key has it, the kid-less one failed */
    is_int(run(tamper(p, tok, 2), &v, p, NULL), AJWT_EKEY,
           "tampered: refused");
}

UNIT_MAIN(hs256_valid, typ_rules, at_jwt_rule, cnf_read, claim_rules, input_rules, oversize,
          sig_key_alg, asymmetric, kidless_key, source_rotation,
          source_missing, source_issuer, user_claim, header_claims)
