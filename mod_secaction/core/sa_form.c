/* The wizard's two input forms (PRODUCT.md 2.1, 2.2) and the reference
 * data they draw from.  Core file: APR only.  Field names are a contract
 * with the templates and the tests. */
#include "sa_form.h"
#include "sa_validate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_file_io.h>

/* ---------------------------------------------------------------------
 * Choice tables
 * ------------------------------------------------------------------- */

const sa_choice sa_levels[] = {
    { "1", "【一つ星】「情報セキュリティ5か条」に取組みます。" },
    { "2", "【二つ星】「5分でできる！情報セキュリティ自社診断」を実施し、情報セキュリティ基本方針を定めて外部に公開しました。" },
    { NULL, NULL }
};

const sa_choice sa_publish_methods[] = {
    { "web", "自社ウェブサイト" },
    { "brochure", "会社案内" },
    { "pamphlet", "パンフレット" },
    { "other", "その他" },
    { NULL, NULL }
};

const sa_choice sa_survey_answers[] = {
    { "1", "セミナー" },
    { "2", "IPAのウェブサイト" },
    { "3", "企業/団体のウェブサイト" },
    { "4", "メルマガ" },
    { "5", "ポスター" },
    { "6", "知人の紹介" },
    { "7", "所属商工団体、業界団体等からの紹介" },
    { "8", "取引先からの紹介" },
    { "9", "税理士、社会保険労務士、中小企業診断士等からの紹介" },
    { "10", "セキュリティプレゼンターからの紹介" },
    { "11", "その他" },
    { NULL, NULL }
};

static const sa_choice kinds[] = {
    { "corp", "法人" }, { "sole", "個人事業主" }, { NULL, NULL }
};

static const sa_choice yes_no[] = {
    { "yes", "はい" }, { "no", "いいえ" }, { NULL, NULL }
};

apr_array_header_t *sa_default_purposes(apr_pool_t *p)
{
    static const char *const labels[] = {
        "従業員の意識を高めるため", "取引先からの要請", "補助金の申請のため", "その他", NULL
    };
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    int i;

    for (i = 0; labels[i]; i++)
        APR_ARRAY_PUSH(a, const char *) = labels[i];
    return a;
}

/* ---------------------------------------------------------------------
 * Reference data
 * ------------------------------------------------------------------- */

const sa_refitem *sa_refdata_find(const apr_array_header_t *items, const char *code)
{
    int i;

    if (!items || !code)
        return NULL;
    for (i = 0; i < items->nelts; i++) {
        const sa_refitem *it = &APR_ARRAY_IDX(items, i, sa_refitem);
        if (strcmp(it->code, code) == 0)
            return it;
    }
    return NULL;
}

#define SA_REF_MAX_BYTES (1024 * 1024)   /* the real files are a few KB */

/* Reads the whole file into a NUL-terminated buffer. */
static const char *slurp(apr_pool_t *p, const char *path, char **buf)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t got;
    apr_status_t rv;
    char eb[256];

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv != APR_SUCCESS)
        return apr_psprintf(p, "%s: cannot read: %s", path, apr_strerror(rv, eb, sizeof eb));
    if (fi.size > SA_REF_MAX_BYTES) {
        apr_file_close(f);
        return apr_psprintf(p, "%s: file too large (over %d bytes)", path, SA_REF_MAX_BYTES);
    }
    *buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    rv = apr_file_read_full(f, *buf, (apr_size_t)fi.size, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(rv == APR_EOF && got == 0))
        return apr_psprintf(p, "%s: cannot read: %s", path, apr_strerror(rv, eb, sizeof eb));
    (*buf)[got] = '\0';
    if (strncmp(*buf, "\xEF\xBB\xBF", 3) == 0)   /* saved by a spreadsheet */
        memmove(*buf, *buf + 3, got - 2);
    return NULL;
}

/* Splits a line (CR already removed) into exactly n tab-separated,
 * non-empty, clean fields. */
