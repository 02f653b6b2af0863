/* placeholder: being written */
#include "ajwt_web.h"
