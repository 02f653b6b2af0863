/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_jws.c: compact JWS parsing, header rules, every algorithm signed
 * and verified with keys made at run time, and the exact-length and
 * encoding rules of each signature type.
 */
#include <pthread.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include "ajwt_jws.h"
#include "unit.h"
#include "fixtures.h"

/* is_int() as a statement: its || value would trip -Wunused-value */


#define PAYLOAD "{\"sub\":\"alice\",\"exp\":1700000600}"

/* Parse (JWT: JSON payload) and verify against ks with every alg allowed. */
static ajwt_status_t check(const char *tok, const ajwt_keyset_t *ks,
                           unsigned allowed, const ajwt_key_t **used,
                           apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_jws_t *jws;
    ajwt_status_t st = ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, err);
    if (st) {
        return st;
    }
    return ajwt_jws_verify(used, jws, ks, allowed ? allowed : AJWT_ALG_ALL,
                           err);
}

static ajwt_status_t parse(const char *tok, apr_pool_t *p)
{
    ajwt_jws_t *jws;
    return ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
}

/* b64url of a text */
static char *b(const char *s, apr_pool_t *p)
{
    return ajwt_b64_encode((const unsigned char *)s, strlen(s), p);
}

static const struct {
    const char *alg, *type;
} every[] = {
    { "HS256", NULL }, { "HS384", NULL }, { "HS512", NULL },
    { "RS256", "RSA" }, { "RS384", "RSA" }, { "RS512", "RSA3072" },
    { "PS256", "RSA" }, { "PS384", "RSA3072" }, { "PS512", "RSA" },
    { "ES256", "P-256" }, { "ES384", "P-384" }, { "ES512", "P-521" },
    { "EdDSA", "Ed25519" }, { "Ed25519", "Ed25519" },
};

static void round_trips(apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
        const char *alg = every[i].alg;
        ajwt_keyset_t *pub = NULL;
        const ajwt_key_t *k, *used = NULL;
        ajwt_key_t bare;
        ajwt_err_t err = { 0 };
        ajwt_jws_t *jws;
        char *tok;

        k = every[i].type ? fx_key(&pub, every[i].type, "k1", p)
                          : fx_secret(&pub, 64, 0x5a, "k1", p);
        tok = fx_token(p, alg, k, "{\"typ\":\"JWT\"}", PAYLOAD);
        is_int(check(tok, pub, 0, &used, p, &err), AJWT_OK, "%s verifies (%s)",
           alg, err.text);
        ok(used == fx_only(pub), "%s: used is the key", alg);
        is_int(check(fx_tamper_sig(p, tok), pub, 0, NULL, p, NULL), AJWT_ESIG,
           "%s tampered signature", alg);
        {
            /* same header and signature over another payload */
            char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
            char *swap = apr_pstrcat(p, apr_pstrmemdup(p, tok, d1 + 1 - tok),
                                     b("{\"sub\":\"root\",\"exp\":1700000600}",
                                       p), d2, NULL);
            is_int(check(swap, pub, 0, NULL, p, NULL), AJWT_ESIG,
               "%s swapped payload", alg);
        }
        ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
        ok(jws && jws->alg == ajwt_alg_find(alg) && jws->kid
           && !strcmp(jws->kid, "k1") && !strcmp(jws->typ, "JWT"),
           "%s header: alg, kid, typ", alg);
        /* a key made by hand has no prepared contexts: the slow path */
        bare = *fx_only(pub);
        memset(bare.vctx, 0, sizeof(bare.vctx));
        is_int(ajwt_jws_verify_sig(ajwt_alg_find(alg), &bare,
                               (const unsigned char *)jws->signing_input,
                               jws->signing_input_len, jws->sig,
                               jws->sig_len, NULL), AJWT_OK,
           "%s without prepared context", alg);
        /* the private key (or secret) verifies as well */
        is_int(ajwt_jws_verify_sig(ajwt_alg_find(alg), k,
                               (const unsigned char *)jws->signing_input,
                               jws->signing_input_len, jws->sig,
                               jws->sig_len, NULL), AJWT_OK,
           "%s with the signing key", alg);
        /* a public key cannot sign */
        if (every[i].type) {
            unsigned char *sig;
            apr_size_t sl;
            is_int(ajwt_jws_sign_raw(&sig, &sl, ajwt_alg_find(alg),
                                 fx_only(pub), (const unsigned char *)"x", 1,
                                 p, NULL), AJWT_EKEY,
               "%s: public key cannot sign", alg);
        }
    }
}

static void other_keys(apr_pool_t *p)
{
    /* keys of another type, curve or secret never verify */
    ajwt_keyset_t *rsa = NULL, *ec384 = NULL, *hs = NULL, *ed = NULL,
                  *rsa_b = NULL;
    const ajwt_key_t *k_rsa = fx_key(&rsa, "RSA", NULL, p);
    const ajwt_key_t *k_ec = fx_key(NULL, "P-256", NULL, p);
    const ajwt_key_t *k_hs = fx_secret(NULL, 32, 1, NULL, p);
    char *t_rs = fx_token(p, "RS256", k_rsa, NULL, PAYLOAD);
    char *t_es = fx_token(p, "ES256", k_ec, NULL, PAYLOAD);
    char *t_hs = fx_token(p, "HS256", k_hs, NULL, PAYLOAD);

    fx_key(&ec384, "P-384", NULL, p);
    fx_secret(&hs, 32, 2, NULL, p);
    fx_key(&ed, "Ed25519", NULL, p);
    fx_key(&rsa_b, "RSA-b", NULL, p);
    is_int(check(t_rs, hs, 0, NULL, p, NULL), AJWT_EKEY, "RS256 vs HMAC set");
    is_int(check(t_rs, ed, 0, NULL, p, NULL), AJWT_EKEY, "RS256 vs Ed25519");
    is_int(check(t_rs, rsa_b, 0, NULL, p, NULL), AJWT_ESIG, "RS256 other RSA key");
    is_int(check(t_es, ec384, 0, NULL, p, NULL), AJWT_EKEY, "ES256 vs P-384");
    is_int(check(t_es, rsa, 0, NULL, p, NULL), AJWT_EKEY, "ES256 vs RSA");
    is_int(check(t_hs, hs, 0, NULL, p, NULL), AJWT_ESIG, "HS256 other secret");
    is_int(check(t_hs, rsa, 0, NULL, p, NULL), AJWT_EKEY, "HS256 vs RSA");
    is_int(ajwt_jws_verify_sig(ajwt_alg_find("HS256"), fx_only(rsa),
                           (const unsigned char *)"m", 1,
                           (const unsigned char *)"s", 1, NULL), AJWT_EKEY,
       "verify_sig: HS256 with an RSA key");
    is_int(ajwt_jws_verify_sig(ajwt_alg_find("HS512"), fx_only(hs),
                           (const unsigned char *)"m", 1,
                           (const unsigned char *)"s", 1, NULL), AJWT_EKEY,
       "verify_sig: HS512 with a 32-byte secret");
    is_int(check(fx_token(p, "HS256", fx_secret(NULL, 32, 2, NULL, p), NULL,
                      PAYLOAD), hs, 0, NULL, p, NULL), AJWT_OK,
       "the same secret verifies (sanity)");
    is_int(check(fx_craft(p, "HS512", fx_secret(NULL, 64, 2, NULL, p),
                      "{\"alg\":\"HS512\"}", PAYLOAD), hs, 0, NULL, p,
             NULL), AJWT_EKEY, "HS512 token vs a 32-byte secret");
}

