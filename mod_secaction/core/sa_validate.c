/* Primitive validators and normalisers (PRODUCT.md 2.1, 2.2).
 * Core file: APR only.  Each check returns NULL or a polite Japanese
 * message that says what to do; normalised values are allocated from p. */
#include "sa_validate.h"

#include <string.h>
#include <strings.h>
#include <apr_lib.h>
#include <apr_strings.h>

#define SA_STR_(x) #x
#define SA_STR(x) SA_STR_(x)

/* ---------------------------------------------------------------------
 * UTF-8 decoding and encoding
 * ------------------------------------------------------------------- */

/* Decodes one code point strictly (no overlongs, no surrogates, nothing
 * above U+10FFFF).  Advances *s; returns -1 on a malformed sequence. */
static int u8_next(const char **s, apr_uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)*s;
    apr_uint32_t c = u[0], min;
    int n, i;

    if (c < 0x80) { n = 0; min = 0; }
    else if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
    else return -1;
    for (i = 1; i <= n; i++) {
        if ((u[i] & 0xC0) != 0x80)   /* also stops at the NUL */
            return -1;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    *s += n + 1;
    return 0;
}

/* Writes cp as UTF-8 at d; returns the end. */
static char *u8_put(char *d, apr_uint32_t cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xC0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xE0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xF0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    return d;
}

/* A character named for a message: 「X」, or a word for the invisible. */
static const char *char_name(apr_pool_t *p, apr_uint32_t cp)
{
    char buf[8];
    char *e;

    if (cp == ' ')
        return "空白（スペース）";
    if (cp == 0x3000)
        return "全角の空白";
    e = u8_put(buf, cp);
    *e = '\0';
    return apr_psprintf(p, "「%s」", buf);
}

/* ---------------------------------------------------------------------
 * Text, length, trimming, width
 * ------------------------------------------------------------------- */

/* Characters a person cannot see that reorder or hide text around them
 * (a public name could show as something else than what is stored). */
static int invisible(apr_uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E)
           || (cp >= 0x2060 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029
           || cp == 0xFEFF || cp == 0x061C || cp == 0x180E || cp == 0x00AD;
}

int sa_utf8_valid(const char *s)
{
    apr_uint32_t cp;
    while (*s) {
        if (u8_next(&s, &cp) < 0)
            return 0;
    }
    return 1;
}

sa_text_status sa_text_status_of(const char *s, int multiline)
{
    apr_uint32_t cp;

    while (*s) {
        if (u8_next(&s, &cp) < 0)
            return SA_TEXT_BAD_UTF8;
        if (cp == '\n' || cp == '\r' || cp == '\t') {
            if (!multiline)
                return SA_TEXT_NEWLINE;
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            return SA_TEXT_CONTROL;
        } else if (invisible(cp)) {
            return SA_TEXT_INVISIBLE;
        }
    }
    return SA_TEXT_OK;
}

const char *sa_check_text(const char *s, int multiline)
{
    switch (sa_text_status_of(s, multiline)) {
    case SA_TEXT_BAD_UTF8:
        return "文字を正しく読み取れませんでした。文字化けした部分がないか確認して、入力し直してください。";
    case SA_TEXT_NEWLINE:
        return "改行やタブは入力できません。1行で入力してください。";
    case SA_TEXT_CONTROL:
        return "入力できない制御文字が含まれています。その文字を取り除いて入力し直してください。";
    case SA_TEXT_INVISIBLE:
        return "目に見えない特殊な文字（文字の向きを変える記号やゼロ幅の文字など）が含まれています。"
               "その文字を取り除いて入力し直してください。";
    default:
        return NULL;
    }
}

const char *sa_check_text_label(apr_pool_t *p, const char *label,
                                const char *s, int multiline)
{
    switch (sa_text_status_of(s, multiline)) {
    case SA_TEXT_BAD_UTF8:
        return apr_psprintf(p, "%sの文字を正しく読み取れませんでした。"
                            "文字化けした部分がないか確認して、入力し直してください。", label);
    case SA_TEXT_NEWLINE:
        return apr_psprintf(p, "%sに改行やタブは入力できません。1行で入力してください。", label);
    case SA_TEXT_CONTROL:
        return apr_psprintf(p, "%sに入力できない制御文字が含まれています。"
                            "その文字を取り除いて入力し直してください。", label);
    case SA_TEXT_INVISIBLE:
        return apr_psprintf(p, "%sに目に見えない特殊な文字（文字の向きを変える記号やゼロ幅の"
                            "文字など）が含まれています。その文字を取り除いて入力し直してください。",
                            label);
    default:
        return NULL;
    }
}

