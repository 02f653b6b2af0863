/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lockout.c: unit tests of src/ajwt_lockout.c: failed logins counted
 * per account and per address, the lockout window and its Retry-After, a
 * good login clearing the account only; with a fake store and the real
 * shm store.
 */
#include "unit.h"
#include "fake_store.h"
#include "ajwt_lockout.h"

#define NOW     APR_INT64_C(1700000000)
#define E (memset(&err, 0, sizeof(err)), &err)

/* ------------------------------------------------------------ stores */

static ajwt_store_t *shm(apr_pool_t *p)
{
    ajwt_store_t *st = NULL;
    ajwt_err_t err = { 0 };
    apr_size_t size = 64 * 1024;
    void *base = apr_palloc(p, size);
    if (ajwt_store_shm_init(&st, base, size, NULL, p, &err)) {
        diag("shm store: %s", err.text);
        exit(1);
    }
    return st;
}

/* ------------------------------------------------------------ cases */

static void lockout_on(ajwt_store_t *st, const char *name)
{
    ajwt_err_t err = { 0 };
    apr_int64_t ra = -1;
    int i;

    for (i = 0; i < 3; i++) {
        is_int(ajwt_lockout_check(st, "dave", "192.0.2.1", 3, NOW + i, &ra,
                                  E), AJWT_OK, "%s: attempt %d allowed",
               name, i + 1);
        is_int(ajwt_lockout_fail(st, "dave", "192.0.2.1", 60, NOW + i, E),
               AJWT_OK, "%s: failure %d counted", name, i + 1);
    }
    is_int(ajwt_lockout_check(st, "dave", "192.0.2.9", 3, NOW + 10, &ra, E),
           AJWT_ELOCKED, "%s: account locked from another address", name);
    is_int(ra, 50, "%s: retry after the window's rest", name);
    ok(!strstr(err.text, "dave"), "%s: user not in the text: %s", name,
       err.text);
    is_int(ajwt_lockout_check(st, "erin", "192.0.2.1", 3, NOW + 10, &ra, E),
           AJWT_ELOCKED, "%s: address locked for another account", name);
    is_int(ajwt_lockout_check(st, "erin", "192.0.2.9", 3, NOW + 10, &ra, E),
           AJWT_OK, "%s: other account, other address", name);
    is_int(ajwt_lockout_check(st, "dave", "192.0.2.9", 4, NOW + 10, &ra, E),
           AJWT_OK, "%s: a higher limit is not reached", name);
    is_int(ajwt_lockout_check(st, "dave", NULL, 3, NOW + 59, &ra, E),
           AJWT_ELOCKED, "%s: still locked at the window's last second",
           name);
    is_int(ra, 1, "%s: retry after >= 1", name);
    is_int(ajwt_lockout_check(st, "dave", "192.0.2.1", 3, NOW + 60, &ra, E),
           AJWT_OK, "%s: window over", name);
    is_int(ajwt_lockout_check(st, "dave", "192.0.2.1", 0, NOW, &ra, E),
           AJWT_OK, "%s: attempts 0 never locks", name);

    /* a good login clears the account, not the address */
    for (i = 0; i < 2; i++) {
        ajwt_lockout_fail(st, "frank", "198.51.100.7", 60, NOW + 100, E);
    }
    is_int(ajwt_lockout_clear(st, "frank", NOW + 101, E), AJWT_OK,
           "%s: clear", name);
    ajwt_lockout_fail(st, "frank", "198.51.100.8", 60, NOW + 103, E);
    is_int(ajwt_lockout_check(st, "frank", NULL, 2, NOW + 103, &ra, E),
           AJWT_OK, "%s: account count restarted after clear", name);
    ajwt_lockout_fail(st, "grace", "198.51.100.7", 60, NOW + 103, E);
    is_int(ajwt_lockout_check(st, "grace", "198.51.100.7", 3, NOW + 103,
                              &ra, E), AJWT_ELOCKED,
           "%s: the address kept its count", name);
}

static void lockout(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f), *none;
    ajwt_err_t err = { 0 };
    apr_int64_t ra;
    static const ajwt_store_ops_t no_incr = { "old", fake_put, fake_get,
                                              NULL };

    lockout_on(st, "fake");
    lockout_on(shm(p), "shm");
    f->fail = 1;
    is_int(ajwt_lockout_check(st, "x", "y", 3, NOW, &ra, E), AJWT_ESTORE,
           "store down: check");
    is_int(ajwt_lockout_fail(st, "x", "y", 60, NOW, E), AJWT_ESTORE,
           "store down: fail");
    none = apr_pcalloc(p, sizeof(*none));
    none->ops = &no_incr;
    none->impl = f;
    f->fail = 0;
    is_int(ajwt_lockout_fail(none, "x", "y", 60, NOW, E), AJWT_ECONFIG,
           "a store without incr");
}

/* No store, a window under a second, a clear without a user. */
static void edges(apr_pool_t *p)
{
    fake_t *f;
    ajwt_store_t *st = fake(p, &f);
    ajwt_err_t err = { 0 };
    apr_int64_t ra = -1;

    is_int(ajwt_lockout_check(NULL, "u", "a", 3, NOW, &ra, E), AJWT_ECONFIG,
           "check without a store");
    ok(strstr(err.text, "AuthJWTRevocationStore") != NULL, "reason: %s",
       err.text);
    is_int(ajwt_lockout_check(NULL, "u", "a", 0, NOW, &ra, E), AJWT_OK,
           "no lockout configured: no store needed");
    is_int(ajwt_lockout_fail(NULL, "u", "a", 60, NOW, E), AJWT_ECONFIG,
           "fail without a store");
    is_int(ajwt_lockout_clear(NULL, "u", NOW, E), AJWT_ECONFIG,
           "clear without a store");
    is_int(ajwt_lockout_clear(st, NULL, NOW, E), AJWT_OK,
           "clear without a user");
    is_int(f->n, 0, "... writes nothing");

    /* a window of 0 counts for one second */
    ajwt_lockout_fail(st, "w", NULL, 0, NOW, E);
    is_int(ajwt_lockout_check(st, "w", NULL, 1, NOW, &ra, E), AJWT_ELOCKED,
           "window 0: locked at once");
    is_int(ra, 1, "for a second");
    is_int(ajwt_lockout_check(st, "w", NULL, 1, NOW + 1, &ra, E), AJWT_OK,
           "and over after it");

    /* neither user nor address: nothing is counted */
    is_int(ajwt_lockout_fail(st, NULL, NULL, 60, NOW, E), AJWT_OK,
           "fail with neither");
    is_int(ajwt_lockout_check(st, NULL, NULL, 1, NOW, &ra, E), AJWT_OK,
           "check with neither");
}

UNIT_MAIN(lockout, edges)