static void alg_confusion(apr_pool_t *p)
{
    /* HS256 signed with the RSA public key's PEM text as the secret */
    ajwt_keyset_t *rsa = NULL, *rsa_jwk = NULL;
    const ajwt_key_t *k;
    char *pem = fx_pem_pub(fx_pkey("RSA"), p);
    char *tok;
    ajwt_status_t st;

    fx_key(&rsa, "RSA", "r", p);
    is_int(ajwt_keyset_add_secret_bytes(&rsa_jwk, (const unsigned char *)pem,
                                    strlen(pem), "r", "attacker", p, NULL),
       AJWT_OK, "the PEM text makes a (long) secret");
    k = fx_only(rsa_jwk);
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\",\"kid\":\"r\"}",
                   PAYLOAD);
    st = check(tok, rsa, 0, NULL, p, NULL);
    ok(st == AJWT_EKEY || st == AJWT_EALG, "HS256 with RSA PEM as secret "
       "refused (%d)", st);
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\"}", PAYLOAD);
    st = check(tok, rsa, 0, NULL, p, NULL);
    ok(st == AJWT_EKEY || st == AJWT_EALG, "same without kid (%d)", st);
    st = check(tok, rsa, AJWT_ALG_BIT(AJWT_HS256) | AJWT_ALG_BIT(AJWT_RS256),
               NULL, p, NULL);
    ok(st == AJWT_EKEY, "even with HS256 allowed (%d)", st);
}

static void embedded_keys(apr_pool_t *p)
{
    /* jwk / jku / x5u / x5c in the header are never used */
    ajwt_keyset_t *victim = NULL;
    const ajwt_key_t *attacker = fx_key(NULL, "P-256-b", NULL, p);
    char *jwk = fx_jwk(fx_pkey("P-256-b"), NULL, NULL, 0, NULL, p);
    char *tok;

    fx_key(&victim, "P-256", "v", p);
    tok = fx_craft(p, "ES256", attacker, apr_psprintf(p, "{\"alg\":\"ES256\","
                   "\"kid\":\"v\",\"jwk\":%s}", jwk), PAYLOAD);
    is_int(check(tok, victim, 0, NULL, p, NULL), AJWT_ESIG,
       "embedded jwk ignored");
    tok = fx_craft(p, "ES256", attacker, apr_psprintf(p, "{\"alg\":\"ES256\","
                   "\"jwk\":%s}", jwk), PAYLOAD);
    is_int(check(tok, victim, 0, NULL, p, NULL), AJWT_ESIG,
       "embedded jwk ignored (no kid)");
    tok = fx_craft(p, "ES256", attacker, "{\"alg\":\"ES256\",\"jku\":"
                   "\"http://127.0.0.1:1/k\",\"x5u\":\"http://127.0.0.1:1/c\""
                   "}", PAYLOAD);
    is_int(check(tok, victim, 0, NULL, p, NULL), AJWT_ESIG, "jku/x5u ignored");
}

static void kid_selection(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *a = fx_key(&ks, "RSA", "a", p);
    const ajwt_key_t *b_ = fx_key(&ks, "RSA-b", "b", p);
    const ajwt_key_t *used = NULL;
    const ajwt_key_t *e = fx_key(NULL, "P-256", "e", p);
    ajwt_err_t err = { 0 };
    char *tok;

    fx_secret(&ks, 32, 3, "h", p);
    (void)a;
    /* rotation: the token's kid picks the key */
    tok = fx_token(p, "RS256", b_, NULL, PAYLOAD);
    is_int(check(tok, ks, 0, &used, p, NULL), AJWT_OK, "kid b verifies");
    ok(used == ajwt_keyset_find_kid(ks, "b"), "key b used");
    tok = fx_token(p, "RS256", a, NULL, PAYLOAD);
    is_int(check(tok, ks, 0, &used, p, NULL), AJWT_OK, "kid a verifies");
    ok(used == ajwt_keyset_find_kid(ks, "a"), "key a used");
    /* kid a, signed by b: only a is tried */
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":\"a\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_ESIG, "kid a, b's signature");
    /* no kid: every RS256 key is tried */
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\"}", PAYLOAD);
    is_int(check(tok, ks, 0, &used, p, NULL), AJWT_OK, "no kid: all tried");
    ok(used == ajwt_keyset_find_kid(ks, "b"), "no kid: b found");
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":\"zz\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, &err), AJWT_EKEY, "unknown kid");
    ok(strstr(err.text, "zz") != NULL, "reason names the kid: %s", err.text);
    /* kid of a key of another type */
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":\"h\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EKEY, "kid of an HMAC key");
    tok = fx_token(p, "ES256", e, NULL, PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EKEY, "no ES256 key at all");
    /* a kid that is not a string */
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":7}", PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "numeric kid");
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":null}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "null kid");
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":[\"b\"]}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "array kid");
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":\"B\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EKEY, "kid is case-sensitive");
}

/*
 * A key configured without a kid verifies tokens whatever their kid
 * (RFC 7515: kid is a hint), after the keys whose kid is the token's.
 */
