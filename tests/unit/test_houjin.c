/* Unit tests of the NTA corporate-number rows (core/sa_houjin.c) against
 * the shipped fixture tests/data/houjin-sample.csv and malformed lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "sa_houjin.h"

static apr_pool_t *pool;

/* Line n (1-based) of the fixture, in a fresh buffer. */
static char *fixture_line(int n)
{
    static char buf[4096];
    FILE *f = fopen("tests/data/houjin-sample.csv", "r");
    int i;
    assert_non_null(f);
    for (i = 0; i < n; i++) {
        assert_non_null(fgets(buf, sizeof(buf), f));
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return apr_pstrdup(pool, buf);
}

static void parses_a_row_into_the_fields(void **state)
{
    sa_houjin h;
    const char *why = NULL;
    (void)state;
    assert_int_equal(sa_houjin_parse(pool, fixture_line(1), &h, &why), 1);
    assert_string_equal(h.corp_no, "6010001000001");
    assert_string_equal(h.name, "株式会社テスト情報システム");
    assert_string_equal(h.kana, "テストジョウホウシステム");
    assert_string_equal(h.pref, "13");
    assert_string_equal(h.pref_name, "東京都");
    assert_string_equal(h.city, "文京区本駒込");          /* city and town */
    assert_string_equal(h.postal, "113-0021");
    assert_null(h.closed);
    assert_string_equal(h.updated, "2024-05-31");
    /* Hokkaido's code 01; a quoted quote in a name; no furigana */
    assert_int_equal(sa_houjin_parse(pool, fixture_line(3), &h, &why), 1);
    assert_string_equal(h.pref, "01");
    assert_string_equal(h.city, "札幌市中央区北一条西");
    assert_int_equal(sa_houjin_parse(pool, fixture_line(5), &h, &why), 1);
    assert_string_equal(h.name, "一般社団法人\"安全\"協会");
    assert_null(h.kana);
    /* closed */
    assert_int_equal(sa_houjin_parse(pool, fixture_line(4), &h, &why), 1);
    assert_string_equal(h.closed, "2023-03-31");
    /* abroad: no prefecture, city or postal code */
    assert_int_equal(sa_houjin_parse(pool, fixture_line(6), &h, &why), 1);
    assert_null(h.pref);
    assert_null(h.city);
    assert_null(h.postal);
    /* a street without digits is all town */
    assert_int_equal(sa_houjin_parse(pool, fixture_line(10), &h, &why), 1);
    assert_string_equal(h.city, "上田市大字上野");
}

static void leaves_out_deleted_and_older_rows(void **state)
{
    sa_houjin h;
    const char *why = NULL;
    (void)state;
    assert_int_equal(sa_houjin_parse(pool, fixture_line(7), &h, &why), 0);  /* 処理区分 81 */
    assert_int_equal(sa_houjin_parse(pool, fixture_line(8), &h, &why), 0);  /* 最新履歴 0 */
    assert_int_equal(sa_houjin_parse(pool, fixture_line(9), &h, &why), 1);
    assert_string_equal(h.name, "株式会社新商号");
}

static void refuses_malformed_lines(void **state)
{
    sa_houjin h;
    const char *why;
    char *good = fixture_line(1);
    (void)state;
    /* a wrong check digit */
    why = NULL;
    assert_int_equal(sa_houjin_parse(pool, apr_pstrdup(pool,
        "1,7010001000001,01,0,2024-05-31,,\"x\",,301,,,,,,,,,,,,,,,1"), &h, &why), -1);
    assert_non_null(strstr(why, "法人番号"));
    /* too few columns (a postal code file, say) */
    why = NULL;
    assert_int_equal(sa_houjin_parse(pool, apr_pstrdup(pool, "13101,\"100  \",\"1000000\""),
                                     &h, &why), -1);
    assert_non_null(strstr(why, "columns"));
    /* Shift_JIS bytes */
    why = NULL;
    assert_int_equal(sa_houjin_parse(pool, apr_pstrdup(pool,
        "1,6010001000001,01,0,2024-05-31,,\"\x8a\x94\",,301,,,,,,,,,,,,,,,1"), &h, &why), -1);
    assert_non_null(strstr(why, "UTF-8"));
    /* an unclosed quote */
    why = NULL;
    good[strlen(good) - 3] = '\0';
    assert_int_equal(sa_houjin_parse(pool, apr_pstrcat(pool, good, ",\"open", NULL), &h, &why),
                     -1);
    assert_non_null(why);
    /* no name */
    why = NULL;
    assert_int_equal(sa_houjin_parse(pool, apr_pstrdup(pool,
        "1,6010001000001,01,0,2024-05-31,,,,301,,,,,,,,,,,,,,,1"), &h, &why), -1);
    assert_non_null(strstr(why, "商号"));
}

static void town_stops_at_the_first_digit(void **state)
{
    (void)state;
    assert_string_equal(sa_houjin_town(pool, "本駒込２丁目２８－８"), "本駒込");
    assert_string_equal(sa_houjin_town(pool, "梅田1-2-3"), "梅田");
    assert_string_equal(sa_houjin_town(pool, "１番地"), "");
    assert_string_equal(sa_houjin_town(pool, "大字上野"), "大字上野");
    assert_string_equal(sa_houjin_town(pool, NULL), "");
}

static void offers_fill_empty_fields_and_never_overwrite(void **state)
{
    sa_houjin h;
    const char *why;
    apr_table_t *vals = apr_table_make(pool, 8);
    apr_array_header_t *filled = apr_array_make(pool, 4, sizeof(sa_houjin_offer));
    apr_array_header_t *differs = apr_array_make(pool, 4, sizeof(sa_houjin_offer));
    sa_houjin_offer *o;
    (void)state;
    assert_int_equal(sa_houjin_parse(pool, fixture_line(1), &h, &why), 1);
    apr_table_set(vals, "corp_name", "");                   /* empty: filled */
    apr_table_set(vals, "corp_kana", "てすとじょうほうしすてむ");  /* the same once normalised */
    apr_table_set(vals, "postal", "１１３００２１");        /* the same once normalised */
    apr_table_set(vals, "city", "文京区本郷");              /* typed otherwise: kept */
    sa_houjin_offer_to(pool, &h, vals, filled, differs);
    assert_string_equal(apr_table_get(vals, "corp_name"), "株式会社テスト情報システム");
    assert_string_equal(apr_table_get(vals, "pref"), "13");
    assert_string_equal(apr_table_get(vals, "city"), "文京区本郷");
    assert_string_equal(apr_table_get(vals, "postal"), "１１３００２１");
    assert_int_equal(filled->nelts, 2);
    assert_string_equal(sa_houjin_labels(pool, filled), "事業者名、都道府県");
    o = &APR_ARRAY_IDX(filled, 1, sa_houjin_offer);
    assert_string_equal(o->shown, "東京都");
    assert_int_equal(differs->nelts, 1);
    o = &APR_ARRAY_IDX(differs, 0, sa_houjin_offer);
    assert_string_equal(o->field, "city");
    assert_string_equal(o->label, "市区町村・町名");
    assert_string_equal(o->value, "文京区本駒込");
    assert_string_equal(sa_houjin_labels(pool, apr_array_make(pool, 1, sizeof(*o))), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_row_into_the_fields),
        cmocka_unit_test(leaves_out_deleted_and_older_rows),
        cmocka_unit_test(refuses_malformed_lines),
        cmocka_unit_test(town_stops_at_the_first_digit),
        cmocka_unit_test(offers_fill_empty_fields_and_never_overwrite),
    };
    int rc;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return rc;
}
