/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_dpop.c: DPoP proofs, ajwt_dpop_check() (RFC 9449 4.3), against a
 * fixed request (GET https://api.example.com/resource, an access token)
 * and the fixed clock FZ_NOW, the one of t/unit/dpop_vectors.h, so that
 * the seeds made from those vectors (fuzz/make_seeds) are good proofs.
 *
 * The first byte of the input picks what the rest is:
 *   mode 0: a raw proof, checked as it is (bit 2: nonces on, with the
 *           vectors' secret; bit 3: at a token endpoint, no access token);
 *   mode 1: "HEADER\nPAYLOAD" JSON texts, byte for byte, signed here with
 *           the key picked by bits 2-3 (ES256, EdDSA, PS256) after every
 *           "jwk":"@" of the header is replaced by that key's public JWK,
 *           so that mutations get past the signature and reach the jwk,
 *           jti, htm, htu, iat, ath and nonce checks;
 *   mode 2: ajwt_dpop_htu_normalize(), which must be idempotent;
 *   mode 3: a JSON object to ajwt_jwk_thumbprint(), and the text as a
 *           nonce to ajwt_dpop_nonce_ok().
 * On AJWT_OK the filled proof must hold what ajwt_dpop.h promises.
 */
#include <jansson.h>
#include "ajwt_dpop.h"
#include "ajwt_b64.h"
#include "ajwt_jws.h"
#include "fixtures.h"
#include "fuzz_common.h"
#include "dpop_vectors.h"

#define HTU "https://api.example.com/resource"

static const ajwt_key_t *signers[3];
static const char *jwks[3];
static const char *const signer_alg[3] = { "ES256", "EdDSA", "PS256" };
static ajwt_dpop_conf_t conf, conf_nonce;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const types[3] = { "P-256", "Ed25519", "RSA" };
    ajwt_keyset_t *ks = NULL;
    int i;

    (void)argc;
    (void)argv;
    fz_init();
    for (i = 0; i < 3; i++) {
        signers[i] = fx_key(&ks, types[i], NULL, fz_global);
        jwks[i] = apr_pstrcat(fz_global, "\"jwk\":",
                              fx_jwk(signers[i]->pkey, NULL, NULL, 0, NULL,
                                     fz_global), NULL);
    }
    conf.algs = AJWT_DPOP_DEFAULT_ALGS | AJWT_ALG_BIT(AJWT_ES384)
                | AJWT_ALG_BIT(AJWT_RS256);
    conf.window = DPOP_V_WINDOW;
    conf.leeway = DPOP_V_LEEWAY;
    conf_nonce = conf;
    conf_nonce.nonce_secret = (const unsigned char *)DPOP_V_NONCE_SECRET;
    conf_nonce.nonce_secret_len = strlen(DPOP_V_NONCE_SECRET);
    return 0;
}

static void check(const char *proof, int nonces, int token_endpoint,
                  apr_pool_t *p)
{
    ajwt_dpop_proof_t out;
    ajwt_err_t err = { 0 };
    ajwt_status_t st;

    st = ajwt_dpop_check(&out, proof, nonces ? &conf_nonce : &conf,
                         token_endpoint ? "POST" : "GET", HTU,
                         token_endpoint ? NULL : DPOP_V_TOKEN, FZ_NOW_SEC,
                         p, &err);
    if (getenv("AJWT_FUZZ_DEBUG")) {
        fprintf(stderr, "ajwt_dpop_check: %s: %s\n", ajwt_status_name(st),
                err.text);
    }
    if (st == AJWT_OK) {
        if (strlen(out.jkt) != AJWT_JKT_LEN || !out.jti || !*out.jti
            || strlen(out.jti) > AJWT_DPOP_JTI_MAX
            || strncmp(out.replay_key, AJWT_DPOP_REPLAY_PREFIX, 7)
            || strlen(out.replay_key) != 7 + 43
            || out.replay_expires <= FZ_NOW_SEC
            || out.iat < FZ_NOW_SEC - conf.window - conf.leeway - 1
            || out.iat > FZ_NOW_SEC + conf.window + conf.leeway) {
            fz_die("AJWT_OK with a proof that breaks the promises");
        }
        if (strlen(proof) > AJWT_DPOP_PROOF_MAX) {
            fz_die("AJWT_OK for an oversized proof");
        }
    }
    else if ((st != AJWT_EDPOP && st != AJWT_ENONCE) || err.status != st
             || !err.text[0]
             || memchr(err.text, '\0', sizeof(err.text)) == NULL) {
        fz_die("inconsistent error");
    }
}

/* every "jwk":"@" of header replaced by the signer's public JWK */
static const char *put_jwk(const char *header, const char *jwk,
                           apr_pool_t *p)
{
    static const char mark[] = "\"jwk\":\"@\"";
    const char *s = header, *m;
    char *out = "";

    while ((m = strstr(s, mark))) {
        out = apr_pstrcat(p, out, apr_pstrmemdup(p, s, m - s), jwk, NULL);
        s = m + sizeof(mark) - 1;
    }
    return apr_pstrcat(p, out, s, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *a, *b;
    size_t bl;
    int mode, k;

    if (size < 1) {
        return 0;
    }
    mode = data[0] & 3;
    k = (data[0] >> 2) & 3;
    p = fz_pool();
    switch (mode) {
    case 0: {
        const char *proof = apr_pstrmemdup(p, (const char *)data + 1,
                                           size - 1);
        check(proof, k & 1, k & 2, p);
        break;
    }
    case 1: {
        const char *hdr;
        if (k == 3) {
            k = 0;
        }
        fz_split(data + 1, size - 1, '\n', &a, &b, &bl, p);
        if (strlen(a) > 4096 || strlen(b) > 4096) {
            break;
        }
        hdr = put_jwk(a, jwks[k], p);
        check(fx_craft(p, signer_alg[k], signers[k], hdr, b), data[0] & 0x10,
              data[0] & 0x20, p);
        break;
    }
    case 2: {
        const char *u = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
        const char *n = ajwt_dpop_htu_normalize(u, p);
        if (n) {
            const char *n2 = ajwt_dpop_htu_normalize(n, p);
            if (!n2 || strcmp(n, n2)) {
                fz_die("htu normalisation is not idempotent");
            }
        }
        break;
    }
    default: {
        const char *s = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
        json_t *j = json_loadb((const char *)data + 1, size - 1,
                               JSON_REJECT_DUPLICATES, NULL);
        char jkt[AJWT_JKT_LEN + 1];
        if (j) {
            if (ajwt_jwk_thumbprint(jkt, j, NULL) == AJWT_OK
                && strlen(jkt) != AJWT_JKT_LEN) {
                fz_die("thumbprint of the wrong length");
            }
            json_decref(j);
        }
        if (ajwt_dpop_nonce_ok(&conf_nonce, s, FZ_NOW_SEC)
            && strlen(s) != 54) {
            fz_die("a nonce of the wrong length accepted");
        }
        break;
    }
    }
    fz_pool_done(p);
    return 0;
}