static void kidless_keys(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL, *same = NULL, *hs = NULL, *only_kid = NULL;
    ajwt_keyset_t *mixed = NULL;
    const ajwt_key_t *a = fx_key(&ks, "RSA", "a", p);
    const ajwt_key_t *b_ = fx_key(&ks, "RSA-b", NULL, p);
    const ajwt_key_t *c = fx_key(NULL, "RSA3072", "c", p);
    const ajwt_key_t *e = fx_key(NULL, "P-256", "e", p);
    const ajwt_key_t *used = NULL, *hk;
    ajwt_err_t err = { 0 };
    char *tok;

    /* an IdP's token names its kid; the key here was given none */
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":\"zz\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, &used, p, &err), AJWT_OK,
           "kid zz verified by the key without kid (%s)", err.text);
    ok(used && !used->kid, "the kid-less key was used");
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\",\"kid\":\"a\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, &used, p, NULL), AJWT_OK,
           "kid a, b's signature: a fails, then the kid-less key");
    ok(used && !used->kid, "... the kid-less key verified it");
    tok = fx_token(p, "RS256", a, NULL, PAYLOAD);
    is_int(check(tok, ks, 0, &used, p, NULL), AJWT_OK, "kid a still a");
    ok(used && used->kid && !strcmp(used->kid, "a"), "key a used");
    tok = fx_craft(p, "RS256", b_, "{\"alg\":\"RS256\"}", PAYLOAD);
    is_int(check(tok, ks, 0, &used, p, NULL), AJWT_OK, "no kid, as before");

    /* signed by a key not configured: the kid is unknown (EKEY, which
     * sends a JWKS source to fetch) though the kid-less key was tried */
    memset(&err, 0, sizeof(err));
    tok = fx_craft(p, "RS256", c, "{\"alg\":\"RS256\",\"kid\":\"zz\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, &err), AJWT_EKEY,
           "unknown kid, kid-less key fails: still no key with that kid");
    ok(strstr(err.text, "with kid \"zz\"")
       && strstr(err.text, "1 key without kid tried"), "reason: %s",
       err.text);
    memset(&err, 0, sizeof(err));
    tok = fx_craft(p, "RS256", c, "{\"alg\":\"RS256\",\"kid\":\"a\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, &err), AJWT_ESIG,
           "kid a, neither a nor the kid-less key verifies");
    ok(strstr(err.text, "with 2 keys (kid a)") != NULL, "reason: %s",
       err.text);
    /* a kid-less key of another type is not counted */
    memset(&err, 0, sizeof(err));
    fx_key(&mixed, "RSA-b", NULL, p);
    fx_key(&mixed, "P-256-b", "e2", p);
    tok = fx_token(p, "ES256", e, NULL, PAYLOAD);
    is_int(check(tok, mixed, 0, NULL, p, &err), AJWT_EKEY,
           "ES256 kid e against ES256 e2 and a kid-less RSA key");
    ok(strstr(err.text, "no ES256 key with kid \"e\"")
       && !strstr(err.text, "without kid"), "reason: %s", err.text);

    /* keys with the token's kid come first, wherever they are listed:
     * the same key material twice, first without kid, then as "a" */
    fx_key(&same, "RSA", NULL, p);
    fx_key(&same, "RSA", "a", p);
    tok = fx_token(p, "RS256", a, NULL, PAYLOAD);
    is_int(check(tok, same, 0, &used, p, NULL), AJWT_OK, "kid a verifies");
    ok(used && used->kid && !strcmp(used->kid, "a"),
       "the key with kid a was tried before the kid-less one");
    tok = fx_craft(p, "RS256", a, "{\"alg\":\"RS256\",\"kid\":\"q\"}",
                   PAYLOAD);
    is_int(check(tok, same, 0, &used, p, NULL), AJWT_OK, "kid q verifies");
    ok(used && !used->kid, "by the kid-less key only");

    /* a key with a kid is still only for its own kid (or none) */
    fx_key(&only_kid, "RSA", "a", p);
    tok = fx_craft(p, "RS256", a, "{\"alg\":\"RS256\",\"kid\":\"q\"}",
                   PAYLOAD);
    is_int(check(tok, only_kid, 0, NULL, p, NULL), AJWT_EKEY,
           "the right key under another kid: refused");

    /* HMAC: a secret without kid, an IdP token with one; and a kid of a
     * key of another type does not hide the kid-less secret */
    hk = fx_secret(&hs, 32, 7, NULL, p);
    fx_key(&hs, "RSA", "r", p);
    tok = fx_craft(p, "HS256", hk, "{\"alg\":\"HS256\",\"kid\":\"kc-1\"}",
                   PAYLOAD);
    is_int(check(tok, hs, 0, &used, p, NULL), AJWT_OK,
           "HS256 kid kc-1 by a secret without kid");
    tok = fx_craft(p, "HS256", hk, "{\"alg\":\"HS256\",\"kid\":\"r\"}",
                   PAYLOAD);
    is_int(check(tok, hs, 0, &used, p, NULL), AJWT_OK,
           "HS256 kid r (an RSA key's) by the secret without kid");
    ok(used && !used->kid && used->kty == AJWT_KTY_OCT,
       "the secret verified it");
}

static void header_rules(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *k = fx_secret(&ks, 64, 9, NULL, p);
    static const char *const nones[] = { "none", "NONE", "nOnE", "None" };
    ajwt_err_t err = { 0 };
    size_t i;
    char *tok;

    for (i = 0; i < 4; i++) {
        /* unsigned, and signed: neither helps */
        tok = apr_pstrcat(p, b(apr_psprintf(p, "{\"alg\":\"%s\"}", nones[i]),
                               p), ".", b(PAYLOAD, p), ".", NULL);
        is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EALG, "alg %s unsigned",
           nones[i]);
        tok = fx_craft(p, "HS256", k, apr_psprintf(p, "{\"alg\":\"%s\"}",
                                                   nones[i]), PAYLOAD);
        is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EALG, "alg %s signed",
           nones[i]);
    }
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS257\"}", PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, &err), AJWT_EALG, "unknown alg");
    ok(strstr(err.text, "HS257") != NULL, "reason names it: %s", err.text);
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"hs256\"}", PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EALG, "alg in lower case");
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\\n\"}", PAYLOAD);
    memset(&err, 0, sizeof(err));
    is_int(check(tok, ks, 0, NULL, p, &err), AJWT_EALG, "alg with newline");
    ok(!strchr(err.text, '\n'), "no newline in the reason: %s", err.text);
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\"}", PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_OK, "plain HS256");
    is_int(check(tok, ks, AJWT_ALG_BIT(AJWT_HS512), NULL, p, NULL), AJWT_EALG,
       "HS256 not in allow-list");
    is_int(check(tok, ks, AJWT_ALG_BIT(AJWT_HS256), NULL, p, NULL), AJWT_OK,
       "HS256 in allow-list");
    /* crit in any form */
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\",\"crit\":[\"exp\"],"
                   "\"exp\":1}", PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "crit [exp]");
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\",\"crit\":[]}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "crit []");
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\",\"crit\":\"b64\"}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "crit string");
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\",\"b64\":false,"
                   "\"crit\":[\"b64\"]}", PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "crit b64");
    tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\",\"crit\":null}",
                   PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_EHEADER, "crit null");
    /* alg missing or not a string */
    tok = fx_craft(p, "HS256", k, "{\"typ\":\"JWT\"}", PAYLOAD);
    is_int(parse(tok, p), AJWT_EALG, "no alg");
    tok = fx_craft(p, "HS256", k, "{\"alg\":256}", PAYLOAD);
    is_int(parse(tok, p), AJWT_EALG, "numeric alg");
    tok = fx_craft(p, "HS256", k, "{\"alg\":[\"HS256\"]}", PAYLOAD);
    is_int(parse(tok, p), AJWT_EALG, "array alg");
    tok = fx_craft(p, "HS256", k, "{\"alg\":null}", PAYLOAD);
    is_int(parse(tok, p), AJWT_EALG, "null alg");
    /* JSON whitespace in the header is fine (Wycheproof JWS 376, 377) */
    tok = fx_craft(p, "HS256", k, " {\r\n \"alg\" : \"HS256\" ,\t\"typ\":"
                   "\"JWT\"}\n", PAYLOAD);
    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_OK, "header whitespace");
    /* typ: as given, "" when not a string */
    {
        ajwt_jws_t *jws;
        tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\",\"typ\":1}",
                       PAYLOAD);
        ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
        ok(jws && jws->typ && !*jws->typ, "non-string typ is \"\"");
        tok = fx_craft(p, "HS256", k, "{\"alg\":\"HS256\"}", PAYLOAD);
        ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
        ok(jws && !jws->typ && !jws->kid, "no typ, no kid: NULL");
    }
    is_int(check(tok, NULL, 0, NULL, p, NULL), AJWT_EKEY, "NULL keyset");
}

