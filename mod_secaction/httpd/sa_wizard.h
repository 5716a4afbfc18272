/* The applicant's wizard pages.  Glue. */
#ifndef SA_WIZARD_H
#define SA_WIZARD_H

#include "httpd.h"

/* One URL under the mount: method number (M_GET, M_POST), path, handler. */
typedef struct {
    int method;
    const char *path;
    int (*handler)(request_rec *r);
} sa_route;

const sa_route *sa_wizard_routes(void);
void sa_wizard_retrieve_fns(void);

#endif
