/* The wizard's forms: which fields each step has, their rules, and the
 * reference data they draw from.  Core file: APR only. */
#ifndef SA_FORM_H
#define SA_FORM_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct {
    const char *code;   /* "01".."47" / "A".."T" / "01".."99" */
    const char *name;
    const char *parent; /* middle groups: their major code; else NULL */
} sa_refitem;

typedef struct {
    apr_array_header_t *prefectures;  /* of sa_refitem */
    apr_array_header_t *jsic_major;   /* of sa_refitem */
    apr_array_header_t *jsic_middle;  /* of sa_refitem, parent = major */
} sa_refdata;

/* Loads prefectures.tsv and jsic.tsv from dir.  On failure returns a
 * message naming the file and line. */
const char *sa_refdata_load(apr_pool_t *p, const char *dir, sa_refdata **out);
const sa_refitem *sa_refdata_find(const apr_array_header_t *items, const char *code);

/* One validation failure: the form field's name and a Japanese message. */
typedef struct {
    const char *field;
    const char *message;
} sa_error;

/* Options of the declaration step that the administrator configures. */
typedef struct {
    apr_array_header_t *purposes;   /* of const char*, the 目的 labels */
} sa_form_options;

/* The fixed choices of the forms, code -> label, in display order. */
typedef struct { const char *code; const char *label; } sa_choice;
extern const sa_choice sa_publish_methods[];   /* NULL-terminated */
extern const sa_choice sa_survey_answers[];    /* NULL-terminated */
extern const sa_choice sa_levels[];            /* "1" 一つ星, "2" 二つ星 */

/* Validates the 事業者情報入力 POST (in: field -> value, as sent).
 * out receives every accepted, normalised value under the same field names
 * (except password/password2).  The accepted password is returned in
 * *password (not hashed; the caller hashes it at once).  Errors are appended
 * to errs (of sa_error) in form order.  Returns the number of errors. */
int sa_company_validate(apr_pool_t *p, const sa_refdata *ref,
                        const apr_table_t *in, apr_table_t *out,
                        const char **password, apr_array_header_t *errs);

/* The business data of a stored declaration of kind ("corp"/"sole": it
 * cannot change), as 登録情報の変更 sends it: the fields of
 * sa_company_validate without kind and password. */
int sa_business_validate(apr_pool_t *p, const sa_refdata *ref, const char *kind,
                         const apr_table_t *in, apr_table_t *out, apr_array_header_t *errs);

/* ステップアップ: the 二つ星 fields of 自己宣言入力 (score, publish) and the
 * pledge2 checkbox agreeing to the 二つ星 declaration. */
int sa_stepup_validate(apr_pool_t *p, const apr_table_t *in, apr_table_t *out,
                       apr_array_header_t *errs);

/* 担当者の変更: declaration_no must be the declaration's own 自己宣言ID
 * (full-width digits and separators accepted); contact_name, email, email2
 * as in 自己宣言入力. */
int sa_contact_validate(apr_pool_t *p, const char *declaration_no, const apr_table_t *in,
                        apr_table_t *out, apr_array_header_t *errs);

/* A 利用者番号 as typed at the login or password reset: 10 digits, full
 * width and separators accepted.  NULL (and *out) or a message. */
const char *sa_user_number(apr_pool_t *p, const char *in, const char **out);

/* On a return to 事業者情報入力 after its password was accepted, both
 * password fields may be left empty to keep that password: true when the
 * only errors of a validation are those two fields, both empty. */
int sa_password_may_stay(const apr_table_t *in, const apr_array_header_t *errs);

/* Validates the 自己宣言入力 POST.  Multi-valued fields (publish, survey)
 * arrive as repeated table entries; out holds them comma-joined in choice
 * order.  purpose is stored as its label.  Returns the number of errors. */
int sa_declaration_validate(apr_pool_t *p, const sa_form_options *opt,
                            const apr_table_t *in, apr_table_t *out,
                            apr_array_header_t *errs);

/* Whether comma-joined codes (a stored multi-value: "web,other") hold code. */
int sa_codes_contain(const char *codes, const char *code);
/* Their labels in the choices' order, joined with 「、」 ("自社ウェブサイト、その他");
 * NULL when none. */
const char *sa_choice_labels(apr_pool_t *p, const sa_choice *choices, const char *codes);
/* The level's name as the service writes it: "1" 一つ星, "2" 二つ星. */
const char *sa_level_name(const char *level);

/* The default 目的 options. */
apr_array_header_t *sa_default_purposes(apr_pool_t *p);

#endif