static void parsing(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *k = fx_secret(&ks, 32, 4, NULL, p);
    char *tok = fx_token(p, "HS256", k, NULL, PAYLOAD);
    char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    char *h = apr_pstrmemdup(p, tok, d1 - tok);
    char *pl = apr_pstrmemdup(p, d1 + 1, d2 - d1 - 1);
    char *s = d2 + 1;
    ajwt_jws_t *jws = NULL;
    ajwt_err_t err = { 0 };
    char big[9000];

    is_int(check(tok, ks, 0, NULL, p, NULL), AJWT_OK, "baseline");
    is_int(parse(apr_pstrcat(p, h, ".", pl, NULL), p), AJWT_EMALFORMED,
       "two segments");
    is_int(parse(apr_pstrcat(p, tok, ".", NULL), p), AJWT_EMALFORMED,
       "four segments (empty)");
    is_int(parse(apr_pstrcat(p, tok, ".", s, NULL), p), AJWT_EMALFORMED,
       "four segments");
    is_int(parse(apr_pstrcat(p, h, "..", pl, ".", s, NULL), p), AJWT_EMALFORMED,
       "five segments");
    is_int(parse("", p), AJWT_EMALFORMED, "empty");
    is_int(parse("..", p), AJWT_EMALFORMED, "three empty segments");
    is_int(parse(apr_pstrcat(p, ".", pl, ".", s, NULL), p), AJWT_EMALFORMED,
       "empty header");
    is_int(parse(apr_pstrcat(p, h, "..", s, NULL), p), AJWT_EMALFORMED,
       "empty payload (JWT)");
    is_int(check(apr_pstrcat(p, h, ".", pl, ".", NULL), ks, 0, NULL, p, NULL),
       AJWT_ESIG, "empty signature");
    /* strict base64url in each segment */
    is_int(parse(apr_pstrcat(p, h, "=.", pl, ".", s, NULL), p), AJWT_EMALFORMED,
       "padding in header");
    is_int(parse(apr_pstrcat(p, h, ".", pl, "=.", s, NULL), p), AJWT_EMALFORMED,
       "padding in payload");
    is_int(parse(apr_pstrcat(p, tok, "=", NULL), p), AJWT_EMALFORMED,
       "padding in signature");
    is_int(parse(apr_pstrcat(p, tok, " ", NULL), p), AJWT_EMALFORMED,
       "trailing space");
    is_int(parse(apr_pstrcat(p, " ", tok, NULL), p), AJWT_EMALFORMED,
       "leading space");
    is_int(parse(apr_pstrcat(p, tok, "\n", NULL), p), AJWT_EMALFORMED,
       "trailing newline");
    is_int(parse(apr_pstrcat(p, h, ".", pl, ".", "ab\ncd", NULL), p),
       AJWT_EMALFORMED, "newline in signature");
    {
        char *t = apr_pstrdup(p, tok);
        char *c = strrchr(t, '.') + 3;
        *c = *c == '-' ? '+' : '/';
        is_int(parse(t, p), AJWT_EMALFORMED, "'+' or '/' in signature");
        t = apr_pstrdup(p, tok);
        t[3] = '+';
        is_int(parse(t, p), AJWT_EMALFORMED, "'+' in header");
        t = apr_pstrdup(p, tok);
        t[strlen(h) + 3] = '/';
        is_int(parse(t, p), AJWT_EMALFORMED, "'/' in payload");
        t = apr_pstrdup(p, tok);
        t[5] = '?';
        is_int(parse(t, p), AJWT_EMALFORMED, "'?' in header (JWS 372)");
    }
    {
        /* non-canonical tail: a 32-byte HMAC is 43 chars, last one of
         * the 16 with zero low bits; one above it decodes the same */
        char *t = apr_pstrdup(p, tok);
        char *last = t + strlen(t) - 1;
        static const char a[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *pos = strchr(a, *last);
        ok(pos && ((pos - a) & 3) == 0, "HS256 tail is canonical");
        *last = a[(pos - a) + 1];
        is_int(parse(t, p), AJWT_EMALFORMED, "non-canonical signature tail");
    }
    /* JSON shape */
    is_int(parse(apr_pstrcat(p, b("[\"alg\",\"HS256\"]", p), ".", pl, ".", s,
                         NULL), p), AJWT_EMALFORMED, "header array");
    is_int(parse(apr_pstrcat(p, b("\"HS256\"", p), ".", pl, ".", s, NULL), p),
       AJWT_EMALFORMED, "header string");
    is_int(parse(apr_pstrcat(p, b("{\"alg\":\"HS256\"", p), ".", pl, ".", s,
                         NULL), p), AJWT_EMALFORMED, "header cut short");
    is_int(parse(apr_pstrcat(p, b("{\"alg\":\"HS256\"}x", p), ".", pl, ".", s,
                         NULL), p), AJWT_EMALFORMED, "header trailing");
    is_int(parse(apr_pstrcat(p, b("{\"alg\":\"HS256\",\"alg\":\"none\"}", p), ".",
                         pl, ".", s, NULL), p), AJWT_EMALFORMED,
       "duplicate header member");
    is_int(parse(apr_pstrcat(p, b("{\"alg\":\"HS256\",\"kid\":\"a\","
                              "\"kid\":\"b\"}", p), ".", pl, ".", s, NULL),
             p), AJWT_EMALFORMED, "duplicate kid member");
    is_int(parse(apr_pstrcat(p, h, ".", b("[1]", p), ".", s, NULL), p),
       AJWT_EMALFORMED, "payload array");
    is_int(parse(apr_pstrcat(p, h, ".", b("{\"a\":1,\"a\":2}", p), ".", s, NULL),
             p), AJWT_EMALFORMED, "duplicate payload member");
    tok = apr_pstrcat(p, h, ".", b("Test", p), ".", s, NULL);
    is_int(ajwt_jws_parse(&jws, tok, strlen(tok), 0, 0, p, NULL), AJWT_OK,
       "raw payload when not JSON");
    ok(jws && !jws->payload && jws->payload_len == 4
       && !memcmp(jws->payload_raw, "Test", 4), "raw payload kept");
    is_int(parse(tok, p), AJWT_EMALFORMED, "text payload refused for a JWT");
    /* size first */
    memset(big, 'A', sizeof(big));
    is_int(ajwt_jws_parse(&jws, big, 8193, 0, 1, p, &err), AJWT_EOVERSIZE,
       "8193 bytes of garbage: oversize, not malformed");
    ok(!strstr(err.text, "AAAA"), "no token in the reason: %s", err.text);
    is_int(ajwt_jws_parse(&jws, big, 8192, 0, 1, p, NULL), AJWT_EMALFORMED,
       "8192 bytes: parsed");
    is_int(ajwt_jws_parse(&jws, big, 101, 100, 1, p, NULL), AJWT_EOVERSIZE,
       "own maximum");
    tok = fx_token(p, "HS256", k, NULL, PAYLOAD);
    is_int(ajwt_jws_parse(&jws, tok, strlen(tok), strlen(tok), 1, p, NULL),
       AJWT_OK, "exactly the maximum");
    is_int(ajwt_jws_parse(&jws, tok, strlen(tok), strlen(tok) - 1, 1, p, NULL),
       AJWT_EOVERSIZE, "one over the maximum");
    {
        /* the token need not be NUL-terminated; signing input is kept */
        char *copy = apr_pstrcat(p, tok, "garbage", NULL);
        is_int(ajwt_jws_parse(&jws, copy, strlen(tok), 0, 1, p, NULL), AJWT_OK,
           "length bounds the token");
        ok(jws && jws->signing_input_len == (apr_size_t)(strrchr(tok, '.')
                                                         - tok)
           && !strncmp(jws->signing_input, tok, jws->signing_input_len),
           "signing input is the first two segments");
        memset(copy, 'x', strlen(copy));
        is_int(ajwt_jws_verify(NULL, jws, ks, AJWT_ALG_ALL, NULL), AJWT_OK,
           "verifies after the token buffer changed");
    }
}

/* ECDSA: R||S, never DER; 0 < R, S < n; high S fine. */
static void ecdsa_encoding(apr_pool_t *p)
{
    static const char *const algs[] = { "ES256", "ES384", "ES512" };
    static const char *const types[] = { "P-256", "P-384", "P-521" };
    int i;

    for (i = 0; i < 3; i++) {
        const ajwt_alg_t *alg = ajwt_alg_find(algs[i]);
        ajwt_keyset_t *ks = NULL;
        const ajwt_key_t *k = fx_key(&ks, types[i], NULL, p);
        const unsigned char *msg = (const unsigned char *)"abc.def";
        int n = alg->ec_size;
        unsigned char *sig, *der = NULL, *m;
        apr_size_t sl;
        ECDSA_SIG *es;
        BIGNUM *r, *s, *order = NULL;
        EC_GROUP *g = EC_GROUP_new_by_curve_name(alg->curve_nid);
        int dl;

        is_int(ajwt_jws_sign_raw(&sig, &sl, alg, k, msg, 7, p, NULL), AJWT_OK,
           "%s sign", alg->name);
        is_int(sl, 2 * n, "%s signature is R||S", alg->name);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, sig, sl, NULL),
           AJWT_OK, "%s verifies", alg->name);
        /* the same signature in DER */
        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, n, NULL);
        s = BN_bin2bn(sig + n, n, NULL);
        ECDSA_SIG_set0(es, r, s);
        dl = i2d_ECDSA_SIG(es, &der);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, der, dl, NULL),
           AJWT_ESIG, "%s DER refused", alg->name);
        OPENSSL_free(der);
        /* one byte short or long */
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, sig, sl - 1, NULL),
           AJWT_ESIG, "%s one byte short", alg->name);
        m = apr_pcalloc(p, sl + 1);
        memcpy(m + 1, sig, sl);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl + 1, NULL),
           AJWT_ESIG, "%s leading zero byte", alg->name);
        memcpy(m, sig, sl);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl + 1, NULL),
           AJWT_ESIG, "%s trailing byte", alg->name);
        /* R = 0, S = 0 */
        memcpy(m, sig, sl);
        memset(m, 0, n);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl, NULL),
           AJWT_ESIG, "%s R = 0", alg->name);
        memcpy(m, sig, sl);
        memset(m + n, 0, n);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl, NULL),
           AJWT_ESIG, "%s S = 0", alg->name);
        /* R = n, S + n (as if reduced), and high S = n - S (valid) */
        order = BN_dup(EC_GROUP_get0_order(g));
        memcpy(m, sig, sl);
        BN_bn2binpad(order, m, n);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl, NULL),
           AJWT_ESIG, "%s R = n", alg->name);
        {
            BIGNUM *t = BN_new(), *hs = BN_new();
            BN_add(t, s, order);
            memcpy(m, sig, sl);
            if (BN_num_bytes(t) <= n) {
                BN_bn2binpad(t, m + n, n);
                is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl,
                                       NULL), AJWT_ESIG, "%s S + n",
                   alg->name);
            }
            BN_sub(hs, order, s);
            memcpy(m, sig, sl);
            BN_bn2binpad(hs, m + n, n);
            is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl, NULL),
               AJWT_OK, "%s the other S (n - S) is valid", alg->name);
            BN_free(t);
            BN_free(hs);
        }
        BN_free(order);
        ECDSA_SIG_free(es);
        EC_GROUP_free(g);
    }
}

