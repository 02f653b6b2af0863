/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conformance.c: every third-party JWS/JWK vector of $AJWT_VECTORS
 * (default ../shared/vectors) through the httpd-free core, one TAP line
 * per vector.
 *
 * What is expected of each file comes from the vectors' README.md,
 * "Mapping to JWS": JWS/JWK files go through ajwt_jws_parse() and
 * ajwt_jws_verify() like a bearer token; primitive files (ECDSA P1363,
 * RSA PKCS#1 v1.5 and PSS, Ed25519, HMAC) through ajwt_jws_verify_sig(),
 * which is what the JWS verifier calls once a token is split and decoded;
 * generation files through ajwt_jws_sign_raw() with an exact comparison.
 * expectations.json is read, not copied: its overrides and the verdicts of
 * "acceptable" cases apply to the files it names.
 *
 * Vectors that do not apply are SKIPped with the reason (JWE; HMAC keys
 * shorter than the hash; hashes without a JWS algorithm), and every file's
 * count is checked against README.md's table so that no vector is lost.
 * AJWT_CONF_VERBOSE=1 adds the core's reason to every agreed rejection.
 * The runner is test code: it reads the files with Jansson directly and
 * decodes hex and base64url itself, so a core bug cannot hide in both.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* GLOB_BRACE, for expectations.json's patterns */
#endif
#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>
#include <jansson.h>
#include <apr_time.h>
#include "unit.h"
#include "ajwt.h"
#include "ajwt_alg.h"
#include "ajwt_key.h"
#include "ajwt_jws.h"

#define WYCHE "wycheproof/testvectors_v1"

typedef enum { X_VALID, X_INVALID, X_NA, X_UNKNOWN } expect_t;

/* Per-file counts for the summary and the coverage check. */
typedef struct {
    const char *name;       /* path under the vectors directory */
    int declared;           /* numberOfTests, -1 when none */
    int seen, agreed, failed;
    int skip_jwe, skip_na, extra_ok, extra_failed;
    int nokey;              /* rejected because the key did not load */
} tally_t;

#define MAX_TALLY 96
static tally_t tallies[MAX_TALLY];
static int ntallies;
static const char *vdir;
static json_t *expectations;
static apr_time_t started;
static int verbose;         /* AJWT_CONF_VERBOSE: reasons of rejections */

/* ------------------------------------------------------------ helpers */

static tally_t *tally_get(const char *name)
{
    int i;
    for (i = 0; i < ntallies; i++) {
        if (!strcmp(tallies[i].name, name)) {
            return &tallies[i];
        }
    }
    if (ntallies == MAX_TALLY) {
        fprintf(stderr, "conformance: too many files\n");
        exit(2);
    }
    memset(&tallies[ntallies], 0, sizeof(tallies[0]));
    tallies[ntallies].name = strdup(name);   /* outlives every pool */
    tallies[ntallies].declared = -1;
    return &tallies[ntallies++];
}

/* TAP descriptions: no '#' (a directive) and no control characters. */
static const char *clean(const char *s, apr_pool_t *p)
{
    char *c, *o;
    if (!s) {
        return "";
    }
    o = apr_pstrdup(p, s);
    for (c = o; *c; c++) {
        if (*c == '#' || (unsigned char)*c < 0x20) {
            *c = ' ';
        }
    }
    return o;
}

static const char *expect_name(expect_t x)
{
    return x == X_VALID ? "valid" : x == X_INVALID ? "invalid"
         : x == X_NA ? "not applicable" : "unknown";
}

static const char *err_str(const ajwt_err_t *err, apr_pool_t *p)
{
    if (err->status == AJWT_OK) {
        return "no error";
    }
    return apr_psprintf(p, "%s: %s", ajwt_status_name(err->status),
                        clean(err->text, p));
}

static const char *flags_str(json_t *test, apr_pool_t *p)
{
    json_t *flags = json_object_get(test, "flags"), *f;
    size_t i;
    const char *s = "";
    json_array_foreach(flags, i, f) {
        s = apr_pstrcat(p, s, *s ? "," : "", json_string_value(f), NULL);
    }
    return s;
}

/* One line for one vector: agreement or the full story of a mismatch. */
static void report(tally_t *t, const char *what, json_t *test,
                   expect_t want, int accepted, const ajwt_err_t *err,
                   apr_pool_t *p)
{
    int agree = (want == X_VALID && accepted)
                || (want == X_INVALID && !accepted);
    if (agree) {
        t->agreed++;
        ok(1, "%s %s (%s%s%s)", t->name, what, expect_name(want),
           verbose && !accepted ? ": " : "",
           verbose && !accepted ? err_str(err, p) : "");
        return;
    }
    t->failed++;
    ok(0, "%s %s%s: expected %s, got %s (%s)", t->name, what,
       !test ? "" : apr_psprintf(p, ": \"%s\" [%s]",
           clean(json_string_value(json_object_get(test, "comment")), p),
           flags_str(test, p)),
       expect_name(want), accepted ? "accepted" : "rejected",
       err_str(err, p));
}

static void skip(tally_t *t, const char *what, int jwe, const char *why)
{
    if (jwe) {
        t->skip_jwe++;
    }
    else {
        t->skip_na++;
    }
    ok(1, "%s %s # SKIP %s", t->name, what, why);
}

/* Lines that are not one of a file's own tests (known answers...). */
static void extra(tally_t *t, int cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void extra(tally_t *t, int cond, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    apr_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (cond) {
        t->extra_ok++;
    }
    else {
        t->extra_failed++;
    }
    ok(cond, "%s %s", t->name, buf);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Hex to bytes; NULL on odd length or a non-hex digit. */
static unsigned char *hex_decode(const char *hex, apr_size_t *len,
                                 apr_pool_t *p)
{
    apr_size_t n, i;
    unsigned char *out;
    if (!hex) {
        return NULL;
    }
    n = strlen(hex);
    if (n % 2) {
        return NULL;
    }
    out = apr_palloc(p, n / 2 + 1);
    for (i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    out[n / 2] = 0;
    *len = n / 2;
    return out;
}

/* Plain base64url for well-formed reference data (not a strictness test). */
static unsigned char *b64u_decode(const char *in, apr_size_t len,
                                  apr_size_t *outlen, apr_pool_t *p)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char *out = apr_palloc(p, len * 3 / 4 + 3);
    apr_size_t i, o = 0;
    unsigned long acc = 0;
    int bits = 0;
    for (i = 0; i < len; i++) {
        const char *c = in[i] ? strchr(abc, in[i]) : NULL;
        if (!c) {
            return NULL;
        }
        acc = (acc << 6) | (unsigned long)(c - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    out[o] = 0;
    *outlen = o;
    return out;
}

static apr_status_t json_cleanup(void *j)
{
    json_decref(j);
    return APR_SUCCESS;
}

/* j (a new reference) is released with p. */
static json_t *own(json_t *j, apr_pool_t *p)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_cleanup,
                                  apr_pool_cleanup_null);
    }
    return j;
}

static json_t *load_json(const char *rel, apr_pool_t *p)
{
    json_error_t jerr;
    const char *path = apr_pstrcat(p, vdir, "/", rel, NULL);
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        ok(0, "%s loads: line %d: %s", rel, jerr.line, jerr.text);
        return NULL;
    }
    return own(j, p);
}

/* ------------------------------------------------------- expectations */

static int overrides_applied, acceptable_seen, acceptable_resolved;

static int in_ids(json_t *ids, json_int_t tcid)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        if (json_integer_value(v) == tcid) {
            return 1;
        }
    }
    return 0;
}

