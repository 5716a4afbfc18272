/* Unit tests of 住所検索: loading utf_ken_all.csv and looking codes up.
 *
 * postal/utf_ken_all_sample.csv is written in the real file's format (CRLF,
 * quoted text columns, full-width kana readings).  Rows such as 1130021
 * 本駒込 and 0600000 follow the real data; the multi-town code 0482331 and
 * the two 竹屋町 rows under 6008093 are shaped like real rows to exercise
 * those cases, not copied from a current file.  Its last line (16) is
 * malformed on purpose; the lookups use a copy without it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "sa_postal.h"

#define FIXTURE_BAD_LINE 16   /* the malformed line of the fixture */

static apr_pool_t *pool;
static sa_postal *pd;          /* the fixture without its malformed line */
static char good_copy[] = "/tmp/sa_postal_good_XXXXXX";

static const char *fixture(void)
{
    const char *dir = apr_pstrndup(pool, __FILE__, strrchr(__FILE__, '/') - __FILE__);
    return apr_pstrcat(pool, dir, "/postal/utf_ken_all_sample.csv", NULL);
}

/* A new file in /tmp holding content; its path. */
static const char *temp_file(const char *content, apr_size_t len)
{
    char *path = apr_pstrdup(pool, "/tmp/sa_postal_XXXXXX");
    int fd = mkstemp(path);
    FILE *f;
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Loads content from a temporary file, expecting "PATH:LINE: ..." naming
 * the given line and containing what. */
static void expect_line_error(const char *content, int line, const char *what)
{
    const char *path = temp_file(content, strlen(content));
    sa_postal *bad = (sa_postal *)1;
    const char *err = sa_postal_load(pool, path, &bad);
    const char *prefix = apr_psprintf(pool, "%s:%d: ", path, line);
    assert_non_null(err);
    assert_null(bad);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, what))
        fail_msg("got \"%s\", wanted \"%s...%s\"", err, prefix, what);
    unlink(path);
}

/* The entries of code, asserting there are n. */
static const sa_postal_entry *lookup_n(const char *code, int n)
{
    const sa_postal_entry *e = NULL;
    assert_int_equal(sa_postal_lookup(pd, code, &e), n);
    if (n)
        assert_non_null(e);
    return e;
}

static void assert_entry(const sa_postal_entry *e, const char *pref, const char *city,
                         const char *town)
{
    assert_string_equal(e->pref, pref);
    assert_string_equal(e->city, city);
    assert_string_equal(e->town, town);
}

/* --- the fixture -------------------------------------------------------- */

static void fixture_malformed_line_is_reported(void **state)
{
    sa_postal *bad = NULL;
    const char *path = fixture(), *err;
    (void)state;
    err = sa_postal_load(pool, path, &bad);
    assert_non_null(err);
    assert_null(bad);
    assert_string_equal(err, apr_psprintf(pool, "%s:%d: expected 15 columns, found 14",
                                          path, FIXTURE_BAD_LINE));
}

static void counts_distinct_codes(void **state)
{
    (void)state;
    /* 16 lines: 1 malformed (not in the copy), 3 rows share 0482331 and 2
     * share 6008093, so 15 rows give 12 codes. */
    assert_int_equal(sa_postal_count(pd), 12);
}

static void honkomagome(void **state)
{
    (void)state;
    assert_entry(lookup_n("1130021", 1), "東京都", "文京区", "本駒込");
    assert_entry(lookup_n("1000001", 1), "東京都", "千代田区", "千代田");
    assert_entry(lookup_n("5300001", 1), "大阪府", "大阪市北区", "梅田");
}

/* What 住所検索 fills in: prefecture code and 市区町村・町名. */
static void address_for_the_form(void **state)
{
    sa_refdata *ref = NULL;
    const char *pref, *city;
    (void)state;
    assert_null(sa_refdata_load(pool, "data", &ref));
    assert_true(sa_postal_address(pool, pd, ref, "1130021", &pref, &city));
    assert_string_equal(pref, "13");
    assert_string_equal(city, "文京区本駒込");
    assert_true(sa_postal_address(pool, pd, ref, "0600000", &pref, &city));
    assert_string_equal(pref, "01");
    assert_string_equal(city, "札幌市中央区");
    /* several towns under one code: the city only */
    assert_true(sa_postal_address(pool, pd, ref, "0482331", &pref, &city));
    assert_string_equal(city, "岩内郡共和町");
    assert_false(sa_postal_address(pool, pd, ref, "9999999", &pref, &city));
    assert_false(sa_postal_address(pool, NULL, ref, "1130021", &pref, &city));
}

