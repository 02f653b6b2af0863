/* placeholder: being written */
#include "ajwt_alg.h"
