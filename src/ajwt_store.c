/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_store.c: the rules of revocation, whatever the backend: which key a
 * jti or a subject is stored under, what makes a token revoked, and how
 * long an entry lives.
 *
 * ajwt_store_check() runs for every request when revocation is on, so the
 * key functions allocate nothing: the digest and its base64url text are
 * made in the caller's buffer (ajwt_b64_encode() would allocate from a
 * pool, and the check has none).
 *
 * Subject revocation and the same second: NumericDates have a resolution
 * of one second, so a token issued in the second of the revocation cannot
 * be told apart from one issued just before it. It counts as revoked
 * (iat == value): a client that is refused gets a new token a second
 * later, while the other choice would let a stolen token through.
 */
#include <string.h>
#include <openssl/evp.h>
#include "ajwt_store.h"

#define KEY_PREFIX_JTI  "ajwt:j:"
#define KEY_PREFIX_SUB  "ajwt:s:"
#define KEY_PREFIX_LEN  7

/* Bytes of a jti or sub quoted in an error text. */
#define ID_PART 64

static const char enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * SHA-256 fetched once per process. EVP_sha256() makes EVP_Digest() fetch
 * the implementation again on every call, which costs more than the
 * digest itself (about 620 ns against 230 ns here), and the check runs
 * twice per request. There is no pool to own it: the first caller's fetch
 * is published with a compare-and-swap (a thread that loses frees its
 * own), and the one reference is kept for the life of the process, like
 * OpenSSL's own method cache that it points into.
 */
static EVP_MD *sha256_md;

static const EVP_MD *sha256(void)
{
    EVP_MD *md = __atomic_load_n(&sha256_md, __ATOMIC_ACQUIRE), *none = NULL;
    if (md) {
        return md;
    }
    md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!md) {
        return EVP_sha256();        /* the slow way still works */
    }
    if (!__atomic_compare_exchange_n(&sha256_md, &none, md, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        EVP_MD_free(md);
        md = none;
    }
    return md;
}

/*
 * prefix + base64url(SHA-256(id)) into buf: 7 + 43 characters and a NUL,
 * within AJWT_STORE_KEY_MAX. EVP_Digest() of SHA-256 cannot fail short of
 * a broken library; if it does, the digest stays zero and every id maps to
 * one key, which over-revokes (fails closed) rather than letting through.
 */
static void make_key(char *buf, const char *prefix, const char *id)
{
    unsigned char md[EVP_MAX_MD_SIZE] = { 0 };
    unsigned int mdlen = 0, i;
    char *o = buf + KEY_PREFIX_LEN;

    memcpy(buf, prefix, KEY_PREFIX_LEN);
    if (!id) {
        id = "";
    }
    if (!EVP_Digest(id, strlen(id), md, &mdlen, sha256(), NULL)
        || mdlen != 32) {
        memset(md, 0, sizeof(md));
    }
    /* 32 bytes: ten groups of three, then two bytes as three characters */
    for (i = 0; i + 3 <= 32; i += 3) {
        *o++ = enc[md[i] >> 2];
        *o++ = enc[(md[i] & 0x03) << 4 | md[i + 1] >> 4];
        *o++ = enc[(md[i + 1] & 0x0f) << 2 | md[i + 2] >> 6];
        *o++ = enc[md[i + 2] & 0x3f];
    }
    *o++ = enc[md[i] >> 2];
    *o++ = enc[(md[i] & 0x03) << 4 | md[i + 1] >> 4];
    *o++ = enc[(md[i + 1] & 0x0f) << 2];
    *o = '\0';
}

void ajwt_store_key_jti(char *buf, const char *jti)
{
    make_key(buf, KEY_PREFIX_JTI, jti);
}

void ajwt_store_key_sub(char *buf, const char *sub)
{
    make_key(buf, KEY_PREFIX_SUB, sub);
}

