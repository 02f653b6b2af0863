/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_keys.c: the key loader on hostile documents. The first byte picks
 * the entry point: even, ajwt_keyset_add_jwks() (a JWK or JWK Set, as a
 * JWKS URL or a key file delivers it); odd, ajwt_keyset_add_pem() (PEM
 * public key, certificate or private key), with a kid when bit 1 is set.
 * Bit 2 loads into a keyset that already holds a key with kid "k1", so
 * duplicate-kid refusals and "nothing added on error" are exercised.
 *
 * Checked beyond "no crash, no leak": an error leaves the keyset as it
 * was (never a half-loaded set), and every loaded key may verify some
 * algorithm and only algorithms of its own key type.
 */
#include "ajwt_key.h"
#include "fixtures.h"
#include "fuzz_common.h"

static const ajwt_keyset_t *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ajwt_keyset_t *ks = NULL;

    (void)argc;
    (void)argv;
    fz_init();
    fx_secret(&ks, 32, 'k', "k1", fz_global);
    base = ks;
    return 0;
}

static void check_keys(const ajwt_keyset_t *ks)
{
    int i;
    unsigned all = 0;

    for (i = 0; i < ajwt_keyset_count(ks); i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(ks->keys, i, const ajwt_key_t *);
        if (!k->algs || (k->algs & ~ajwt_alg_mask_kty(k->kty))) {
            fz_die("a key with no algorithm or another type's algorithm");
        }
        if (k->kty == AJWT_KTY_OCT ? (!k->secret || k->secret_len < 32)
                                   : !k->pkey) {
            fz_die("a key without its material");
        }
        all |= k->algs;
    }
    if (ks && all != ks->algs) {
        fz_die("keyset algs are not the union of its keys' algs");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    ajwt_status_t st;
    const char *doc;
    int before;
    unsigned char mode;

    if (size < 1) {
        return 0;
    }
    mode = data[0];
    data++;
    size--;
    p = fz_pool();
    doc = apr_pmemdup(p, data, size);   /* exactly size bytes */
    if (mode & 4) {
        if (ajwt_keyset_add_keys(&ks, base, p, &err)) {
            fz_die("copying the base keyset");
        }
    }
    before = ajwt_keyset_count(ks);
    if (mode & 1) {
        st = ajwt_keyset_add_pem(&ks, doc, size, (mode & 2) ? "kid-x" : NULL,
                                 "fuzz", p, &err);
    }
    else {
        st = ajwt_keyset_add_jwks(&ks, doc, size, "fuzz", p, &err);
    }
    if (st != AJWT_OK) {
        if (ajwt_keyset_count(ks) != before || err.status != st) {
            fz_die("a refused document changed the keyset");
        }
    }
    else if (ajwt_keyset_count(ks) < before) {
        fz_die("keys lost");
    }
    check_keys(ks);
    fz_pool_done(p);
    return 0;
}
