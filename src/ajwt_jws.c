/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_jws.c: compact JWS (RFC 7515): parse, check the header, verify or
 * sign. Keys come only from the configured keyset, never from the token.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include "ajwt_b64.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"

#define MAX_MD 64               /* SHA-512, the longest HMAC tag */
#define MAX_EC 66               /* P-521 R or S */

/* A token's text made safe for one log line: printable ASCII, cut. */
static const char *clean(char *dst, apr_size_t n, const char *src)
{
    apr_size_t i;

    for (i = 0; src && src[i] && i + 4 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    if (src && src[i]) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
    return dst;
}

/* --------------------------------------------------------- header cache */

/*
 * An issuer puts the same header on every token it mints, so decoding
 * and parsing it is the same work over the same bytes each time. This is
 * a memo of that work: header segment text (exact bytes) -> the Jansson
 * object its parse gave. It skips nothing else: alg, crit, kid and typ
 * rules still run on that object for every token.
 *
 * Slots are filled once and never changed, and only with the header of
 * a token whose signature has just verified with a configured key: a
 * client cannot fill them with its own headers, and without replacement
 * readers need no lock (a slot is published by a release store of its
 * state and read after an acquire load). When all slots are taken (64
 * distinct headers verified in this process: issuers times their key
 * ids) the other headers are parsed every time, as without the cache. The
 * objects live as long as the process and are never written to: the
 * parse pool of a token that uses one does not own it.
 */
#define HDR_SLOTS 64           /* a power of two */
#define HDR_MAX   256           /* longest header segment kept (chars) */

enum { SLOT_FREE, SLOT_WRITING, SLOT_READY };

typedef struct {
    int state;                  /* SLOT_*, atomic */
    apr_size_t len;
    char seg[HDR_MAX];
    json_t *header;             /* the cache's reference, never dropped */
    const char *alg_name, *kid, *typ;
    const ajwt_alg_t *alg;
} hdr_slot_t;

static hdr_slot_t hdr_slots[HDR_SLOTS];

/* Where the probe for a segment starts: 8 bytes at a time, it is short. */
static unsigned hdr_hash(const char *seg, apr_size_t len)
{
    apr_uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
    apr_size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, seg + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    w = 0;
    memcpy(&w, seg + i, len - i);
    h = (h ^ w) * 0x100000001b3ULL;
    return (unsigned)(h ^ h >> 29);
}

/*
 * Open addressing, linear probe: a slot once taken is never freed, so a
 * free slot ends every probe sequence that could hold the segment.
 */
static const hdr_slot_t *hdr_find(const char *seg, apr_size_t len,
                                  unsigned h)
{
    int i;

    for (i = 0; i < HDR_SLOTS; i++) {
        const hdr_slot_t *s = &hdr_slots[(h + i) & (HDR_SLOTS - 1)];
        int state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
        if (state == SLOT_FREE) {
            return NULL;
        }
        if (state == SLOT_READY && s->len == len
            && !memcmp(s->seg, seg, len)) {
            return s;
        }
    }
    return NULL;
}

/* Keep the header of a token that has just verified (see above). */
static void hdr_keep(const ajwt_jws_t *jws)
{
    apr_size_t len = jws->header_seg_len;
    unsigned h;
    int i;

    if (jws->header_cached || !len || len > HDR_MAX) {
        return;
    }
    h = hdr_hash(jws->signing_input, len);
    if (hdr_find(jws->signing_input, len, h)) {
        return;
    }
    for (i = 0; i < HDR_SLOTS; i++) {
        hdr_slot_t *s = &hdr_slots[(h + i) & (HDR_SLOTS - 1)];
        int expect = SLOT_FREE;
        if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != SLOT_FREE
            || !__atomic_compare_exchange_n(&s->state, &expect,
                                            SLOT_WRITING, 0,
                                            __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
            continue;
        }
        /* two threads may keep the same header in two slots: harmless */
        memcpy(s->seg, jws->signing_input, len);
        s->len = len;
        s->header = json_incref(jws->header);
        s->alg_name = jws->alg_name;
        s->alg = jws->alg;
        s->kid = jws->kid;
        s->typ = jws->typ;
        __atomic_store_n(&s->state, SLOT_READY, __ATOMIC_RELEASE);
        return;
    }
}

/* ---------------------------------------------------------------- parse */

ajwt_status_t ajwt_jws_parse(ajwt_jws_t **out, const char *token,
                             apr_size_t len, apr_size_t max_len,
                             int json_payload, apr_pool_t *p,
                             ajwt_err_t *err)
{
    const char *d1, *d2, *end;
    unsigned char *buf, *pl, *sig;
    apr_size_t hl, pll, sl, hmax, pmax;
    const hdr_slot_t *hit;
    const json_t *v;
    ajwt_jws_t *j;
    ajwt_status_t st;

    *out = NULL;
    if (!max_len) {
        max_len = AJWT_DEFAULT_MAX_TOKEN;
    }
    if (len > max_len) {
        return ajwt_err_set(err, AJWT_EOVERSIZE, "token of %" APR_SIZE_T_FMT
                            " bytes is over the limit of %" APR_SIZE_T_FMT,
                            len, max_len);
    }
    if (!token || !len) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "empty token");
    }
    end = token + len;
    d1 = memchr(token, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', end - d1 - 1) : NULL;
    if (!d2 || memchr(d2 + 1, '.', end - d2 - 1)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "not three segments "
                            "(compact serialization only)");
    }
    hl = d1 - token;
    hit = hl <= HDR_MAX ? hdr_find(token, hl, hdr_hash(token, hl)) : NULL;
    /*
     * One allocation for the signing input (a copy: the caller's token
     * buffer may be gone before we are) and every decoded segment.
     */
    hmax = hit ? 0 : ajwt_b64_decoded_max(hl) + 1;
    pmax = ajwt_b64_decoded_max(d2 - d1 - 1) + 1;
    j = apr_palloc(p, sizeof(*j) + (d2 - token) + 1 + hmax + pmax
                      + ajwt_b64_decoded_max(end - d2 - 1) + 1);
    memset(j, 0, sizeof(*j));
    buf = (unsigned char *)(j + 1);
    memcpy(buf, token, d2 - token);
    buf[d2 - token] = '\0';
    j->signing_input = (const char *)buf;
    j->signing_input_len = d2 - token;
    j->header_seg_len = hl;
    buf += (d2 - token) + 1;
    pl = buf + hmax;
    sig = pl + pmax;
    if (!hit && ajwt_b64_decode_to(buf, &hl, token, hl, NULL)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "header is not strict "
                            "base64url");
    }
    if (ajwt_b64_decode_to(pl, &pll, d1 + 1, d2 - d1 - 1, NULL)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "payload is not strict "
                            "base64url");
    }
    if (ajwt_b64_decode_to(sig, &sl, d2 + 1, end - d2 - 1, NULL)) {
        return ajwt_err_set(err, AJWT_EMALFORMED, "signature is not strict "
                            "base64url");
    }
    if (hit) {
        /* the same bytes parsed before: the same object, read only */
        j->header = hit->header;
        j->header_cached = 1;
    }
    else if ((st = ajwt_json_parse_object(&j->header, (const char *)buf, hl,
                                          "header", p, err))) {
        return st;
    }
    if (json_payload
        && (st = ajwt_json_parse_object(&j->payload, (const char *)pl, pll,
                                        "payload", p, err))) {
        return st;
    }
    j->payload_raw = pl;
    j->payload_len = pll;
    j->sig = sig;
    j->sig_len = sl;
    if (hit) {
        j->alg_name = hit->alg_name;
        j->alg = hit->alg;
        j->kid = hit->kid;
        j->typ = hit->typ;
        *out = j;
        return AJWT_OK;
    }
    v = json_object_get(j->header, "alg");
    if (!json_is_string(v)) {
        return ajwt_err_set(err, AJWT_EALG, v ? "\"alg\" is not a string"
                                              : "no \"alg\" in the header");
    }
    j->alg_name = json_string_value(v);
    j->alg = ajwt_alg_find(j->alg_name);
    v = json_object_get(j->header, "kid");
    j->kid = json_string_value(v);      /* NULL also for a non-string */
    v = json_object_get(j->header, "typ");
    j->typ = v ? (json_is_string(v) ? json_string_value(v) : "") : NULL;
    *out = j;
    return AJWT_OK;
}