static const char *split_fields(apr_pool_t *p, const char *path, int lineno,
                                char *line, char **fields, int n)
{
    int i = 0;
    char *s = line, *tab;

    for (;;) {
        tab = strchr(s, '\t');
        if (i >= n)
            return apr_psprintf(p, "%s line %d: expected %d tab-separated columns, found more",
                                path, lineno, n);
        fields[i++] = s;
        if (!tab)
            break;
        *tab = '\0';
        s = tab + 1;
    }
    if (i != n)
        return apr_psprintf(p, "%s line %d: expected %d tab-separated columns, found %d",
                            path, lineno, n, i);
    for (i = 0; i < n; i++) {
        if (!*fields[i])
            return apr_psprintf(p, "%s line %d: column %d is empty", path, lineno, i + 1);
        if (sa_check_text(fields[i], 0))
            return apr_psprintf(p, "%s line %d: column %d is not valid UTF-8 text",
                                path, lineno, i + 1);
    }
    return NULL;
}

/* Calls row() for each data line after checking the header line. */
typedef const char *(*row_fn)(apr_pool_t *p, const char *path, int lineno,
                              char **fields, sa_refdata *rd);

static const char *read_tsv(apr_pool_t *p, const char *dir, const char *name,
                            const char *header, int ncols, row_fn row, sa_refdata *rd)
{
    char *path = apr_pstrcat(p, dir, "/", name, NULL), *buf = NULL, *line, *next;
    char *fields[8] = { NULL };
    const char *msg;
    int lineno = 0;

    if ((msg = slurp(p, path, &buf)) != NULL)
        return msg;
    for (line = buf; line && *line; line = next) {
        apr_size_t len;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (lineno == 1) {
            if (strcmp(line, header) != 0)
                return apr_psprintf(p, "%s line 1: the header must be \"%s\" (tab-separated)",
                                    path, header);
            continue;
        }
        if (!len)
            continue;                              /* blank lines are harmless */
        if ((msg = split_fields(p, path, lineno, line, fields, ncols)) != NULL)
            return msg;
        if ((msg = row(p, path, lineno, fields, rd)) != NULL)
            return msg;
    }
    if (lineno == 0)
        return apr_psprintf(p, "%s: the file is empty", path);
    return NULL;
}

static void push_item(apr_array_header_t *a, const char *code, const char *name,
                      const char *parent)
{
    sa_refitem *it = apr_array_push(a);
    it->code = code;
    it->name = name;
    it->parent = parent;
}

static const char *prefecture_row(apr_pool_t *p, const char *path, int lineno,
                                  char **f, sa_refdata *rd)
{
    if (sa_refdata_find(rd->prefectures, f[0]))
        return apr_psprintf(p, "%s line %d: prefecture code %s appears twice", path, lineno, f[0]);
    push_item(rd->prefectures, f[0], f[1], NULL);
    return NULL;
}

/* One middle group a line; its major division is recorded the first time
 * it appears and must keep the same name afterwards, and its lines must be
 * together (the pages list each division's groups as one run). */
static const char *jsic_row(apr_pool_t *p, const char *path, int lineno,
                            char **f, sa_refdata *rd)
{
    const sa_refitem *major = sa_refdata_find(rd->jsic_major, f[0]);
    const sa_refitem *last = rd->jsic_major->nelts
        ? &APR_ARRAY_IDX(rd->jsic_major, rd->jsic_major->nelts - 1, sa_refitem) : NULL;

    if (!major)
        push_item(rd->jsic_major, f[0], f[1], NULL);
    else if (strcmp(major->name, f[1]) != 0)
        return apr_psprintf(p, "%s line %d: major division %s is named \"%s\" here but \"%s\" before",
                            path, lineno, f[0], f[1], major->name);
    else if (major != last)
        return apr_psprintf(p, "%s line %d: major division %s appears again after %s"
                            " (keep the lines of a division together)", path, lineno, f[0], last->code);
    if (sa_refdata_find(rd->jsic_middle, f[2]))
        return apr_psprintf(p, "%s line %d: middle group code %s appears twice", path, lineno, f[2]);
    push_item(rd->jsic_middle, f[2], f[3], f[0]);
    return NULL;
}

