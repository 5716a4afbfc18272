/* The page template engine (core/sa_tmpl.h): the input compiled as a
 * template and rendered, as a page and as its own inner page, with values
 * for the names it uses.  Every text value carries a marker "<\x01&\x01",
 * which no template can produce by itself (U+0001 cannot appear in XML 1.0,
 * not even as a character reference).  Invariants:
 *   - compiling gives either an error "NAME:LINE: ..." or a template;
 *   - rendered output never holds "<\x01" nor "&\x01": a value's '<' and '&'
 *     always reach the page escaped, in text and in attributes;
 *   - rendered output is valid UTF-8 text without NUL bytes;
 *   - sa_escape_text/sa_escape_attr of the input leave no '<', '>' (and
 *     for attributes no '"'), and every '&' starts one of their entities. */
#include "fuzz_common.h"
#include "sa_tmpl.h"

#define OUT_MAX (1024 * 1024)   /* a render stops there (each can multiply) */

typedef struct {
    char *buf;
    apr_size_t len, cap;
    int full;
} sink;

static apr_status_t sink_write(void *ctx, const char *b, apr_size_t n)
{
    sink *s = ctx;
    if (s->len + n > OUT_MAX) {
        s->full = 1;
        return APR_ENOSPC;
    }
    if (s->len + n + 1 > s->cap) {
        apr_size_t cap = s->cap ? s->cap : 4096;
        char *nb;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (!(nb = realloc(s->buf, cap)))
            abort();
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, b, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return APR_SUCCESS;
}

static apr_status_t null_write(void *ctx, const char *b, apr_size_t n)
{
    (void)ctx;
    (void)b;
    (void)n;
    return APR_SUCCESS;
}

static const char MARK[] = "<\x01&\x01\"\x01>\x01";

/* Binds name: a text with the marker, a flag, or a list of two items. */
static void bind_name(sa_tdata *d, const char *name, unsigned h, const char **names, int n)
{
    int i, k;
    switch (h % 5) {
    case 0:
    case 1:
        sa_tdata_text(d, name, apr_pstrcat(fz_pool, "値", MARK, name, NULL));
        break;
    case 2:
        sa_tdata_flag(d, name, (h / 5) & 1);
        break;
    case 3:
        sa_tdata_text(d, name, (h / 5) & 1 ? "" : MARK);
        break;
    default:
        for (k = 0; k < 2; k++) {
            sa_tdata *it = sa_tdata_item(d, name);
            for (i = 0; i < n; i++)
                if ((i + k) % 2)
                    sa_tdata_text(it, names[i], apr_pstrcat(fz_pool, MARK, "item", NULL));
        }
        break;
    }
}

/* The values of attributes ("...") in the input: names for sa: markup. */
static int names_in(const char *s, const char **names, int max)
{
    int n = 0;
    const char *q = s;
    while (n < max && (q = strstr(q, "=\"")) != NULL) {
        const char *b = q + 2, *e = strchr(b, '"');
        if (!e)
            break;
        if (e > b && e - b <= 64)
            names[n++] = apr_pstrmemdup(fz_pool, b, (apr_size_t)(e - b));
        q = e + 1;
    }
    return n;
}

static void check_output(const sink *o, const char *what)
{
    const char *bad;
    if (!o->len)
        return;
    bad = memmem(o->buf, o->len, "<\x01", 2);
    if (!bad)
        bad = memmem(o->buf, o->len, "&\x01", 2);
    FZ_ASSERT(!bad, "%s: a value reached the page unescaped: ...%s", what,
              fz_q(bad - o->buf > 60 ? bad - 60 : o->buf));
    /* libxml2 hands out UTF-8 whatever the input's encoding; a render cut
     * at OUT_MAX may end inside a character */
    if (!o->full)
        FZ_ASSERT(strlen(o->buf) == o->len && fz_utf8_ok(o->buf), "%s: output not UTF-8 text: %s",
                  what, fz_q(o->buf));
}

static void check_escape(const char *s, int attr)
{
    sink o = { NULL, 0, 0, 0 };
    const char *q;
    (attr ? sa_escape_attr : sa_escape_text)(s, sink_write, &o);
    if (o.buf) {
        for (q = o.buf; *q; q++) {
            FZ_ASSERT(*q != '<' && *q != '>' && (!attr || *q != '"'), "escape %d: %s", attr,
                      fz_q(o.buf));
            if (*q == '&')
                FZ_ASSERT(!strncmp(q, "&amp;", 5) || !strncmp(q, "&lt;", 4)
                          || !strncmp(q, "&gt;", 4) || (attr && !strncmp(q, "&quot;", 6)),
                          "escape %d: %s", attr, fz_q(o.buf));
        }
    }
    free(o.buf);
}

static int one_input(const uint8_t *data, size_t size)
{
    static const char inner_src[] =
        "<p xmlns:sa=\"urn:secaction:template\" sa:text=\"t\" class=\"x\">inner</p>";
    const char *names[48], *err;
    sa_tmpl *t = NULL, *inner = NULL;
    sa_tdata *d;
    char *s;
    int n, i;
    sink o = { NULL, 0, 0, 0 };

    s = fz_begin(data, size);
    check_escape(s, 0);
    check_escape(s, 1);

    err = sa_tmpl_compile_mem(fz_pool, "fuzz.xhtml", (const char *)data, size, &t);
    FZ_ASSERT((err == NULL) == (t != NULL), "compile: error and template");
    if (err) {
        FZ_ASSERT(!strncmp(err, "fuzz.xhtml:", 11), "error %s", fz_q(err));
        return 0;
    }
    err = sa_tmpl_compile_mem(fz_pool, "inner.xhtml", inner_src, sizeof(inner_src) - 1, &inner);
    FZ_ASSERT(err == NULL && inner, "inner: %s", err);

    d = sa_tdata_make(fz_pool);
    n = names_in(s, names, 48);
    for (i = 0; i < n; i++) {
        unsigned h = 2166136261u;
        const char *c;
        for (c = names[i]; *c; c++)
            h = (h ^ (unsigned char)*c) * 16777619u;
        bind_name(d, names[i], h ^ (unsigned)size, names, n);
    }
    sa_tdata_text(d, "t", MARK);

    sa_tmpl_render(t, inner, d, sink_write, &o);
    check_output(&o, "page");
    o.len = 0;
    o.full = 0;
    sa_tmpl_render(inner, t, d, sink_write, &o);   /* t as the inner page */
    check_output(&o, "layout");
    free(o.buf);
    sa_tmpl_render(t, t, sa_tdata_make(fz_pool), null_write, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    fz_end();
    return 0;
}