/* ------------------------------------------------------ the primitives */

/* Big-endian group orders, for the 0 < R, S < n check of RFC 7518 3.4. */
static unsigned char ec_order[3][MAX_EC];
static pthread_once_t ec_once = PTHREAD_ONCE_INIT;

static void ec_orders(void)
{
    int i;

    for (i = 0; i < 3; i++) {
        const ajwt_alg_t *alg = ajwt_alg_get(AJWT_ES256 + i);
        EC_GROUP *g = EC_GROUP_new_by_curve_name(alg->curve_nid);
        if (!g || BN_bn2binpad(EC_GROUP_get0_order(g), ec_order[i],
                               alg->ec_size) != alg->ec_size) {
            /* all 0xff: every R and S in range passes, OpenSSL still
             * refuses out-of-range values itself */
            memset(ec_order[i], 0xff, sizeof(ec_order[i]));
        }
        EC_GROUP_free(g);
    }
    ERR_clear_error();
}

static int ec_in_range(const unsigned char *x, int size, int curve)
{
    static const unsigned char zero[MAX_EC];
    return memcmp(x, zero, size) != 0 && memcmp(x, ec_order[curve], size) < 0;
}

/* DER to R || S of size each into out (2 * size bytes). */
static int ec_from_der(unsigned char *out, const unsigned char *der,
                       apr_size_t der_len, int size)
{
    const unsigned char *q = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)der_len);
    const BIGNUM *r, *s;
    int ok;

    if (!es) {
        return 0;
    }
    ECDSA_SIG_get0(es, &r, &s);
    ok = BN_bn2binpad(r, out, size) == size
         && BN_bn2binpad(s, out + size, size) == size;
    ECDSA_SIG_free(es);
    return ok;
}

