/* The business's own pages after login: マイページ（自己宣言状況確認）,
 * ステップアップ, 登録情報の変更, 担当者の変更, 自己宣言の停止, パスワード変更
 * and ロゴマークダウンロード.  Glue: the rules are the core's (sa_form.c,
 * sa_validate.c, sa_state.c) and every change goes through sa_store_apply.
 *
 * A business only ever sees and changes its own declaration: each handler
 * loads the one of its login session (q->login->decl_id), never one the
 * request names.  The login session's data holds, per key:
 *   notice            the マイページ notice after a change (a key of
 *                     [mypage_notice] in messages.txt), shown once
 *   stepup, edit      the accepted values of that form, for its confirm page
 *   stepup.v, edit.v  the declaration's version they were accepted against
 *   flash.NAME        a refused POST of form NAME (sa_flash)
 *   contact.sent      a contact confirmation was mailed (…/contact/sent)
 *   doc.procedure, doc.guideline
 *                     the logo documents were opened: the download needs
 *                     both, and it is the server that remembers them
 * Every POST answers 303 to a GET, so Back and reload are harmless. */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include "sa_route.h"
#include "sa_req.h"
#include "sa_formpage.h"
#include "sa_wizard.h"
#include "sa_page.h"
#include "sa_session.h"
#include "sa_decl_store.h"
#include "sa_links.h"
#include "sa_storage.h"
#include "sa_text.h"
#include "sa_policy.h"
#include "sa_form.h"
#include "sa_token.h"
#include "sa_validate.h"

APLOG_USE_MODULE(secaction);

/* At most this many contact confirmations a declaration may have mailed
 * within an hour: the mail goes to an address the business types, so it
 * must not become a way to flood someone's mailbox. */
#define CONTACT_LINKS_PER_HOUR 3

/* --- small helpers --------------------------------------------------------- */

static const char *url_of(sa_req *q, const char *path)
{
    return apr_pstrcat(q->p, q->c->mount, path, NULL);
}

