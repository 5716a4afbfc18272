/* The applicant's wizard: TOP, 使用規約確認, 事業者情報入力, 自己宣言入力,
 * 入力内容確認, 受付確認, the mail link, 宣言完了.  Glue: the rules are in
 * sa_form.c / sa_validate.c, the states in sa_state.c.
 *
 * The draft lives in the mod_session session (shared by every httpd node
 * through the database), one key per step:
 *   terms     "1" once the terms were agreed
 *   sub       the submission key of this run (makes the confirm POST idempotent)
 *   via       the partner site the applicant came from
 *   company   accepted 事業者情報 (urlencoded), pw the bcrypt hash
 *   decl      accepted 自己宣言 values (urlencoded)
 *   flash.company, flash.decl
 *             the values and errors of a refused POST of that step (or the
 *             values typed before 戻る), shown until the step is accepted
 *   accepted  what the 受付確認 page shows after submission
 *   complete  the IDs the 宣言完了 page shows
 * Every POST answers 303 to a GET, so Back and reload are harmless. */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "http_core.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "sa_route.h"
#include "sa_req.h"
#include "sa_formpage.h"
#include "sa_wizard.h"
#include "sa_page.h"
#include "sa_storage.h"
#include "sa_outbox.h"
#include "sa_decl_store.h"
#include "sa_text.h"
#include "sa_policy.h"
#include "sa_form.h"
#include "sa_kv.h"
#include "sa_token.h"
#include "sa_validate.h"
#include "sa_postal.h"
#include "sa_corpdata.h"

APLOG_USE_MODULE(secaction);

const char *const sa_company_texts[] = {
    "corp_no", "corp_name", "corp_kana", "rep_name", "rep_kana", "trade_name", "url",
    "postal", "city", "street", "building", "phone", "member_name", NULL
};
const char *const sa_decl_texts[] = {
    "score", "contact_name", "email", "email2", NULL
};

/* --- the draft ------------------------------------------------------------ */

/* The first step of the draft not yet done (the rule is the core's). */
static sa_step first_open_step(sa_req *q)
{
    return sa_wizard_first_open(sa_scope_get(q, "terms") != NULL,
                                sa_scope_get(q, "company") != NULL,
                                sa_scope_get(q, "pw") != NULL,
                                sa_scope_get(q, "decl") != NULL);
}

/* Whether every step before step is done, so its page may be shown. */
static int reached(sa_req *q, sa_step step)
{
    return first_open_step(q) >= step;
}

/* That first step not yet done, as a path under the mount. */
static const char *first_unfinished(sa_req *q)
{
    static const char *const paths[] = {
        [SA_STEP_TERMS] = "/entry/", [SA_STEP_COMPANY] = "/entry/company",
        [SA_STEP_DECL] = "/entry/declaration", [SA_STEP_CONFIRM] = "/entry/confirm",
    };
    return paths[first_open_step(q)];
}

static int draft_db_down(sa_req *q)
{
    return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "draft_db_down");
}

static const char *choice_label(const sa_choice *ch, const char *code)
{
    for (; ch->code; ch++) {
        if (code && !strcmp(ch->code, code)) {
            return ch->label;
        }
    }
    return NULL;
}

/* Whether this step was opened by a 変更 link of 入力内容確認 (?return=confirm,
 * carried by its form as return=confirm) and that page can be shown: the
 * step then leads back there. */
static int returning(sa_req *q)
{
    const char *v = q->form ? apr_table_get(q->form, "return") : sa_query_arg(q->r, "return");
    return v && !strcmp(v, "confirm") && reached(q, SA_STEP_CONFIRM);
}

/* The step's own path, with ?return=confirm while returning. */
static const char *step_path(sa_req *q, const char *path)
{
    return returning(q) ? apr_pstrcat(q->p, path, "?return=confirm", NULL) : path;
}

/* A wizard form page: the flash or accepted values, errors, progress bar. */
static sa_tdata *step_page(sa_req *q, const char *step, const char *title, sa_step stepno,
                           const char *const *texts, const apr_table_t **vals)
{
    sa_tdata *d = sa_form_page(q, step, title, sa_scope_table(q, step), texts, vals);
    sa_page_progress(q->r, d, stepno);
    /* the header's font switch submits this form (nothing typed is lost) */
    sa_tdata_text(d, "font_form", "wizard-form");
    sa_tdata_flag(d, "return_confirm", returning(q));
    return d;
}

/* --- 使用規約確認 ----------------------------------------------------------- */

static int via_allowed(const sa_server_conf *c, const char *via)
{
    int i;
    for (i = 0; via && i < c->via_allow->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(c->via_allow, i, const char *), via)) {
            return 1;
        }
    }
    return 0;
}

static int terms_get(sa_req *q)
{
    const char *via = sa_query_arg(q->r, "via");
    sa_tdata *d;
    /* a partner's ?via= rides along in the form: a GET stores nothing */
    if (!via_allowed(q->c, via)) {
        via = NULL;
    }
    d = sa_page(q, "使用規約確認");
    sa_page_progress(q->r, d, SA_STEP_TERMS);
    sa_tdata_flag(d, "agreed", sa_scope_get(q, "terms") != NULL);
    sa_tdata_text(d, "via", via);
    return sa_page_send(q->r, SA_PAGE_TERMS, d, HTTP_OK);
}

static int terms_post(sa_req *q)
{
    const char *agree = apr_table_get(q->form, "agree");
    const char *via = apr_table_get(q->form, "via");
    if (!agree || strcmp(agree, "1")) {
        return sa_see_other(q, "/entry/");
    }
    if (via_allowed(q->c, via)) {
        sa_scope_set(q, "via", via);
    }
    /* the draft (and its own CSRF token) starts here */
    sa_scope_set(q, "terms", "1");
    sa_csrf_token(q->r);
    if (!sa_scope_get(q, "sub")) {
        sa_scope_set(q, "sub", sa_token_new(q->p));
    }
    return sa_see_other(q, "/entry/company");
}

/* --- 法人番号 → 事業者名 and 所在地 (the NTA's data, when imported) ------- */

static const char *catalog(sa_req *q, const char *id)
{
    return sa_catalog_text(q->c->texts, id, "text");
}

/* The 法人番号 lookup's result on 事業者情報入力 (after its button without
 * JavaScript): what the data says, what was filled in, and where the typed
 * value differs (kept as typed, with a button to take the data's). */
