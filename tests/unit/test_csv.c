/* Unit tests of the CSV fields of the console's export. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <apr_general.h>
#include "sa_csv.h"

static apr_pool_t *pool;

static void fields_are_quoted(void **state)
{
    (void)state;
    assert_string_equal(sa_csv_field(pool, "株式会社テスト"), "\"株式会社テスト\"");
    assert_string_equal(sa_csv_field(pool, "a,b"), "\"a,b\"");
    assert_string_equal(sa_csv_field(pool, "say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_string_equal(sa_csv_field(pool, "two\r\nlines"), "\"two\r\nlines\"");
    assert_string_equal(sa_csv_field(pool, ""), "\"\"");
    assert_string_equal(sa_csv_field(pool, NULL), "\"\"");
}

static void formulas_are_neutralised(void **state)
{
    (void)state;
    assert_string_equal(sa_csv_field(pool, "=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_string_equal(sa_csv_field(pool, "+81312345678"), "\"'+81312345678\"");
    assert_string_equal(sa_csv_field(pool, "-1+1"), "\"'-1+1\"");
    assert_string_equal(sa_csv_field(pool, "@SUM(A1)"), "\"'@SUM(A1)\"");
    assert_string_equal(sa_csv_field(pool, "\t=1"), "\"'\t=1\"");
    assert_string_equal(sa_csv_field(pool, "\r=1"), "\"'\r=1\"");
    /* only the first character counts */
    assert_string_equal(sa_csv_field(pool, "a=1"), "\"a=1\"");
    assert_string_equal(sa_csv_field(pool, "03-1234-5678"), "\"03-1234-5678\"");
}

static void lines_end_with_crlf(void **state)
{
    const char *f[] = { "1", "=x", NULL };
    (void)state;
    assert_string_equal(sa_csv_line(pool, f, 3), "\"1\",\"'=x\",\"\"\r\n");
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
        cmocka_unit_test(fields_are_quoted),
        cmocka_unit_test(formulas_are_neutralised),
        cmocka_unit_test(lines_end_with_crlf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
