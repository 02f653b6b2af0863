/* placeholder: being written */
#include "ajwt_key.h"