static void put_houjin_result(sa_req *q, sa_tdata *d, const apr_table_t *vals)
{
    const char *no = vals ? apr_table_get(vals, "?houjin") : NULL;
    apr_array_header_t *filled, *differs;
    apr_table_t *now;
    sa_houjin *h = NULL;
    int i;

    sa_tdata_flag(d, "houjin_lookup", sa_corpdata_loaded(q));
    if (!no || sa_corpdata_find(q, no, &h) != APR_SUCCESS || !h) {
        return;
    }
    sa_tdata_flag(d, "houjin_found", 1);
    sa_tdata_text(d, "houjin_no", no);
    sa_tdata_text(d, "houjin_name", h->name);
    sa_tdata_text(d, "houjin_address", apr_pstrcat(q->p, h->postal ? "〒" : "",
                                                   h->postal ? h->postal : "", h->postal ? " " : "",
                                                   h->pref_name ? h->pref_name : "",
                                                   h->city ? h->city : "", NULL));
    sa_tdata_text(d, "houjin_closed", h->closed);
    sa_tdata_text(d, "houjin_filled", apr_table_get(vals, "?houjin.filled"));
    sa_tdata_flag(d, "houjin_pw", apr_table_get(vals, "?houjin.pw") != NULL);
    /* what still differs from the data, as the page shows it now */
    now = apr_table_copy(q->p, vals);
    filled = apr_array_make(q->p, 5, sizeof(sa_houjin_offer));
    differs = apr_array_make(q->p, 5, sizeof(sa_houjin_offer));
    sa_houjin_offer_to(q->p, h, now, filled, differs);
    sa_tdata_list(d, "houjin_diffs");
    for (i = 0; i < differs->nelts; i++) {
        const sa_houjin_offer *o = &APR_ARRAY_IDX(differs, i, sa_houjin_offer);
        sa_tdata *it = sa_tdata_item(d, "houjin_diffs");
        sa_tdata_text(it, "label", o->label);
        sa_tdata_text(it, "shown", o->shown);
        sa_tdata_text(it, "href", apr_pstrcat(q->p, "#f-", o->field, NULL));
    }
    sa_tdata_flag(d, "houjin_differs", differs->nelts > 0);
}

/* 「法人番号から入力」 without JavaScript (and 「公表データに置き換える」,
 * replace): the form comes back with the fields left empty filled from the
 * data (or, with replace, every offered field), everything else as typed,
 * and the result beside the 法人番号. */
static int houjin_lookup_post(sa_req *q, int replace)
{
    apr_array_header_t *errs = apr_array_make(q->p, 1, sizeof(sa_error));
    apr_array_header_t *filled = apr_array_make(q->p, 5, sizeof(sa_houjin_offer));
    apr_array_header_t *differs = apr_array_make(q->p, 5, sizeof(sa_houjin_offer));
    const char *no, *msg, *pw = apr_table_get(q->form, "password");
    sa_houjin *h = NULL;

    msg = sa_corporate_number(q->p, apr_table_get(q->form, "corp_no"), &no);
    if (!msg && (!sa_corpdata_loaded(q) || sa_corpdata_find(q, no, &h) != APR_SUCCESS)) {
        msg = catalog(q, "houjin_unavailable");
    }
    else if (!msg && !h) {
        msg = catalog(q, "houjin_unknown");
    }
    if (msg) {
        sa_form_error(errs, "corp_no", msg);
        return sa_form_refuse(q, "company", errs, step_path(q, "/entry/company"));
    }
    apr_table_set(q->form, "corp_no", no);
    if (replace) {
        static const char *const offered[] = { "corp_name", "corp_kana", "postal", "pref", "city" };
        apr_size_t i;
        for (i = 0; i < sizeof(offered) / sizeof(offered[0]); i++) {
            apr_table_unset(q->form, offered[i]);
        }
    }
    sa_houjin_offer_to(q->p, h, q->form, filled, differs);
    apr_table_set(q->form, "?houjin", no);
    apr_table_set(q->form, "?houjin.filled", sa_houjin_labels(q->p, filled));
    if (pw && *pw) {
        apr_table_set(q->form, "?houjin.pw", "1");
    }
    return sa_form_refuse(q, "company", errs,
                          apr_pstrcat(q->p, step_path(q, "/entry/company"), "#houjin-result", NULL));
}

/* A 法人番号 that the imported data does not know is refused beside the
 * field (without an import, or with the database unable to say, only its
 * check digit counts, as before). */
static void houjin_check(sa_req *q, const apr_table_t *out, apr_array_header_t *errs)
{
    const char *kind = apr_table_get(out, "kind"), *no = apr_table_get(out, "corp_no");
    sa_houjin *h = NULL;
    int i;
    if (!kind || strcmp(kind, "corp") || !no || !*no) {
        return;
    }
    for (i = 0; i < errs->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(errs, i, sa_error).field, "corp_no")) {
            return;
        }
    }
    if (sa_corpdata_loaded(q) && sa_corpdata_find(q, no, &h) == APR_SUCCESS && !h) {
        sa_form_error(errs, "corp_no", catalog(q, "houjin_unknown"));
    }
}

/* GET /entry/houjin?no=7000012050002: the lookup for the page's script, as
 * JSON {"name":…,"kana":…,"postal":"113-0021","pref":"13","pref_name":…,
 * "city":…}; 404 {} when the number is not in the data (or malformed, or
 * nothing was imported).  Reads only. */
static int houjin_get(sa_req *q)
{
    request_rec *r = q->r;
    const char *no = NULL;
    sa_houjin *h = NULL;
    apr_status_t rv = APR_SUCCESS;

    if (!sa_corporate_number(r->pool, sa_query_arg(r, "no"), &no) && sa_corpdata_loaded(q)) {
        rv = sa_corpdata_find(q, no, &h);
    }
    ap_set_content_type(r, "application/json; charset=UTF-8");
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=3600");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    r->status = h ? HTTP_OK : rv != APR_SUCCESS ? HTTP_SERVICE_UNAVAILABLE : HTTP_NOT_FOUND;
    if (!h) {
        ap_rputs("{}\n", r);
        return OK;
    }
#define J(v) sa_json_escape(r->pool, v)
    ap_rprintf(r, "{\"corp_no\":\"%s\",\"name\":\"%s\",\"kana\":\"%s\",\"postal\":\"%s\","
               "\"pref\":\"%s\",\"pref_name\":\"%s\",\"city\":\"%s\",\"closed\":\"%s\"}\n",
               J(no), J(h->name), J(h->kana), J(h->postal), J(h->pref), J(h->pref_name),
               J(h->city), J(h->closed));
#undef J
    return OK;
}

/* --- 事業者情報入力 ------------------------------------------------------- */

static int company_get(sa_req *q)
{
    const sa_server_conf *c = q->c;
    const apr_table_t *vals;
    sa_tdata *d;

    if (!reached(q, SA_STEP_COMPANY)) {
        return sa_see_other(q, first_unfinished(q));
    }
    d = step_page(q, "company", "事業者情報入力", SA_STEP_COMPANY, sa_company_texts, &vals);
    sa_form_flag(q, d, vals, "kind", "corp");
    sa_form_flag(q, d, vals, "kind", "sole");
    sa_form_flag(q, d, vals, "member", "yes");
    sa_form_flag(q, d, vals, "member", "no");
    sa_form_flag(q, d, vals, "ipa_info", "yes");
    sa_form_flag(q, d, vals, "ipa_info", "no");
    sa_form_refitems(d, "prefs", c->ref->prefectures, vals ? apr_table_get(vals, "pref") : NULL);
    sa_form_refitems(d, "majors", c->ref->jsic_major,
                     vals ? apr_table_get(vals, "jsic_major") : NULL);
    sa_form_middle_groups(d, "middle_groups", c->ref,
                          vals ? apr_table_get(vals, "jsic_middle") : NULL);
    sa_tdata_flag(d, "pw_set", sa_scope_get(q, "pw") != NULL);
    sa_tdata_flag(d, "postal_lookup", c->postal != NULL);
    put_houjin_result(q, d, vals);
    sa_tdata_text(d, "pw_min", apr_itoa(q->p, SA_PASSWORD_MIN));
    sa_tdata_text(d, "pw_max", apr_itoa(q->p, SA_PASSWORD_MAX));
    sa_tdata_text(d, "pw_symbols", SA_PASSWORD_SYMBOLS);
    return sa_page_send(q->r, SA_PAGE_COMPANY, d, HTTP_OK);
}

