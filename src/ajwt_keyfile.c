/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_keyfile.c: keys from where configuration names them: PEM public
 * and private keys, X.509 certificates (PEM), HMAC secrets (file:PATH,
 * env:NAME, or bytes), and key files of any of these or a JWK (Set);
 * also the source of a signing key (AuthJWTSignKey).
 *
 * It reads and decodes; what a key may do is decided by ajwt_key.c.
 */
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "ajwt_key.h"
#include "ajwt_key_int.h"

#define MAX_KEY_FILE    (1024 * 1024)   /* a JWKS of many 8k RSA keys fits */
#define MAX_SECRET_FILE (64 * 1024)

/* ------------------------------------------------------------- secrets */

ajwt_status_t ajwt_keyset_add_secret_bytes(ajwt_keyset_t **ks,
                                           const unsigned char *secret,
                                           apr_size_t len, const char *kid,
                                           const char *source,
                                           apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_key_t *k;
    unsigned char *copy;
    const char *desc;
    ajwt_status_t st;

    source = source ? apr_pstrdup(p, source) : "secret";
    kid = kid ? apr_pstrdup(p, kid) : NULL;
    k = ajwt_key_int_new(p, kid, source);
    desc = kid ? apr_psprintf(p, "%s (kid \"%s\")", source, kid) : source;
    if (!secret) {
        len = 0;
    }
    copy = apr_palloc(p, len + 1);
    if (len) {
        memcpy(copy, secret, len);
    }
    copy[len] = '\0';
    if ((st = ajwt_key_int_finish_secret(k, copy, len, 0, desc, err))) {
        return st;
    }
    return ajwt_key_int_commit_one(ks, k, p, err);
}

static ajwt_status_t read_file(char **out, apr_size_t *len, const char *path,
                               apr_size_t max, apr_pool_t *p,
                               ajwt_err_t *err)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n;
    char *buf;

    /* the type first: opening a FIFO would block start-up for ever */
    rv = apr_stat(&fi, path, APR_FINFO_TYPE, p);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s is not a regular file",
                            path);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "cannot open %s",
                               path);
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS || fi.filetype != APR_REG) {
        apr_file_close(f);
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "%s is not a regular "
                               "file", path);
    }
    if (fi.size > (apr_off_t)max) {
        apr_file_close(f);
        return ajwt_err_set(err, AJWT_ECONFIG, "%s is too large for a key "
                            "(%" APR_OFF_T_FMT " bytes)", path, fi.size);
    }
    buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    ajwt_key_int_wipe_later(buf, (apr_size_t)fi.size + 1, p);
    rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(APR_STATUS_IS_EOF(rv) && n == 0
                               && fi.size == 0)) {
        return ajwt_err_set_rv(err, AJWT_ECONFIG, rv, "cannot read %s", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return AJWT_OK;
}

ajwt_status_t ajwt_secret_read(const char **out, apr_size_t *len,
                               const char *src, apr_pool_t *p,
                               ajwt_err_t *err)
{
    char *buf;
    ajwt_status_t st;

    *out = NULL;
    *len = 0;
    if (!src) {
        src = "";
    }
    if (!strncmp(src, "file:", 5)) {
        if ((st = read_file(&buf, len, src + 5, MAX_SECRET_FILE, p, err))) {
            return st;
        }
        /* one line ending, as "echo secret > file" leaves */
        if (*len && buf[*len - 1] == '\n') {
            (*len)--;
            if (*len && buf[*len - 1] == '\r') {
                (*len)--;
            }
        }
        buf[*len] = '\0';
        *out = buf;
        return AJWT_OK;
    }
    if (!strncmp(src, "env:", 4)) {
        const char *v = getenv(src + 4);
        if (!src[4] || !v) {
            return ajwt_err_set(err, AJWT_ECONFIG, "environment variable "
                                "%s is not set", src + 4);
        }
        *out = v;
        *len = strlen(v);
        return AJWT_OK;
    }
    return ajwt_err_set(err, AJWT_ECONFIG, "inline secrets are refused (they "
                        "end up in configuration dumps and process lists): "
                        "use file:PATH or env:NAME");
}

ajwt_status_t ajwt_keyset_add_secret(ajwt_keyset_t **ks, const char *src,
                                     const char *kid, apr_pool_t *p,
                                     ajwt_err_t *err)
{
    const char *buf;
    apr_size_t len;
    ajwt_status_t st;

    if ((st = ajwt_secret_read(&buf, &len, src, p, err))) {
        return st;
    }
    return ajwt_keyset_add_secret_bytes(ks, (const unsigned char *)buf, len,
                                        kid, strncmp(src, "file:", 5)
                                        ? src : src + 5, p, err);
}

/* ----------------------------------------------------------------- PEM */

/* memmem() is not C99 */
static const char *find(const char *hay, apr_size_t len, const char *needle)
{
    apr_size_t n = strlen(needle), i;

    for (i = 0; n <= len && i <= len - n; i++) {
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, n)) {
            return hay + i;
        }
    }
    return NULL;
}

