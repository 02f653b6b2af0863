/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h: what every libFuzzer harness of the core shares.
 *
 * Each input runs in a pool of its own allocator, destroyed afterwards,
 * so that every byte the core took from APR goes back to malloc before
 * the next input: libFuzzer's per-input leak check (mallocs != frees)
 * then points at real leaks (an OpenSSL or Jansson object whose cleanup
 * was never registered), not at memory an allocator kept for reuse.
 *
 * The fixed clock of every harness is FZ_NOW (2023-11-14T22:13:20Z).
 */
#ifndef AJWT_FUZZ_COMMON_H
#define AJWT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#define FZ_NOW_SEC  APR_INT64_C(1700000000)
#define FZ_NOW      apr_time_from_sec(FZ_NOW_SEC)

static apr_pool_t *fz_global;   /* keys and policy: live for the run */

static __attribute__((unused, noreturn)) void fz_die(const char *what)
{
    fprintf(stderr, "fuzz harness: %s failed\n", what);
    abort();
}

static __attribute__((unused)) void fz_init(void)
{
    if (!fz_global) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&fz_global, NULL) != APR_SUCCESS) {
            fz_die("APR initialisation");
        }
        /*
         * Debian's APR takes pool memory with mmap(), which LeakSanitizer
         * does not scan: objects only a pool points at would be reported
         * at exit unless the pools are gone (their cleanups free them)
         * before the leak check, which runs after later atexit handlers.
         */
        atexit(apr_terminate);
    }
}

/* A pool with its own allocator; fz_pool_done() frees all of it. */
static __attribute__((unused)) apr_pool_t *fz_pool(void)
{
    apr_allocator_t *a;
    apr_pool_t *p;

    if (apr_allocator_create(&a) != APR_SUCCESS
        || apr_pool_create_unmanaged_ex(&p, NULL, a) != APR_SUCCESS) {
        fz_die("pool");
    }
    apr_allocator_owner_set(a, p);
    return p;
}

static __attribute__((unused)) void fz_pool_done(apr_pool_t *p)
{
    apr_pool_destroy(p);        /* runs the cleanups, frees the allocator */
}

/*
 * Split data at the first byte sep: *a (NUL-terminated copy of what is
 * before) and *b (copy of the rest, *blen bytes, NUL-terminated). Without
 * sep, *a is "" and *b is everything.
 */
static __attribute__((unused)) void fz_split(const uint8_t *data,
                                             size_t size, int sep,
                                             char **a, char **b,
                                             size_t *blen, apr_pool_t *p)
{
    const uint8_t *s = memchr(data, sep, size);

    if (!s) {
        *a = apr_pstrdup(p, "");
        *b = apr_pstrmemdup(p, (const char *)data, size);
        *blen = size;
        return;
    }
    *a = apr_pstrmemdup(p, (const char *)data, s - data);
    *b = apr_pstrmemdup(p, (const char *)s + 1, size - (s - data) - 1);
    *blen = size - (s - data) - 1;
}

#endif