/* HMAC of msg into tag (alg->hash_len bytes). */
static int hmac(unsigned char *tag, const ajwt_alg_t *alg,
                const ajwt_key_t *key, const unsigned char *msg,
                apr_size_t msg_len)
{
    OSSL_PARAM params[2];
    EVP_MAC_CTX *m;
    size_t n = 0;
    int ok;

    if (key->vctx[alg->id]) {
        /* the prepared pads: two digest contexts copied, no MAC object */
        const ajwt_hmac_pads_t *h = key->vctx[alg->id];
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        unsigned int il = 0, ol = 0;
        ok = c && EVP_MD_CTX_copy_ex(c, h->in)
             && EVP_DigestUpdate(c, msg, msg_len)
             && EVP_DigestFinal_ex(c, tag, &il)
             && EVP_MD_CTX_copy_ex(c, h->out)
             && EVP_DigestUpdate(c, tag, il)
             && EVP_DigestFinal_ex(c, tag, &ol)
             && ol == (unsigned int)alg->hash_len;
        EVP_MD_CTX_free(c);
        return ok;
    }
    /* a key built by hand: the whole MAC set up for this call */
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)alg->digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    m = EVP_MAC_CTX_new(ajwt_alg_hmac());
    ok = m && EVP_MAC_init(m, key->secret, key->secret_len, params)
         && EVP_MAC_update(m, msg, msg_len)
         && EVP_MAC_final(m, tag, &n, MAX_MD) && n == (size_t)alg->hash_len;
    EVP_MAC_CTX_free(m);
    return ok;
}

/* A verify context for alg and key: the prepared one copied, or new. */
static EVP_MD_CTX *sig_ctx(const ajwt_alg_t *alg, const ajwt_key_t *key)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    if (!c) {
        return NULL;
    }
    if (key->vctx[alg->id] ? !EVP_MD_CTX_copy_ex(c, key->vctx[alg->id])
                           : !ajwt_key_sig_init(c, alg, key->pkey, 0)) {
        EVP_MD_CTX_free(c);
        return NULL;
    }
    /* ours alone: no need for OpenSSL to duplicate it again at Final */
    EVP_MD_CTX_set_flags(c, EVP_MD_CTX_FLAG_FINALISE);
    return c;
}