/* RSA: exactly the modulus length; PSS salt = hash length. */
static void rsa_encoding(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *k = fx_key(&ks, "RSA", NULL, p);
    const unsigned char *msg = (const unsigned char *)"abc.def";
    static const char *const algs[] = { "RS256", "PS256", "PS512" };
    int i;

    for (i = 0; i < 3; i++) {
        const ajwt_alg_t *alg = ajwt_alg_find(algs[i]);
        unsigned char *sig, *m;
        apr_size_t sl;
        is_int(ajwt_jws_sign_raw(&sig, &sl, alg, k, msg, 7, p, NULL), AJWT_OK,
           "%s sign", alg->name);
        is_int(sl, 256, "%s: 256 bytes", alg->name);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, sig, sl, NULL),
           AJWT_OK, "%s verifies", alg->name);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, sig + 1, sl - 1,
                               NULL), AJWT_ESIG, "%s one byte short",
           alg->name);
        m = apr_pcalloc(p, sl + 1);
        memcpy(m + 1, sig, sl);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, m, sl + 1, NULL),
           AJWT_ESIG, "%s one byte long (leading zero)", alg->name);
        is_int(ajwt_jws_verify_sig(alg, fx_only(ks), msg, 7, sig, 0, NULL),
           AJWT_ESIG, "%s empty", alg->name);
    }
    {
        /* an RS256 signature is no PS256 one, and back */
        unsigned char *sig;
        apr_size_t sl;
        ajwt_jws_sign_raw(&sig, &sl, ajwt_alg_find("RS256"), k, msg, 7, p,
                          NULL);
        is_int(ajwt_jws_verify_sig(ajwt_alg_find("PS256"), fx_only(ks), msg, 7,
                               sig, sl, NULL), AJWT_ESIG, "RS256 sig as PS256");
        is_int(ajwt_jws_verify_sig(ajwt_alg_find("RS384"), fx_only(ks), msg, 7,
                               sig, sl, NULL), AJWT_ESIG, "RS256 sig as RS384");
        ajwt_jws_sign_raw(&sig, &sl, ajwt_alg_find("PS256"), k, msg, 7, p,
                          NULL);
        is_int(ajwt_jws_verify_sig(ajwt_alg_find("RS256"), fx_only(ks), msg, 7,
                               sig, sl, NULL), AJWT_ESIG, "PS256 sig as RS256");
    }
    {
        /* PSS signatures with another salt length or MGF1 hash */
        static const struct { int salt; const char *mgf; const char *what; }
        c[] = {
            { 0, "SHA256", "salt 0" }, { 20, "SHA256", "salt 20" },
            { RSA_PSS_SALTLEN_MAX, "SHA256", "maximum salt" },
            { 32, "SHA1", "MGF1-SHA1" }, { 32, "SHA512", "MGF1-SHA512" },
            { 32, "SHA256", "salt 32, MGF1-SHA256 (the right one)" },
        };
        size_t j;
        for (j = 0; j < sizeof(c) / sizeof(c[0]); j++) {
            EVP_MD_CTX *mc = EVP_MD_CTX_new();
            EVP_PKEY_CTX *pc;
            unsigned char sig[512];
            size_t sl = sizeof(sig);
            int good = EVP_DigestSignInit_ex(mc, &pc, "SHA256", NULL, NULL,
                                             k->pkey, NULL) == 1
                && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0
                && EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, c[j].salt) > 0
                && EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, c[j].mgf, NULL) > 0
                && EVP_DigestSign(mc, sig, &sl, msg, 7) == 1;
            EVP_MD_CTX_free(mc);
            ok(good, "made PSS %s", c[j].what);
            is_int(ajwt_jws_verify_sig(ajwt_alg_find("PS256"), fx_only(ks), msg,
                                   7, sig, sl, NULL),
               j == sizeof(c) / sizeof(c[0]) - 1 ? AJWT_OK : AJWT_ESIG,
               "PS256 with %s", c[j].what);
        }
    }
}