apr_size_t sa_utf8_len(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

const char *sa_length(const char *s, apr_size_t max)
{
    if (sa_utf8_len(s) <= max)
        return NULL;
    return "入力できる文字数を超えています。文字数を減らして入力してください。";
}

const char *sa_length_label(apr_pool_t *p, const char *label,
                            const char *s, apr_size_t max)
{
    apr_size_t n = sa_utf8_len(s);

    if (n <= max)
        return NULL;
    return apr_psprintf(p, "%sは%" APR_SIZE_T_FMT "文字以内で入力してください"
                        "（現在%" APR_SIZE_T_FMT "文字です）。", label, max, n);
}

static int is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of the whitespace (ASCII or U+3000) at s, 0 if none. */
static apr_size_t space_at(const char *s)
{
    if (is_ascii_space((unsigned char)*s))
        return 1;
    if (strncmp(s, "\xE3\x80\x80", 3) == 0)   /* strncmp: stops at NUL */
        return 3;
    return 0;
}

char *sa_trim(apr_pool_t *p, const char *s)
{
    const char *b = s, *e, *q, *last_end;
    apr_size_t n;

    while ((n = space_at(b)) > 0)
        b += n;
    /* Walk forward so that a U+3000 is never cut in the middle. */
    last_end = b;
    for (q = b; *q; ) {
        n = space_at(q);
        if (n) {
            q += n;
        } else {
            q++;
            last_end = q;
        }
    }
    e = last_end;
    return apr_pstrmemdup(p, b, (apr_size_t)(e - b));
}

char *sa_fold_width(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *d = out;
    apr_uint32_t cp;

    while (*s) {
        const char *start = s;
        if (u8_next(&s, &cp) < 0) {          /* keep bytes we cannot read */
            *d++ = *start;
            s = start + 1;
            continue;
        }
        if (cp >= 0xFF01 && cp <= 0xFF5E)
            cp -= 0xFEE0;
        else if (cp == 0x3000)
            cp = ' ';
        d = u8_put(d, cp);
    }
    *d = '\0';
    return out;
}

/* Hyphens and dashes people type between digit groups. */
static int is_dash(apr_uint32_t cp)
{
    switch (cp) {
    case '-': case 0x2010: case 0x2011: case 0x2012: case 0x2013:
    case 0x2014: case 0x2015: case 0x2212: case 0xFF0D: case 0x30FC:
    case 0xFF70:
        return 1;
    default:
        return 0;
    }
}

/* s width-folded, each code point through fn (which gets the output so
 * far): fn returns the code point to write, or 0 to drop it. */
static char *fold_map(apr_pool_t *p, const char *s,
                      apr_uint32_t (*fn)(apr_uint32_t cp, const char *out, const char *d))
{
    char *f = sa_fold_width(p, s);
    char *out = apr_palloc(p, strlen(f) + 1), *d = out;
    const char *q = f;
    apr_uint32_t cp;

    while (*q) {
        const char *start = q;
        if (u8_next(&q, &cp) < 0) {
            *d++ = *start;
            q = start + 1;
            continue;
        }
        if ((cp = fn(cp, out, d)) != 0)
            d = u8_put(d, cp);
    }
    *d = '\0';
    return out;
}

static apr_uint32_t drop_separator(apr_uint32_t cp, const char *out, const char *d)
{
    (void)out;
    (void)d;
    return cp == ' ' || is_dash(cp) ? 0 : cp;
}

char *sa_strip_separators(apr_pool_t *p, const char *s)
{
    return fold_map(p, s, drop_separator);
}

/* A dash to '-'; ー / ｰ only after a digit. */
static apr_uint32_t address_dash(apr_uint32_t cp, const char *out, const char *d)
{
    if (is_dash(cp) && ((cp != 0x30FC && cp != 0xFF70) || (d > out && d[-1] >= '0' && d[-1] <= '9')))
        return '-';
    return cp;
}

char *sa_address_fold(apr_pool_t *p, const char *s)
{
    return fold_map(p, s, address_dash);
}

/* First character of s that is not an ASCII digit (NUL if none). */
static const char *first_non_digit(const char *s)
{
    while (*s >= '0' && *s <= '9')
        s++;
    return s;
}

/* Trims and checks the text; *t gets the trimmed copy. */
static const char *prepare(apr_pool_t *p, const char *in, const char **t)
{
    const char *msg;

    *t = sa_trim(p, in ? in : "");
    msg = sa_check_text(*t, 0);
    return msg;
}

/* Names the first character at s (which must be valid UTF-8). */
static const char *name_at(apr_pool_t *p, const char *s)
{
    apr_uint32_t cp;

    if (u8_next(&s, &cp) < 0)
        return "読み取れない文字";
    return char_name(p, cp);
}

/* ---------------------------------------------------------------------
 * 法人番号
 * ------------------------------------------------------------------- */

int sa_corporate_check_digit(const char *twelve)
{
    int sum = 0, n;

    /* n counts from the right: odd positions weigh 1, even weigh 2. */
    for (n = 1; n <= 12; n++) {
        int d = twelve[12 - n] - '0';
        sum += d * ((n % 2) ? 1 : 2);
    }
    return 9 - (sum % 9);
}

const char *sa_corporate_number(apr_pool_t *p, const char *in, const char **out)
{
    const char *t, *msg, *bad, *digits;
    apr_size_t n;

    if ((msg = prepare(p, in, &t)) != NULL)
        return msg;
    if (!*t)
        return "法人番号を入力してください。";
    digits = sa_strip_separators(p, t);
    bad = first_non_digit(digits);
    if (*bad)
        return apr_psprintf(p, "法人番号は13桁の数字で入力してください"
                            "（%sは使用できません）。", name_at(p, bad));
    n = strlen(digits);
    if (n == 12)
        return "法人番号は13桁です。入力された12桁の番号は会社法人等番号（登記簿の番号）と思われます。"
               "国税庁が指定する13桁の法人番号を入力してください。";
    if (n != 13)
        return apr_psprintf(p, "法人番号は13桁の数字で入力してください"
                            "（入力された数字は%" APR_SIZE_T_FMT "桁です）。", n);
    if (digits[0] - '0' != sa_corporate_check_digit(digits + 1))
        return "法人番号が正しくありません。国税庁が指定する13桁の法人番号を入力してください"
               "（12桁の会社法人等番号ではありません）。";
    *out = digits;
    return NULL;
}

/* ---------------------------------------------------------------------
 * Kana
 * ------------------------------------------------------------------- */

/* Half-width katakana and punctuation U+FF61..U+FF9F to full width; the
 * sound marks become the spacing ゛ ゜ and are combined afterwards. */
static const apr_uint16_t halfwidth_kana[0x3F] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, /* FF61 */
    0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, /* FF69 */
    0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF, /* FF71 */
    0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, /* FF79 */
    0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD, /* FF81 */
    0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF, /* FF89 */
    0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA, /* FF91 */
    0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x309B, 0x309C          /* FF99 */
};

