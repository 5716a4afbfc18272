/* The page template engine.  Core file: APR and libxml2 only.
 *
 * A template is an XHTML file parsed once with libxml2 at configuration time
 * and compiled into literal byte runs and typed slots; a request only writes
 * the runs and its values, each escaped for its slot's context.  User text
 * therefore reaches a page only as escaped text or attribute values.
 *
 * Markup (namespace xmlns:sa="urn:secaction:template", stripped on output):
 *   sa:text="k"        the element's content becomes the text of k
 *   sa:attr-NAME="k"   attribute NAME takes the text of k; when k is a flag,
 *                      NAME="NAME" is written if it is on, nothing if off;
 *                      when k is unset the attribute is left out
 *   sa:if="k"          the element is written only if k is true
 *                      (a non-empty text, an on flag, a non-empty list)
 *   sa:unless="k"      the opposite
 *   sa:each="k"        the element is written once per item of list k; names
 *                      inside resolve in the item first, then outwards
 *   sa:yield=""        (layouts) the element's content is the inner page
 * An element may carry several of these; sa:each applies first, then
 * sa:if/sa:unless, then the rest.  Unknown sa: attributes are errors.
 * Output is HTML5 syntax: <!DOCTYPE html>, void elements as <br />, other
 * empty elements as <x></x>.
 */
#ifndef SA_TMPL_H
#define SA_TMPL_H

#include <apr_pools.h>
#include <apr_errno.h>

typedef struct sa_tmpl sa_tmpl;
typedef struct sa_tdata sa_tdata;

typedef apr_status_t (*sa_write_fn)(void *ctx, const char *buf, apr_size_t len);

/* Returns NULL or a message "FILE:LINE: what is wrong". */
const char *sa_tmpl_compile_file(apr_pool_t *p, const char *path, sa_tmpl **out);
const char *sa_tmpl_compile_mem(apr_pool_t *p, const char *name,
                                const char *buf, apr_size_t len, sa_tmpl **out);

/* Writes t with the values of d; at an sa:yield element writes inner
 * (rendered with the same d).  inner may be NULL. */
apr_status_t sa_tmpl_render(const sa_tmpl *t, const sa_tmpl *inner,
                            const sa_tdata *d, sa_write_fn w, void *ctx);

/* Values.  A scope maps names to a text, a flag or a list of scopes. */
sa_tdata *sa_tdata_make(apr_pool_t *p);
void sa_tdata_text(sa_tdata *d, const char *name, const char *text);
void sa_tdata_flag(sa_tdata *d, const char *name, int on);
/* Appends an item scope to list `name` (creating the list) and returns it. */
sa_tdata *sa_tdata_item(sa_tdata *d, const char *name);
/* Declares list `name` (possibly staying empty). */
void sa_tdata_list(sa_tdata *d, const char *name);
const char *sa_tdata_get(const sa_tdata *d, const char *name);

/* Escapers, one per context, exposed for unit tests and mail-free use. */
apr_status_t sa_escape_text(const char *s, sa_write_fn w, void *ctx);
apr_status_t sa_escape_attr(const char *s, sa_write_fn w, void *ctx);

#endif
