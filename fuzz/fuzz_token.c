/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_token.c: the whole token path, ajwt_verify(): size, base64url,
 * JWS parse, header rules (alg, crit, kid, typ), signature with fixed
 * keys, registered claims and the policy (iss, aud, required claims,
 * max age) against a fixed clock.
 *
 * Keys, made once (LLVMFuzzerInitialize): an HS256 secret of fixed bytes
 * (so that seed tokens signed by make_seeds stay valid), and RSA-2048,
 * P-256 and Ed25519 keys generated in memory (fixtures.h; no private key
 * is ever written anywhere).
 *
 * The first byte of the input picks what the rest is:
 *   mode 0: a raw token, verified as it is;
 *   mode 1: "HEADER\nPAYLOAD" JSON texts, byte for byte, signed here with
 *           the key picked by bits 2-4 of the first byte, then verified,
 *           so that mutations of the header and the claims get past the
 *           signature and reach the header rules and the claim checks;
 *   mode 2: a raw token verified twice through a verified-token cache
 *           (the second time is a cache hit when the first succeeded);
 *   mode 3: a raw token with an allow-list of HS256 and ES256 only and a
 *           small maximum length.
 * Bit 5 of the first byte drops the policy's issuers, audiences and max
 * age (so claim checks run with "any issuer").
 */
#include "ajwt_verify.h"
#include "ajwt_b64.h"
#include "ajwt_jws.h"
#include "fixtures.h"
#include "fuzz_common.h"

/* The HS256 secret: public test bytes, also used by make_seeds. */
#define FZ_SECRET "fuzz-secret-0123456789abcdefghij"

static ajwt_verifier_t ver, ver_any;
static const ajwt_key_t *signers[5];
static const char *const signer_alg[5] = {
    "HS256", "RS256", "ES256", "EdDSA", "PS256"
};

static apr_array_header_t *strings(apr_pool_t *p, const char *a,
                                   const char *b)
{
    apr_array_header_t *arr = apr_array_make(p, 2, sizeof(const char *));
    APR_ARRAY_PUSH(arr, const char *) = a;
    if (b) {
        APR_ARRAY_PUSH(arr, const char *) = b;
    }
    return arr;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ajwt_keyset_t *ks = NULL;
    apr_pool_t *p;

    (void)argc;
    (void)argv;
    fz_init();
    p = fz_global;
    {
        /* Not fx_secret(): that fills with one byte; seeds need these. */
        ajwt_keyset_t *one = NULL;
        ajwt_err_t err = { 0 };
        if (ajwt_keyset_add_secret_bytes(&one,
                                         (const unsigned char *)FZ_SECRET,
                                         strlen(FZ_SECRET), "hs", "fuzz", p,
                                         &err)
            || ajwt_keyset_add_keys(&ks, one, p, &err)) {
            fz_die(err.text);
        }
        signers[0] = fx_only(one);
    }
    signers[1] = fx_key(&ks, "RSA", "rsa", p);
    signers[2] = fx_key(&ks, "P-256", "ec", p);
    signers[3] = fx_key(&ks, "Ed25519", "ed", p);
    signers[4] = signers[1];

    ver.keys = ks;
    ver.algs = 0;
    ver.max_len = 0;
    ver.policy.leeway = AJWT_DEFAULT_LEEWAY;
    ver.policy.max_age = 86400;
    ver.policy.issuers = strings(p, "https://issuer.example", "iss2");
    ver.policy.audiences = strings(p, "api", "https://api.example");
    ver.policy.required = strings(p, "sub", "realm_access.roles");
    ver.cache = NULL;

    ver_any = ver;
    ver_any.policy.max_age = -1;
    ver_any.policy.issuers = NULL;
    ver_any.policy.audiences = NULL;
    ver_any.policy.required = strings(p, "sub", NULL);
    return 0;
}

/* Sanity of a success: the claims the core promises are there. */
static void check_ok(const ajwt_claims_t *cl, const ajwt_verifier_t *v)
{
    if (!cl || !cl->json || !json_is_object(cl->json)) {
        fz_die("AJWT_OK without claims");
    }
    if (cl->exp < 0 || cl->exp > AJWT_MAX_NUMERIC_DATE
        || FZ_NOW_SEC >= cl->exp + v->policy.leeway) {
        fz_die("AJWT_OK for an expired token");
    }
}

static void verify_once(const char *tok, size_t len,
                        const ajwt_verifier_t *v, apr_pool_t *p)
{
    ajwt_claims_t *cl = NULL;
    ajwt_err_t err = { 0 };
    ajwt_status_t st = ajwt_verify(&cl, NULL, tok, len, v, FZ_NOW, p, &err);

    if (getenv("AJWT_FUZZ_DEBUG")) {
        fprintf(stderr, "ajwt_verify: %s: %s\n", ajwt_status_name(st),
                err.text);
    }
    if (st == AJWT_OK) {
        if (!json_object_get(cl ? cl->json : NULL, "sub")) {
            fz_die("AJWT_OK without the required sub");
        }
        check_ok(cl, v);
    }
    else if (cl || st >= AJWT_NSTATUS || err.status != st
             || memchr(err.text, '\0', sizeof(err.text)) == NULL) {
        fz_die("inconsistent error");
    }
}

static char *craft(const char *hdr, apr_size_t hl, const char *pl,
                   apr_size_t pll, int which, apr_pool_t *p)
{
    const ajwt_alg_t *alg = ajwt_alg_find(signer_alg[which]);
    char *input = apr_pstrcat(p,
        ajwt_b64_encode((const unsigned char *)hdr, hl, p), ".",
        ajwt_b64_encode((const unsigned char *)pl, pll, p), NULL);
    unsigned char *sig;
    apr_size_t sl;
    ajwt_err_t err = { 0 };

    if (ajwt_jws_sign_raw(&sig, &sl, alg, signers[which],
                          (const unsigned char *)input, strlen(input), p,
                          &err)) {
        fz_die("signing");
    }
    return apr_pstrcat(p, input, ".", ajwt_b64_encode(sig, sl, p), NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const ajwt_verifier_t *v;
    const char *tok;
    size_t len;
    int mode, which;

    if (size < 1) {
        return 0;
    }
    mode = data[0] & 3;
    which = ((data[0] >> 2) & 7) % 5;
    v = (data[0] & 0x20) ? &ver_any : &ver;
    data++;
    size--;
    p = fz_pool();
    /* A copy of exactly size bytes, so that ASan sees reads past it. */
    tok = apr_pmemdup(p, data, size);
    len = size;

    switch (mode) {
    case 0:
        verify_once(tok, len, v, p);
        break;
    case 1: {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t hl = nl ? (size_t)(nl - data) : size;
        char *t = craft((const char *)data, hl,
                        nl ? (const char *)nl + 1 : "",
                        nl ? size - hl - 1 : 0, which, p);
        verify_once(t, strlen(t), v, p);
        break;
    }
    case 2: {
        ajwt_verifier_t vc = *v;
        ajwt_err_t err = { 0 };
        if (ajwt_cache_create(&vc.cache, 4, p, &err)) {
            fz_die("cache");
        }
        verify_once(tok, len, &vc, p);
        verify_once(tok, len, &vc, p);
        break;
    }
    default: {
        ajwt_verifier_t vs = *v;
        vs.algs = AJWT_ALG_BIT(AJWT_HS256) | AJWT_ALG_BIT(AJWT_ES256);
        vs.max_len = 512;
        verify_once(tok, len, &vs, p);
        break;
    }
    }
    fz_pool_done(p);
    return 0;
}
