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
#include "http_log.h"
#include "http_core.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "sa_wizard.h"
#include "sa_page.h"
#include "sa_storage.h"
#include "sa_outbox.h"
#include "sa_form.h"
#include "sa_kv.h"
#include "sa_token.h"
#include "sa_validate.h"
#include "sa_postal.h"

APLOG_USE_MODULE(secaction);

enum { STEP_TERMS, STEP_COMPANY, STEP_DECL, STEP_CONFIRM, STEP_ACCEPTED, STEP_VERIFY,
       STEP_COMPLETE };

static const char *const company_text[] = {
    "corp_no", "corp_name", "corp_kana", "rep_name", "rep_kana", "trade_name", "url",
    "postal", "city", "street", "building", "phone", "member_name", NULL
};
static const char *const decl_text[] = {
    "score", "contact_name", "email", "email2", NULL
};

/* --- small helpers ------------------------------------------------------ */

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

void sa_wizard_retrieve_fns(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

static ap_dbd_t *db(request_rec *r)
{
    ap_dbd_t *d = dbd_acquire ? dbd_acquire(r) : NULL;
    if (!d) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10030)
                      "mod_secaction: no database connection (check DBDriver/DBDParams)");
    }
    return d;
}

static int db_down(request_rec *r)
{
    return sa_page_message(r, HTTP_SERVICE_UNAVAILABLE, "ただいま混み合っています",
                           "ただいま処理できませんでした。入力した内容は保存されています。"
                           "しばらくしてから、もう一度お試しください。",
                           "/entry/", "使用規約確認へ");
}

static apr_table_t *sess_table(request_rec *r, const char *key)
{
    const char *v = sa_sess_get(r, key);
    return v ? sa_kv_decode(r->pool, v) : NULL;
}

/* The first step of the draft not yet done (STEP_TERMS .. STEP_CONFIRM). */
static int first_open_step(request_rec *r)
{
    if (!sa_sess_get(r, "terms")) {
        return STEP_TERMS;
    }
    if (!sa_sess_get(r, "company") || !sa_sess_get(r, "pw")) {
        return STEP_COMPANY;
    }
    if (!sa_sess_get(r, "decl")) {
        return STEP_DECL;
    }
    return STEP_CONFIRM;
}

/* Whether every step before step is done, so its page may be shown. */
static int reached(request_rec *r, int step)
{
    return first_open_step(r) >= step;
}

/* That first step not yet done, as a path under the mount. */
static const char *first_unfinished(request_rec *r)
{
    static const char *const paths[] = {
        [STEP_TERMS] = "/entry/", [STEP_COMPANY] = "/entry/company",
        [STEP_DECL] = "/entry/declaration", [STEP_CONFIRM] = "/entry/confirm",
    };
    return paths[first_open_step(r)];
}

/* The wizard cannot work without its session: say so to the administrator
 * (the log) and to the applicant, instead of refusing every POST. */
static int no_session(request_rec *r)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10038)
                  "mod_secaction: no session for %s: load mod_session and mod_session_dbd and "
                  "set \"Session On\" with SessionDBDCookieName for %s/entry (see "
                  "conf/secaction.conf)", r->uri, sa_mount(r));
    return sa_page_message(r, HTTP_SERVICE_UNAVAILABLE, "ただいま受け付けていません",
                           "ただいま自己宣言の受付を停止しています。しばらくしてから、"
                           "もう一度お試しください。", "/", "TOPへ");
}

static int csrf_refused(request_rec *r)
{
    return sa_page_message(r, HTTP_FORBIDDEN, "送信を受け付けられませんでした",
                           "この送信は受け付けられませんでした。何も変更していません。"
                           "画面を開いてから時間が経ちすぎたか、別の画面からの送信です。"
                           "下のリンクから入力を続けてください。",
                           first_unfinished(r), "入力を続ける");
}

/* Reads a POST form and checks its CSRF token; returns OK, or the status of
 * the page already sent. */
static int read_post(request_rec *r, apr_table_t **form)
{
    int rv;
    if (!sa_sess_available(r)) {
        no_session(r);
        return DONE;
    }
    rv = sa_read_form(r, form);
    if (rv != OK) {
        return sa_page_message(r, HTTP_BAD_REQUEST, "送信を受け付けられませんでした",
                               "送信された内容を読み取れませんでした。何も変更していません。",
                               first_unfinished(r), "入力を続ける");
    }
    if (!sa_csrf_ok(r, *form)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(10031)
                      "mod_secaction: POST without a valid CSRF token refused");
        csrf_refused(r);
        return DONE;
    }
    return OK;
}

/* Keeps the values of a failed (or abandoned) POST for the next GET of
 * step, with "!field" keys holding the errors.  Passwords are never kept. */
