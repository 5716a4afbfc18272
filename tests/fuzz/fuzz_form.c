/* The wizard's form validators (core/sa_form.h) on a urlencoded POST body
 * decoded by sa_kv_decode.  Invariants:
 *   - the count returned is the number of errors appended;
 *   - every accepted value is clean single-line UTF-8 text;
 *   - the password is handed out only when both password fields passed;
 *   - the accepted, normalised values sent again (multi-values split back
 *     into repeated fields, the 目的 label back into its number) are
 *     accepted again unchanged (idempotence);
 *   - sa_kv_encode and sa_kv_pack, read back by sa_kv_unpack, round-trip
 *     the decoded table. */
#include "fuzz_common.h"
#include "sa_form.h"
#include "sa_kv.h"
#include "sa_validate.h"

#ifndef SA_FUZZ_DATA_DIR
#define SA_FUZZ_DATA_DIR "data"
#endif

static apr_pool_t *ref_pool;
static sa_refdata *ref;

/* A small built-in set when data/ cannot be read. */
static void builtin_refdata(void)
{
    static const char *const pref[][2] = { { "01", "北海道" }, { "13", "東京都" }, { "47", "沖縄県" } };
    static const char *const jsic[][4] = {
        { "A", "農業、林業", "01", "農業" }, { "A", "農業、林業", "02", "林業" },
        { "G", "情報通信業", "39", "情報サービス業" }
    };
    unsigned i;
    ref = apr_pcalloc(ref_pool, sizeof(*ref));
    ref->prefectures = apr_array_make(ref_pool, 3, sizeof(sa_refitem));
    ref->jsic_major = apr_array_make(ref_pool, 2, sizeof(sa_refitem));
    ref->jsic_middle = apr_array_make(ref_pool, 3, sizeof(sa_refitem));
    for (i = 0; i < 3; i++) {
        sa_refitem *it = apr_array_push(ref->prefectures);
        it->code = pref[i][0]; it->name = pref[i][1]; it->parent = NULL;
    }
    for (i = 0; i < 3; i++) {
        sa_refitem *it;
        if (!sa_refdata_find(ref->jsic_major, jsic[i][0])) {
            it = apr_array_push(ref->jsic_major);
            it->code = jsic[i][0]; it->name = jsic[i][1]; it->parent = NULL;
        }
        it = apr_array_push(ref->jsic_middle);
        it->code = jsic[i][2]; it->name = jsic[i][3]; it->parent = jsic[i][0];
    }
}

static void init_once(void)
{
    const char *msg;
    if (ref)
        return;
    /* not fz_pool: it is cleared for every input */
    fz_exact = 0;
    apr_pool_create(&ref_pool, NULL);
    if ((msg = sa_refdata_load(ref_pool, SA_FUZZ_DATA_DIR, &ref)) != NULL) {
        fprintf(stderr, "fuzz_form: %s; using built-in reference data\n", msg);
        builtin_refdata();
    }
    fz_exact = 1;
}

/* Which fields have an error. */
static int has_error(const apr_array_header_t *errs, const char *field)
{
    int i;
    for (i = 0; i < errs->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(errs, i, sa_error).field, field) == 0)
            return 1;
    return 0;
}

static void check_result(const char *what, const apr_table_t *out, const apr_array_header_t *errs,
                         int nerr, int before)
{
    const apr_array_header_t *a = apr_table_elts(out);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    int i;

    FZ_ASSERT(nerr == errs->nelts - before, "%s: returned %d, appended %d", what, nerr,
              errs->nelts - before);
    for (i = before; i < errs->nelts; i++) {
        const sa_error *er = &APR_ARRAY_IDX(errs, i, sa_error);
        FZ_ASSERT(er->field && er->message && *er->message && fz_utf8_ok(er->message),
                  "%s: error without field or message", what);
    }
    for (i = 0; i < a->nelts; i++) {
        FZ_ASSERT(e[i].val && sa_check_text(e[i].val, 0) == NULL,
                  "%s: accepted %s = %s is not clean text", what, e[i].key, fz_q(e[i].val));
        FZ_ASSERT(!has_error(errs, e[i].key) || strcmp(e[i].key, "kind") == 0,
                  "%s: %s both accepted and refused", what, e[i].key);
    }
}

