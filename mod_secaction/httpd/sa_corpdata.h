/* The National Tax Agency's corporate-number data in the shared database
 * (loaded by bin/sa-houjin-import; rows as core/sa_houjin.h describes):
 * whether it was imported, and the row of a 法人番号.  Glue. */
#ifndef SA_CORPDATA_H
#define SA_CORPDATA_H

#include "sa_req.h"
#include "sa_houjin.h"

void sa_corpdata_register(server_rec *s);

/* Whether an import was completed (without one, a 法人番号 is only checked
 * by its check digit).  0 also when the database cannot say. */
int sa_corpdata_loaded(sa_req *q);

/* The row of corp_no (13 digits): APR_SUCCESS with *h, or with *h NULL
 * when there is none; an error when the database failed. */
apr_status_t sa_corpdata_find(sa_req *q, const char *corp_no, sa_houjin **h);

#endif
