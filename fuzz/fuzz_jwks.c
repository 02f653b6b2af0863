/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jwks.c: what an identity provider's server sends back, through
 * the shared JWKS source (ajwt_jwks.c) with a fake fetcher: the JWK Set
 * document, or (first byte odd) an OpenID discovery document followed by
 * the JWK Set its jwks_uri names. Input: "DISCOVERY\0JWKS" (without a
 * '\0', the whole input is both). Bits 1-2 of the first byte are the
 * Cache-Control max-age the fake answer carries (none, 0, 120, huge).
 *
 * Each input attaches to a fresh region (as after a first start), forces
 * a refresh at a fixed clock, and asks for the process's keys. Checked:
 * a failed refresh publishes nothing (no keys); keys appear only after
 * an AJWT_JWKS_UPDATED.
 */
#include "ajwt_jwks.h"
#include "fuzz_common.h"

static const char *doc_disc, *doc_jwks;
static apr_size_t len_disc, len_jwks;
static long answer_max_age;

static ajwt_status_t fake_fetch(ajwt_fetch_result_t *out, const char *url,
                                const ajwt_fetch_opts_t *o, apr_pool_t *p,
                                ajwt_err_t *err)
{
    int disc = strstr(url, "/.well-known/") != NULL;

    (void)o;
    (void)err;
    out->len = disc ? len_disc : len_jwks;
    out->body = apr_pstrmemdup(p, disc ? doc_disc : doc_jwks, out->len);
    out->max_age = answer_max_age;
    return AJWT_OK;
}

/* A small size limit keeps the region (and each input) small. */
static const ajwt_jwks_conf_t conf_jwks = {
    "https://idp.test/jwks", 0, 600, { NULL, 0, 0, 32768 }, fake_fetch
};
static const ajwt_jwks_conf_t conf_disc = {
    "https://idp.test/.well-known/openid-configuration", 1, 600,
    { NULL, 0, 0, 32768 },
    fake_fetch
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long ages[4] = { -1, 0, 120, 2147483647L };
    apr_pool_t *p;
    const ajwt_jwks_conf_t *conf;
    ajwt_jwks_t *src;
    ajwt_jwks_result_t what = AJWT_JWKS_IDLE;
    const ajwt_keyset_t *ks = NULL;
    const char *issuer = NULL;
    ajwt_err_t err = { 0 };
    ajwt_status_t st;
    char *a, *b;
    size_t bl;
    void *region;
    apr_size_t rsize;

    if (size < 1) {
        return 0;
    }
    conf = (data[0] & 1) ? &conf_disc : &conf_jwks;
    answer_max_age = ages[(data[0] >> 1) & 3];
    data++;
    size--;
    p = fz_pool();
    fz_split(data, size, '\0', &a, &b, &bl, p);
    if (memchr(data, '\0', size)) {
        doc_disc = a;
        len_disc = strlen(a);
        doc_jwks = b;
        len_jwks = bl;
    }
    else {
        doc_disc = doc_jwks = b;
        len_disc = len_jwks = bl;
    }
    rsize = ajwt_jwks_region_size(conf);
    region = apr_palloc(p, rsize);
    memset(region, 0, rsize);
    if (ajwt_jwks_attach(&src, conf, region, rsize, p, &err)) {
        fz_die("attach");
    }
    st = ajwt_jwks_refresh(src, FZ_NOW, 0, 1, &what, p, &err);
    if (ajwt_jwks_keys(&ks, &issuer, src, NULL, p, &err) != AJWT_OK) {
        fz_die("ajwt_jwks_keys");
    }
    if ((st != AJWT_OK || what != AJWT_JWKS_UPDATED)
        && (ks || ajwt_jwks_generation(src) != 0)) {
        fz_die("keys published from a refused document");
    }
    if (what == AJWT_JWKS_UPDATED && !ajwt_keyset_count(ks)) {
        fz_die("an update without keys");
    }
    /* A second look at the same generation: the same keyset. */
    if (ks) {
        const ajwt_keyset_t *again = NULL;
        if (ajwt_jwks_keys(&again, NULL, src, NULL, p, &err) || again != ks) {
            fz_die("a second ajwt_jwks_keys gave another keyset");
        }
    }
    fz_pool_done(p);
    return 0;
}
