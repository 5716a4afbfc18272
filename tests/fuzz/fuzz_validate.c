/* Every validator and normaliser of core/sa_validate.h on pieces of the input
 * (split at NUL bytes; piece i % n goes to function i).  Invariants: an
 * accepted value is well formed as documented and passes the same validator
 * again unchanged (idempotence); normalisers keep valid UTF-8 valid. */
#include "fuzz_common.h"
#include "sa_validate.h"

#include <limits.h>

#define NPIECES 16

static int is_ascii_digits(const char *s, apr_size_t n)
{
    apr_size_t i;
    if (strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int has_upper(const char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            return 1;
    return 0;
}

static void text_checks(const char *s)
{
    const char *m0 = sa_check_text(s, 0), *m1 = sa_check_text(s, 1);
    sa_text_status st0 = sa_text_status_of(s, 0);

    FZ_ASSERT((m0 == NULL) == (st0 == SA_TEXT_OK), "%s", fz_q(s));
    /* a single-line text is a multi-line text too */
    FZ_ASSERT(m0 == NULL ? m1 == NULL : 1, "%s", fz_q(s));
    FZ_ASSERT((sa_check_text_label(fz_pool, "欄", s, 0) == NULL) == (m0 == NULL), "%s", fz_q(s));
    if (m1 == NULL) {
        FZ_ASSERT(fz_utf8_ok(s), "accepted text is not UTF-8: %s", fz_q(s));
        FZ_ASSERT((sa_length(s, 5) == NULL) == (sa_utf8_len(s) <= 5), "%s", fz_q(s));
        FZ_ASSERT((sa_length_label(fz_pool, "欄", s, 5) == NULL) == (sa_utf8_len(s) <= 5),
                  "%s", fz_q(s));
    }
}

static void fold_checks(const char *s)
{
    char *f = sa_fold_width(fz_pool, s), *g;
    const char *q;
    uint32_t cp;

    FZ_ASSERT(strlen(f) <= strlen(s), "%s -> %s", fz_q(s), fz_q(f));
    if (!fz_utf8_ok(s))
        return;
    FZ_ASSERT(fz_utf8_ok(f), "%s -> %s", fz_q(s), fz_q(f));
    for (q = f; *q; ) {
        fz_u8_next(&q, &cp);
        FZ_ASSERT(!(cp >= 0xFF01 && cp <= 0xFF5E) && cp != 0x3000, "%s -> %s", fz_q(s), fz_q(f));
    }
    g = sa_fold_width(fz_pool, f);
    FZ_ASSERT(strcmp(f, g) == 0, "not idempotent: %s -> %s -> %s", fz_q(s), fz_q(f), fz_q(g));
}

static void strip_checks(const char *s)
{
    char *f = sa_strip_separators(fz_pool, s), *g;

    FZ_ASSERT(strlen(f) <= strlen(s), "%s -> %s", fz_q(s), fz_q(f));
    if (!fz_utf8_ok(s))
        return;
    FZ_ASSERT(fz_utf8_ok(f), "%s -> %s", fz_q(s), fz_q(f));
    FZ_ASSERT(!strchr(f, ' ') && !strchr(f, '-') && !strstr(f, "\xE3\x83\xBC") /* ー */
              && !strstr(f, "\xEF\xBD\xB0") /* ｰ */, "%s -> %s", fz_q(s), fz_q(f));
    g = sa_strip_separators(fz_pool, f);
    FZ_ASSERT(strcmp(f, g) == 0, "not idempotent: %s -> %s -> %s", fz_q(s), fz_q(f), fz_q(g));
}

static void trim_checks(const char *s)
{
    char *t = sa_trim(fz_pool, s), *u;
    apr_size_t n = strlen(t);

    FZ_ASSERT(strstr(s, t) != NULL, "%s -> %s", fz_q(s), fz_q(t));
    if (n) {
        FZ_ASSERT(!strchr(" \t\n\r\v\f", t[0]) && !strchr(" \t\n\r\v\f", t[n - 1]),
                  "%s -> %s", fz_q(s), fz_q(t));
        FZ_ASSERT(strncmp(t, "\xE3\x80\x80", 3) != 0
                  && !(n >= 3 && memcmp(t + n - 3, "\xE3\x80\x80", 3) == 0),
                  "%s -> %s", fz_q(s), fz_q(t));
    }
    if (fz_utf8_ok(s))
        FZ_ASSERT(fz_utf8_ok(t), "%s -> %s", fz_q(s), fz_q(t));
    u = sa_trim(fz_pool, t);
    FZ_ASSERT(strcmp(t, u) == 0, "not idempotent: %s -> %s -> %s", fz_q(s), fz_q(t), fz_q(u));
}

static void corporate_checks(const char *s)
{
    const char *out = NULL, *again = NULL;
    int d;

    if (sa_corporate_number(fz_pool, s, &out) != NULL)
        return;
    FZ_ASSERT(out && is_ascii_digits(out, 13), "%s -> %s", fz_q(s), fz_q(out));
    d = sa_corporate_check_digit(out + 1);
    FZ_ASSERT(d >= 1 && d <= 9 && out[0] - '0' == d, "%s -> %s", fz_q(s), fz_q(out));
    FZ_ASSERT(sa_corporate_number(fz_pool, out, &again) == NULL && strcmp(again, out) == 0,
              "not idempotent: %s -> %s", fz_q(s), fz_q(out));
}

static void check_digit_checks(const char *s)
{
    /* any twelve digits of the input have a digit 1..9 */
    char twelve[13];
    int n = 0, d;
    for (; *s && n < 12; s++)
        if (*s >= '0' && *s <= '9')
            twelve[n++] = *s;
    if (n < 12)
        return;
    twelve[12] = '\0';
    d = sa_corporate_check_digit(twelve);
    FZ_ASSERT(d >= 1 && d <= 9, "%s -> %d", twelve, d);
}

static void kana_checks(const char *s, int corp)
{
    const char *out = NULL, *again = NULL, *q;
    const char *msg = corp ? sa_corp_kana(fz_pool, s, &out) : sa_kana(fz_pool, s, &out);
    uint32_t cp;

    if (msg)
        return;
    FZ_ASSERT(out && *out && fz_utf8_ok(out), "%s -> %s", fz_q(s), fz_q(out));
    for (q = out; *q; ) {
        fz_u8_next(&q, &cp);
        FZ_ASSERT((cp >= 0x30A1 && cp <= 0x30FA) || (cp >= 0x30FC && cp <= 0x30FE),
                  "not katakana U+%04X: %s -> %s", (unsigned)cp, fz_q(s), fz_q(out));
    }
    msg = corp ? sa_corp_kana(fz_pool, out, &again) : sa_kana(fz_pool, out, &again);
    FZ_ASSERT(msg == NULL && strcmp(out, again) == 0, "not idempotent: %s -> %s (%s)",
              fz_q(s), fz_q(out), msg ? msg : fz_q(again));
}

static void postal_checks(const char *s)
{
    const char *out = NULL, *again = NULL;

    if (sa_postal_code(fz_pool, s, &out) != NULL)
        return;
    FZ_ASSERT(out && strlen(out) == 8 && out[3] == '-' && is_ascii_digits(apr_pstrndup(fz_pool, out, 3), 3)
              && is_ascii_digits(out + 4, 4), "%s -> %s", fz_q(s), fz_q(out));
    FZ_ASSERT(sa_postal_code(fz_pool, out, &again) == NULL && strcmp(again, out) == 0,
              "not idempotent: %s -> %s", fz_q(s), fz_q(out));
}

static void phone_checks(const char *s)
{
    const char *out = NULL, *again = NULL, *q;
    int digits = 0;

    if (sa_phone(fz_pool, s, &out) != NULL)
        return;
    FZ_ASSERT(out && out[0] == '0', "%s -> %s", fz_q(s), fz_q(out));
    for (q = out; *q; q++) {
        FZ_ASSERT((*q >= '0' && *q <= '9') || *q == '-', "%s -> %s", fz_q(s), fz_q(out));
        digits += *q != '-';
    }
    FZ_ASSERT(digits == 10 || digits == 11, "%s -> %s", fz_q(s), fz_q(out));
    FZ_ASSERT(sa_phone(fz_pool, out, &again) == NULL && strcmp(again, out) == 0,
              "not idempotent: %s -> %s -> %s", fz_q(s), fz_q(out), fz_q(again));
}

static void email_checks(const char *s)
{
    const char *out = NULL, *again = NULL, *key, *key2, *at;

    key = sa_email_key(fz_pool, s);          /* defined for any text */
    FZ_ASSERT(key != NULL, "%s", fz_q(s));
    if (sa_email(fz_pool, s, &out) != NULL)
        return;
    FZ_ASSERT(out && strlen(out) <= 254 && (at = strchr(out, '@')) && !strchr(at + 1, '@')
              && at > out && !has_upper(at), "%s -> %s", fz_q(s), fz_q(out));
    FZ_ASSERT(sa_email(fz_pool, out, &again) == NULL && strcmp(again, out) == 0,
              "not idempotent: %s -> %s", fz_q(s), fz_q(out));
    key = sa_email_key(fz_pool, out);
    FZ_ASSERT(key && !has_upper(key), "key not lower case: %s -> %s", fz_q(out), fz_q(key));
    at = strchr(key, '@');
    /* the tag goes; a local part that starts with + is a name, not a tag */
    FZ_ASSERT(at && (at - key < 2 || !memchr(key + 1, '+', (apr_size_t)(at - key - 1))),
              "%s -> %s", fz_q(out), fz_q(key));
    FZ_ASSERT(strcmp(at, strchr(out, '@')) == 0, "domain changed: %s -> %s", fz_q(out), fz_q(key));
    key2 = sa_email_key(fz_pool, key);
    FZ_ASSERT(strcmp(key, key2) == 0, "key not idempotent: %s -> %s", fz_q(key), fz_q(key2));
}

static void url_checks(const char *s)
{
    const char *out = NULL, *again = NULL;

    if (sa_url(fz_pool, s, &out) != NULL)
        return;
    FZ_ASSERT(out && strlen(out) <= 2000
              && (strncmp(out, "http://", 7) == 0 || strncmp(out, "https://", 8) == 0)
              && !strchr(out, ' '), "%s -> %s", fz_q(s), fz_q(out));
    FZ_ASSERT(sa_check_text(out, 0) == NULL, "%s -> %s", fz_q(s), fz_q(out));
    FZ_ASSERT(sa_url(fz_pool, out, &again) == NULL && strcmp(again, out) == 0,
              "not idempotent: %s -> %s", fz_q(s), fz_q(out));
}

static void password_checks(const char *s)
{
    apr_size_t n = strlen(s), i;
    int u = 0, l = 0, d = 0, y = 0;

    if (sa_password_policy(s) != NULL)
        return;
    FZ_ASSERT(n >= SA_PASSWORD_MIN && n <= SA_PASSWORD_MAX, "%s", fz_q(s));
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        FZ_ASSERT(c > 0x20 && c < 0x7F, "%s", fz_q(s));
        u |= c >= 'A' && c <= 'Z';
        l |= c >= 'a' && c <= 'z';
        d |= c >= '0' && c <= '9';
        y |= strchr(SA_PASSWORD_SYMBOLS, c) != NULL;
    }
    FZ_ASSERT(u && l && d && y, "%s", fz_q(s));
    FZ_ASSERT(sa_password_confirm(s, s) == NULL, "%s", fz_q(s));
}

static void int_checks(const char *s, int lo, int hi)
{
    const char *out = NULL, *again = NULL;
    char *end;
    long long v;

    if (sa_int_range(fz_pool, s, lo, hi, &out) != NULL)
        return;
    v = strtoll(out, &end, 10);
    FZ_ASSERT(*out && !*end && v >= lo && v <= hi, "[%d,%d] %s -> %s", lo, hi, fz_q(s), fz_q(out));
    FZ_ASSERT(sa_int_range(fz_pool, out, lo, hi, &again) == NULL && strcmp(again, out) == 0,
              "not idempotent: %s -> %s", fz_q(s), fz_q(out));
}

static int one_input(const uint8_t *data, size_t size)
{
    char *piece[NPIECES];
    int n, i = 0;

    fz_begin(data, size);
    n = fz_split(data, size, piece, NPIECES);
#define NEXT piece[(i++) % n]
    text_checks(NEXT);
    fold_checks(NEXT);
    strip_checks(NEXT);
    trim_checks(NEXT);
    corporate_checks(NEXT);
    check_digit_checks(NEXT);
    kana_checks(NEXT, 0);
    kana_checks(NEXT, 1);
    postal_checks(NEXT);
    phone_checks(NEXT);
    email_checks(NEXT);
    url_checks(NEXT);
    password_checks(NEXT);
    int_checks(NEXT, 0, 100);
    int_checks(NEXT, 1, 4);
    int_checks(NEXT, 0, INT_MAX);
    (void)sa_password_confirm(piece[0], piece[n > 1]);
#undef NEXT
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    fz_end();
    return 0;
}
