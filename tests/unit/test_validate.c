/* Unit tests of the validators (sa_validate.c) and the two wizard forms
 * (sa_form.c).  Run from the repository root: data/ is read from there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "sa_validate.h"
#include "sa_form.h"

static apr_pool_t *pool;

static int setup(void **state)
{
    (void)state;
    return apr_pool_create(&pool, NULL) == APR_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    return 0;
}

/* Asserts that rule accepts in and normalises it to want. */
#define ACCEPTS(rule, in, want) do { \
        const char *o_ = NULL, *m_ = rule(pool, in, &o_); \
        if (m_) fail_msg("%s rejected \"%s\": %s", #rule, in, m_); \
        assert_string_equal(o_, want); \
    } while (0)

/* Asserts that rule rejects in with a message containing part. */
#define REJECTS(rule, in, part) do { \
        const char *o_ = NULL, *m_ = rule(pool, in, &o_); \
        if (!m_) fail_msg("%s accepted \"%s\" as \"%s\"", #rule, in, o_ ? o_ : "(null)"); \
        if (!strstr(m_, part)) fail_msg("%s(\"%s\"): \"%s\" lacks \"%s\"", #rule, in, m_, part); \
    } while (0)

#define CONTAINS(msg, part) do { \
        const char *c_ = (msg); \
        if (!c_) fail_msg("expected a message containing \"%s\", got NULL", part); \
        if (!strstr(c_, part)) fail_msg("\"%s\" lacks \"%s\"", c_, part); \
    } while (0)

/* ---------------------------------------------------------------- text */

static void test_check_text(void **state)
{
    (void)state;
    assert_null(sa_check_text("株式会社テスト ABC 123", 0));
    assert_null(sa_check_text("😀 four bytes", 0));
    assert_null(sa_check_text("", 0));
    assert_non_null(sa_check_text("\xC0\xAF", 0));           /* overlong '/' */
    assert_non_null(sa_check_text("\xE0\x80\xAF", 0));       /* overlong */
    assert_non_null(sa_check_text("\xED\xA0\x80", 0));       /* surrogate */
    assert_non_null(sa_check_text("\xE3\x81", 0));           /* cut off */
    assert_non_null(sa_check_text("\xF4\x90\x80\x80", 0));   /* > U+10FFFF */
    assert_non_null(sa_check_text("\xFF", 0));
    assert_non_null(sa_check_text("a\x01" "b", 1));          /* C0 */
    assert_non_null(sa_check_text("a\x7F", 1));              /* DEL */
    assert_non_null(sa_check_text("a\xC2\x85", 1));          /* C1 NEL */
    assert_non_null(sa_check_text("a\nb", 0));
    assert_non_null(sa_check_text("a\tb", 0));
    assert_null(sa_check_text("a\r\nb\tc", 1));
    assert_int_equal(sa_text_status_of("\xED\xA0\x80", 0), SA_TEXT_BAD_UTF8);
    assert_int_equal(sa_text_status_of("a\nb", 0), SA_TEXT_NEWLINE);
    assert_int_equal(sa_text_status_of("a\x7F", 0), SA_TEXT_CONTROL);
    CONTAINS(sa_check_text_label(pool, "事業者名", "a\nb", 0), "事業者名に改行");
}

static void test_lengths(void **state)
{
    (void)state;
    assert_int_equal(sa_utf8_len("abc"), 3);
    assert_int_equal(sa_utf8_len("株式会社"), 4);
    assert_int_equal(sa_utf8_len("😀a"), 2);
    assert_null(sa_length("あいう", 3));
    assert_non_null(sa_length("あいうえ", 3));
    assert_null(sa_length_label(pool, "事業者名", "あいう", 3));
    CONTAINS(sa_length_label(pool, "事業者名", "あいうえ", 3), "事業者名は3文字以内");
    CONTAINS(sa_length_label(pool, "事業者名", "あいうえ", 3), "現在4文字");
}

/* Invalid UTF-8 anywhere, also after another problem such as a control
 * character (which sa_text_status_of reports first). */
static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(sa_utf8_valid(""));
    assert_true(sa_utf8_valid("日立 abc"));
    assert_false(sa_utf8_valid("\xe3\x81\xb2\x7f \xe5"));
    assert_int_equal(sa_text_status_of("\xe3\x81\xb2\x7f \xe5", 1), SA_TEXT_CONTROL);
    assert_false(sa_utf8_valid("\xe6\x3f\x88"));
    assert_false(sa_utf8_valid("\xed\xa0\x80"));      /* a surrogate */
    /* the search fold takes nothing of such text (it used to loop forever) */
    assert_string_equal(sa_search_fold(pool, "\xe3\x81\xb2\x7f \xe5"), "");
}

static void test_trim_and_fold(void **state)
{
    (void)state;
    assert_string_equal(sa_trim(pool, " \t\u3000山田 太郎\u3000\r\n"), "山田 太郎");
    assert_string_equal(sa_trim(pool, "\u3000 \u3000"), "");
    assert_string_equal(sa_trim(pool, ""), "");
    /* U+3001 shares the lead bytes of U+3000 and must survive. */
    assert_string_equal(sa_trim(pool, "あ、"), "あ、");
    assert_string_equal(sa_fold_width(pool, "ＡＢＣ１２３＠－\u3000ア"), "ABC123@- ア");
    assert_string_equal(sa_strip_separators(pool, "１２３－４５６ ７\u3000８ー9\u2212" "0\u2010" "1"),
                        "1234567890" "1");
}

/* ----------------------------------------------------------- 法人番号 */

static void test_corporate_check_digit(void **state)
{
    (void)state;
    assert_int_equal(sa_corporate_check_digit("000012050002"), 7);
    assert_int_equal(sa_corporate_check_digit("000000000000"), 9);
}

static void test_corporate_number(void **state)
{
    (void)state;
    ACCEPTS(sa_corporate_number, "7000012050002", "7000012050002");
    ACCEPTS(sa_corporate_number, " ７０００ー０１２０５ー０００２　", "7000012050002");
    ACCEPTS(sa_corporate_number, "7-0000-1205-0002", "7000012050002");
    ACCEPTS(sa_corporate_number, "7\u22120000\u201012050002", "7000012050002");
    ACCEPTS(sa_corporate_number, "7\u20110000\u20121205\u20130002\u2014", "7000012050002");
    ACCEPTS(sa_corporate_number, "7\uFF0D000012050002", "7000012050002");
    ACCEPTS(sa_corporate_number, "7 0000 1205 0002", "7000012050002");
    REJECTS(sa_corporate_number, "7000012050003", "法人番号が正しくありません");
    REJECTS(sa_corporate_number, "8000012050002", "12桁の会社法人等番号ではありません");
    REJECTS(sa_corporate_number, "000012050002", "会社法人等番号");
    REJECTS(sa_corporate_number, "70000120500021", "14桁");
    REJECTS(sa_corporate_number, "700001205000A", "「A」");
    REJECTS(sa_corporate_number, "7000.0120.50002", "「.」");
    REJECTS(sa_corporate_number, "", "法人番号を入力してください");
    REJECTS(sa_corporate_number, "7000\x01" "012050002", "制御文字");
}