static void no_town_part_is_empty(void **state)
{
    (void)state;
    /* one code for all of the ward's towns that have no code of their own */
    assert_entry(lookup_n("0600000", 1), "北海道", "札幌市中央区", "");
    assert_entry(lookup_n("1120000", 1), "東京都", "文京区", "");
    /* other placeholders: 「…の次に…番地がくる場合（…）」 and 「利島村一円」 */
    assert_entry(lookup_n("7660001", 1), "香川県", "仲多度郡琴平町", "");
    assert_entry(lookup_n("1000301", 1), "東京都", "利島村", "");
}

static void parentheses_are_dropped(void **state)
{
    (void)state;
    assert_entry(lookup_n("0600042", 1), "北海道", "札幌市中央区", "大通西");
    assert_entry(lookup_n("0640820", 1), "北海道", "札幌市中央区", "大通西");
    assert_entry(lookup_n("0640941", 1), "北海道", "札幌市中央区", "旭ケ丘");
}

static void several_towns_in_file_order(void **state)
{
    const sa_postal_entry *e;
    (void)state;
    e = lookup_n("0482331", 3);
    assert_entry(&e[0], "北海道", "岩内郡共和町", "国富");
    assert_entry(&e[1], "北海道", "岩内郡共和町", "小沢");
    assert_entry(&e[2], "北海道", "岩内郡共和町", "前田");
    /* prefecture and city names are kept once */
    assert_ptr_equal(e[0].city, e[2].city);
    assert_ptr_equal(e[0].pref, lookup_n("0600000", 1)->pref);
    assert_ptr_equal(lookup_n("0600042", 1)->city, lookup_n("0640820", 1)->city);
}

static void same_town_under_one_code_once(void **state)
{
    (void)state;
    /* two rows differing only in the parenthesised part */
    assert_entry(lookup_n("6008093", 1), "京都府", "京都市下京区", "竹屋町");
}

static void malformed_or_unknown_codes(void **state)
{
    const sa_postal_entry *e = (const sa_postal_entry *)1;
    (void)state;
    assert_int_equal(sa_postal_lookup(pd, "113002", &e), 0);
    assert_null(e);
    e = (const sa_postal_entry *)1;
    assert_int_equal(sa_postal_lookup(pd, "abcdefg", &e), 0);
    assert_null(e);
    e = (const sa_postal_entry *)1;
    assert_int_equal(sa_postal_lookup(pd, NULL, &e), 0);
    assert_null(e);
    assert_int_equal(sa_postal_lookup(pd, "11300211", &e), 0);
    assert_int_equal(sa_postal_lookup(pd, "113-0021", &e), 0);
    assert_int_equal(sa_postal_lookup(pd, "１１３００２１", &e), 0);
    assert_int_equal(sa_postal_lookup(pd, "", &e), 0);
    assert_int_equal(sa_postal_lookup(pd, "9999999", &e), 0);
    assert_null(e);
    assert_int_equal(sa_postal_lookup(NULL, "1130021", &e), 0);
    assert_int_equal(sa_postal_count(NULL), 0);
    assert_int_equal(sa_postal_lookup(pd, "1130021", NULL), 1);
}

/* --- loading errors and format details ---------------------------------- */

static void missing_file_names_the_path(void **state)
{
    sa_postal *out = (sa_postal *)1;
    const char *err;
    (void)state;
    err = sa_postal_load(pool, "/nonexistent/dir/utf_ken_all.csv", &out);
    assert_non_null(err);
    assert_null(out);
    assert_non_null(strstr(err, "/nonexistent/dir/utf_ken_all.csv: cannot open"));
}

#define GOOD "13105,\"113  \",\"1130021\",\"トウキョウト\",\"ブンキョウク\",\"ホンコマゴメ\"," \
             "\"東京都\",\"文京区\",\"本駒込\",0,0,1,0,0,0\r\n"

