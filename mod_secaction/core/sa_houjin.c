/* The NTA's corporate-number data (see sa_houjin.h). */
#include <string.h>
#include <apr_strings.h>
#include "sa_houjin.h"
#include "sa_csv.h"
#include "sa_validate.h"

enum {
    C_NUMBER = 1, C_PROCESS = 2, C_UPDATED = 4, C_NAME = 6, C_PREF_NAME = 9, C_CITY = 10,
    C_STREET = 11, C_PREF_CODE = 13, C_POSTAL = 15, C_CLOSED = 18, C_LATEST = 23,
    C_FURIGANA = 28
};

/* 処理区分 81: the number's record was deleted (it was given by mistake). */
#define PROCESS_DELETED "81"

static int all_digits(const char *s, apr_size_t n)
{
    apr_size_t i;
    if (strlen(s) != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static const char *or_null(const char *s)
{
    return s && *s ? s : NULL;
}

const char *sa_houjin_town(apr_pool_t *p, const char *street)
{
    const char *s = street;
    if (!s) {
        return "";
    }
    while (*s) {
        /* ASCII digits, and ０ (EF BC 90) to ９ (EF BC 99) */
        if ((*s >= '0' && *s <= '9')
            || ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBC
                && (unsigned char)s[2] >= 0x90 && (unsigned char)s[2] <= 0x99)) {
            break;
        }
        s++;
    }
    return apr_pstrndup(p, street, (apr_size_t)(s - street));
}

int sa_houjin_parse(apr_pool_t *p, char *line, sa_houjin *h, const char **why)
{
    char *f[SA_HOUJIN_MAX_COLS];
    int n = sa_csv_split(line, f, SA_HOUJIN_MAX_COLS, why), i;
    const char *bad;

    memset(h, 0, sizeof(*h));
    if (n < 0) {
        return -1;
    }
    if (n < SA_HOUJIN_MIN_COLS || n > SA_HOUJIN_MAX_COLS) {
        *why = apr_psprintf(p, "%d columns, not %d to %d (is this the NTA's 全件データ CSV?)",
                            n, SA_HOUJIN_MIN_COLS, SA_HOUJIN_MAX_COLS);
        return -1;
    }
    for (i = 0; i < n; i++) {
        if ((bad = sa_check_text(f[i], 0)) != NULL) {
            *why = apr_psprintf(p, "column %d: %s (the file must be the Unicode (UTF-8) "
                                "download, not Shift_JIS)", i + 1, bad);
            return -1;
        }
    }
    if (!all_digits(f[C_NUMBER], 13)
        || sa_corporate_check_digit(f[C_NUMBER] + 1) != f[C_NUMBER][0] - '0') {
        *why = "column 2 is not a 法人番号 (13 digits with a valid check digit)";
        return -1;
    }
    if (!strcmp(f[C_PROCESS], PROCESS_DELETED) || !strcmp(f[C_LATEST], "0")) {
        return 0;
    }
    if (!*f[C_NAME]) {
        *why = "column 7 (商号又は名称) is empty";
        return -1;
    }
    h->corp_no = f[C_NUMBER];
    h->name = f[C_NAME];
    h->kana = n > C_FURIGANA ? or_null(f[C_FURIGANA]) : NULL;
    if (all_digits(f[C_PREF_CODE], 2) && strcmp(f[C_PREF_CODE], "01") >= 0
        && strcmp(f[C_PREF_CODE], "47") <= 0) {
        h->pref = f[C_PREF_CODE];
        h->pref_name = or_null(f[C_PREF_NAME]);
    }
    if (*f[C_CITY] || *f[C_STREET]) {
        h->city = apr_pstrcat(p, f[C_CITY], sa_houjin_town(p, f[C_STREET]), NULL);
    }
    if (all_digits(f[C_POSTAL], 7)) {
        h->postal = apr_pstrcat(p, apr_pstrndup(p, f[C_POSTAL], 3), "-", f[C_POSTAL] + 3, NULL);
    }
    h->closed = or_null(f[C_CLOSED]);
    h->updated = or_null(f[C_UPDATED]);
    return 1;
}

/* Whether typed already says value (in the form's own normalisation). */
static int same(apr_pool_t *p, const char *field, const char *typed, const char *value)
{
    const char *norm = NULL;
    if (!strcmp(field, "postal")) {
        return !sa_postal_code(p, typed, &norm) && !strcmp(norm, value);
    }
    if (!strcmp(field, "corp_kana")) {
        return !sa_kana(p, typed, &norm) && !strcmp(norm, value);
    }
    return !strcmp(typed, value);
}

static void offer(apr_pool_t *p, apr_table_t *vals, const char *field, const char *label,
                  const char *value, const char *shown, apr_array_header_t *filled,
                  apr_array_header_t *differs)
{
    const char *typed = apr_table_get(vals, field);
    sa_houjin_offer *o;
    if (!value) {
        return;
    }
    if (typed && *typed) {
        if (same(p, field, typed, value)) {
            return;
        }
        o = apr_array_push(differs);
    }
    else {
        apr_table_set(vals, field, value);
        o = apr_array_push(filled);
    }
    o->field = field;
    o->label = label;
    o->value = value;
    o->shown = shown ? shown : value;
}

void sa_houjin_offer_to(apr_pool_t *p, const sa_houjin *h, apr_table_t *vals,
                        apr_array_header_t *filled, apr_array_header_t *differs)
{
    offer(p, vals, "corp_name", "事業者名", h->name, NULL, filled, differs);
    offer(p, vals, "corp_kana", "事業者名（全角カナ）", h->kana, NULL, filled, differs);
    offer(p, vals, "postal", "郵便番号", h->postal, NULL, filled, differs);
    offer(p, vals, "pref", "都道府県", h->pref, h->pref_name, filled, differs);
    offer(p, vals, "city", "市区町村・町名", h->city, NULL, filled, differs);
}

const char *sa_houjin_labels(apr_pool_t *p, const apr_array_header_t *offers)
{
    const char *s = "";
    int i;
    for (i = 0; i < offers->nelts; i++) {
        s = apr_pstrcat(p, s, i ? "、" : "", APR_ARRAY_IDX(offers, i, sa_houjin_offer).label,
                        NULL);
    }
    return s;
}