ajwt_status_t ajwt_jws_verify_sig(const ajwt_alg_t *alg,
                                  const ajwt_key_t *key,
                                  const unsigned char *msg,
                                  apr_size_t msg_len,
                                  const unsigned char *sig,
                                  apr_size_t sig_len, ajwt_err_t *err)
{
    const unsigned char *s = sig;
    apr_size_t sl = sig_len;
    unsigned char der[2 * MAX_EC + 16];
    EVP_MD_CTX *c;
    int rc;

    if (!alg || !key || key->kty != alg->kty
        || !(key->algs & AJWT_ALG_BIT(alg->id))) {
        return ajwt_err_set(err, AJWT_EKEY, "key %s may not be used with %s",
                            key && key->kid ? key->kid : "(no kid)",
                            alg ? alg->name : "?");
    }
    switch (alg->kty) {
    case AJWT_KTY_OCT: {
        unsigned char tag[MAX_MD];
        /* the full tag only: a truncated HMAC is no JWS signature */
        if (sig_len != (apr_size_t)alg->hash_len) {
            return ajwt_err_set(err, AJWT_ESIG, "%s signature of wrong length",
                                alg->name);
        }
        if (!hmac(tag, alg, key, msg, msg_len)) {
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_EINTERNAL, "%s: HMAC failed",
                                alg->name);
        }
        rc = CRYPTO_memcmp(tag, sig, sig_len);
        OPENSSL_cleanse(tag, sizeof(tag));
        return rc ? ajwt_err_set(err, AJWT_ESIG, "%s signature does not "
                                 "verify (kid %s)", alg->name,
                                 key->kid ? key->kid : "none")
                  : AJWT_OK;
    }
    case AJWT_KTY_RSA:
        if (sig_len != (apr_size_t)EVP_PKEY_get_size(key->pkey)) {
            return ajwt_err_set(err, AJWT_ESIG, "%s signature is not the "
                                "modulus length", alg->name);
        }
        break;
    case AJWT_KTY_EC: {
        int size = alg->ec_size, curve = alg->id - AJWT_ES256;
        unsigned char *d = NULL, *q = der;
        ECDSA_SIG *es;
        BIGNUM *r, *ss;
        int n;
        if (sig_len != 2 * (apr_size_t)size) {
            return ajwt_err_set(err, AJWT_ESIG, "%s signature is not R||S of "
                                "%d bytes each", alg->name, size);
        }
        pthread_once(&ec_once, ec_orders);
        if (!ec_in_range(sig, size, curve)
            || !ec_in_range(sig + size, size, curve)) {
            return ajwt_err_set(err, AJWT_ESIG, "%s signature R or S out of "
                                "range", alg->name);
        }
        /* DER in a stack buffer: no allocation per token */
        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, size, NULL);
        ss = BN_bin2bn(sig + size, size, NULL);
        if (!es || !r || !ss || !ECDSA_SIG_set0(es, r, ss)) {
            BN_free(r);
            BN_free(ss);
            ECDSA_SIG_free(es);
            return ajwt_err_set(err, AJWT_EINTERNAL, "out of memory");
        }
        n = i2d_ECDSA_SIG(es, NULL);
        if (n > 0 && n <= (int)sizeof(der)) {
            n = i2d_ECDSA_SIG(es, &q);
            d = der;
        }
        ECDSA_SIG_free(es);
        if (!d || n <= 0) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "DER encoding failed");
        }
        s = d;
        sl = n;
        break;
    }
    case AJWT_KTY_OKP:
        if (sig_len != 64) {
            return ajwt_err_set(err, AJWT_ESIG, "%s signature is not 64 "
                                "bytes", alg->name);
        }
        break;
    }
    c = sig_ctx(alg, key);
    if (!c) {
        ERR_clear_error();
        return ajwt_err_set(err, AJWT_EINTERNAL, "%s: cannot set up "
                            "verification", alg->name);
    }
    rc = EVP_DigestVerify(c, s, sl, msg, msg_len);
    EVP_MD_CTX_free(c);
    if (rc != 1) {
        ERR_clear_error();
        return ajwt_err_set(err, AJWT_ESIG, "%s signature does not verify "
                            "(kid %s)", alg->name,
                            key->kid ? key->kid : "none");
    }
    return AJWT_OK;
}

/* --------------------------------------------------------------- verify */

