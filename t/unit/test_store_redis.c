/* placeholder until the backend's tests land */
#include "unit.h"

static void placeholder(apr_pool_t *p)
{
    ok(1, "nothing yet");
}

UNIT_MAIN(placeholder)