static const char *catalog(sa_req *q, const char *id, const char *key)
{
    return key ? sa_catalog_text(q->c->texts, id, key) : NULL;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static const char *nullable(const apr_table_t *t, const char *k)
{
    const char *v = apr_table_get(t, k);
    return v && *v ? v : NULL;
}

static int same(const char *a, const char *b)
{
    return !strcmp(or_empty(a), or_empty(b));
}

static apr_int64_t now_sec(void)
{
    return apr_time_sec(apr_time_now());
}

static const char *datetime_of(apr_pool_t *p, apr_int64_t t)
{
    return sa_text_datetime(p, apr_time_from_sec(t));
}

/* A stored time as a date, or NULL when unset (the template hides the row). */
static const char *date_of(apr_pool_t *p, apr_int64_t t)
{
    return t ? sa_text_date(p, apr_time_from_sec(t)) : NULL;
}

static const char *level_text(apr_pool_t *p, apr_int64_t level)
{
    return apr_itoa(p, (int)level);
}

/* 【二つ星】「…」 as the wizard's choice shows it. */
static const char *level_label(const char *code)
{
    const sa_choice *ch;
    for (ch = sa_levels; ch->code; ch++) {
        if (!strcmp(ch->code, code)) {
            return ch->label;
        }
    }
    return NULL;
}

static sa_state state_of(const sa_decl *d)
{
    return sa_state_parse(d->state);
}

static int is_accepted(const sa_decl *d)
{
    return state_of(d) == SA_ST_ACCEPTED;
}

/* --- the session and the answers ----------------------------------------- */

/* Saves the login session; false when it could not be kept, in which case
 * the outage page has been sent. */
static int session_kept(sa_req *q)
{
    return sa_save_sessions(q);
}

/* A page, after saving the session (a GET clears a notice, and seen_at
 * keeps the session from idling out while the business reads). */
static int send_page(sa_req *q, sa_page_id id, sa_tdata *t)
{
    return session_kept(q) ? sa_page_send(q->r, id, t, HTTP_OK) : OK;
}

static int see_other(sa_req *q, const char *path)
{
    return session_kept(q) ? sa_see_other(q, path) : OK;
}

static int refuse(sa_req *q, const char *form, const apr_array_header_t *errs, const char *path)
{
    sa_flash(q, form, NULL, errs);
    return see_other(q, path);
}

static int db_down(sa_req *q)
{
    return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
}

/* A form's values accepted for its confirm page, with the version of the
 * declaration they were checked against. */
static void keep_form(sa_req *q, const char *form, const apr_table_t *vals, const sa_decl *d)
{
    sa_scope_set_table(q, form, vals);
    sa_scope_set(q, apr_pstrcat(q->p, form, ".v", NULL), sa_i64(q->p, d->version));
    sa_flash_clear(q, form);
}

static void forget_form(sa_req *q, const char *form)
{
    sa_scope_set(q, form, NULL);
    sa_scope_set(q, apr_pstrcat(q->p, form, ".v", NULL), NULL);
    sa_flash_clear(q, form);
}

/* Whether the declaration is still the one the form was checked against:
 * a change made meanwhile (another browser, the secretariat) must not be
 * overwritten by a confirm page that showed the older data. */
static int same_version(sa_req *q, const char *form, const sa_decl *d)
{
    const char *v = sa_scope_get(q, apr_pstrcat(q->p, form, ".v", NULL));
    return v && apr_atoi64(v) == d->version;
}

/* The answer to a change the store did not make.  A refused or outdated
 * one forgets the form's values, which were checked against a record that
 * is no longer there. */
static int change_failed(sa_req *q, apr_status_t rv, const char *form)
{
    if (rv == APR_EINVAL || rv == APR_EEXIST) {
        if (form) {
            forget_form(q, form);
        }
        if (!session_kept(q)) {
            return OK;
        }
        return rv == APR_EEXIST ? sa_msg(q, HTTP_CONFLICT, "conflict")
                                : sa_msg(q, HTTP_FORBIDDEN, "not_active");
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(070)
                  "mod_secaction: cannot store a change of declaration %" APR_INT64_T_FMT
                  ": %s", q->login->decl_id, sa_db_error(sa_db(q), rv));
    return db_down(q);
}

/* After a change: the notice of [mypage_notice] key, and back to マイページ. */
static int done(sa_req *q, const char *notice)
{
    sa_scope_set(q, "notice", notice);
    return see_other(q, "/mypage");
}

/* --- the declaration of this login ---------------------------------------- */

/* The declaration of this login, or NULL when a page was sent instead (*rv:
 * the handler's answer): the database failed, or the declaration can no
 * longer log in, which ends the session. */
static sa_decl *own_decl(sa_req *q, int *rv)
{
    sa_decl *d = NULL;
    if (sa_decl_by_id(q->p, sa_db(q), q->login->decl_id, &d) != APR_SUCCESS) {
        *rv = db_down(q);
        return NULL;
    }
    if (!d || !sa_state_can_login(state_of(d))) {
        sa_login_end(q);
        *rv = sa_redirect(q->r, "/login");
        return NULL;
    }
    return d;
}

/* The same for the pages that change it: a stopped or revoked declaration
 * can no longer be changed.  Its マイページ offers none of them, so a GET
 * goes back there; a POST (an old tab) is told why nothing happened. */
static sa_decl *active_decl(sa_req *q, int *rv)
{
    sa_decl *d = own_decl(q, rv);
    if (d && !sa_state_is_active(state_of(d))) {
        *rv = q->r->method_number == M_POST ? sa_msg(q, HTTP_FORBIDDEN, "not_active")
                                            : see_other(q, "/mypage");
        return NULL;
    }
    return d;
}

/* A mail of a change to the contact address, with the two values every
 * one of them greets with. */
static sa_change_mail *mail_for(sa_req *q, const sa_decl *d, sa_mail_id which)
{
    sa_change_mail *m = apr_pcalloc(q->p, sizeof(*m));
    m->which = which;
    m->to = d->email;
    m->vals = apr_table_make(q->p, 8);
    apr_table_setn(m->vals, "name", sa_decl_name(q->p, d));
    apr_table_setn(m->vals, "contact_name", or_empty(d->contact_name));
    return m;
}

/* A change the business makes, with its one mail, through the store; the
 * mail is handed to sendmail at once so it arrives while they wait. */
static apr_status_t apply(sa_req *q, const sa_decl *d, sa_decl *after, sa_event ev,
                          const char *note, sa_change_mail *m)
{
    sa_change ch = { ev, SA_ACTOR_BUSINESS, d->user_no, note, m, 1, 0 };
    apr_status_t rv = sa_store_apply(q->p, sa_db(q), q->c, d, after, &ch);
    if (rv == APR_SUCCESS) {
        sa_deliver_now(q, m->key);
    }
    return rv;
}

/* --- the business data as fields ------------------------------------------ */

typedef enum { AS_TEXT, AS_PREF, AS_MAJOR, AS_MIDDLE, AS_CHOICE } shown_as;

/* A field of 登録情報の変更: its member of sa_decl, the kind of business
 * that has it (NULL: both), how its value is shown, and whether the
 * public search shows it. */
typedef struct {
    const char *name;
    apr_size_t offset;
    const char *kind;
    shown_as as;
    int public;
} biz_field;

#define BF(f, kind, as, pub) { #f, APR_OFFSETOF(sa_decl, f), kind, as, pub }
static const biz_field biz_fields[] = {
    BF(corp_no, "corp", AS_TEXT, 0),   BF(corp_name, "corp", AS_TEXT, 1),
    BF(corp_kana, "corp", AS_TEXT, 0), BF(rep_name, "sole", AS_TEXT, 1),
    BF(rep_kana, "sole", AS_TEXT, 0),  BF(trade_name, "sole", AS_TEXT, 1),
    BF(url, NULL, AS_TEXT, 0),         BF(postal, NULL, AS_TEXT, 0),
    BF(pref, NULL, AS_PREF, 1),        BF(city, NULL, AS_TEXT, 1),
    BF(street, NULL, AS_TEXT, 0),      BF(building, NULL, AS_TEXT, 0),
    BF(phone, NULL, AS_TEXT, 0),       BF(jsic_major, NULL, AS_MAJOR, 1),
    BF(jsic_middle, NULL, AS_MIDDLE, 0), BF(member, NULL, AS_CHOICE, 0),
    BF(member_name, NULL, AS_TEXT, 0), BF(ipa_info, NULL, AS_CHOICE, 0),
};
#undef BF
#define NFIELDS (sizeof(biz_fields) / sizeof(biz_fields[0]))

static const char *field_value(const sa_decl *d, const biz_field *f)
{
    return *(const char *const *)((const char *)d + f->offset);
}

static void set_field(sa_decl *d, const biz_field *f, const char *v)
{
    *(const char **)((char *)d + f->offset) = v;
}

static int kind_has(const sa_decl *d, const biz_field *f)
{
    return !f->kind || (d->kind && !strcmp(d->kind, f->kind));
}

static const char *refname(const apr_array_header_t *items, const char *code)
{
    const sa_refitem *it = code && *code ? sa_refdata_find(items, code) : NULL;
    return it ? it->name : code;
}

/* A value as people read it: prefecture and industry by name, yes/no by
 * its label. */
static const char *field_shown(sa_req *q, const biz_field *f, const char *v)
{
    const sa_refdata *ref = q->c->ref;
    if (!v || !*v) {
        return NULL;
    }
    switch (f->as) {
    case AS_PREF:
        return refname(ref->prefectures, v);
    case AS_MAJOR:
        return refname(ref->jsic_major, v);
    case AS_MIDDLE:
        return refname(ref->jsic_middle, v);
    case AS_CHOICE: {
        const char *l = catalog(q, "registered_fields", apr_pstrcat(q->p, f->name, ".", v, NULL));
        return l ? l : v;
    }
    default:
        return v;
    }
}

static const char *field_label(sa_req *q, const biz_field *f)
{
    const char *l = catalog(q, "registered_fields", f->name);
    return l ? l : f->name;
}

/* The stored business data as the forms hold it. */
static apr_table_t *company_of(apr_pool_t *p, const sa_decl *d)
{
    apr_table_t *t = apr_table_make(p, 24);
    apr_size_t i;
    apr_table_setn(t, "kind", or_empty(d->kind));
    for (i = 0; i < NFIELDS; i++) {
        const char *v = field_value(d, &biz_fields[i]);
        if (v) {
            apr_table_setn(t, biz_fields[i].name, v);
        }
    }
    return t;
}

static apr_table_t *declaration_of(apr_pool_t *p, const sa_decl *d)
{
    apr_table_t *t = apr_table_make(p, 8);
    apr_table_setn(t, "level", level_text(p, d->level));
    apr_table_setn(t, "purpose", or_empty(d->purpose));
    apr_table_setn(t, "score", or_empty(d->score));
    apr_table_setn(t, "publish", or_empty(d->publish));
    apr_table_setn(t, "contact_name", or_empty(d->contact_name));
    apr_table_setn(t, "email", or_empty(d->email));
    apr_table_setn(t, "survey", or_empty(d->survey));
    return t;
}

/* --- マイページ ------------------------------------------------------------- */

static void put_status(sa_req *q, sa_tdata *t, const sa_decl *d)
{
    apr_pool_t *p = q->p;
    sa_state st = state_of(d);
    sa_tdata_text(t, "name", sa_decl_name(p, d));
    sa_tdata_text(t, "level_name", sa_level_name(level_text(p, d->level)));
    if (d->pending_level == 2) {
        sa_tdata_text(t, "pending_level_name", sa_level_name("2"));
    }
    sa_tdata_text(t, "state_label", sa_state_label(st));
    sa_tdata_text(t, "state_class", apr_pstrcat(p, "state state-", sa_state_name(st), NULL));
    sa_tdata_text(t, "declared_on", date_of(p, d->declared_at));
    sa_tdata_text(t, "accepted_on", date_of(p, d->accepted_at));
    sa_tdata_text(t, "stopped_on", date_of(p, d->stopped_at));
    sa_tdata_text(t, "revoked_on", date_of(p, d->revoked_at));
    sa_tdata_text(t, "revoke_reason", d->revoke_reason);
    sa_tdata_text(t, "user_no", d->user_no);
    sa_tdata_text(t, "declaration_no", d->declaration_no);
    /* once accepted, the public page and the badge exist (they say so when
     * the declaration is no longer valid): the snippet to put on a site */
    if (d->declaration_no && d->accepted_at) {
        const char *page = apr_pstrcat(p, sa_base_url(q), "/d/", d->declaration_no, NULL);
        sa_tdata_text(t, "public_url", page);
        sa_tdata_text(t, "badge_snippet",
                      apr_pstrcat(p, "<a href=\"", page, "\"><img src=\"", page,
                                  "/badge.svg\" alt=\"SECURITY ACTION 自己宣言の状態\" "
                                  "width=\"240\" height=\"64\"></a>", NULL));
    }
}

/* Whether d may step up now: 一つ星, still active, no step-up waiting. */
static int can_step_up(const sa_decl *d)
{
    return d->level == 1 && d->pending_level != 2 && sa_state_is_active(state_of(d));
}

/* Each action is offered only when it can be done. */
static void put_actions(sa_req *q, sa_tdata *t, const sa_decl *d)
{
    int active = sa_state_is_active(state_of(d));
    if (can_step_up(d)) {
        sa_tdata_text(t, "stepup_url", url_of(q, "/mypage/stepup"));
    }
    if (active) {
        sa_tdata_text(t, "edit_url", url_of(q, "/mypage/edit"));
        sa_tdata_text(t, "contact_url", url_of(q, "/mypage/contact"));
        sa_tdata_text(t, "stop_url", url_of(q, "/mypage/stop"));
    }
    sa_tdata_text(t, "password_url", url_of(q, "/mypage/password"));
    sa_tdata_text(t, "logo_url", url_of(q, "/mypage/logo"));
    sa_tdata_text(t, "logout_url", url_of(q, "/logout"));
}

/* The history: when, what, and for a revocation the reason (other notes
 * are the system's own). */
static apr_status_t put_history(sa_req *q, sa_tdata *t, const sa_decl *d)
{
    apr_array_header_t *rows;
    apr_status_t rv = sa_decl_history(q->p, sa_db(q), d->id, &rows);
    int i;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    sa_tdata_list(t, "history");
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);
        sa_event ev = sa_event_parse(row[0]);
        sa_tdata *it = sa_tdata_item(t, "history");
        sa_tdata_text(it, "at", datetime_of(q->p, row[5] ? apr_atoi64(row[5]) : 0));
        sa_tdata_text(it, "label", sa_event_label(ev));
        sa_tdata_text(it, "note", ev == SA_EV_REVOKE ? or_empty(row[4]) : "");
    }
    return APR_SUCCESS;
}

