/* The business's account: /login and /logout, the password reset by mail
 * (/password-reset, /password-reset/set?t=…) and the confirmation of a new
 * contact address (/contact/confirm?t=…), which is opened from the new
 * address's mailbox, maybe in another browser, so it needs no login.
 *
 * Forms of visitors without a session are checked against a CSRF cookie
 * of their own (nothing is stored for them); a refused login or reset form
 * is answered with the form again (nothing changed, nothing to keep), the
 * password never kept.  The rules are the core's: sa_policy (slow-down and
 * lock), sa_form (the 利用者番号), sa_validate (the password policy).  Glue. */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "sa_route.h"
#include "sa_req.h"
#include "sa_formpage.h"
#include "sa_session.h"
#include "sa_decl_store.h"
#include "sa_links.h"
#include "sa_page.h"
#include "sa_wizard.h"
#include "sa_policy.h"
#include "sa_text.h"
#include "sa_token.h"
#include "sa_validate.h"

APLOG_USE_MODULE(secaction);

#define LINKS_PER_HOUR 3     /* reset mails to one declaration within an hour */

static const char *url(sa_req *q, const char *path)
{
    return apr_pstrcat(q->p, q->c->mount, path, NULL);
}

static apr_table_t *errors_table(sa_req *q, const apr_array_header_t *errs)
{
    apr_table_t *f = apr_table_make(q->p, 4);
    int i;
    for (i = 0; errs && i < errs->nelts; i++) {
        const sa_error *e = &APR_ARRAY_IDX(errs, i, sa_error);
        apr_table_setn(f, apr_pstrcat(q->p, "!", e->field, NULL), e->message);
    }
    return f;
}

static void put_password_policy(sa_req *q, sa_tdata *d)
{
    sa_tdata_text(d, "pw_min", apr_itoa(q->p, SA_PASSWORD_MIN));
    sa_tdata_text(d, "pw_max", apr_itoa(q->p, SA_PASSWORD_MAX));
    sa_tdata_text(d, "pw_symbols", SA_PASSWORD_SYMBOLS);
}

/* --- login ------------------------------------------------------------------ */

static int login_page(sa_req *q, int status, const char *user_no,
                      const apr_array_header_t *errs, const char *notice)
{
    sa_tdata *d = sa_page(q, "自己宣言状況確認（ログイン）");
    sa_form_errors(q, d, errs ? errors_table(q, errs) : NULL);
    sa_tdata_text(d, "v.user_no", user_no ? user_no : "");
    sa_tdata_text(d, "notice", notice);
    sa_tdata_text(d, "reset_url", url(q, "/password-reset"));
    sa_tdata_text(d, "entry_url", url(q, "/entry/"));
    return sa_page_send(q->r, SA_PAGE_LOGIN, d, status);
}

static int login_get(sa_req *q)
{
    if (q->login) {
        return sa_see_other(q, "/mypage");
    }
    return login_page(q, HTTP_OK, NULL, NULL, NULL);
}

static sa_login_policy login_policy(const sa_server_conf *c)
{
    sa_login_policy pol;
    pol.slow_after = c->login_slow_after;
    pol.max_failures = c->login_max_failures;
    pol.lock_seconds = c->login_lock;
    return pol;
}

/* The page's text for a login that must wait or is locked until retry_at. */
static const char *guard_notice(sa_req *q, const char *id, apr_int64_t retry_at, apr_int64_t now)
{
    const char *text = sa_catalog_text(q->c->texts, id, "text");
    return sa_catalog_fill(q->p, text, "wait", sa_text_wait(q->p, (long)(retry_at - now)));
}