static expect_t parse_expect(const char *s)
{
    if (!s) {
        return X_UNKNOWN;
    }
    if (!strcmp(s, "valid")) {
        return X_VALID;
    }
    if (!strcmp(s, "invalid")) {
        return X_INVALID;
    }
    if (!strcmp(s, "not applicable")) {
        return X_NA;
    }
    return X_UNKNOWN;
}

/* Does the brace pattern of expectations.json name the file rel? */
static int file_matches(const char *pattern, const char *rel, apr_pool_t *p)
{
    glob_t g;
    size_t i;
    int hit = 0;
    const char *want = apr_pstrcat(p, vdir, "/", rel, NULL);
    if (glob(apr_pstrcat(p, vdir, "/", pattern, NULL),
             GLOB_BRACE | GLOB_NOSORT, NULL, &g) != 0) {
        return 0;
    }
    for (i = 0; i < g.gl_pathc; i++) {
        if (!strcmp(g.gl_pathv[i], want)) {
            hit = 1;
        }
    }
    globfree(&g);
    return hit;
}

/*
 * The verdict of a test from its label, unless expectations.json
 * overrides it (upstream defects) or gives the verdict of an
 * "acceptable" case. *why says which entry applied.
 */
static expect_t expected_for(const char *rel, json_t *test, const char **why,
                             apr_pool_t *p)
{
    const char *result = json_string_value(json_object_get(test, "result"));
    json_int_t tcid = json_integer_value(json_object_get(test, "tcId"));
    json_t *list, *e;
    size_t i;

    *why = NULL;
    list = json_object_get(expectations, "overrides");
    json_array_foreach(list, i, e) {
        const char *f = json_string_value(json_object_get(e, "file"));
        const char *up;
        if (!f || strcmp(f, rel) || !in_ids(json_object_get(e, "tcIds"),
                                            tcid)) {
            continue;
        }
        up = json_string_value(json_object_get(e, "upstream"));
        if (!up || !result || strcmp(up, result)) {
            *why = "expectations.json's upstream label is not the file's";
            return X_UNKNOWN;
        }
        overrides_applied++;
        *why = apr_psprintf(p, "expectations.json: upstream %s", up);
        return parse_expect(json_string_value(json_object_get(e,
                                                              "expected")));
    }
    if (result && !strcmp(result, "acceptable")) {
        acceptable_seen++;
        list = json_object_get(expectations, "acceptable");
        json_array_foreach(list, i, e) {
            const char *f = json_string_value(json_object_get(e, "files"));
            if (f && in_ids(json_object_get(e, "tcIds"), tcid)
                && file_matches(f, rel, p)) {
                acceptable_resolved++;
                *why = "acceptable; verdict from expectations.json";
                return parse_expect(json_string_value(
                                        json_object_get(e, "expected")));
            }
        }
        *why = "acceptable, and expectations.json gives no verdict";
        return X_UNKNOWN;
    }
    return parse_expect(result);
}

/* --------------------------------------------------------------- keys */

static void strip_private(json_t *k)
{
    static const char *const members[] = {
        "d", "p", "q", "dp", "dq", "qi", "oth", NULL
    };
    const char *kty = json_string_value(json_object_get(k, "kty"));
    int i;
    if (!json_is_object(k) || (kty && !strcmp(kty, "oct"))) {
        return;     /* a secret is all private */
    }
    for (i = 0; members[i]; i++) {
        json_object_del(k, members[i]);
    }
}

/* A copy of a JWK or JWK Set with only the public members of asymmetric
 * keys: the verifier is configured the way a relying party would be. */
static json_t *public_only(json_t *jwk, apr_pool_t *p)
{
    json_t *copy = own(json_deep_copy(jwk), p), *keys, *k;
    size_t i;
    keys = json_object_get(copy, "keys");
    if (json_is_array(keys)) {
        json_array_foreach(keys, i, k) {
            strip_private(k);
        }
    }
    else {
        strip_private(copy);
    }
    return copy;
}

