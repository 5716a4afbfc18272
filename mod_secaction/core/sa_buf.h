/* A growable byte string in a pool, always NUL-terminated: what a mail or
 * a page is built in.  Core file: APR only. */
#ifndef SA_BUF_H
#define SA_BUF_H

#include <apr_pools.h>
#include <apr_errno.h>

typedef struct {
    apr_pool_t *p;
    char *s;
    apr_size_t len, cap;
} sa_buf;

/* Starts b with room for cap bytes (at least 64). */
void sa_buf_init(sa_buf *b, apr_pool_t *p, apr_size_t cap);
/* Appends n bytes, doubling the room when they do not fit. */
void sa_buf_add(sa_buf *b, const char *s, apr_size_t n);
/* sa_buf_add as an sa_write_fn (sa_tmpl.h): ctx is the sa_buf. */
apr_status_t sa_buf_write(void *ctx, const char *s, apr_size_t n);

#endif