/* Count PEM blocks; EC PARAMETERS next to an EC key does not count. */
static int pem_blocks(const char *pem, apr_size_t len, const char **first)
{
    const char *s = pem, *end = pem + len;
    int n = 0;

    *first = NULL;
    while (s < end) {
        const char *b = find(s, end - s, "-----BEGIN ");
        if (!b) {
            break;
        }
        s = b + 11;
        if ((apr_size_t)(end - s) >= 18 && !memcmp(s, "EC PARAMETERS-----",
                                                    18)) {
            continue;
        }
        if (!*first) {
            *first = s;
        }
        n++;
    }
    return n;
}

static ajwt_status_t pem_to_key(ajwt_key_t **out, const char *pem,
                                apr_size_t len, const char *kid,
                                const char *source, apr_pool_t *p,
                                ajwt_err_t *err)
{
    const char *first, *desc;
    EVP_PKEY *pkey = NULL;
    ajwt_key_t *k;
    BIO *bio;
    int n = pem_blocks(pem, len, &first);

    desc = kid ? apr_psprintf(p, "%s (kid \"%s\")", source, kid) : source;
    if (n == 0) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: no PEM block", desc);
    }
    if (n > 1) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: more than one PEM block "
                            "(give one key or certificate per file)", desc);
    }
    /* from the key's own block: an EC PARAMETERS block before it would
     * otherwise be decoded as a key without a point */
    bio = BIO_new_mem_buf(first - 11, (int)(len - (first - 11 - pem)));
    if (!bio) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "%s: out of memory", desc);
    }
    if (!strncmp(first, "CERTIFICATE-----", 16)) {
        /* validity dates are not checked: keys are trusted by config */
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x) {
            pkey = X509_get_pubkey(x);
            X509_free(x);
        }
    }
    else {
        OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(
            &pkey, "PEM", NULL, NULL, 0, NULL, NULL);
        /* an empty passphrase: an encrypted key fails, never prompts */
        if (d) {
            OSSL_DECODER_CTX_set_passphrase(d, (const unsigned char *)"", 0);
            if (!OSSL_DECODER_from_bio(d, bio)) {
                EVP_PKEY_free(pkey);
                pkey = NULL;
            }
        }
        OSSL_DECODER_CTX_free(d);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!pkey) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: unreadable PEM (a public "
                            "key, certificate or unencrypted private key "
                            "is expected)", desc);
    }
    k = ajwt_key_int_new(p, kid, source);
    *out = k;
    return ajwt_key_int_finish_pkey(k, pkey, 0, desc, p, err);
}

ajwt_status_t ajwt_keyset_add_pem(ajwt_keyset_t **ks, const char *pem,
                                  apr_size_t len, const char *kid,
                                  const char *source, apr_pool_t *p,
                                  ajwt_err_t *err)
{
    ajwt_key_t *k = NULL;
    ajwt_status_t st;

    source = source ? apr_pstrdup(p, source) : "PEM";
    kid = kid ? apr_pstrdup(p, kid) : NULL;
    if ((st = pem_to_key(&k, pem, len, kid, source, p, err))) {
        return st;
    }
    return ajwt_key_int_commit_one(ks, k, p, err);
}

/* ---------------------------------------------------------------- files */