/* "113-0021" (as sa_postal_code normalises it) -> "1130021" */
static const char *postal_digits(apr_pool_t *p, const char *code)
{
    return apr_pstrcat(p, apr_pstrndup(p, code, 3), code + 4, NULL);
}

/* 住所検索 without JavaScript: the form comes back to return_path, at its
 * address fields (#address), with the prefecture and city filled in from
 * the postal code and a note saying what was filled (or a message beside
 * the code saying why not), everything else as typed.  A city typed that
 * differs is kept, and the note says so.  Passwords are never kept: the
 * note says that too.  Shared by the wizard and 登録情報の変更. */
int sa_postal_lookup_post(sa_req *q, const char *form_name, const char *return_path)
{
    const sa_server_conf *c = q->c;
    apr_pool_t *p = q->p;
    apr_array_header_t *errs = apr_array_make(p, 1, sizeof(sa_error));
    const char *typed = sa_trim(p, apr_table_get(q->form, "postal") ? apr_table_get(q->form, "postal") : "");
    const char *had = sa_trim(p, apr_table_get(q->form, "city") ? apr_table_get(q->form, "city") : "");
    const char *pw = apr_table_get(q->form, "password");
    const char *code, *pref, *city, *msg, *note = NULL;
    const sa_refitem *pi;

    msg = !*typed ? "郵便番号を入力してから「住所検索」ボタンを押してください。"
                  : sa_postal_code(p, typed, &code);
    if (!msg) {
        if (sa_postal_address(p, c->postal, c->ref, postal_digits(p, code), &pref, &city)) {
            pi = sa_refdata_find(c->ref->prefectures, pref);
            apr_table_set(q->form, "pref", pref);
            apr_table_set(q->form, "postal", code);
            if (*had && strncmp(had, city, strlen(city))) {
                note = apr_psprintf(p, "郵便番号 %s の住所は「%s%s」です。都道府県に「%s」を入力しました。"
                                    "市区町村・町名は、入力済みの「%s」のままにしています。"
                                    "置き換える場合は書き直してください。",
                                    code, pi ? pi->name : "", city, pi ? pi->name : "", had);
            }
            else {
                apr_table_set(q->form, "city", *had ? had : city);
                note = apr_psprintf(p, "郵便番号 %s から、都道府県に「%s」、市区町村・町名に「%s」を"
                                    "入力しました。続けて番地を入力してください。",
                                    code, pi ? pi->name : "", *had ? had : city);
            }
        }
        else {
            msg = "この郵便番号に当てはまる住所が見つかりませんでした。都道府県と市区町村・町名を"
                  "入力してください。";
        }
    }
    if (msg) {
        sa_form_error(errs, "postal", msg);
    }
    if (pw && *pw) {
        note = apr_pstrcat(p, note ? note : "",
                           "パスワードは安全のため保存していませんので、もう一度入力してください。", NULL);
    }
    if (note) {
        apr_table_set(q->form, "?postal", note);
    }
    return sa_form_refuse(q, form_name, errs, apr_pstrcat(p, return_path, "#address", NULL));
}

/* GET /entry/postal?code=1130021: 住所検索 for the page's script, as JSON
 * {"pref":"13","city":"文京区本駒込"}; 404 {} when there is no answer. */
static int postal_get(sa_req *q)
{
    request_rec *r = q->r;
    const sa_server_conf *c = q->c;
    const char *code = sa_query_arg(r, "code"), *norm, *pref, *city;
    int found = 0;

    if (code && !sa_postal_code(r->pool, code, &norm)) {
        found = sa_postal_address(r->pool, c->postal, c->ref, postal_digits(r->pool, norm),
                                  &pref, &city);
    }
    ap_set_content_type(r, "application/json; charset=UTF-8");
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=86400");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    r->status = found ? HTTP_OK : HTTP_NOT_FOUND;
    if (found) {
        ap_rprintf(r, "{\"pref\":\"%s\",\"city\":\"%s\"}\n", sa_json_escape(r->pool, pref),
                   sa_json_escape(r->pool, city));
    }
    else {
        ap_rputs("{}\n", r);
    }
    return OK;
}

static int company_post(sa_req *q)
{
    const sa_server_conf *c = q->c;
    apr_table_t *out = apr_table_make(q->p, 32);
    apr_array_header_t *errs = apr_array_make(q->p, 8, sizeof(sa_error));
    const char *password = NULL, *hash, *keep;
    int rv;

    if (!reached(q, SA_STEP_COMPANY)) {
        return sa_see_other(q, first_unfinished(q));
    }
    if (apr_table_get(q->form, "back")) {
        if (returning(q)) {
            /* 変更をやめる: the accepted values stay */
            sa_flash_clear(q, "company");
            return sa_see_other(q, "/entry/confirm");
        }
        sa_flash(q, "company", NULL, NULL);
        return sa_see_other(q, "/entry/");
    }
    if ((rv = sa_form_font_switch(q, "company", step_path(q, "/entry/company"))) != DECLINED) {
        return rv;
    }
    if (apr_table_get(q->form, "lookup")) {
        return sa_postal_lookup_post(q, "company", step_path(q, "/entry/company"));
    }
    if (apr_table_get(q->form, "houjin") || apr_table_get(q->form, "houjin_apply")) {
        return houjin_lookup_post(q, apr_table_get(q->form, "houjin_apply") != NULL);
    }
    /* a password set earlier in this run is kept when both fields are left empty */
    keep = sa_scope_get(q, "pw");
    sa_company_validate(q->p, c->ref, q->form, out, &password, errs);
    houjin_check(q, out, errs);
    if (errs->nelts > 0 && !(keep && sa_password_may_stay(q->form, errs))) {
        return sa_form_refuse(q, "company", errs, step_path(q, "/entry/company"));
    }
    if (password) {
        hash = sa_password_hash(q->p, password, c->password_cost);
        if (!hash) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(032)
                          "mod_secaction: password hashing failed");
            sa_flash(q, "company", NULL, NULL);
            return draft_db_down(q);
        }
        sa_scope_set(q, "pw", hash);
    }
    sa_scope_set_table(q, "company", out);
    sa_flash_clear(q, "company");
    return sa_see_other(q, returning(q) ? "/entry/confirm" : "/entry/declaration");
}

/* --- 自己宣言入力 --------------------------------------------------------- */