static void hmac_and_eddsa_encoding(apr_pool_t *p)
{
    static const char *const algs[] = { "HS256", "HS384", "HS512" };
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *k = fx_secret(&ks, 64, 0x33, NULL, p);
    const unsigned char *msg = (const unsigned char *)"abc.def";
    unsigned char *sig, *m;
    apr_size_t sl;
    int i;

    for (i = 0; i < 3; i++) {
        const ajwt_alg_t *alg = ajwt_alg_find(algs[i]);
        is_int(ajwt_jws_sign_raw(&sig, &sl, alg, k, msg, 7, p, NULL), AJWT_OK,
           "%s sign", alg->name);
        is_int(sl, alg->hash_len, "%s full tag", alg->name);
        is_int(ajwt_jws_verify_sig(alg, k, msg, 7, sig, sl, NULL), AJWT_OK,
           "%s verifies", alg->name);
        is_int(ajwt_jws_verify_sig(alg, k, msg, 7, sig, sl / 2, NULL), AJWT_ESIG,
           "%s half tag refused", alg->name);
        is_int(ajwt_jws_verify_sig(alg, k, msg, 7, sig, sl - 1, NULL), AJWT_ESIG,
           "%s tag one byte short", alg->name);
        m = apr_pcalloc(p, sl + 1);
        memcpy(m, sig, sl);
        is_int(ajwt_jws_verify_sig(alg, k, msg, 7, m, sl + 1, NULL), AJWT_ESIG,
           "%s tag one byte long", alg->name);
        m[sl - 1] ^= 0x80;
        is_int(ajwt_jws_verify_sig(alg, k, msg, 7, m, sl, NULL), AJWT_ESIG,
           "%s last bit flipped", alg->name);
        is_int(ajwt_jws_verify_sig(alg, k, msg, 6, sig, sl, NULL), AJWT_ESIG,
           "%s shorter message", alg->name);
    }
    {
        /* RFC 4231 test case 2 as a sanity check of the HMAC itself */
        static const unsigned char want[32] = {
            0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
            0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
            0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
        };
        ajwt_key_t jefe = { 0 };
        jefe.kty = AJWT_KTY_OCT;
        jefe.algs = AJWT_ALG_BIT(AJWT_HS256);
        jefe.secret = (const unsigned char *)"Jefe";
        jefe.secret_len = 4;
        is_int(ajwt_jws_sign_raw(&sig, &sl, ajwt_alg_find("HS256"), &jefe,
                             (const unsigned char *)
                             "what do ya want for nothing?", 28, p, NULL),
           AJWT_OK, "HMAC of a hand-made key");
        ok(sl == 32 && !memcmp(sig, want, 32), "RFC 4231 case 2");
    }
    {
        ajwt_keyset_t *eks = NULL;
        const ajwt_key_t *ek = fx_key(&eks, "Ed25519", NULL, p);
        const ajwt_alg_t *alg = ajwt_alg_find("EdDSA");
        is_int(ajwt_jws_sign_raw(&sig, &sl, alg, ek, msg, 7, p, NULL), AJWT_OK,
           "EdDSA sign");
        is_int(sl, 64, "EdDSA 64 bytes");
        is_int(ajwt_jws_verify_sig(alg, fx_only(eks), msg, 7, sig, 64, NULL),
           AJWT_OK, "EdDSA verifies");
        is_int(ajwt_jws_verify_sig(alg, fx_only(eks), msg, 7, sig, 63, NULL),
           AJWT_ESIG, "EdDSA 63 bytes");
        m = apr_pcalloc(p, 65);
        memcpy(m, sig, 64);
        is_int(ajwt_jws_verify_sig(alg, fx_only(eks), msg, 7, m, 65, NULL),
           AJWT_ESIG, "EdDSA 65 bytes");
        m[63] ^= 0x10;
        is_int(ajwt_jws_verify_sig(alg, fx_only(eks), msg, 7, m, 64, NULL),
           AJWT_ESIG, "EdDSA S altered");
    }
}

/*
 * RFC 9864: a token's alg "Ed25519" is EdDSA with an Ed25519 key. A key
 * loaded without an "alg" verifies both names, the allow-list names each,
 * a JWK's "alg" keeps to its one, and no other key verifies Ed25519.
 */
static void ed25519_tokens(apr_pool_t *p)
{
    const unsigned both = AJWT_ALG_BIT(AJWT_EDDSA)
                          | AJWT_ALG_BIT(AJWT_ED25519);
    ajwt_keyset_t *pub = NULL, *other = NULL, *j_new = NULL, *j_old = NULL;
    ajwt_keyset_t *ec = NULL, hand;
    const ajwt_key_t *k = fx_key(&pub, "Ed25519", "e1", p);
    char *t_new = fx_token(p, "Ed25519", k, NULL, PAYLOAD);
    char *t_old = fx_token(p, "EdDSA", k, NULL, PAYLOAD);
    ajwt_key_t ed448 = { 0 };
    ajwt_jws_t *jws = NULL;
    ajwt_err_t err = { 0 };
    unsigned char *sig;
    apr_size_t sl;

    ok(k->algs == both && fx_only(pub)->algs == both,
       "an Ed25519 key (no alg) serves EdDSA and Ed25519");
    ajwt_jws_parse(&jws, t_new, strlen(t_new), 0, 1, p, NULL);
    ok(jws && jws->alg == ajwt_alg_find("Ed25519")
       && !strcmp(jws->alg_name, "Ed25519"), "header alg Ed25519 parsed");
    is_int(check(t_new, pub, 0, NULL, p, &err), AJWT_OK,
           "alg Ed25519 verifies with an Ed25519 key (%s)", err.text);
    is_int(check(t_old, pub, 0, NULL, p, NULL), AJWT_OK,
           "alg EdDSA still verifies with it");
    is_int(check(t_new, pub, both, NULL, p, NULL), AJWT_OK,
           "Ed25519 with both allowed");
    is_int(check(t_old, pub, both, NULL, p, NULL), AJWT_OK,
           "EdDSA with both allowed");
    /* the allow-list names each: EdDSA does not allow Ed25519, nor back */
    is_int(check(t_new, pub, AJWT_ALG_BIT(AJWT_EDDSA), NULL, p, NULL),
           AJWT_EALG, "Ed25519 token, only EdDSA allowed: refused");
    is_int(check(t_old, pub, AJWT_ALG_BIT(AJWT_EDDSA), NULL, p, NULL),
           AJWT_OK, "EdDSA token, only EdDSA allowed");
    is_int(check(t_old, pub, AJWT_ALG_BIT(AJWT_ED25519), NULL, p, NULL),
           AJWT_EALG, "EdDSA token, only Ed25519 allowed: refused");
    is_int(check(t_new, pub, AJWT_ALG_BIT(AJWT_ED25519), NULL, p, NULL),
           AJWT_OK, "Ed25519 token, only Ed25519 allowed");
    is_int(check(fx_tamper_sig(p, t_new), pub, 0, NULL, p, NULL), AJWT_ESIG,
           "Ed25519 tampered");
    fx_key(&other, "Ed25519-b", "e1", p);
    is_int(check(t_new, other, 0, NULL, p, NULL), AJWT_ESIG,
           "Ed25519 token, another Ed25519 key");
    /* a JWK's alg is kept to: each key only the name it gives */
    {
        char *jn = fx_jwk(fx_pkey("Ed25519"), "e1", "Ed25519", 0, NULL, p);
        char *jo = fx_jwk(fx_pkey("Ed25519"), "e1", "EdDSA", 0, NULL, p);
        if (ajwt_keyset_add_jwks(&j_new, jn, strlen(jn), "t", p, NULL)
            || ajwt_keyset_add_jwks(&j_old, jo, strlen(jo), "t", p, NULL)) {
            fx_die("Ed25519 JWKs");
        }
    }
    is_int(check(t_new, j_new, 0, NULL, p, NULL), AJWT_OK,
           "JWK alg Ed25519 verifies alg Ed25519");
    is_int(check(t_old, j_new, 0, NULL, p, NULL), AJWT_EKEY,
           "JWK alg Ed25519 does not verify alg EdDSA");
    is_int(check(t_old, j_old, 0, NULL, p, NULL), AJWT_OK,
           "JWK alg EdDSA verifies alg EdDSA");
    is_int(check(t_new, j_old, 0, NULL, p, NULL), AJWT_EKEY,
           "JWK alg EdDSA does not verify alg Ed25519");
    fx_key(&ec, "P-256", "e1", p);
    is_int(check(t_new, ec, 0, NULL, p, NULL), AJWT_EKEY,
           "Ed25519 token against an EC key");
    /* Ed448 never passes as Ed25519: the loaders refuse Ed448 keys, and
     * a key made by hand with both names still cannot sign or verify it */
    ed448.kty = AJWT_KTY_OKP;
    ed448.algs = both;
    ed448.pkey = fx_pkey("Ed448");
    ed448.has_private = 1;
    ed448.kid = "e1";
    ok(ajwt_jws_sign_raw(&sig, &sl, ajwt_alg_find("Ed25519"), &ed448,
                         (const unsigned char *)"m", 1, p, NULL) != AJWT_OK,
       "an Ed448 key cannot sign Ed25519");
    is_int(ajwt_jws_sign_raw(&sig, &sl, ajwt_alg_find("EdDSA"), &ed448,
                             (const unsigned char *)"m", 1, p, NULL), AJWT_OK,
           "(it signs EdDSA: the primitive allows any curve)");
    is_int(sl, 114, "an Ed448 signature is 114 bytes");
    hand.keys = apr_array_make(p, 1, sizeof(const ajwt_key_t *));
    APR_ARRAY_PUSH(hand.keys, const ajwt_key_t *) = &ed448;
    hand.algs = both;
    hand.id = 0;
    {
        /* header alg Ed25519 over an Ed448 signature of that very input */
        char *t448 = fx_craft(p, "EdDSA", &ed448,
                              "{\"alg\":\"Ed25519\",\"kid\":\"e1\"}",
                              PAYLOAD);
        char *dot = strrchr(t448, '.');
        ok(check(t448, &hand, 0, NULL, p, NULL) != AJWT_OK,
           "Ed448-signed token with alg Ed25519 refused");
        /* and a 64-byte signature of the right length gets no further */
        memset(sig, 0x41, 64);
        ok(check(apr_pstrcat(p, apr_pstrmemdup(p, t448, dot + 1 - t448),
                             ajwt_b64_encode(sig, 64, p), NULL),
                 &hand, 0, NULL, p, NULL) != AJWT_OK,
           "64-byte signature with an Ed448 key under Ed25519 refused");
    }
    ok(check(t_new, &hand, 0, NULL, p, NULL) != AJWT_OK,
       "a real Ed25519 token does not verify with an Ed448 key");
    ERR_clear_error();
}