static int login_post(sa_req *q)
{
    const char *typed = apr_table_get(q->form, "user_no");
    const char *pw = apr_table_get(q->form, "password"), *user_no, *msg;
    apr_array_header_t *errs = apr_array_make(q->p, 2, sizeof(sa_error));
    apr_int64_t now = apr_time_sec(apr_time_now()), retry_at = 0;
    sa_login_policy pol = login_policy(q->c);
    ap_dbd_t *dbd = sa_db(q);
    sa_decl *d = NULL;
    int ok;

    if ((msg = sa_user_number(q->p, typed, &user_no)) != NULL) {
        sa_form_error(errs, "user_no", msg);
    }
    if (!pw || !*pw) {
        sa_form_error(errs, "password", "パスワードを入力してください。");
    }
    if (errs->nelts) {
        return login_page(q, HTTP_OK, typed, errs, NULL);
    }
    if (sa_decl_by_user_no(q->p, dbd, user_no, &d) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    if (d && !sa_state_can_login(sa_state_parse(d->state))) {
        d = NULL;
    }
    if (d) {
        switch (sa_login_check(&pol, (int)d->login_failures, d->login_last_failure,
                               d->login_locked_until, now, &retry_at)) {
        case SA_LOGIN_WAIT:
            return login_page(q, HTTP_TOO_MANY_REQUESTS, typed, NULL,
                              guard_notice(q, "login_wait", retry_at, now));
        case SA_LOGIN_LOCKED:
            return login_page(q, HTTP_TOO_MANY_REQUESTS, typed, NULL,
                              guard_notice(q, "login_locked", retry_at, now));
        case SA_LOGIN_ALLOW:
            break;
        }
    }
    /* an unknown number costs the same bcrypt as a known one */
    ok = sa_password_verify(pw, d ? d->password_hash : q->c->dummy_hash) && d;
    if (!ok) {
        if (d) {
            int failures;
            apr_int64_t locked;
            sa_login_failed(&pol, (int)d->login_failures, d->login_locked_until, now,
                            &failures, &locked);
            sa_decl_set_login_guard(q->p, dbd, d->id, failures, now, locked);
            if (locked > now) {
                ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r, SALOG(110)
                              "mod_secaction: a login is locked after %d wrong passwords",
                              failures);
                return login_page(q, HTTP_TOO_MANY_REQUESTS, typed, NULL,
                                  guard_notice(q, "login_locked", locked, now));
            }
        }
        sa_form_error(errs, "password", sa_catalog_text(q->c->texts, "login_failed", "text"));
        return login_page(q, HTTP_OK, typed, errs, NULL);
    }
    if (d->login_failures || d->login_locked_until) {
        sa_decl_set_login_guard(q->p, dbd, d->id, 0, 0, 0);
    }
    if (sa_login_begin(q, d->id) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    return sa_see_other(q, "/mypage");
}

/* Logging out needs the form's token only while there is a login to end:
 * after it has expired, ログアウト simply says it is done. */
static int logout_post(sa_req *q)
{
    if (q->login) {
        if (sa_form_read(q) != OK || !sa_csrf_valid(q)) {
            return sa_msg_link(q, HTTP_FORBIDDEN, "csrf", "/mypage", "マイページへ");
        }
        sa_login_end(q);
    }
    return sa_see_other(q, "/logout");
}

static int logout_get(sa_req *q)
{
    return sa_msg(q, HTTP_OK, "logged_out");
}

/* --- password reset ------------------------------------------------------------ */

static int reset_request_page(sa_req *q, const apr_table_t *vals, const apr_array_header_t *errs)
{
    sa_tdata *d = sa_page(q, "パスワード再設定");
    static const char *const texts[] = { "user_no", "email", NULL };
    sa_form_errors(q, d, errs ? errors_table(q, errs) : NULL);
    sa_form_texts(q, d, vals, texts);
    sa_tdata_text(d, "lifetime", sa_text_duration(q->p, q->c->reset_lifetime));
    return sa_page_send(q->r, SA_PAGE_RESET_REQUEST, d, HTTP_OK);
}

static int reset_request_get(sa_req *q)
{
    return reset_request_page(q, NULL, NULL);
}

/* Whether address is the declaration's contact address (case aside). */
static int same_address(sa_req *q, const sa_decl *d, const char *typed)
{
    const char *norm;
    return d->email && typed && !sa_email(q->p, typed, &norm) && !strcasecmp(norm, d->email);
}

/* Mails a reset link when the number and address belong together; the
 * answer is the same whether they do or not, and the mail is left to the
 * background worker so that its time does not tell either. */
static int reset_request_post(sa_req *q)
{
    const char *typed = apr_table_get(q->form, "user_no");
    const char *email = apr_table_get(q->form, "email"), *user_no, *msg, *key;
    apr_array_header_t *errs = apr_array_make(q->p, 2, sizeof(sa_error));
    ap_dbd_t *dbd = sa_db(q);
    sa_decl *d = NULL;
    long recent = 0;

    if ((msg = sa_user_number(q->p, typed, &user_no)) != NULL) {
        sa_form_error(errs, "user_no", msg);
    }
    if (!email || !*sa_trim(q->p, email)) {
        sa_form_error(errs, "email", "登録されている担当者メールアドレスを入力してください。");
    }
    if (errs->nelts) {
        return reset_request_page(q, q->form, errs);
    }
    if (sa_decl_by_user_no(q->p, dbd, user_no, &d) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    if (d && sa_state_can_login(sa_state_parse(d->state)) && same_address(q, d, email)
        && sa_link_count_since(q->p, dbd, d->id, SA_LINK_RESET,
                               apr_time_sec(apr_time_now()) - 3600, &recent) == APR_SUCCESS
        && recent < LINKS_PER_HOUR) {
        sa_change_mail m;
        m.which = SA_MAIL_RESET;
        m.to = d->email;
        m.vals = apr_table_make(q->p, 6);
        apr_table_setn(m.vals, "name", sa_decl_name(q->p, d));
        apr_table_setn(m.vals, "contact_name", d->contact_name);
        apr_table_setn(m.vals, "lifetime", sa_text_duration(q->p, q->c->reset_lifetime));
        apr_table_setn(m.vals, "expires", sa_text_datetime(q->p, apr_time_now()
                       + apr_time_from_sec(q->c->reset_lifetime)));
        if (sa_link_issue(q->p, dbd, q->c, d, SA_LINK_RESET, NULL, NULL, q->c->reset_lifetime,
                          apr_pstrcat(q->p, sa_base_url(q), "/password-reset/set", NULL),
                          "reset_url", &m, &key) != APR_SUCCESS) {
            return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        }
    }
    return sa_see_other(q, "/password-reset/sent");
}

static int reset_sent_get(sa_req *q)
{
    return sa_msg(q, HTTP_OK, "reset_sent");
}

/* The declaration of a usable mailed link, or NULL (the page was sent). */
static sa_decl *link_target(sa_req *q, const char *token, sa_link_purpose purpose,
                            sa_link_rec **link, const char *unknown_id, int *sent)
{
    ap_dbd_t *dbd = sa_db(q);
    sa_decl *d = NULL;
    *sent = 0;
    if (sa_link_find(q->p, dbd, token, purpose, link) != APR_SUCCESS) {
        *sent = sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down") == OK;
        return NULL;
    }
    if (*link && !(*link)->used && (*link)->expires_at > apr_time_sec(apr_time_now())
        && sa_decl_by_id(q->p, dbd, (*link)->decl_id, &d) == APR_SUCCESS && d) {
        return d;
    }
    *sent = sa_msg(q, *link ? HTTP_GONE : HTTP_NOT_FOUND, unknown_id) == OK;
    return NULL;
}

static int reset_set_page(sa_req *q, const char *token, const apr_array_header_t *errs)
{
    sa_tdata *d = sa_page(q, "新しいパスワードの設定");
    sa_form_errors(q, d, errs ? errors_table(q, errs) : NULL);
    sa_tdata_text(d, "token", token);
    put_password_policy(q, d);
    return sa_page_send(q->r, SA_PAGE_RESET_SET, d, HTTP_OK);
}

static int reset_set_get(sa_req *q)
{
    const char *token = sa_query_arg(q->r, "t");
    sa_link_rec *link;
    int sent;
    if (!link_target(q, token, SA_LINK_RESET, &link, "reset_unknown", &sent)) {
        return OK;
    }
    return reset_set_page(q, token, NULL);
}

static int reset_set_post(sa_req *q)
{
    const char *token = apr_table_get(q->form, "t");
    const char *pw = apr_table_get(q->form, "password"), *pw2 = apr_table_get(q->form, "password2");
    apr_array_header_t *errs = apr_array_make(q->p, 2, sizeof(sa_error));
    sa_change_mail m;
    sa_change ch = { SA_EV_PASSWORD, SA_ACTOR_BUSINESS, NULL, "メールのリンクから再設定", &m, 1, 0 };
    sa_link_rec *link;
    sa_decl *d, *after;
    const char *msg, *hash;
    apr_status_t rv;
    int sent;

    if (!(d = link_target(q, token, SA_LINK_RESET, &link, "reset_unknown", &sent))) {
        return OK;
    }
    if ((msg = sa_password_policy(pw ? pw : "")) != NULL) {
        sa_form_error(errs, "password", msg);
    }
    if ((msg = sa_password_confirm(pw ? pw : "", pw2 ? pw2 : "")) != NULL) {
        sa_form_error(errs, "password2", msg);
    }
    if (errs->nelts) {
        return reset_set_page(q, token, errs);
    }
    if (!(hash = sa_password_hash(q->p, pw, q->c->password_cost))) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    after = sa_decl_copy(q->p, d);
    after->password_hash = hash;
    /* the owner proved it by mail: a lock from wrong passwords ends */
    after->login_failures = after->login_last_failure = after->login_locked_until = 0;
    ch.actor_name = d->user_no;
    ch.consume_link = link->id;
    m.which = SA_MAIL_PASSWORD_CHANGED;
    m.to = d->email;
    m.vals = apr_table_make(q->p, 6);
    apr_table_setn(m.vals, "name", sa_decl_name(q->p, d));
    apr_table_setn(m.vals, "contact_name", d->contact_name);
    apr_table_setn(m.vals, "changed_at", sa_text_datetime(q->p, apr_time_now()));
    apr_table_setn(m.vals, "login_url", apr_pstrcat(q->p, sa_base_url(q), "/login", NULL));
    apr_table_setn(m.vals, "reset_request_url",
                   apr_pstrcat(q->p, sa_base_url(q), "/password-reset", NULL));
    rv = sa_store_apply(q->p, sa_db(q), q->c, d, after, &ch);
    if (rv == APR_EEXIST) {
        return sa_msg(q, HTTP_GONE, "reset_unknown");
    }
    if (rv != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    /* whoever knew the old password is logged out everywhere */
    sa_login_end_all(q, d->id, NULL);
    sa_deliver_now(q, m.key);
    return sa_see_other(q, "/password-reset/done");
}

static int reset_done_get(sa_req *q)
{
    return sa_msg(q, HTTP_OK, "reset_done");
}

/* --- the new contact address's confirmation ------------------------------------ */

static int contact_confirm_get(sa_req *q)
{
    const char *token = sa_query_arg(q->r, "t");
    sa_link_rec *link;
    sa_decl *d;
    sa_tdata *t;
    int sent;
    if (!(d = link_target(q, token, SA_LINK_CONTACT, &link, "contact_unknown", &sent))) {
        return OK;
    }
    t = sa_page(q, "担当者変更の確認");
    sa_tdata_text(t, "name", sa_decl_name(q->p, d));
    sa_tdata_text(t, "new_contact_name", link->new_contact_name);
    sa_tdata_text(t, "new_email", link->new_email);
    sa_tdata_text(t, "token", token);
    return sa_page_send(q->r, SA_PAGE_CONTACT_CONFIRM, t, HTTP_OK);
}

static int contact_confirm_post(sa_req *q)
{
    const char *token = apr_table_get(q->form, "t");
    sa_change_mail m;
    sa_change ch = { SA_EV_CONTACT, SA_ACTOR_BUSINESS, NULL, "新しいアドレスで確認", &m, 1, 0 };
    sa_link_rec *link;
    sa_decl *d, *after;
    apr_status_t rv;
    int sent;

    if (!(d = link_target(q, token, SA_LINK_CONTACT, &link, "contact_unknown", &sent))) {
        return OK;
    }
    after = sa_decl_copy(q->p, d);
    after->contact_name = link->new_contact_name;
    after->email = link->new_email;
    ch.actor_name = d->user_no;
    ch.consume_link = link->id;
    /* the old address is told, without showing it the new one whole */
    m.which = SA_MAIL_CONTACT_CHANGED;
    m.to = d->email;
    m.vals = apr_table_make(q->p, 6);
    apr_table_setn(m.vals, "name", sa_decl_name(q->p, d));
    apr_table_setn(m.vals, "contact_name", d->contact_name);
    apr_table_setn(m.vals, "new_contact_name", link->new_contact_name);
    apr_table_setn(m.vals, "new_email_masked", sa_mask_email(q->p, link->new_email));
    apr_table_setn(m.vals, "changed_at", sa_text_datetime(q->p, apr_time_now()));
    rv = sa_store_apply(q->p, sa_db(q), q->c, d, after, &ch);
    if (rv == APR_EEXIST || rv == APR_EINVAL) {
        return sa_msg(q, HTTP_GONE, "contact_unknown");
    }
    if (rv != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    sa_deliver_now(q, m.key);
    return sa_see_other(q, "/contact/done");
}

static int contact_done_get(sa_req *q)
{
    return sa_msg(q, HTTP_OK, "contact_done");
}

/* --- routes ------------------------------------------------------------------ */

#define ANON_FORM (SA_R_FORM | SA_R_DB)

static const sa_route routes[] = {
    { M_GET,  "/login",               SA_R_WHO,             login_get },
    { M_POST, "/login",               ANON_FORM,            login_post },
    { M_POST, "/logout",              SA_R_WHO,             logout_post },
    { M_GET,  "/logout",              0,                    logout_get },
    { M_GET,  "/password-reset",      0,                    reset_request_get },
    { M_POST, "/password-reset",      ANON_FORM,            reset_request_post },
    { M_GET,  "/password-reset/sent", 0,                    reset_sent_get },
    { M_GET,  "/password-reset/set",  SA_R_DB,              reset_set_get },
    { M_POST, "/password-reset/set",  ANON_FORM,            reset_set_post },
    { M_GET,  "/password-reset/done", 0,                    reset_done_get },
    { M_GET,  "/contact/confirm",     SA_R_DB,              contact_confirm_get },
    { M_POST, "/contact/confirm",     ANON_FORM,            contact_confirm_post },
    { M_GET,  "/contact/done",        0,                    contact_done_get },
    { 0, NULL, 0, NULL }
};

const sa_route *sa_account_routes(void)
{
    return routes;
}