static ajwt_status_t load_jwk(ajwt_keyset_t **ks, json_t *jwk,
                              apr_pool_t *p, ajwt_err_t *err)
{
    char *text = json_dumps(jwk, JSON_COMPACT);
    ajwt_status_t st;
    if (!text) {
        apr_cpystrn(err->text, "runner: no key to load", AJWT_ERR_TEXT);
        return err->status = AJWT_ECONFIG;
    }
    st = ajwt_keyset_add_jwks(ks, text, strlen(text), "vector", p, err);
    free(text);
    return st;
}

/* The first usable key of a loaded set, or NULL with err filled. */
static const ajwt_key_t *first_key(const ajwt_keyset_t *ks, ajwt_err_t *err)
{
    if (ajwt_keyset_count(ks) < 1) {
        if (err->status == AJWT_OK) {
            err->status = AJWT_EKEY;
            apr_cpystrn(err->text, "runner: the key loaded as an empty set",
                        AJWT_ERR_TEXT);
        }
        return NULL;
    }
    return APR_ARRAY_IDX(ks->keys, 0, const ajwt_key_t *);
}

/* What the verifier does with one token: 1 accepted, 0 rejected. */
static int jws_accepts(const ajwt_keyset_t *ks, const char *tok,
                       apr_size_t len, ajwt_err_t *err, apr_pool_t *p)
{
    ajwt_jws_t *jws = NULL;
    const ajwt_key_t *used = NULL;
    if (ajwt_jws_parse(&jws, tok, len, 0, 0, p, err) != AJWT_OK) {
        return 0;
    }
    if (!jws) {
        err->status = AJWT_EINTERNAL;
        apr_cpystrn(err->text, "runner: parse said OK but gave nothing",
                    AJWT_ERR_TEXT);
        return 0;
    }
    if (!ks) {
        err->status = AJWT_EKEY;
        apr_cpystrn(err->text, "runner: no usable key in the set",
                    AJWT_ERR_TEXT);
        return 0;
    }
    return ajwt_jws_verify(&used, jws, ks, AJWT_ALG_ALL, err) == AJWT_OK;
}

static int sha_bits(const char *sha)
{
    if (!sha) {
        return 0;
    }
    return !strcmp(sha, "SHA-256") ? 256 : !strcmp(sha, "SHA-384") ? 384
         : !strcmp(sha, "SHA-512") ? 512 : 0;
}

/* Name the first differing byte of a known-answer mismatch. */
static const char *sig_diff(const unsigned char *got, apr_size_t glen,
                            const unsigned char *want, apr_size_t wlen,
                            apr_pool_t *p)
{
    apr_size_t i;
    for (i = 0; i < glen && i < wlen && got[i] == want[i]; i++) {
    }
    return apr_psprintf(p, "signature differs: %" APR_SIZE_T_FMT " bytes "
                        "vs %" APR_SIZE_T_FMT " expected, first difference "
                        "at byte %" APR_SIZE_T_FMT, glen, wlen, i);
}

/* ----------------------------------------------------------- JWS files */

/* rfc-examples tcIds whose signatures are deterministic (README). */
static int is_kat(json_int_t tcid)
{
    return tcid == 1 || tcid == 3 || tcid == 8 || tcid == 12 || tcid == 16;
}

/*
 * Signing known answer: sign the first two segments of tok with the full
 * private JWK; the result must be the third segment exactly.
 */
static void sign_kat(tally_t *t, json_int_t tcid, json_t *jwk,
                     const char *tok, apr_pool_t *p)
{
    const char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    unsigned char *hdr, *want, *sig = NULL;
    apr_size_t hlen, wlen, slen = 0;
    json_t *h;
    const char *algname;
    const ajwt_alg_t *alg;
    ajwt_keyset_t *ks = NULL;
    const ajwt_key_t *key;
    ajwt_err_t err = { 0 };

    if (!dot1 || dot1 == dot2
        || !(hdr = b64u_decode(tok, dot1 - tok, &hlen, p))
        || !(want = b64u_decode(dot2 + 1, strlen(dot2 + 1), &wlen, p))
        || !(h = own(json_loadb((char *)hdr, hlen, 0, NULL), p))
        || !(algname = json_string_value(json_object_get(h, "alg")))) {
        extra(t, 0, "tcId %d signing known answer: runner cannot read "
              "the token", (int)tcid);
        return;
    }
    if (!(alg = ajwt_alg_find(algname))) {
        extra(t, 0, "tcId %d signing known answer: core has no alg %s",
              (int)tcid, algname);
        return;
    }
    if (load_jwk(&ks, jwk, p, &err) != AJWT_OK
        || !(key = first_key(ks, &err))
        || ajwt_jws_sign_raw(&sig, &slen, alg, key,
                             (const unsigned char *)tok, dot2 - tok, p,
                             &err) != AJWT_OK) {
        extra(t, 0, "tcId %d signing known answer (%s): %s", (int)tcid,
              algname, err_str(&err, p));
        return;
    }
    if (slen != wlen || memcmp(sig, want, wlen)) {
        extra(t, 0, "tcId %d signing known answer (%s): %s", (int)tcid,
              algname, sig_diff(sig, slen, want, wlen, p));
        return;
    }
    extra(t, 1, "tcId %d signing known answer (%s)", (int)tcid, algname);
}