const char *sa_refdata_load(apr_pool_t *p, const char *dir, sa_refdata **out)
{
    sa_refdata *rd = apr_pcalloc(p, sizeof(*rd));
    const char *msg;

    rd->prefectures = apr_array_make(p, 47, sizeof(sa_refitem));
    rd->jsic_major = apr_array_make(p, 20, sizeof(sa_refitem));
    rd->jsic_middle = apr_array_make(p, 99, sizeof(sa_refitem));
    if ((msg = read_tsv(p, dir, "prefectures.tsv", "code\tname", 2,
                        prefecture_row, rd)) != NULL)
        return msg;
    if ((msg = read_tsv(p, dir, "jsic.tsv",
                        "major_code\tmajor_name\tmiddle_code\tmiddle_name", 4,
                        jsic_row, rd)) != NULL)
        return msg;
    if (rd->prefectures->nelts == 0)
        return apr_psprintf(p, "%s/prefectures.tsv: no prefectures after the header", dir);
    if (rd->jsic_middle->nelts == 0)
        return apr_psprintf(p, "%s/jsic.tsv: no industries after the header", dir);
    *out = rd;
    return NULL;
}

/* ---------------------------------------------------------------------
 * Form helpers
 * ------------------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const apr_table_t *in;
    apr_table_t *out;
    apr_array_header_t *errs;
    int n;
} form;

typedef const char *(*rule_fn)(apr_pool_t *p, const char *in, const char **out);

static void fail(form *f, const char *field, const char *message)
{
    sa_error *e = apr_array_push(f->errs);
    e->field = field;
    e->message = message;
    f->n++;
}

/* The trimmed, text-checked value: "" when empty and optional, NULL when
 * an error was recorded (required and empty, or bad characters). */
static const char *take(form *f, const char *name, const char *label,
                        const char *required_msg)
{
    const char *v = apr_table_get(f->in, name), *msg;

    v = sa_trim(f->p, v ? v : "");
    if (!*v) {
        if (!required_msg)
            return v;
        fail(f, name, required_msg);
        return NULL;
    }
    if ((msg = sa_check_text_label(f->p, label, v, 0)) != NULL) {
        fail(f, name, msg);
        return NULL;
    }
    return v;
}

static const char *must_enter(form *f, const char *label)
{
    return apr_psprintf(f->p, "%sを入力してください。", label);
}

/* Free text with a length limit (names, addresses), through fold when
 * given. */
static void folded(form *f, const char *name, const char *label, int required,
                   apr_size_t max, char *(*fold)(apr_pool_t *, const char *))
{
    const char *v = take(f, name, label, required ? must_enter(f, label) : NULL);
    const char *msg;

    if (!v)
        return;
    if (fold)
        v = fold(f->p, v);
    if ((msg = sa_length_label(f->p, label, v, max)) != NULL) {
        fail(f, name, msg);
        return;
    }
    apr_table_set(f->out, name, v);
}

static void plain(form *f, const char *name, const char *label, int required,
                  apr_size_t max)
{
    folded(f, name, label, required, max, NULL);
}

/* An address line: free text, folded by sa_address_fold. */
static void address_line(form *f, const char *name, const char *label, int required,
                         apr_size_t max)
{
    folded(f, name, label, required, max, sa_address_fold);
}

/* A 番地 that starts with a 町名 (「本駒込1-2-3」, as a browser's autofill
 * writes its street line there): the 町名 belongs to 市区町村・町名.  It is
 * dropped from the 番地 when 市区町村・町名 already ends with it, else moved
 * there (while that stays within max).  One character before the first
 * digit is not taken for a 町名 (札幌's 「北1条西2丁目」 stays as typed). */
