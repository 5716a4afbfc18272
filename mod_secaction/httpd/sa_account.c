/* placeholder until the account area lands */
#include "httpd.h"
#include "sa_route.h"
static const sa_route routes[] = { { 0, NULL, 0, NULL } };
const sa_route *sa_account_routes(void) { return routes; }
