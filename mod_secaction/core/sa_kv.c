/* urlencoded tables (see sa_kv.h). */
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_encode.h>
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

#define PACK_MARK '*'

const char *sa_kv_pack(apr_pool_t *p, const apr_table_t *t)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_size_t len = 0, off = 0, out_len = 0;
    char *raw, *out;
    int i;

    for (i = 0; i < a->nelts; i++) {
        len += strlen(e[i].key) + strlen(e[i].val ? e[i].val : "") + 2;
    }
    raw = apr_palloc(p, len + 1);
    for (i = 0; i < a->nelts; i++) {
        apr_size_t k = strlen(e[i].key) + 1, v = strlen(e[i].val ? e[i].val : "") + 1;
        memcpy(raw + off, e[i].key, k);
        memcpy(raw + off + k, e[i].val ? e[i].val : "", v);
        off += k + v;
    }
    /* 4 characters per 3 bytes, the mark and the NUL */
    out = apr_palloc(p, (len + 2) / 3 * 4 + 2);
    out[0] = PACK_MARK;
    if (apr_encode_base64(out + 1, raw, (apr_ssize_t)len, APR_ENCODE_BASE64URL, &out_len)
        != APR_SUCCESS) {
        out_len = 0;
    }
    out[1 + out_len] = '\0';
    return out;
}

apr_table_t *sa_kv_unpack(apr_pool_t *p, const char *s)
{
    apr_table_t *t;
    apr_size_t n = 0, len, off = 0;
    char *raw;

    if (!s || *s != PACK_MARK) {
        return sa_kv_decode(p, s);
    }
    t = apr_table_make(p, 24);
    len = strlen(s + 1);
    raw = apr_palloc(p, len / 4 * 3 + 4);
    if (apr_decode_base64_binary((unsigned char *)raw, s + 1, (apr_ssize_t)len,
                                 APR_ENCODE_NONE, &n) != APR_SUCCESS) {
        return t;
    }
    /* the keys and values are used where they lie: each ends with its NUL */
    while (off < n) {
        const char *k = raw + off, *v;
        const char *end = memchr(k, '\0', n - off);
        if (!end || (apr_size_t)(end + 1 - raw) >= n) {
            break;
        }
        v = end + 1;
        end = memchr(v, '\0', n - (apr_size_t)(v - raw));
        if (!end) {
            break;
        }
        apr_table_addn(t, k, v);
        off = (apr_size_t)(end + 1 - raw);
    }
    return t;
}