static int declaration_get(sa_req *q)
{
    const sa_server_conf *c = q->c;
    const apr_table_t *vals;
    const char *purpose;
    sa_tdata *d;
    int i;

    if (!reached(q, SA_STEP_DECL)) {
        return sa_see_other(q, first_unfinished(q));
    }
    d = step_page(q, "decl", "自己宣言入力", SA_STEP_DECL, sa_decl_texts, &vals);
    sa_form_flag(q, d, vals, "level", "1");
    sa_form_flag(q, d, vals, "level", "2");
    sa_form_flag(q, d, vals, "pledge", "1");
    sa_form_flag(q, d, vals, "privacy", "1");
    sa_tdata_text(d, "level1_label", choice_label(sa_levels, "1"));
    sa_tdata_text(d, "level2_label", choice_label(sa_levels, "2"));
    sa_form_choices(d, "publish", sa_publish_methods, vals, "publish");
    sa_form_choices(d, "survey", sa_survey_answers, vals, "survey");
    /* the flash holds the option's number, the stored draft its label */
    purpose = vals ? apr_table_get(vals, "purpose") : NULL;
    sa_tdata_list(d, "purposes");
    for (i = 0; i < c->purposes->nelts; i++) {
        const char *label = APR_ARRAY_IDX(c->purposes, i, const char *);
        const char *code = apr_itoa(q->p, i + 1);
        sa_tdata *o = sa_tdata_item(d, "purposes");
        sa_tdata_text(o, "code", code);
        sa_tdata_text(o, "label", label);
        sa_tdata_flag(o, "selected", purpose && (!strcmp(purpose, code) || !strcmp(purpose, label)));
    }
    return sa_page_send(q->r, SA_PAGE_DECLARATION, d, HTTP_OK);
}

static int declaration_post(sa_req *q)
{
    apr_table_t *out = apr_table_make(q->p, 16);
    apr_array_header_t *errs = apr_array_make(q->p, 8, sizeof(sa_error));
    int rv;

    if (!reached(q, SA_STEP_DECL)) {
        return sa_see_other(q, first_unfinished(q));
    }
    if (apr_table_get(q->form, "back")) {
        if (returning(q)) {
            sa_flash_clear(q, "decl");
            return sa_see_other(q, "/entry/confirm");
        }
        sa_flash(q, "decl", NULL, NULL);
        return sa_see_other(q, "/entry/company");
    }
    if ((rv = sa_form_font_switch(q, "decl", step_path(q, "/entry/declaration"))) != DECLINED) {
        return rv;
    }
    if (sa_declaration_validate(q->p, &q->c->form_opts, q->form, out, errs) > 0) {
        return sa_form_refuse(q, "decl", errs, step_path(q, "/entry/declaration"));
    }
    sa_scope_set_table(q, "decl", out);
    sa_flash_clear(q, "decl");
    return sa_see_other(q, "/entry/confirm");
}

/* --- 入力内容確認 ---------------------------------------------------------- */

static const char *refname(const apr_array_header_t *items, const char *code)
{
    const sa_refitem *it = code && *code ? sa_refdata_find(items, code) : NULL;
    return it ? it->name : NULL;
}

/* The labels of a declaration's stored values, as the 入力内容確認 page and
 * the business's マイページ show them (same value names). */
void sa_put_declaration(sa_req *q, sa_tdata *d, const apr_table_t *co, const apr_table_t *de)
{
    const sa_server_conf *c = q->c;
    const char *kind = apr_table_get(co, "kind"), *level = apr_table_get(de, "level");
    const char *member = apr_table_get(co, "member"), *ipa = apr_table_get(co, "ipa_info");

    sa_form_texts(q, d, co, sa_company_texts);
    sa_form_texts(q, d, de, sa_decl_texts);
    sa_tdata_flag(d, "corp", kind && !strcmp(kind, "corp"));
    sa_tdata_flag(d, "sole", kind && !strcmp(kind, "sole"));
    sa_tdata_text(d, "kind_label", kind && !strcmp(kind, "corp") ? "法人" : "個人事業主");
    sa_tdata_text(d, "pref_name", refname(c->ref->prefectures, apr_table_get(co, "pref")));
    sa_tdata_text(d, "major_name", refname(c->ref->jsic_major, apr_table_get(co, "jsic_major")));
    sa_tdata_text(d, "middle_name",
                  refname(c->ref->jsic_middle, apr_table_get(co, "jsic_middle")));
    sa_tdata_flag(d, "member", member && !strcmp(member, "yes"));
    sa_tdata_text(d, "member_label", member && !strcmp(member, "yes") ? "所属している"
                                                                       : "所属していない");
    sa_tdata_text(d, "ipa_label", ipa && !strcmp(ipa, "yes") ? "希望する" : "希望しない");
    sa_tdata_flag(d, "level2", level && !strcmp(level, "2"));
    sa_tdata_text(d, "level_label", choice_label(sa_levels, level));
    sa_tdata_text(d, "level_name", sa_level_name(level));
    sa_tdata_text(d, "purpose", apr_table_get(de, "purpose"));
    sa_tdata_text(d, "publish_labels",
                  sa_choice_labels(q->p, sa_publish_methods, apr_table_get(de, "publish")));
    sa_tdata_text(d, "survey_labels",
                  sa_choice_labels(q->p, sa_survey_answers, apr_table_get(de, "survey")));
}

void sa_put_stored_declaration(sa_req *q, sa_tdata *t, const sa_decl *d)
{
    apr_table_t *co = apr_table_make(q->p, 24), *de = apr_table_make(q->p, 8);
#define TO(tab, f) if (d->f) apr_table_setn(tab, #f, d->f);
    TO(co, kind) TO(co, corp_no) TO(co, corp_name) TO(co, corp_kana) TO(co, rep_name)
    TO(co, rep_kana) TO(co, trade_name) TO(co, url) TO(co, postal) TO(co, pref) TO(co, city)
    TO(co, street) TO(co, building) TO(co, phone) TO(co, jsic_major) TO(co, jsic_middle)
    TO(co, member) TO(co, member_name) TO(co, ipa_info)
    TO(de, purpose) TO(de, score) TO(de, publish) TO(de, contact_name) TO(de, email)
    TO(de, survey)
#undef TO
    apr_table_setn(de, "level", d->level == 2 ? "2" : "1");
    sa_put_declaration(q, t, co, de);
}

static int confirm_get(sa_req *q)
{
    apr_table_t *co = sa_scope_table(q, "company"), *de = sa_scope_table(q, "decl");
    sa_tdata *d;

    if (!reached(q, SA_STEP_CONFIRM) || !co || !de) {
        return sa_see_other(q, first_unfinished(q));
    }
    d = sa_page(q, "入力内容確認");
    sa_page_progress(q->r, d, SA_STEP_CONFIRM);
    sa_put_declaration(q, d, co, de);
    {
        /* each section's 変更 opens its step, which then comes back here */
        static const char *const links[][2] = {
            { "change_company_url", "/entry/company?return=confirm" },
            { "change_decl_url", "/entry/declaration?return=confirm#f-level" },
            { "change_contact_url", "/entry/declaration?return=confirm#f-contact_name" },
            { "change_email_url", "/entry/declaration?return=confirm#f-email" },
            { "change_survey_url", "/entry/declaration?return=confirm#f-survey" },
        };
        apr_size_t i;
        for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
            sa_tdata_text(d, links[i][0], apr_pstrcat(q->p, q->c->mount, links[i][1], NULL));
        }
    }
    return sa_page_send(q->r, SA_PAGE_CONFIRM, d, HTTP_OK);
}

