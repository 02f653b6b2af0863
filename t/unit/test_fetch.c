/* t/unit/test_fetch.c: placeholder while being written */
#include "unit.h"
#include "ajwt_fetch.h"
static void placeholder(apr_pool_t *p) { ok(1, "builds"); }
UNIT_MAIN(placeholder)