static void flash(request_rec *r, const char *step, const apr_table_t *form,
                  const apr_array_header_t *errs)
{
    apr_table_t *f = apr_table_copy(r->pool, form);
    int i;
    apr_table_unset(f, "csrf");
    apr_table_unset(f, "password");
    apr_table_unset(f, "password2");
    for (i = 0; errs && i < errs->nelts; i++) {
        const sa_error *e = &APR_ARRAY_IDX(errs, i, sa_error);
        apr_table_setn(f, apr_pstrcat(r->pool, "!", e->field, NULL), e->message);
    }
    sa_sess_set(r, apr_pstrcat(r->pool, "flash.", step, NULL), sa_kv_encode(r->pool, f));
}

/* The values and errors of the last refused POST of step, or NULL.  They
 * stay until that step is accepted, so a reload shows them again. */
static apr_table_t *get_flash(request_rec *r, const char *step)
{
    return sess_table(r, apr_pstrcat(r->pool, "flash.", step, NULL));
}

static void clear_flash(request_rec *r, const char *step)
{
    sa_sess_set(r, apr_pstrcat(r->pool, "flash.", step, NULL), NULL);
}

/* Whether field (a stored comma-joined multi-value, or one of repeated
 * entries of a form) holds code. */
static int has_value(const apr_table_t *t, const char *field, const char *code)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    int i;
    for (i = 0; i < a->nelts; i++) {
        if (!strcmp(e[i].key, field) && sa_codes_contain(e[i].val, code)) {
            return 1;
        }
    }
    return 0;
}

/* Puts the errors of a flash into d: the summary list and "err.field". */
static void put_errors(request_rec *r, sa_tdata *d, const apr_table_t *f)
{
    const apr_array_header_t *a;
    const apr_table_entry_t *e;
    int i, n = 0;
    sa_tdata_list(d, "errors");
    if (!f) {
        return;
    }
    a = apr_table_elts(f);
    e = (const apr_table_entry_t *)a->elts;
    for (i = 0; i < a->nelts; i++) {
        if (e[i].key[0] == '!') {
            sa_tdata *it = sa_tdata_item(d, "errors");
            n++;
            sa_tdata_text(it, "href", apr_pstrcat(r->pool, "#f-", e[i].key + 1, NULL));
            sa_tdata_text(it, "message", e[i].val);
            sa_tdata_text(d, apr_pstrcat(r->pool, "err.", e[i].key + 1, NULL), e[i].val);
        }
    }
    if (n && sa_tdata_get(d, "head_title")) {
        /* screen readers announce the failure first */
        sa_tdata_text(d, "head_title",
                      apr_pstrcat(r->pool, "エラー：", sa_tdata_get(d, "head_title"), NULL));
    }
}

static void put_texts(request_rec *r, sa_tdata *d, const apr_table_t *vals,
                      const char *const *names)
{
    for (; *names; names++) {
        const char *v = vals ? apr_table_get(vals, *names) : NULL;
        sa_tdata_text(d, apr_pstrcat(r->pool, "v.", *names, NULL), v ? v : "");
    }
}

static void put_refitems(sa_tdata *d, const char *list, const apr_array_header_t *items,
                         const char *selected)
{
    int i;
    sa_tdata_list(d, list);
    for (i = 0; i < items->nelts; i++) {
        const sa_refitem *it = &APR_ARRAY_IDX(items, i, sa_refitem);
        sa_tdata *o = sa_tdata_item(d, list);
        sa_tdata_text(o, "code", it->code);
        sa_tdata_text(o, "name", it->name);
        if (it->parent) {
            sa_tdata_text(o, "parent", it->parent);
        }
        sa_tdata_flag(o, "selected", selected && !strcmp(selected, it->code));
    }
}

static void put_choices(sa_tdata *d, const char *list, const sa_choice *ch,
                        const apr_table_t *vals, const char *field)
{
    sa_tdata_list(d, list);
    for (; ch->code; ch++) {
        sa_tdata *o = sa_tdata_item(d, list);
        sa_tdata_text(o, "code", ch->code);
        sa_tdata_text(o, "label", ch->label);
        sa_tdata_flag(o, "checked", vals && has_value(vals, field, ch->code));
    }
}