static void signing(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *k = fx_secret(&ks, 32, 5, "sk", p);
    const ajwt_key_t *nokid = fx_secret(NULL, 32, 5, NULL, p);
    ajwt_jws_t *jws;
    char *tok, *hdr;
    unsigned char *h;
    apr_size_t hl;

    tok = fx_token(p, "HS256", k, "{\"typ\":\"JWT\",\"alg\":\"RS256\","
                   "\"kid\":\"other\",\"x\":1}", "{\"b\":1,\"a\":2}");
    ajwt_b64_decode(&h, &hl, tok, strchr(tok, '.') - tok, p, NULL);
    hdr = (char *)h;
    ok(!strcmp(hdr, "{\"alg\":\"HS256\",\"kid\":\"sk\",\"typ\":\"JWT\","
               "\"x\":1}"), "header: alg, kid, then the rest: %s", hdr);
    ajwt_jws_parse(&jws, tok, strlen(tok), 0, 1, p, NULL);
    ok(jws && jws->payload_len == 13
       && !memcmp(jws->payload_raw, "{\"b\":1,\"a\":2}", 13),
       "payload compact, in insertion order");
    is_int(ajwt_jws_verify(NULL, jws, ks, AJWT_ALG_ALL, NULL), AJWT_OK,
       "verifies");
    tok = fx_token(p, "HS256", nokid, "{\"kid\":\"mine\"}", "{}");
    ajwt_b64_decode(&h, &hl, tok, strchr(tok, '.') - tok, p, NULL);
    ok(!strcmp((char *)h, "{\"alg\":\"HS256\",\"kid\":\"mine\"}"),
       "key without kid keeps the header's: %s", (char *)h);
    tok = fx_token(p, "HS256", nokid, NULL, "{}");
    ajwt_b64_decode(&h, &hl, tok, strchr(tok, '.') - tok, p, NULL);
    ok(!strcmp((char *)h, "{\"alg\":\"HS256\"}"), "minimal header: %s",
       (char *)h);
    {
        char *t = NULL;
        json_t *arr = json_array();
        is_int(ajwt_jws_sign(&t, ajwt_alg_find("HS256"), k, NULL, arr, p, NULL),
           AJWT_EINTERNAL, "payload must be an object");
        json_decref(arr);
        arr = json_object();
        is_int(ajwt_jws_sign(&t, ajwt_alg_find("HS512"), k, NULL, arr, p, NULL),
           AJWT_EKEY, "HS512 with a 32-byte secret refused");
        is_int(ajwt_jws_sign(&t, ajwt_alg_find("RS256"), k, NULL, arr, p, NULL),
           AJWT_EKEY, "RS256 with a secret refused");
        json_decref(arr);
    }
}

/*
 * The header memo: a header is kept only after a token carrying it has
 * verified, then reused for the same bytes; every header rule and the
 * signature still apply to each token that uses it.
 */
