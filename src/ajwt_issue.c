/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_issue.c: build and sign access and refresh tokens, check refresh
 * tokens, keep refresh families in the store.
 *
 * Tokens are built as Jansson objects and signed by ajwt_jws_sign(), so
 * every string (sub, roles from the role file) is JSON-escaped by the
 * library, never pasted into text.
 */
#include <string.h>
#include <apr_strings.h>
#include <openssl/rand.h>
#include "ajwt_b64.h"
#include "ajwt_claims.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_issue.h"

#define FAMILY_PREFIX       "ajwt:f:"
#define FAMILY_CLAIM_PREFIX "ajwt:f:r:"   /* + hash(family key.gen) */
#define FAMILY_DEAD_PREFIX  AJWT_STORE_FAMILY_DEAD_PREFIX  /* + hash(fam) */

const char *ajwt_issue_new_id(apr_pool_t *p)
{
    unsigned char r[16];

    if (RAND_bytes(r, sizeof(r)) != 1) {
        return NULL;
    }
    return ajwt_b64_encode(r, sizeof(r), p);
}

static const char *aud_of(const ajwt_issuer_t *is)
{
    return is->aud ? is->aud : is->iss;
}

/* The claims every issued token shares; NULL on allocation failure. */
static json_t *base_claims(const ajwt_issuer_t *is, const char *sub,
                           const char *jti, apr_int64_t now, int ttl)
{
    json_t *o = json_object();

    if (!o
        || json_object_set_new(o, "iss", json_string(is->iss))
        || json_object_set_new(o, "sub", json_string(sub))
        || json_object_set_new(o, "aud", json_string(aud_of(is)))
        || json_object_set_new(o, "iat", json_integer(now))
        || json_object_set_new(o, "exp", json_integer(now + ttl))
        || json_object_set_new(o, "jti", json_string(jti))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static ajwt_status_t check_issuer(const ajwt_issuer_t *is, const char *sub,
                                  ajwt_err_t *err)
{
    if (!is || !is->key || !is->alg || !is->iss) {
        return ajwt_err_set(err, AJWT_ECONFIG, "issuer without key, "
                            "algorithm or iss");
    }
    if (!(is->key->algs & AJWT_ALG_BIT(is->alg->id))) {
        return ajwt_err_set(err, AJWT_ECONFIG, "signing key does not fit "
                            "%s", is->alg->name);
    }
    if (!sub || !*sub) {
        return ajwt_err_set(err, AJWT_ECLAIM, "no sub to issue a token for");
    }
    if (ajwt_json_has_ctl(sub)) {
        return ajwt_err_set(err, AJWT_ECLAIM, "sub holds a control "
                            "character");
    }
    return AJWT_OK;
}

static ajwt_status_t sign(char **token, const ajwt_issuer_t *is,
                          const char *typ, json_t *claims, apr_pool_t *p,
                          ajwt_err_t *err)
{
    json_t *h = json_pack("{s:s}", "typ", typ);
    ajwt_status_t st;

    if (!h) {
        json_decref(claims);
        return ajwt_err_set(err, AJWT_EINTERNAL, "out of memory");
    }
    ajwt_json_own(h, p);
    ajwt_json_own(claims, p);
    st = ajwt_jws_sign(token, is->alg, is->key, h, claims, p, err);
    return st;
}

ajwt_status_t ajwt_issue_access(char **token, const char **jti,
                                const ajwt_issuer_t *is, const char *sub,
                                const apr_array_header_t *roles,
                                const char *sid, apr_int64_t now,
                                apr_pool_t *p, ajwt_err_t *err)
{
    json_t *c, *r;
    const char *id;
    ajwt_status_t st;
    int i;

    *token = NULL;
    if ((st = check_issuer(is, sub, err))) {
        return st;
    }
    if (!(id = ajwt_issue_new_id(p))) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "random generator failed");
    }
    if (!(c = base_claims(is, sub, id, now, is->access_ttl))) {
        return ajwt_err_set(err, AJWT_ECLAIM, "sub is not valid UTF-8 or "
                            "memory ran out");
    }
    r = json_array();
    for (i = 0; r && roles && i < roles->nelts; i++) {
        const char *role = APR_ARRAY_IDX(roles, i, const char *);
        if (!role || json_array_append_new(r, json_string(role))) {
            json_decref(r);
            json_decref(c);
            return ajwt_err_set(err, AJWT_ECLAIM, "a role for sub %s is not "
                                "valid UTF-8", sub);
        }
    }
    if (!r || json_object_set_new(c, "roles", r)
        || json_object_set_new(c, "client_id", json_string(aud_of(is)))
        || (sid && json_object_set_new(c, "sid", json_string(sid)))) {
        json_decref(c);
        return ajwt_err_set(err, AJWT_EINTERNAL, "out of memory");
    }
    if ((st = sign(token, is, AJWT_TYP_ACCESS, c, p, err))) {
        return st;
    }
    if (jti) {
        *jti = id;
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_issue_refresh(char **token, const ajwt_issuer_t *is,
                                 const char *sub, const char *fam,
                                 apr_int64_t gen, apr_int64_t now,
                                 apr_pool_t *p, ajwt_err_t *err)
{
    json_t *c;
    const char *id;
    ajwt_status_t st;

    *token = NULL;
    if ((st = check_issuer(is, sub, err))) {
        return st;
    }
    if (!fam || !*fam || gen < 1) {
        return ajwt_err_set(err, AJWT_ECLAIM, "refresh token for sub %s "
                            "without family or generation", sub);
    }
    if (!(id = ajwt_issue_new_id(p))) {
        return ajwt_err_set(err, AJWT_EINTERNAL, "random generator failed");
    }
    if (!(c = base_claims(is, sub, id, now, is->refresh_ttl))) {
        return ajwt_err_set(err, AJWT_ECLAIM, "sub is not valid UTF-8 or "
                            "memory ran out");
    }
    if (json_object_set_new(c, "fam", json_string(fam))
        || json_object_set_new(c, "gen", json_integer(gen))) {
        json_decref(c);
        return ajwt_err_set(err, AJWT_ECLAIM, "family id is not valid "
                            "UTF-8");
    }
    return sign(token, is, AJWT_TYP_REFRESH, c, p, err);
}

ajwt_status_t ajwt_issue_check_refresh(ajwt_refresh_t *out,
                                       const char *token,
                                       const ajwt_issuer_t *is, int leeway,
                                       apr_int64_t now, apr_pool_t *p,
                                       ajwt_err_t *err)
{
    ajwt_jws_t *jws;
    ajwt_keyset_t ks;
    const ajwt_key_t *key;
    const ajwt_alg_t *alg;
    int i;
    ajwt_claims_t *cl;
    ajwt_policy_t pol;
    apr_array_header_t *iss, *aud;
    json_t *fam, *gen;
    ajwt_status_t st;

    memset(out, 0, sizeof(*out));
    if (!is || !is->key || !is->alg || !is->iss) {
        return ajwt_err_set(err, AJWT_ECONFIG, "issuer without key, "
                            "algorithm or iss");
    }
    if (!token) {
        return ajwt_err_set(err, AJWT_ENOTOKEN, "no refresh token");
    }
    if ((st = ajwt_jws_parse(&jws, token, strlen(token), 0, 1, p, err))) {
        return st;
    }
    /* the token's kid picks one key: a retired one, else the current */
    key = is->key;
    alg = is->alg;
    for (i = 0; jws->kid && is->retired && i < is->retired->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(is->retired, i,
                                            const ajwt_key_t *);
        if (k && k->kid && k->algs && !strcmp(k->kid, jws->kid)) {
            key = k;
            alg = ajwt_alg_get((ajwt_alg_id_t)__builtin_ctz(k->algs));
            break;
        }
    }
    if (!alg || jws->alg != alg) {
        return ajwt_err_set(err, AJWT_EALG, "refresh token alg %s, not %s",
                            jws->alg ? jws->alg->name : "(unknown)",
                            alg ? alg->name : "(none)");
    }
    /* a one-key set on the stack: crit and kid rules as for any token */
    ks.keys = apr_array_make(p, 1, sizeof(const ajwt_key_t *));
    APR_ARRAY_PUSH(ks.keys, const ajwt_key_t *) = key;
    ks.algs = key->algs;
    ks.id = 0;
    if ((st = ajwt_jws_verify(NULL, jws, &ks, AJWT_ALG_BIT(alg->id),
                              err))) {
        return st;
    }
    if (!jws->typ || strcmp(jws->typ, AJWT_TYP_REFRESH)) {
        return ajwt_err_set(err, AJWT_EHEADER, "typ %s%s%s is not %s",
                            jws->typ ? "\"" : "",
                            jws->typ ? (ajwt_json_has_ctl(jws->typ) ? "?"
                                                                    : jws->typ)
                                     : "(absent)",
                            jws->typ ? "\"" : "", AJWT_TYP_REFRESH);
    }
    if ((st = ajwt_claims_read(&cl, jws->payload, p, err))) {
        return st;
    }
    iss = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(iss, const char *) = is->iss;
    aud = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(aud, const char *) = aud_of(is);
    memset(&pol, 0, sizeof(pol));
    pol.leeway = leeway >= 0 ? leeway : 0;
    pol.max_age = -1;
    pol.issuers = iss;
    pol.audiences = aud;
    if ((st = ajwt_claims_check(cl, &pol, apr_time_from_sec(now), err))) {
        return st;
    }
    if (!cl->has_iat || !cl->sub || !cl->jti) {
        return ajwt_err_set(err, AJWT_ECLAIM, "refresh token without "
                            "%s", !cl->has_iat ? "iat"
                                  : !cl->sub ? "sub" : "jti");
    }
    fam = json_object_get(jws->payload, "fam");
    gen = json_object_get(jws->payload, "gen");
    if (!json_is_string(fam) || !*json_string_value(fam)) {
        return ajwt_err_set(err, AJWT_ECLAIM, "refresh token jti %s: no "
                            "\"fam\" string", cl->jti);
    }
    if (!json_is_integer(gen) || json_integer_value(gen) < 1) {
        return ajwt_err_set(err, AJWT_ECLAIM, "refresh token jti %s: "
                            "\"gen\" is not an integer >= 1", cl->jti);
    }
    out->sub = cl->sub;
    out->jti = cl->jti;
    out->fam = apr_pstrdup(p, json_string_value(fam));
    out->gen = json_integer_value(gen);
    out->exp = cl->exp;
    out->iat = cl->iat;
    return AJWT_OK;
}

/* ------------------------------------------------------------ families */

static ajwt_status_t store_ready(ajwt_store_t *st, const char *what,
                                 ajwt_err_t *err)
{
    if (!st || !st->ops) {
        return ajwt_err_set(err, AJWT_ECONFIG, "%s needs a revocation "
                            "store (AuthJWTRevocationStore)", what);
    }
    return AJWT_OK;
}

ajwt_status_t ajwt_family_start(ajwt_store_t *st, const char *fam,
                                apr_int64_t expires, apr_int64_t now,
                                ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX];
    ajwt_status_t rc;

    if ((rc = store_ready(st, "refresh tokens", err))) {
        return rc;
    }
    ajwt_store_key_named(key, FAMILY_PREFIX, fam);
    return st->ops->put(st, key, 1, expires, now, err);
}

/*
 * The family entry holds the generation in its low FAMILY_GEN_BITS and, above
 * them, when that generation was handed out (0: at the login), so that a
 * loser of a concurrent rotation can tell how recent the rotation it lost to
 * is; one put writes both, so no reader sees one without the other.
 */
#define FAMILY_GEN_BITS     24
#define FAMILY_GEN_MAX      ((APR_INT64_C(1) << FAMILY_GEN_BITS) - 1)
#define FAMILY_TIME_MAX     ((APR_INT64_C(1) << 38) - 1)    /* year 10680 */

static apr_int64_t family_value(apr_int64_t gen, apr_int64_t when)
{
    if (when < 0 || when > FAMILY_TIME_MAX) {
        when = 0;
    }
    return (when << FAMILY_GEN_BITS) | gen;
}

ajwt_status_t ajwt_family_rotate(ajwt_store_t *st, const char *fam,
                                 apr_int64_t gen, apr_int64_t *next,
                                 int *why, apr_int64_t expires,
                                 apr_int64_t now, ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX], id[AJWT_STORE_KEY_MAX + 24];
    char claim[AJWT_STORE_KEY_MAX];
    apr_int64_t v = 0, cur, when, n = 0;
    int found = 0;
    ajwt_status_t rc;

    *why = 0;
    *next = 0;
    if ((rc = store_ready(st, "refresh tokens", err))) {
        return rc;
    }
    if (!st->ops->incr) {
        return ajwt_err_set(err, AJWT_ECONFIG, "the %s store cannot rotate "
                            "refresh tokens", st->ops->name);
    }
    ajwt_store_key_named(key, FAMILY_PREFIX, fam);
    if ((rc = st->ops->get(st, key, &v, &found, now, err))) {
        return rc;
    }
    cur = v > 0 ? (v & FAMILY_GEN_MAX) : 0;
    when = v > 0 ? (v >> FAMILY_GEN_BITS) : 0;
    if (!found || cur <= 0) {
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh family revoked or "
                            "unknown (generation %" APR_INT64_T_FMT ")", gen);
    }
    if (cur == gen + 1 && when > 0 && now - when <= AJWT_REFRESH_GRACE
        && when - now <= AJWT_REFRESH_GRACE) {
        /* another request rotated this very token a moment ago (a page's
         * parallel requests with the same cookies): refused, not reuse */
        *why = AJWT_ROTATE_RACED;
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh generation %"
                            APR_INT64_T_FMT " was rotated %" APR_INT64_T_FMT
                            " s ago by a concurrent request; no new tokens, "
                            "family kept", gen, now - when);
    }
    if (cur > gen) {
        /* an older token of the family came back: someone holds a copy */
        *why = AJWT_ROTATE_REUSE;
        if ((rc = ajwt_family_revoke(st, fam, expires, now, err))) {
            return rc;
        }
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh token reuse: "
                            "generation %" APR_INT64_T_FMT " presented, %"
                            APR_INT64_T_FMT " current; family revoked",
                            gen, cur);
    }
    if (cur < gen) {
        /* never handed out: the store lost an update; fail closed */
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh generation %"
                            APR_INT64_T_FMT " is ahead of the store (%"
                            APR_INT64_T_FMT ")", gen, cur);
    }
    if (gen >= FAMILY_GEN_MAX) {
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh family at its last "
                            "generation (%" APR_INT64_T_FMT "): log in again",
                            gen);
    }
    /*
     * The claim: the one request whose incr of (family, generation) makes
     * it 1 rotates; every other one, before or after the winner's put,
     * sees 2 or more. It matters only while the family is still at gen
     * (once the winner stored gen + 1, every use of this token is refused
     * above, before claiming), so it lives AJWT_REFRESH_GRACE seconds: a
     * winner whose put then failed (store away, process gone) blocks its
     * token for that long, not for the family's lifetime, and the next
     * use after it claims afresh. A second winner would need the first
     * one to stall that long between its incr and its put, which the
     * store's timeouts (well under a second) do not allow.
     */
    apr_snprintf(id, sizeof(id), "%s.%" APR_INT64_T_FMT, key, gen);
    ajwt_store_key_named(claim, FAMILY_CLAIM_PREFIX, id);
    if ((rc = st->ops->incr(st, claim, &n,
                            expires < now + AJWT_REFRESH_GRACE
                                ? expires : now + AJWT_REFRESH_GRACE,
                            now, err))) {
        return rc;
    }
    if (n != 1) {
        *why = AJWT_ROTATE_RACED;
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh generation %"
                            APR_INT64_T_FMT " is being rotated by a "
                            "concurrent request; no new tokens, family kept",
                            gen);
    }
    if ((rc = st->ops->put(st, key, family_value(gen + 1, now), expires,
                           now, err))) {
        return rc;
    }
    /*
     * A revocation (logout, reuse) that ran between our get and our put
     * was just overwritten with gen + 1. It wrote its mark before the
     * family's 0, and we read the mark after our put: whichever put came
     * last, one of us sees the other, so the family ends revoked.
     */
    ajwt_store_key_named(claim, FAMILY_DEAD_PREFIX, fam);
    found = 0;
    if ((rc = st->ops->get(st, claim, &v, &found, now, err))) {
        return rc;
    }
    if (found) {
        if ((rc = st->ops->put(st, key, 0, expires, now, err))) {
            return rc;
        }
        return ajwt_err_set(err, AJWT_EREVOKED, "refresh family revoked "
                            "while generation %" APR_INT64_T_FMT " was "
                            "being rotated", gen);
    }
    *next = gen + 1;
    return AJWT_OK;
}

ajwt_status_t ajwt_family_revoke(ajwt_store_t *st, const char *fam,
                                 apr_int64_t expires, apr_int64_t now,
                                 ajwt_err_t *err)
{
    char key[AJWT_STORE_KEY_MAX];
    ajwt_status_t rc;

    if ((rc = store_ready(st, "refresh tokens", err))) {
        return rc;
    }
    /* The mark first, then the family: see the end of rotate. */
    ajwt_store_key_named(key, FAMILY_DEAD_PREFIX, fam);
    if ((rc = st->ops->put(st, key, 1, expires, now, err))) {
        return rc;
    }
    ajwt_store_key_named(key, FAMILY_PREFIX, fam);
    return st->ops->put(st, key, 0, expires, now, err);
}
