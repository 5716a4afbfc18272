/* See fuzz_common.h. */
#include "fuzz_common.h"

#include <stdarg.h>

apr_pool_t *fz_pool;
int fz_exact = 1;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&fz_pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "fuzz: cannot initialise APR\n");
        abort();
    }
    return 0;
}

/* --- exact-size pool allocations (linked with -Wl,--wrap=...) ---------- */

void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size);
void *__real_apr_palloc(apr_pool_t *p, apr_size_t size);
char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s);
char *__wrap_apr_pstrndup(apr_pool_t *p, const char *s, apr_size_t n);
char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n);
void *__wrap_apr_pmemdup(apr_pool_t *p, const void *m, apr_size_t n);
char *__wrap_apr_pstrcat(apr_pool_t *p, ...);

static apr_status_t free_block(void *block)
{
    free(block);
    return APR_SUCCESS;
}

void *__wrap_apr_palloc(apr_pool_t *p, apr_size_t size)
{
    void *b;
    if (!fz_exact)
        return __real_apr_palloc(p, size);
    /* malloc(0) may give NULL; the pool never does */
    b = malloc(size ? size : 1);
    if (!b)
        abort();
    apr_pool_cleanup_register(p, b, free_block, apr_pool_cleanup_null);
    return b;
}

char *__wrap_apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *d;
    if (!s)
        return NULL;
    d = __wrap_apr_palloc(p, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *__wrap_apr_pstrdup(apr_pool_t *p, const char *s)
{
    return s ? __wrap_apr_pstrmemdup(p, s, strlen(s)) : NULL;
}

char *__wrap_apr_pstrndup(apr_pool_t *p, const char *s, apr_size_t n)
{
    const char *e;
    if (!s)
        return NULL;
    e = memchr(s, '\0', n);
    return __wrap_apr_pstrmemdup(p, s, e ? (apr_size_t)(e - s) : n);
}

void *__wrap_apr_pmemdup(apr_pool_t *p, const void *m, apr_size_t n)
{
    void *d;
    if (!m)
        return NULL;
    d = __wrap_apr_palloc(p, n);
    memcpy(d, m, n);
    return d;
}

char *__wrap_apr_pstrcat(apr_pool_t *p, ...)
{
    va_list ap;
    const char *s;
    apr_size_t n = 0;
    char *out, *o;

    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL)
        n += strlen(s);
    va_end(ap);
    out = o = __wrap_apr_palloc(p, n + 1);
    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        apr_size_t k = strlen(s);
        memcpy(o, s, k);
        o += k;
    }
    va_end(ap);
    *o = '\0';
    return out;
}

/* --- helpers ------------------------------------------------------------ */

char *fz_begin(const uint8_t *data, size_t size)
{
    char *s;
    apr_pool_clear(fz_pool);
    s = apr_palloc(fz_pool, size + 1);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void fz_end(void)
{
    apr_pool_clear(fz_pool);
}

int fz_split(const uint8_t *data, size_t size, char **out, int max)
{
    int n = 0;
    size_t start = 0, i;

    for (i = 0; i <= size && n < max; i++) {
        if (i == size || data[i] == '\0') {
            out[n++] = apr_pstrmemdup(fz_pool, (const char *)data + start, i - start);
            start = i + 1;
        }
    }
    return n;
}

const char *fz_q(const char *s)
{
    apr_size_t n, i, o = 0;
    char *out;

    if (!s)
        return "(null)";
    n = strlen(s);
    if (n > 400)
        n = 400;
    out = apr_palloc(fz_pool, n * 4 + 3);
    out[o++] = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
            o += (apr_size_t)sprintf(out + o, "\\x%02X", c);
        else
            out[o++] = (char)c;
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

int fz_u8_next(const char **s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)*s;
    uint32_t c = u[0], min;
    int n, i;

    if (c < 0x80) { n = 0; min = 0; }
    else if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
    else return -1;
    for (i = 1; i <= n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    *s += n + 1;
    return 0;
}

int fz_utf8_ok(const char *s)
{
    uint32_t cp;
    while (*s)
        if (fz_u8_next(&s, &cp) < 0)
            return 0;
    return 1;
}
