/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cnf.c: the confirmation claim of sender-constrained tokens (cnf.jkt,
 * cnf.x5t#S256): what is read, what is refused as malformed, and every rule
 * of ajwt_cnf_check alone, then both bindings of one token together.
 */
#include <openssl/sha.h>
#include "ajwt_b64.h"
#include "ajwt_claims.h"
#include "ajwt_cnf.h"
#include "ajwt_json.h"
#include "unit.h"

/* Claims of payload JSON with cnf read; st says what ajwt_cnf_read said. */
static ajwt_claims_t *read_cnf(apr_pool_t *p, const char *json,
                               ajwt_status_t *st, ajwt_err_t *err)
{
    json_t *j = NULL;
    ajwt_claims_t *cl = NULL;
    *st = ajwt_json_parse_object(&j, json, strlen(json), "payload", p, err);
    if (*st == AJWT_OK) {
        *st = ajwt_claims_read(&cl, j, p, err);
    }
    if (*st == AJWT_OK) {
        *st = ajwt_cnf_read(cl, err);
    }
    return cl;
}

static ajwt_claims_t *cnf_claims(apr_pool_t *p, const char *cnf)
{
    ajwt_status_t st;
    ajwt_err_t err = { 0 };
    ajwt_claims_t *cl = read_cnf(p, apr_psprintf(p, "{\"exp\":2000000000,"
                                 "\"jti\":\"j-7\"%s%s}", cnf ? ",\"cnf\":"
                                 : "", cnf ? cnf : ""), &st, &err);
    if (st != AJWT_OK) {
        diag("cannot read cnf %s: %s", cnf, err.text);
        exit(1);
    }
    return cl;
}

/* SHA-256 of s, raw (into md) and as base64url. */
static const char *sha(apr_pool_t *p, const char *s, unsigned char *md)
{
    SHA256((const unsigned char *)s, strlen(s), md);
    return ajwt_b64_encode(md, SHA256_DIGEST_LENGTH, p);
}

static void read_rules(apr_pool_t *p)
{
    static const char *bad[] = {
        "\"jkt\"", "[]", "1", "null", "true",
        "{\"jkt\":1}", "{\"jkt\":null}", "{\"jkt\":[\"x\"]}",
        "{\"jkt\":\"\"}",
        /* 42 and 44 characters */
        "{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4\"}",
        "{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4Ia\"}",
        /* padded, standard alphabet, a blank */
        "{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I=\"}",
        "{\"jkt\":\"0ZcOCORZNYy+DWpqq30jZyJGHTN0d2HglBV3uiguA4I\"}",
        "{\"jkt\":\"0ZcOCORZNYy DWpqq30jZyJGHTN0d2HglBV3uiguA4I\"}",
        /* non-canonical: unused trailing bits set (J for I) */
        "{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4J\"}",
        "{\"x5t#S256\":42}",
        "{\"x5t#S256\":\"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg\"}",
        "{\"x5t#S256\":\"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2=\"}",
        /* a good jkt does not save a bad x5t#S256 */
        "{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I\","
        "\"x5t#S256\":\"nope\"}",
    };
    unsigned char md[32];
    ajwt_claims_t *cl;
    size_t i;

    cl = cnf_claims(p, NULL);
    ok(!cl->cnf.present && !cl->cnf.has_jkt && !cl->cnf.has_x5t,
       "no cnf: nothing read");
    cl = cnf_claims(p, "{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I\""
                    "}");
    ok(cl->cnf.present && cl->cnf.has_jkt && !cl->cnf.has_x5t, "jkt read");
    ok(!strcmp(cl->cnf.jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
       "jkt kept as text: %s", cl->cnf.jkt);
    cl = cnf_claims(p, apr_psprintf(p, "{\"x5t#S256\":\"%s\"}",
                                    sha(p, "cert A", md)));
    ok(cl->cnf.present && cl->cnf.has_x5t && !cl->cnf.has_jkt,
       "x5t#S256 read");
    ok(!memcmp(cl->cnf.x5t_s256, md, 32), "x5t#S256 decoded to 32 bytes");
    cl = cnf_claims(p, "{\"jwk\":{\"kty\":\"OKP\"},\"kid\":\"k\"}");
    ok(cl->cnf.present && !cl->cnf.has_jkt && !cl->cnf.has_x5t,
       "cnf with other members only: present, no method read");
    cl = cnf_claims(p, "{}");
    ok(cl->cnf.present, "empty cnf: present");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ajwt_status_t st;
        ajwt_err_t err = { 0 };
        read_cnf(p, apr_psprintf(p, "{\"exp\":2000000000,\"jti\":\"j-\\n9\","
                                 "\"cnf\":%s}", bad[i]), &st, &err);
        is_int(st, AJWT_ECLAIM, "cnf %s refused (%s)", bad[i], err.text);
        ok(strstr(err.text, "cnf") && strstr(err.text, "j-?9"),
           "reason names cnf and the jti, made printable");
    }
}

static ajwt_bind_policy_t pol0 = { 0, 0, 0 };

static ajwt_status_t check(const ajwt_claims_t *cl,
                           const ajwt_bind_policy_t *pol, int scheme,
                           const char *jkt, const unsigned char *cert,
                           ajwt_err_t *err)
{
    ajwt_bind_have_t have;
    have.dpop_scheme = scheme;
    have.dpop_jkt = jkt;
    have.cert_sha256 = cert;
    memset(err, 0, sizeof(*err));
    return ajwt_cnf_check(cl, pol, &have, err);
}

#define JKT_A "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
#define JKT_B "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"

static void bearer_rules(apr_pool_t *p)
{
    ajwt_claims_t *plain = cnf_claims(p, NULL);
    ajwt_claims_t *other = cnf_claims(p, "{\"jwk\":{\"kty\":\"EC\"}}");
    ajwt_bind_policy_t dpop = { 1, 0, 0 }, mtls = { 0, 1, 0 },
                       any = { 0, 0, 1 };
    unsigned char md[32];
    ajwt_err_t err;

    sha(p, "cert A", md);
    is_int(check(plain, &pol0, 0, NULL, NULL, &err), AJWT_OK,
           "unbound token, nothing asked: a bearer token");
    is_int(check(plain, &pol0, 0, JKT_A, md, &err), AJWT_OK,
           "unbound token with a proof and a certificate around: accepted");
    is_int(check(plain, &pol0, 1, JKT_A, NULL, &err), AJWT_EBINDING,
           "unbound token under the DPoP scheme: refused (7.1)");
    ok(strstr(err.text, "7.1") && strstr(err.text, "j-7"), "why: %s",
       err.text);
    is_int(check(plain, &dpop, 0, NULL, NULL, &err), AJWT_EBINDING,
           "AuthJWTDPoP Required, unbound token: refused");
    ok(strstr(err.text, "AuthJWTDPoP"), "why: %s", err.text);
    is_int(check(plain, &mtls, 0, NULL, md, &err), AJWT_EBINDING,
           "AuthJWTMTLS Required, unbound token (certificate there): "
           "refused");
    ok(strstr(err.text, "AuthJWTMTLS"), "why: %s", err.text);
    is_int(check(plain, &any, 0, NULL, md, &err), AJWT_EBINDING,
           "fapi2, unbound token: refused");
    ok(strstr(err.text, "fapi2"), "why: %s", err.text);
    is_int(check(other, &pol0, 0, NULL, md, &err), AJWT_EBINDING,
           "cnf of a method not checked here: refused");
    ok(strstr(err.text, "no confirmation method"), "why: %s", err.text);
}

static void dpop_rules(apr_pool_t *p)
{
    ajwt_claims_t *cl = cnf_claims(p, "{\"jkt\":\"" JKT_A "\"}");
    ajwt_bind_policy_t dpop = { 1, 0, 0 }, mtls = { 0, 1, 0 },
                       any = { 0, 0, 1 };
    unsigned char md[32];
    ajwt_err_t err;

    sha(p, "cert A", md);
    is_int(check(cl, &pol0, 1, JKT_A, NULL, &err), AJWT_OK,
           "jkt token, DPoP scheme, proof of that key: accepted (%s)",
           err.text);
    is_int(check(cl, &dpop, 1, JKT_A, NULL, &err), AJWT_OK,
           "... where DPoP is required too");
    is_int(check(cl, &any, 1, JKT_A, NULL, &err), AJWT_OK,
           "... and under fapi2");
    is_int(check(cl, &pol0, 0, JKT_A, NULL, &err), AJWT_EBINDING,
           "jkt token as Bearer, even with a good proof: refused (7.2)");
    ok(strstr(err.text, "7.2"), "why: %s", err.text);
    is_int(check(cl, &pol0, 0, NULL, NULL, &err), AJWT_EBINDING,
           "jkt token as Bearer without a proof: refused");
    is_int(check(cl, &pol0, 1, NULL, NULL, &err), AJWT_EBINDING,
           "DPoP scheme, no verified proof: refused");
    ok(strstr(err.text, "without a verified DPoP proof"), "why: %s",
       err.text);
    is_int(check(cl, &pol0, 1, JKT_B, NULL, &err), AJWT_EBINDING,
           "proof of another key: refused");
    ok(strstr(err.text, JKT_A) && strstr(err.text, JKT_B),
       "why names both thumbprints: %s", err.text);
    is_int(check(cl, &pol0, 1, JKT_A "x", NULL, &err), AJWT_EBINDING,
           "a longer thumbprint with the same start: refused");
    is_int(check(cl, &pol0, 1, "0ZcOCORZNYy", NULL, &err), AJWT_EBINDING,
           "a shorter one: refused");
    is_int(check(cl, &mtls, 1, JKT_A, md, &err), AJWT_EBINDING,
           "jkt token where mTLS is required: refused");
}

static void mtls_rules(apr_pool_t *p)
{
    unsigned char md_a[32], md_b[32];
    ajwt_claims_t *cl = cnf_claims(p, apr_psprintf(p, "{\"x5t#S256\":\"%s\""
                                   "}", sha(p, "cert A", md_a)));
    ajwt_bind_policy_t dpop = { 1, 0, 0 }, mtls = { 0, 1, 0 },
                       any = { 0, 0, 1 };
    ajwt_err_t err;

    sha(p, "cert B", md_b);
    is_int(check(cl, &pol0, 0, NULL, md_a, &err), AJWT_OK,
           "x5t token with its certificate: accepted (%s)", err.text);
    is_int(check(cl, &mtls, 0, NULL, md_a, &err), AJWT_OK,
           "... where mTLS is required");
    is_int(check(cl, &any, 0, NULL, md_a, &err), AJWT_OK, "... under fapi2");
    is_int(check(cl, &pol0, 0, NULL, NULL, &err), AJWT_EBINDING,
           "no certificate: refused");
    ok(strstr(err.text, "without a client certificate"), "why: %s",
       err.text);
    is_int(check(cl, &pol0, 0, NULL, md_b, &err), AJWT_EBINDING,
           "another certificate: refused");
    ok(strstr(err.text, "x5t#S256") && strstr(err.text, "SHA-256"),
       "why: %s", err.text);
    {
        unsigned char md_c[32];
        memcpy(md_c, md_a, 32);
        md_c[31] ^= 1;
        is_int(check(cl, &pol0, 0, NULL, md_c, &err), AJWT_EBINDING,
               "a certificate digest one bit off: refused");
    }
    is_int(check(cl, &pol0, 1, JKT_A, md_a, &err), AJWT_EBINDING,
           "x5t token (no jkt) under the DPoP scheme: refused");
    is_int(check(cl, &dpop, 0, NULL, md_a, &err), AJWT_EBINDING,
           "x5t token where DPoP is required: refused");
}

static void both_bindings(apr_pool_t *p)
{
    unsigned char md_a[32], md_b[32];
    ajwt_claims_t *cl = cnf_claims(p, apr_psprintf(p, "{\"jkt\":\"" JKT_A
                                   "\",\"x5t#S256\":\"%s\"}",
                                   sha(p, "cert A", md_a)));
    ajwt_bind_policy_t both = { 1, 1, 1 };
    ajwt_err_t err;

    sha(p, "cert B", md_b);
    is_int(check(cl, &pol0, 1, JKT_A, md_a, &err), AJWT_OK,
           "both bound, both shown: accepted (%s)", err.text);
    is_int(check(cl, &both, 1, JKT_A, md_a, &err), AJWT_OK,
           "... with every requirement on");
    is_int(check(cl, &pol0, 1, JKT_A, NULL, &err), AJWT_EBINDING,
           "proof without certificate: refused");
    is_int(check(cl, &pol0, 1, JKT_A, md_b, &err), AJWT_EBINDING,
           "proof with another certificate: refused");
    is_int(check(cl, &pol0, 0, NULL, md_a, &err), AJWT_EBINDING,
           "certificate as Bearer without proof: refused");
    is_int(check(cl, &pol0, 1, JKT_B, md_a, &err), AJWT_EBINDING,
           "certificate with a proof of another key: refused");
}

UNIT_MAIN(read_rules, bearer_rules, dpop_rules, mtls_rules, both_bindings)