/* The notice a change left, shown once. */
static void put_notice(sa_req *q, sa_tdata *t)
{
    const char *key = sa_scope_get(q, "notice");
    if (key) {
        sa_tdata_text(t, "notice", catalog(q, "mypage_notice", key));
        sa_scope_set(q, "notice", NULL);
    }
}

static int mypage_get(sa_req *q)
{
    sa_tdata *t;
    sa_decl *d;
    int rv;

    if (!(d = own_decl(q, &rv))) {
        return rv;
    }
    t = sa_page(q, "マイページ（自己宣言状況確認）");
    sa_put_declaration(q, t, company_of(q->p, d), declaration_of(q->p, d));
    put_status(q, t, d);
    put_actions(q, t, d);
    if (put_history(q, t, d) != APR_SUCCESS) {
        return db_down(q);
    }
    put_notice(q, t);
    return send_page(q, SA_PAGE_MYPAGE, t);
}

/* --- ステップアップ ---------------------------------------------------------- */

static const char *const stepup_texts[] = { "score", NULL };

/* What a step-up of d does: it is not accepted yet, so it is accepted as
 * 二つ星 (declared); it is accepted and the site accepts at once
 * (immediate); or the 一つ星 holds until the secretariat accepts the
 * step-up (pending).  The names are the keys of its texts. */
typedef enum { WAY_DECLARED = 0, WAY_IMMEDIATE, WAY_PENDING } stepup_way;
static const char *const way_names[] = { "declared", "immediate", "pending" };
/* the history's note of each way (read by the secretariat) */
static const char *const way_notes[] = { "受理前に二つ星へ", "即時受理", "二つ星の受理待ち" };

