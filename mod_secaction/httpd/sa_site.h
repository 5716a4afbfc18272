/* Site-wide URLs that are not part of a procedure: the style sheet and
 * script, the font-size switch, the privacy notice.  Glue. */
#ifndef SA_SITE_H
#define SA_SITE_H

#include "sa_wizard.h"

const sa_route *sa_site_routes(void);

#endif