/* The voiced letter of cp (ガ for カ …), or 0 if it has none. */
static apr_uint32_t voiced_of(apr_uint32_t cp)
{
    if (cp >= 0x30AB && cp <= 0x30C1 && (cp % 2) == 1)   /* カ..チ */
        return cp + 1;
    if (cp == 0x30C4 || cp == 0x30C6 || cp == 0x30C8)   /* ツ テ ト */
        return cp + 1;
    if (cp >= 0x30CF && cp <= 0x30DB && (cp - 0x30CF) % 3 == 0) /* ハ行 */
        return cp + 1;
    if (cp == 0x30A6)                                    /* ウ → ヴ */
        return 0x30F4;
    if (cp >= 0x30EF && cp <= 0x30F2)                    /* ワヰヱヲ */
        return cp + 8;
    if (cp == 0x30FD)                                    /* ヽ → ヾ */
        return 0x30FE;
    return 0;
}

/* The semi-voiced letter of cp (パ for ハ …), or 0. */
static apr_uint32_t semivoiced_of(apr_uint32_t cp)
{
    if (cp >= 0x30CF && cp <= 0x30DB && (cp - 0x30CF) % 3 == 0)
        return cp + 2;
    return 0;
}

static int is_katakana(apr_uint32_t cp)
{
    return (cp >= 0x30A1 && cp <= 0x30FA) || (cp >= 0x30FC && cp <= 0x30FE);
}