ajwt_status_t ajwt_jws_verify(const ajwt_key_t **used, const ajwt_jws_t *jws,
                              const ajwt_keyset_t *ks, unsigned allowed,
                              ajwt_err_t *err)
{
    const ajwt_alg_t *alg = jws->alg;
    const json_t *kidv;
    const char *kid = NULL;
    char b1[48], b2[80];
    ajwt_err_t first = { 0 };
    int i, pass, tried = 0, tried_kidless = 0;

    if (used) {
        *used = NULL;
    }
    if (!alg) {
        return ajwt_err_set(err, AJWT_EALG, "algorithm \"%s\" is not "
                            "supported", clean(b1, sizeof(b1),
                                               jws->alg_name));
    }
    if (!(allowed & AJWT_ALG_BIT(alg->id))) {
        return ajwt_err_set(err, AJWT_EALG, "algorithm %s is not allowed",
                            alg->name);
    }
    /* no extension is understood, so any "crit" at all is refused */
    if (json_object_get(jws->header, "crit")) {
        return ajwt_err_set(err, AJWT_EHEADER, "\"crit\" header refused");
    }
    kidv = json_object_get(jws->header, "kid");
    if (kidv) {
        if (!json_is_string(kidv)) {
            return ajwt_err_set(err, AJWT_EHEADER, "\"kid\" is not a string");
        }
        kid = json_string_value(kidv);
    }
    if (!ks || !ks->keys || !(ks->algs & AJWT_ALG_BIT(alg->id))) {
        /* e.g. RS256 against HMAC secrets: alg confusion stops here */
        return ajwt_err_set(err, AJWT_EKEY, "no configured key is for %s",
                            alg->name);
    }
    /*
     * A kid is a hint (RFC 7515 section 4.1.4): a key configured without
     * one may have signed any token, kid or not, so it is tried too. A
     * key with a kid is tried only for a token with that kid or none.
     * Keys with the token's kid come first (pass 0), then keys without a
     * kid (pass 1); a token without kid tries every key in order (pass 0).
     */
    for (pass = 0; pass < (kid ? 2 : 1); pass++) {
        for (i = 0; i < ks->keys->nelts; i++) {
            const ajwt_key_t *k = APR_ARRAY_IDX(ks->keys, i,
                                                const ajwt_key_t *);
            ajwt_status_t st;
            if (kid && (pass == 0 ? !k->kid || strcmp(k->kid, kid)
                                  : k->kid != NULL)) {
                continue;
            }
            if (!(k->algs & AJWT_ALG_BIT(alg->id))) {
                continue;
            }
            if (pass == 0) {
                tried++;
            }
            else {
                tried_kidless++;
            }
            st = ajwt_jws_verify_sig(alg, k, (const unsigned char *)
                                     jws->signing_input,
                                     jws->signing_input_len, jws->sig,
                                     jws->sig_len, &first);
            if (st == AJWT_OK) {
                if (used) {
                    *used = k;
                }
                hdr_keep(jws);
                return AJWT_OK;
            }
            if (st == AJWT_EINTERNAL) {
                return ajwt_err_set(err, st, "%s", first.text);
            }
        }
    }
    /*
     * No key has the token's kid: that stays AJWT_EKEY even when keys
     * without a kid were tried and failed, since an unknown kid is what
     * makes a JWKS source fetch again (the provider may have rotated).
     */
    if (!tried) {
        if (tried_kidless) {
            return ajwt_err_set(err, AJWT_EKEY, "no %s key with kid \"%s\" "
                                "(%d key%s without kid tried)", alg->name,
                                clean(b2, sizeof(b2), kid), tried_kidless,
                                tried_kidless > 1 ? "s" : "");
        }
        return ajwt_err_set(err, AJWT_EKEY, "no %s key with kid \"%s\"",
                            alg->name, kid ? clean(b2, sizeof(b2), kid)
                                           : "(none)");
    }
    tried += tried_kidless;
    return ajwt_err_set(err, AJWT_ESIG, "%s signature does not verify with "
                        "%d key%s (kid %s)", alg->name, tried,
                        tried > 1 ? "s" : "",
                        kid ? clean(b2, sizeof(b2), kid) : "none");
}

/* ----------------------------------------------------------------- sign */

