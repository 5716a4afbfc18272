/* application/x-www-form-urlencoded encoding of a table, used to keep one
 * wizard step's values under a single session key.  Core file: APR only. */
#ifndef SA_KV_H
#define SA_KV_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Encodes every entry (repeated keys kept, in order). */
const char *sa_kv_encode(apr_pool_t *p, const apr_table_t *t);
/* Decodes s (NULL gives an empty table); malformed escapes are kept as
 * they are rather than failing. */
apr_table_t *sa_kv_decode(apr_pool_t *p, const char *s);

#endif