static void run_jws_file(const char *rel, json_t *doc, tally_t *t,
                         apr_pool_t *p)
{
    json_t *g, *test;
    size_t gi, ti;
    int kats = !strcmp(rel, "rfc-examples/rfc_jose_examples_jws_test.json");
    apr_pool_t *gp, *tp;

    apr_pool_create(&gp, p);
    apr_pool_create(&tp, p);
    json_array_foreach(json_object_get(doc, "testGroups"), gi, g) {
        json_t *pub = json_object_get(g, "public");
        json_t *priv = json_object_get(g, "private");
        ajwt_keyset_t *ks = NULL;
        ajwt_err_t kerr = { 0 };
        ajwt_status_t kst;

        apr_pool_clear(gp);
        kst = load_jwk(&ks, public_only(pub ? pub : priv, gp), gp, &kerr);
        json_array_foreach(json_object_get(g, "tests"), ti, test) {
            json_int_t tcid = json_integer_value(json_object_get(test,
                                                                 "tcId"));
            json_t *jws = json_object_get(test, "jws");
            const char *what, *why;
            ajwt_err_t err = { 0 };
            expect_t want;
            int acc = 0;

            apr_pool_clear(tp);
            t->seen++;
            what = apr_psprintf(tp, "tcId %d", (int)tcid);
            if (json_object_get(test, "jwe")) {
                skip(t, what, 1, "JWE, not a JWS");
                continue;
            }
            want = expected_for(rel, test, &why, tp);
            if (why) {
                what = apr_psprintf(tp, "%s [%s]", what, why);
            }
            if (want == X_NA) {
                skip(t, what, 0, "not applicable");
                continue;
            }
            if (want == X_UNKNOWN || !jws) {
                t->failed++;
                ok(0, "%s %s: no verdict to compare with", t->name, what);
                continue;
            }
            if (kst != AJWT_OK) {
                err = kerr;     /* a key that does not load verifies nothing */
                t->nokey++;
            }
            else if (json_is_string(jws)) {
                acc = jws_accepts(ks, json_string_value(jws),
                                  json_string_length(jws), &err, tp);
            }
            else {
                /* a JSON serialization object, fed as the text it is */
                char *s = json_dumps(jws, JSON_COMPACT);
                what = apr_pstrcat(tp, what, " (JSON object as text)", NULL);
                acc = s && jws_accepts(ks, s, strlen(s), &err, tp);
                free(s);
            }
            report(t, what, test, want, acc, &err, tp);
            if (kats && is_kat(tcid) && json_is_string(jws)) {
                sign_kat(t, tcid, priv, json_string_value(jws), tp);
            }
        }
    }
    apr_pool_destroy(tp);
    apr_pool_destroy(gp);
}

/* ----------------------------------------------------- primitive files */

typedef enum { P_ECDSA, P_RSA, P_PSS, P_EDDSA, P_HMAC, P_GEN } prim_t;

/*
 * The group's key: its JWK when it has one (the form a JWKS would carry),
 * else its PEM (ECDSA groups without publicKeyJwk, rsa_pss_misc), or the
 * PKCS#1 private key PEM for generation.
 */
static ajwt_status_t group_key(ajwt_keyset_t **ks, json_t *g, prim_t kind,
                               const char **how, apr_pool_t *p,
                               ajwt_err_t *err)
{
    static const char *const jwks[] = { "publicKeyJwk", "keyJwk", NULL };
    static const char *const pems[] = { "publicKeyPem", NULL };
    static const char *const gens[] = { "privateKeyPem", NULL };
    const char *const *pem = kind == P_GEN ? gens : pems;
    int i;
    for (i = 0; kind != P_GEN && jwks[i]; i++) {
        json_t *jwk = json_object_get(g, jwks[i]);
        if (jwk) {
            *how = jwks[i];
            return load_jwk(ks, jwk, p, err);
        }
    }
    for (i = 0; pem[i]; i++) {
        const char *text = json_string_value(json_object_get(g, pem[i]));
        if (text) {
            *how = pem[i];
            return ajwt_keyset_add_pem(ks, text, strlen(text), NULL,
                                       "vector", p, err);
        }
    }
    *how = "none";
    apr_cpystrn(err->text, "runner: group has no key", AJWT_ERR_TEXT);
    return err->status = AJWT_ECONFIG;
}