/* One input character to its katakana candidate (spaces give 0). */
static apr_uint32_t kana_map(apr_uint32_t cp)
{
    if (cp == ' ' || cp == 0x3000 || cp == '\t')
        return 0;
    if (cp >= 0xFF61 && cp <= 0xFF9F)
        return halfwidth_kana[cp - 0xFF61];
    if ((cp >= 0x3041 && cp <= 0x3096) || cp == 0x309D || cp == 0x309E)
        return cp + 0x60;                       /* hiragana → katakana */
    if (cp == 0x3099)                           /* combining marks */
        return 0x309B;
    if (cp == 0x309A)
        return 0x309C;
    return cp;
}

/* Says why cp is not accepted, with a hint for the usual mistakes. */
static const char *kana_error(apr_pool_t *p, apr_uint32_t cp)
{
    const char *hint = "";

    if (cp < 0x80 || (cp >= 0xFF01 && cp <= 0xFF5E))
        hint = "英字・数字・記号も読み方をカタカナで入力してください。";
    else if (cp == 0x309B || cp == 0x309C)
        hint = "濁点・半濁点は、付けられる文字の直後にだけ入力できます。";
    else if (cp >= 0x4E00 && cp <= 0x9FFF)
        hint = "漢字は読み方をカタカナで入力してください。";
    return apr_psprintf(p, "全角カタカナで入力してください（%sは使用できません）。%s",
                        char_name(p, cp), hint);
}

const char *sa_kana(apr_pool_t *p, const char *in, const char **out)
{
    const char *t, *msg, *s;
    apr_uint32_t *buf, cp;
    apr_size_t n = 0, i;
    char *res, *d;

    if ((msg = prepare(p, in, &t)) != NULL)
        return msg;
    buf = apr_palloc(p, (strlen(t) + 1) * sizeof(*buf));
    for (s = t; *s; ) {
        u8_next(&s, &cp);                        /* valid: checked above */
        cp = kana_map(cp);
        if (cp == 0)
            continue;
        if ((cp == 0x309B || cp == 0x309C) && n > 0) {
            apr_uint32_t c = (cp == 0x309B) ? voiced_of(buf[n - 1])
                                             : semivoiced_of(buf[n - 1]);
            if (c) {
                buf[n - 1] = c;
                continue;
            }
        }
        if (!is_katakana(cp))
            return kana_error(p, cp);
        buf[n++] = cp;
    }
    if (n == 0)
        return "フリガナを全角カタカナで入力してください。";
    res = d = apr_palloc(p, n * 3 + 1);
    for (i = 0; i < n; i++)
        d = u8_put(d, buf[i]);
    *d = '\0';
    *out = res;
    return NULL;
}

char *sa_search_fold(apr_pool_t *p, const char *in)
{
    apr_uint32_t *buf, cp;
    apr_size_t n = 0, i;
    const char *s;
    char *res, *d;

    if (!in || !sa_utf8_valid(in)) {
        return apr_pstrdup(p, "");
    }
    buf = apr_palloc(p, (strlen(in) + 1) * sizeof(*buf));
    for (s = in; *s; ) {
        u8_next(&s, &cp);
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            cp -= 0xFEE0;                        /* full-width ASCII */
        }
        if (cp >= 'A' && cp <= 'Z') {
            cp += 'a' - 'A';
        }
        if (cp == '\n' || cp == '\r' || cp == 0x30FB || cp == 0xFF65 || cp == 0x00B7) {
            cp = ' ';                            /* line ends, ・: separators */
        }
        cp = kana_map(cp);                       /* hiragana, half-width kana; spaces give 0 */
        if (cp == 0 || cp < 0x20) {
            continue;
        }
        if ((cp == 0x309B || cp == 0x309C) && n > 0) {
            apr_uint32_t c = (cp == 0x309B) ? voiced_of(buf[n - 1]) : semivoiced_of(buf[n - 1]);
            if (c) {
                buf[n - 1] = c;
                continue;
            }
        }
        buf[n++] = cp;
    }
    res = d = apr_palloc(p, n * 4 + 1);
    for (i = 0; i < n; i++) {
        d = u8_put(d, buf[i]);
    }
    *d = '\0';
    return res;
}

/* Readings of the legal forms that the corporate reading must leave out;
 * the unvoiced カイシャ is listed too because people type it. */
