/* The text catalog (core/sa_catalog.h): the input compiled as messages.txt,
 * without and with required entries, then looked up.  Invariants:
 *   - an error or a catalog, never both; errors are "NAME:LINE: ...";
 *   - every [id] of an accepted input is an entry, every value is clean
 *     single-line text and found again by sa_catalog_text/_all;
 *   - a required entry that compiles exists with its keys;
 *   - sa_catalog_fill with a value without '{' leaves no more "{name}" marks
 *     than the text had. */
#include "fuzz_common.h"
#include "sa_catalog.h"
#include "sa_validate.h"

static int count(const char *s, const char *sub)
{
    int n = 0;
    apr_size_t k = strlen(sub);
    for (s = strstr(s, sub); s; s = strstr(s + k, sub))
        n++;
    return n;
}

static int cb(void *ctx, const char *key, const char *val)
{
    const sa_catalog *c = ((const void **)ctx)[0];
    const char *id = ((const void **)ctx)[1];
    apr_array_header_t *all;
    int i, found = 0;

    FZ_ASSERT(sa_check_text(key, 0) == NULL && sa_check_text(val, 0) == NULL,
              "[%s] %s: %s is not clean text", id, fz_q(key), fz_q(val));
    FZ_ASSERT(sa_catalog_text(c, id, key) != NULL, "[%s] %s not found", id, key);
    all = sa_catalog_all(fz_pool, c, id, key);
    for (i = 0; i < all->nelts; i++)
        found |= APR_ARRAY_IDX(all, i, const char *) == val;
    FZ_ASSERT(found, "[%s] %s: value not in sa_catalog_all", id, key);
    return 1;
}

static int one_input(const uint8_t *data, size_t size)
{
    static const char *const required[] = { "not_found:title,text", "wizard_steps:item",
                                            "empty", NULL };
    sa_catalog *c = NULL, *c2 = NULL;
    const char *err, *err2;
    char *s, *line, *nl;

    s = fz_begin(data, size);
    err = sa_catalog_compile_mem(fz_pool, "fuzz.txt", (const char *)data, size, NULL, &c);
    FZ_ASSERT((err == NULL) == (c != NULL), "error and catalog");
    if (err)
        FZ_ASSERT(!strncmp(err, "fuzz.txt:", 9), "error %s", fz_q(err));
    err2 = sa_catalog_compile_mem(fz_pool, "fuzz.txt", (const char *)data, size, required, &c2);
    FZ_ASSERT((err2 == NULL) == (c2 != NULL), "error and catalog (required)");
    FZ_ASSERT(err == NULL || err2 != NULL, "required entries make a bad file good");
    if (c2) {
        FZ_ASSERT(sa_catalog_text(c2, "not_found", "title") && sa_catalog_text(c2, "not_found", "text")
                  && sa_catalog_text(c2, "wizard_steps", "item") && sa_catalog_entry(c2, "empty"),
                  "required entry missing");
    }
    if (!c)
        return 0;
    /* every [id] line of the input is an entry */
    for (line = s; line && *line; line = nl ? nl + 1 : NULL) {
        apr_size_t n;
        char *id;
        nl = strchr(line, '\n');
        n = nl ? (apr_size_t)(nl - line) : strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        if (n < 3 || line[0] != '[')
            continue;
        id = apr_pstrndup(fz_pool, line + 1, n - 2);
        {
            const apr_table_t *e = sa_catalog_entry(c, id);
            const void *ctx[2];
            const char *t, *f;
            FZ_ASSERT(e != NULL, "entry [%s] missing", fz_q(id));
            ctx[0] = c;
            ctx[1] = id;
            apr_table_do(cb, ctx, e, NULL);
            t = apr_table_get(e, "text");
            if (t) {
                f = sa_catalog_fill(fz_pool, t, "n", "12");
                FZ_ASSERT(f && count(f, "{n}") <= count(t, "{n}"), "fill %s -> %s", fz_q(t), fz_q(f));
                (void)sa_catalog_fill(fz_pool, t, id, t);
            }
        }
    }
    (void)sa_catalog_text(c, "missing", "text");
    (void)sa_catalog_all(fz_pool, c, "missing", "text");
    (void)sa_catalog_fill(fz_pool, NULL, "n", "1");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    fz_end();
    return 0;
}
