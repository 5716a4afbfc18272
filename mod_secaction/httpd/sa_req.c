/* The per-request context and the answers every area gives (see sa_req.h). */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"
#include "apr_optional.h"
#include "util_cookies.h"
#include "sa_req.h"
#include "sa_page.h"
#include "sa_session.h"
#include "sa_token.h"
#include "sa_kv.h"
#include "sa_formpage.h"
#include "sa_storage.h"

APLOG_USE_MODULE(secaction);

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

void sa_req_retrieve_fns(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

ap_dbd_t *sa_db(sa_req *q)
{
    if (!q->dbd_tried) {
        q->dbd_tried = 1;
        q->dbd = dbd_acquire ? dbd_acquire(q->r) : NULL;
        sa_storage_check(q->dbd, q->r->server);
        if (!q->dbd) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(030)
                          "mod_secaction: no database connection (check DBDriver/DBDParams)");
        }
    }
    return q->dbd;
}

/* --- session scopes ------------------------------------------------------ */

const char *sa_scope_get(sa_req *q, const char *key)
{
    if (q->route && (q->route->flags & SA_R_DRAFT)) {
        return sa_sess_get(q->r, key);
    }
    if (q->login) {
        const char *v = apr_table_get(q->login->data, key);
        return v && *v ? v : NULL;
    }
    return NULL;
}

void sa_scope_set(sa_req *q, const char *key, const char *val)
{
    if (q->route && (q->route->flags & SA_R_DRAFT)) {
        sa_sess_set(q->r, key, val);
    }
    else if (q->login) {
        if (val) {
            apr_table_set(q->login->data, key, val);
        }
        else {
            apr_table_unset(q->login->data, key);
        }
        q->login->dirty = 1;
    }
}

/* --- CSRF ----------------------------------------------------------------- */

static const char *anon_cookie_attrs(sa_req *q)
{
    const char *m = q->c->mount;
    int https = !strcmp(ap_http_scheme(q->r), "https");
    return apr_pstrcat(q->p, "path=", *m ? m : "/", ";HttpOnly;SameSite=Strict",
                       https ? ";Secure" : "", NULL);
}

static const char *anon_token(sa_req *q, int create)
{
    const char *v = NULL;
    ap_cookie_read(q->r, SA_CSRF_COOKIE, &v, 0);
    if (v && sa_token_wellformed(v)) {
        return v;
    }
    if (!create || !(v = sa_token_new(q->p))) {
        return NULL;
    }
    ap_cookie_write(q->r, SA_CSRF_COOKIE, v, anon_cookie_attrs(q), 0, q->r->err_headers_out,
                    NULL);
    /* later reads in this request see it */
    apr_table_addn(q->r->headers_in, "Cookie", apr_pstrcat(q->p, SA_CSRF_COOKIE "=", v, NULL));
    return v;
}

/* The wizard's draft session starts at its first accepted POST, never at
 * a GET (a visitor without a cookie must not make the server write a row):
 * until then its pages carry the cookie token, and the draft's own token
 * is made when the draft is. */
const char *sa_csrf(sa_req *q)
{
    const char *t;
    if (q->route && (q->route->flags & SA_R_DRAFT) && (t = sa_sess_get(q->r, "csrf"))) {
        return t;
    }
    if (q->login) {
        return q->login->csrf;
    }
    return anon_token(q, 1);
}

int sa_csrf_valid(sa_req *q)
{
    const char *got = q->form ? apr_table_get(q->form, "csrf") : NULL;
    const char *want = NULL;
    if (q->route && (q->route->flags & SA_R_DRAFT)) {
        want = sa_sess_get(q->r, "csrf");
    }
    else if (q->login) {
        want = q->login->csrf;
    }
    if (!want) {
        want = anon_token(q, 0);
    }
    return want && got && sa_secure_equal(want, got);
}

/* --- answers -------------------------------------------------------------- */

