/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_alg.c: the algorithm table, "none" and the allow-list masks.
 */
#include "ajwt_alg.h"
#include "unit.h"

/* is_int() as a statement: its || value would trip -Wunused-value */


static void lookup(apr_pool_t *p)
{
    static const char *const names[] = {
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
        "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
    };
    int i;
    (void)p;
    for (i = 0; i < AJWT_NALG; i++) {
        const ajwt_alg_t *a = ajwt_alg_find(names[i]);
        ok(a && a->id == (ajwt_alg_id_t)i && a == ajwt_alg_get(i)
           && !strcmp(a->name, names[i]), "%s found", names[i]);
    }
    ok(!ajwt_alg_find("none"), "none not found");
    ok(!ajwt_alg_find("NONE"), "NONE not found");
    ok(!ajwt_alg_find("nOnE"), "nOnE not found");
    ok(!ajwt_alg_find("hs256"), "lookup is case-sensitive");
    ok(!ajwt_alg_find("ES521"), "ES521 is no algorithm");
    ok(!ajwt_alg_find("ES256K"), "ES256K not supported");
    ok(!ajwt_alg_find("ed25519"), "Ed25519 is case-sensitive too");
    ok(!ajwt_alg_find("Ed448"), "Ed448 is no algorithm (RFC 9864's needs "
       "an Ed448 key, which is not supported)");
    ok(!ajwt_alg_find(""), "empty not found");
    ok(!ajwt_alg_find(NULL), "NULL not found");
    ok(!ajwt_alg_find("HS256 "), "trailing space not found");
    ok(!ajwt_alg_get(AJWT_NALG), "get out of range is NULL");
}

static void properties(apr_pool_t *p)
{
    (void)p;
    is_int(ajwt_alg_find("ES256")->ec_size, 32, "ES256 32-byte R and S");
    is_int(ajwt_alg_find("ES384")->ec_size, 48, "ES384 48-byte R and S");
    is_int(ajwt_alg_find("ES512")->ec_size, 66, "ES512 66-byte R and S");
    is_int(ajwt_alg_find("ES512")->curve_nid, NID_secp521r1, "ES512 P-521");
    is_int(ajwt_alg_find("ES256")->curve_nid, NID_X9_62_prime256v1,
           "ES256 P-256");
    is_int(ajwt_alg_find("PS384")->hash_len, 48, "PS384 salt 48");
    is_int(ajwt_alg_find("HS512")->hash_len, 64, "HS512 64");
    is_int(ajwt_alg_find("EdDSA")->kty, AJWT_KTY_OKP, "EdDSA OKP");
    ok(ajwt_alg_find("EdDSA")->digest == NULL, "EdDSA no digest");
    ok(ajwt_alg_md(ajwt_alg_find("EdDSA")) == NULL, "EdDSA no md");
    /* RFC 9864 2.2: Ed25519 is EdDSA on that one curve */
    is_int(ajwt_alg_find("Ed25519")->kty, AJWT_KTY_OKP, "Ed25519 OKP");
    ok(ajwt_alg_find("Ed25519")->digest == NULL
       && ajwt_alg_md(ajwt_alg_find("Ed25519")) == NULL,
       "Ed25519 no digest, no md");
    ok(ajwt_alg_find("Ed25519") != ajwt_alg_find("EdDSA"),
       "Ed25519 and EdDSA are two entries");
    ok(ajwt_alg_md(ajwt_alg_find("RS384"))
       && EVP_MD_get_size(ajwt_alg_md(ajwt_alg_find("RS384"))) == 48,
       "RS384 md fetched");
    ok(ajwt_alg_md(ajwt_alg_find("HS256"))
       == ajwt_alg_md(ajwt_alg_find("ES256")), "one md per digest name");
    is_int(ajwt_alg_mask_kty(AJWT_KTY_RSA),
           AJWT_ALG_BIT(AJWT_RS256) | AJWT_ALG_BIT(AJWT_RS384)
           | AJWT_ALG_BIT(AJWT_RS512) | AJWT_ALG_BIT(AJWT_PS256)
           | AJWT_ALG_BIT(AJWT_PS384) | AJWT_ALG_BIT(AJWT_PS512),
           "RSA mask");
    is_int(ajwt_alg_mask_kty(AJWT_KTY_OKP),
           AJWT_ALG_BIT(AJWT_EDDSA) | AJWT_ALG_BIT(AJWT_ED25519), "OKP mask");
}