static const struct { const char *kana, *kanji; } legal_forms[] = {
    { "カブシキガイシャ", "株式会社" },   { "カブシキカイシャ", "株式会社" },
    { "ユウゲンガイシャ", "有限会社" },   { "ユウゲンカイシャ", "有限会社" },
    { "ゴウドウガイシャ", "合同会社" },   { "ゴウドウカイシャ", "合同会社" },
    { "ゴウメイガイシャ", "合名会社" },   { "ゴウメイカイシャ", "合名会社" },
    { "ゴウシガイシャ", "合資会社" },     { "ゴウシカイシャ", "合資会社" },
    { "イッパンシャダンホウジン", "一般社団法人" },
    { "イッパンザイダンホウジン", "一般財団法人" },
    { NULL, NULL }
};

const char *sa_corp_kana(apr_pool_t *p, const char *in, const char **out)
{
    const char *k, *msg;
    apr_size_t kl;
    int i;

    if ((msg = sa_kana(p, in, &k)) != NULL)
        return msg;
    kl = strlen(k);
    for (i = 0; legal_forms[i].kana; i++) {
        const char *f = legal_forms[i].kana;
        apr_size_t fl = strlen(f);
        if (kl >= fl && (strncmp(k, f, fl) == 0 || strcmp(k + kl - fl, f) == 0))
            return apr_psprintf(p, "事業者名（全角カナ）には「%s」（%s）などの法人の種類を入れず、"
                                "名称の読み方だけを入力してください。", f, legal_forms[i].kanji);
    }
    *out = k;
    return NULL;
}

/* ---------------------------------------------------------------------
 * 郵便番号, 電話番号, numbers
 * ------------------------------------------------------------------- */

const char *sa_postal_code(apr_pool_t *p, const char *in, const char **out)
{
    const char *t, *msg, *digits, *bad;

    if ((msg = prepare(p, in, &t)) != NULL)
        return msg;
    if (strncmp(t, "\xE3\x80\x92", 3) == 0)      /* a leading 〒 is harmless */
        t += 3;
    digits = sa_strip_separators(p, t);
    if (!*digits)
        return "郵便番号を入力してください。";
    bad = first_non_digit(digits);
    if (*bad)
        return apr_psprintf(p, "郵便番号は7桁の数字で入力してください（例：123-4567）。"
                            "%sは使用できません。", name_at(p, bad));
    if (strlen(digits) != 7)
        return apr_psprintf(p, "郵便番号は7桁の数字で入力してください（例：123-4567）。"
                            "入力された数字は%" APR_SIZE_T_FMT "桁です。", strlen(digits));
    *out = apr_psprintf(p, "%.3s-%s", digits, digits + 3);
    return NULL;
}

/* Keeps the user's hyphens only for 2 or 3 digit groups joined by single
 * hyphens (03-1234-5678, 0312-345678); anything else is stored bare. */
static int phone_shape_ok(const char *shaped)
{
    int hyphens = 0;
    const char *s;

    if (*shaped == '-' || shaped[strlen(shaped) - 1] == '-')
        return 0;
    for (s = shaped; *s; s++) {
        if (*s == '-') {
            if (s[1] == '-')
                return 0;
            hyphens++;
        } else if (*s < '0' || *s > '9') {
            return 0;                      /* spaces or parentheses */
        }
    }
    return hyphens >= 1 && hyphens <= 2;
}

const char *sa_phone(apr_pool_t *p, const char *in, const char **out)
{
    const char *t, *msg, *s;
    char *shaped, *digits, *sd, *dd;
    apr_uint32_t cp;
    apr_size_t n;

    if ((msg = prepare(p, in, &t)) != NULL)
        return msg;
    s = sa_fold_width(p, t);
    shaped = sd = apr_palloc(p, strlen(s) + 1);
    digits = dd = apr_palloc(p, strlen(s) + 1);
    while (*s) {
        u8_next(&s, &cp);
        if (cp >= '0' && cp <= '9')
            *sd++ = *dd++ = (char)cp;
        else if (is_dash(cp))
            *sd++ = '-';
        else if (cp == ' ' || cp == '(' || cp == ')')
            *sd++ = (char)cp;
        else if (cp == '+')
            return "電話番号は「+81」などの国番号を付けず、0から始まる番号で入力してください。";
        else
            return apr_psprintf(p, "電話番号は数字とハイフン（-）で入力してください"
                                "（%sは使用できません）。", char_name(p, cp));
    }
    *sd = *dd = '\0';
    n = strlen(digits);
    if (n == 0)
        return "電話番号を入力してください。";
    if (digits[0] != '0')
        return "電話番号は市外局番から、0で始まる番号を入力してください。";
    if (n != 10 && n != 11)
        return apr_psprintf(p, "電話番号は市外局番から10桁または11桁で入力してください"
                            "（入力された数字は%" APR_SIZE_T_FMT "桁です）。", n);
    *out = phone_shape_ok(shaped) ? shaped : digits;
    return NULL;
}