static void run_prim_file(const char *rel, json_t *doc, prim_t kind,
                          tally_t *t, apr_pool_t *p)
{
    json_t *g, *test;
    size_t gi, ti;
    apr_pool_t *gp, *tp;
    const char *fileal = json_string_value(json_object_get(doc,
                                                           "algorithm"));

    apr_pool_create(&gp, p);
    apr_pool_create(&tp, p);
    json_array_foreach(json_object_get(doc, "testGroups"), gi, g) {
        const char *sha = json_string_value(json_object_get(g, "sha"));
        int hbits = sha_bits(sha), keybits, tagbits = 0, params = 1;
        const char *na = NULL, *algname = NULL, *how = "";
        const ajwt_alg_t *alg = NULL;
        ajwt_keyset_t *ks = NULL;
        const ajwt_key_t *key = NULL;
        ajwt_err_t kerr = { 0 };

        apr_pool_clear(gp);
        keybits = (int)json_integer_value(json_object_get(g, "keySize"));
        switch (kind) {
        case P_ECDSA: {
            const char *curve = json_string_value(json_object_get(
                json_object_get(g, "publicKey"), "curve"));
            int cb = !curve ? 0 : !strcmp(curve, "secp256r1") ? 256
                   : !strcmp(curve, "secp384r1") ? 384
                   : !strcmp(curve, "secp521r1") ? 512 : 0;
            if (!cb || cb != hbits) {
                na = "curve and hash make no JWS algorithm";
            }
            algname = apr_psprintf(gp, "ES%d", hbits);
            break;
        }
        case P_RSA:
            algname = apr_psprintf(gp, "RS%d", hbits);
            na = hbits ? NULL : "hash has no JWS algorithm";
            break;
        case P_PSS: {
            const char *mgf = json_string_value(json_object_get(g, "mgf"));
            const char *msha = json_string_value(json_object_get(g,
                                                                 "mgfSha"));
            int slen = (int)json_integer_value(json_object_get(g, "sLen"));
            algname = apr_psprintf(gp, "PS%d", hbits);
            na = hbits ? NULL : "hash has no JWS algorithm";
            /* RFC 7518 3.5: MGF1 with the same hash, salt = hash length */
            params = mgf && !strcmp(mgf, "MGF1") && msha && sha
                     && !strcmp(msha, sha) && slen * 8 == hbits;
            break;
        }
        case P_EDDSA:
            algname = "EdDSA";
            break;
        case P_HMAC:
            hbits = fileal && !strncmp(fileal, "HMACSHA", 7)
                    ? atoi(fileal + 7) : 0;
            algname = apr_psprintf(gp, "HS%d", hbits);
            tagbits = (int)json_integer_value(json_object_get(g, "tagSize"));
            if (hbits != 256 && hbits != 384 && hbits != 512) {
                na = "hash has no JWS algorithm";
            }
            else if (keybits < hbits) {
                na = "HMAC key shorter than the hash (RFC 7518 3.2)";
            }
            break;
        case P_GEN:
            algname = apr_psprintf(gp, "RS%d", hbits);
            if (!hbits) {
                na = "hash has no JWS algorithm";
            }
            else if (keybits < 2048) {
                na = "RSA key below 2048 bits";
            }
            break;
        }
        if (!na && !(alg = ajwt_alg_find(algname))) {
            kerr.status = AJWT_EALG;
            apr_snprintf(kerr.text, sizeof(kerr.text),
                         "runner: core has no alg %s", algname);
        }
        else if (!na && kind != P_HMAC
                 && group_key(&ks, g, kind, &how, gp, &kerr) == AJWT_OK) {
            key = first_key(ks, &kerr);
        }

        json_array_foreach(json_object_get(g, "tests"), ti, test) {
            json_int_t tcid = json_integer_value(json_object_get(test,
                                                                 "tcId"));
            const char *what, *why = NULL;
            unsigned char *msg, *sig, *want = NULL, *secret;
            apr_size_t mlen, slen, wlen = 0, klen;
            ajwt_err_t err = { 0 };
            expect_t exp;
            int acc = 0;

            apr_pool_clear(tp);
            t->seen++;
            what = apr_psprintf(tp, "tcId %d %s", (int)tcid,
                                algname ? algname : "");
            /* first, so that every acceptable case is met and counted */
            exp = expected_for(rel, test, &why, tp);
            if (na) {
                skip(t, what, 0, na);
                continue;
            }
            if (kind == P_HMAC && tagbits < hbits) {
                exp = X_INVALID;
                why = "truncated tag: a JWS HMAC is the full output";
            }
            else if (kind == P_PSS && !params) {
                exp = X_INVALID;
                why = "MGF1 hash or salt length is not the alg's";
            }
            if (why) {
                what = apr_psprintf(tp, "%s [%s]", what, why);
            }
            if (exp == X_NA) {
                skip(t, what, 0, "not applicable");
                continue;
            }
            msg = hex_decode(json_string_value(json_object_get(test, "msg")),
                             &mlen, tp);
            sig = hex_decode(json_string_value(json_object_get(test,
                             kind == P_HMAC ? "tag" : "sig")), &slen, tp);
            if (exp == X_UNKNOWN || !msg || !sig) {
                t->failed++;
                ok(0, "%s %s: %s", t->name, what, exp == X_UNKNOWN
                   ? "no verdict to compare with" : "runner: bad hex");
                continue;
            }
            if (kind == P_HMAC) {
                secret = hex_decode(json_string_value(json_object_get(test,
                                    "key")), &klen, tp);
                ks = NULL;
                key = NULL;
                if (!secret) {
                    err.status = AJWT_ECONFIG;
                    apr_cpystrn(err.text, "runner: bad hex key",
                                AJWT_ERR_TEXT);
                }
                else if (ajwt_keyset_add_secret_bytes(&ks, secret, klen,
                                                      NULL, "vector", tp,
                                                      &err) == AJWT_OK) {
                    key = first_key(ks, &err);
                }
            }
            else if (!key) {
                err = kerr;
            }
            if (!key) {
                acc = 0;
                t->nokey++;
            }
            else if (kind == P_GEN) {
                want = sig;
                wlen = slen;
                sig = NULL;
                if (ajwt_jws_sign_raw(&sig, &slen, alg, key, msg, mlen, tp,
                                      &err) == AJWT_OK) {
                    acc = slen == wlen && !memcmp(sig, want, wlen);
                    if (!acc) {
                        err.status = AJWT_ESIG;
                        apr_cpystrn(err.text, sig_diff(sig, slen, want, wlen,
                                                       tp), AJWT_ERR_TEXT);
                    }
                }
                what = apr_pstrcat(tp, what, " signing known answer", NULL);
            }
            else {
                acc = ajwt_jws_verify_sig(alg, key, msg, mlen, sig, slen,
                                          &err) == AJWT_OK;
            }
            if (!key && err.status != AJWT_OK && kind != P_HMAC) {
                what = apr_psprintf(tp, "%s (key from %s)", what, how);
            }
            report(t, what, test, exp, acc, &err, tp);
        }
    }
    apr_pool_destroy(tp);
    apr_pool_destroy(gp);
}

/* ---------------------------------------------------- Wycheproof files */

