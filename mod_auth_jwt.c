/* placeholder: being written */
#include "httpd.h"
#include "http_config.h"
AP_DECLARE_MODULE(auth_jwt) = { STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, NULL };