/* The accepted values as the browser would send them again. */
static apr_table_t *resend(const apr_table_t *in, const apr_table_t *out,
                           const apr_array_header_t *purposes)
{
    apr_table_t *t = apr_table_make(fz_pool, 24);
    const apr_array_header_t *a = apr_table_elts(out);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    const char *pw;
    int i, k;

    for (i = 0; i < a->nelts; i++) {
        if (!strcmp(e[i].key, "publish") || !strcmp(e[i].key, "survey")) {
            char *v = apr_pstrdup(fz_pool, e[i].val), *last, *c;
            for (c = apr_strtok(v, ",", &last); c; c = apr_strtok(NULL, ",", &last))
                apr_table_add(t, e[i].key, c);
        } else if (!strcmp(e[i].key, "purpose")) {
            for (k = 0; k < purposes->nelts; k++)
                if (!strcmp(APR_ARRAY_IDX(purposes, k, const char *), e[i].val))
                    apr_table_set(t, "purpose", apr_itoa(fz_pool, k + 1));
        } else {
            apr_table_add(t, e[i].key, e[i].val);
        }
    }
    if ((pw = apr_table_get(in, "password")) != NULL)
        apr_table_set(t, "password", pw);
    if ((pw = apr_table_get(in, "password2")) != NULL)
        apr_table_set(t, "password2", pw);
    return t;
}

/* Every field accepted the first time is accepted again with the same value. */
static void check_again(const char *what, const apr_table_t *out, const apr_array_header_t *errs,
                        const apr_table_t *out2, const apr_array_header_t *errs2)
{
    const apr_array_header_t *a = apr_table_elts(out);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    int i;

    for (i = 0; i < a->nelts; i++) {
        const char *v2 = apr_table_get(out2, e[i].key);
        if (has_error(errs, e[i].key))
            continue;
        FZ_ASSERT(!has_error(errs2, e[i].key) && v2 && strcmp(v2, e[i].val) == 0,
                  "%s: %s = %s accepted, then sent again %s", what, e[i].key, fz_q(e[i].val),
                  v2 ? fz_q(v2) : "refused");
    }
}

