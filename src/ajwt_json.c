/* placeholder: being written */
#include "ajwt_json.h"