static void street_town(form *f, apr_size_t max)
{
    const char *city = apr_table_get(f->out, "city");
    const char *street = apr_table_get(f->out, "street");
    const char *digit;
    char *town;
    apr_size_t tl, cl;

    if (!city || !*city || !street)
        return;
    for (digit = street; *digit && !(*digit >= '0' && *digit <= '9'); digit++)
        ;
    if (!*digit || digit == street)
        return;
    town = sa_trim(f->p, apr_pstrndup(f->p, street, (apr_size_t)(digit - street)));
    tl = strlen(town);
    cl = strlen(city);
    if (sa_utf8_len(town) < 2)
        return;
    if (cl >= tl && !strcmp(city + cl - tl, town)) {
        apr_table_set(f->out, "street", digit);
        return;
    }
    city = apr_pstrcat(f->p, city, town, NULL);
    if (sa_utf8_len(city) <= max) {
        apr_table_set(f->out, "city", city);
        apr_table_set(f->out, "street", digit);
    }
}

/* Text normalised by a rule from sa_validate; max 0 means no limit here
 * (the rule limits bytes itself). */
static void ruled(form *f, const char *name, const char *label, int required,
                  rule_fn rule, apr_size_t max)
{
    const char *v = take(f, name, label, required ? must_enter(f, label) : NULL);
    const char *norm, *msg;

    if (!v)
        return;
    if (!*v) {
        apr_table_set(f->out, name, "");
        return;
    }
    if ((msg = rule(f->p, v, &norm)) == NULL && max)
        msg = sa_length_label(f->p, label, norm, max);
    if (msg) {
        fail(f, name, msg);
        return;
    }
    apr_table_set(f->out, name, norm);
}

/* Index of code in choices, or -1. */
static int choice_index(const sa_choice *choices, const char *code)
{
    int i;

    for (i = 0; choices[i].code; i++)
        if (strcmp(choices[i].code, code) == 0)
            return i;
    return -1;
}

/* The trimmed value of a radio button or select, or NULL after recording
 * required_msg; bad characters simply fail the lookup that follows. */
static const char *take_code(form *f, const char *name, const char *required_msg)
{
    const char *v = apr_table_get(f->in, name);

    v = sa_trim(f->p, v ? v : "");
    if (!*v) {
        fail(f, name, required_msg);
        return NULL;
    }
    return v;
}

/* A required radio button or select: returns the code or NULL. */
static const char *choose(form *f, const char *name, const sa_choice *choices,
                          const char *required_msg, const char *bad_msg)
{
    const char *v = take_code(f, name, required_msg);

    if (!v)
        return NULL;
    if (choice_index(choices, v) < 0) {
        fail(f, name, bad_msg);
        return NULL;
    }
    apr_table_set(f->out, name, v);
    return v;
}

/* A required code of the reference data. */
static const sa_refitem *choose_ref(form *f, const char *name,
                                    const apr_array_header_t *items,
                                    const char *required_msg, const char *bad_msg)
{
    const char *v = take_code(f, name, required_msg);
    const sa_refitem *it;

    if (!v)
        return NULL;
    if (!(it = sa_refdata_find(items, v))) {
        fail(f, name, bad_msg);
        return NULL;
    }
    apr_table_set(f->out, name, it->code);
    return it;
}

/* A required checkbox whose only value is "1". */
static void checkbox(form *f, const char *name, const char *msg)
{
    const char *v = apr_table_get(f->in, name);

    if (!v || strcmp(v, "1") != 0) {
        fail(f, name, msg);
        return;
    }
    apr_table_set(f->out, name, "1");
}

/* Checkboxes sent as repeated entries; out gets the codes comma-joined in
 * the table's order, duplicates dropped.  required_msg NULL = optional. */
static void multi(form *f, const char *name, const sa_choice *choices,
                  const char *required_msg, const char *bad_msg)
{
    const apr_array_header_t *arr = apr_table_elts(f->in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    unsigned long picked = 0;            /* bit i: choices[i] was sent */
    const char *joined = "";
    int i, k;

    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || strcasecmp(e[i].key, name) != 0 || !e[i].val || !*e[i].val)
            continue;
        if ((k = choice_index(choices, e[i].val)) < 0) {
            fail(f, name, bad_msg);
            return;
        }
        picked |= 1UL << k;
    }
    if (!picked && required_msg) {
        fail(f, name, required_msg);
        return;
    }
    for (i = 0; choices[i].code; i++)
        if (picked & (1UL << i))
            joined = *joined ? apr_pstrcat(f->p, joined, ",", choices[i].code, NULL)
                             : choices[i].code;
    apr_table_set(f->out, name, joined);
}