static const char *nullable(const apr_table_t *t, const char *k)
{
    const char *v = apr_table_get(t, k);
    return v && *v ? v : NULL;
}

/* The keyed hash of the client's address the per-client limit counts. */
static const char *client_key(sa_req *q, ap_dbd_t *dbd)
{
    return sa_keyed_hash(q->p, sa_site_secret(q->p, dbd), q->r->useragent_ip);
}

/* The 仮申込み of this run as a typed record (its link is set by
 * sa_received_link). */
static sa_decl *draft_record(sa_req *q, const char *sub, const apr_table_t *co,
                             const apr_table_t *de)
{
    sa_decl *d = apr_pcalloc(q->p, sizeof(*d));
    d->submission_key = sub;
    d->state = sa_state_name(SA_ST_PROVISIONAL);
    d->level = apr_atoi64(apr_table_get(de, "level"));
    d->via = sa_scope_get(q, "via");
#define FROM(t, f) d->f = nullable(t, #f);
    FROM(co, kind) FROM(co, corp_no) FROM(co, corp_name) FROM(co, corp_kana) FROM(co, rep_name)
    FROM(co, rep_kana) FROM(co, trade_name) FROM(co, url) FROM(co, postal) FROM(co, pref)
    FROM(co, city) FROM(co, street) FROM(co, building) FROM(co, phone) FROM(co, jsic_major)
    FROM(co, jsic_middle) FROM(co, member) FROM(co, member_name) FROM(co, ipa_info)
    FROM(de, purpose) FROM(de, score) FROM(de, publish) FROM(de, contact_name) FROM(de, email)
    FROM(de, survey)
#undef FROM
    d->email_key = sa_email_key(q->p, d->email);
    d->client_key = client_key(q, sa_db(q));
    d->password_hash = sa_scope_get(q, "pw");
    d->created_at = apr_time_sec(apr_time_now());
    return d;
}

apr_status_t sa_received_link(sa_req *q, sa_decl *after, sa_change_mail *m)
{
    const sa_server_conf *c = q->c;
    apr_pool_t *p = q->p;
    const char *token = sa_token_new(p), *base = sa_base_url(q);
    apr_int64_t expires = apr_time_sec(apr_time_now()) + c->token_lifetime;

    if (!token) {
        return APR_EGENERAL;
    }
    after->token_hash = sa_token_hash(p, token);
    after->token_expires = expires;
    m->which = SA_MAIL_RECEIVED;
    m->to = after->email;
    m->vals = apr_table_make(p, 8);
    apr_table_setn(m->vals, "contact_name", after->contact_name);
    apr_table_setn(m->vals, "name", sa_decl_name(p, after));
    apr_table_setn(m->vals, "level_name", sa_level_name(apr_itoa(p, (int)after->level)));
    apr_table_setn(m->vals, "verify_url", apr_pstrcat(p, base, "/entry/verify?t=", token, NULL));
    apr_table_setn(m->vals, "expires", sa_text_datetime(p, apr_time_from_sec(expires)));
    apr_table_setn(m->vals, "lifetime", sa_text_duration(p, c->token_lifetime));
    apr_table_setn(m->vals, "entry_url", apr_pstrcat(p, base, "/entry/", NULL));
    apr_table_setn(m->vals, "keep", sa_text_duration(p, c->provisional_keep));
    return APR_SUCCESS;
}

/* Stores the 仮申込み and its 受付確認 mail in one transaction (through the
 * store's transition function).  APR_SUCCESS, APR_EEXIST when this run was
 * submitted already, or an error.  *mail_key: the mail to deliver now. */
static apr_status_t store_submission(sa_req *q, ap_dbd_t *dbd, const char *sub,
                                     const apr_table_t *co, const apr_table_t *de,
                                     const char **mail_key)
{
    apr_pool_t *p = q->p;
    sa_change_mail mail;
    sa_change ch = { SA_EV_SUBMIT, SA_ACTOR_APPLICANT, "applicant", NULL, &mail, 1, 0 };
    sa_decl *d, *existing;
    apr_status_t rv;

    /* a second submit of the same run finds the first one */
    if ((rv = sa_decl_by_subkey(p, dbd, sub, &existing)) != APR_SUCCESS) {
        return rv;
    }
    if (existing) {
        return APR_EEXIST;
    }
    d = draft_record(q, sub, co, de);
    if (sa_received_link(q, d, &mail) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    rv = sa_store_apply(p, dbd, q->c, NULL, d, &ch);
    *mail_key = mail.key;
    return rv;
}

/* After a commit, hand the request's own mail to the sendmail program at
 * once, so it arrives while the applicant waits.  Bounded (one mail, a
 * short timeout) so a slow mail server never holds the page; the retry
 * worker takes over from there. */
#define REQUEST_MAIL_TIMEOUT apr_time_from_sec(10)
void sa_deliver_now(sa_req *q, const char *mail_key)
{
    apr_interval_time_t t = apr_time_from_sec(q->c->mail_timeout);
    ap_dbd_t *dbd = sa_db(q);
    if (dbd && mail_key) {
        sa_outbox_deliver_key(q->p, dbd, q->r->server, q->c, mail_key,
                              t < REQUEST_MAIL_TIMEOUT ? t : REQUEST_MAIL_TIMEOUT);
    }
}

/* Which limit a new 仮申込み would pass, as the catalog entry that says
 * so, or NULL: at most 3 unconfirmed to one mailbox an hour (its address
 * normalised, so a +tag or upper case is no way round it), and at most
 * SecActionClientLimit from one client address an hour.  A second submit
 * of this same run is not a new one. */
static const char *over_limit(sa_req *q, ap_dbd_t *dbd, const char *address, const char *sub)
{
    apr_int64_t hour_ago = apr_time_sec(apr_time_now()) - 3600;
    const char *ck = client_key(q, dbd);
    sa_decl *same;
    long n = 0;
    if (sa_decl_by_subkey(q->p, dbd, sub, &same) == APR_SUCCESS && same) {
        return NULL;
    }
    if (sa_decl_pending_for(q->p, dbd, sa_email_key(q->p, address), hour_ago, &n)
        == APR_SUCCESS && !sa_pending_allowed(n)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, SALOG(037)
                      "mod_secaction: submission refused: too many pending for one address");
        return "too_many_pending";
    }
    if (ck && sa_decl_client_count(q->p, dbd, ck, hour_ago, &n) == APR_SUCCESS
        && !sa_pending_allowed_n(n, q->c->client_limit)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, SALOG(041)
                      "mod_secaction: submission refused: SecActionClientLimit (%d an hour) "
                      "reached for one client address", q->c->client_limit);
        return "too_many_client";
    }
    return NULL;
}

