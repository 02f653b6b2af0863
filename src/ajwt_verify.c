/* placeholder: being written */
#include "ajwt_verify.h"