static void masks(apr_pool_t *p)
{
    unsigned m = 0;
    ajwt_err_t err = { 0 };
    is_int(ajwt_alg_mask_add(&m, "RS256", NULL), AJWT_OK, "add RS256");
    is_int(ajwt_alg_mask_add(&m, "EdDSA", NULL), AJWT_OK, "add EdDSA");
    is_int(m, AJWT_ALG_BIT(AJWT_RS256) | AJWT_ALG_BIT(AJWT_EDDSA), "mask");
    ok(!strcmp(ajwt_alg_mask_str(m, p), "RS256 EdDSA"), "mask text");
    ok(!strcmp(ajwt_alg_mask_str(0, p), ""), "empty mask text");
    ok(!strcmp(ajwt_alg_mask_str(AJWT_ALG_ALL, p), "HS256 HS384 HS512 "
               "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA "
               "Ed25519"), "full mask text");
    is_int(ajwt_alg_mask_add(&m, "none", &err), AJWT_ECONFIG, "none");
    ok(strstr(err.text, "none") != NULL, "message names none: %s", err.text);
    is_int(ajwt_alg_mask_add(&m, "NONE", NULL), AJWT_ECONFIG, "NONE");
    is_int(ajwt_alg_mask_add(&m, "nOnE", NULL), AJWT_ECONFIG, "nOnE");
    memset(&err, 0, sizeof(err));
    is_int(ajwt_alg_mask_add(&m, "HS1", &err), AJWT_ECONFIG, "unknown");
    ok(strstr(err.text, "EdDSA") != NULL, "lists accepted: %s", err.text);
    ok(strstr(err.text, "Ed25519") != NULL, "lists Ed25519: %s", err.text);
    is_int(m, AJWT_ALG_BIT(AJWT_RS256) | AJWT_ALG_BIT(AJWT_EDDSA),
           "mask unchanged by errors");
}

/* AuthJWTAlgorithms: EdDSA and Ed25519 are two names, neither implies
 * the other, so "EdDSA" allows exactly what it did before RFC 9864. */
static void ed25519_names(apr_pool_t *p)
{
    unsigned m = 0;
    is_int(ajwt_alg_mask_add(&m, "Ed25519", NULL), AJWT_OK, "add Ed25519");
    is_int(m, AJWT_ALG_BIT(AJWT_ED25519), "Ed25519 alone: not EdDSA");
    ok(!strcmp(ajwt_alg_mask_str(m, p), "Ed25519"), "mask text Ed25519");
    m = 0;
    is_int(ajwt_alg_mask_add(&m, "EdDSA", NULL), AJWT_OK, "add EdDSA");
    is_int(m, AJWT_ALG_BIT(AJWT_EDDSA), "EdDSA alone: not Ed25519");
    is_int(ajwt_alg_mask_add(&m, "Ed25519", NULL), AJWT_OK, "and Ed25519");
    ok(!strcmp(ajwt_alg_mask_str(m, p), "EdDSA Ed25519"), "both: %s",
       ajwt_alg_mask_str(m, p));
    is_int(ajwt_alg_mask_add(&m, "ED25519", NULL), AJWT_ECONFIG,
           "ED25519 (OpenSSL's spelling) is unknown");
    is_int(ajwt_alg_mask_add(&m, "Ed448", NULL), AJWT_ECONFIG,
           "Ed448 is unknown");
}

UNIT_MAIN(lookup, properties, masks, ed25519_names)
