/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit.h: a tiny TAP harness for the unit tests of src/ (no httpd).
 *
 *   static void case_name(apr_pool_t *p) { ok(expr, "what"); ... }
 *   UNIT_MAIN(case_a, case_b)
 *
 * Each case gets a fresh pool; "1..N" is printed at the end and the
 * program exits 1 if any check failed.
 */
#ifndef AJWT_UNIT_H
#define AJWT_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

static int unit_n, unit_failed;
static const char *unit_case;

static int unit_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), unused));
static int unit_ok(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - %s: ", cond ? "ok" : "not ok", ++unit_n, unit_case);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        unit_failed++;
        printf("#   failed at %s line %d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, ...) unit_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
    ((void)(unit_ok((long long)(got) == (long long)(want), __FILE__, \
                    __LINE__, __VA_ARGS__) || \
            printf("#   got %lld, want %lld\n", (long long)(got), \
                   (long long)(want))))
#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

typedef void (*unit_fn)(apr_pool_t *);

static int unit_main(const char *names, unit_fn *fns, int n)
{
    apr_pool_t *root;
    char *copy = strdup(names), *save = NULL, *name;
    int i;
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&root, NULL);
    name = strtok_r(copy, ", \t\n", &save);
    for (i = 0; i < n; i++) {
        apr_pool_t *p;
        apr_pool_create(&p, root);
        unit_case = name ? name : "?";
        fns[i](p);
        apr_pool_destroy(p);
        name = strtok_r(NULL, ", \t\n", &save);
    }
    printf("1..%d\n", unit_n);
    apr_pool_destroy(root);
    free(copy);
    return unit_failed ? 1 : 0;
}

#define UNIT_MAIN(...) \
    int main(void) \
    { \
        unit_fn fns[] = { __VA_ARGS__ }; \
        return unit_main(#__VA_ARGS__, fns, sizeof(fns) / sizeof(fns[0])); \
    }

#endif