static void run_file(const char *rel, apr_pool_t *p)
{
    json_t *doc = load_json(rel, p);
    const char *schema;
    tally_t *t;
    if (!doc) {
        return;
    }
    t = tally_get(rel);
    t->declared = (int)json_integer_value(json_object_get(doc,
                                                          "numberOfTests"));
    schema = json_string_value(json_object_get(doc, "schema"));
    if (!schema) {
        ok(0, "%s: no schema", rel);
    }
    else if (!strcmp(schema, "json_web_signature_schema_v1.json")
             || !strcmp(schema, "json_web_key_schema_v1.json")
             || !strcmp(schema, "json_web_crypto_schema_v1.json")) {
        run_jws_file(rel, doc, t, p);
    }
    else if (!strcmp(schema, "ecdsa_p1363_verify_schema_v1.json")) {
        run_prim_file(rel, doc, P_ECDSA, t, p);
    }
    else if (!strcmp(schema, "rsassa_pkcs1_verify_schema_v1.json")) {
        run_prim_file(rel, doc, P_RSA, t, p);
    }
    else if (!strcmp(schema, "rsassa_pss_verify_schema_v1.json")) {
        run_prim_file(rel, doc, P_PSS, t, p);
    }
    else if (!strcmp(schema, "eddsa_verify_schema_v1.json")) {
        run_prim_file(rel, doc, P_EDDSA, t, p);
    }
    else if (!strcmp(schema, "mac_test_schema_v1.json")) {
        run_prim_file(rel, doc, P_HMAC, t, p);
    }
    else if (!strcmp(schema, "rsassa_pkcs1_generate_schema_v1.json")) {
        run_prim_file(rel, doc, P_GEN, t, p);
    }
    else {
        ok(0, "%s: schema %s has no runner", rel, schema);
    }
}

