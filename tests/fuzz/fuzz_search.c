/* The public search's keys and grams (core/sa_search.h) of the pieces of
 * the input (split at NUL).  Invariants: a key is folded already (its key is
 * itself); every gram of a key is 1 to SA_SEARCH_GRAM_MAX code points, occurs
 * in it, and is listed once; every gram a query of that key is looked up by
 * is among the key's grams (so a stored name is always found by its own
 * key); the listing text is the non-empty keys, one a line. */
#include "fuzz_common.h"
#include "sa_search.h"

#define NPIECES 4

static int listed(const apr_array_header_t *a, const char *s)
{
    int i;
    for (i = 0; i < a->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), s))
            return 1;
    return 0;
}

static void check_key(const char *in)
{
    const char *key = sa_search_key(fz_pool, in);
    apr_array_header_t *grams = apr_array_make(fz_pool, 16, sizeof(const char *)), *q;
    int i, j;

    FZ_ASSERT(!strcmp(sa_search_key(fz_pool, key), key), "key %s of %s is not its own key",
              fz_q(key), fz_q(in));
    sa_search_grams(fz_pool, key, grams);
    for (i = 0; i < grams->nelts; i++) {
        const char *g = APR_ARRAY_IDX(grams, i, const char *);
        apr_size_t n = sa_search_len(g);
        FZ_ASSERT(n >= 1 && n <= SA_SEARCH_GRAM_MAX, "gram %s of length %d", fz_q(g), (int)n);
        FZ_ASSERT(strstr(key, g) != NULL, "gram %s not in %s", fz_q(g), fz_q(key));
        for (j = 0; j < i; j++)
            FZ_ASSERT(strcmp(g, APR_ARRAY_IDX(grams, j, const char *)), "gram %s twice", fz_q(g));
    }
    q = sa_search_query_grams(fz_pool, key);
    FZ_ASSERT((*key == '\0') == (q->nelts == 0), "query grams of %s", fz_q(key));
    for (i = 0; i < q->nelts; i++)
        FZ_ASSERT(listed(grams, APR_ARRAY_IDX(q, i, const char *)),
                  "query gram %s of %s is not indexed", fz_q(APR_ARRAY_IDX(q, i, const char *)),
                  fz_q(key));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *piece[NPIECES];
    const char *names[NPIECES], *text, *line;
    apr_array_header_t *grams;
    int n, i, lines = 0, keys = 0;

    fz_begin(data, size);
    n = fz_split(data, size, piece, NPIECES);
    for (i = 0; i < n; i++) {
        check_key(piece[i]);
        names[i] = piece[i];
        keys += *sa_search_key(fz_pool, piece[i]) != '\0';
    }
    grams = apr_array_make(fz_pool, 16, sizeof(const char *));
    text = sa_listing_text(fz_pool, names, n, grams);
    for (line = text; *text && line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        lines++;
    FZ_ASSERT(lines == keys, "%d lines for %d keys in %s", lines, keys, fz_q(text));
    fz_end();
    return 0;
}