static stepup_way stepup_way_of(const sa_server_conf *c, const sa_decl *d)
{
    if (!is_accepted(d)) {
        return WAY_DECLARED;
    }
    return c->accept_mode == SA_ACCEPT_IMMEDIATE ? WAY_IMMEDIATE : WAY_PENDING;
}

/* The declaration, when it may step up; else a page (stopped or revoked)
 * or back to マイページ (二つ星 already, or a step-up waiting). */
static sa_decl *stepup_decl(sa_req *q, int *rv)
{
    sa_decl *d = active_decl(q, rv);
    if (d && !can_step_up(d)) {
        *rv = see_other(q, "/mypage");
        return NULL;
    }
    return d;
}

static int stepup_get(sa_req *q)
{
    const apr_table_t *vals;
    sa_tdata *t;
    int rv;

    if (!stepup_decl(q, &rv)) {
        return rv;
    }
    t = sa_form_page(q, "stepup", "ステップアップ（二つ星）", sa_scope_table(q, "stepup"),
                     stepup_texts, &vals);
    sa_form_flag(q, t, vals, "pledge2", "1");
    sa_tdata_text(t, "level2_label", level_label("2"));
    sa_form_choices(t, "publish", sa_publish_methods, vals, "publish");
    return send_page(q, SA_PAGE_STEPUP, t);
}

static int stepup_post(sa_req *q)
{
    apr_table_t *out = apr_table_make(q->p, 4);
    apr_array_header_t *errs = apr_array_make(q->p, 4, sizeof(sa_error));
    sa_decl *d;
    int rv;

    if (!(d = stepup_decl(q, &rv))) {
        return rv;
    }
    if (sa_stepup_validate(q->p, q->form, out, errs) > 0) {
        return refuse(q, "stepup", errs, "/mypage/stepup");
    }
    keep_form(q, "stepup", out, d);
    return see_other(q, "/mypage/stepup/confirm");
}

static int stepup_confirm_get(sa_req *q)
{
    apr_table_t *v = sa_scope_table(q, "stepup");
    sa_tdata *t;
    sa_decl *d;
    int rv;

    if (!(d = stepup_decl(q, &rv))) {
        return rv;
    }
    if (!v) {
        return see_other(q, "/mypage/stepup");
    }
    t = sa_page(q, "ステップアップの内容確認");
    sa_form_texts(q, t, v, stepup_texts);
    sa_tdata_text(t, "level2_label", level_label("2"));
    sa_tdata_text(t, "publish_labels",
                  sa_choice_labels(q->p, sa_publish_methods, apr_table_get(v, "publish")));
    sa_tdata_text(t, "accept_note", catalog(q, "stepup_note", way_names[stepup_way_of(q->c, d)]));
    return send_page(q, SA_PAGE_STEPUP_CONFIRM, t);
}

/* The record after a step-up: 二つ星 at once, or 二つ星 waiting while the
 * accepted 一つ星 stays valid. */
static sa_decl *stepped_up(sa_req *q, const sa_decl *d, const apr_table_t *v, stepup_way way)
{
    sa_decl *after = sa_decl_copy(q->p, d);
    after->score = nullable(v, "score");
    after->publish = nullable(v, "publish");
    if (way == WAY_PENDING) {
        after->pending_level = 2;
    }
    else {
        after->level = 2;
        if (way == WAY_IMMEDIATE) {
            after->accepted_at = now_sec();
        }
    }
    return after;
}

static int stepup_confirm_post(sa_req *q)
{
    apr_table_t *v = sa_scope_table(q, "stepup");
    stepup_way way;
    sa_change_mail *m;
    sa_decl *d;
    apr_status_t st;
    int rv;

    if (!(d = stepup_decl(q, &rv))) {
        return rv;
    }
    if (!v) {
        return see_other(q, "/mypage/stepup");
    }
    if (apr_table_get(q->form, "change")) {
        return see_other(q, "/mypage/stepup");     /* the form shows the values kept */
    }
    if (!apr_table_get(q->form, "submit")) {
        return see_other(q, "/mypage/stepup/confirm");
    }
    if (!same_version(q, "stepup", d)) {
        return change_failed(q, APR_EEXIST, "stepup");
    }
    way = stepup_way_of(q->c, d);
    m = mail_for(q, d, SA_MAIL_STEPUP);
    apr_table_setn(m->vals, "declaration_no", or_empty(d->declaration_no));
    apr_table_setn(m->vals, "login_url", apr_pstrcat(q->p, sa_base_url(q), "/login", NULL));
    if (way == WAY_DECLARED) {
        /* nothing was accepted yet: the declaration simply waits as 二つ星 */
        apr_table_setn(m->vals, "not_yet_accepted", "1");
    }
    if (way == WAY_IMMEDIATE) {
        apr_table_setn(m->vals, "accepted", "1");
    }
    st = apply(q, d, stepped_up(q, d, v, way), SA_EV_STEPUP, way_notes[way], m);
    if (st != APR_SUCCESS) {
        return change_failed(q, st, "stepup");
    }
    forget_form(q, "stepup");
    return done(q, apr_pstrcat(q->p, "stepup.", way_names[way], NULL));
}

/* --- 登録情報の変更 ---------------------------------------------------------- */

static void put_kind(sa_req *q, sa_tdata *t, const sa_decl *d)
{
    int corp = d->kind && !strcmp(d->kind, "corp");
    sa_tdata_flag(t, "corp", corp);
    sa_tdata_flag(t, "sole", !corp);
    sa_tdata_text(t, "kind_label", catalog(q, "registered_fields", corp ? "kind.corp" : "kind.sole"));
}

static int edit_get(sa_req *q)
{
    const sa_server_conf *c = q->c;
    const apr_table_t *vals;
    sa_tdata *t;
    sa_decl *d;
    int rv;

    if (!(d = active_decl(q, &rv))) {
        return rv;
    }
    t = sa_form_page(q, "edit", "登録情報の変更", company_of(q->p, d), sa_company_texts, &vals);
    put_kind(q, t, d);
    sa_form_flag(q, t, vals, "member", "yes");
    sa_form_flag(q, t, vals, "member", "no");
    sa_form_flag(q, t, vals, "ipa_info", "yes");
    sa_form_flag(q, t, vals, "ipa_info", "no");
    sa_form_refitems(t, "prefs", c->ref->prefectures, apr_table_get(vals, "pref"));
    sa_form_refitems(t, "majors", c->ref->jsic_major, apr_table_get(vals, "jsic_major"));
    sa_form_middle_groups(t, "middle_groups", c->ref, apr_table_get(vals, "jsic_middle"));
    sa_tdata_flag(t, "postal_lookup", c->postal != NULL);
    return send_page(q, SA_PAGE_EDIT, t);
}