const char *sa_int_range(apr_pool_t *p, const char *in, int lo, int hi, const char **out)
{
    const char *t, *msg, *s;
    apr_int64_t v = 0;

    if ((msg = prepare(p, in, &t)) != NULL)
        return msg;
    s = sa_fold_width(p, t);
    if (!*s || *first_non_digit(s))
        return apr_psprintf(p, "%dから%dまでの整数を、数字だけで入力してください。", lo, hi);
    for (; *s; s++) {
        v = v * 10 + (*s - '0');
        if (v > hi)                       /* also stops long overflows */
            break;
    }
    if (v < lo || v > hi)
        return apr_psprintf(p, "%dから%dまでの整数を入力してください。", lo, hi);
    *out = apr_psprintf(p, "%" APR_INT64_T_FMT, v);
    return NULL;
}

/* ---------------------------------------------------------------------
 * Mail address and URL
 * ------------------------------------------------------------------- */

static int is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_atext(char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* First non-ASCII or invisible byte position, or NULL. */
static const char *first_not_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return s;
    return NULL;
}

/* Host name of at least two labels, letters/digits/hyphens; the last label
 * letters only (2+).  Returns a message tail or NULL. */
static const char *check_hostname(apr_pool_t *p, const char *h, apr_size_t len)
{
    const char *e = h + len, *l = h;
    int labels = 0;

    while (l <= e) {
        const char *q = l;
        apr_size_t ll;
        while (q < e && *q != '.')
            q++;
        ll = (apr_size_t)(q - l);
        if (ll == 0)
            return "「.」が先頭・末尾にあるか、2つ続いています";
        if (ll > 63)
            return "「.」で区切られた部分が63文字を超えています";
        if (l[0] == '-' || l[ll - 1] == '-')
            return "「.」で区切られた部分の先頭や末尾に「-」は使えません";
        for (const char *c = l; c < q; c++)
            if (!is_alpha(*c) && !is_digit(*c) && *c != '-')
                return apr_psprintf(p, "%sは使用できません", name_at(p, c));
        labels++;
        if (q == e) {
            if (labels < 2)
                return "「example.co.jp」のように「.」で区切られた名前が必要です";
            if (ll < 2)
                return "最後の「.」の後ろが1文字しかありません";
            for (const char *c = l; c < q; c++)
                if (!is_alpha(*c))
                    return "最後の「.」の後ろ（jp、comなど）は英字だけです";
            return NULL;
        }
        l = q + 1;
    }
    return NULL;
}

static const char *check_local_part(apr_pool_t *p, const char *s, apr_size_t len)
{
    apr_size_t i;

    if (len == 0)
        return "メールアドレスの「@」より前の部分がありません。アドレス全体を入力してください。";
    if (len > 64)
        return "メールアドレスの「@」より前の部分は64文字以内です。入力し直してください。";
    if (s[0] == '.' || s[len - 1] == '.')
        return "メールアドレスの「@」より前の部分の先頭や末尾に「.」は使えません。アドレスを確認してください。";
    /* mail programs would read a leading '-' as an option: sa_mail refuses it */
    if (s[0] == '-')
        return "メールアドレスの先頭に「-」は使えません。アドレスを確認してください。";
    for (i = 0; i < len; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return "メールアドレスの「@」より前の部分で「.」を2つ続けることはできません。アドレスを確認してください。";
        if (s[i] != '.' && !is_atext(s[i]))
            return apr_psprintf(p, "メールアドレスに%sは使用できません。アドレスを確認してください。",
                                name_at(p, s + i));
    }
    return NULL;
}