static void put_flag(request_rec *r, sa_tdata *d, const apr_table_t *vals,
                     const char *field, const char *code)
{
    const char *v = vals ? apr_table_get(vals, field) : NULL;
    sa_tdata_flag(d, apr_pstrcat(r->pool, field, "_", code, NULL), v && !strcmp(v, code));
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

/* The common start of a form page: the values (of the last refused POST,
 * else the accepted ones), their errors, the progress bar. */
static sa_tdata *form_page(request_rec *r, const char *step, const char *title, int stepno,
                           const char *const *texts, apr_table_t **vals)
{
    apr_table_t *f = get_flash(r, step);
    sa_tdata *d = sa_page_data(r, title);
    *vals = f ? f : sess_table(r, step);
    sa_page_progress(r, d, stepno);
    put_errors(r, d, f);
    put_texts(r, d, *vals, texts);
    return d;
}

/* --- TOP and 使用規約確認 -------------------------------------------------- */

static int top_get(request_rec *r)
{
    sa_tdata *d = sa_page_data(r, SA_SITE_NAME);
    return sa_page_send(r, SA_PAGE_TOP, d, HTTP_OK);
}

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

static int terms_get(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    const char *via = sa_query_arg(r, "via");
    sa_tdata *d;
    if (!sa_sess_available(r)) {
        return no_session(r);
    }
    if (via_allowed(c, via)) {
        sa_sess_set(r, "via", via);
    }
    d = sa_page_data(r, "使用規約確認");
    sa_page_progress(r, d, STEP_TERMS);
    sa_tdata_flag(d, "agreed", sa_sess_get(r, "terms") != NULL);
    return sa_page_send(r, SA_PAGE_TERMS, d, HTTP_OK);
}

static int terms_post(request_rec *r)
{
    apr_table_t *form;
    int rv = read_post(r, &form);
    const char *agree;
    if (rv != OK) {
        return rv == DONE ? OK : rv;
    }
    agree = apr_table_get(form, "agree");
    if (!agree || strcmp(agree, "1")) {
        return sa_redirect(r, "/entry/");
    }
    sa_sess_set(r, "terms", "1");
    if (!sa_sess_get(r, "sub")) {
        sa_sess_set(r, "sub", sa_token_new(r->pool));
    }
    return sa_redirect(r, "/entry/company");
}

/* --- 事業者情報入力 ------------------------------------------------------- */

static int company_get(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_table_t *vals;
    sa_tdata *d;

    if (!reached(r, STEP_COMPANY)) {
        return sa_redirect(r, first_unfinished(r));
    }
    d = form_page(r, "company", "事業者情報入力", STEP_COMPANY, company_text, &vals);
    put_flag(r, d, vals, "kind", "corp");
    put_flag(r, d, vals, "kind", "sole");
    put_flag(r, d, vals, "member", "yes");
    put_flag(r, d, vals, "member", "no");
    put_flag(r, d, vals, "ipa_info", "yes");
    put_flag(r, d, vals, "ipa_info", "no");
    put_refitems(d, "prefs", c->ref->prefectures, vals ? apr_table_get(vals, "pref") : NULL);
    put_refitems(d, "majors", c->ref->jsic_major, vals ? apr_table_get(vals, "jsic_major") : NULL);
    put_refitems(d, "middles", c->ref->jsic_middle,
                 vals ? apr_table_get(vals, "jsic_middle") : NULL);
    sa_tdata_flag(d, "pw_set", sa_sess_get(r, "pw") != NULL);
    sa_tdata_flag(d, "postal_lookup", c->postal != NULL);
    sa_tdata_text(d, "pw_min", apr_itoa(r->pool, SA_PASSWORD_MIN));
    sa_tdata_text(d, "pw_max", apr_itoa(r->pool, SA_PASSWORD_MAX));
    sa_tdata_text(d, "pw_symbols", SA_PASSWORD_SYMBOLS);
    return sa_page_send(r, SA_PAGE_COMPANY, d, HTTP_OK);
}

/* "113-0021" (as sa_postal_code normalises it) -> "1130021" */
static const char *postal_digits(apr_pool_t *p, const char *code)
{
    return apr_pstrcat(p, apr_pstrndup(p, code, 3), code + 4, NULL);
}

/* 住所検索 without JavaScript: the company form comes back with the
 * prefecture and city filled in from the postal code (or a message beside
 * it), everything else as typed. */
static int postal_lookup_post(request_rec *r, apr_table_t *form)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_array_header_t *errs = apr_array_make(r->pool, 1, sizeof(sa_error));
    const char *code, *pref, *city, *msg;
    sa_error *e;

    msg = sa_postal_code(r->pool, apr_table_get(form, "postal"), &code);
    if (!msg) {
        if (sa_postal_address(r->pool, c->postal, c->ref, postal_digits(r->pool, code),
                              &pref, &city)) {
            apr_table_set(form, "pref", pref);
            apr_table_set(form, "city", city);
            apr_table_set(form, "postal", code);
        }
        else {
            msg = "この郵便番号に当てはまる住所が見つかりませんでした。都道府県と市区町村・町名を"
                  "入力してください。";
        }
    }
    if (msg) {
        e = apr_array_push(errs);
        e->field = "postal";
        e->message = msg;
    }
    flash(r, "company", form, errs);
    return sa_redirect(r, "/entry/company");
}

/* GET /entry/postal?code=1130021: 住所検索 for the page's script, as JSON
 * {"pref":"13","city":"文京区本駒込"}; 404 {} when there is no answer. */