/* --------------------------------------------------------------- kana */

static void test_kana(void **state)
{
    (void)state;
    ACCEPTS(sa_kana, "ヤマダ タロウ", "ヤマダタロウ");
    ACCEPTS(sa_kana, "やまだ\u3000たろう", "ヤマダタロウ");
    ACCEPTS(sa_kana, "ｶﾞｯｺｳ", "ガッコウ");
    ACCEPTS(sa_kana, "ﾊﾟﾝﾔ", "パンヤ");
    ACCEPTS(sa_kana, "ｳﾞｨｰﾅｽ", "ヴィーナス");
    ACCEPTS(sa_kana, "ﾎﾞﾎﾟﾂﾞﾄﾞ", "ボポヅド");
    ACCEPTS(sa_kana, "ｺｰﾋｰ", "コーヒー");
    ACCEPTS(sa_kana, "ぢゃゔぁ", "ヂャヴァ");
    ACCEPTS(sa_kana, "カ\u3099ハ\u309Aか\u309B", "ガパガ");
    ACCEPTS(sa_kana, "ヵヶヽヾ", "ヵヶヽヾ");
    REJECTS(sa_kana, "カ\u3099キ\u309A", "全角カタカナで入力してください");
    REJECTS(sa_kana, "株式会社", "「株」");
    REJECTS(sa_kana, "ABCショウジ", "「A」");
    REJECTS(sa_kana, "ヤマダ・タロウ", "「・」");
    REJECTS(sa_kana, "ﾔﾏﾀﾞ･ﾀﾛｳ", "「・」");
    REJECTS(sa_kana, "ﾞｱ", "全角カタカナで入力してください");
    REJECTS(sa_kana, "アﾟ", "全角カタカナで入力してください");
    REJECTS(sa_kana, "ｺ-ﾋ-", "「-」");
    REJECTS(sa_kana, "　 ", "フリガナ");
}

static void test_corp_kana(void **state)
{
    (void)state;
    ACCEPTS(sa_corp_kana, "マルマル ショウジ", "マルマルショウジ");
    ACCEPTS(sa_corp_kana, "ヤマダカブシキガイシャショウジ", "ヤマダカブシキガイシャショウジ");
    REJECTS(sa_corp_kana, "カブシキガイシャマルマル", "法人の種類");
    REJECTS(sa_corp_kana, "ﾏﾙﾏﾙｶﾌﾞｼｷｶﾞｲｼｬ", "カブシキガイシャ");
    REJECTS(sa_corp_kana, "ゆうげんがいしゃまるまる", "有限会社");
    REJECTS(sa_corp_kana, "マルマルゴウドウガイシャ", "合同会社");
    REJECTS(sa_corp_kana, "ゴウメイガイシャマルマル", "合名会社");
    REJECTS(sa_corp_kana, "マルマルゴウシガイシャ", "合資会社");
    REJECTS(sa_corp_kana, "イッパンシャダンホウジンマルマル", "一般社団法人");
    REJECTS(sa_corp_kana, "マルマルイッパンザイダンホウジン", "一般財団法人");
    REJECTS(sa_corp_kana, "カブシキカイシャマルマル", "法人の種類");
    REJECTS(sa_corp_kana, "株式会社マルマル", "「株」");
}

/* ------------------------------------------------- postal, phone, int */

static void test_postal(void **state)
{
    (void)state;
    ACCEPTS(sa_postal_code, "1234567", "123-4567");
    ACCEPTS(sa_postal_code, "123-4567", "123-4567");
    ACCEPTS(sa_postal_code, "１２３ー４５６７", "123-4567");
    ACCEPTS(sa_postal_code, "〒113-6591", "113-6591");
    ACCEPTS(sa_postal_code, " 123 4567 ", "123-4567");
    REJECTS(sa_postal_code, "123-456", "6桁");
    REJECTS(sa_postal_code, "123-45678", "8桁");
    REJECTS(sa_postal_code, "123-456a", "「a」");
    REJECTS(sa_postal_code, "", "郵便番号を入力してください");
}

static void test_phone(void **state)
{
    (void)state;
    ACCEPTS(sa_phone, "03-1234-5678", "03-1234-5678");
    ACCEPTS(sa_phone, "０３－１２３４－５６７８", "03-1234-5678");
    ACCEPTS(sa_phone, "090\u22121234\u22125678", "090-1234-5678");
    ACCEPTS(sa_phone, "0312345678", "0312345678");
    ACCEPTS(sa_phone, "03-12345678", "03-12345678");
    ACCEPTS(sa_phone, "09012345678", "09012345678");
    ACCEPTS(sa_phone, "03 1234 5678", "0312345678");
    ACCEPTS(sa_phone, "(03)1234-5678", "0312345678");
    ACCEPTS(sa_phone, "（０３）１２３４－５６７８", "0312345678");
    ACCEPTS(sa_phone, "03--1234-5678", "0312345678");
    ACCEPTS(sa_phone, "0-3-1-2-3-4-5-6-7-8", "0312345678");
    ACCEPTS(sa_phone, "03-1234-5678-", "0312345678");
    REJECTS(sa_phone, "3-1234-5678", "0で始まる");
    REJECTS(sa_phone, "1234567890", "0で始まる");
    REJECTS(sa_phone, "03-1234-567", "9桁");
    REJECTS(sa_phone, "090-1234-56789", "12桁");
    REJECTS(sa_phone, "+81-3-1234-5678", "+81");
    REJECTS(sa_phone, "03-1234-5678内線12", "「内」");
    REJECTS(sa_phone, "03.1234.5678", "「.」");
    REJECTS(sa_phone, "", "電話番号を入力してください");
}

static void test_int_range(void **state)
{
    (void)state;
    const char *o;
    assert_null(sa_int_range(pool, "0", 0, 100, &o));
    assert_string_equal(o, "0");
    assert_null(sa_int_range(pool, "１００", 0, 100, &o));
    assert_string_equal(o, "100");
    assert_null(sa_int_range(pool, " 007 ", 0, 100, &o));
    assert_string_equal(o, "7");
    assert_non_null(sa_int_range(pool, "101", 0, 100, &o));
    assert_non_null(sa_int_range(pool, "-1", 0, 100, &o));
    assert_non_null(sa_int_range(pool, "5.5", 0, 100, &o));
    assert_non_null(sa_int_range(pool, "", 0, 100, &o));
    assert_non_null(sa_int_range(pool, "0", 1, 4, &o));
    assert_non_null(sa_int_range(pool, "99999999999999999999999", 0, 100, &o));
    CONTAINS(sa_int_range(pool, "abc", 0, 100, &o), "0から100まで");
}

/* ------------------------------------------------------------ e-mail */