static void malformed_lines_name_file_and_line(void **state)
{
    (void)state;
    expect_line_error(GOOD "13105,\"113  \",\"11300X1\",\"ト\",\"ブ\",\"ホ\",\"東京都\","
                      "\"文京区\",\"本駒込\",0,0,1,0,0,0\r\n",
                      2, "postal code \"11300X1\" is not 7 digits");
    expect_line_error(GOOD "13105,\"113  \",\"113002\",\"ト\",\"ブ\",\"ホ\",\"東京都\","
                      "\"文京区\",\"本駒込\",0,0,1,0,0,0\r\n",
                      2, "is not 7 digits");
    expect_line_error(GOOD GOOD "13105,\"113  \",\"1130021\",\"ト\",\"ブ\",\"ホ\",\"東京都\","
                      "\"文京区\",\"本駒込\",0,0,1,0,0,0,0\r\n",
                      3, "expected 15 columns, found 16");
    /* Shift_JIS 東京都 (KEN_ALL.CSV) */
    expect_line_error(GOOD "13105,\"113  \",\"1130021\",\"ﾄ\",\"ﾌ\",\"ﾎ\",\"\x93\x8c\x8b\x9e\x93\x73\","
                      "\"x\",\"y\",0,0,1,0,0,0\r\n",
                      2, "not valid UTF-8");
    expect_line_error(GOOD "13105,\"113  \",\"1130021\",\"東京都\n", 2,
                      "a quoted column is not closed");
    expect_line_error("13105,\"113  \"x,\"1130021\"\n", 1, "text after the closing quote");
    expect_line_error("13105,11\"3,\"1130021\"\n", 1, "a quote inside an unquoted column");
    expect_line_error(GOOD "a\tb\n", 2, "control character 0x09");
    expect_line_error("13105,\"113  \",\"1130021\",\"ト\",\"ブ\",\"ホ\",\"\",\"文京区\","
                      "\"本駒込\",0,0,1,0,0,0\n", 1, "empty prefecture or city");
}

static void overlong_line_is_an_error(void **state)
{
    char *src = apr_pstrcat(pool, GOOD, GOOD, "13105,\"", NULL);
    apr_size_t n = strlen(src);
    char *big = apr_palloc(pool, n + 70001);
    (void)state;
    memcpy(big, src, n);
    memset(big + n, 'x', 70000);          /* no newline in the first 64 KB */
    big[n + 70000] = '\0';
    expect_line_error(big, 3, "line longer than 65536 bytes");
}

static void empty_file_is_an_error(void **state)
{
    const char *path = temp_file("\r\n", 2);
    sa_postal *out = (sa_postal *)1;
    const char *err;
    (void)state;
    err = sa_postal_load(pool, path, &out);
    assert_non_null(err);
    assert_null(out);
    assert_string_equal(err, apr_pstrcat(pool, path, ": no postal codes in the file", NULL));
    unlink(path);
}

static void bom_lf_quotes_and_last_line_without_newline(void **state)
{
    /* a byte order mark, LF endings, unquoted text, "" and a comma inside
     * quotes, and no newline at the end */
    static const char src[] =
        "\xEF\xBB\xBF" "13105,113  ,1130021,トウキョウト,ブンキョウク,ホンコマゴメ,"
        "東京都,文京区,本駒込,0,0,1,0,0,0\n"
        "\n"
        "99999,\"999  \",\"9999999\",\"x\",\"y\",\"z\",\"試験県\",\"a,b\"\"c\",\"町\",0,0,0,0,0,0";
    const char *path = temp_file(src, sizeof src - 1);
    sa_postal *p2 = NULL;
    const sa_postal_entry *e;
    (void)state;
    assert_null(sa_postal_load(pool, path, &p2));
    assert_non_null(p2);
    assert_int_equal(sa_postal_count(p2), 2);
    assert_int_equal(sa_postal_lookup(p2, "1130021", &e), 1);
    assert_entry(e, "東京都", "文京区", "本駒込");
    assert_int_equal(sa_postal_lookup(p2, "9999999", &e), 1);
    assert_entry(e, "試験県", "a,b\"c", "町");
    unlink(path);
}

