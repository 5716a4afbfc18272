/* Primitive validators and normalisers of the product's rules.
 * Core file: APR only, no httpd headers.  Every function that can fail
 * returns NULL on success or a Japanese message for the user; normalised
 * output goes to *out (allocated from p). */
#ifndef SA_VALIDATE_H
#define SA_VALIDATE_H

#include <apr_pools.h>

/* Upper bound of the password length (stated to the user). */
#define SA_PASSWORD_MIN 10
#define SA_PASSWORD_MAX 64
/* The symbols the password policy counts, as the service lists them. */
#define SA_PASSWORD_SYMBOLS "!\"#$%&'()*+,-./:;<=>@[\\]^_`{|}~"

/* Valid UTF-8 (no overlongs, no surrogates) without C0/C1 control
 * characters; newline and tab allowed only when multiline is non-zero. */
const char *sa_check_text(const char *s, int multiline);

/* Number of Unicode code points of valid UTF-8 s. */
apr_size_t sa_utf8_len(const char *s);
/* Whether all of s is UTF-8 (sa_text_status_of stops at the first problem
 * of any kind, so it does not say this of text with a control character). */
int sa_utf8_valid(const char *s);

/* Full-width ASCII (U+FF01..U+FF5E) to ASCII, ideographic space to space. */
char *sa_fold_width(apr_pool_t *p, const char *s);

/* An address line (番地, ビル名など) as stored: width-folded (全角 digits,
 * letters and hyphens to half width), every hyphen or dash to '-', and
 * ー / ｰ to '-' after a digit (「1ー2」 is a mistyped hyphen; 「センター」
 * keeps its long vowel). */
char *sa_address_fold(apr_pool_t *p, const char *s);

/* Drops every ASCII and ideographic space, hyphen and dash-like character
 * (- ‐ ‑ ‒ – — ― − － ー ｰ) after width folding; used for numbers typed with
 * separators, where ー is always a mistyped hyphen. */
char *sa_strip_separators(apr_pool_t *p, const char *s);

/* 法人番号: 13 digits after normalisation, check digit verified. */
const char *sa_corporate_number(apr_pool_t *p, const char *in, const char **out);
/* Check digit of the 12 digits after the first (returns 1..9). */
int sa_corporate_check_digit(const char *twelve);

/* Reading in full-width katakana: half-width katakana (with voiced marks
 * combined), hiragana and spaces are normalised; anything else that is not
 * katakana (ー counts) is an error. */
const char *sa_kana(apr_pool_t *p, const char *in, const char **out);

/* A text folded for search: full-width ASCII to ASCII, upper case to
 * lower, hiragana and half-width katakana to full-width katakana (voiced
 * marks combined), spaces, line ends and ・ removed.  Never fails ("" for
 * NULL or text that is not UTF-8). */
char *sa_search_fold(apr_pool_t *p, const char *in);

/* 郵便番号: 7 digits; *out is "123-4567". */
const char *sa_postal_code(apr_pool_t *p, const char *in, const char **out);

/* 電話番号: Japanese number, 10-11 digits starting with 0; hyphens and
 * full-width digits accepted; *out keeps the user's hyphens if they were
 * well placed, else the bare digits. */
const char *sa_phone(apr_pool_t *p, const char *in, const char **out);

/* Mail address as used in the real world (dot-atom local part, a domain
 * with at least one dot, labels of letters/digits/hyphens, max 254). */
const char *sa_email(apr_pool_t *p, const char *in, const char **out);
/* The mailbox an accepted address reaches, as limits count it: lower case,
 * without a "+tag" in the local part ("Taro+x@Example.jp" -> "taro@example.jp"). */
const char *sa_email_key(apr_pool_t *p, const char *addr);

/* http or https URL with a host; max 2000 bytes. */
const char *sa_url(apr_pool_t *p, const char *in, const char **out);

/* Password policy of PRODUCT.md 2.1 (min 10, max SA_PASSWORD_MAX, the four
 * classes, printable ASCII only). */
const char *sa_password_policy(const char *pw);

/* Length in code points between min and max (min 0 = optional). */
const char *sa_length(const char *s, apr_size_t max);

/* Whole number in [lo, hi]. */
const char *sa_int_range(apr_pool_t *p, const char *in, int lo, int hi, const char **out);

/* --- Added for the form layer (sa_form.c) and other callers. --- */

/* Copy of s without leading/trailing ASCII whitespace and U+3000. */
char *sa_trim(apr_pool_t *p, const char *s);

/* What sa_check_text found, for callers that word their own message. */
typedef enum {
    SA_TEXT_OK = 0,
    SA_TEXT_BAD_UTF8,   /* not valid UTF-8 (overlong, surrogate, cut off) */
    SA_TEXT_NEWLINE,    /* CR/LF/TAB in a single-line field */
    SA_TEXT_CONTROL,    /* other C0/C1 control or DEL */
    SA_TEXT_INVISIBLE   /* a character that changes how text shows without being seen:
                           bidi controls, zero-width ones, BOM, line/paragraph separators */
} sa_text_status;
sa_text_status sa_text_status_of(const char *s, int multiline);

/* sa_check_text's problem worded for the field labelled label, or NULL. */
const char *sa_check_text_label(apr_pool_t *p, const char *label,
                                const char *s, int multiline);

/* Length check worded for the field labelled label (stating the limit and
 * the current count), or NULL when s has at most max code points. */
const char *sa_length_label(apr_pool_t *p, const char *label,
                            const char *s, apr_size_t max);

/* 事業者名（全角カナ）: sa_kana, then rejects a reading that starts or ends
 * with a legal-form word (カブシキガイシャ …). */
const char *sa_corp_kana(apr_pool_t *p, const char *in, const char **out);

/* Password (確認用) against the password: NULL when equal. */
const char *sa_password_confirm(const char *pw, const char *pw2);

#endif
