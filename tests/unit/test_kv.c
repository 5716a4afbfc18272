/* Unit tests of the urlencoded tables that keep a wizard step in the session. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <apr_general.h>
#include "sa_kv.h"

static apr_pool_t *pool;

static void round_trip_keeps_order_repeats_and_bytes(void **state)
{
    apr_table_t *t = apr_table_make(pool, 4), *back;
    const apr_array_header_t *a;
    const apr_table_entry_t *e;
    const char *enc;
    (void)state;
    apr_table_add(t, "corp_name", "株式会社 テスト&=%+");
    apr_table_add(t, "publish", "web");
    apr_table_add(t, "publish", "other");
    apr_table_add(t, "!email", "");
    enc = sa_kv_encode(pool, t);
    assert_null(strchr(enc, ' '));
    assert_non_null(strstr(enc, "publish=web&publish=other"));
    back = sa_kv_decode(pool, enc);
    a = apr_table_elts(back);
    e = (const apr_table_entry_t *)a->elts;
    assert_int_equal(a->nelts, 4);
    assert_string_equal(e[0].val, "株式会社 テスト&=%+");
    assert_string_equal(e[1].val, "web");
    assert_string_equal(e[2].val, "other");
    assert_string_equal(e[3].key, "!email");
    assert_string_equal(e[3].val, "");
}

static void decode_tolerates_junk(void **state)
{
    apr_table_t *t;
    (void)state;
    t = sa_kv_decode(pool, NULL);
    assert_int_equal(apr_table_elts(t)->nelts, 0);
    t = sa_kv_decode(pool, "a=%zz&b&c=%4");
    assert_string_equal(apr_table_get(t, "a"), "%zz");
    assert_null(apr_table_get(t, "b"));
    assert_string_equal(apr_table_get(t, "c"), "%4");
    t = sa_kv_decode(pool, "x=1+2%2B3");
    assert_string_equal(apr_table_get(t, "x"), "1 2+3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_order_repeats_and_bytes),
        cmocka_unit_test(decode_tolerates_junk),
    };
    int rc;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    rc = cmocka_run_group_tests_name("kv", tests, NULL, NULL);
    apr_terminate();
    return rc;
}