static int edit_post(sa_req *q)
{
    apr_table_t *out = apr_table_make(q->p, 24);
    apr_array_header_t *errs = apr_array_make(q->p, 8, sizeof(sa_error));
    sa_decl *d;
    int rv;

    if (!(d = active_decl(q, &rv))) {
        return rv;
    }
    if (apr_table_get(q->form, "lookup")) {
        return sa_postal_lookup_post(q, "edit", "/mypage/edit");
    }
    if (sa_business_validate(q->p, q->c->ref, d->kind, q->form, out, errs) > 0) {
        return refuse(q, "edit", errs, "/mypage/edit");
    }
    keep_form(q, "edit", out, d);
    return see_other(q, "/mypage/edit/confirm");
}

/* The fields of d's kind that v changes: the confirm page's rows, the
 * mail's lines ("・項目：変更後の値") and whether a public one is among
 * them.  Returns how many. */
static int changes_of(sa_req *q, const sa_decl *d, const apr_table_t *v, sa_tdata *t,
                      const char **lines, int *public)
{
    const char *none = catalog(q, "registered_fields", "none");
    apr_size_t i;
    int n = 0;

    *lines = "";
    *public = 0;
    if (t) {
        sa_tdata_list(t, "changes");
    }
    for (i = 0; i < NFIELDS; i++) {
        const biz_field *f = &biz_fields[i];
        const char *before = field_value(d, f), *after = nullable(v, f->name), *shown;
        if (!kind_has(d, f) || same(before, after)) {
            continue;
        }
        shown = field_shown(q, f, after);
        if (t) {
            sa_tdata *it = sa_tdata_item(t, "changes");
            sa_tdata_text(it, "label", field_label(q, f));
            sa_tdata_text(it, "before", field_shown(q, f, before));
            sa_tdata_text(it, "after", shown);
        }
        *lines = apr_pstrcat(q->p, *lines, n ? "\n" : "", "・", field_label(q, f), "：",
                             shown ? shown : or_empty(none), NULL);
        *public |= f->public;
        n++;
    }
    return n;
}

/* The record with the edited fields of its kind (a field the form left
 * out, such as 団体名 for 所属していない, is emptied). */
static sa_decl *edited(sa_req *q, const sa_decl *d, const apr_table_t *v)
{
    sa_decl *after = sa_decl_copy(q->p, d);
    apr_size_t i;
    for (i = 0; i < NFIELDS; i++) {
        if (kind_has(d, &biz_fields[i])) {
            set_field(after, &biz_fields[i], nullable(v, biz_fields[i].name));
        }
    }
    return after;
}

static int edit_confirm_get(sa_req *q)
{
    apr_table_t *v = sa_scope_table(q, "edit");
    const char *lines;
    sa_tdata *t;
    sa_decl *d;
    int rv, public;

    if (!(d = active_decl(q, &rv))) {
        return rv;
    }
    if (!v) {
        return see_other(q, "/mypage/edit");
    }
    t = sa_page(q, "登録情報の変更の確認");
    sa_tdata_flag(t, "no_changes", changes_of(q, d, v, t, &lines, &public) == 0);
    return send_page(q, SA_PAGE_EDIT_CONFIRM, t);
}

static int edit_confirm_post(sa_req *q)
{
    apr_table_t *v = sa_scope_table(q, "edit");
    const char *lines;
    sa_change_mail *m;
    sa_decl *d, *after;
    apr_status_t st;
    int rv, public;

    if (!(d = active_decl(q, &rv))) {
        return rv;
    }
    if (!v) {
        return see_other(q, "/mypage/edit");
    }
    if (apr_table_get(q->form, "change")) {
        /* the form shows what was typed, not the stored values */
        sa_flash(q, "edit", v, NULL);
        return see_other(q, "/mypage/edit");
    }
    if (!apr_table_get(q->form, "submit")) {
        return see_other(q, "/mypage/edit/confirm");
    }
    if (!same_version(q, "edit", d)) {
        return change_failed(q, APR_EEXIST, "edit");
    }
    if (changes_of(q, d, v, NULL, &lines, &public) == 0) {
        forget_form(q, "edit");
        return see_other(q, "/mypage");
    }
    after = edited(q, d, v);
    m = mail_for(q, after, SA_MAIL_DATA_CHANGED);
    apr_table_setn(m->vals, "changed_at", sa_text_datetime(q->p, apr_time_now()));
    apr_table_setn(m->vals, "changes", lines);
    apr_table_setn(m->vals, "login_url", apr_pstrcat(q->p, sa_base_url(q), "/login", NULL));
    if (public) {
        apr_table_setn(m->vals, "public", "1");
    }
    st = apply(q, d, after, SA_EV_EDIT, NULL, m);
    if (st != APR_SUCCESS) {
        return change_failed(q, st, "edit");
    }
    forget_form(q, "edit");
    return done(q, "edit");
}

/* --- 担当者の変更 ------------------------------------------------------------ */

static const char *const contact_texts[] = {
    "declaration_no", "contact_name", "email", "email2", NULL
};

static int contact_get(sa_req *q)
{
    const apr_table_t *vals;
    sa_tdata *t;
    sa_decl *d;
    int rv;

    if (!(d = active_decl(q, &rv))) {
        return rv;
    }
    if (sa_scope_get(q, "contact.sent")) {
        sa_scope_set(q, "contact.sent", NULL);
    }
    t = sa_form_page(q, "contact", "担当者の変更", NULL, contact_texts, &vals);
    sa_tdata_text(t, "current_email_masked", sa_mask_email(q->p, d->email));
    sa_tdata_text(t, "lifetime", sa_text_duration(q->p, q->c->contact_lifetime));
    return send_page(q, SA_PAGE_CONTACT, t);
}