static int postal_get(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
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

static int company_post(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_table_t *form, *out = apr_table_make(r->pool, 32);
    apr_array_header_t *errs = apr_array_make(r->pool, 8, sizeof(sa_error));
    const char *password = NULL, *hash, *keep;
    int rv = read_post(r, &form);

    if (rv != OK) {
        return rv == DONE ? OK : rv;
    }
    if (!reached(r, STEP_COMPANY)) {
        return sa_redirect(r, first_unfinished(r));
    }
    if (apr_table_get(form, "back")) {
        flash(r, "company", form, NULL);
        return sa_redirect(r, "/entry/");
    }
    if (apr_table_get(form, "lookup")) {
        return postal_lookup_post(r, form);
    }
    /* a password set earlier in this run is kept when both fields are left empty */
    keep = sa_sess_get(r, "pw");
    if (sa_company_validate(r->pool, c->ref, form, out, &password, errs) > 0
        && !(keep && sa_password_may_stay(form, errs))) {
        flash(r, "company", form, errs);
        return sa_redirect(r, "/entry/company");
    }
    if (password) {
        hash = sa_password_hash(r->pool, password, c->password_cost);
        if (!hash) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10032)
                          "mod_secaction: password hashing failed");
            flash(r, "company", form, NULL);
            return db_down(r);
        }
        sa_sess_set(r, "pw", hash);
    }
    sa_sess_set(r, "company", sa_kv_encode(r->pool, out));
    clear_flash(r, "company");
    return sa_redirect(r, "/entry/declaration");
}

/* --- 自己宣言入力 --------------------------------------------------------- */

static int declaration_get(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_table_t *vals;
    const char *purpose;
    sa_tdata *d;
    int i;

    if (!reached(r, STEP_DECL)) {
        return sa_redirect(r, first_unfinished(r));
    }
    d = form_page(r, "decl", "自己宣言入力", STEP_DECL, decl_text, &vals);
    put_flag(r, d, vals, "level", "1");
    put_flag(r, d, vals, "level", "2");
    put_flag(r, d, vals, "pledge", "1");
    put_flag(r, d, vals, "privacy", "1");
    sa_tdata_text(d, "level1_label", choice_label(sa_levels, "1"));
    sa_tdata_text(d, "level2_label", choice_label(sa_levels, "2"));
    put_choices(d, "publish", sa_publish_methods, vals, "publish");
    put_choices(d, "survey", sa_survey_answers, vals, "survey");
    /* the flash holds the option's number, the stored draft its label */
    purpose = vals ? apr_table_get(vals, "purpose") : NULL;
    sa_tdata_list(d, "purposes");
    for (i = 0; i < c->purposes->nelts; i++) {
        const char *label = APR_ARRAY_IDX(c->purposes, i, const char *);
        const char *code = apr_itoa(r->pool, i + 1);
        sa_tdata *o = sa_tdata_item(d, "purposes");
        sa_tdata_text(o, "code", code);
        sa_tdata_text(o, "label", label);
        sa_tdata_flag(o, "selected", purpose && (!strcmp(purpose, code) || !strcmp(purpose, label)));
    }
    return sa_page_send(r, SA_PAGE_DECLARATION, d, HTTP_OK);
}

static int declaration_post(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_table_t *form, *out = apr_table_make(r->pool, 16);
    apr_array_header_t *errs = apr_array_make(r->pool, 8, sizeof(sa_error));
    int rv = read_post(r, &form);

    if (rv != OK) {
        return rv == DONE ? OK : rv;
    }
    if (!reached(r, STEP_DECL)) {
        return sa_redirect(r, first_unfinished(r));
    }
    if (apr_table_get(form, "back")) {
        flash(r, "decl", form, NULL);
        return sa_redirect(r, "/entry/company");
    }
    if (sa_declaration_validate(r->pool, &c->form_opts, form, out, errs) > 0) {
        flash(r, "decl", form, errs);
        return sa_redirect(r, "/entry/declaration");
    }
    sa_sess_set(r, "decl", sa_kv_encode(r->pool, out));
    clear_flash(r, "decl");
    return sa_redirect(r, "/entry/confirm");
}

/* --- 入力内容確認 ---------------------------------------------------------- */

static const char *refname(const apr_array_header_t *items, const char *code)
{
    const sa_refitem *it = code && *code ? sa_refdata_find(items, code) : NULL;
    return it ? it->name : NULL;
}

static int confirm_get(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_table_t *co = sess_table(r, "company"), *de = sess_table(r, "decl");
    const char *kind, *level, *member, *ipa;
    sa_tdata *d;

    if (!reached(r, STEP_CONFIRM) || !co || !de) {
        return sa_redirect(r, first_unfinished(r));
    }
    d = sa_page_data(r, "入力内容確認");
    sa_page_progress(r, d, STEP_CONFIRM);
    put_texts(r, d, co, company_text);
    put_texts(r, d, de, decl_text);
    kind = apr_table_get(co, "kind");
    level = apr_table_get(de, "level");
    member = apr_table_get(co, "member");
    ipa = apr_table_get(co, "ipa_info");
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
                  sa_choice_labels(r->pool, sa_publish_methods, apr_table_get(de, "publish")));
    sa_tdata_text(d, "survey_labels",
                  sa_choice_labels(r->pool, sa_survey_answers, apr_table_get(de, "survey")));
    return sa_page_send(r, SA_PAGE_CONFIRM, d, HTTP_OK);
}

