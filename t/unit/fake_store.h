/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake_store.h: one in-memory revocation store for the unit tests of what
 * sits on the store interface (ajwt_issue, ajwt_lockout, ajwt_revoke), so
 * that their tests do not each keep a copy that drifts from the others.
 *
 *   fake_t *f;
 *   ajwt_store_t *st = fake(p, &f);        put, get and incr; no get_many
 *   f->fail = 1;                           every call: AJWT_ESTORE
 *   f->key[f->last], f->expires[f->last]   what the last put stored
 *
 * Entries are kept in a table of FAKE_MAX slots in the order first put
 * (f->key[0] is the first key written); a put to a full table is
 * AJWT_EINTERNAL, which no test of ours should reach. An entry expired at
 * now is absent to get and incr but keeps its slot. There is no get_many,
 * so ajwt_store_check() reads the fake key by key, through get.
 *
 * Everything is static and marked unused (FAKE_FN, as FX_FN in
 * fixtures.h), so a test includes it without -Werror complaints.
 */
#ifndef AJWT_FAKE_STORE_H
#define AJWT_FAKE_STORE_H

#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "ajwt.h"
#include "ajwt_store.h"

#define FAKE_FN static __attribute__((unused))

#define FAKE_MAX 32

/*
 * Runs inside a put, before it is stored: another process's write that
 * lands between a caller's read and its write. st is the fake itself, so
 * the hook may call the store (its own puts do not run it again).
 */
typedef ajwt_status_t (*fake_hook_fn)(ajwt_store_t *st, void *ctx,
                                      apr_int64_t expires, apr_int64_t now,
                                      ajwt_err_t *err);

typedef struct {
    char key[FAKE_MAX][AJWT_STORE_KEY_MAX];
    apr_int64_t value[FAKE_MAX], expires[FAKE_MAX];
    int n;                  /* slots in use */
    int last;               /* slot of the last put stored (0 before any) */
    int fail;               /* set: every put, get and incr is AJWT_ESTORE */
    int puts, incrs;        /* puts stored, incrs that reached the table */
    char fail_key[AJWT_STORE_KEY_MAX];  /* the next put of it fails, once */
    /*
     * Just before the next put of a non-zero value to hook_key (a write,
     * not a revocation mark of 0), hook_key is cleared and hook runs with
     * hook_ctx; a failure of hook fails that put, nothing stored.
     */
    char hook_key[AJWT_STORE_KEY_MAX];
    fake_hook_fn hook;
    void *hook_ctx;
} fake_t;

FAKE_FN int fake_find(const fake_t *f, const char *key)
{
    int i;
    for (i = 0; i < f->n; i++) {
        if (!strcmp(f->key[i], key)) {
            return i;
        }
    }
    return -1;
}

FAKE_FN ajwt_status_t fake_put(ajwt_store_t *st, const char *key,
                               apr_int64_t value, apr_int64_t expires,
                               apr_int64_t now, ajwt_err_t *err)
{
    fake_t *f = st->impl;
    int i;

    if (f->fail) {
        return ajwt_err_set(err, AJWT_ESTORE, "fake store down");
    }
    if (f->fail_key[0] && !strcmp(key, f->fail_key)) {
        f->fail_key[0] = '\0';
        return ajwt_err_set(err, AJWT_ESTORE, "fake store: put lost");
    }
    if (f->hook_key[0] && value > 0 && !strcmp(key, f->hook_key)) {
        ajwt_status_t rc;
        f->hook_key[0] = '\0';
        if (f->hook && (rc = f->hook(st, f->hook_ctx, expires, now, err))) {
            return rc;
        }
    }
    /* looked up after the hook: it may have written this very key */
    if ((i = fake_find(f, key)) < 0) {
        if (f->n == FAKE_MAX) {
            return ajwt_err_set(err, AJWT_EINTERNAL, "fake store full");
        }
        i = f->n++;
    }
    f->puts++;
    apr_cpystrn(f->key[i], key, AJWT_STORE_KEY_MAX);
    f->value[i] = value;
    f->expires[i] = expires;
    f->last = i;
    return AJWT_OK;
}

FAKE_FN ajwt_status_t fake_get(ajwt_store_t *st, const char *key,
                               apr_int64_t *value, int *found,
                               apr_int64_t now, ajwt_err_t *err)
{
    fake_t *f = st->impl;
    int i = fake_find(f, key);

    *found = 0;
    if (f->fail) {
        return ajwt_err_set(err, AJWT_ESTORE, "fake store down");
    }
    if (i >= 0 && f->expires[i] > now) {
        *value = f->value[i];
        *found = 1;
    }
    return AJWT_OK;
}

/* Adds 1 in place (no put, the expiry kept); an absent key is a put of 1. */
FAKE_FN ajwt_status_t fake_incr(ajwt_store_t *st, const char *key,
                                apr_int64_t *value, apr_int64_t expires,
                                apr_int64_t now, ajwt_err_t *err)
{
    fake_t *f = st->impl;
    int i = fake_find(f, key);

    if (f->fail) {
        return ajwt_err_set(err, AJWT_ESTORE, "fake store down");
    }
    f->incrs++;
    if (i >= 0 && f->expires[i] > now) {
        *value = ++f->value[i];
        return AJWT_OK;
    }
    *value = 1;
    return fake_put(st, key, 1, expires, now, err);
}

static const ajwt_store_ops_t fake_ops __attribute__((unused)) = {
    "fake", fake_put, fake_get, fake_incr, NULL
};

/* An empty fake and its store, both from p; *f is for the knobs. */
FAKE_FN ajwt_store_t *fake(apr_pool_t *p, fake_t **f)
{
    ajwt_store_t *st = apr_pcalloc(p, sizeof(*st));
    *f = apr_pcalloc(p, sizeof(**f));
    st->ops = &fake_ops;
    st->impl = *f;
    return st;
}

#endif
