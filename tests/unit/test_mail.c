/* Unit tests of sa_token.c and sa_mail.c.  Run from the repository root:
 * the sendmail tests use build/sa-sendmail (tools/sa_sendmail.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_base64.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "sa_token.h"
#include "sa_mail.h"

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

/* ---- tokens and identifiers -------------------------------------------- */

static void test_token_shape(void **state)
{
    const char *a = sa_token_new(pool), *b = sa_token_new(pool);
    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strlen(a), 43);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    assert_string_not_equal(a, b);
    assert_true(sa_token_wellformed(a));
    assert_true(sa_token_wellformed(b));
}

static void test_token_wellformed(void **state)
{
    (void)state;
    assert_true(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_true(sa_token_wellformed("-_AZaz09AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"));
    assert_false(sa_token_wellformed(NULL));
    assert_false(sa_token_wellformed(""));
    assert_false(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));   /* 42 */
    assert_false(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 44 */
    assert_false(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));  /* padding */
    assert_false(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAA"));  /* base64, not url */
    assert_false(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAA/AAAAAAAAAAAAAAAAAAAAA"));
    assert_false(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA"));
    assert_false(sa_token_wellformed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));  /* spare bits set */
}

static void test_token_hash(void **state)
{
    const char *t = sa_token_new(pool);
    const char *h1 = sa_token_hash(pool, t), *h2 = sa_token_hash(pool, t);
    (void)state;
    assert_string_equal(sa_token_hash(pool, "abc"),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(sa_token_hash(pool, ""),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(strlen(h1), 64);
    assert_int_equal(strspn(h1, "0123456789abcdef"), 64);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, sa_token_hash(pool, sa_token_new(pool)));
}

static void test_id(void **state)
{
    const char *prev = NULL;
    int i, first_digits[10] = { 0 };
    (void)state;
    for (i = 0; i < 2000; i++) {
        const char *id = sa_id_new(pool);
        unsigned long long v;
        assert_non_null(id);
        assert_int_equal(strlen(id), 10);
        assert_int_equal(strspn(id, "0123456789"), 10);
        v = strtoull(id, NULL, 10);
        assert_true(v >= 1000000000ULL && v <= 9999999999ULL);
        if (prev)
            assert_string_not_equal(id, prev);
        first_digits[id[0] - '0']++;
        prev = id;
    }
    assert_int_equal(first_digits[0], 0);
    /* 9 leading digits over 2000 draws: each appears (p of a miss < 1e-90) */
    for (i = 1; i <= 9; i++)
        assert_true(first_digits[i] > 100);
}

static void test_secure_equal(void **state)
{
    (void)state;
    assert_true(sa_secure_equal("abc", "abc"));
    assert_true(sa_secure_equal("", ""));
    assert_false(sa_secure_equal("abc", "abd"));
    assert_false(sa_secure_equal("abc", "abcd"));
    assert_false(sa_secure_equal("abcd", "abc"));
    assert_false(sa_secure_equal(NULL, "abc"));
    assert_false(sa_secure_equal("abc", NULL));
}

static void test_password(void **state)
{
    const char *h = sa_password_hash(pool, "Correct-Horse-9", 4);
    const char *h2 = sa_password_hash(pool, "Correct-Horse-9", 4);
    (void)state;
    assert_non_null(h);
    assert_int_equal(strlen(h), 60);
    assert_memory_equal(h, "$2y$04$", 7);
    assert_string_not_equal(h, h2);             /* fresh salt each time */
    assert_true(sa_password_verify("Correct-Horse-9", h));
    assert_true(sa_password_verify("Correct-Horse-9", h2));
    assert_false(sa_password_verify("Correct-Horse-8", h));
    assert_false(sa_password_verify("", h));
    assert_false(sa_password_verify("Correct-Horse-9", ""));
    assert_false(sa_password_verify("Correct-Horse-9", "Correct-Horse-9"));  /* plain text */
    assert_false(sa_password_verify(NULL, h));
    assert_null(sa_password_hash(pool, "x", 3));
    assert_null(sa_password_hash(pool, "x", 32));
}

/* ---- templates --------------------------------------------------------- */

static const char *compile(const char *text, sa_mail_tmpl **t)
{
    return sa_mail_tmpl_compile_mem(pool, "t.txt", text, strlen(text), t);
}

static void test_tmpl_fill(void **state)
{
    static const char text[] =
        "Subject: [SECURITY ACTION] {{star}}：自己宣言受付確認のお知らせ\r\n"
        "\r\n"
        "{{name}} 様\r\n"
        "{{#url}}\r\n"
        "確認用URL: {{url}}\r\n"
        "{{/url}}\r\n"
        "{{^url}}\r\n"
        "URLはありません。\r\n"
        "{{/url}}\r\n"
        "{{! comment for the administrator }}\r\n"
        "有効期限 {{ hours }} 時間{{#x}}[{{#y}}both{{/y}}{{^y}}x only{{/y}}]{{/x}}\r\n";
    sa_mail_tmpl *t;
    apr_table_t *v = apr_table_make(pool, 4);
    const char *subject, *body;
    (void)state;

    assert_null(compile(text, &t));
    assert_non_null(t);
    apr_table_set(v, "star", "一つ星");
    apr_table_set(v, "name", "山田 太郎");
    apr_table_set(v, "url", "https://example.jp/v/abc");
    apr_table_set(v, "hours", "24");
    sa_mail_tmpl_fill(pool, t, v, &subject, &body);
    assert_string_equal(subject, "[SECURITY ACTION] 一つ星：自己宣言受付確認のお知らせ");
    assert_string_equal(body, "山田 太郎 様\n確認用URL: https://example.jp/v/abc\n有効期限 24 時間\n");

    apr_table_set(v, "url", "");
    apr_table_set(v, "x", "1");
    sa_mail_tmpl_fill(pool, t, v, &subject, &body);
    assert_string_equal(body, "山田 太郎 様\nURLはありません。\n有効期限 24 時間[x only]\n");

    apr_table_set(v, "y", "1");
    sa_mail_tmpl_fill(pool, t, v, NULL, &body);
    assert_string_equal(body, "山田 太郎 様\nURLはありません。\n有効期限 24 時間[both]\n");

    sa_mail_tmpl_fill(pool, t, NULL, &subject, &body);   /* every value missing */
    assert_string_equal(subject, "[SECURITY ACTION] ：自己宣言受付確認のお知らせ");
    assert_string_equal(body, " 様\nURLはありません。\n有効期限  時間\n");
}

static void test_tmpl_inline_sections_keep_text(void **state)
{
    sa_mail_tmpl *t;
    apr_table_t *v = apr_table_make(pool, 2);
    const char *s, *b;
    (void)state;
    assert_null(compile("Subject: a{{#k}}-{{k}}{{/k}}\n\nx {{#k}}K{{/k}} y\n  {{#k}}  \nz\n\t{{/k}}", &t));
    apr_table_set(v, "k", "v");
    sa_mail_tmpl_fill(pool, t, v, &s, &b);
    assert_string_equal(s, "a-v");
    assert_string_equal(b, "x K y\nz\n");   /* the standalone lines went away */
    apr_table_set(v, "k", "");
    sa_mail_tmpl_fill(pool, t, v, &s, &b);
    assert_string_equal(s, "a");
    assert_string_equal(b, "x  y\n");
}

static void expect_error(const char *text, const char *want)
{
    sa_mail_tmpl *t = (sa_mail_tmpl *)1;
    const char *err = sa_mail_tmpl_compile_mem(pool, "mail/x.txt", text, strlen(text), &t);
    if (!err || strncmp(err, want, strlen(want)) != 0)
        fail_msg("template %s: got error \"%s\", want \"%s...\"", text, err ? err : "(none)", want);
    assert_null(t);
}

static void test_tmpl_errors(void **state)
{
    (void)state;
    expect_error("Hello\n\nbody", "mail/x.txt:1: the first line must be");
    expect_error("", "mail/x.txt:1: the first line must be");
    expect_error("Subject:   \n\nbody", "mail/x.txt:1: the Subject line is empty");
    expect_error("Subject: x", "mail/x.txt:2: expected an empty line");
    expect_error("Subject: x\n", "mail/x.txt:2: expected an empty line");
    expect_error("Subject: x\nbody", "mail/x.txt:2: expected an empty line");
    expect_error("Subject: x\r\nbody\r\n", "mail/x.txt:2: expected an empty line");
    expect_error("Subject: x\n\na\nb\n{{#sec}}\nc\n", "mail/x.txt:5: {{#sec}} is not closed");
    expect_error("Subject: x\n\na\n{{^sec}}\n\n{{/other}}\n", "mail/x.txt:6: {{/other}} does not match {{^sec}} opened on line 4");
    expect_error("Subject: x\n\n{{/sec}}", "mail/x.txt:3: {{/sec}} closes no open section");
    expect_error("Subject: x\n\na\nb {{name\n}}", "mail/x.txt:4: unterminated {{");
    expect_error("Subject: x\r\n\r\nok\r\nb {{name", "mail/x.txt:4: unterminated {{");
    expect_error("Subject: {{#a}}x\n\nb{{/a}}", "mail/x.txt:1: {{#a}} is not closed on the Subject line");
    expect_error("Subject: x\n\n\nbad \xff byte", "mail/x.txt:4: invalid UTF-8");
    expect_error("Subject: x\n\n\xc0\xaf", "mail/x.txt:3: invalid UTF-8");                 /* overlong */
    expect_error("Subject: x\n\n\xed\xa0\x80", "mail/x.txt:3: invalid UTF-8");             /* surrogate */
    expect_error("Subject: x\n\n\xe3\x81", "mail/x.txt:3: invalid UTF-8");                 /* truncated */
    expect_error("Subject: x\n\n{{a b}}", "mail/x.txt:3: invalid placeholder name");
    expect_error("Subject: x\n\n{{}}", "mail/x.txt:3: invalid placeholder name");
}

static void test_tmpl_file(void **state)
{
    char dir[] = "/tmp/test_mail.XXXXXX";
    const char *path;
    sa_mail_tmpl *t;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    path = apr_pstrcat(pool, dir, "/a.txt", NULL);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("\xEF\xBB\xBFSubject: Hi {{n}}\n\nBody {{n}}\n{{#z}}\n", f);
    fclose(f);
    {
        const char *err = sa_mail_tmpl_compile_file(pool, path, &t);
        assert_non_null(err);
        assert_string_equal(err, apr_pstrcat(pool, path, ":4: {{#z}} is not closed", NULL));
    }
    f = fopen(path, "w");
    fputs("\xEF\xBB\xBFSubject: Hi {{n}}\n\nBody {{n}}\n", f);
    fclose(f);
    assert_null(sa_mail_tmpl_compile_file(pool, path, &t));
    {
        apr_table_t *v = apr_table_make(pool, 1);
        const char *s, *b;
        apr_table_set(v, "n", "N");
        sa_mail_tmpl_fill(pool, t, v, &s, &b);
        assert_string_equal(s, "Hi N");
        assert_string_equal(b, "Body N\n");
    }
    unlink(path);
    assert_non_null(sa_mail_tmpl_compile_file(pool, path, &t));   /* missing file */
    assert_null(t);
    rmdir(dir);
}

/* ---- message building -------------------------------------------------- */

/* The value of header `name` (unfolded, CRLF continuations joined). */
static const char *header_value(const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n"), *p = msg;
    size_t n = strlen(name);
    while (p < end) {
        const char *eol = strstr(p, "\r\n");
        if (strncmp(p, name, n) == 0 && p[n] == ':') {
            const char *q = eol;
            while (q < end && q[2] == ' ')
                q = strstr(q + 2, "\r\n");
            return apr_pstrmemdup(pool, p + n + 1, (size_t)(q - p - n - 1));
        }
        p = eol + 2;
    }
    return NULL;
}

/* Decodes a sequence of =?UTF-8?B?...?= words separated by folding. */
static const char *decode_words(const char *v)
{
    char *out = apr_pcalloc(pool, strlen(v) + 1);
    size_t o = 0;
    while (*v) {
        const char *w, *e;
        char *b64;
        v += strspn(v, " \r\n");
        if (!*v)
            break;
        assert_memory_equal(v, "=?UTF-8?B?", 10);
        w = v + 10;
        e = strstr(w, "?=");
        assert_non_null(e);
        assert_true(e - v + 2 <= 75);
        b64 = apr_pstrmemdup(pool, w, (size_t)(e - w));
        o += (size_t)apr_base64_decode_binary((unsigned char *)out + o, b64);
        v = e + 2;
    }
    out[o] = '\0';
    return out;
}

static void check_lines(const char *msg)
{
    const char *p = msg, *hdr_end = strstr(msg, "\r\n\r\n");
    assert_non_null(hdr_end);
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);                             /* ends with CRLF */
        assert_null(memchr(p, '\n', (size_t)(eol - p)));  /* no bare LF */
        assert_null(memchr(p, '\r', (size_t)(eol - p)));  /* no bare CR */
        if (p < hdr_end)
            assert_true(eol - p <= 78);
        else
            assert_true(eol - p <= 76);
        p = eol + 2;
    }
}

static const char *build(const char *subject, const char *body, const char **err)
{
    return sa_mail_build(pool, "noreply@sa.example.jp", "taro@example.co.jp",
                         subject, body, apr_time_from_sec(1795770679), err);
}

static void test_build_japanese(void **state)
{
    const char *subject = "[SECURITY ACTION] 一つ星：自己宣言受付確認のお知らせ";
    const char *longsubj = "【SECURITY ACTION】一つ星：自己宣言完了のお知らせ／"
                           "ロゴマークは受理の後でダウンロードできます（長い件名の折り返し試験）";
    const char *err = "x", *msg, *date;
    (void)state;

    msg = build(subject, "本文\n二行目\n", &err);
    assert_non_null(msg);
    assert_null(err);
    check_lines(msg);
    assert_string_equal(decode_words(header_value(msg, "Subject")), subject);
    assert_string_equal(header_value(msg, "From"), " noreply@sa.example.jp");
    assert_string_equal(header_value(msg, "To"), " taro@example.co.jp");
    assert_string_equal(header_value(msg, "MIME-Version"), " 1.0");
    assert_string_equal(header_value(msg, "Content-Type"), " text/plain; charset=UTF-8");
    assert_string_equal(header_value(msg, "Content-Transfer-Encoding"), " base64");
    date = header_value(msg, "Date");
    assert_non_null(date);
    /* " Ddd, DD Mon YYYY HH:MM:SS +ZZZZ" */
    assert_int_equal(strlen(date), 32);
    assert_true(date[4] == ',' && (date[27] == '+' || date[27] == '-'));
    assert_non_null(strstr(date, " 2026 "));
    {
        const char *mid = header_value(msg, "Message-ID");
        assert_non_null(mid);
        assert_memory_equal(mid, " <", 2);
        assert_non_null(strstr(mid, "@sa.example.jp>"));
        assert_string_not_equal(mid, header_value(build(subject, "", &err), "Message-ID"));
    }

    msg = build(longsubj, "x", &err);
    assert_non_null(msg);
    check_lines(msg);
    assert_non_null(strstr(msg, "?=\r\n =?UTF-8?B?"));     /* it was folded */
    assert_string_equal(decode_words(header_value(msg, "Subject")), longsubj);
}

static void test_build_no_header_injection(void **state)
{
    const char *err, *msg, *p;
    (void)state;
    msg = build("Hello\r\nBcc: x@y", "body\r\nBcc: z@w\r\n", &err);
    assert_non_null(msg);
    check_lines(msg);
    for (p = msg; *p; p = strstr(p, "\r\n") + 2)
        assert_false(strncasecmp(p, "Bcc:", 4) == 0);   /* no line starts a Bcc header */
    assert_string_equal(decode_words(header_value(msg, "Subject")), "Hello  Bcc: x@y");
}

static void test_build_body_base64(void **state)
{
    const char *body = "山田 太郎 様\n\nご登録ありがとうございます。\r\n"
                       "このメールは送信専用です。これは七十六文字を超える長い行のための試験文です。"
                       "さらに続きます。さらに続きます。\rlast line";
    const char *want = "山田 太郎 様\r\n\r\nご登録ありがとうございます。\r\n"
                       "このメールは送信専用です。これは七十六文字を超える長い行のための試験文です。"
                       "さらに続きます。さらに続きます。\r\nlast line\r\n";
    const char *err, *msg, *b;
    char *joined, *out;
    size_t o = 0;
    (void)state;

    msg = build("s", body, &err);
    assert_non_null(msg);
    check_lines(msg);
    b = strstr(msg, "\r\n\r\n") + 4;
    joined = apr_pcalloc(pool, strlen(b) + 1);
    for (; *b; b++)
        if (*b != '\r' && *b != '\n')
            joined[o++] = *b;
    out = apr_pcalloc(pool, (size_t)apr_base64_decode_len(joined) + 1);
    o = (size_t)apr_base64_decode_binary((unsigned char *)out, joined);
    out[o] = '\0';
    assert_string_equal(out, want);
}

static void test_build_bad_addresses(void **state)
{
    static const char *const bad[] = {
        "", "plain", "a@b@c", "@example.jp", "taro@", "taro @example.jp",
        "taro@example.jp\r\nBcc: x@y", "taro@exa\nmple.jp", "taro@exa\tmple.jp",
        "<taro@example.jp>", "taro@example.jp>", "a@b.jp,c@d.jp", "\"t\"@example.jp",
        "a;b@example.jp", "-oQ/tmp@example.jp", "tarō@example.jp", "a\x7f@example.jp",
    };
    size_t i;
    const char *err, *msg;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        msg = sa_mail_build(pool, "noreply@sa.example.jp", bad[i], "s", "b", 0, &err);
        if (msg || !err)
            fail_msg("accepted To address #%zu", i);
        assert_non_null(strstr(err, "To address"));
        if (strlen(bad[i]) > 3)
            assert_null(strstr(err, bad[i]));     /* no personal data in the log */
        err = NULL;
        msg = sa_mail_build(pool, bad[i], "taro@example.jp", "s", "b", 0, &err);
        assert_null(msg);
        assert_non_null(strstr(err, "From address"));
    }
    assert_non_null(sa_mail_build(pool, "a@b", "o'brien+tag/x=y@mail.example.jp", "s", "b", 0, &err));
}