/* ---------------------------------------------------------------------
 * 事業者情報入力
 * ------------------------------------------------------------------- */

static void corp_fields(form *f)
{
    ruled(f, "corp_no", "法人番号", 1, sa_corporate_number, 0);
    plain(f, "corp_name", "事業者名", 1, 100);
    ruled(f, "corp_kana", "事業者名（全角カナ）", 1, sa_corp_kana, 100);
}

static void sole_fields(form *f)
{
    plain(f, "rep_name", "代表者名", 1, 50);
    ruled(f, "rep_kana", "代表者名（全角カナ）", 1, sa_kana, 50);
    plain(f, "trade_name", "屋号", 0, 100);
}

static void address_fields(form *f, const sa_refdata *ref)
{
    ruled(f, "postal", "郵便番号", 1, sa_postal_code, 0);
    choose_ref(f, "pref", ref->prefectures, "都道府県を選択してください。",
               "都道府県の選択が正しくありません。一覧から選択し直してください。");
    plain(f, "city", "市区町村・町名", 1, 100);
    address_line(f, "street", "番地", 1, 100);
    address_line(f, "building", "ビル名など", 0, 100);
    street_town(f, 100);
    ruled(f, "phone", "電話番号", 1, sa_phone, 0);
}

/* The middle group is optional but must belong to the chosen division;
 * without a valid division it cannot be judged and is left out. */
static void industry_fields(form *f, const sa_refdata *ref)
{
    const sa_refitem *major, *middle;
    const char *v;

    major = choose_ref(f, "jsic_major", ref->jsic_major, "業種（大分類）を選択してください。",
                       "業種（大分類）の選択が正しくありません。一覧から選択し直してください。");
    v = take(f, "jsic_middle", "業種（中分類）", NULL);
    if (!v)
        return;
    if (!*v) {
        apr_table_set(f->out, "jsic_middle", "");
        return;
    }
    if (!(middle = sa_refdata_find(ref->jsic_middle, v))) {
        fail(f, "jsic_middle", "業種（中分類）の選択が正しくありません。一覧から選択し直してください。");
        return;
    }
    if (!major)
        return;
    if (strcmp(middle->parent, major->code) != 0) {
        fail(f, "jsic_middle", "業種（中分類）は、選択した業種（大分類）に含まれるものから選択してください。");
        return;
    }
    apr_table_set(f->out, "jsic_middle", middle->code);
}

static void membership_fields(form *f)
{
    const char *member;

    member = choose(f, "member", yes_no,
                    "所属団体（商工団体等）に「所属している」か「所属していない」かを選択してください。",
                    "所属団体（商工団体等）の選択が正しくありません。選択し直してください。");
    if (member && strcmp(member, "yes") == 0)
        plain(f, "member_name", "所属団体名", 1, 100);
    choose(f, "ipa_info", yes_no,
           "IPAからの情報送付を「希望する」か「希望しない」かを選択してください。",
           "IPAからの情報送付の選択が正しくありません。選択し直してください。");
}

/* Passwords are taken as sent: trimming would silently change a secret. */
static void password_fields(form *f, const char **password)
{
    const char *pw = apr_table_get(f->in, "password");
    const char *pw2 = apr_table_get(f->in, "password2");
    const char *m1 = sa_password_policy(pw ? pw : "");
    const char *m2 = sa_password_confirm(pw, pw2);

    if (m1)
        fail(f, "password", m1);
    if (m2)
        fail(f, "password2", m2);
    if (!m1 && !m2)
        *password = pw;
}

