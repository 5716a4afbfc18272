/* Unit tests of the text catalog (templates/messages.txt). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <apr_general.h>
#include "sa_catalog.h"

static apr_pool_t *pool;

static const char *compile(const char *text, const char *const *req, sa_catalog **c)
{
    return sa_catalog_compile_mem(pool, "m.txt", text, strlen(text), req, c);
}

static void entries_keys_and_repeats(void **state)
{
    sa_catalog *c;
    apr_array_header_t *a;
    (void)state;
    assert_null(compile("# texts\n\n[not_found]\ntitle: ページが見つかりません\r\n"
                        "text: 一つ目\ntext:  二つ目  \n[steps]\nitem: 使用規約確認\n", NULL, &c));
    assert_string_equal(sa_catalog_text(c, "not_found", "title"), "ページが見つかりません");
    a = sa_catalog_all(pool, c, "not_found", "text");
    assert_int_equal(a->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(a, 1, const char *), "二つ目");
    assert_null(sa_catalog_text(c, "not_found", "link"));
    assert_null(sa_catalog_entry(c, "nope"));
    assert_int_equal(sa_catalog_all(pool, c, "nope", "text")->nelts, 0);
}

static void errors_name_file_and_line(void **state)
{
    static const char *const req[] = { "csrf:title,text", NULL };
    sa_catalog *c;
    (void)state;
    assert_string_equal(compile("[a]\ntitle x\n", NULL, &c),
                        "m.txt:2: expected \"key: text\" or [entry]");
    assert_string_equal(compile("title: x\n", NULL, &c),
                        "m.txt:1: a value before the first [entry]");
    assert_string_equal(compile("[a]\n[a]\n", NULL, &c), "m.txt:2: the entry [a] is there twice");
    assert_non_null(strstr(compile("[A b]\n", NULL, &c), "m.txt:1:"));
    assert_non_null(strstr(compile("[a]\nt: \x01\n", NULL, &c), "m.txt:2: not plain"));
    assert_string_equal(compile("[x]\n", req, &c), "m.txt:0: the entry [csrf] is missing");
    assert_string_equal(compile("[csrf]\ntitle: t\n", req, &c),
                        "m.txt:0: the entry [csrf] needs a \"text:\" line");
    assert_null(compile("[csrf]\ntitle: t\ntext: u\n", req, &c));
}

static void shipped_catalog_is_complete(void **state)
{
    static const char *const req[] = { "not_found:title,text", "csrf:title,text",
                                       "wizard_steps:item", NULL };
    sa_catalog *c;
    (void)state;
    assert_null(sa_catalog_compile_file(pool, "templates/messages.txt", req, &c));
    assert_int_equal(sa_catalog_all(pool, c, "wizard_steps", "item")->nelts, 7);
}

static void fill_replaces_every_mark(void **state)
{
    (void)state;
    assert_string_equal(sa_catalog_fill(pool, "{wait}ほど待って{wait}", "wait", "5分"),
                        "5分ほど待って5分");
    assert_string_equal(sa_catalog_fill(pool, "なし", "wait", "5分"), "なし");
    assert_string_equal(sa_catalog_fill(pool, "{other}", "wait", "5分"), "{other}");
    assert_null(sa_catalog_fill(pool, NULL, "wait", "5分"));
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
        cmocka_unit_test(entries_keys_and_repeats),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(shipped_catalog_is_complete),
        cmocka_unit_test(fill_replaces_every_mark),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