/* 24h -> "24時間", 90m -> "90分" (for mail texts) */
static const char *lifetime_text(apr_pool_t *p, int secs)
{
    if (secs % 86400 == 0) return apr_psprintf(p, "%d日間", secs / 86400);
    if (secs % 3600 == 0) return apr_psprintf(p, "%d時間", secs / 3600);
    if (secs % 60 == 0) return apr_psprintf(p, "%d分間", secs / 60);
    return apr_psprintf(p, "%d秒間", secs);
}

static const char *jst_time(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;
    apr_time_exp_tz(&x, t, 9 * 3600);
    return apr_psprintf(p, "%d年%d月%d日 %02d時%02d分（日本時間）", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min);
}

/* The site's address for links in mails.  Never from the request's Host
 * header: anyone could then send a victim a mail whose link points at their
 * own server.  Without SecActionBaseURL, the ServerName is used. */
static const char *base_url(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    const server_rec *s = r->server;
    const char *scheme;
    apr_port_t port;
    if (c->base_url) {
        return c->base_url;
    }
    scheme = ap_http_scheme(r);
    port = s->port ? s->port : ap_default_port(r);
    return apr_psprintf(r->pool, "%s://%s%s%s%s", scheme, s->server_hostname,
                        port == ap_default_port(r) ? "" : ":",
                        port == ap_default_port(r) ? "" : apr_itoa(r->pool, port), sa_mount(r));
}

static const char *business_name(const apr_table_t *co)
{
    const char *kind = apr_table_get(co, "kind");
    return apr_table_get(co, kind && !strcmp(kind, "corp") ? "corp_name" : "rep_name");
}

static const char *nullable(const apr_table_t *t, const char *k)
{
    const char *v = apr_table_get(t, k);
    return v && *v ? v : NULL;
}

/* Stores the 仮申込み and its 受付確認 mail in one transaction.  Returns
 * APR_SUCCESS, APR_EEXIST when this run was submitted already, or an error. */
static apr_status_t store_submission(request_rec *r, ap_dbd_t *dbd, const char *sub,
                                     const apr_table_t *co, const apr_table_t *de)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_pool_t *p = r->pool;
    apr_time_t now = apr_time_now();
    const char *token = sa_token_new(p);
    apr_int64_t expires = apr_time_sec(now) + c->token_lifetime;
    const char *now_s = sa_i64(p, apr_time_sec(now));
    apr_table_t *mv = apr_table_make(p, 8);
    apr_dbd_transaction_t *t;
    const char **row, *err = NULL;
    apr_int64_t id;
    apr_status_t rv;
    int failed = 0;
    const char *args[33];
    int n = 0;

    if (!token) {
        return APR_EGENERAL;
    }
    args[n++] = sub;
    args[n++] = apr_table_get(de, "level");
    args[n++] = sa_sess_get(r, "via");
    args[n++] = apr_table_get(co, "kind");
    args[n++] = nullable(co, "corp_no");
    args[n++] = nullable(co, "corp_name");
    args[n++] = nullable(co, "corp_kana");
    args[n++] = nullable(co, "rep_name");
    args[n++] = nullable(co, "rep_kana");
    args[n++] = nullable(co, "trade_name");
    args[n++] = nullable(co, "url");
    args[n++] = apr_table_get(co, "postal");
    args[n++] = apr_table_get(co, "pref");
    args[n++] = apr_table_get(co, "city");
    args[n++] = apr_table_get(co, "street");
    args[n++] = nullable(co, "building");
    args[n++] = apr_table_get(co, "phone");
    args[n++] = apr_table_get(co, "jsic_major");
    args[n++] = nullable(co, "jsic_middle");
    args[n++] = apr_table_get(co, "member");
    args[n++] = nullable(co, "member_name");
    args[n++] = apr_table_get(co, "ipa_info");
    args[n++] = apr_table_get(de, "purpose");
    args[n++] = nullable(de, "score");
    args[n++] = nullable(de, "publish");
    args[n++] = apr_table_get(de, "contact_name");
    args[n++] = apr_table_get(de, "email");
    args[n++] = nullable(de, "survey");
    args[n++] = sa_sess_get(r, "pw");
    args[n++] = sa_token_hash(p, token);
    args[n++] = sa_i64(p, expires);
    args[n++] = now_s;
    args[n++] = now_s;

    /* a second submit of the same run finds the first one */
    row = sa_db_row(p, dbd, SA_Q_DECL_BY_SUBKEY, 1, &sub, &rv);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (row) {
        return APR_EEXIST;
    }
    if (sa_db_begin(p, dbd, &t) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    failed |= sa_db_exec(p, dbd, SA_Q_DECL_INSERT, NULL, n, args) != APR_SUCCESS;
    row = failed ? NULL : sa_db_row(p, dbd, SA_Q_DECL_BY_SUBKEY, 1, &sub, &rv);
    failed |= row == NULL;
    if (!failed) {
        const char *h[6];
        id = apr_atoi64(row[0]);
        h[0] = row[0]; h[1] = NULL; h[2] = "provisional"; h[3] = "applicant"; h[4] = NULL;
        h[5] = now_s;
        failed |= sa_db_exec(p, dbd, SA_Q_HISTORY_INSERT, NULL, 6, h) != APR_SUCCESS;
        apr_table_setn(mv, "contact_name", apr_table_get(de, "contact_name"));
        apr_table_setn(mv, "name", business_name(co));
        apr_table_setn(mv, "level_name", sa_level_name(apr_table_get(de, "level")));
        apr_table_setn(mv, "verify_url",
                       apr_pstrcat(p, base_url(r), "/entry/verify?t=", token, NULL));
        apr_table_setn(mv, "expires", jst_time(p, apr_time_from_sec(expires)));
        apr_table_setn(mv, "lifetime", lifetime_text(p, c->token_lifetime));
        apr_table_setn(mv, "entry_url", apr_pstrcat(p, base_url(r), "/entry/", NULL));
        if (!failed && sa_outbox_enqueue(p, dbd, c, id, SA_MAIL_RECEIVED,
                                         apr_table_get(de, "email"), mv, &err) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10033)
                          "mod_secaction: cannot queue the 受付確認 mail: %s", err);
            failed = 1;
        }
    }
    if (sa_db_end(p, dbd, t, failed) != APR_SUCCESS) {
        /* lost a race with a concurrent submit of the same run? */
        row = sa_db_row(p, dbd, SA_Q_DECL_BY_SUBKEY, 1, &sub, &rv);
        return row ? APR_EEXIST : APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* After a commit, hand the new mail to the sendmail program at once, so it
 * arrives while the applicant waits.  Bounded (one mail, a short timeout) so
 * a slow mail server or a backlog never holds the page; the retry thread
 * takes over from there. */
#define REQUEST_MAIL_TIMEOUT apr_time_from_sec(10)
static void deliver_now(request_rec *r, ap_dbd_t *dbd)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_interval_time_t t = apr_time_from_sec(c->mail_timeout);
    sa_outbox_deliver_due(r->pool, dbd, r->server, c, 1,
                          t < REQUEST_MAIL_TIMEOUT ? t : REQUEST_MAIL_TIMEOUT);
}