static void test_email(void **state)
{
    (void)state;
    char local65[80], long_addr[300];

    ACCEPTS(sa_email, "info@example.co.jp", "info@example.co.jp");
    ACCEPTS(sa_email, " Taro.Yamada+news@Example.CO.JP ", "Taro.Yamada+news@example.co.jp");
    ACCEPTS(sa_email, "a!#$%&'*+-/=?^_`{|}~z@x-1.example.com", "a!#$%&'*+-/=?^_`{|}~z@x-1.example.com");
    REJECTS(sa_email, "ｉｎｆｏ@example.jp", "「ｉ」");
    REJECTS(sa_email, "info＠example.jp", "「＠」");
    REJECTS(sa_email, "info.example.jp", "「@」がありません");
    REJECTS(sa_email, "a@b@example.jp", "2つ以上");
    REJECTS(sa_email, "@example.jp", "より前の部分がありません");
    REJECTS(sa_email, ".info@example.jp", "先頭や末尾");
    REJECTS(sa_email, "info.@example.jp", "先頭や末尾");
    REJECTS(sa_email, "in..fo@example.jp", "2つ続ける");
    REJECTS(sa_email, "-info@example.jp", "先頭に「-」");
    REJECTS(sa_email, "in fo@example.jp", "空白");
    REJECTS(sa_email, "in,fo@example.jp", "「,」");
    REJECTS(sa_email, "\"quoted\"@example.jp", "「\"」");
    REJECTS(sa_email, "info@", "ドメイン）がありません");
    REJECTS(sa_email, "info@localhost", "ドメイン");
    REJECTS(sa_email, "info@example.j", "1文字");
    REJECTS(sa_email, "info@example.123", "英字だけ");
    REJECTS(sa_email, "info@-example.jp", "「-」");
    REJECTS(sa_email, "info@example-.jp", "「-」");
    REJECTS(sa_email, "info@example..jp", "2つ続いて");
    REJECTS(sa_email, "info@example.jp.", "末尾");
    REJECTS(sa_email, "info@exa_mple.jp", "「_」");
    REJECTS(sa_email, "", "メールアドレスを入力してください");
    memset(local65, 'a', 65);
    local65[65] = '\0';
    REJECTS(sa_email, apr_pstrcat(pool, local65, "@example.jp", NULL), "64文字");
    local65[64] = '\0';
    ACCEPTS(sa_email, apr_pstrcat(pool, local65, "@example.jp", NULL),
            apr_pstrcat(pool, local65, "@example.jp", NULL));
    REJECTS(sa_email, apr_pstrcat(pool, "a@", local65, ".jp", NULL), "63文字");
    /* 259 bytes: a@ + 5 labels of 50 + ".jp" */
    snprintf(long_addr, sizeof long_addr, "a@%.50s.%.50s.%.50s.%.50s.%.50s.jp",
             local65, local65, local65, local65, local65);
    assert_true(strlen(long_addr) > 254);
    REJECTS(sa_email, long_addr, "254文字");
}

/* --------------------------------------------------------------- URL */

static void test_url(void **state)
{
    (void)state;
    char big[2100];

    ACCEPTS(sa_url, "https://www.example.co.jp/", "https://www.example.co.jp/");
    ACCEPTS(sa_url, " HTTP://WWW.Example.JP/Path/Index.html?q=A#Top ",
            "http://www.example.jp/Path/Index.html?q=A#Top");
    ACCEPTS(sa_url, "https://example.jp", "https://example.jp");
    ACCEPTS(sa_url, "https://example.jp:8443/a", "https://example.jp:8443/a");
    ACCEPTS(sa_url, "http://192.0.2.10/", "http://192.0.2.10/");
    ACCEPTS(sa_url, "https://example.jp/会社概要", "https://example.jp/会社概要");
    ACCEPTS(sa_url, "https://xn--eckwd4c7c.xn--zckzah.jp/", "https://xn--eckwd4c7c.xn--zckzah.jp/");
    REJECTS(sa_url, "www.example.co.jp", "https://");
    REJECTS(sa_url, "ftp://example.jp/", "https://");
    REJECTS(sa_url, "javascript:alert(1)", "https://");
    REJECTS(sa_url, "https://", "ホスト名がありません");
    REJECTS(sa_url, "https:///path", "ホスト名がありません");
    REJECTS(sa_url, "https://exa mple.jp/", "空白");
    REJECTS(sa_url, "https://example.jp/a b", "空白");
    REJECTS(sa_url, "https://user:pass@example.jp/", "ユーザー名");
    REJECTS(sa_url, "https://example.jp:0/", "ポート番号");
    REJECTS(sa_url, "https://example.jp:65536/", "ポート番号");
    REJECTS(sa_url, "https://example.jp:/", "ポート番号");
    REJECTS(sa_url, "https://example.jp:80a/", "ポート番号");
    REJECTS(sa_url, "https://localhost/", "ホスト名が正しくありません");
    REJECTS(sa_url, "https://999.1.1.1/", "ホスト名が正しくありません");
    REJECTS(sa_url, "https://exa_mple.jp/", "「_」");
    REJECTS(sa_url, "https://例え.jp/", "xn--");
    REJECTS(sa_url, "https://[2001:db8::1]/", "ホスト名");
    REJECTS(sa_url, "https://example.jp/\x7F", "制御文字");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "https://example.jp/", 19);
    REJECTS(sa_url, big, "2000文字");
    big[2000] = '\0';
    ACCEPTS(sa_url, big, big);
}

/* ---------------------------------------------------------- password */

static void test_password(void **state)
{
    (void)state;
    char pw[80];

    assert_null(sa_password_policy("Abcdefgh1!"));
    assert_null(sa_password_policy("zZ9~zZ9~zZ"));
    assert_null(sa_password_policy("A1a\\\"'`{}|_"));
    CONTAINS(sa_password_policy(""), "パスワードを入力してください");
    CONTAINS(sa_password_policy("Abcdef gh1!"), "空白");
    CONTAINS(sa_password_policy("Abcdef\u3000gh1!"), "空白");
    CONTAINS(sa_password_policy("Ａbcdefgh1!"), "全角文字");
    CONTAINS(sa_password_policy("Abcdefgh1!\t"), "半角の英字・数字・記号だけ");
    CONTAINS(sa_password_policy("abcdef1!"), "10文字より短く、英大文字が");
    CONTAINS(sa_password_policy("Abcdefghi1"), "パスワードに記号が含まれていません");
    CONTAINS(sa_password_policy("abcdefgh1!"), "パスワードに英大文字が含まれていません");
    CONTAINS(sa_password_policy("ABCDEFGH1!"), "パスワードに英小文字が含まれていません");
    CONTAINS(sa_password_policy("Abcdefghi!"), "パスワードに数字が含まれていません");
    CONTAINS(sa_password_policy("abcdefghij"), "英大文字・数字・記号が含まれていません");
    CONTAINS(sa_password_policy("Abcdefgh1?"), "記号が含まれていません");  /* ? is not listed */
    CONTAINS(sa_password_policy("abc"), "10文字より短く、英大文字・数字・記号が");
    CONTAINS(sa_password_policy("Abcdefg1!"), "短すぎます");
    memset(pw, 'a', 64);
    memcpy(pw, "A1!", 3);
    pw[64] = '\0';
    assert_null(sa_password_policy(pw));
    pw[64] = 'a';
    pw[65] = '\0';
    CONTAINS(sa_password_policy(pw), "長すぎます");
    pw[0] = 'a';
    CONTAINS(sa_password_policy(pw), "64文字より長く、英大文字が");
    assert_null(sa_password_confirm("Abcdefgh1!", "Abcdefgh1!"));
    CONTAINS(sa_password_confirm("Abcdefgh1!", "Abcdefgh1?"), "パスワード（確認用）がパスワードと一致しません");
    CONTAINS(sa_password_confirm("Abcdefgh1!", ""), "パスワード（確認用）を入力してください");
    CONTAINS(sa_password_confirm("Abcdefgh1!", NULL), "パスワード（確認用）を入力してください");
}

