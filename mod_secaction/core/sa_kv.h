/* Tables of strings kept under one key: one wizard step's values in the
 * draft session, a login session's data.  Core file: APR only.
 *
 * sa_kv_pack writes the compact form that is stored: "*" and the base64url
 * (RFC 4648 section 5, no padding) of every key and value, each ended by a
 * NUL.  mod_session urlencodes the values it stores, and base64url's
 * alphabet is one it leaves alone, so a packed table is stored at 4/3 of
 * its UTF-8 bytes (a Japanese character in 4 bytes, where urlencoding it
 * once takes 9 and twice 15).  sa_kv_unpack reads that form and the
 * urlencoded one (drafts and login sessions stored before), told apart by
 * the "*", which urlencoding never writes. */
#ifndef SA_KV_H
#define SA_KV_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Encodes every entry (repeated keys kept, in order). */
const char *sa_kv_encode(apr_pool_t *p, const apr_table_t *t);
/* Decodes s (NULL gives an empty table); malformed escapes are kept as
 * they are rather than failing. */
apr_table_t *sa_kv_decode(apr_pool_t *p, const char *s);

/* The stored form (see above); keys and values must not contain NUL. */
const char *sa_kv_pack(apr_pool_t *p, const apr_table_t *t);
/* Reads s in either form (NULL gives an empty table).  A packed s that is
 * not valid base64url gives an empty table. */
apr_table_t *sa_kv_unpack(apr_pool_t *p, const char *s);

#endif