/* Whether address has had too many 仮申込み in the last hour (a second
 * submit of this same run is not a new one). */
static int too_many_pending(request_rec *r, ap_dbd_t *dbd, const char *address,
                            const char *sub)
{
    const char *args[2] = { address, sa_i64(r->pool, apr_time_sec(apr_time_now()) - 3600) };
    const char **row;
    apr_status_t rv;
    if (sa_db_row(r->pool, dbd, SA_Q_DECL_BY_SUBKEY, 1, &sub, &rv)) {
        return 0;
    }
    row = sa_db_row(r->pool, dbd, SA_Q_PENDING_FOR, 2, args, &rv);
    if (row && !sa_pending_allowed((long)apr_atoi64(row[0]))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(10037)
                      "mod_secaction: submission refused: too many pending for one address");
        return 1;
    }
    return 0;
}

static int confirm_post(request_rec *r)
{
    apr_table_t *form, *co, *de;
    const char *sub;
    ap_dbd_t *dbd;
    apr_status_t st;
    int rv = read_post(r, &form);

    if (rv != OK) {
        return rv == DONE ? OK : rv;
    }
    co = sess_table(r, "company");
    de = sess_table(r, "decl");
    sub = sa_sess_get(r, "sub");
    if (!co || !de || !sub || !sa_sess_get(r, "pw")) {
        /* the draft is gone because this run was submitted already */
        return sa_redirect(r, sa_sess_get(r, "accepted") ? "/entry/accepted"
                                                         : first_unfinished(r));
    }
    if (apr_table_get(form, "change")) {
        return sa_redirect(r, "/entry/company");
    }
    if (!apr_table_get(form, "submit")) {
        return sa_redirect(r, "/entry/confirm");
    }
    if (!(dbd = db(r))) {
        return db_down(r);
    }
    if (too_many_pending(r, dbd, apr_table_get(de, "email"), sub)) {
        return sa_page_message(r, HTTP_TOO_MANY_REQUESTS, "しばらくしてからお試しください",
                               "このメールアドレスには、確認のメールをすでに何通もお送りしています。"
                               "届いているメールのリンクから手続きを完了するか、1時間ほどしてから"
                               "もう一度お試しください。入力した内容は保存されています。",
                               "/entry/confirm", "入力内容確認へ戻る");
    }
    st = store_submission(r, dbd, sub, co, de);
    if (st != APR_SUCCESS && st != APR_EEXIST) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10034)
                      "mod_secaction: cannot store a declaration: %s", sa_db_error(dbd, st));
        return db_down(r);
    }
    /* the draft leaves the session; the 受付確認 page keeps what it shows */
    {
        apr_table_t *acc = apr_table_make(r->pool, 2);
        apr_table_setn(acc, "email", apr_table_get(de, "email"));
        apr_table_setn(acc, "level", apr_table_get(de, "level"));
        sa_sess_set(r, "accepted", sa_kv_encode(r->pool, acc));
    }
    sa_sess_set(r, "company", NULL);
    sa_sess_set(r, "decl", NULL);
    sa_sess_set(r, "pw", NULL);
    sa_sess_set(r, "terms", NULL);
    sa_sess_set(r, "sub", NULL);
    sa_sess_set(r, "via", NULL);
    clear_flash(r, "company");
    clear_flash(r, "decl");
    if (st == APR_SUCCESS) {
        deliver_now(r, dbd);
    }
    return sa_redirect(r, "/entry/accepted");
}