void ajwt_store_key_named(char *buf, const char *prefix, const char *id)
{
    char tmp[AJWT_STORE_KEY_MAX];
    apr_size_t n = strlen(prefix);

    if (n > AJWT_STORE_PREFIX_MAX) {
        n = AJWT_STORE_PREFIX_MAX;
    }
    make_key(tmp, KEY_PREFIX_JTI, id);
    memcpy(buf, prefix, n);
    /* 43 characters and the NUL: n + 44 <= 56 < AJWT_STORE_KEY_MAX */
    memcpy(buf + n, tmp + KEY_PREFIX_LEN, strlen(tmp + KEY_PREFIX_LEN) + 1);
}

/*
 * A jti or sub for an error text: cut at ID_PART bytes, control characters
 * as '?', so that a forged CR/LF cannot split the error log line.
 */
static const char *id_text(char *buf, const char *id)
{
    apr_size_t i;
    for (i = 0; id[i] && i < ID_PART; i++) {
        unsigned char c = (unsigned char)id[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (id[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

apr_int64_t ajwt_store_merge(const char *key, apr_int64_t a,
                             apr_int64_t a_expires, apr_int64_t b,
                             apr_int64_t b_expires, apr_int64_t *exp_out)
{
    *exp_out = a_expires > b_expires ? a_expires : b_expires;
    if (!strncmp(key, KEY_PREFIX_SUB, KEY_PREFIX_LEN)) {
        return a > b ? a : b;           /* the later revocation time */
    }
    /* a family entry ("ajwt:f:" + 43 characters), not its marks and
     * claims ("ajwt:f:x:", "ajwt:f:r:"): 0 is revoked, and stays so */
    if (!strncmp(key, "ajwt:f:", 7) && key[7] && key[8] != ':') {
        if (a == 0 || b == 0) {
            return 0;
        }
        return a > b ? a : b;
    }
    return b;
}

void ajwt_store_claims_keys(ajwt_claims_t *cl)
{
    cl->store_jti[0] = cl->store_sub[0] = cl->store_sid[0] = '\0';
    if (cl->jti) {
        ajwt_store_key_jti(cl->store_jti, cl->jti);
    }
    if (cl->sub) {
        ajwt_store_key_sub(cl->store_sub, cl->sub);
    }
    if (cl->sid) {
        ajwt_store_key_named(cl->store_sid, AJWT_STORE_FAMILY_DEAD_PREFIX,
                             cl->sid);
    }
    cl->store_keys = 1;
}


/*
 * get per key, for a backend without get_many: the same answers, except
 * that a value get cannot read is its failure (AJWT_ESTORE), as before.
 */
static ajwt_status_t get_each(ajwt_store_t *st, const char *const *keys,
                              int n, apr_int64_t *value, int *state,
                              apr_int64_t now, ajwt_err_t *err)
{
    ajwt_status_t rc;
    int i, found;

    for (i = 0; i < n; i++) {
        state[i] = AJWT_STORE_UNKNOWN;
    }
    for (i = 0; i < n; i++) {
        if ((rc = st->ops->get(st, keys[i], &value[i], &found, now, err))) {
            return rc;
        }
        state[i] = found ? AJWT_STORE_FOUND : AJWT_STORE_ABSENT;
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_store_check(ajwt_store_t *st, const ajwt_claims_t *cl,
                               apr_int64_t now, ajwt_err_t *err)
{
    char jbuf[AJWT_STORE_KEY_MAX], sbuf[AJWT_STORE_KEY_MAX];
    char fbuf[AJWT_STORE_KEY_MAX];
    char id[ID_PART + 4];
    const char *keys[AJWT_STORE_MANY_MAX];
    apr_int64_t value[AJWT_STORE_MANY_MAX] = { 0 };
    int state[AJWT_STORE_MANY_MAX], n = 0, j = -1, s = -1, f = -1;
    ajwt_err_t serr = { 0 };
    ajwt_status_t rc;

    if (cl->jti) {
        if (!cl->store_keys) {
            ajwt_store_key_jti(jbuf, cl->jti);
        }
        keys[j = n++] = cl->store_keys ? cl->store_jti : jbuf;
    }
    if (cl->sub) {
        if (!cl->store_keys) {
            ajwt_store_key_sub(sbuf, cl->sub);
        }
        keys[s = n++] = cl->store_keys ? cl->store_sub : sbuf;
    }
    if (cl->sid) {
        if (!cl->store_keys) {
            ajwt_store_key_named(fbuf, AJWT_STORE_FAMILY_DEAD_PREFIX,
                                 cl->sid);
        }
        keys[f = n++] = cl->store_keys ? cl->store_sid : fbuf;
    }
    if (n == 0) {
        return AJWT_OK;
    }
    /* the store's failure is kept aside: a revocation found on what did
     * answer is the better reason. All the keys in one get_many: one
     * round trip per server where the backend can. */
    rc = st->ops->get_many ? st->ops->get_many(st, keys, n, value, state,
                                                now, &serr)
                           : get_each(st, keys, n, value, state, now, &serr);
    if (rc != AJWT_OK && rc != AJWT_ESTORE) {
        if (err) {
            *err = serr;
        }
        return rc;
    }
    /* a jti listed is revoked whatever its value says */
    if (j >= 0 && (state[j] == AJWT_STORE_FOUND
                   || state[j] == AJWT_STORE_MALFORMED)) {
        return ajwt_err_set(err, AJWT_EREVOKED, "jti %s is revoked",
                            id_text(id, cl->jti));
    }
    if (s >= 0 && state[s] == AJWT_STORE_MALFORMED) {
        /* not ours, or damaged: no time to compare iat with, and letting
         * it through could be letting a revoked subject through */
        return ajwt_err_set(err, AJWT_EREVOKED, "sub %s is revoked "
                            "(malformed value in the store)",
                            id_text(id, cl->sub));
    }
    /* iat == value is revoked: see the same-second note above */
    if (s >= 0 && state[s] == AJWT_STORE_FOUND
        && (!cl->has_iat || cl->iat <= value[s])) {
        return ajwt_err_set(err, AJWT_EREVOKED, "sub %s is revoked "
                            "(tokens issued up to %" APR_INT64_T_FMT ")",
                            id_text(id, cl->sub), value[s]);
    }
    if (f >= 0 && (state[f] == AJWT_STORE_FOUND
                   || state[f] == AJWT_STORE_MALFORMED)) {
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh family (session) "
                            "%s revoked: logged out (sub %s)",
                            id_text(id, cl->sid), cl->sub ? cl->sub : "-");
    }
    if (rc != AJWT_OK && err) {
        *err = serr;        /* AJWT_ESTORE: the caller decides deny/allow */
    }
    return rc;
}

ajwt_status_t ajwt_store_revoke_jti(ajwt_store_t *st, const char *jti,
                                    apr_int64_t exp, int leeway,
                                    apr_int64_t now, ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX];
    apr_int64_t expires = exp + (leeway > 0 ? leeway : 0);

    if (!jti) {
        return ajwt_err_set(err, AJWT_ECLAIM, "no jti to revoke");
    }
    if (expires <= now) {
        return AJWT_OK;     /* the token is refused as expired anyway */
    }
    ajwt_store_key_jti(key, jti);
    return st->ops->put(st, key, exp, expires, now, err);
}

ajwt_status_t ajwt_store_revoke_sub(ajwt_store_t *st, const char *sub,
                                    apr_int64_t lifetime, int leeway,
                                    apr_int64_t now, ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX];
    apr_int64_t expires;

    if (!sub) {
        return ajwt_err_set(err, AJWT_ECLAIM, "no sub to revoke");
    }
    /*
     * A token issued at or before now lives at most lifetime (checked
     * wherever revocation is) and passes at most leeway after its exp,
     * so the entry can go then.
     */
    expires = now + (lifetime >= 0 ? lifetime : AJWT_SUB_REVOKE_TTL)
              + (leeway > 0 ? leeway : 0);
    ajwt_store_key_sub(key, sub);
    return st->ops->put(st, key, now, expires, now, err);
}
