/* Unit tests of the computed Japanese texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <apr_general.h>
#include "sa_text.h"

static apr_pool_t *pool;

/* A UTC wall-clock time as apr_time_t. */
static apr_time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    apr_time_exp_t x = { 0 };
    apr_time_t t;
    x.tm_year = y - 1900;
    x.tm_mon = mo - 1;
    x.tm_mday = d;
    x.tm_hour = h;
    x.tm_min = mi;
    x.tm_sec = s;
    assert_int_equal(apr_time_exp_gmt_get(&t, &x), APR_SUCCESS);
    return t;
}

static void datetime_is_japan_time(void **state)
{
    (void)state;
    assert_string_equal(sa_text_datetime(pool, utc(2026, 12, 1, 0, 5, 0)),
                        "2026年12月1日 09時05分（日本時間）");
    assert_string_equal(sa_text_datetime(pool, utc(2026, 3, 4, 14, 59, 59)),
                        "2026年3月4日 23時59分（日本時間）");
    assert_string_equal(sa_text_datetime(pool, utc(2026, 3, 4, 0, 0, 0)),
                        "2026年3月4日 09時00分（日本時間）");
}

static void date_rolls_over_at_15_utc(void **state)
{
    (void)state;
    assert_string_equal(sa_text_date(pool, utc(2026, 11, 30, 14, 59, 59)), "2026年11月30日");
    assert_string_equal(sa_text_date(pool, utc(2026, 11, 30, 15, 0, 0)), "2026年12月1日");
    assert_string_equal(sa_text_datetime(pool, utc(2026, 11, 30, 15, 0, 0)),
                        "2026年12月1日 00時00分（日本時間）");
    /* Year end too. */
    assert_string_equal(sa_text_date(pool, utc(2026, 12, 31, 15, 0, 0)), "2027年1月1日");
    assert_string_equal(sa_text_date(pool, utc(2026, 12, 31, 14, 59, 0)), "2026年12月31日");
}

static void japan_time_whatever_the_tz(void **state)
{
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    (void)state;
    setenv("TZ", "America/New_York", 1);
    tzset();
    assert_string_equal(sa_text_datetime(pool, utc(2026, 12, 1, 0, 5, 0)),
                        "2026年12月1日 09時05分（日本時間）");
    assert_string_equal(sa_text_date(pool, utc(2026, 11, 30, 15, 0, 0)), "2026年12月1日");
    if (saved) setenv("TZ", saved, 1); else unsetenv("TZ");
    tzset();
    free(saved);
}

static void duration_in_largest_whole_unit(void **state)
{
    (void)state;
    assert_string_equal(sa_text_duration(pool, 7 * 86400), "7日間");
    assert_string_equal(sa_text_duration(pool, 86400), "1日間");
    assert_string_equal(sa_text_duration(pool, 2 * 86400 + 3600), "49時間");
    assert_string_equal(sa_text_duration(pool, 3600), "1時間");
    assert_string_equal(sa_text_duration(pool, 5400), "90分間");
    assert_string_equal(sa_text_duration(pool, 1800), "30分間");
    assert_string_equal(sa_text_duration(pool, 60), "1分間");
    assert_string_equal(sa_text_duration(pool, 45), "45秒間");
    assert_string_equal(sa_text_duration(pool, 3601), "3601秒間");
    assert_string_equal(sa_text_duration(pool, 0), "0秒間");
    assert_string_equal(sa_text_duration(pool, -60), "0秒間");
}

static void wait_rounds_up(void **state)
{
    (void)state;
    assert_string_equal(sa_text_wait(pool, 1), "1秒");
    assert_string_equal(sa_text_wait(pool, 59), "59秒");
    assert_string_equal(sa_text_wait(pool, 60), "1分");
    assert_string_equal(sa_text_wait(pool, 61), "2分");
    assert_string_equal(sa_text_wait(pool, 1800), "30分");
    assert_string_equal(sa_text_wait(pool, 3599), "60分");
    assert_string_equal(sa_text_wait(pool, 3600), "1時間");
    assert_string_equal(sa_text_wait(pool, 3601), "2時間");
    assert_string_equal(sa_text_wait(pool, 86400), "24時間");
    assert_string_equal(sa_text_wait(pool, 0), "0秒");
    assert_string_equal(sa_text_wait(pool, -5), "0秒");
}

static void display_name_by_kind(void **state)
{
    (void)state;
    assert_string_equal(sa_display_name(pool, "corp", "株式会社テスト", "田中 太郎", "たなか商店"),
                        "株式会社テスト");
    assert_string_equal(sa_display_name(pool, "sole", "株式会社テスト", "田中 太郎", "たなか商店"),
                        "たなか商店（田中 太郎）");
    assert_string_equal(sa_display_name(pool, "sole", NULL, "田中 太郎", ""), "田中 太郎");
    assert_string_equal(sa_display_name(pool, "sole", NULL, "田中 太郎", NULL), "田中 太郎");
    assert_string_equal(sa_display_name(pool, "sole", NULL, NULL, "たなか商店"), "たなか商店");
    assert_string_equal(sa_display_name(pool, "sole", NULL, "", "たなか商店"), "たなか商店");
}