/* --- 受付確認 --------------------------------------------------------------- */

static int accepted_get(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_table_t *acc = sess_table(r, "accepted");
    apr_table_t *mv = apr_table_make(r->pool, 1);
    const char *subject, *body;
    sa_tdata *d;
    if (!acc) {
        return sa_redirect(r, first_unfinished(r));
    }
    /* the subject exactly as the mail template writes it */
    apr_table_setn(mv, "level_name", sa_level_name(apr_table_get(acc, "level")));
    sa_mail_tmpl_fill(r->pool, c->mails[SA_MAIL_RECEIVED], mv, &subject, &body);
    d = sa_page_data(r, "受付確認");
    sa_page_progress(r, d, STEP_ACCEPTED);
    sa_tdata_text(d, "email", apr_table_get(acc, "email"));
    sa_tdata_text(d, "subject", subject);
    sa_tdata_text(d, "lifetime", lifetime_text(r->pool, c->token_lifetime));
    sa_tdata_text(d, "mail_from", c->mail_from);
    return sa_page_send(r, SA_PAGE_ACCEPTED, d, HTTP_OK);
}

/* --- the mail link and 宣言完了 --------------------------------------------- */

#define ISSUE_TRIES 5

/* Issues the IDs of declaration row (from SA_Q_DECL_BY_TOKEN) and queues the
 * 完了 mail, in one transaction.  APR_EEXIST: completed concurrently. */
static apr_status_t issue_ids(request_rec *r, ap_dbd_t *dbd, const char **row,
                              const char **user_no, const char **decl_no)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_pool_t *p = r->pool;
    sa_state to = sa_state_on_verify(c->accept_mode);
    const char *now_s = sa_i64(p, apr_time_sec(apr_time_now()));
    int attempt;

    for (attempt = 0; attempt < ISSUE_TRIES; attempt++) {
        apr_dbd_transaction_t *t;
        apr_table_t *mv = apr_table_make(p, 8);
        const char *u = sa_id_new(p), *dn = sa_id_new(p), **taken, *err = NULL;
        const char *q[2], *h[6], *upd[7];
        apr_status_t rv;
        int failed = 0, n = 0;

        if (!u || !dn || !strcmp(u, dn)) {
            continue;
        }
        q[0] = u; q[1] = dn;
        taken = sa_db_row(p, dbd, SA_Q_ID_TAKEN, 2, q, &rv);
        if (!taken || apr_atoi64(taken[0]) > 0) {
            continue;   /* a collision (or an error): draw again */
        }
        if (sa_db_begin(p, dbd, &t) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        upd[0] = sa_state_name(to); upd[1] = u; upd[2] = dn; upd[3] = now_s;
        upd[4] = to == SA_ST_ACCEPTED ? now_s : NULL; upd[5] = now_s; upd[6] = row[0];
        failed |= sa_db_exec(p, dbd, SA_Q_DECL_ISSUE, &n, 7, upd) != APR_SUCCESS;
        if (!failed && n != 1) {
            sa_db_end(p, dbd, t, 1);
            return APR_EEXIST;
        }
        h[0] = row[0]; h[1] = "provisional"; h[2] = sa_state_name(to); h[3] = "applicant";
        h[4] = "mail link"; h[5] = now_s;
        failed |= sa_db_exec(p, dbd, SA_Q_HISTORY_INSERT, NULL, 6, h) != APR_SUCCESS;
        apr_table_setn(mv, "contact_name", row[4]);
        apr_table_setn(mv, "name", !strcmp(row[8] ? row[8] : "", "corp") ? row[9] : row[10]);
        apr_table_setn(mv, "level_name", sa_level_name(row[3]));
        apr_table_setn(mv, "user_no", u);
        apr_table_setn(mv, "declaration_no", dn);
        apr_table_setn(mv, "login_url", apr_pstrcat(p, base_url(r), "/login", NULL));
        apr_table_setn(mv, "top_url", apr_pstrcat(p, base_url(r), "/", NULL));
        if (to == SA_ST_ACCEPTED) {
            apr_table_setn(mv, "accepted", "1");
        }
        if (!failed && sa_outbox_enqueue(p, dbd, c, apr_atoi64(row[0]), SA_MAIL_COMPLETED,
                                         row[5], mv, &err) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10035)
                          "mod_secaction: cannot queue the 完了 mail: %s", err);
            failed = 1;
        }
        if (sa_db_end(p, dbd, t, failed) == APR_SUCCESS) {
            *user_no = u;
            *decl_no = dn;
            return APR_SUCCESS;
        }
        /* a unique constraint hit by a concurrent issue: draw again */
    }
    return APR_EGENERAL;
}