/* Whether d has had too many contact confirmations mailed in the last
 * hour (*failed: the database could not tell). */
static int too_many_links(sa_req *q, const sa_decl *d, int *failed)
{
    long n = 0;
    *failed = sa_link_count_since(q->p, sa_db(q), d->id, SA_LINK_CONTACT, now_sec() - 3600, &n)
              != APR_SUCCESS;
    if (!*failed && n >= CONTACT_LINKS_PER_HOUR) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, SALOG(071)
                      "mod_secaction: contact change refused: too many confirmation mails "
                      "for declaration %" APR_INT64_T_FMT " within an hour", d->id);
        return 1;
    }
    return 0;
}

/* Mails the link that confirms the new contact to the new address. */
static apr_status_t mail_contact_link(sa_req *q, const sa_decl *d, const apr_table_t *out,
                                      const char **key)
{
    apr_pool_t *p = q->p;
    int lifetime = q->c->contact_lifetime;
    sa_change_mail m = { SA_MAIL_CONTACT_CONFIRM, apr_table_get(out, "email"),
                         apr_table_make(p, 6), NULL };
    const char *name = apr_table_get(out, "contact_name");

    apr_table_setn(m.vals, "name", sa_decl_name(p, d));
    apr_table_setn(m.vals, "new_contact_name", name);
    apr_table_setn(m.vals, "expires", datetime_of(p, now_sec() + lifetime));
    apr_table_setn(m.vals, "lifetime", sa_text_duration(p, lifetime));
    return sa_link_issue(p, sa_db(q), q->c, d, SA_LINK_CONTACT, name, m.to, lifetime,
                         apr_pstrcat(p, sa_base_url(q), "/contact/confirm", NULL),
                         "confirm_url", &m, key);
}

static int contact_post(sa_req *q)
{
    apr_table_t *out = apr_table_make(q->p, 8);
    apr_array_header_t *errs = apr_array_make(q->p, 4, sizeof(sa_error));
    const char *key = NULL;
    sa_decl *d;
    int rv, failed = 0;

    if (!(d = active_decl(q, &rv))) {
        return rv;
    }
    if (sa_contact_validate(q->p, d->declaration_no, q->form, out, errs) == 0
        && too_many_links(q, d, &failed)) {
        sa_form_error(errs, "email", "確認のメールを続けてお送りしたため、しばらくお送りできません。"
                                     "1時間ほどしてから、もう一度お試しください。");
    }
    if (failed) {
        return db_down(q);
    }
    if (errs->nelts > 0) {
        return refuse(q, "contact", errs, "/mypage/contact");
    }
    if (mail_contact_link(q, d, out, &key) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(072)
                      "mod_secaction: cannot store a contact confirmation link: %s",
                      sa_db_error(sa_db(q), APR_EGENERAL));
        return db_down(q);
    }
    sa_deliver_now(q, key);
    sa_flash_clear(q, "contact");
    sa_scope_set(q, "contact.sent", "1");
    return see_other(q, "/mypage/contact/sent");
}

/* The page after the mail: the contact stays until the new address
 * confirms (only after a send, so it never claims one that did not happen). */
static int contact_sent_get(sa_req *q)
{
    int rv;
    if (!own_decl(q, &rv)) {
        return rv;
    }
    if (!sa_scope_get(q, "contact.sent")) {
        return see_other(q, "/mypage");
    }
    return session_kept(q) ? sa_msg(q, HTTP_OK, "contact_sent") : OK;
}

/* --- 自己宣言の停止 ---------------------------------------------------------- */

static int stop_get(sa_req *q)
{
    const apr_table_t *vals;
    sa_tdata *t;
    int rv;

    if (!active_decl(q, &rv)) {
        return rv;
    }
    t = sa_form_page(q, "stop", "自己宣言の停止", NULL, NULL, &vals);
    return send_page(q, SA_PAGE_STOP, t);
}

static int stop_post(sa_req *q)
{
    apr_array_header_t *errs = apr_array_make(q->p, 1, sizeof(sa_error));
    const char *confirm = apr_table_get(q->form, "confirm");
    sa_change_mail *m;
    sa_decl *d, *after;
    apr_status_t st;
    int rv;

    if (!(d = active_decl(q, &rv))) {
        return rv;
    }
    if (!confirm || strcmp(confirm, "1")) {
        sa_form_error(errs, "confirm", "停止する場合は「上記を確認しました」にチェックを入れてください。");
        return refuse(q, "stop", errs, "/mypage/stop");
    }
    after = sa_decl_copy(q->p, d);
    after->state = sa_state_name(SA_ST_STOPPED);
    after->stopped_at = now_sec();
    after->pending_level = 0;      /* a step-up waiting ends with the declaration */
    m = mail_for(q, d, SA_MAIL_STOPPED);
    apr_table_setn(m->vals, "level_name", sa_level_name(level_text(q->p, d->level)));
    apr_table_setn(m->vals, "declaration_no", or_empty(d->declaration_no));
    apr_table_setn(m->vals, "stopped_at", datetime_of(q->p, after->stopped_at));
    st = apply(q, d, after, SA_EV_STOP, NULL, m);
    if (st != APR_SUCCESS) {
        return change_failed(q, st, NULL);
    }
    sa_flash_clear(q, "stop");
    forget_form(q, "stepup");
    forget_form(q, "edit");
    return done(q, "stop");
}

/* --- パスワード変更 ---------------------------------------------------------- */

static int password_get(sa_req *q)
{
    const apr_table_t *vals;
    sa_tdata *t;
    int rv;

    if (!own_decl(q, &rv)) {
        return rv;
    }
    t = sa_form_page(q, "password", "パスワード変更", NULL, NULL, &vals);
    sa_tdata_text(t, "pw_min", apr_itoa(q->p, SA_PASSWORD_MIN));
    sa_tdata_text(t, "pw_max", apr_itoa(q->p, SA_PASSWORD_MAX));
    sa_tdata_text(t, "pw_symbols", SA_PASSWORD_SYMBOLS);
    return send_page(q, SA_PAGE_PASSWORD, t);
}

/* The three fields' errors: the current password must be the stored one,
 * the new one must meet the policy and be typed twice the same.  Passwords
 * are taken as sent: trimming would silently change a secret. */