ajwt_status_t ajwt_jws_sign_raw(unsigned char **sig, apr_size_t *sig_len,
                                const ajwt_alg_t *alg, const ajwt_key_t *key,
                                const unsigned char *msg, apr_size_t msg_len,
                                apr_pool_t *p, ajwt_err_t *err)
{
    EVP_MD_CTX *c;
    unsigned char *buf;
    size_t n;
    int rc;

    *sig = NULL;
    *sig_len = 0;
    if (!alg || !key || key->kty != alg->kty
        || !(key->algs & AJWT_ALG_BIT(alg->id))) {
        return ajwt_err_set(err, AJWT_EKEY, "key %s may not sign %s",
                            key && key->kid ? key->kid : "(no kid)",
                            alg ? alg->name : "?");
    }
    if (alg->kty == AJWT_KTY_OCT) {
        buf = apr_palloc(p, MAX_MD);
        if (!hmac(buf, alg, key, msg, msg_len)) {
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_EINTERNAL, "%s: HMAC failed",
                                alg->name);
        }
        *sig = buf;
        *sig_len = alg->hash_len;
        return AJWT_OK;
    }
    if (!key->has_private) {
        return ajwt_err_set(err, AJWT_EKEY, "key %s has no private part to "
                            "sign with", key->kid ? key->kid : "(no kid)");
    }
    n = EVP_PKEY_get_size(key->pkey);
    buf = apr_palloc(p, n);
    c = EVP_MD_CTX_new();
    rc = c && ajwt_key_sig_init(c, alg, key->pkey, 1)
         && EVP_DigestSign(c, buf, &n, msg, msg_len) == 1;
    EVP_MD_CTX_free(c);
    if (!rc) {
        ERR_clear_error();
        return ajwt_err_set(err, AJWT_EINTERNAL, "%s signing failed (kid %s)",
                            alg->name, key->kid ? key->kid : "none");
    }
    if (alg->kty == AJWT_KTY_EC) {
        unsigned char *rs = apr_palloc(p, 2 * alg->ec_size);
        if (!ec_from_der(rs, buf, n, alg->ec_size)) {
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_EINTERNAL, "%s: bad ECDSA output",
                                alg->name);
        }
        buf = rs;
        n = 2 * alg->ec_size;
    }
    *sig = buf;
    *sig_len = n;
    return AJWT_OK;
}

ajwt_status_t ajwt_jws_sign(char **token, const ajwt_alg_t *alg,
                            const ajwt_key_t *key, json_t *header,
                            json_t *payload, apr_pool_t *p, ajwt_err_t *err)
{
    json_t *h;
    const char *name;
    json_t *v;
    char *hs, *ps, *input;
    unsigned char *sig;
    apr_size_t sl;
    ajwt_status_t st;

    *token = NULL;
    if (!alg || !json_is_object(payload)
        || (header && !json_is_object(header))) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "nothing to sign");
    }
    /* alg first, then kid, then the caller's members in their order */
    h = ajwt_json_own(json_object(), p);
    if (!h || json_object_set_new(h, "alg", json_string(alg->name))
        || (key && key->kid
            && json_object_set_new(h, "kid", json_string(key->kid)))) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "out of memory");
    }
    if (header) {
        json_object_foreach(header, name, v) {
            if (!strcmp(name, "alg") || (!strcmp(name, "kid") && key
                                         && key->kid)) {
                continue;
            }
            if (json_object_set(h, name, v)) {
                return ajwt_err_set(err, AJWT_EINTERNAL, "out of memory");
            }
        }
    }
    hs = json_dumps(h, JSON_COMPACT);
    ps = json_dumps(payload, JSON_COMPACT);
    if (!hs || !ps) {
        free(hs);
        free(ps);
        return ajwt_err_set(err, AJWT_EINTERNAL, "out of memory");
    }
    input = apr_pstrcat(p, ajwt_b64_encode((unsigned char *)hs, strlen(hs),
                                           p), ".",
                        ajwt_b64_encode((unsigned char *)ps, strlen(ps), p),
                        NULL);
    free(hs);
    free(ps);
    st = ajwt_jws_sign_raw(&sig, &sl, alg, key, (unsigned char *)input,
                           strlen(input), p, err);
    if (st) {
        return st;
    }
    *token = apr_pstrcat(p, input, ".", ajwt_b64_encode(sig, sl, p), NULL);
    return AJWT_OK;
}