static int verify_message(request_rec *r, int status, const char *title, const char *msg,
                          const char *link, const char *label)
{
    sa_tdata *d = sa_page_data(r, title);
    sa_page_progress(r, d, STEP_VERIFY);
    sa_tdata_text(d, "message", msg);
    sa_tdata_text(d, "link", apr_pstrcat(r->pool, sa_mount(r), link, NULL));
    sa_tdata_text(d, "link_label", label);
    return sa_page_send(r, SA_PAGE_VERIFY, d, status);
}

static int verify_unknown(request_rec *r)
{
    return verify_message(r, HTTP_NOT_FOUND, "リンクが確認できません",
                          "このリンクは確認できませんでした。メールに記載されたURLを、"
                          "途中で切れないよう全体をコピーして開いてください。"
                          "それでも開けない場合は、お手数ですが最初から自己宣言をやり直してください。",
                          "/entry/", "最初から自己宣言する");
}

static int verify_get(request_rec *r)
{
    const char *token = sa_query_arg(r, "t"), **row, *u = NULL, *dn = NULL;
    const char *hash;
    ap_dbd_t *dbd;
    apr_status_t rv;
    int expired;

    if (!token || !sa_token_wellformed(token)) {
        return verify_unknown(r);
    }
    if (!(dbd = db(r))) {
        return db_down(r);
    }
    hash = sa_token_hash(r->pool, token);
    row = sa_db_row(r->pool, dbd, SA_Q_DECL_BY_TOKEN, 1, &hash, &rv);
    if (rv != APR_SUCCESS) {
        return db_down(r);
    }
    if (!row) {
        return verify_unknown(r);
    }
    expired = apr_atoi64(row[2]) < apr_time_sec(apr_time_now());
    switch (sa_verify_decide(sa_state_parse(row[1]), expired)) {
    case SA_VERIFY_ISSUE:
        rv = issue_ids(r, dbd, row, &u, &dn);
        if (rv == APR_EEXIST) {
            break;
        }
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, APLOGNO(10036)
                          "mod_secaction: cannot complete a declaration: %s",
                          sa_db_error(dbd, rv));
            return db_down(r);
        }
        deliver_now(r, dbd);
        {
            apr_table_t *done = apr_table_make(r->pool, 3);
            apr_table_setn(done, "user_no", u);
            apr_table_setn(done, "declaration_no", dn);
            apr_table_setn(done, "level", row[3]);
            sa_sess_set(r, "complete", sa_kv_encode(r->pool, done));
        }
        return sa_redirect(r, "/entry/complete");
    case SA_VERIFY_EXPIRED:
        return verify_message(r, HTTP_GONE, "リンクの有効期限が切れています",
                              "このリンクの有効期限が過ぎたため、自己宣言を完了できませんでした。"
                              "お手数ですが、最初から自己宣言をやり直してください。",
                              "/entry/", "最初から自己宣言する");
    case SA_VERIFY_UNKNOWN:
        return verify_unknown(r);
    case SA_VERIFY_DONE:
        break;
    }
    return verify_message(r, HTTP_OK, "自己宣言はすでに完了しています",
                          "この自己宣言の手続きはすでに完了しています。利用者番号と自己宣言IDは"
                          "「自己宣言完了のお知らせ」メールでお知らせしています。",
                          "/", "TOPへ");
}

static int complete_get(request_rec *r)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_table_t *done = sess_table(r, "complete");
    sa_tdata *d;
    if (!done) {
        return sa_redirect(r, first_unfinished(r));
    }
    d = sa_page_data(r, "宣言完了");
    sa_page_progress(r, d, STEP_COMPLETE);
    sa_tdata_text(d, "user_no", apr_table_get(done, "user_no"));
    sa_tdata_text(d, "declaration_no", apr_table_get(done, "declaration_no"));
    sa_tdata_text(d, "level_name", sa_level_name(apr_table_get(done, "level")));
    sa_tdata_flag(d, "accepted", c->accept_mode == SA_ACCEPT_IMMEDIATE);
    return sa_page_send(r, SA_PAGE_COMPLETE, d, HTTP_OK);
}

/* --- routes ---------------------------------------------------------------- */

static const sa_route routes[] = {
    { M_GET,  "/",                  top_get },
    { M_GET,  "/entry/",            terms_get },
    { M_POST, "/entry/",            terms_post },
    { M_GET,  "/entry/company",     company_get },
    { M_POST, "/entry/company",     company_post },
    { M_GET,  "/entry/declaration", declaration_get },
    { M_POST, "/entry/declaration", declaration_post },
    { M_GET,  "/entry/confirm",     confirm_get },
    { M_POST, "/entry/confirm",     confirm_post },
    { M_GET,  "/entry/accepted",    accepted_get },
    { M_GET,  "/entry/verify",      verify_get },
    { M_GET,  "/entry/complete",    complete_get },
    { M_GET,  "/entry/postal",      postal_get },
    { 0, NULL, NULL }
};

const sa_route *sa_wizard_routes(void)
{
    return routes;
}
