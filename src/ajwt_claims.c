/* placeholder: being written */
#include "ajwt_claims.h"
