/* Unit tests of the public search's keys and n-grams. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "sa_search.h"

static apr_pool_t *pool;

static void keys_are_normalised_like_the_stored_readings(void **state)
{
    (void)state;
    assert_string_equal(sa_search_key(pool, "とよた"), "トヨタ");
    assert_string_equal(sa_search_key(pool, "ﾃｽﾄ"), "テスト");
    assert_string_equal(sa_search_key(pool, "ﾃﾞｰﾀ"), "データ");
    /* a removed legal form brings ス and ﾞ together: the key folds again */
    assert_string_equal(sa_search_key(pool, "ス㈲ﾞ"), "ズ");
    /* a removal that brings another legal-form word together */
    assert_string_equal(sa_search_key(pool, "株式会ゴウドウカイシャ社日立"), "日立");
    assert_string_equal(sa_search_key(pool, sa_search_key(pool, "_ス㈲ﾞﾞﾞ")),
                        sa_search_key(pool, "_ス㈲ﾞﾞﾞ"));
    assert_string_equal(sa_search_key(pool, "株式会社 日立"), "日立");
    assert_string_equal(sa_search_key(pool, "（株）日立"), "日立");
    assert_string_equal(sa_search_key(pool, "(株)日立"), "日立");
    assert_string_equal(sa_search_key(pool, "㈱日立製作所"), "日立製作所");
    assert_string_equal(sa_search_key(pool, "ＡＢＣ商事　有限会社"), "abc商事");
    assert_string_equal(sa_search_key(pool, "推進 太郎"), "推進太郎");
    assert_string_equal(sa_search_key(pool, "カブシキガイシャ　テスト"), "テスト");
    assert_string_equal(sa_search_key(pool, "ヤマダ・タロウ"), "ヤマダタロウ");
    assert_string_equal(sa_search_key(pool, ""), "");
    assert_string_equal(sa_search_key(pool, NULL), "");
    assert_string_equal(sa_search_key(pool, "\xff\xfe"), "");
}

static const char *joined(const apr_array_header_t *a)
{
    const char *s = "";
    int i;
    for (i = 0; i < a->nelts; i++) {
        s = apr_pstrcat(pool, s, i ? "|" : "", APR_ARRAY_IDX(a, i, const char *), NULL);
    }
    return s;
}

static void grams_of_names_and_queries(void **state)
{
    apr_array_header_t *g = apr_array_make(pool, 8, sizeof(const char *));
    (void)state;
    sa_search_grams(pool, "日立日立", g);
    assert_string_equal(joined(g), "日|日立|日立日|立|立日|立日立");
    sa_search_grams(pool, "日本", g);             /* appended, duplicates skipped */
    assert_string_equal(joined(g), "日|日立|日立日|立|立日|立日立|日本|本");
    assert_string_equal(joined(sa_search_query_grams(pool, "日")), "日");
    assert_string_equal(joined(sa_search_query_grams(pool, "日立")), "日立");
    assert_string_equal(joined(sa_search_query_grams(pool, "工務店")), "工務店");
    assert_string_equal(joined(sa_search_query_grams(pool, "日立製作所")), "日立製|立製作|製作所");
    assert_string_equal(joined(sa_search_query_grams(pool, "ababab")), "aba|bab");
    assert_int_equal(sa_search_query_grams(pool, "")->nelts, 0);
    assert_int_equal(sa_search_len("日立ab"), 4);
}

static void listing_text_and_grams(void **state)
{
    const char *names[] = { "株式会社日立", "ひたち", NULL, "" };
    apr_array_header_t *g = apr_array_make(pool, 8, sizeof(const char *));
    (void)state;
    assert_string_equal(sa_listing_text(pool, names, 4, g), "日立\nヒタチ");
    assert_string_equal(joined(g), "|日|日立|立|ヒ|ヒタ|ヒタチ|タ|タチ|チ");
}

static int setup(void **state)
{
    (void)state;
    apr_initialize();
    return apr_pool_create(&pool, NULL);
}

static int teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_are_normalised_like_the_stored_readings),
        cmocka_unit_test(grams_of_names_and_queries),
        cmocka_unit_test(listing_text_and_grams),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