static void display_name_never_null(void **state)
{
    (void)state;
    assert_string_equal(sa_display_name(pool, "corp", NULL, "田中", "店"), "");
    assert_string_equal(sa_display_name(pool, "corp", "", NULL, NULL), "");
    assert_string_equal(sa_display_name(pool, "sole", NULL, NULL, NULL), "");
    assert_string_equal(sa_display_name(pool, "sole", "株式会社テスト", "", ""), "");
    assert_string_equal(sa_display_name(pool, NULL, "株式会社テスト", "田中", NULL), "");
    assert_string_equal(sa_display_name(pool, "", NULL, NULL, NULL), "");
    assert_string_equal(sa_display_name(pool, "other", "株式会社テスト", "田中", "店"), "");
}

static void mask_email_keeps_first_and_domain(void **state)
{
    (void)state;
    assert_string_equal(sa_mask_email(pool, "tanaka@example.co.jp"), "t*****@example.co.jp");
    assert_string_equal(sa_mask_email(pool, "ab@x.jp"), "a*@x.jp");
    /* One character: still one '*', so the length is not given away as 1. */
    assert_string_equal(sa_mask_email(pool, "a@x.jp"), "a*@x.jp");
    /* The last '@' splits off the domain. */
    assert_string_equal(sa_mask_email(pool, "\"a@b\"@x.jp"), "\"****@x.jp");
}

static void mask_email_junk(void **state)
{
    (void)state;
    assert_string_equal(sa_mask_email(pool, NULL), "***");
    assert_string_equal(sa_mask_email(pool, ""), "***");
    assert_string_equal(sa_mask_email(pool, "tanaka"), "***");
    assert_string_equal(sa_mask_email(pool, "@example.jp"), "***");
    assert_string_equal(sa_mask_email(pool, "tanaka@"), "***");
}

static int setup(void **state)
{
    (void)state;
    apr_initialize();
    return apr_pool_create(&pool, NULL) == APR_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}

static void parse_date_is_japan_midnight(void **state)
{
    apr_int64_t t = 0;
    (void)state;
    assert_true(sa_text_parse_date("2026-12-01", &t));
    assert_int_equal(t, 1796050800);      /* 2026-11-30T15:00:00Z */
    assert_true(sa_text_parse_date("2024-02-29", &t));
    assert_false(sa_text_parse_date("2025-02-29", &t));
    assert_false(sa_text_parse_date("2026-13-01", &t));
    assert_false(sa_text_parse_date("2026-1-01", &t));
    assert_false(sa_text_parse_date("", &t));
    assert_false(sa_text_parse_date(NULL, &t));
    assert_true(sa_text_parse_date("1970-01-02", &t));
    assert_int_equal(t, 86400 - 9 * 3600);
}

static void age_and_like(void **state)
{
    (void)state;
    assert_string_equal(sa_text_age(pool, 59), "0分");
    assert_string_equal(sa_text_age(pool, 7200), "2時間");
    assert_string_equal(sa_text_age(pool, 3 * 86400 + 5), "3日");
    assert_string_equal(sa_like_contains(pool, "日立"), "%日立%");
    assert_string_equal(sa_like_contains(pool, "50%_\\"), "%50\\%\\_\\\\%");
    assert_string_equal(sa_like_contains(pool, NULL), "%%");
}

static void number_grouped_by_thousands(void **state)
{
    (void)state;
    assert_string_equal(sa_text_number(pool, 0), "0");
    assert_string_equal(sa_text_number(pool, 999), "999");
    assert_string_equal(sa_text_number(pool, 1000), "1,000");
    assert_string_equal(sa_text_number(pool, 54498), "54,498");
    assert_string_equal(sa_text_number(pool, 1000000), "1,000,000");
    assert_string_equal(sa_text_number(pool, -1234), "-1,234");
    assert_string_equal(sa_text_number(pool, APR_INT64_MIN), "-9,223,372,036,854,775,808");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(datetime_is_japan_time),
        cmocka_unit_test(date_rolls_over_at_15_utc),
        cmocka_unit_test(japan_time_whatever_the_tz),
        cmocka_unit_test(duration_in_largest_whole_unit),
        cmocka_unit_test(wait_rounds_up),
        cmocka_unit_test(display_name_by_kind),
        cmocka_unit_test(display_name_never_null),
        cmocka_unit_test(mask_email_keeps_first_and_domain),
        cmocka_unit_test(mask_email_junk),
        cmocka_unit_test(parse_date_is_japan_midnight),
        cmocka_unit_test(age_and_like),
        cmocka_unit_test(number_grouped_by_thousands),
    };
    return cmocka_run_group_tests_name("text", tests, setup, teardown);
}