static int confirm_post(sa_req *q)
{
    apr_table_t *co, *de, *acc;
    const char *sub, *key = NULL, *limit;
    ap_dbd_t *dbd;
    apr_status_t st;
    int rv;

    co = sa_scope_table(q, "company");
    de = sa_scope_table(q, "decl");
    sub = sa_scope_get(q, "sub");
    if (!co || !de || !sub || !sa_scope_get(q, "pw")) {
        /* the draft is gone because this run was submitted already */
        return sa_see_other(q, sa_scope_get(q, "accepted") ? "/entry/accepted"
                                                           : first_unfinished(q));
    }
    if (apr_table_get(q->form, "change")) {
        return sa_see_other(q, "/entry/company");
    }
    if (!apr_table_get(q->form, "submit")) {
        return sa_see_other(q, "/entry/confirm");
    }
    if (!(dbd = sa_db(q))) {
        return draft_db_down(q);
    }
    if ((limit = over_limit(q, dbd, apr_table_get(de, "email"), sub)) != NULL) {
        return sa_msg(q, HTTP_TOO_MANY_REQUESTS, limit);
    }
    st = store_submission(q, dbd, sub, co, de, &key);
    if (st != APR_SUCCESS && st != APR_EEXIST) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(034)
                      "mod_secaction: cannot store a declaration: %s", sa_db_error(dbd, st));
        return draft_db_down(q);
    }
    /* the draft leaves the session; the 受付確認 page keeps what it shows */
    acc = apr_table_make(q->p, 3);
    apr_table_setn(acc, "email", apr_table_get(de, "email"));
    apr_table_setn(acc, "level", apr_table_get(de, "level"));
    apr_table_setn(acc, "sub", sub);     /* for 「確認メールを再送する」 */
    sa_scope_set_table(q, "accepted", acc);
    sa_scope_set(q, "company", NULL);
    sa_scope_set(q, "decl", NULL);
    sa_scope_set(q, "pw", NULL);
    sa_scope_set(q, "terms", NULL);
    sa_scope_set(q, "sub", NULL);
    sa_scope_set(q, "via", NULL);
    sa_flash_clear(q, "company");
    sa_flash_clear(q, "decl");
    if (st == APR_SUCCESS) {
        sa_deliver_now(q, key);
    }
    rv = sa_see_other(q, "/entry/accepted");
    return rv;
}

static int verify_page(sa_req *q, int status, const char *id)
{
    sa_tdata *d = sa_msg_data(q, id);
    /* an already completed declaration is at 宣言完了 */
    sa_page_progress(q->r, d, strcmp(id, "verify_done") ? SA_STEP_VERIFY : SA_STEP_COMPLETE);
    return sa_page_send(q->r, SA_PAGE_VERIFY, d, status);
}

/* --- 「確認メールを再送する」 ------------------------------------------------ */

/* Whether the 仮申込み d may get a fresh link now (the rule is the core's:
 * a back-off after each mail, and the data kept SecActionProvisionalKeep
 * after its link expired).  *next_at: when it may. */
static sa_resend_verdict resend_rule(sa_req *q, const sa_decl *d, int mails, apr_int64_t last,
                                     apr_int64_t *next_at)
{
    sa_state st = sa_state_parse(d->state);
    return sa_resend_check((st == SA_ST_PROVISIONAL || st == SA_ST_EXPIRED) && d->email
                           && !sa_decl_erased(d),
                           d->token_expires, q->c->provisional_keep, mails,
                           last ? last : d->created_at, apr_time_sec(apr_time_now()), next_at);
}

static sa_resend_verdict resend_verdict(sa_req *q, ap_dbd_t *dbd, const sa_decl *d,
                                        apr_int64_t *next_at)
{
    apr_int64_t last = 0;
    int mails = 0;
    if (sa_decl_received_mails(q->p, dbd, d->id, &mails, &last) != APR_SUCCESS) {
        return SA_RESEND_WAIT;    /* unknown: ask later rather than risk a flood */
    }
    return resend_rule(q, d, mails, last, next_at);
}

/* "2026年12月1日 21時05分" and "あと2分" of a time a resend is allowed. */
static void put_next_resend(sa_req *q, sa_tdata *d, apr_int64_t next_at)
{
    apr_int64_t wait = next_at - apr_time_sec(apr_time_now());
    sa_tdata_text(d, "resend_next", sa_text_datetime(q->p, apr_time_from_sec(next_at)));
    sa_tdata_text(d, "resend_wait", sa_text_wait(q->p, (long)(wait > 0 ? wait : 0)));
}

/* What the 受付確認 page shows after a resend: the address masked (the
 * page may be opened from a forwarded mail), the level, the run's key. */
static void resend_done(sa_req *q, const sa_decl *d, const char *notice)
{
    apr_table_t *acc = apr_table_make(q->p, 5);
    apr_table_setn(acc, "email", sa_mask_email(q->p, d->email));
    apr_table_setn(acc, "level", apr_itoa(q->p, (int)d->level));
    apr_table_setn(acc, "sub", d->submission_key);
    apr_table_setn(acc, "notice", notice);
    sa_sess_set(q->r, "accepted", sa_kv_encode(q->p, acc));
}

/* The fresh link and its mail, through the store's transition function
 * (its version check makes two presses at once send one mail).  The old
 * link stops working: the token's hash is replaced. */
static int resend_run(sa_req *q, ap_dbd_t *dbd, const sa_decl *d)
{
    sa_change_mail mail;
    sa_change ch = { SA_EV_RESEND, SA_ACTOR_APPLICANT, "applicant",
                     "確認メールの再送（申込者の依頼）", &mail, 1, 0 };
    sa_decl *after;
    apr_int64_t next_at = 0;
    apr_status_t rv;

    switch (resend_verdict(q, dbd, d, &next_at)) {
    case SA_RESEND_DONE:
        return verify_page(q, HTTP_OK, "verify_done");
    case SA_RESEND_GONE:
        return verify_page(q, HTTP_GONE, "verify_expired");
    case SA_RESEND_WAIT:
        resend_done(q, d, "wait");
        return sa_see_other(q, "/entry/accepted");
    case SA_RESEND_OK:
        break;
    }
    after = sa_decl_copy(q->p, d);
    after->state = sa_state_name(SA_ST_PROVISIONAL);
    if (sa_received_link(q, after, &mail) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    rv = sa_store_apply(q->p, dbd, q->c, d, after, &ch);
    if (rv != APR_SUCCESS && rv != APR_EEXIST && rv != APR_EINVAL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(042)
                      "mod_secaction: cannot issue a fresh confirmation link: %s",
                      sa_db_error(dbd, rv));
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    if (rv == APR_SUCCESS) {
        sa_deliver_now(q, mail.key);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, SALOG(043)
                      "mod_secaction: a fresh confirmation link was queued at the applicant's request");
    }
    /* changed meanwhile (a second press, or the link used): nothing sent
     * twice; the page says what holds now */
    resend_done(q, d, rv == APR_SUCCESS ? "sent" : "wait");
    return sa_see_other(q, "/entry/accepted");
}

/* POST /entry/resend from the 受付確認 page ("mail not arriving"): the
 * 仮申込み of this browser's run. */