const char *sa_email(apr_pool_t *p, const char *in, const char **out)
{
    const char *t, *msg, *at, *bad;
    char *res;
    apr_size_t i, ll;

    if ((msg = prepare(p, in, &t)) != NULL)
        return msg;
    if (!*t)
        return "メールアドレスを入力してください。";
    if ((bad = first_not_ascii(t)) != NULL)
        return apr_psprintf(p, "メールアドレスは半角の英数字と記号で入力してください"
                            "（%sは使用できません）。", name_at(p, bad));
    if (strlen(t) > 254)
        return "メールアドレスは254文字以内で入力してください。";
    at = strchr(t, '@');
    if (!at)
        return "メールアドレスに「@」がありません。「info@example.co.jp」の形で入力してください。";
    if (strchr(at + 1, '@'))
        return "メールアドレスに「@」が2つ以上あります。「@」が1つのアドレスを入力してください。";
    ll = (apr_size_t)(at - t);
    if ((msg = check_local_part(p, t, ll)) != NULL)
        return msg;
    if (!at[1])
        return "メールアドレスの「@」より後ろ（ドメイン）がありません。アドレス全体を入力してください。";
    if ((msg = check_hostname(p, at + 1, strlen(at + 1))) != NULL)
        return apr_psprintf(p, "メールアドレスの「@」より後ろ（ドメイン）が正しくありません（%s）。"
                            "アドレスを確認してください。", msg);
    res = apr_pstrdup(p, t);
    for (i = ll + 1; res[i]; i++)
        res[i] = apr_tolower(res[i]);
    *out = res;
    return NULL;
}

/* Dotted-quad IPv4 with each part 0..255 and no leading zeros. */
static int is_ipv4(const char *h, apr_size_t len)
{
    int parts = 0;
    const char *e = h + len, *q = h;

    while (q < e) {
        int v = 0, nd = 0;
        while (q < e && is_digit(*q)) {
            if (nd == 1 && v == 0)
                return 0;
            v = v * 10 + (*q++ - '0');
            if (++nd > 3 || v > 255)
                return 0;
        }
        if (nd == 0 || ++parts > 4)
            return 0;
        if (q < e && *q++ != '.')
            return 0;
        if (q == e && e[-1] == '.')
            return 0;
    }
    return parts == 4;
}

