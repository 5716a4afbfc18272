/* The operators' status handler (SetHandler secaction-status).  Glue. */
#ifndef SA_STATUS_H
#define SA_STATUS_H

#include "httpd.h"

int sa_status_handler(request_rec *r);

#endif