static void password_errors(const sa_decl *d, const apr_table_t *form, apr_array_header_t *errs)
{
    const char *cur = apr_table_get(form, "current"), *msg;
    const char *pw = apr_table_get(form, "password"), *pw2 = apr_table_get(form, "password2");

    if (!cur || !*cur) {
        sa_form_error(errs, "current", "現在のパスワードを入力してください。");
    }
    else if (!d->password_hash || !sa_password_verify(cur, d->password_hash)) {
        sa_form_error(errs, "current", "現在のパスワードが正しくありません。");
    }
    if ((msg = sa_password_policy(pw ? pw : "")) != NULL) {
        sa_form_error(errs, "password", msg);
    }
    if ((msg = sa_password_confirm(pw, pw2)) != NULL) {
        sa_form_error(errs, "password2", msg);
    }
}

/* A wrong current password counts like a wrong login: someone holding a
 * stolen session cannot try passwords here without limit.  When that locks
 * the account, every session of it ends and the login page says why;
 * returns true then (the answer was sent). */
static int wrong_current(sa_req *q, const sa_decl *d)
{
    const char *cur = apr_table_get(q->form, "current");
    apr_int64_t now = apr_time_sec(apr_time_now()), locked = 0;
    sa_login_policy pol;
    int failures = 0;
    if (!cur || !*cur || (d->password_hash && sa_password_verify(cur, d->password_hash))) {
        return 0;
    }
    pol.slow_after = q->c->login_slow_after;
    pol.max_failures = q->c->login_max_failures;
    pol.lock_seconds = q->c->login_lock;
    sa_login_failed(&pol, (int)d->login_failures, d->login_locked_until, now, &failures, &locked);
    sa_decl_set_login_guard(q->p, sa_db(q), d->id, failures, now, locked);
    if (locked <= now) {
        return 0;
    }
    sa_login_end_all(q, d->id, NULL);
    sa_login_end(q);
    return sa_see_other(q, "/login") == OK;
}

static int password_post(sa_req *q)
{
    apr_array_header_t *errs = apr_array_make(q->p, 3, sizeof(sa_error));
    const char *base = sa_base_url(q), *hash;
    sa_change_mail *m;
    sa_decl *d, *after;
    apr_status_t st;
    int rv;

    if (!(d = own_decl(q, &rv))) {
        return rv;
    }
    password_errors(d, q->form, errs);
    if (errs->nelts > 0 && wrong_current(q, d)) {
        return OK;      /* counted as a wrong login; the page was sent */
    }
    if (errs->nelts > 0) {
        return refuse(q, "password", errs, "/mypage/password");
    }
    hash = sa_password_hash(q->p, apr_table_get(q->form, "password"), q->c->password_cost);
    if (!hash) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(073)
                      "mod_secaction: password hashing failed");
        return db_down(q);
    }
    after = sa_decl_copy(q->p, d);
    after->password_hash = hash;
    m = mail_for(q, d, SA_MAIL_PASSWORD_CHANGED);
    apr_table_setn(m->vals, "changed_at", sa_text_datetime(q->p, apr_time_now()));
    apr_table_setn(m->vals, "login_url", apr_pstrcat(q->p, base, "/login", NULL));
    apr_table_setn(m->vals, "reset_request_url", apr_pstrcat(q->p, base, "/password-reset", NULL));
    st = apply(q, d, after, SA_EV_PASSWORD, NULL, m);
    if (st != APR_SUCCESS) {
        return change_failed(q, st, NULL);
    }
    /* whoever else knew the old password is logged out; this browser stays */
    if (sa_login_end_all(q, d->id, q->login->id_hash) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(074)
                      "mod_secaction: the other login sessions of declaration %" APR_INT64_T_FMT
                      " could not be ended after a password change", d->id);
    }
    sa_flash_clear(q, "password");
    return done(q, "password");
}

/* --- ロゴマークダウンロード -------------------------------------------------- */

static const char *const doc_keys[SA_DOC_COUNT] = {
    [SA_DOC_PROCEDURE] = "doc.procedure", [SA_DOC_GUIDELINE] = "doc.guideline"
};
static const char *const doc_paths[SA_DOC_COUNT] = {
    [SA_DOC_PROCEDURE] = "/mypage/logo/procedure", [SA_DOC_GUIDELINE] = "/mypage/logo/guideline"
};
static const char *const format_ext[SA_LOGO_FORMATS] = {
    [SA_LOGO_SVG] = "svg", [SA_LOGO_PNG] = "png"
};

static int both_docs_opened(sa_req *q)
{
    return sa_scope_get(q, doc_keys[SA_DOC_PROCEDURE]) && sa_scope_get(q, doc_keys[SA_DOC_GUIDELINE]);
}

/* "12 KB" (rounded up, so a small file never shows 0), "1.5 MB". */
static const char *size_text(apr_pool_t *p, apr_size_t len)
{
    if (len < 1024 * 1024) {
        return apr_psprintf(p, "%" APR_SIZE_T_FMT " KB", (len + 1023) / 1024);
    }
    return apr_psprintf(p, "%.1f MB", (double)len / (1024.0 * 1024.0));
}

static void put_logo_files(sa_req *q, sa_tdata *t, const sa_decl *d)
{
    const char *level = sa_level_name(level_text(q->p, d->level));
    int f;
    sa_tdata_list(t, "files");
    for (f = 0; f < SA_LOGO_FORMATS; f++) {
        sa_tdata *it = sa_tdata_item(t, "files");
        sa_tdata_text(it, "url", url_of(q, apr_pstrcat(q->p, "/mypage/logo/download/",
                                                       format_ext[f], NULL)));
        sa_tdata_text(it, "label", apr_pstrcat(q->p, level,
                                               or_empty(catalog(q, "logo_files", format_ext[f])),
                                               NULL));
        sa_tdata_text(it, "size", size_text(q->p, q->c->logos[d->level == 2 ? 1 : 0][f].len));
    }
}