/* Port: 1..65535 in digits. */
static int port_ok(const char *s, apr_size_t len)
{
    long v = 0;
    apr_size_t i;

    if (len == 0 || len > 5)
        return 0;
    for (i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

static const char *url_authority(apr_pool_t *p, const char *a, apr_size_t len,
                                 apr_size_t *hostlen)
{
    const char *colon = memchr(a, ':', len), *msg;
    apr_size_t hl = colon ? (apr_size_t)(colon - a) : len;

    if (len && a[0] == '[')
        return "IPアドレス（IPv6）のURLは登録できません。ホスト名（例：www.example.co.jp）で入力してください。";
    if (memchr(a, '@', len))
        return "ユーザー名やパスワードを含むURLは登録できません。「@」より前を取り除いてください。";
    for (apr_size_t i = 0; i < len; i++)
        if ((unsigned char)a[i] >= 0x80)
            return "URLのホスト名は半角英数字で入力してください（日本語ドメイン名は「xn--」で始まる形に変換してください）。";
    if (hl == 0)
        return "URLにホスト名がありません。「https://www.example.co.jp/」の形で入力してください。";
    if (colon && !port_ok(colon + 1, len - hl - 1))
        return "URLの「:」の後ろのポート番号が正しくありません。1から65535までの数字にするか、取り除いてください。";
    if (!is_ipv4(a, hl) && (msg = check_hostname(p, a, hl)) != NULL)
        return apr_psprintf(p, "URLのホスト名が正しくありません（%s）。"
                            "「https://www.example.co.jp/」の形で入力してください。", msg);
    *hostlen = hl;
    return NULL;
}

const char *sa_url(apr_pool_t *p, const char *in, const char **out)
{
    const char *t, *msg, *a;
    apr_size_t skip, alen, hl = 0, i;
    char *res;

    if ((msg = prepare(p, in, &t)) != NULL)
        return msg;
    if (!*t)
        return "URLを入力してください。";
    if (strlen(t) > 2000)
        return "URLは半角2000文字以内で入力してください。";
    if (strchr(t, ' '))
        return "URLに空白（スペース）は入れられません。空白を取り除いて入力してください。";
    if (strncasecmp(t, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(t, "https://", 8) == 0)
        skip = 8;
    else
        return "URLは「https://」または「http://」から始めて入力してください（例：https://www.example.co.jp/）。";
    a = t + skip;
    alen = strcspn(a, "/?#");
    if ((msg = url_authority(p, a, alen, &hl)) != NULL)
        return msg;
    res = apr_pstrdup(p, t);
    /* The scheme and host are case-insensitive: store them lower-case. */
    for (i = 0; i < skip + hl; i++)
        res[i] = apr_tolower(res[i]);
    *out = res;
    return NULL;
}

/* ---------------------------------------------------------------------
 * Password
 * ------------------------------------------------------------------- */

#define PW_RULE "パスワードは" SA_STR(SA_PASSWORD_MIN) "文字以上" SA_STR(SA_PASSWORD_MAX) \
    "文字以下で、英大文字・英小文字・数字・記号をそれぞれ1文字以上含めてください。"

/* One message per set of missing classes (bit 1 upper, 2 lower, 4 digit,
 * 8 symbol), so that the message is static yet lists what is missing. */
#define PW_ROW(head) { NULL, \
    head "英大文字が" PW_TAIL, head "英小文字が" PW_TAIL, \
    head "英大文字・英小文字が" PW_TAIL, head "数字が" PW_TAIL, \
    head "英大文字・数字が" PW_TAIL, head "英小文字・数字が" PW_TAIL, \
    head "英大文字・英小文字・数字が" PW_TAIL, head "記号が" PW_TAIL, \
    head "英大文字・記号が" PW_TAIL, head "英小文字・記号が" PW_TAIL, \
    head "英大文字・英小文字・記号が" PW_TAIL, head "数字・記号が" PW_TAIL, \
    head "英大文字・数字・記号が" PW_TAIL, head "英小文字・数字・記号が" PW_TAIL, \
    head "英大文字・英小文字・数字・記号が" PW_TAIL }
#define PW_TAIL "含まれていません。" PW_RULE

static const char *const pw_messages[3][16] = {
    PW_ROW("パスワードに"),
    PW_ROW("パスワードが" SA_STR(SA_PASSWORD_MIN) "文字より短く、"),
    PW_ROW("パスワードが" SA_STR(SA_PASSWORD_MAX) "文字より長く、"),
};

const char *sa_password_policy(const char *pw)
{
    apr_size_t len = strlen(pw);
    int missing = 15, row = 0;
    const char *s;

    if (len == 0)
        return "パスワードを入力してください。";
    if (strchr(pw, ' ') || strstr(pw, "\xE3\x80\x80"))
        return "パスワードに空白（スペース）は使えません。空白を入れずに入力してください。";
    for (s = pw; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c > 0x7E)
            return "パスワードに使えない文字が含まれています。半角の英字・数字・記号だけで入力してください"
                   "（全角文字は使えません）。";
        if (c >= 'A' && c <= 'Z') missing &= ~1;
        else if (c >= 'a' && c <= 'z') missing &= ~2;
        else if (c >= '0' && c <= '9') missing &= ~4;
        else if (strchr(SA_PASSWORD_SYMBOLS, c)) missing &= ~8;
    }
    if (len < SA_PASSWORD_MIN)
        row = 1;
    else if (len > SA_PASSWORD_MAX)
        row = 2;
    if (missing)
        return pw_messages[row][missing];
    if (row == 1)
        return "パスワードが短すぎます。" SA_STR(SA_PASSWORD_MIN) "文字以上で入力してください。";
    if (row == 2)
        return "パスワードが長すぎます。" SA_STR(SA_PASSWORD_MAX) "文字以下で入力してください。";
    return NULL;
}

const char *sa_password_confirm(const char *pw, const char *pw2)
{
    if (!pw2 || !*pw2)
        return "パスワード（確認用）を入力してください。";
    if (!pw || strcmp(pw, pw2) != 0)
        return "パスワード（確認用）がパスワードと一致しません。";
    return NULL;
}

const char *sa_email_key(apr_pool_t *p, const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    const char *plus;
    char *k, *c;
    if (!at) {
        return addr ? apr_pstrdup(p, addr) : NULL;
    }
    /* a tag after the mailbox's name; a local part that starts with + has none */
    plus = at > addr + 1 ? memchr(addr + 1, '+', (apr_size_t)(at - addr - 1)) : NULL;
    k = apr_pstrcat(p, apr_pstrndup(p, addr, (apr_size_t)((plus ? plus : at) - addr)), at, NULL);
    for (c = k; *c; c++) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char)(*c - 'A' + 'a');
        }
    }
    return k;
}