static void town_rules(void **state)
{
    static const char src[] =
        /* text after the parentheses stays; an unclosed one is cut */
        "1,\"1\",\"0000001\",\"\",\"\",\"\",\"県\",\"市\",\"北五条西（２４丁目）ビル\",0,0,0,0,0,0\n"
        "1,\"1\",\"0000002\",\"\",\"\",\"\",\"県\",\"市\",\"竹屋町（高倉通\",0,0,0,0,0,0\n"
        /* 一円 alone is a real town (多賀町一円); 上野一円 in 利島村 is not the city */
        "1,\"1\",\"0000003\",\"\",\"\",\"\",\"滋賀県\",\"犬上郡多賀町\",\"一円\",0,0,0,0,0,0\n"
        "1,\"1\",\"0000004\",\"\",\"\",\"\",\"県\",\"利島村\",\"上野一円\",0,0,0,0,0,0\n"
        "1,\"1\",\"0000005\",\"\",\"\",\"\",\"静岡県\",\"下田市\",\"下田市の次に番地がくる場合\",0,0,0,0,0,0\n"
        /* the same town in another city is a separate entry */
        "1,\"1\",\"0000006\",\"\",\"\",\"\",\"県\",\"甲市\",\"本町\",0,0,0,0,0,0\n"
        "1,\"1\",\"0000006\",\"\",\"\",\"\",\"県\",\"乙市\",\"本町\",0,0,0,0,0,0\n"
        "1,\"1\",\"0000006\",\"\",\"\",\"\",\"県\",\"甲市\",\"本町（１丁目）\",0,0,0,0,0,0\n";
    const char *path = temp_file(src, sizeof src - 1);
    sa_postal *p2 = NULL;
    const sa_postal_entry *e;
    (void)state;
    assert_null(sa_postal_load(pool, path, &p2));
    assert_int_equal(sa_postal_lookup(p2, "0000001", &e), 1);
    assert_string_equal(e->town, "北五条西ビル");
    assert_int_equal(sa_postal_lookup(p2, "0000002", &e), 1);
    assert_string_equal(e->town, "竹屋町");
    assert_int_equal(sa_postal_lookup(p2, "0000003", &e), 1);
    assert_string_equal(e->town, "一円");
    assert_int_equal(sa_postal_lookup(p2, "0000004", &e), 1);
    assert_string_equal(e->town, "上野一円");
    assert_int_equal(sa_postal_lookup(p2, "0000005", &e), 1);
    assert_string_equal(e->town, "");
    assert_int_equal(sa_postal_lookup(p2, "0000006", &e), 2);
    assert_entry(&e[0], "県", "甲市", "本町");
    assert_entry(&e[1], "県", "乙市", "本町");
    unlink(path);
}

/* --- JSON --------------------------------------------------------------- */

static void json_escape(void **state)
{
    (void)state;
    assert_string_equal(sa_json_escape(pool, ""), "");
    assert_string_equal(sa_json_escape(pool, NULL), "");
    assert_string_equal(sa_json_escape(pool, "a\"b"), "a\\\"b");
    assert_string_equal(sa_json_escape(pool, "a\\b"), "a\\\\b");
    assert_string_equal(sa_json_escape(pool, "a\nb"), "a\\u000ab");
    assert_string_equal(sa_json_escape(pool, "\x01\x1f\t\r\x7f"),
                        "\\u0001\\u001f\\u0009\\u000d\\u007f");
    assert_string_equal(sa_json_escape(pool, "東京都文京区本駒込（１～３丁目）"),
                        "東京都文京区本駒込（１～３丁目）");
    assert_string_equal(sa_json_escape(pool, "</script>&"), "\\u003c/script\\u003e\\u0026");
    /* U+2028, U+2029; an invalid byte; a truncated sequence; an overlong / */
    assert_string_equal(sa_json_escape(pool, "a\xE2\x80\xA8" "b\xE2\x80\xA9"),
                        "a\\u2028b\\u2029");
    assert_string_equal(sa_json_escape(pool, "\x93\x8c"), "\\ufffd\\ufffd");
    assert_string_equal(sa_json_escape(pool, "x\xE6\x9D"), "x\\ufffd\\ufffd");
    assert_string_equal(sa_json_escape(pool, "\xC0\xAF"), "\\ufffd\\ufffd");
    assert_string_equal(sa_json_escape(pool, "😀"), "😀");
}

/* --- loading speed: a synthetic file the size of the real one ----------- */

