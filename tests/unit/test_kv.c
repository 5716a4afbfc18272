/* Unit tests of the urlencoded tables that keep a wizard step in the session. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_strings.h>
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

static apr_table_t *sample(void)
{
    apr_table_t *t = apr_table_make(pool, 4);
    apr_table_add(t, "corp_name", "株式会社 テスト&=%+*");
    apr_table_add(t, "publish", "web");
    apr_table_add(t, "publish", "other");
    apr_table_add(t, "!email", "");
    apr_table_add(t, "", "x");
    return t;
}

static void assert_same(const apr_table_t *a, const apr_table_t *b)
{
    const apr_array_header_t *x = apr_table_elts(a), *y = apr_table_elts(b);
    const apr_table_entry_t *e = (const apr_table_entry_t *)x->elts;
    const apr_table_entry_t *f = (const apr_table_entry_t *)y->elts;
    assert_int_equal(x->nelts, y->nelts);
    for (int i = 0; i < x->nelts; i++) {
        assert_string_equal(e[i].key, f[i].key);
        assert_string_equal(e[i].val, f[i].val);
    }
}

/* The stored form: the mark, then only base64url characters, which
 * mod_session's urlencoding leaves as they are, at 4/3 of the bytes. */
static void pack_round_trips_in_base64url(void **state)
{
    apr_table_t *t = sample();
    const char *packed = sa_kv_pack(pool, t);
    apr_size_t raw = 0;
    (void)state;
    assert_int_equal(packed[0], '*');
    assert_int_equal(strspn(packed + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-_"), strlen(packed + 1));
    for (int i = 0; i < apr_table_elts(t)->nelts; i++) {
        const apr_table_entry_t *e = (const apr_table_entry_t *)apr_table_elts(t)->elts;
        raw += strlen(e[i].key) + strlen(e[i].val) + 2;
    }
    assert_int_equal(strlen(packed + 1), (raw * 4 + 2) / 3);
    assert_true(strlen(packed) < strlen(sa_kv_encode(pool, t)));
    assert_same(sa_kv_unpack(pool, packed), t);
    /* every length modulo 3 */
    for (int n = 0; n < 7; n++) {
        apr_table_t *u = apr_table_make(pool, 1);
        apr_table_add(u, "k", apr_pstrndup(pool, "abcdefg", (apr_size_t)n));
        assert_same(sa_kv_unpack(pool, sa_kv_pack(pool, u)), u);
    }
    assert_string_equal(sa_kv_pack(pool, apr_table_make(pool, 1)), "*");
    assert_int_equal(apr_table_elts(sa_kv_unpack(pool, "*"))->nelts, 0);
}

/* Drafts and login sessions stored urlencoded before still read. */
static void unpack_reads_the_urlencoded_form(void **state)
{
    apr_table_t *t = sample();
    (void)state;
    assert_same(sa_kv_unpack(pool, sa_kv_encode(pool, t)), t);
    assert_int_equal(apr_table_elts(sa_kv_unpack(pool, NULL))->nelts, 0);
    assert_string_equal(apr_table_get(sa_kv_unpack(pool, "x=1+2%2B3"), "x"), "1 2+3");
}

static void unpack_refuses_broken_packs(void **state)
{
    (void)state;
    assert_int_equal(apr_table_elts(sa_kv_unpack(pool, "*!!!"))->nelts, 0);
    /* a key without its value */
    assert_int_equal(apr_table_elts(sa_kv_unpack(pool, "*awA"))->nelts, 0);
    /* a value without its NUL */
    assert_int_equal(apr_table_elts(sa_kv_unpack(pool, "*awB2"))->nelts, 0);
    assert_string_equal(apr_table_get(sa_kv_unpack(pool, "*awB2AA"), "k"), "v");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_order_repeats_and_bytes),
        cmocka_unit_test(decode_tolerates_junk),
        cmocka_unit_test(pack_round_trips_in_base64url),
        cmocka_unit_test(unpack_reads_the_urlencoded_form),
        cmocka_unit_test(unpack_refuses_broken_packs),
    };
    int rc;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    rc = cmocka_run_group_tests_name("kv", tests, NULL, NULL);
    apr_terminate();
    return rc;
}