/* The business data of either kind (everything but the password). */
static void business_fields(form *f, const sa_refdata *ref, const char *kind)
{
    if (kind && strcmp(kind, "corp") == 0)
        corp_fields(f);
    else if (kind)
        sole_fields(f);
    ruled(f, "url", "事業者URL", 0, sa_url, 0);
    address_fields(f, ref);
    industry_fields(f, ref);
    membership_fields(f);
}

int sa_company_validate(apr_pool_t *p, const sa_refdata *ref,
                        const apr_table_t *in, apr_table_t *out,
                        const char **password, apr_array_header_t *errs)
{
    form f = { p, in, out, errs, 0 };
    const char *kind;

    *password = NULL;
    kind = choose(&f, "kind", kinds, "「法人」か「個人事業主」かを選択してください。",
                  "「法人」か「個人事業主」の選択が正しくありません。選択し直してください。");
    business_fields(&f, ref, kind);
    password_fields(&f, password);
    return f.n;
}

int sa_business_validate(apr_pool_t *p, const sa_refdata *ref, const char *kind,
                         const apr_table_t *in, apr_table_t *out, apr_array_header_t *errs)
{
    form f = { p, in, out, errs, 0 };
    apr_table_set(out, "kind", kind);
    business_fields(&f, ref, kind);
    return f.n;
}

/* ---------------------------------------------------------------------
 * 自己宣言入力
 * ------------------------------------------------------------------- */

static void purpose_field(form *f, const apr_array_header_t *purposes)
{
    const char *v = take(f, "purpose", "目的", "目的を選択してください。");
    const char *idx;

    if (!v)
        return;
    if (purposes->nelts < 1 || sa_int_range(f->p, v, 1, purposes->nelts, &idx)) {
        fail(f, "purpose", "目的の選択が正しくありません。一覧から選択し直してください。");
        return;
    }
    apr_table_set(f->out, "purpose", APR_ARRAY_IDX(purposes, atoi(idx) - 1, const char *));
}

static void level2_fields(form *f)
{
    const char *v = take(f, "score", "点数", NULL), *n;

    if (v && !*v)
        apr_table_set(f->out, "score", "");
    else if (v && sa_int_range(f->p, v, 0, 100, &n))
        fail(f, "score", "点数は「5分でできる！情報セキュリティ自社診断」の点数を、"
             "0から100までの整数で入力してください（空欄でもかまいません）。");
    else if (v)
        apr_table_set(f->out, "score", n);
    multi(f, "publish", sa_publish_methods,
          "情報セキュリティ基本方針の外部公開方法を1つ以上選択してください。",
          "情報セキュリティ基本方針の外部公開方法の選択が正しくありません。一覧から選択し直してください。");
}

/* The confirmation must equal the address after both are normalised, so
 * that a different upper/lower case in the domain is not a mismatch. */
static void email2_field(form *f)
{
    const char *raw = apr_table_get(f->in, "email");
    const char *a = sa_trim(f->p, raw ? raw : "");
    const char *b = take(f, "email2", "担当者メールアドレス（確認用）",
                         "担当者メールアドレス（確認用）を入力してください。");
    const char *na, *nb;
    int b_ok;

    if (!b)
        return;
    if (sa_email(f->p, a, &na))
        na = a;
    b_ok = sa_email(f->p, b, &nb) == NULL;
    if (!b_ok)
        nb = b;
    if (strcmp(na, nb) != 0) {
        fail(f, "email2", "担当者メールアドレス（確認用）が担当者メールアドレスと一致しません。"
             "同じアドレスを入力してください。");
        return;
    }
    if (b_ok)
        apr_table_set(f->out, "email2", nb);
}