static void header_cache(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL, *rsa = NULL;
    const ajwt_key_t *k = fx_secret(&ks, 64, 0x33, NULL, p);
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"x\":\"memo\"}";
    ajwt_jws_t *a, *b2;
    ajwt_err_t err = { 0 };
    char *t1, *t2, *forged, *longh, *lt;
    int i, all;

    fx_key(&rsa, "RSA", NULL, p);
    /* a header whose tokens never verified is never kept */
    forged = fx_tamper_sig(p, fx_craft(p, "HS256", k,
        "{\"alg\":\"HS256\",\"x\":\"never\"}", PAYLOAD));
    is_int(check(forged, ks, 0, NULL, p, NULL), AJWT_ESIG, "forged refused");
    is_int(ajwt_jws_parse(&a, forged, strlen(forged), 0, 1, p, NULL),
           AJWT_OK, "forged parses");
    ok(!a->header_cached, "header of a forged token not kept");
    t1 = fx_craft(p, "HS256", k, hdr, PAYLOAD);
    t2 = fx_craft(p, "HS256", k, hdr, "{\"sub\":\"bob\",\"exp\":1700000700}");
    is_int(ajwt_jws_parse(&a, t1, strlen(t1), 0, 1, p, NULL), AJWT_OK,
           "first token parses");
    ok(!a->header_cached, "first sight: parsed");
    is_int(ajwt_jws_verify(NULL, a, ks, AJWT_ALG_ALL, &err), AJWT_OK,
           "first token verifies (%s)", err.text);
    is_int(ajwt_jws_parse(&b2, t2, strlen(t2), 0, 1, p, NULL), AJWT_OK,
           "second token parses");
    ok(b2->header_cached, "same header bytes: the kept parse");
    ok(b2->alg == ajwt_alg_find("HS256") && b2->typ
       && !strcmp(b2->typ, "JWT") && !b2->kid
       && !strcmp(b2->alg_name, "HS256"), "kept fields right");
    ok(json_equal(a->header, b2->header), "same header object content");
    ok(!strcmp(json_string_value(json_object_get(b2->payload, "sub")),
               "bob"), "payload is the second token's own");
    ok(b2->sig_len == 32
       && b2->signing_input_len == (apr_size_t)(strrchr(t2, '.') - t2)
       && !memcmp(b2->signing_input, t2, b2->signing_input_len),
       "signing input and signature are the second token's own");
    is_int(ajwt_jws_verify(NULL, b2, ks, AJWT_ALG_ALL, NULL), AJWT_OK,
           "second token verifies");
    /* the rules still run on a kept header */
    is_int(check(fx_tamper_sig(p, t2), ks, 0, NULL, p, NULL), AJWT_ESIG,
           "kept header, bad signature: refused");
    is_int(check(t2, ks, AJWT_ALG_BIT(AJWT_HS384), NULL, p, NULL), AJWT_EALG,
           "kept header, alg not allowed: refused");
    is_int(check(t2, rsa, 0, NULL, p, NULL), AJWT_EKEY,
           "kept header against RSA keys: refused (alg confusion)");
    {
        /* a byte more or less is another header */
        const char *h2 = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"x\":\"memo \"}";
        char *t3 = fx_craft(p, "HS256", k, h2, PAYLOAD);
        is_int(ajwt_jws_parse(&a, t3, strlen(t3), 0, 1, p, NULL), AJWT_OK,
               "near header parses");
        ok(!a->header_cached, "near header not taken for the kept one");
        t3 = apr_pstrcat(p, "x", t1, NULL);
        is_int(parse(t3, p), AJWT_EMALFORMED, "kept header with a byte "
               "before it: not base64url of JSON");
    }
    /* past 256 characters: parsed every time */
    longh = apr_psprintf(p, "{\"alg\":\"HS256\",\"x\":\"%0200d\"}", 7);
    lt = fx_craft(p, "HS256", k, longh, PAYLOAD);
    is_int(check(lt, ks, 0, NULL, p, NULL), AJWT_OK, "long header verifies");
    is_int(ajwt_jws_parse(&a, lt, strlen(lt), 0, 1, p, NULL), AJWT_OK,
           "long header parses");
    ok(!a->header_cached, "long header not kept");
    /* more headers than slots: each still verifies, and is refused when
     * its signature is bad */
    all = 1;
    for (i = 0; i < 100; i++) {
        char *h = apr_psprintf(p, "{\"alg\":\"HS256\",\"n\":%d}", i);
        char *t = fx_craft(p, "HS256", k, h, PAYLOAD);
        if (check(t, ks, 0, NULL, p, NULL) != AJWT_OK
            || check(t, ks, 0, NULL, p, NULL) != AJWT_OK
            || check(fx_tamper_sig(p, t), ks, 0, NULL, p, NULL)
               != AJWT_ESIG) {
            all = 0;
            diag("header %d", i);
        }
    }
    ok(all, "100 more headers (past the 64 slots): all verify, forgeries "
       "refused");
}

/* Threads verifying tokens whose headers are new, kept meanwhile by other
 * threads, or long kept: every answer stays right. */
typedef struct {
    const ajwt_keyset_t *ks;
    char **good, **bad;
    int n, wrong;
} race_t;

typedef struct {
    race_t *r;
    int id;
} race_arg_t;

static void *race_thread(void *arg)
{
    race_t *r = ((race_arg_t *)arg)->r;
    int id = ((race_arg_t *)arg)->id;
    apr_pool_t *tp;
    int i;

    apr_pool_create(&tp, NULL);
    for (i = 0; i < 400; i++) {
        /* each thread its own order over the same headers */
        int k = (i * (2 * id + 1) + id) % r->n;
        if (check(r->good[k], r->ks, 0, NULL, tp, NULL) != AJWT_OK
            || check(r->bad[k], r->ks, 0, NULL, tp, NULL) != AJWT_ESIG) {
            __atomic_add_fetch(&r->wrong, 1, __ATOMIC_RELAXED);
        }
        if (i % 50 == 49) {
            apr_pool_clear(tp);
        }
    }
    apr_pool_destroy(tp);
    return NULL;
}

static void header_cache_threads(apr_pool_t *p)
{
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *k = fx_secret(&ks, 64, 0x44, NULL, p);
    pthread_t th[8];
    race_arg_t arg[8];
    race_t r;
    int i;

    r.ks = ks;
    r.n = 24;
    r.wrong = 0;
    r.good = apr_palloc(p, r.n * sizeof(char *));
    r.bad = apr_palloc(p, r.n * sizeof(char *));
    for (i = 0; i < r.n; i++) {
        char *h = apr_psprintf(p, "{\"alg\":\"HS256\",\"race\":%d}", i);
        r.good[i] = fx_craft(p, "HS256", k, h, PAYLOAD);
        r.bad[i] = fx_tamper_sig(p, r.good[i]);
    }
    for (i = 0; i < 8; i++) {
        arg[i].r = &r;
        arg[i].id = i;
        pthread_create(&th[i], NULL, race_thread, &arg[i]);
    }
    for (i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
    }
    is_int(r.wrong, 0, "8 threads x 400 rounds over 24 headers being kept: "
           "no wrong answer");
}

/* The prepared HMAC pads against OpenSSL's own HMAC, for secrets
 * shorter than, equal to and longer than the digest's block (hashed). */
static void hmac_pads(apr_pool_t *p)
{
    static const char *const algs[] = { "HS256", "HS384", "HS512" };
    static const char *const mds[] = { "SHA256", "SHA384", "SHA512" };
    static const apr_size_t lens[] = { 64, 65, 100, 128, 129, 300 };
    static const unsigned char msg[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0";
    size_t a, l;
    int good = 1;

    for (a = 0; a < 3; a++) {
        for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            const ajwt_alg_t *alg = ajwt_alg_find(algs[a]);
            const ajwt_key_t *k = fx_secret(NULL, lens[l],
                                            (unsigned char)(0x41 + l), NULL,
                                            p);
            unsigned char want[64], *sig;
            size_t wl = 0;
            apr_size_t sl;
            if (!EVP_Q_mac(NULL, "HMAC", NULL, mds[a], NULL, k->secret,
                           k->secret_len, msg, sizeof(msg) - 1, want,
                           sizeof(want), &wl)
                || ajwt_jws_sign_raw(&sig, &sl, alg, k, msg, sizeof(msg) - 1,
                                     p, NULL)
                || sl != wl || memcmp(sig, want, wl)
                || ajwt_jws_verify_sig(alg, k, msg, sizeof(msg) - 1, want,
                                       wl, NULL)) {
                good = 0;
                diag("%s with a %d-byte secret", algs[a], (int)lens[l]);
            }
        }
    }
    ok(good, "HS256/384/512 with secrets of 64 to 300 bytes: as OpenSSL's "
       "HMAC, both ways");
}

/* header_cache first: its slots are for the whole process */
UNIT_MAIN(header_cache, header_cache_threads, round_trips, other_keys,
          alg_confusion, embedded_keys, kid_selection, kidless_keys,
          header_rules, parsing, ecdsa_encoding, rsa_encoding,
          hmac_and_eddsa_encoding, ed25519_tokens, signing, hmac_pads)
