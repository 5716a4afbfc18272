/* The text catalog (see sa_catalog.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_file_io.h>
#include "sa_catalog.h"
#include "sa_validate.h"

struct sa_catalog {
    apr_hash_t *entries;   /* id -> apr_table_t */
};

static int is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
}

static int is_name(const char *s, apr_size_t n)
{
    apr_size_t i;
    for (i = 0; i < n; i++) {
        if (!is_name_char(s[i])) {
            return 0;
        }
    }
    return n > 0;
}

static const char *check_required(apr_pool_t *p, const char *name, const sa_catalog *c,
                                  const char *const *required)
{
    for (; required && *required; required++) {
        const char *colon = strchr(*required, ':');
        const char *id = colon ? apr_pstrndup(p, *required, colon - *required) : *required;
        const apr_table_t *e = apr_hash_get(c->entries, id, APR_HASH_KEY_STRING);
        char *keys, *k, *last;
        if (!e) {
            return apr_psprintf(p, "%s:0: the entry [%s] is missing", name, id);
        }
        keys = apr_pstrdup(p, colon ? colon + 1 : "");
        for (k = apr_strtok(keys, ",", &last); k; k = apr_strtok(NULL, ",", &last)) {
            if (!apr_table_get(e, k)) {
                return apr_psprintf(p, "%s:0: the entry [%s] needs a \"%s:\" line", name, id, k);
            }
        }
    }
    return NULL;
}

const char *sa_catalog_compile_mem(apr_pool_t *p, const char *name, const char *buf,
                                   apr_size_t len, const char *const *required,
                                   sa_catalog **out)
{
    sa_catalog *c = apr_pcalloc(p, sizeof(*c));
    const char *pos = buf, *end = buf + len;
    apr_table_t *cur = NULL;
    int line = 0;

    *out = NULL;
    c->entries = apr_hash_make(p);
    while (pos < end) {
        const char *nl = memchr(pos, '\n', (apr_size_t)(end - pos));
        apr_size_t n = nl ? (apr_size_t)(nl - pos) : (apr_size_t)(end - pos);
        char *text = apr_pstrndup(p, pos, n);
        apr_size_t tl = strlen(text);
        const char *bad;
        line++;
        pos += n + (nl ? 1 : 0);
        if (tl != n) {
            return apr_psprintf(p, "%s:%d: a NUL byte", name, line);
        }
        while (tl > 0 && (text[tl - 1] == '\r' || text[tl - 1] == ' ' || text[tl - 1] == '\t')) {
            text[--tl] = '\0';
        }
        if ((bad = sa_check_text(text, 0)) != NULL) {
            return apr_psprintf(p, "%s:%d: not plain UTF-8 text", name, line);
        }
        if (tl == 0 || text[0] == '#') {
            continue;
        }
        if (text[0] == '[') {
            if (text[tl - 1] != ']' || !is_name(text + 1, tl - 2)) {
                return apr_psprintf(p, "%s:%d: an entry starts with [name] (a-z, 0-9, _ and .)",
                                    name, line);
            }
            text[tl - 1] = '\0';
            if (apr_hash_get(c->entries, text + 1, APR_HASH_KEY_STRING)) {
                return apr_psprintf(p, "%s:%d: the entry [%s] is there twice", name, line, text + 1);
            }
            cur = apr_table_make(p, 4);
            apr_hash_set(c->entries, text + 1, APR_HASH_KEY_STRING, cur);
        }
        else {
            char *colon = strchr(text, ':');
            const char *v;
            if (!colon || !is_name(text, (apr_size_t)(colon - text))) {
                return apr_psprintf(p, "%s:%d: expected \"key: text\" or [entry]", name, line);
            }
            if (!cur) {
                return apr_psprintf(p, "%s:%d: a value before the first [entry]", name, line);
            }
            *colon = '\0';
            for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
                ;
            apr_table_addn(cur, text, v);
        }
    }
    if ((pos = check_required(p, name, c, required)) != NULL) {
        return pos;
    }
    *out = c;
    return NULL;
}

const char *sa_catalog_compile_file(apr_pool_t *p, const char *path,
                                    const char *const *required, sa_catalog **out)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf;
    apr_status_t rv;
    if ((rv = apr_file_open(&f, path, APR_READ | APR_BINARY, 0, p)) != APR_SUCCESS
        || (rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f)) != APR_SUCCESS) {
        char e[128];
        return apr_psprintf(p, "%s: cannot read: %s", path, apr_strerror(rv, e, sizeof(e)));
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(p, "%s: cannot read", path);
    }
    buf[n] = '\0';
    return sa_catalog_compile_mem(p, path, buf, n, required, out);
}

const apr_table_t *sa_catalog_entry(const sa_catalog *c, const char *id)
{
    return c ? apr_hash_get(c->entries, id, APR_HASH_KEY_STRING) : NULL;
}

const char *sa_catalog_text(const sa_catalog *c, const char *id, const char *key)
{
    const apr_table_t *e = sa_catalog_entry(c, id);
    return e ? apr_table_get(e, key) : NULL;
}

typedef struct { apr_array_header_t *a; } collect_t;

static int collect(void *ctx, const char *key, const char *val)
{
    (void)key;
    APR_ARRAY_PUSH(((collect_t *)ctx)->a, const char *) = val;
    return 1;
}

apr_array_header_t *sa_catalog_all(apr_pool_t *p, const sa_catalog *c, const char *id,
                                   const char *key)
{
    const apr_table_t *e = sa_catalog_entry(c, id);
    collect_t ctx;
    ctx.a = apr_array_make(p, 4, sizeof(const char *));
    if (e) {
        apr_table_do(collect, &ctx, e, key, NULL);
    }
    return ctx.a;
}

const char *sa_catalog_fill(apr_pool_t *p, const char *text, const char *name,
                            const char *value)
{
    const char *mark = apr_pstrcat(p, "{", name, "}", NULL), *at;
    const char *out = "";
    apr_size_t n = strlen(mark);
    if (!text) {
        return NULL;
    }
    while ((at = strstr(text, mark)) != NULL) {
        out = apr_pstrcat(p, out, apr_pstrndup(p, text, (apr_size_t)(at - text)), value, NULL);
        text = at + n;
    }
    return apr_pstrcat(p, out, text, NULL);
}