static long vm_rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static void synthetic_full_size_load(void **state)
{
    static const char *const prefs[][2] = {
        { "ホッカイドウ", "北海道" }, { "アオモリケン", "青森県" },
        { "トウキョウト", "東京都" }, { "カナガワケン", "神奈川県" },
        { "アイチケン", "愛知県" }, { "キョウトフ", "京都府" },
        { "オオサカフ", "大阪府" }, { "フクオカケン", "福岡県" },
        { "カゴシマケン", "鹿児島県" }, { "オキナワケン", "沖縄県" },
    };
    enum { LINES = 130000 };
    char path[] = "/tmp/sa_postal_big_XXXXXX";
    int fd = mkstemp(path), i, k = -1;
    apr_size_t codes = 0;
    long bytes, rss0, rss1;
    apr_pool_t *lp;
    apr_time_t t0, t1;
    sa_postal *big = NULL;
    const sa_postal_entry *e;
    FILE *f;
    (void)state;

    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    for (i = 0; i < LINES; i++) {
        int pi = (i / 13000) % 10, city = i / 70;   /* ~1,860 cities, as in the real file */
        char town[64];
        if (i % 10 != 9) {       /* every tenth row: a second town of the same code */
            k++;
            codes++;
        }
        if (i % 50 == 0)
            strcpy(town, "以下に掲載がない場合");
        else
            snprintf(town, sizeof town, "本駒込西北%d%s", i, i % 7 == 0 ? "（１～１９丁目）" : "");
        fprintf(f, "%05d,\"%03d  \",\"%07d\",\"%s\",\"シチョウソン%dク\",\"%s\","
                   "\"%s\",\"第%d市中央区\",\"%s\",0,0,%d,0,0,0\r\n",
                1000 + city, k % 1000, 10000 + k * 7, prefs[pi][0], city,
                i % 50 == 0 ? "イカニケイサイガナイバアイ" : "ホンコマゴメニシキタ",
                prefs[pi][1], city, town, i % 3 == 0);
    }
    bytes = ftell(f);
    assert_int_equal(fclose(f), 0);

    apr_pool_create(&lp, pool);
    rss0 = vm_rss_kb();
    t0 = apr_time_now();
    assert_null(sa_postal_load(lp, path, &big));
    t1 = apr_time_now();
    rss1 = vm_rss_kb();
    assert_non_null(big);
    assert_int_equal(sa_postal_count(big), codes);
    assert_int_equal(codes, 117000);
    /* rows 8 and 9 share a code */
    assert_int_equal(sa_postal_lookup(big, apr_psprintf(pool, "%07d", 10000 + 8 * 7), &e), 2);
    assert_string_equal(e[0].town, "本駒込西北8");
    assert_string_equal(e[1].town, "本駒込西北9");
    assert_int_equal(sa_postal_lookup(big, "0010000", &e), 1);
    assert_string_equal(e[0].town, "");       /* row 0: 以下に掲載がない場合 */
    printf("  synthetic utf_ken_all: %d lines, %ld bytes, %" APR_SIZE_T_FMT
           " codes: loaded in %.1f ms, VmRSS +%ld KB\n",
           LINES, bytes, codes, (double)(t1 - t0) / 1000.0, rss1 - rss0);
    apr_pool_destroy(lp);
    unlink(path);
}

/* --- setup -------------------------------------------------------------- */

/* Copies the fixture without its malformed line and loads the copy. */
static int load_good_copy(void **state)
{
    char line[2048];
    int n = 0, fd;
    FILE *in, *out;
    const char *err;
    (void)state;
    in = fopen(fixture(), "rb");
    fd = mkstemp(good_copy);
    if (!in || fd < 0 || !(out = fdopen(fd, "wb")))
        return -1;
    while (fgets(line, sizeof line, in))
        if (++n != FIXTURE_BAD_LINE)
            fputs(line, out);
    fclose(in);
    fclose(out);
    if ((err = sa_postal_load(pool, good_copy, &pd)) != NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int remove_good_copy(void **state)
{
    (void)state;
    unlink(good_copy);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixture_malformed_line_is_reported),
        cmocka_unit_test(counts_distinct_codes),
        cmocka_unit_test(honkomagome),
        cmocka_unit_test(address_for_the_form),
        cmocka_unit_test(no_town_part_is_empty),
        cmocka_unit_test(parentheses_are_dropped),
        cmocka_unit_test(several_towns_in_file_order),
        cmocka_unit_test(same_town_under_one_code_once),
        cmocka_unit_test(malformed_or_unknown_codes),
        cmocka_unit_test(missing_file_names_the_path),
        cmocka_unit_test(malformed_lines_name_file_and_line),
        cmocka_unit_test(overlong_line_is_an_error),
        cmocka_unit_test(empty_file_is_an_error),
        cmocka_unit_test(bom_lf_quotes_and_last_line_without_newline),
        cmocka_unit_test(town_rules),
        cmocka_unit_test(json_escape),
        cmocka_unit_test(synthetic_full_size_load),
    };
    int rc;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    rc = cmocka_run_group_tests_name("postal", tests, load_good_copy, remove_good_copy);
    apr_terminate();
    return rc;
}
