/* placeholder until the マイページ area lands */
#include "httpd.h"
#include "sa_route.h"
static const sa_route routes[] = { { 0, NULL, 0, NULL } };
const sa_route *sa_mypage_routes(void) { return routes; }