/* --------------------------------------------------------- reference */

static sa_refdata *load_ref(void)
{
    sa_refdata *rd = NULL;
    const char *msg = sa_refdata_load(pool, "data", &rd);
    if (msg)
        fail_msg("sa_refdata_load: %s", msg);
    return rd;
}

static void test_refdata(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    const sa_refitem *it;

    assert_int_equal(rd->prefectures->nelts, 47);
    assert_int_equal(rd->jsic_major->nelts, 20);
    assert_int_equal(rd->jsic_middle->nelts, 99);
    assert_string_equal(sa_refdata_find(rd->prefectures, "13")->name, "東京都");
    assert_string_equal(APR_ARRAY_IDX(rd->prefectures, 46, sa_refitem).name, "沖縄県");
    assert_string_equal(APR_ARRAY_IDX(rd->jsic_major, 0, sa_refitem).code, "A");
    assert_string_equal(APR_ARRAY_IDX(rd->jsic_major, 19, sa_refitem).code, "T");
    it = sa_refdata_find(rd->jsic_middle, "39");
    assert_non_null(it);
    assert_string_equal(it->parent, "G");
    assert_null(sa_refdata_find(rd->prefectures, "48"));
    assert_null(sa_refdata_find(rd->jsic_major, "Z"));
}

/* Writes a reference directory with the given files' contents. */
static const char *ref_dir(const char *prefs, const char *jsic)
{
    char tmpl[] = "/tmp/sa_ref_XXXXXX";
    const char *dir = apr_pstrdup(pool, mkdtemp(tmpl));
    FILE *f;

    f = fopen(apr_pstrcat(pool, dir, "/prefectures.tsv", NULL), "w");
    fputs(prefs, f);
    fclose(f);
    f = fopen(apr_pstrcat(pool, dir, "/jsic.tsv", NULL), "w");
    fputs(jsic, f);
    fclose(f);
    return dir;
}

static void remove_dir(const char *dir)
{
    unlink(apr_pstrcat(pool, dir, "/prefectures.tsv", NULL));
    unlink(apr_pstrcat(pool, dir, "/jsic.tsv", NULL));
    rmdir(dir);
}

static void test_refdata_errors(void **state)
{
    (void)state;
    static const char *jh = "major_code\tmajor_name\tmiddle_code\tmiddle_name\n";
    sa_refdata *rd = NULL;
    const char *dir;

    /* CRLF and a BOM are accepted. */
    dir = ref_dir("\xEF\xBB\xBF" "code\tname\r\n01\t北海道\r\n",
                  apr_pstrcat(pool, jh, "A\t農業、林業\t01\t農業\nA\t農業、林業\t02\t林業\n", NULL));
    assert_null(sa_refdata_load(pool, dir, &rd));
    assert_int_equal(rd->jsic_major->nelts, 1);
    assert_int_equal(rd->jsic_middle->nelts, 2);
    remove_dir(dir);

    dir = ref_dir("code\tname\n01\t北海道\n02\t青森県\textra\n", jh);
    CONTAINS(sa_refdata_load(pool, dir, &rd), "prefectures.tsv line 3");
    remove_dir(dir);

    dir = ref_dir("code,name\n01,北海道\n", jh);
    CONTAINS(sa_refdata_load(pool, dir, &rd), "prefectures.tsv line 1");
    remove_dir(dir);

    dir = ref_dir("code\tname\n01\t北海道\n01\t青森県\n", jh);
    CONTAINS(sa_refdata_load(pool, dir, &rd), "line 3: prefecture code 01 appears twice");
    remove_dir(dir);

    dir = ref_dir("code\tname\n01\t北海道\n",
                  apr_pstrcat(pool, jh, "A\t農業\t01\t農業\nA\t農業、林業\t02\t林業\n", NULL));
    CONTAINS(sa_refdata_load(pool, dir, &rd), "jsic.tsv line 3");
    remove_dir(dir);

    dir = ref_dir("code\tname\n01\t北海道\n",
                  apr_pstrcat(pool, jh, "A\t農業\t01\t農業\nA\t農業\t\t林業\n", NULL));
    CONTAINS(sa_refdata_load(pool, dir, &rd), "jsic.tsv line 3: column 3 is empty");
    remove_dir(dir);

    /* a division's lines together: the pages list its groups as one run */
    dir = ref_dir("code\tname\n01\t北海道\n",
                  apr_pstrcat(pool, jh, "A\t農業\t01\t農業\nB\t漁業\t03\t漁業\nA\t農業\t02\t林業\n", NULL));
    CONTAINS(sa_refdata_load(pool, dir, &rd), "jsic.tsv line 4: major division A appears again after B");
    remove_dir(dir);

    CONTAINS(sa_refdata_load(pool, "/nonexistent-sa-dir", &rd), "/nonexistent-sa-dir/prefectures.tsv");
}

/* --------------------------------------------------------- the forms */

static apr_table_t *company_input(int corp)
{
    apr_table_t *t = apr_table_make(pool, 30);

    apr_table_set(t, "kind", corp ? "corp" : "sole");
    apr_table_set(t, "corp_no", "７０００-０１２０５-０００２");
    apr_table_set(t, "corp_name", " 国税庁 ");
    apr_table_set(t, "corp_kana", "こくぜい ちょう");
    apr_table_set(t, "rep_name", "山田 太郎");
    apr_table_set(t, "rep_kana", "ﾔﾏﾀﾞ ﾀﾛｳ");
    apr_table_set(t, "trade_name", "やまだ屋");
    apr_table_set(t, "url", "");
    apr_table_set(t, "postal", "100-8978");
    apr_table_set(t, "pref", "13");
    apr_table_set(t, "city", "千代田区霞が関");
    apr_table_set(t, "street", "3-1-1");
    apr_table_set(t, "building", "");
    apr_table_set(t, "phone", "03-3581-4161");
    apr_table_set(t, "jsic_major", "G");
    apr_table_set(t, "jsic_middle", "39");
    apr_table_set(t, "member", "no");
    apr_table_set(t, "member_name", "商工会");
    apr_table_set(t, "ipa_info", "yes");
    apr_table_set(t, "password", "Abcdefgh1!");
    apr_table_set(t, "password2", "Abcdefgh1!");
    return t;
}