int sa_declaration_validate(apr_pool_t *p, const sa_form_options *opt,
                            const apr_table_t *in, apr_table_t *out,
                            apr_array_header_t *errs)
{
    form f = { p, in, out, errs, 0 };
    const apr_array_header_t *purposes =
        (opt && opt->purposes) ? opt->purposes : sa_default_purposes(p);
    const char *level;

    level = choose(&f, "level", sa_levels, "宣言の内容（一つ星・二つ星）を選択してください。",
                   "宣言の内容の選択が正しくありません。一つ星か二つ星を選択し直してください。");
    purpose_field(&f, purposes);
    if (level && strcmp(level, "2") == 0)
        level2_fields(&f);
    checkbox(&f, "pledge", "反社会的勢力排除に関する誓約の内容をお読みのうえ、「誓約する」にチェックを入れてください。");
    plain(&f, "contact_name", "担当者名", 1, 50);
    ruled(&f, "email", "担当者メールアドレス", 1, sa_email, 0);
    email2_field(&f);
    checkbox(&f, "privacy", "個人情報の取扱いをお読みのうえ、「同意する」にチェックを入れてください。");
    multi(&f, "survey", sa_survey_answers, NULL,
          "アンケートの回答の選択が正しくありません。一覧から選択し直してください。");
    return f.n;
}

int sa_stepup_validate(apr_pool_t *p, const apr_table_t *in, apr_table_t *out,
                       apr_array_header_t *errs)
{
    form f = { p, in, out, errs, 0 };
    level2_fields(&f);
    checkbox(&f, "pledge2", "二つ星の宣言の内容をお読みのうえ、チェックを入れてください。");
    return f.n;
}

int sa_contact_validate(apr_pool_t *p, const char *declaration_no, const apr_table_t *in,
                        apr_table_t *out, apr_array_header_t *errs)
{
    form f = { p, in, out, errs, 0 };
    const char *given = take(&f, "declaration_no", "自己宣言ID", "自己宣言IDを入力してください。");
    const char *digits = given ? sa_strip_separators(p, sa_fold_width(p, given)) : NULL;
    if (given && (!declaration_no || strcmp(digits, declaration_no) != 0))
        fail(&f, "declaration_no", "自己宣言IDが正しくありません。「自己宣言完了のお知らせ」"
             "メールに記載の10桁の番号を入力してください。");
    plain(&f, "contact_name", "担当者名", 1, 50);
    ruled(&f, "email", "担当者メールアドレス", 1, sa_email, 0);
    email2_field(&f);
    return f.n;
}

const char *sa_user_number(apr_pool_t *p, const char *in, const char **out)
{
    const char *d = in ? sa_strip_separators(p, sa_fold_width(p, sa_trim(p, in))) : "";
    apr_size_t i;
    *out = NULL;
    if (!*d) {
        return "利用者番号を入力してください。";
    }
    for (i = 0; d[i]; i++) {
        if (d[i] < '0' || d[i] > '9') {
            break;
        }
    }
    if (d[i] || i != 10) {
        return "利用者番号は、「自己宣言完了のお知らせ」メールに記載の10桁の数字で入力してください。";
    }
    *out = d;
    return NULL;
}

int sa_password_may_stay(const apr_table_t *in, const apr_array_header_t *errs)
{
    const char *a = apr_table_get(in, "password"), *b = apr_table_get(in, "password2");
    int i;
    if ((a && *a) || (b && *b)) {
        return 0;
    }
    for (i = 0; i < errs->nelts; i++) {
        const sa_error *e = &APR_ARRAY_IDX(errs, i, sa_error);
        if (strcmp(e->field, "password") && strcmp(e->field, "password2")) {
            return 0;
        }
    }
    return 1;
}

int sa_codes_contain(const char *codes, const char *code)
{
    apr_size_t n = strlen(code);
    while (codes && *codes) {
        if (!strncmp(codes, code, n) && (codes[n] == ',' || codes[n] == '\0')) {
            return 1;
        }
        codes = strchr(codes, ',');
        codes = codes ? codes + 1 : NULL;
    }
    return 0;
}

const char *sa_choice_labels(apr_pool_t *p, const sa_choice *choices, const char *codes)
{
    const char *out = NULL;
    for (; choices->code; choices++) {
        if (sa_codes_contain(codes, choices->code)) {
            out = out ? apr_pstrcat(p, out, "、", choices->label, NULL) : choices->label;
        }
    }
    return out;
}

const char *sa_level_name(const char *level)
{
    return level && !strcmp(level, "2") ? "二つ星" : "一つ星";
}
