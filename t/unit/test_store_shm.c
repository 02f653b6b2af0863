#include "unit.h"
static void todo(apr_pool_t *p) { (void)p; }
UNIT_MAIN(todo)