static apr_array_header_t *new_errs(void)
{
    return apr_array_make(pool, 8, sizeof(sa_error));
}

static const char *err_for(const apr_array_header_t *errs, const char *field)
{
    int i;
    for (i = 0; i < errs->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(errs, i, sa_error).field, field) == 0)
            return APR_ARRAY_IDX(errs, i, sa_error).message;
    return NULL;
}

/* "f1,f2,…": the fields of errs in order. */
static const char *err_fields(const apr_array_header_t *errs)
{
    const char *s = "";
    int i;
    for (i = 0; i < errs->nelts; i++)
        s = apr_pstrcat(pool, s, i ? "," : "", APR_ARRAY_IDX(errs, i, sa_error).field, NULL);
    return s;
}

static void test_company_corp_ok(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    apr_table_t *in = company_input(1), *out = apr_table_make(pool, 30);
    apr_array_header_t *errs = new_errs();
    const char *pw = NULL;

    assert_int_equal(sa_company_validate(pool, rd, in, out, &pw, errs), 0);
    assert_string_equal(err_fields(errs), "");
    assert_string_equal(pw, "Abcdefgh1!");
    assert_string_equal(apr_table_get(out, "kind"), "corp");
    assert_string_equal(apr_table_get(out, "corp_no"), "7000012050002");
    assert_string_equal(apr_table_get(out, "corp_name"), "国税庁");
    assert_string_equal(apr_table_get(out, "corp_kana"), "コクゼイチョウ");
    assert_string_equal(apr_table_get(out, "url"), "");
    assert_string_equal(apr_table_get(out, "postal"), "100-8978");
    assert_string_equal(apr_table_get(out, "pref"), "13");
    assert_string_equal(apr_table_get(out, "building"), "");
    assert_string_equal(apr_table_get(out, "phone"), "03-3581-4161");
    assert_string_equal(apr_table_get(out, "jsic_middle"), "39");
    assert_string_equal(apr_table_get(out, "member"), "no");
    assert_string_equal(apr_table_get(out, "ipa_info"), "yes");
    assert_null(apr_table_get(out, "member_name"));
    assert_null(apr_table_get(out, "rep_name"));
    assert_null(apr_table_get(out, "rep_kana"));
    assert_null(apr_table_get(out, "trade_name"));
    assert_null(apr_table_get(out, "password"));
    assert_null(apr_table_get(out, "password2"));
}

static void test_company_sole_ok(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    apr_table_t *in = company_input(0), *out = apr_table_make(pool, 30);
    apr_array_header_t *errs = new_errs();
    const char *pw = NULL;

    apr_table_set(in, "corp_no", "bad");       /* ignored for sole */
    apr_table_set(in, "trade_name", "");
    apr_table_set(in, "member", "yes");
    apr_table_set(in, "url", "HTTPS://Example.JP/");
    apr_table_set(in, "jsic_middle", "");
    assert_int_equal(sa_company_validate(pool, rd, in, out, &pw, errs), 0);
    assert_string_equal(apr_table_get(out, "rep_name"), "山田 太郎");
    assert_string_equal(apr_table_get(out, "rep_kana"), "ヤマダタロウ");
    assert_string_equal(apr_table_get(out, "trade_name"), "");
    assert_string_equal(apr_table_get(out, "url"), "https://example.jp/");
    assert_string_equal(apr_table_get(out, "member_name"), "商工会");
    assert_string_equal(apr_table_get(out, "jsic_middle"), "");
    assert_null(apr_table_get(out, "corp_no"));
    assert_null(apr_table_get(out, "corp_name"));
    assert_null(apr_table_get(out, "corp_kana"));
}

/* Both password fields empty on a return keeps the earlier password, but
 * only when nothing else is wrong and nothing was typed in them. */
static void test_password_may_stay(void **state)
{
    sa_refdata *rd = load_ref();
    apr_table_t *in = company_input(1), *out;
    apr_array_header_t *errs;
    const char *pw;
    (void)state;

    apr_table_set(in, "password", "");
    apr_table_set(in, "password2", "");
    out = apr_table_make(pool, 30);
    errs = apr_array_make(pool, 4, sizeof(sa_error));
    assert_true(sa_company_validate(pool, rd, in, out, &pw, errs) > 0);
    assert_true(sa_password_may_stay(in, errs));
    assert_string_equal(apr_table_get(out, "corp_no"), "7000012050002");

    apr_table_set(in, "phone", "12");           /* another error: no */
    errs = apr_array_make(pool, 4, sizeof(sa_error));
    sa_company_validate(pool, rd, in, apr_table_make(pool, 30), &pw, errs);
    assert_false(sa_password_may_stay(in, errs));

    in = company_input(1);                       /* a typed but bad password: no */
    apr_table_set(in, "password", "short");
    apr_table_set(in, "password2", "");
    errs = apr_array_make(pool, 4, sizeof(sa_error));
    sa_company_validate(pool, rd, in, apr_table_make(pool, 30), &pw, errs);
    assert_false(sa_password_may_stay(in, errs));
}

/* Stored multi-values and the names shown for them. */
static void test_codes_and_labels(void **state)
{
    (void)state;
    assert_true(sa_codes_contain("web,other", "web"));
    assert_true(sa_codes_contain("web,other", "other"));
    assert_false(sa_codes_contain("web,other", "we"));
    assert_false(sa_codes_contain("1,11", "2"));
    assert_true(sa_codes_contain("1,11", "11"));
    assert_false(sa_codes_contain(NULL, "1"));
    assert_false(sa_codes_contain("", "1"));
    assert_string_equal(sa_choice_labels(pool, sa_publish_methods, "other,web"),
                        "自社ウェブサイト、その他");
    assert_null(sa_choice_labels(pool, sa_publish_methods, ""));
    assert_null(sa_choice_labels(pool, sa_publish_methods, NULL));
    assert_string_equal(sa_level_name("1"), "一つ星");
    assert_string_equal(sa_level_name("2"), "二つ星");
}

static void test_company_empty(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    apr_table_t *out = apr_table_make(pool, 30);
    apr_array_header_t *errs = new_errs();
    const char *pw = "untouched";
    int n = sa_company_validate(pool, rd, apr_table_make(pool, 1), out, &pw, errs);

    assert_string_equal(err_fields(errs),
        "kind,postal,pref,city,street,phone,jsic_major,member,ipa_info,password,password2");
    assert_int_equal(n, errs->nelts);
    assert_null(pw);
    assert_string_equal(err_for(errs, "kind"), "「法人」か「個人事業主」かを選択してください。");
    assert_string_equal(err_for(errs, "city"), "市区町村・町名を入力してください。");
    assert_string_equal(err_for(errs, "pref"), "都道府県を選択してください。");
    assert_string_equal(err_for(errs, "password"), "パスワードを入力してください。");
    /* The optional fields are there, empty, for the next step. */
    assert_string_equal(apr_table_get(out, "url"), "");
    assert_string_equal(apr_table_get(out, "building"), "");
    assert_null(apr_table_get(out, "postal"));
}