/* The draft could not be saved (its table locked, the database down): a
 * 503 page whose button sends the same form again, so nothing typed is
 * lost (but the passwords, which are never put into a page). */
static void draft_not_saved(sa_req *q)
{
    static const char *const never[] = { "csrf", "password", "password2", "current", NULL };
    sa_tdata *d = sa_msg_data(q, "draft_not_saved");
    const apr_array_header_t *a = q->form ? apr_table_elts(q->form) : NULL;
    const apr_table_entry_t *e = a ? (const apr_table_entry_t *)a->elts : NULL;
    int i, j, skip;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(104)
                  "mod_secaction: the wizard's session could not be saved (database down or "
                  "its session table locked); the applicant was asked to send again");
    sa_tdata_list(d, "resend");
    for (i = 0; a && i < a->nelts; i++) {
        for (skip = 0, j = 0; never[j]; j++) {
            skip |= !strcmp(e[i].key, never[j]);
        }
        if (!skip) {
            sa_tdata *it = sa_tdata_item(d, "resend");
            sa_tdata_text(it, "name", e[i].key);
            sa_tdata_text(it, "value", e[i].val);
        }
    }
    sa_tdata_text(d, "resend_action", q->r->uri);
    sa_tdata_text(d, "csrf", q->form ? apr_table_get(q->form, "csrf") : NULL);
    sa_page_send(q->r, SA_PAGE_MESSAGE, d, HTTP_SERVICE_UNAVAILABLE);
}

int sa_save_sessions(sa_req *q)
{
    if (q->route && (q->route->flags & SA_R_DRAFT) && !sa_sess_save(q->r)) {
        draft_not_saved(q);
        return 0;
    }
    if (sa_login_save(q) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(103)
                      "mod_secaction: a login session could not be saved (database down?)");
        sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        return 0;
    }
    return 1;
}

int sa_see_other(sa_req *q, const char *path)
{
    return sa_save_sessions(q) ? sa_redirect(q->r, path) : OK;
}

sa_tdata *sa_msg_data(sa_req *q, const char *id)
{
    const sa_catalog *cat = q->c->texts;
    const char *title = sa_catalog_text(cat, id, "title");
    const char *link = sa_catalog_text(cat, id, "link");
    apr_array_header_t *texts = sa_catalog_all(q->p, cat, id, "text");
    sa_tdata *d = sa_page(q, title ? title : "");
    int i;
    sa_tdata_list(d, "paragraphs");
    for (i = 0; i < texts->nelts; i++) {
        sa_tdata_text(sa_tdata_item(d, "paragraphs"), "text", APR_ARRAY_IDX(texts, i, const char *));
    }
    if (link) {
        sa_tdata_text(d, "link", apr_pstrcat(q->p, q->c->mount, link, NULL));
        sa_tdata_text(d, "link_label", sa_catalog_text(cat, id, "link_label"));
    }
    return d;
}

int sa_msg_link(sa_req *q, int status, const char *id, const char *link_path,
                const char *link_label)
{
    sa_tdata *d = sa_msg_data(q, id);
    if (link_path) {
        sa_tdata_text(d, "link", apr_pstrcat(q->p, q->c->mount, link_path, NULL));
        sa_tdata_text(d, "link_label", link_label);
    }
    return sa_page_send(q->r, SA_PAGE_MESSAGE, d, status);
}

int sa_msg(sa_req *q, int status, const char *id)
{
    return sa_msg_link(q, status, id, NULL, NULL);
}

const char *sa_base_url(sa_req *q)
{
    const server_rec *s = q->r->server;
    request_rec *r = q->r;
    apr_port_t port;
    if (q->c->base_url) {
        return q->c->base_url;
    }
    port = s->port ? s->port : ap_default_port(r);
    return apr_psprintf(q->p, "%s://%s%s%s%s", ap_http_scheme(r), s->server_hostname,
                        port == ap_default_port(r) ? "" : ":",
                        port == ap_default_port(r) ? "" : apr_itoa(q->p, port), q->c->mount);
}