static int logo_get(sa_req *q)
{
    sa_tdata *t;
    sa_decl *d;
    int rv, i;

    if (!(d = own_decl(q, &rv))) {
        return rv;
    }
    t = sa_page(q, "ロゴマークダウンロード");
    if (!is_accepted(d)) {
        sa_tdata_flag(t, "not_accepted", 1);
        sa_tdata_text(t, "state_label", sa_state_label(state_of(d)));
        return send_page(q, SA_PAGE_LOGO, t);
    }
    for (i = 0; i < SA_DOC_COUNT; i++) {
        const char *name = i == SA_DOC_PROCEDURE ? "procedure" : "guideline";
        sa_tdata_text(t, apr_pstrcat(q->p, name, "_url", NULL), url_of(q, doc_paths[i]));
        sa_tdata_flag(t, apr_pstrcat(q->p, name, "_opened", NULL), sa_scope_get(q, doc_keys[i]) != NULL);
    }
    sa_tdata_flag(t, "can_download", both_docs_opened(q));
    put_logo_files(q, t, d);
    return send_page(q, SA_PAGE_LOGO, t);
}

/* The file's own name for Content-Disposition, with anything but
 * [A-Za-z0-9._-] replaced: the header must stay one quoted token. */
static const char *file_name(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');
    char *n = apr_pstrdup(p, slash ? slash + 1 : path), *c;
    for (c = n; *c; c++) {
        if (!apr_isalnum(*c) && *c != '.' && *c != '-' && *c != '_') {
            *c = '_';
        }
    }
    return n;
}

/* Sends a configured file as it is.  HTML and SVG can carry scripts, so
 * they get a policy that lets them run nothing. */
static int send_file(sa_req *q, const sa_file *f, const char *disposition, const char *name)
{
    request_rec *r = q->r;
    apr_table_t *h = r->headers_out;
    ap_set_content_type(r, f->type);
    apr_table_setn(h, "Content-Disposition",
                   apr_psprintf(q->p, "%s; filename=\"%s\"", disposition, name));
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "Cache-Control", "no-store");
    apr_table_setn(h, "Referrer-Policy", "no-referrer");
    if (!strncmp(f->type, "text/html", 9) || !strcmp(f->type, "image/svg+xml")) {
        apr_table_setn(h, "Content-Security-Policy",
                       "default-src 'none'; img-src 'self'; style-src 'self'; "
                       "frame-ancestors 'none'");
    }
    ap_set_content_length(r, (apr_off_t)f->len);
    if (!r->header_only && f->len > 0) {
        ap_rwrite(f->data, (int)f->len, r);
    }
    return OK;
}

/* A logo document: opening it is what the download waits for, so it is
 * recorded in the login session (on the server) before the body goes. */
static int doc_get(sa_req *q, sa_doc_id which)
{
    const sa_file *f = &q->c->docs[which];
    sa_decl *d;
    int rv;

    if (!(d = own_decl(q, &rv))) {
        return rv;
    }
    if (!is_accepted(d)) {
        return sa_msg(q, HTTP_FORBIDDEN, "logo_refused");
    }
    if (!q->r->header_only && !sa_scope_get(q, doc_keys[which])) {
        sa_scope_set(q, doc_keys[which], "1");
    }
    if (!session_kept(q)) {
        return OK;
    }
    return send_file(q, f, "inline", file_name(q->p, f->path));
}

static int procedure_get(sa_req *q)
{
    return doc_get(q, SA_DOC_PROCEDURE);
}

static int guideline_get(sa_req *q)
{
    return doc_get(q, SA_DOC_GUIDELINE);
}

/* The logo of the accepted level, once both documents were opened. */
static int download(sa_req *q, sa_logo_format fmt)
{
    sa_decl *d;
    int rv;

    if (!(d = own_decl(q, &rv))) {
        return rv;
    }
    if (!is_accepted(d) || !both_docs_opened(q) || d->level < 1 || d->level > 2) {
        return sa_msg(q, HTTP_FORBIDDEN, "logo_refused");
    }
    if (!session_kept(q)) {
        return OK;
    }
    return send_file(q, &q->c->logos[d->level - 1][fmt], "attachment",
                     apr_pstrcat(q->p, "security-action-", d->level == 2 ? "two" : "one",
                                 "-star.", format_ext[fmt], NULL));
}

static int download_svg(sa_req *q)
{
    return download(q, SA_LOGO_SVG);
}

static int download_png(sa_req *q)
{
    return download(q, SA_LOGO_PNG);
}

/* --- routes ---------------------------------------------------------------- */

#define LOGIN (SA_R_LOGIN | SA_R_DB)
#define FORM  (SA_R_LOGIN | SA_R_DB | SA_R_FORM)

static const sa_route routes[] = {
    { M_GET,  "/mypage",                      LOGIN, mypage_get },
    { M_GET,  "/mypage/stepup",               LOGIN, stepup_get },
    { M_POST, "/mypage/stepup",               FORM,  stepup_post },
    { M_GET,  "/mypage/stepup/confirm",       LOGIN, stepup_confirm_get },
    { M_POST, "/mypage/stepup/confirm",       FORM,  stepup_confirm_post },
    { M_GET,  "/mypage/edit",                 LOGIN, edit_get },
    { M_POST, "/mypage/edit",                 FORM,  edit_post },
    { M_GET,  "/mypage/edit/confirm",         LOGIN, edit_confirm_get },
    { M_POST, "/mypage/edit/confirm",         FORM,  edit_confirm_post },
    { M_GET,  "/mypage/contact",              LOGIN, contact_get },
    { M_POST, "/mypage/contact",              FORM,  contact_post },
    { M_GET,  "/mypage/contact/sent",         LOGIN, contact_sent_get },
    { M_GET,  "/mypage/stop",                 LOGIN, stop_get },
    { M_POST, "/mypage/stop",                 FORM,  stop_post },
    { M_GET,  "/mypage/password",             LOGIN, password_get },
    { M_POST, "/mypage/password",             FORM,  password_post },
    { M_GET,  "/mypage/logo",                 LOGIN, logo_get },
    { M_GET,  "/mypage/logo/procedure",       LOGIN, procedure_get },
    { M_GET,  "/mypage/logo/guideline",       LOGIN, guideline_get },
    { M_GET,  "/mypage/logo/download/svg",    LOGIN, download_svg },
    { M_GET,  "/mypage/logo/download/png",    LOGIN, download_png },
    { 0, NULL, 0, NULL }
};

const sa_route *sa_mypage_routes(void)
{
    return routes;
}