ajwt_status_t ajwt_keyset_add_file(ajwt_keyset_t **ks, const char *path,
                                   const char *kid, apr_pool_t *p,
                                   ajwt_err_t *err)
{
    char *buf;
    apr_size_t len, i = 0;
    ajwt_status_t st;

    if (!path || !*path) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no key file given");
    }
    path = apr_pstrdup(p, path);
    kid = kid ? apr_pstrdup(p, kid) : NULL;
    if ((st = read_file(&buf, &len, path, MAX_KEY_FILE, p, err))) {
        return st;
    }
    while (i < len && strchr(" \t\r\n", buf[i])) {
        i++;
    }
    if (i < len && buf[i] == '{') {
        return ajwt_jwk_int_add_doc(ks, buf, len, kid, path, p, err);
    }
    if (find(buf, len, "-----BEGIN ")) {
        ajwt_key_t *k = NULL;
        if ((st = pem_to_key(&k, buf, len, kid, path, p, err))) {
            return st;
        }
        return ajwt_key_int_commit_one(ks, k, p, err);
    }
    return ajwt_err_set(err, AJWT_ECONFIG, "%s: neither PEM nor JWK", path);
}

/* ------------------------------------------------------------ signing */

static ajwt_status_t load_one(ajwt_key_t **out, const char *src,
                              const char *alg, const char *kid,
                              int need_private, apr_pool_t *p,
                              ajwt_err_t *err)
{
    const ajwt_alg_t *a;
    ajwt_keyset_t *ks = NULL;
    ajwt_key_t *k;
    ajwt_status_t st;
    int secret;

    *out = NULL;
    if (!src || !*src) {
        return ajwt_err_set(err, AJWT_ECONFIG, "no signing key given");
    }
    if (!alg || !(a = ajwt_alg_find(alg))) {
        unsigned dummy = 0;
        ajwt_err_t e2 = { 0 };
        ajwt_alg_mask_add(&dummy, alg ? alg : "", &e2);
        return ajwt_err_set(err, AJWT_ECONFIG, "signing algorithm: %s",
                            e2.text[0] ? e2.text : "none given");
    }
    secret = !strncmp(src, "file:", 5) || !strncmp(src, "env:", 4);
    if (secret) {
        if (a->kty != AJWT_KTY_OCT) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: an HMAC secret "
                                "cannot sign %s (use a PEM private key)",
                                src, a->name);
        }
        st = ajwt_keyset_add_secret(&ks, src, kid, p, err);
    }
    else {
        if (a->kty == AJWT_KTY_OCT) {
            return ajwt_err_set(err, AJWT_ECONFIG, "%s: %s needs an HMAC "
                                "secret (file:PATH or env:NAME), not a key "
                                "file", src, a->name);
        }
        st = ajwt_keyset_add_file(&ks, src, kid, p, err);
    }
    if (st) {
        return st;
    }
    k = APR_ARRAY_IDX(ks->keys, 0, ajwt_key_t *);
    if (need_private && !secret && !k->has_private) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s: not a private key (a "
                            "signing key needs one)", src);
    }
    if ((st = ajwt_key_int_narrow(k, a, src, p, err))) {
        return st;
    }
    *out = k;
    return AJWT_OK;
}

ajwt_status_t ajwt_key_load_signing(ajwt_key_t **out, const char *src,
                                    const char *alg, const char *kid,
                                    apr_pool_t *p, ajwt_err_t *err)
{
    return load_one(out, src, alg, kid, 1, p, err);
}

ajwt_status_t ajwt_key_load_retired(ajwt_key_t **out, const char *src,
                                    const char *alg, const char *kid,
                                    apr_pool_t *p, ajwt_err_t *err)
{
    ajwt_key_t *k;
    ajwt_status_t st;

    *out = NULL;
    if (!kid || !*kid) {
        return ajwt_err_set(err, AJWT_ECONFIG, "a retired signing key "
                            "needs a kid (the one its tokens carry)");
    }
    if ((st = load_one(&k, src, alg, kid, 0, p, err))) {
        return st;
    }
    if (k->has_private) {
        /* it never signs again: keep only what verifies */
        return ajwt_key_public(out, k, p, err);
    }
    *out = k;
    return AJWT_OK;
}