static void test_encode_header(void **state)
{
    char *big = apr_palloc(pool, 3 * 200 + 1);
    const char *enc;
    int i;
    (void)state;
    assert_string_equal(sa_mail_encode_header(pool, "abc"), "=?UTF-8?B?YWJj?=");
    assert_string_equal(sa_mail_encode_header(pool, ""), "");
    for (i = 0; i < 200; i++)
        memcpy(big + 3 * i, "あ", 3);
    big[600] = '\0';
    enc = sa_mail_encode_header(pool, big);
    assert_string_equal(decode_words(enc), big);
    /* every word holds whole characters: each decodes to a multiple of 3 bytes */
    {
        const char *w = enc;
        while ((w = strstr(w, "=?UTF-8?B?")) != NULL) {
            const char *e = strstr(w + 10, "?=");
            char *one = apr_pstrmemdup(pool, w + 10, (size_t)(e - w - 10));
            unsigned char tmp[64];
            assert_int_equal(apr_base64_decode_binary(tmp, one) % 3, 0);
            w = e + 2;
        }
    }
}

/* ---- sendmail ---------------------------------------------------------- */

static char *maildir;
static char sendmail_path[PATH_MAX];

static int count_eml(const char *dir, const char **last)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n += 1000;                         /* a leftover temp file is a failure too */
        if (l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0) {
            n++;
            if (last)
                *last = apr_pstrcat(pool, dir, "/", e->d_name, NULL);
        }
    }
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = apr_pcalloc(pool, 1 << 20);
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int setup_maildir(void **state)
{
    char tmpl[] = "/tmp/test_mail_dir.XXXXXX";
    if (setup(state) != 0 || !realpath("build/sa-sendmail", sendmail_path) || !mkdtemp(tmpl))
        return -1;
    maildir = apr_pstrcat(pool, tmpl, "/mail", NULL);   /* sa-sendmail creates it */
    return 0;
}