static void test_company_corp_errors(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    apr_table_t *in = company_input(1), *out = apr_table_make(pool, 30);
    apr_array_header_t *errs = new_errs();
    const char *pw = NULL;
    char longname[400] = "";
    int i;

    for (i = 0; i < 101; i++)
        strcat(longname, "あ");
    apr_table_set(in, "corp_no", "7000012050003");
    apr_table_set(in, "corp_name", longname);
    apr_table_set(in, "corp_kana", "カブシキガイシャコクゼイ");
    apr_table_set(in, "url", "www.example.jp");
    apr_table_set(in, "postal", "100-897");
    apr_table_set(in, "pref", "48");
    apr_table_set(in, "city", "千代田区\n霞が関");
    apr_table_set(in, "phone", "3581-4161");
    apr_table_set(in, "jsic_middle", "01");
    apr_table_set(in, "member", "yes");
    apr_table_set(in, "member_name", "　");
    apr_table_set(in, "ipa_info", "maybe");
    apr_table_set(in, "password2", "Abcdefgh1?");
    sa_company_validate(pool, rd, in, out, &pw, errs);
    assert_string_equal(err_fields(errs),
        "corp_no,corp_name,corp_kana,url,postal,pref,city,phone,jsic_middle,member_name,ipa_info,password2");
    assert_null(pw);
    CONTAINS(err_for(errs, "corp_no"), "12桁の会社法人等番号ではありません");
    CONTAINS(err_for(errs, "corp_name"), "事業者名は100文字以内");
    CONTAINS(err_for(errs, "corp_kana"), "法人の種類");
    CONTAINS(err_for(errs, "pref"), "都道府県の選択が正しくありません");
    CONTAINS(err_for(errs, "city"), "市区町村・町名に改行");
    CONTAINS(err_for(errs, "jsic_middle"), "選択した業種（大分類）に含まれるもの");
    CONTAINS(err_for(errs, "member_name"), "所属団体名を入力してください");
    assert_string_equal(err_for(errs, "password2"), "パスワード（確認用）がパスワードと一致しません。");
    /* Nothing is stored for a field with an error; the rest is. */
    const char *none[] = { "corp_no", "corp_name", "corp_kana", "url", "postal", "pref",
                           "city", "phone", "jsic_middle", "member_name", "ipa_info", NULL };
    for (i = 0; none[i]; i++)
        if (apr_table_get(out, none[i]))
            fail_msg("%s was written despite its error", none[i]);
    assert_string_equal(apr_table_get(out, "street"), "3-1-1");
    assert_string_equal(apr_table_get(out, "jsic_major"), "G");
}

/* 番地 and ビル名など are folded like the numbers; a 町名 written in the
 * 番地 (as autofill does) goes to 市区町村・町名. */
static void test_company_address_lines(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    static const struct { const char *city, *street, *building, *city_out, *street_out,
                                       *building_out; } cases[] = {
        { "千代田区霞が関", "３－１－１", "霞が関センタービル　１２Ｆ",
          "千代田区霞が関", "3-1-1", "霞が関センタービル 12F" },
        { "千代田区霞が関", "3ー1ー1", "", "千代田区霞が関", "3-1-1", "" },
        { "千代田区", "霞が関３丁目１−１", "", "千代田区霞が関", "3丁目1-1", "" },
        { "千代田区霞が関", "霞が関3-1-1", "", "千代田区霞が関", "3-1-1", "" },
        { "札幌市中央区", "北1条西2丁目", "", "札幌市中央区", "北1条西2丁目", "" },
        { "千代田区霞が関", "無番地", "", "千代田区霞が関", "無番地", "" },
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        apr_table_t *in = company_input(1), *out = apr_table_make(pool, 30);
        apr_array_header_t *errs = new_errs();
        const char *pw = NULL;
        apr_table_set(in, "city", cases[i].city);
        apr_table_set(in, "street", cases[i].street);
        apr_table_set(in, "building", cases[i].building);
        assert_int_equal(sa_company_validate(pool, rd, in, out, &pw, errs), 0);
        assert_string_equal(apr_table_get(out, "city"), cases[i].city_out);
        assert_string_equal(apr_table_get(out, "street"), cases[i].street_out);
        assert_string_equal(apr_table_get(out, "building"), cases[i].building_out);
    }
    assert_string_equal(sa_address_fold(pool, "センター１ー２‐３"), "センター1-2-3");
}

static void test_company_kind_and_password(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    apr_table_t *in = company_input(1), *out = apr_table_make(pool, 30);
    apr_array_header_t *errs = new_errs();
    const char *pw = NULL;

    apr_table_set(in, "kind", "other");
    apr_table_set(in, "password", "short");
    apr_table_set(in, "password2", "short");
    apr_table_set(in, "jsic_major", "Z");
    sa_company_validate(pool, rd, in, out, &pw, errs);
    assert_string_equal(err_fields(errs), "kind,jsic_major,password");
    CONTAINS(err_for(errs, "kind"), "選択が正しくありません");
    CONTAINS(err_for(errs, "password"), "10文字より短く");
    assert_null(pw);
    assert_null(apr_table_get(out, "kind"));
    assert_null(apr_table_get(out, "corp_no"));
    assert_null(apr_table_get(out, "jsic_middle"));   /* no valid major */

    /* A good password with a different confirmation is not handed out. */
    in = company_input(0);
    errs = new_errs();
    apr_table_set(in, "password2", "");
    sa_company_validate(pool, rd, in, apr_table_make(pool, 30), &pw, errs);
    assert_string_equal(err_fields(errs), "password2");
    assert_null(pw);
}

static apr_table_t *declaration_input(const char *level)
{
    apr_table_t *t = apr_table_make(pool, 20);

    apr_table_set(t, "level", level);
    apr_table_set(t, "purpose", "3");
    apr_table_set(t, "pledge", "1");
    apr_table_set(t, "contact_name", "山田 花子");
    apr_table_set(t, "email", "Hanako@Example.JP");
    apr_table_set(t, "email2", "Hanako@example.jp");
    apr_table_set(t, "privacy", "1");
    return t;
}

