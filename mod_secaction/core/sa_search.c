/* The public search's text rules (see sa_search.h). */
#include <string.h>
#include <apr_strings.h>
#include "sa_search.h"
#include "sa_validate.h"

/* Legal-form words as they stand in names and readings, after folding
 * (half-width and hiragana forms fold into these).  Longest first where
 * one contains another. */
static const char *const legal_forms[] = {
    "特定非営利活動法人", "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人",
    "社会福祉法人", "医療法人社団", "医療法人財団", "医療法人", "学校法人", "npo法人",
    "株式会社", "有限会社", "合同会社", "合名会社", "合資会社",
    "(株)", "（株）", "㈱", "(有)", "（有）", "㈲", "(同)", "（同）",
    "カブシキガイシャ", "カブシキカイシャ", "ユウゲンガイシャ", "ユウゲンカイシャ",
    "ゴウドウガイシャ", "ゴウドウカイシャ", "ゴウメイガイシャ", "ゴウシガイシャ",
    "イッパンシャダンホウジン", "イッパンザイダンホウジン",
    NULL
};

static char *remove_all(apr_pool_t *p, char *s, const char *word)
{
    apr_size_t wl = strlen(word);
    char *at;
    while ((at = strstr(s, word)) != NULL) {
        memmove(at, at + wl, strlen(at + wl) + 1);
    }
    (void)p;
    return s;
}

const char *sa_search_key(apr_pool_t *p, const char *s)
{
    char *k = sa_search_fold(p, s), *before, *again;
    int i;
    /* a removal can bring together what folds once more (ス, ㈲, ゙ gives ズ)
     * or another legal-form word (株式会, ゴウドウカイシャ, 社 gives 株式会社):
     * remove and fold until neither changes anything, so that a key is its
     * own key (each round that changes anything makes the key shorter) */
    for (;;) {
        before = apr_pstrdup(p, k);
        for (i = 0; legal_forms[i]; i++) {
            remove_all(p, k, legal_forms[i]);
        }
        again = sa_search_fold(p, k);
        if (!strcmp(again, before)) {
            return again;
        }
        k = again;
    }
}

/* Length in bytes of the UTF-8 sequence starting with c. */
static apr_size_t seq_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

apr_size_t sa_search_len(const char *key)
{
    apr_size_t n = 0;
    while (key && *key) {
        apr_size_t l = seq_len((unsigned char)*key);
        apr_size_t i;
        for (i = 1; i < l && key[i]; i++)
            ;
        key += i;
        n++;
    }
    return n;
}

static void push_unique(apr_pool_t *p, apr_array_header_t *out, const char *s, apr_size_t n)
{
    int i;
    for (i = 0; i < out->nelts; i++) {
        const char *g = APR_ARRAY_IDX(out, i, const char *);
        if (strlen(g) == n && !memcmp(g, s, n)) {
            return;
        }
    }
    APR_ARRAY_PUSH(out, const char *) = apr_pstrndup(p, s, n);
}

/* The byte offsets of the code points of key (and its end), at most max. */
static apr_size_t offsets(const char *key, apr_size_t *at, apr_size_t max)
{
    apr_size_t n = 0, o = 0, len = strlen(key);
    while (o < len && n < max) {
        apr_size_t l = seq_len((unsigned char)key[o]);
        at[n++] = o;
        o = o + l > len ? len : o + l;
    }
    at[n] = o;
    return n;
}

void sa_search_grams(apr_pool_t *p, const char *key, apr_array_header_t *out)
{
    apr_size_t n = sa_search_len(key), i, k;
    apr_size_t *at = apr_palloc(p, sizeof(apr_size_t) * (n + 1));
    n = offsets(key, at, n);
    for (i = 0; i < n; i++) {
        for (k = 1; k <= SA_SEARCH_GRAM_MAX && i + k <= n; k++) {
            push_unique(p, out, key + at[i], at[i + k] - at[i]);
        }
    }
}

apr_array_header_t *sa_search_query_grams(apr_pool_t *p, const char *key)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    apr_size_t n = sa_search_len(key), i;
    apr_size_t *at = apr_palloc(p, sizeof(apr_size_t) * (n + 1));
    n = offsets(key, at, n);
    if (n > 0 && n <= SA_SEARCH_GRAM_MAX) {
        push_unique(p, out, key, at[n]);         /* the key is a gram itself */
    }
    for (i = 0; n > SA_SEARCH_GRAM_MAX && i + SA_SEARCH_GRAM_MAX <= n; i++) {
        push_unique(p, out, key + at[i], at[i + SA_SEARCH_GRAM_MAX] - at[i]);
    }
    return out;
}

const char *sa_listing_text(apr_pool_t *p, const char *const *names, int n,
                            apr_array_header_t *grams)
{
    const char *text = "";
    int i;
    APR_ARRAY_PUSH(grams, const char *) = SA_SEARCH_ALL;
    for (i = 0; i < n; i++) {
        const char *k = names[i] ? sa_search_key(p, names[i]) : "";
        if (*k) {
            text = apr_pstrcat(p, text, *text ? "\n" : "", k, NULL);
            sa_search_grams(p, k, grams);
        }
    }
    return text;
}
