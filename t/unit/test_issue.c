/*
 * test_issue.c: unit tests of src/ajwt_issue.c (being written).
 */
#include "unit.h"
#include "ajwt_issue.h"

static void placeholder(apr_pool_t *p)
{
    (void)p;
    ok(1, "builds");
}

UNIT_MAIN(placeholder)
