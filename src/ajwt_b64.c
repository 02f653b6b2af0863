/* placeholder: being written */
#include "ajwt_b64.h"