static void test_declaration_level1(void **state)
{
    (void)state;
    apr_table_t *in = declaration_input("1"), *out = apr_table_make(pool, 20);
    apr_array_header_t *errs = new_errs();

    apr_table_add(in, "score", "200");        /* ignored on level 1 */
    apr_table_add(in, "publish", "nonsense");
    apr_table_add(in, "survey", "11");
    apr_table_add(in, "survey", "2");
    apr_table_add(in, "survey", "11");
    assert_int_equal(sa_declaration_validate(pool, NULL, in, out, errs), 0);
    assert_string_equal(apr_table_get(out, "level"), "1");
    assert_string_equal(apr_table_get(out, "purpose"), "補助金の申請のため");
    assert_string_equal(apr_table_get(out, "pledge"), "1");
    assert_string_equal(apr_table_get(out, "privacy"), "1");
    assert_string_equal(apr_table_get(out, "contact_name"), "山田 花子");
    assert_string_equal(apr_table_get(out, "email"), "Hanako@example.jp");
    assert_string_equal(apr_table_get(out, "email2"), "Hanako@example.jp");
    assert_string_equal(apr_table_get(out, "survey"), "2,11");
    assert_null(apr_table_get(out, "score"));
    assert_null(apr_table_get(out, "publish"));
}

static void test_declaration_level2(void **state)
{
    (void)state;
    apr_table_t *in = declaration_input("2"), *out = apr_table_make(pool, 20);
    apr_array_header_t *errs = new_errs();

    apr_table_set(in, "score", "８５");
    apr_table_add(in, "publish", "other");
    apr_table_add(in, "publish", "web");
    apr_table_add(in, "publish", "other");
    assert_int_equal(sa_declaration_validate(pool, NULL, in, out, errs), 0);
    assert_string_equal(apr_table_get(out, "score"), "85");
    assert_string_equal(apr_table_get(out, "publish"), "web,other");
    assert_string_equal(apr_table_get(out, "survey"), "");

    in = declaration_input("2");
    out = apr_table_make(pool, 20);
    errs = new_errs();
    apr_table_set(in, "score", "");
    apr_table_add(in, "publish", "brochure");
    apr_table_add(in, "publish", "pamphlet");
    assert_int_equal(sa_declaration_validate(pool, NULL, in, out, errs), 0);
    assert_string_equal(apr_table_get(out, "score"), "");
    assert_string_equal(apr_table_get(out, "publish"), "brochure,pamphlet");
}

static void test_declaration_errors(void **state)
{
    (void)state;
    apr_table_t *in = declaration_input("2"), *out = apr_table_make(pool, 20);
    apr_array_header_t *errs = new_errs();

    apr_table_set(in, "purpose", "5");
    apr_table_set(in, "score", "101");
    apr_table_unset(in, "pledge");
    apr_table_set(in, "contact_name", "");
    apr_table_set(in, "email", "hanako@example");
    apr_table_set(in, "email2", "hanako@example.jp");
    apr_table_set(in, "privacy", "on");
    apr_table_add(in, "survey", "12");
    assert_int_equal(sa_declaration_validate(pool, NULL, in, out, errs), 9);
    assert_string_equal(err_fields(errs),
        "purpose,score,publish,pledge,contact_name,email,email2,privacy,survey");
    CONTAINS(err_for(errs, "purpose"), "目的の選択が正しくありません");
    CONTAINS(err_for(errs, "score"), "0から100まで");
    CONTAINS(err_for(errs, "publish"), "外部公開方法を1つ以上選択してください");
    CONTAINS(err_for(errs, "pledge"), "誓約する");
    assert_string_equal(err_for(errs, "contact_name"), "担当者名を入力してください。");
    CONTAINS(err_for(errs, "email2"), "一致しません");
    CONTAINS(err_for(errs, "privacy"), "同意する");
    CONTAINS(err_for(errs, "survey"), "アンケート");
    assert_null(apr_table_get(out, "purpose"));
    assert_null(apr_table_get(out, "score"));
    assert_null(apr_table_get(out, "email"));
    assert_null(apr_table_get(out, "survey"));

    in = declaration_input("2");
    errs = new_errs();
    apr_table_add(in, "publish", "web");
    apr_table_add(in, "publish", "fax");
    apr_table_set(in, "email2", "other@example.jp");
    sa_declaration_validate(pool, NULL, in, apr_table_make(pool, 20), errs);
    assert_string_equal(err_fields(errs), "publish,email2");
    CONTAINS(err_for(errs, "publish"), "選択が正しくありません");

    errs = new_errs();
    sa_declaration_validate(pool, NULL, apr_table_make(pool, 1), apr_table_make(pool, 1), errs);
    assert_string_equal(err_fields(errs),
        "level,purpose,pledge,contact_name,email,email2,privacy");
    assert_string_equal(err_for(errs, "level"), "宣言の内容（一つ星・二つ星）を選択してください。");
    assert_string_equal(err_for(errs, "email"), "担当者メールアドレスを入力してください。");

    in = declaration_input("3");
    errs = new_errs();
    sa_declaration_validate(pool, NULL, in, apr_table_make(pool, 20), errs);
    assert_string_equal(err_fields(errs), "level");
}

