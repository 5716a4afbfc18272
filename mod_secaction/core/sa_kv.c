/* urlencoded tables (see sa_kv.h). */
#include <apr_strings.h>
#include <apr_lib.h>
#include "sa_kv.h"

static void put_escaped(char **o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (apr_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            *(*o)++ = (char)c;
        }
        else {
            *(*o)++ = '%';
            *(*o)++ = hex[c >> 4];
            *(*o)++ = hex[c & 15];
        }
    }
}

const char *sa_kv_encode(apr_pool_t *p, const apr_table_t *t)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_size_t len = 1;
    char *buf, *o;
    int i;

    for (i = 0; i < a->nelts; i++) {
        len += 3 * (strlen(e[i].key) + strlen(e[i].val ? e[i].val : "")) + 2;
    }
    buf = o = apr_palloc(p, len);
    for (i = 0; i < a->nelts; i++) {
        if (i) {
            *o++ = '&';
        }
        put_escaped(&o, e[i].key);
        *o++ = '=';
        put_escaped(&o, e[i].val ? e[i].val : "");
    }
    *o = '\0';
    return buf;
}

static int hexval(int c)
{
    return apr_isdigit(c) ? c - '0' : apr_tolower(c) - 'a' + 10;
}

static char *unescape(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && apr_isxdigit(s[i + 1]) && apr_isxdigit(s[i + 2])) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

apr_table_t *sa_kv_decode(apr_pool_t *p, const char *s)
{
    apr_table_t *t = apr_table_make(p, 24);
    while (s && *s) {
        const char *amp = strchr(s, '&');
        apr_size_t n = amp ? (apr_size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', n);
        if (eq) {
            apr_table_addn(t, unescape(p, s, (apr_size_t)(eq - s)),
                           unescape(p, eq + 1, n - (apr_size_t)(eq - s) - 1));
        }
        s = amp ? amp + 1 : NULL;
    }
    return t;
}