static int one_input(const uint8_t *data, size_t size)
{
    char *body;
    apr_table_t *in, *out, *in2, *out2, *rt;
    apr_array_header_t *errs, *errs2, *purposes;
    sa_form_options opt;
    const char *pw = NULL, *pw2 = NULL, *enc, *decl, *num = NULL, *labels;
    int n, n2, before;

    init_once();
    body = fz_begin(data, size);
    in = sa_kv_decode(fz_pool, body);
    errs = apr_array_make(fz_pool, 8, sizeof(sa_error));
    errs2 = apr_array_make(fz_pool, 8, sizeof(sa_error));
    purposes = sa_default_purposes(fz_pool);
    opt.purposes = purposes;

    /* the table survives a trip through the session encodings: the
     * urlencoded one (read for drafts stored before) and the packed one */
    for (int form = 0; form < 2; form++) {
        enc = form ? sa_kv_pack(fz_pool, in) : sa_kv_encode(fz_pool, in);
        rt = sa_kv_unpack(fz_pool, enc);
        const apr_array_header_t *a = apr_table_elts(in), *b = apr_table_elts(rt);
        const apr_table_entry_t *x = (const apr_table_entry_t *)a->elts;
        const apr_table_entry_t *y = (const apr_table_entry_t *)b->elts;
        int i;
        /* keys and values cut at a %00 stay cut: compare as C strings */
        FZ_ASSERT(a->nelts == b->nelts, "kv round trip: %d entries, then %d (%s)", a->nelts,
                  b->nelts, fz_q(enc));
        for (i = 0; i < a->nelts; i++)
            FZ_ASSERT(!strcmp(x[i].key, y[i].key) && !strcmp(x[i].val, y[i].val),
                      "kv round trip: %s=%s became %s=%s", fz_q(x[i].key), fz_q(x[i].val),
                      fz_q(y[i].key), fz_q(y[i].val));
    }

    /* 事業者情報入力 */
    out = apr_table_make(fz_pool, 24);
    n = sa_company_validate(fz_pool, ref, in, out, &pw, errs);
    check_result("company", out, errs, n, 0);
    FZ_ASSERT(pw == NULL || (!has_error(errs, "password") && !has_error(errs, "password2")
                             && !strcmp(pw, apr_table_get(in, "password"))),
              "company: password handed out with an error");
    FZ_ASSERT(!apr_table_get(out, "password") && !apr_table_get(out, "password2"),
              "company: password in out");
    (void)sa_password_may_stay(in, errs);
    in2 = resend(in, out, purposes);
    out2 = apr_table_make(fz_pool, 24);
    before = errs2->nelts;
    n2 = sa_company_validate(fz_pool, ref, in2, out2, &pw2, errs2);
    check_result("company again", out2, errs2, n2, before);
    check_again("company", out, errs, out2, errs2);

    /* 登録情報の変更, both kinds */
    {
        static const char *const kinds[] = { "corp", "sole" };
        int k;
        for (k = 0; k < 2; k++) {
            apr_array_header_t *e1 = apr_array_make(fz_pool, 8, sizeof(sa_error));
            apr_array_header_t *e2 = apr_array_make(fz_pool, 8, sizeof(sa_error));
            out = apr_table_make(fz_pool, 24);
            n = sa_business_validate(fz_pool, ref, kinds[k], in, out, e1);
            check_result(kinds[k], out, e1, n, 0);
            in2 = resend(in, out, purposes);
            out2 = apr_table_make(fz_pool, 24);
            n2 = sa_business_validate(fz_pool, ref, kinds[k], in2, out2, e2);
            check_result(kinds[k], out2, e2, n2, 0);
            check_again(kinds[k], out, e1, out2, e2);
        }
    }

    /* 自己宣言入力 (default purposes and the configured ones) */
    errs = apr_array_make(fz_pool, 8, sizeof(sa_error));
    errs2 = apr_array_make(fz_pool, 8, sizeof(sa_error));
    out = apr_table_make(fz_pool, 24);
    n = sa_declaration_validate(fz_pool, (size & 1) ? &opt : NULL, in, out, errs);
    check_result("declaration", out, errs, n, 0);
    in2 = resend(in, out, purposes);
    out2 = apr_table_make(fz_pool, 24);
    n2 = sa_declaration_validate(fz_pool, &opt, in2, out2, errs2);
    check_result("declaration again", out2, errs2, n2, 0);
    check_again("declaration", out, errs, out2, errs2);
    labels = sa_choice_labels(fz_pool, sa_publish_methods, apr_table_get(out, "publish"));
    FZ_ASSERT(!labels || fz_utf8_ok(labels), "labels");
    (void)sa_choice_labels(fz_pool, sa_survey_answers, apr_table_get(in, "survey"));
    (void)sa_level_name(apr_table_get(in, "level"));

    /* ステップアップ */
    errs = apr_array_make(fz_pool, 8, sizeof(sa_error));
    errs2 = apr_array_make(fz_pool, 8, sizeof(sa_error));
    out = apr_table_make(fz_pool, 8);
    n = sa_stepup_validate(fz_pool, in, out, errs);
    check_result("stepup", out, errs, n, 0);
    in2 = resend(in, out, purposes);
    out2 = apr_table_make(fz_pool, 8);
    n2 = sa_stepup_validate(fz_pool, in2, out2, errs2);
    check_result("stepup again", out2, errs2, n2, 0);
    check_again("stepup", out, errs, out2, errs2);

    /* 担当者の変更: the stored ID is "x_decl" of the body, else a fixed one */
    decl = apr_table_get(in, "x_decl");
    if (!decl)
        decl = "0123456789";
    errs = apr_array_make(fz_pool, 8, sizeof(sa_error));
    out = apr_table_make(fz_pool, 8);
    n = sa_contact_validate(fz_pool, decl, in, out, errs);
    check_result("contact", out, errs, n, 0);
    errs = apr_array_make(fz_pool, 8, sizeof(sa_error));
    out = apr_table_make(fz_pool, 8);
    n = sa_contact_validate(fz_pool, NULL, in, out, errs);
    check_result("contact (no ID)", out, errs, n, 0);

    /* 利用者番号 */
    if (sa_user_number(fz_pool, apr_table_get(in, "user"), &num) == NULL) {
        const char *again = NULL;
        FZ_ASSERT(num && strlen(num) == 10 && strspn(num, "0123456789") == 10, "user %s",
                  fz_q(num));
        FZ_ASSERT(sa_user_number(fz_pool, num, &again) == NULL && !strcmp(again, num),
                  "user number not idempotent: %s", fz_q(num));
    }
    (void)sa_codes_contain(apr_table_get(in, "publish"), "web");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    fz_end();
    return 0;
}