static int is_json_name(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

/* Every *.json of a folder under vdir, in name order. */
static void each_json(const char *dir, void (*fn)(const char *, apr_pool_t *),
                      apr_pool_t *p)
{
    struct dirent **names;
    apr_pool_t *fp;
    int i, n = scandir(apr_pstrcat(p, vdir, "/", dir, NULL), &names,
                       is_json_name, alphasort);
    if (n < 0) {
        ok(0, "%s/%s can be listed", vdir, dir);
        return;
    }
    apr_pool_create(&fp, p);
    for (i = 0; i < n; i++) {
        apr_pool_clear(fp);
        fn(apr_pstrcat(p, dir, "/", names[i]->d_name, NULL), fp);
        free(names[i]);
    }
    free(names);
    apr_pool_destroy(fp);
}

static void wycheproof(apr_pool_t *p)
{
    started = apr_time_now();
    if (!ok(expectations != NULL, "expectations.json loads")) {
        diag("without it, overrides and acceptable cases fail");
    }
    each_json(WYCHE, run_file, p);
}

static void rfc_examples(apr_pool_t *p)
{
    run_file("rfc-examples/rfc_jose_examples_jws_test.json", p);
}

/* ------------------------------------------ jose-cookbook and latchset */

/* One compact token through the JWS layer with want = X_VALID/INVALID. */
static void check_token(tally_t *t, const char *what, ajwt_status_t kst,
                        const ajwt_err_t *kerr, const ajwt_keyset_t *ks,
                        const char *tok, expect_t want, apr_pool_t *p)
{
    ajwt_err_t err = { 0 };
    int acc = 0;
    t->seen++;
    if (kst != AJWT_OK) {
        err = *kerr;
        t->nokey++;
    }
    else {
        acc = jws_accepts(ks, tok, strlen(tok), &err, p);
    }
    report(t, what, NULL, want, acc, &err, p);
}

/* The decoded header of a compact token (for crit), or NULL. */
static json_t *token_header(const char *tok, apr_pool_t *p)
{
    const char *dot = strchr(tok, '.');
    apr_size_t len;
    unsigned char *h;
    if (!dot || !(h = b64u_decode(tok, dot - tok, &len, p))) {
        return NULL;
    }
    return own(json_loadb((char *)h, len, 0, NULL), p);
}

/*
 * A cookbook example: output.compact with input.key must verify, unless
 * its content is detached (empty payload segment) or its header has crit
 * (RFC 7797 b64): those are refused by a JWT verifier. Its JSON
 * serializations, fed as token strings, are refused.
 */
static void cookbook_file(const char *rel, apr_pool_t *p)
{
    static const char *const forms[] = { "json", "json_flat", NULL };
    json_t *doc = load_json(rel, p), *key, *out, *form;
    const char *compact;
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t kerr = { 0 };
    ajwt_status_t kst;
    tally_t *t;
    int i;

    if (!doc) {
        return;
    }
    t = tally_get(rel);
    key = json_object_get(json_object_get(doc, "input"), "key");
    if (json_is_array(key)) {
        key = json_array_get(key, 0);   /* 4.8: JSON serialization only */
    }
    kst = load_jwk(&ks, public_only(key, p), p, &kerr);
    out = json_object_get(doc, "output");
    compact = json_string_value(json_object_get(out, "compact"));
    if (compact) {
        const char *dot = strchr(compact, '.');
        json_t *h = token_header(compact, p);
        expect_t want = X_VALID;
        const char *why = "valid signature";
        if (dot && dot[1] == '.') {
            want = X_INVALID;
            why = "detached content";
        }
        else if (!h || json_object_get(h, "crit")) {
            want = X_INVALID;
            why = "crit header";
        }
        check_token(t, apr_psprintf(p, "compact, %s", why), kst, &kerr, ks,
                    compact, want, p);
    }
    for (i = 0; forms[i]; i++) {
        char *s;
        if (!(form = json_object_get(out, forms[i]))) {
            continue;
        }
        s = json_dumps(form, JSON_COMPACT);
        check_token(t, apr_psprintf(p, "%s serialization as a string",
                                    forms[i]),
                    kst, &kerr, ks, s ? s : "", X_INVALID, p);
        free(s);
    }
}

/* RFC 7520 section 3 keys: each is a usable signing key. */
static void cookbook_jwk(const char *rel, apr_pool_t *p)
{
    json_t *doc = load_json(rel, p);
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    tally_t *t;
    if (!doc) {
        return;
    }
    t = tally_get(rel);
    load_jwk(&ks, doc, p, &err);
    extra(t, err.status == AJWT_OK && ajwt_keyset_count(ks) == 1,
          "loads as one signing key (%s, %d keys)", err_str(&err, p),
          ajwt_keyset_count(ks));
}

static void jose_cookbook(apr_pool_t *p)
{
    each_json("jose-cookbook/jws", cookbook_file, p);
    each_json("jose-cookbook/curve25519", cookbook_file, p);
    each_json("jose-cookbook/rfc7797", cookbook_file, p);
    each_json("jose-cookbook/jwk", cookbook_jwk, p);
}

#define LATCH "latchset-jose/tests/vectors/"

/* A whole small file, trailing white space cut; NULL if unreadable. */
static char *read_text(const char *rel, apr_pool_t *p)
{
    const char *path = apr_pstrcat(p, vdir, "/", rel, NULL);
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (!f) {
        ok(0, "%s can be read", rel);
        return NULL;
    }
    buf = apr_palloc(p, 65536);
    n = fread(buf, 1, 65535, f);
    fclose(f);
    while (n > 0 && strchr(" \t\r\n", buf[n - 1])) {
        n--;
    }
    buf[n] = 0;
    return buf;
}

static void latch_token(const char *tokfile, const char *keyfile,
                        expect_t want, const char *why, apr_pool_t *p)
{
    const char *tok = read_text(apr_pstrcat(p, LATCH, tokfile, NULL), p);
    const char *kt = read_text(apr_pstrcat(p, LATCH, keyfile, NULL), p);
    json_t *key = kt ? own(json_loads(kt, 0, NULL), p) : NULL;
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t kerr = { 0 };
    ajwt_status_t kst;
    tally_t *t = tally_get(apr_pstrcat(p, LATCH, tokfile, NULL));
    if (!tok || !key) {
        t->extra_failed++;
        ok(0, "%s with %s: runner cannot read them", tokfile, keyfile);
        return;
    }
    kst = load_jwk(&ks, public_only(key, p), p, &kerr);
    check_token(t, apr_psprintf(p, "with %s, %s", keyfile, why), kst, &kerr,
                ks, tok, want, p);
}

static void latch_keys(const char *keyfile, int want_count, apr_pool_t *p)
{
    const char *kt = read_text(apr_pstrcat(p, LATCH, keyfile, NULL), p);
    json_t *key = kt ? own(json_loads(kt, 0, NULL), p) : NULL;
    ajwt_keyset_t *ks = NULL;
    ajwt_err_t err = { 0 };
    tally_t *t = tally_get(apr_pstrcat(p, LATCH, keyfile, NULL));
    if (!key) {
        extra(t, 0, "runner cannot read it");
        return;
    }
    load_jwk(&ks, key, p, &err);
    if (want_count < 0) {
        diag("%s%s loads: %s, %d usable keys (not checked: RFC 7517 "
             "example, no verdict in README)", LATCH, keyfile,
             err_str(&err, p), ajwt_keyset_count(ks));
        return;
    }
    extra(t, err.status == AJWT_OK && ajwt_keyset_count(ks) == want_count,
          "loads with %d usable key(s), \"enc\" keys skipped (%s, got %d)",
          want_count, err_str(&err, p), ajwt_keyset_count(ks));
}

static void latchset(apr_pool_t *p)
{
    latch_token("rfc7515_A.1.jwsc", "rfc7515_A.1.jwk", X_VALID,
                "HS256", p);
    latch_token("rfc7515_A.2.jwsc", "rfc7515_A.2.jwk", X_VALID,
                "RS256", p);
    latch_token("rfc7515_A.3.jwsc", "rfc7515_A.3.jwk", X_VALID,
                "ES256, high S", p);
    latch_token("rfc7515_A.4.jwsc", "rfc7515_A.4.jwk", X_VALID,
                "ES512", p);
    latch_token("rfc7515_A.5.jwsc", "rfc7515_A.1.jwk", X_INVALID,
                "alg none", p);
    latch_token("rfc7515_A.6.jwsg", "rfc7515_A.6.jwkset", X_INVALID,
                "general JSON serialization", p);
    latch_token("rfc7515_A.7.jwsf", "rfc7515_A.3.jwk", X_INVALID,
                "flattened JSON serialization", p);
    latch_keys("rfc7517_A.1.jwkset", 1, p);
    latch_keys("rfc7517_A.2.jwkset", 1, p);
    latch_keys("rfc7517_A.3.jwkset", -1, p);
    latch_keys("rfc7517_B.jwk", -1, p);
}

/* ----------------------------------------------------------- coverage */

/* README.md "Files and test counts", and the skips the mapping implies. */
static const struct {
    const char *file;
    int tests, skips;
} readme[] = {
    { WYCHE "/json_web_signature_test.json", 401, 0 },
    { WYCHE "/json_web_key_test.json", 26, 0 },
    { WYCHE "/json_web_crypto_test.json", 83, 34 },
    { WYCHE "/ecdsa_secp256r1_sha256_p1363_test.json", 262, 0 },
    { WYCHE "/ecdsa_secp384r1_sha384_p1363_test.json", 280, 0 },
    { WYCHE "/ecdsa_secp521r1_sha512_p1363_test.json", 318, 0 },
    { WYCHE "/rsa_signature_2048_sha256_test.json", 259, 0 },
    { WYCHE "/rsa_signature_2048_sha384_test.json", 258, 0 },
    { WYCHE "/rsa_signature_2048_sha512_test.json", 259, 0 },
    { WYCHE "/rsa_signature_3072_sha256_test.json", 259, 0 },
    { WYCHE "/rsa_signature_3072_sha384_test.json", 259, 0 },
    { WYCHE "/rsa_signature_3072_sha512_test.json", 260, 0 },
    { WYCHE "/rsa_signature_4096_sha256_test.json", 258, 0 },
    { WYCHE "/rsa_signature_4096_sha384_test.json", 259, 0 },
    { WYCHE "/rsa_signature_4096_sha512_test.json", 259, 0 },
    { WYCHE "/rsa_signature_8192_sha256_test.json", 258, 0 },
    { WYCHE "/rsa_signature_8192_sha384_test.json", 259, 0 },
    { WYCHE "/rsa_signature_8192_sha512_test.json", 259, 0 },
    { WYCHE "/rsa_pss_2048_sha256_mgf1_32_test.json", 108, 0 },
    { WYCHE "/rsa_pss_3072_sha256_mgf1_32_test.json", 108, 0 },
    { WYCHE "/rsa_pss_4096_sha256_mgf1_32_test.json", 108, 0 },
    { WYCHE "/rsa_pss_2048_sha384_mgf1_48_test.json", 141, 0 },
    { WYCHE "/rsa_pss_4096_sha384_mgf1_48_test.json", 141, 0 },
    { WYCHE "/rsa_pss_4096_sha512_mgf1_64_test.json", 179, 0 },
    { WYCHE "/rsa_pss_misc_test.json", 150, 60 },
    { WYCHE "/ed25519_test.json", 151, 0 },
    { WYCHE "/hmac_sha256_test.json", 174, 6 },
    { WYCHE "/hmac_sha384_test.json", 174, 6 },
    { WYCHE "/hmac_sha512_test.json", 174, 6 },
    { WYCHE "/rsa_pkcs1_2048_sig_gen_test.json", 43, 19 },
    { WYCHE "/rsa_pkcs1_3072_sig_gen_test.json", 26, 2 },
    { WYCHE "/rsa_pkcs1_4096_sig_gen_test.json", 24, 0 },
    { "rfc-examples/rfc_jose_examples_jws_test.json", 17, 0 },
};

static void coverage(apr_pool_t *p)
{
    size_t i;
    int want_over = 0;
    json_t *e;
    (void)p;
    for (i = 0; i < sizeof(readme) / sizeof(readme[0]); i++) {
        tally_t *t = NULL;
        int j;
        for (j = 0; j < ntallies; j++) {
            if (!strcmp(tallies[j].name, readme[i].file)) {
                t = &tallies[j];
            }
        }
        if (!t) {
            ok(0, "%s was run", readme[i].file);
            continue;
        }
        ok(t->declared == readme[i].tests && t->seen == readme[i].tests
           && t->agreed + t->failed + t->skip_jwe + t->skip_na == t->seen
           && t->skip_jwe + t->skip_na == readme[i].skips,
           "%s: all %d tests accounted for (numberOfTests %d, seen %d, "
           "compared %d, skipped %d of %d expected)", t->name,
           readme[i].tests, t->declared, t->seen, t->agreed + t->failed,
           t->skip_jwe + t->skip_na, readme[i].skips);
    }
    json_array_foreach(json_object_get(expectations, "overrides"), i, e) {
        want_over += (int)json_array_size(json_object_get(e, "tcIds"));
    }
    ok(overrides_applied == want_over, "every override of "
       "expectations.json was applied (%d of %d)", overrides_applied,
       want_over);
    ok(acceptable_seen == 25, "README's 25 acceptable cases were met (%d)",
       acceptable_seen);
    ok(acceptable_resolved == acceptable_seen, "every acceptable case has a "
       "verdict in expectations.json (%d of %d)", acceptable_resolved,
       acceptable_seen);
}

static void summary(apr_pool_t *p)
{
    int i, agreed = 0, failed = 0, jwe = 0, na = 0, xo = 0, xf = 0;
    double secs = (double)(apr_time_now() - started) / APR_USEC_PER_SEC;
    (void)p;
    for (i = 0; i < ntallies; i++) {
        const tally_t *t = &tallies[i];
        diag("%-60s agreed %4d/%-4d skipped %d%s%s%s%s", t->name,
             t->agreed, t->agreed + t->failed, t->skip_jwe + t->skip_na,
             t->skip_jwe ? " (JWE)" : t->skip_na ? " (not applicable)" : "",
             t->nokey ? apr_psprintf(p, ", %d refused at key load", t->nokey)
             : "",
             t->extra_ok + t->extra_failed ? ", other checks " : "",
             t->extra_ok + t->extra_failed
             ? apr_psprintf(p, "%d/%d", t->extra_ok,
                            t->extra_ok + t->extra_failed) : "");
        agreed += t->agreed;
        failed += t->failed;
        jwe += t->skip_jwe;
        na += t->skip_na;
        xo += t->extra_ok;
        xf += t->extra_failed;
    }
    diag("total: %d vectors agree, %d disagree; skipped %d JWE tests "
         "(json_web_crypto jwe_aes, jwe_ec: not for a JWS verifier) and "
         "%d not applicable; other checks %d/%d; %.1f s", agreed, failed,
         jwe, na, xo, xo + xf, secs);
    if (secs > 60) {
        diag("WARNING: the runner took more than 60 s");
    }
}

int main(void)
{
    struct stat st;
    char path[4096];
    const char *v = getenv("AJWT_VECTORS");
    unit_fn fns[] = { wycheproof, rfc_examples, jose_cookbook, latchset,
                      coverage, summary };
    int rc;

    vdir = v && *v ? v : "../shared/vectors";
    verbose = getenv("AJWT_CONF_VERBOSE") != NULL;
    if (stat(vdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("1..0 # SKIP no vectors at %s\n", vdir);
        return 0;
    }
    snprintf(path, sizeof(path), "%s/expectations.json", vdir);
    expectations = json_load_file(path, 0, NULL);
    rc = unit_main("wycheproof, rfc_examples, jose_cookbook, latchset, "
                   "coverage, summary", fns, sizeof(fns) / sizeof(fns[0]));
    json_decref(expectations);
    return rc;
}