static int resend_post(sa_req *q)
{
    apr_table_t *acc = sa_scope_table(q, "accepted");
    const char *sub = acc ? apr_table_get(acc, "sub") : NULL;
    ap_dbd_t *dbd;
    sa_decl *d = NULL;

    if (!sub) {
        return sa_see_other(q, acc ? "/entry/accepted" : first_unfinished(q));
    }
    if (!(dbd = sa_db(q)) || sa_decl_by_subkey(q->p, dbd, sub, &d) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    if (!d) {
        return sa_see_other(q, "/entry/accepted");
    }
    return resend_run(q, dbd, d);
}

/* --- 受付確認 --------------------------------------------------------------- */

static int accepted_get(sa_req *q)
{
    const sa_server_conf *c = q->c;
    apr_table_t *acc = sa_scope_table(q, "accepted");
    apr_table_t *mv = apr_table_make(q->p, 1);
    const char *subject, *body, *sub, *notice;
    ap_dbd_t *dbd;
    sa_decl *rec = NULL;
    sa_tdata *d;
    apr_int64_t last = 0;
    int mails = 0;
    if (!acc) {
        return sa_see_other(q, first_unfinished(q));
    }
    /* the subject exactly as the mail template writes it */
    apr_table_setn(mv, "level_name", sa_level_name(apr_table_get(acc, "level")));
    sa_mail_tmpl_fill(q->p, c->mails[SA_MAIL_RECEIVED], mv, &subject, &body);
    d = sa_page(q, "受付確認");
    sa_page_progress(q->r, d, SA_STEP_ACCEPTED);
    sa_tdata_text(d, "email", apr_table_get(acc, "email"));
    sa_tdata_text(d, "subject", subject);
    sa_tdata_text(d, "lifetime", sa_text_duration(q->p, c->token_lifetime));
    sa_tdata_text(d, "keep", sa_text_duration(q->p, c->provisional_keep));
    sa_tdata_text(d, "mail_from", c->mail_from);
    /* 「確認メールを再送する」 while the 仮申込み waits for its link */
    /* (the notice of the last press stays in the session: a GET writes
     * nothing; a refusal is only repeated while the wait lasts) */
    sub = apr_table_get(acc, "sub");
    notice = apr_table_get(acc, "notice");
    sa_tdata_flag(d, "resent", notice && !strcmp(notice, "sent"));
    if (sub && (dbd = sa_db(q))
        && sa_decl_by_subkey_mails(q->p, dbd, sub, &rec, &mails, &last) == APR_SUCCESS && rec) {
        apr_int64_t next_at = 0;
        sa_resend_verdict v = resend_rule(q, rec, mails, last, &next_at);
        if (v == SA_RESEND_OK || v == SA_RESEND_WAIT) {
            sa_tdata_text(d, "resend_action", apr_pstrcat(q->p, c->mount, "/entry/resend", NULL));
            sa_tdata_text(d, "csrf", sa_csrf(q));
            sa_tdata_flag(d, "resend_later", v == SA_RESEND_WAIT);
            put_next_resend(q, d, next_at);
        }
        sa_tdata_flag(d, "resend_refused",
                      v == SA_RESEND_WAIT && notice && !strcmp(notice, "wait"));
        sa_tdata_flag(d, "resend_done", v == SA_RESEND_DONE);
    }
    return sa_page_send(q->r, SA_PAGE_ACCEPTED, d, HTTP_OK);
}

/* --- the mail link and 宣言完了 --------------------------------------------- */

#define ISSUE_TRIES 5

/* Issues the IDs of declaration d and queues the 完了 mail, in one
 * transaction through the store.  APR_EEXIST: completed concurrently. */
static apr_status_t issue_ids(sa_req *q, ap_dbd_t *dbd, const sa_decl *d, sa_decl **done,
                              const char **mail_key)
{
    const sa_server_conf *c = q->c;
    apr_pool_t *p = q->p;
    sa_state to = sa_state_on_verify(c->accept_mode);
    const char *base = sa_base_url(q);
    int attempt;

    for (attempt = 0; attempt < ISSUE_TRIES; attempt++) {
        const char *u = sa_id_new(p), *dn = sa_id_new(p);
        sa_change_mail mail;
        sa_change ch = { SA_EV_VERIFY, SA_ACTOR_APPLICANT, "applicant", "メールのリンクから", &mail, 1, 0 };
        sa_decl *after;
        apr_status_t rv;
        int taken = 1;

        if (!u || !dn || !strcmp(u, dn) || !sa_decl_id_taken(p, dbd, u, dn, &taken) || taken) {
            continue;   /* a collision (or an error): draw again */
        }
        after = sa_decl_copy(p, d);
        after->state = sa_state_name(to);
        after->user_no = u;
        after->declaration_no = dn;
        after->declared_at = apr_time_sec(apr_time_now());
        after->accepted_at = to == SA_ST_ACCEPTED ? after->declared_at : 0;
        mail.which = SA_MAIL_COMPLETED;
        mail.to = d->email;
        mail.vals = apr_table_make(p, 8);
        apr_table_setn(mail.vals, "contact_name", d->contact_name);
        apr_table_setn(mail.vals, "name", sa_decl_name(p, d));
        apr_table_setn(mail.vals, "level_name", sa_level_name(apr_itoa(p, (int)d->level)));
        apr_table_setn(mail.vals, "user_no", u);
        apr_table_setn(mail.vals, "declaration_no", dn);
        apr_table_setn(mail.vals, "login_url", apr_pstrcat(p, base, "/login", NULL));
        apr_table_setn(mail.vals, "top_url", apr_pstrcat(p, base, "/", NULL));
        if (to == SA_ST_ACCEPTED) {
            apr_table_setn(mail.vals, "accepted", "1");
        }
        rv = sa_store_apply(p, dbd, c, d, after, &ch);
        if (rv == APR_SUCCESS) {
            *done = after;
            *mail_key = mail.key;
            return APR_SUCCESS;
        }
        if (rv == APR_EEXIST) {
            return APR_EEXIST;
        }
        /* a unique constraint hit by a concurrent issue: draw again */
    }
    return APR_EGENERAL;
}

/* The expired link's page: while the 仮申込み is kept, 「確認メールを再送する」
 * (a POST with the old token) instead of typing everything again; the
 * address only masked. */
static int verify_expired_page(sa_req *q, const sa_decl *d, const char *token)
{
    apr_int64_t next_at = 0;
    sa_resend_verdict v = resend_verdict(q, sa_db(q), d, &next_at);
    sa_tdata *t;
    if (v != SA_RESEND_OK && v != SA_RESEND_WAIT) {
        return verify_page(q, HTTP_GONE, "verify_expired");
    }
    t = sa_msg_data(q, "verify_expired_resend");
    sa_page_progress(q->r, t, SA_STEP_VERIFY);
    sa_tdata_text(t, "csrf", sa_csrf(q));
    sa_tdata_text(t, "resend_token", token);
    sa_tdata_text(t, "resend_action", apr_pstrcat(q->p, q->c->mount, "/entry/verify/resend", NULL));
    sa_tdata_text(t, "email_masked", sa_mask_email(q->p, d->email));
    sa_tdata_flag(t, "resend_later", v == SA_RESEND_WAIT);
    put_next_resend(q, t, next_at);
    return sa_page_send(q->r, SA_PAGE_VERIFY, t, HTTP_GONE);
}

/* The declaration of a verification token, or NULL with the page that
 * says why already sent (*sent).  Decides nothing yet. */
static sa_decl *verify_target(sa_req *q, const char *token, sa_verify_outcome *outcome,
                              int *sent)
{
    ap_dbd_t *dbd;
    sa_decl *d;
    *sent = 1;
    if (!token || !sa_token_wellformed(token)) {
        verify_page(q, HTTP_NOT_FOUND, "verify_unknown");
        return NULL;
    }
    if (!(dbd = sa_db(q)) || sa_decl_by_token(q->p, dbd, sa_token_hash(q->p, token), &d)
        != APR_SUCCESS) {
        sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        return NULL;
    }
    if (!d) {
        verify_page(q, HTTP_NOT_FOUND, "verify_unknown");
        return NULL;
    }
    *outcome = sa_verify_decide(sa_state_parse(d->state),
                                d->token_expires < apr_time_sec(apr_time_now()));
    switch (*outcome) {
    case SA_VERIFY_ISSUE:
        *sent = 0;
        return d;
    case SA_VERIFY_EXPIRED:
        verify_expired_page(q, d, token);
        break;
    case SA_VERIFY_UNKNOWN:
        verify_page(q, HTTP_NOT_FOUND, "verify_unknown");
        break;
    case SA_VERIFY_DONE:
        verify_page(q, HTTP_OK, "verify_done");
        break;
    }
    return NULL;
}

/* Opening the mailed link only shows a button: a GET or HEAD (a mail
 * scanner fetching links before the person does) changes nothing. */
static int verify_get(sa_req *q)
{
    const char *token = sa_query_arg(q->r, "t");
    sa_verify_outcome outcome;
    sa_tdata *d;
    int sent;
    if (!verify_target(q, token, &outcome, &sent)) {
        return OK;
    }
    d = sa_msg_data(q, "verify_confirm");
    sa_page_progress(q->r, d, SA_STEP_VERIFY);
    sa_tdata_text(d, "csrf", sa_csrf(q));
    sa_tdata_text(d, "token", token);
    sa_tdata_text(d, "verify_action", apr_pstrcat(q->p, q->c->mount, "/entry/verify", NULL));
    return sa_page_send(q->r, SA_PAGE_VERIFY, d, HTTP_OK);
}

static int verify_post(sa_req *q)
{
    const char *token = apr_table_get(q->form, "t"), *key = NULL;
    sa_verify_outcome outcome;
    sa_decl *d, *done;
    apr_status_t rv;
    int sent;

    if (!(d = verify_target(q, token, &outcome, &sent))) {
        return OK;
    }
    rv = issue_ids(q, sa_db(q), d, &done, &key);
    if (rv == APR_EEXIST) {
        return verify_page(q, HTTP_OK, "verify_done");
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(036)
                      "mod_secaction: cannot complete a declaration: %s",
                      sa_db_error(sa_db(q), rv));
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    sa_deliver_now(q, key);
    /* the 宣言完了 page shows the IDs from the wizard's session (mod_session
     * is on for /entry), whichever browser opened the link */
    {
        apr_table_t *t = apr_table_make(q->p, 3);
        apr_table_setn(t, "user_no", done->user_no);
        apr_table_setn(t, "declaration_no", done->declaration_no);
        apr_table_setn(t, "level", apr_itoa(q->p, (int)done->level));
        sa_sess_set(q->r, "complete", sa_kv_encode(q->p, t));
    }
    return sa_see_other(q, "/entry/complete");
}

/* POST /entry/verify/resend from the expired link's page: the 仮申込み of
 * the old token.  A second press after the first one worked finds the
 * token replaced: the 受付確認 page of this browser says what was sent. */
static int verify_resend_post(sa_req *q)
{
    const char *token = apr_table_get(q->form, "t");
    ap_dbd_t *dbd = sa_db(q);
    sa_decl *d = NULL;
    if (!token || !sa_token_wellformed(token)) {
        return verify_page(q, HTTP_NOT_FOUND, "verify_unknown");
    }
    if (sa_decl_by_token(q->p, dbd, sa_token_hash(q->p, token), &d) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    if (!d) {
        /* the wizard's session, as the mail link's own button uses it */
        const char *kept = sa_sess_get(q->r, "accepted");
        apr_table_t *acc = kept ? sa_kv_decode(q->p, kept) : NULL;
        if (acc && apr_table_get(acc, "sub")) {
            return sa_see_other(q, "/entry/accepted");
        }
        return verify_page(q, HTTP_NOT_FOUND, "verify_unknown");
    }
    return resend_run(q, dbd, d);
}

static int complete_get(sa_req *q)
{
    apr_table_t *done = sa_scope_table(q, "complete");
    sa_tdata *d;
    if (!done) {
        return sa_see_other(q, first_unfinished(q));
    }
    d = sa_page(q, "宣言完了");
    sa_page_progress(q->r, d, SA_STEP_COMPLETE);
    sa_tdata_text(d, "user_no", apr_table_get(done, "user_no"));
    sa_tdata_text(d, "declaration_no", apr_table_get(done, "declaration_no"));
    sa_tdata_text(d, "level_name", sa_level_name(apr_table_get(done, "level")));
    sa_tdata_flag(d, "accepted", q->c->accept_mode == SA_ACCEPT_IMMEDIATE);
    return sa_page_send(q->r, SA_PAGE_COMPLETE, d, HTTP_OK);
}

/* --- routes ---------------------------------------------------------------- */

#define DRAFT SA_R_DRAFT
#define FORM  (SA_R_DRAFT | SA_R_FORM)

static const sa_route routes[] = {
    { M_GET,  "/entry/",            DRAFT, terms_get },
    { M_POST, "/entry/",            FORM,  terms_post },
    { M_GET,  "/entry/company",     DRAFT, company_get },
    { M_POST, "/entry/company",     FORM,  company_post },
    { M_GET,  "/entry/declaration", DRAFT, declaration_get },
    { M_POST, "/entry/declaration", FORM,  declaration_post },
    { M_GET,  "/entry/confirm",     DRAFT, confirm_get },
    { M_POST, "/entry/confirm",     FORM,  confirm_post },
    { M_GET,  "/entry/accepted",    DRAFT, accepted_get },
    /* 「確認メールを再送する」: from the 受付確認 page, and from the expired
     * link's page (CSRF by cookie, like the link's own button) */
    { M_POST, "/entry/resend",      FORM,  resend_post },
    { M_POST, "/entry/verify/resend", SA_R_FORM | SA_R_DB, verify_resend_post },
    /* the mail link: its page stores nothing (CSRF by cookie), its POST completes */
    { M_GET,  "/entry/verify",      SA_R_DB, verify_get },
    { M_POST, "/entry/verify",      SA_R_FORM | SA_R_DB, verify_post },
    { M_GET,  "/entry/complete",    DRAFT, complete_get },
    { M_GET,  "/entry/postal",      0,     postal_get },
    { M_GET,  "/entry/houjin",      SA_R_DB, houjin_get },
    { 0, NULL, 0, NULL }
};

const sa_route *sa_wizard_routes(void)
{
    return routes;
}
