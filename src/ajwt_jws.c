/* placeholder: being written */
#include "ajwt_jws.h"
