/* t/unit/test_jwks.c: placeholder while being written */
#include "unit.h"
#include "ajwt_jwks.h"
static void placeholder(apr_pool_t *p) { ok(1, "builds"); }
UNIT_MAIN(placeholder)
