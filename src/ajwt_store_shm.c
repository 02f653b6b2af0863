/* placeholder: being written */
#include "ajwt_store.h"
