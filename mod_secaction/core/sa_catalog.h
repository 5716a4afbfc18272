/* The text catalog: every sentence a page shows that is not in a page
 * template of its own (error and notice pages, step labels) lives in one
 * plain UTF-8 file the administrator can edit, read at configuration time.
 * Core file: APR only.
 *
 * Format (templates/messages.txt):
 *   # a comment
 *   [id]                 starts the entry id
 *   key: value           one value of key; a key may repeat (paragraphs, items)
 * Blank lines are ignored.  Values are plain text (escaped when shown). */
#ifndef SA_CATALOG_H
#define SA_CATALOG_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct sa_catalog sa_catalog;

/* Each entry of required must exist with every key listed for it: a
 * NULL-terminated array of "id:key1,key2" strings.  Returns NULL or
 * "FILE:LINE: what is wrong" (LINE 0 for a missing entry). */
const char *sa_catalog_compile_mem(apr_pool_t *p, const char *name, const char *buf,
                                   apr_size_t len, const char *const *required,
                                   sa_catalog **out);
const char *sa_catalog_compile_file(apr_pool_t *p, const char *path,
                                    const char *const *required, sa_catalog **out);

/* The entry's values (key -> value, repeated keys in file order), or NULL. */
const apr_table_t *sa_catalog_entry(const sa_catalog *c, const char *id);
/* The first value of key in entry id, or NULL. */
const char *sa_catalog_text(const sa_catalog *c, const char *id, const char *key);
/* Every value of key in entry id, in file order (an empty array if none). */
apr_array_header_t *sa_catalog_all(apr_pool_t *p, const sa_catalog *c, const char *id,
                                   const char *key);

/* text with every "{name}" replaced by value (for catalog texts that
 * carry a figure, such as a waiting time). */
const char *sa_catalog_fill(apr_pool_t *p, const char *text, const char *name,
                            const char *value);

#endif