static int teardown_maildir(void **state)
{
    const char *parent = apr_pstrndup(pool, maildir, strlen(maildir) - 5);
    DIR *d = opendir(maildir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(apr_pstrcat(pool, maildir, "/", e->d_name, NULL));
    if (d)
        closedir(d);
    rmdir(maildir);
    rmdir(parent);
    return teardown(state);
}

static apr_status_t send_with(const char *const *argv, const char *msg,
                              apr_interval_time_t timeout, const char **err)
{
    return sa_sendmail(pool, argv, "noreply@sa.example.jp", "taro@example.co.jp", msg,
                       timeout, err);
}

static void test_sendmail_delivers(void **state)
{
    const char *argv[] = { sendmail_path, "--maildir", maildir, NULL };
    const char *err = "x", *file = NULL;
    const char *msg = build("[SECURITY ACTION] 一つ星：自己宣言受付確認のお知らせ",
                            "本文\n.\nend\n", &err);
    (void)state;
    assert_int_equal(send_with(argv, msg, apr_time_from_sec(10), &err), APR_SUCCESS);
    assert_null(err);
    assert_int_equal(count_eml(maildir, &file), 1);
    assert_string_equal(slurp(file), msg);
    unlink(file);
}

static void test_sendmail_tempfail(void **state)
{
    const char *argv[] = { sendmail_path, "--maildir", maildir, NULL };
    const char *fail = apr_pstrcat(pool, maildir, "/FAIL", NULL);
    const char *err = NULL;
    FILE *f;
    (void)state;
    mkdir(maildir, 0700);
    f = fopen(fail, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_not_equal(send_with(argv, "Subject: x\r\n\r\nbody\r\n", apr_time_from_sec(10), &err),
                         APR_SUCCESS);
    assert_non_null(err);
    assert_non_null(strstr(err, "exit status 75"));
    assert_null(strstr(err, "body"));
    assert_int_equal(count_eml(maildir, NULL), 0);
    unlink(fail);
}

static void test_sendmail_failures(void **state)
{
    const char *false_argv[] = { "/bin/false", NULL };
    const char *missing_argv[] = { "/nonexistent/sendmail", "-t", NULL };
    const char *relative_argv[] = { "build/sa-sendmail", "--maildir", maildir, NULL };
    const char *bare_argv[] = { "sendmail", NULL };
    const char *empty_argv[] = { NULL };
    const char *ok_argv[] = { sendmail_path, "--maildir", maildir, NULL };
    const char *err;
    (void)state;

    err = NULL;
    assert_int_not_equal(send_with(false_argv, "m\r\n", apr_time_from_sec(10), &err), APR_SUCCESS);
    assert_non_null(strstr(err, "exit status 1"));

    err = NULL;
    assert_int_not_equal(send_with(missing_argv, "m\r\n", apr_time_from_sec(10), &err), APR_SUCCESS);
    assert_non_null(err);
    assert_non_null(strstr(err, "/nonexistent/sendmail"));

    err = NULL;
    assert_int_equal(send_with(relative_argv, "m\r\n", apr_time_from_sec(10), &err), APR_EINVAL);
    assert_non_null(strstr(err, "absolute path"));
    err = NULL;
    assert_int_equal(send_with(bare_argv, "m\r\n", apr_time_from_sec(10), &err), APR_EINVAL);
    assert_non_null(err);
    err = NULL;
    assert_int_equal(send_with(empty_argv, "m\r\n", apr_time_from_sec(10), &err), APR_EINVAL);
    assert_non_null(err);

    err = NULL;
    assert_int_equal(sa_sendmail(pool, ok_argv, "noreply@sa.example.jp", "-oQ/tmp@x.jp", "m\r\n",
                                 apr_time_from_sec(10), &err), APR_EINVAL);
    assert_non_null(err);
    assert_int_equal(count_eml(maildir, NULL), 0);
}

static void test_sendmail_signal_and_timeout(void **state)
{
    /* sh -c SCRIPT gets "-i -f from -- to" as $0.. and ignores them */
    const char *killed[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
    const char *sleeper[] = { "/bin/sh", "-c", "exec sleep 5", NULL };
    const char *err;
    char *big = apr_palloc(pool, 1 << 20);
    apr_time_t t0;
    (void)state;

    err = NULL;
    assert_int_not_equal(send_with(killed, "m\r\n", apr_time_from_sec(10), &err), APR_SUCCESS);
    assert_non_null(strstr(err, "killed by signal 15"));

    /* reaped before the deadline ... */
    err = NULL;
    t0 = apr_time_now();
    assert_int_equal(send_with(sleeper, "m\r\n", apr_time_from_msec(300), &err), APR_TIMEUP);
    assert_non_null(strstr(err, "timed out after 300ms"));
    assert_true(apr_time_now() - t0 < apr_time_from_sec(3));

    /* ... and with a program that never reads a large message */
    memset(big, 'a', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    err = NULL;
    t0 = apr_time_now();
    assert_int_equal(send_with(sleeper, big, apr_time_from_msec(300), &err), APR_TIMEUP);
    assert_non_null(strstr(err, "timed out"));
    assert_true(apr_time_now() - t0 < apr_time_from_sec(3));
}

/* The program reads the message from a file that is complete before it
 * starts (not from a pipe the server could die writing into, which would
 * hand it a cut message): its standard input is a regular file, already
 * unlinked, read from its start. */
static void test_sendmail_reads_a_complete_file(void **state)
{
    const char *out = apr_pstrcat(pool, maildir, ".stdin", NULL);
    const char *script = apr_pstrcat(pool, "[ -f /proc/self/fd/0 ] || exit 3; "
                                     "case $(readlink /proc/self/fd/0) in *deleted*) ;; *) exit 4;; esac; "
                                     "cat > '", out, "'", NULL);
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    const char *err = NULL;
    char *big = apr_palloc(pool, 300000);
    (void)state;
    memset(big, 'b', 299999);
    big[299999] = '\0';
    assert_int_equal(send_with(argv, big, apr_time_from_sec(10), &err), APR_SUCCESS);
    assert_null(err);
    assert_string_equal(slurp(out), big);
    unlink(out);
}

static void test_keyed_hash(void **state)
{
    const char *a, *b;
    (void)state;
    /* RFC 4231 test case 2 */
    assert_string_equal(sa_keyed_hash(pool, "Jefe", "what do ya want for nothing?"),
                        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    a = sa_keyed_hash(pool, "secret-one", "192.0.2.1");
    b = sa_keyed_hash(pool, "secret-two", "192.0.2.1");
    assert_string_not_equal(a, b);
    assert_null(sa_keyed_hash(pool, "", "192.0.2.1"));
    assert_null(sa_keyed_hash(pool, NULL, "192.0.2.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_wellformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secure_equal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmpl_fill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmpl_inline_sections_keep_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmpl_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmpl_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_japanese, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_no_header_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_body_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_bad_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sendmail_delivers, setup_maildir, teardown_maildir),
        cmocka_unit_test_setup_teardown(test_sendmail_tempfail, setup_maildir, teardown_maildir),
        cmocka_unit_test_setup_teardown(test_sendmail_failures, setup_maildir, teardown_maildir),
        cmocka_unit_test_setup_teardown(test_sendmail_signal_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sendmail_reads_a_complete_file, setup_maildir,
                                        teardown_maildir),
        cmocka_unit_test_setup_teardown(test_keyed_hash, setup, teardown),
    };
    int rc;

    /* httpd ignores SIGPIPE; so must we, or a program that exits without
     * reading would kill the test instead of failing the write */
    signal(SIGPIPE, SIG_IGN);
    apr_initialize();
    rc = cmocka_run_group_tests_name("mail", tests, NULL, NULL);
    apr_terminate();
    return rc;
}