static void test_declaration_purposes(void **state)
{
    (void)state;
    sa_form_options opt;
    apr_table_t *in = declaration_input("1"), *out = apr_table_make(pool, 20);
    apr_array_header_t *errs = new_errs();
    apr_array_header_t *d = sa_default_purposes(pool);

    assert_int_equal(d->nelts, 4);
    assert_string_equal(APR_ARRAY_IDX(d, 0, const char *), "従業員の意識を高めるため");
    assert_string_equal(APR_ARRAY_IDX(d, 3, const char *), "その他");
    opt.purposes = apr_array_make(pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(opt.purposes, const char *) = "入札の要件";
    APR_ARRAY_PUSH(opt.purposes, const char *) = "その他";
    apr_table_set(in, "purpose", "1");
    assert_int_equal(sa_declaration_validate(pool, &opt, in, out, errs), 0);
    assert_string_equal(apr_table_get(out, "purpose"), "入札の要件");
    apr_table_set(in, "purpose", "3");
    assert_int_equal(sa_declaration_validate(pool, &opt, in, out, errs), 1);
    apr_table_set(in, "purpose", "0");
    errs = new_errs();
    assert_int_equal(sa_declaration_validate(pool, &opt, in, out, errs), 1);
}

static void test_choice_tables(void **state)
{
    (void)state;
    int i;

    for (i = 0; sa_survey_answers[i].code; i++)
        assert_string_equal(sa_survey_answers[i].code, apr_itoa(pool, i + 1));
    assert_int_equal(i, 11);
    assert_string_equal(sa_survey_answers[9].label, "セキュリティプレゼンターからの紹介");
    for (i = 0; sa_publish_methods[i].code; i++)
        ;
    assert_int_equal(i, 4);
    assert_string_equal(sa_levels[1].code, "2");
    assert_null(sa_levels[2].code);
}

static void test_business_keeps_kind_and_skips_password(void **state)
{
    (void)state;
    sa_refdata *rd = load_ref();
    apr_table_t *in = company_input(1), *out = apr_table_make(pool, 30);
    apr_array_header_t *errs = new_errs();

    /* a posted kind or password does not count: the stored kind does */
    apr_table_set(in, "kind", "sole");
    apr_table_set(in, "password", "");
    assert_int_equal(sa_business_validate(pool, rd, "corp", in, out, errs), 0);
    assert_string_equal(apr_table_get(out, "kind"), "corp");
    assert_string_equal(apr_table_get(out, "corp_name"), "国税庁");
    assert_null(apr_table_get(out, "rep_name"));
    assert_null(apr_table_get(out, "password"));
    apr_table_set(in, "corp_name", "");
    apr_table_set(in, "phone", "12");
    errs = new_errs();
    assert_int_equal(sa_business_validate(pool, rd, "corp", in, apr_table_make(pool, 30), errs), 2);
    assert_string_equal(err_fields(errs), "corp_name,phone");
}

static void test_user_number(void **state)
{
    (void)state;
    ACCEPTS(sa_user_number, "1234567890", "1234567890");
    ACCEPTS(sa_user_number, " １２３４-５６７８９０ ", "1234567890");
    REJECTS(sa_user_number, "", "入力してください");
    REJECTS(sa_user_number, "123456789", "10桁");
    REJECTS(sa_user_number, "12345678901", "10桁");
    REJECTS(sa_user_number, "12345abcde", "10桁");
}

static void test_email_key(void **state)
{
    (void)state;
    assert_string_equal(sa_email_key(pool, "Taro.Yamada+shop@Example.CO.JP"),
                        "taro.yamada@example.co.jp");
    assert_string_equal(sa_email_key(pool, "taro@example.jp"), "taro@example.jp");
    assert_string_equal(sa_email_key(pool, "+x@example.jp"), "+x@example.jp");
    assert_string_equal(sa_email_key(pool, "+x+y@example.jp"), "+x@example.jp");
    assert_null(sa_email_key(pool, NULL));
}

static void test_invisible_characters(void **state)
{
    static const char *const bad[] = {
        "A\xE2\x80\xAE" "Z",      /* U+202E RIGHT-TO-LEFT OVERRIDE */
        "A\xE2\x81\xA6" "Z",      /* U+2066 LEFT-TO-RIGHT ISOLATE */
        "A\xE2\x80\x8B" "Z",      /* U+200B ZERO WIDTH SPACE */
        "A\xE2\x80\x8D" "Z",      /* U+200D ZERO WIDTH JOINER */
        "\xEF\xBB\xBF" "AZ",      /* U+FEFF BOM */
        "A\xE2\x80\xA8" "Z",      /* U+2028 LINE SEPARATOR */
        "A\xE2\x80\xA9" "Z",      /* U+2029 PARAGRAPH SEPARATOR */
        "A\xE2\x80\x8F" "Z",      /* U+200F RIGHT-TO-LEFT MARK */
    };
    apr_size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sa_text_status_of(bad[i], 1), SA_TEXT_INVISIBLE);
        CONTAINS(sa_check_text(bad[i], 0), "目に見えない");
        CONTAINS(sa_check_text_label(pool, "事業者名", bad[i], 0), "事業者名に目に見えない");
    }
    /* ordinary Japanese, the long vowel mark and full-width spaces are fine */
    assert_int_equal(sa_text_status_of("株式会社　テスト・ー", 0), SA_TEXT_OK);
}

static void test_stepup(void **state)
{
    (void)state;
    apr_table_t *in = apr_table_make(pool, 4), *out = apr_table_make(pool, 4);
    apr_array_header_t *errs = new_errs();
    apr_table_add(in, "publish", "web");
    apr_table_add(in, "publish", "other");
    apr_table_set(in, "score", "８５");
    apr_table_set(in, "pledge2", "1");
    assert_int_equal(sa_stepup_validate(pool, in, out, errs), 0);
    assert_string_equal(apr_table_get(out, "publish"), "web,other");
    assert_string_equal(apr_table_get(out, "score"), "85");
    in = apr_table_make(pool, 4);
    apr_table_set(in, "score", "101");
    errs = new_errs();
    assert_int_equal(sa_stepup_validate(pool, in, apr_table_make(pool, 4), errs), 3);
    assert_string_equal(err_fields(errs), "score,publish,pledge2");
}

static void test_contact(void **state)
{
    (void)state;
    apr_table_t *in = apr_table_make(pool, 4), *out = apr_table_make(pool, 4);
    apr_array_header_t *errs = new_errs();
    apr_table_set(in, "declaration_no", "１２３４-５６７８９０");
    apr_table_set(in, "contact_name", " 佐藤 一郎 ");
    apr_table_set(in, "email", "Sato@Example.CO.JP");
    apr_table_set(in, "email2", "Sato@example.co.jp");
    assert_int_equal(sa_contact_validate(pool, "1234567890", in, out, errs), 0);
    assert_string_equal(apr_table_get(out, "contact_name"), "佐藤 一郎");
    assert_string_equal(apr_table_get(out, "email"), "Sato@example.co.jp");
    /* another declaration's ID, or none */
    errs = new_errs();
    assert_int_equal(sa_contact_validate(pool, "1234567891", in, apr_table_make(pool, 4), errs), 1);
    CONTAINS(err_for(errs, "declaration_no"), "自己宣言IDが正しくありません");
    errs = new_errs();
    apr_table_set(in, "declaration_no", "");
    apr_table_set(in, "email2", "x@example.co.jp");
    assert_int_equal(sa_contact_validate(pool, "1234567890", in, apr_table_make(pool, 4), errs), 2);
    assert_string_equal(err_fields(errs), "declaration_no,email2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_text),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_trim_and_fold),
        cmocka_unit_test(test_corporate_check_digit),
        cmocka_unit_test(test_corporate_number),
        cmocka_unit_test(test_kana),
        cmocka_unit_test(test_corp_kana),
        cmocka_unit_test(test_postal),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_int_range),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_password),
        cmocka_unit_test(test_refdata),
        cmocka_unit_test(test_refdata_errors),
        cmocka_unit_test(test_company_corp_ok),
        cmocka_unit_test(test_company_sole_ok),
        cmocka_unit_test(test_company_empty),
        cmocka_unit_test(test_password_may_stay),
        cmocka_unit_test(test_codes_and_labels),
        cmocka_unit_test(test_company_corp_errors),
        cmocka_unit_test(test_company_address_lines),
        cmocka_unit_test(test_company_kind_and_password),
        cmocka_unit_test(test_declaration_level1),
        cmocka_unit_test(test_declaration_level2),
        cmocka_unit_test(test_declaration_errors),
        cmocka_unit_test(test_declaration_purposes),
        cmocka_unit_test(test_choice_tables),
        cmocka_unit_test(test_business_keeps_kind_and_skips_password),
        cmocka_unit_test(test_stepup),
        cmocka_unit_test(test_email_key),
        cmocka_unit_test(test_invisible_characters),
        cmocka_unit_test(test_user_number),
        cmocka_unit_test(test_contact),
    };

    apr_initialize();
    atexit(apr_terminate);
    return cmocka_run_group_tests_name("sa_validate+sa_form", tests, setup, teardown);
}
