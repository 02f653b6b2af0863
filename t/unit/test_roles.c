/*
 * test_roles.c: unit tests of src/ajwt_roles.c (being written).
 */
#include "unit.h"
#include "ajwt_roles.h"

static void placeholder(apr_pool_t *p)
{
    (void)p;
    ok(1, "builds");
}

UNIT_MAIN(placeholder)
