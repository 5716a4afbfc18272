/* Growable strings (see sa_buf.h). */
#include <string.h>
#include "sa_buf.h"

void sa_buf_init(sa_buf *b, apr_pool_t *p, apr_size_t cap)
{
    b->p = p;
    b->cap = cap < 64 ? 64 : cap;
    b->s = apr_palloc(p, b->cap);
    b->len = 0;
    b->s[0] = '\0';
}

void sa_buf_add(sa_buf *b, const char *s, apr_size_t n)
{
    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = b->cap * 2;
        char *ns;
        while (cap < b->len + n + 1)
            cap *= 2;
        ns = apr_palloc(b->p, cap);
        memcpy(ns, b->s, b->len);
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

apr_status_t sa_buf_write(void *ctx, const char *s, apr_size_t n)
{
    sa_buf_add(ctx, s, n);
    return APR_SUCCESS;
}
