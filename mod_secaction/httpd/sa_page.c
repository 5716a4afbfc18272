/* Page plumbing (see sa_page.h). */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"
#include "apr_optional.h"
#include "apr_atomic.h"
#include "util_script.h"
#include "util_cookies.h"
#include "mod_session.h"
#include "sa_page.h"
#include "sa_storage.h"
#include "sa_token.h"
#include "sa_buf.h"

APLOG_USE_MODULE(secaction);

#define SESS_PREFIX  "secaction."

static APR_OPTIONAL_FN_TYPE(ap_session_load) *session_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) *session_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) *session_set;
static APR_OPTIONAL_FN_TYPE(ap_session_save) *session_save;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

void sa_page_retrieve_fns(void)
{
    session_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
    session_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
    session_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
    session_save = APR_RETRIEVE_OPTIONAL_FN(ap_session_save);
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

/* Set when loading the request's session failed: the session then stays
 * unavailable for the whole request (the pages say the service is busy,
 * and nothing is taken for a new start). */
#define SESS_FAILED_NOTE "secaction-session-failed"

static session_rec *session(request_rec *r)
{
    session_rec *z = NULL;
    if (!session_load || apr_table_get(r->notes, SESS_FAILED_NOTE)) {
        return NULL;
    }
    if (session_load(r, &z) != APR_SUCCESS) {
        apr_table_setn(r->notes, SESS_FAILED_NOTE, "1");
        return NULL;
    }
    return z;
}

int sa_sess_failed(request_rec *r)
{
    return apr_table_get(r->notes, SESS_FAILED_NOTE) != NULL;
}

/* The value of a cookie of before that after no longer has (NULL if none). */
static const char *cookie_taken(apr_pool_t *p, const char *before, const char *after)
{
    char *all = apr_pstrdup(p, before), *last, *c;
    for (c = apr_strtok(all, ";", &last); c; c = apr_strtok(NULL, ";", &last)) {
        const char *eq;
        while (*c == ' ') {
            c++;
        }
        if ((eq = strchr(c, '=')) != NULL && !(after && strstr(after, c))) {
            return eq + 1;
        }
    }
    return NULL;
}

/* A failed read of the draft does not always look like one: apr-util's
 * pgsql driver answers a sequential SELECT that failed (the server gone, a
 * refused table) with no rows, so mod_session_dbd loads a blank session;
 * and it takes the session cookie out of the request as it reads it, so a
 * second load in the request (mod_session's own fixups hook runs one) finds
 * no cookie at all.  The module therefore loads the session first, from a
 * fixups hook of its own, and when a cookie was taken but the session is
 * blank asks the database itself (a query that reports its errors) whether
 * that session is stored: an error, or a stored row the load did not see,
 * make the session unavailable for the request instead of a new start. */
void sa_sess_preload(request_rec *r)
{
    const char *before = apr_table_get(r->headers_in, "Cookie"), *key, **row;
    session_rec *z;
    ap_dbd_t *dbd;
    apr_status_t rv;
    if (!before || !(z = session(r)) || !apr_is_empty_table(z->entries)
        || !(key = cookie_taken(r->pool, before, apr_table_get(r->headers_in, "Cookie")))) {
        return;
    }
    /* (a connection reconnected since mod_session_dbd's query failed on it
     * gets its statements again here: the next request reads the draft) */
    dbd = dbd_acquire ? dbd_acquire(r) : NULL;
    sa_storage_check(dbd, r->server);
    row = dbd ? sa_db_row(r->pool, dbd, SA_Q_SESSION_STORED, 2, (const char *[]){
                              key, apr_psprintf(r->pool, "%" APR_TIME_T_FMT, apr_time_now()) }, &rv)
              : NULL;
    if (!row || strcmp(row[0], "0") != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, SALOG(045)
                      "mod_secaction: the draft session could not be read (%s)",
                      row ? "stored, but loaded blank" : "database unavailable");
        apr_table_setn(r->notes, SESS_FAILED_NOTE, "1");
    }
}

int sa_sess_available(request_rec *r)
{
    return session(r) != NULL;
}

const char *sa_sess_get(request_rec *r, const char *key)
{
    session_rec *z = session(r);
    const char *v = NULL;
    if (z) {
        session_get(r, z, apr_pstrcat(r->pool, SESS_PREFIX, key, NULL), &v);
    }
    return (v && *v) ? v : NULL;
}

void sa_sess_set(request_rec *r, const char *key, const char *val)
{
    session_rec *z = session(r);
    if (z) {
        session_set(r, z, apr_pstrcat(r->pool, SESS_PREFIX, key, NULL), val);
    }
}

int sa_sess_save(request_rec *r)
{
    session_rec *z = session(r);
    /* mod_session's output filter skips a session already written */
    if (!z || !z->dirty || z->written || !session_save) {
        return 1;
    }
    return session_save(r, z) == APR_SUCCESS && z->written;
}

const char *sa_csrf_token(request_rec *r)
{
    const char *t = sa_sess_get(r, "csrf");
    if (!t && (t = sa_token_new(r->pool)) != NULL) {
        sa_sess_set(r, "csrf", t);
    }
    return t;
}

const char *sa_query_arg(request_rec *r, const char *name)
{
    /* an HTML form's GET writes a space as '+': ap_unescape_urlencoded
     * decodes it (ap_args_to_table keeps the '+', so 「前田 博之」 found
     * nothing) */
    char *args, *pair, *last;
    if (!r->args) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (pair = apr_strtok(args, "&", &last); pair; pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        if (eq) {
            *eq = '\0';
        }
        if (ap_unescape_urlencoded(pair) != OK || strcmp(pair, name)) {
            continue;
        }
        if (!eq) {
            return "";
        }
        return ap_unescape_urlencoded(eq + 1) == OK ? eq + 1 : NULL;
    }
    return NULL;
}

const char *sa_mount(request_rec *r)
{
    return SA_SCONF(r->server)->mount;
}

sa_tdata *sa_page_data(request_rec *r, const char *title)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    sa_tdata *d = sa_tdata_make(r->pool);
    const char *font = NULL;
    int i;

    const char *m = sa_mount(r);
    static const char *const urls[][2] = {
        { "top_url", "/" }, { "css_url", "/static/site.css" }, { "js_url", "/static/site.js" },
        { "logo_url", "/mypage/logo" }, { "search_url", "/search" }, { "login_url", "/login" },
        { "entry_url", "/entry/" }, { "privacy_url", "/privacy" },
    };
    apr_size_t u;
    const char *back;

    sa_tdata_text(d, "mount", m);
    for (u = 0; u < sizeof(urls) / sizeof(urls[0]); u++) {
        sa_tdata_text(d, urls[u][0], apr_pstrcat(r->pool, m, urls[u][1], NULL));
    }
    /* the font switch comes back to this page (a path of ours, no query) */
    back = ap_escape_uri(r->pool, r->uri + strlen(m));
    sa_tdata_text(d, "font_normal_url",
                  apr_pstrcat(r->pool, m, "/font?size=normal&back=", back, NULL));
    sa_tdata_text(d, "font_large_url",
                  apr_pstrcat(r->pool, m, "/font?size=large&back=", back, NULL));
    sa_tdata_text(d, "form_action", r->uri);
    sa_tdata_text(d, "title", title);
    if (strcmp(title, SA_SITE_NAME)) {
        sa_tdata_text(d, "head_title", apr_pstrcat(r->pool, title, " | " SA_SITE_NAME, NULL));
    }
    ap_cookie_read(r, SA_FONT_COOKIE, &font, 0);
    sa_tdata_flag(d, "font_large", font && !strcmp(font, "large"));
    sa_tdata_text(d, "body_class", font && !strcmp(font, "large") ? "large" : "normal");
    sa_tdata_list(d, "links");
    for (i = 0; i < c->links->nelts; i++) {
        const sa_link *l = &APR_ARRAY_IDX(c->links, i, sa_link);
        sa_tdata *it = sa_tdata_item(d, "links");
        sa_tdata_text(it, "url", l->url);
        sa_tdata_text(it, "label", l->label);
    }
    return d;
}

void sa_page_progress(request_rec *r, sa_tdata *d, int current)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    apr_array_header_t *labels = sa_catalog_all(r->pool, c->texts, "wizard_steps", "item");
    int i;
    sa_tdata_flag(d, "wizard", 1);
    /* the compact form of small screens: 「2 / 7 事業者情報入力」 */
    sa_tdata_text(d, "step_no", apr_itoa(r->pool, current + 1));
    sa_tdata_text(d, "step_count", apr_itoa(r->pool, labels->nelts));
    if (current >= 0 && current < labels->nelts) {
        sa_tdata_text(d, "step_label", APR_ARRAY_IDX(labels, current, const char *));
    }
    for (i = 0; i < labels->nelts; i++) {
        sa_tdata *it = sa_tdata_item(d, "steps");
        sa_tdata_text(it, "label", APR_ARRAY_IDX(labels, i, const char *));
        sa_tdata_flag(it, "current", i == current);
        sa_tdata_flag(it, "done", i < current);
        sa_tdata_text(it, "aria", i == current ? "step" : NULL);
    }
}

/* A page is rendered into one buffer and handed to httpd in one bucket
 * with its Content-Length: no write per template run, no chunking.  The
 * buffer starts at the size this page had last time (kept per page id;
 * a stale size only costs a copy), so it rarely grows. */
static apr_uint32_t page_size_hint[SA_PAGE_COUNT];

/* Headers every page carries: no caching of personal data, no framing,
 * no referrer leaking a token, scripts and styles only from the site. */
static void page_headers(request_rec *r)
{
    apr_table_t *h = r->headers_out;
    ap_set_content_type(r, "text/html; charset=UTF-8");
    apr_table_setn(h, "Cache-Control", "no-store");
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "X-Frame-Options", "DENY");
    apr_table_setn(h, "Referrer-Policy", "no-referrer");
    apr_table_setn(h, "Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; form-action 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'; object-src 'none'");
}

int sa_page_send(request_rec *r, sa_page_id id, sa_tdata *d, int status)
{
    const sa_server_conf *c = SA_SCONF(r->server);
    sa_buf b;
    apr_bucket_brigade *bb;
    apr_uint32_t hint;

    r->status = status;
    page_headers(r);
    if (r->header_only) {
        return OK;
    }
    hint = apr_atomic_read32(&page_size_hint[id]);
    sa_buf_init(&b, r->pool, hint ? (apr_size_t)hint + 1024 : 16384);
    sa_tmpl_render(c->pages[SA_PAGE_LAYOUT], c->pages[id], d, sa_buf_write, &b);
    if (b.len != hint && b.len < APR_UINT32_MAX) {
        apr_atomic_set32(&page_size_hint[id], (apr_uint32_t)b.len);
    }
    ap_set_content_length(r, (apr_off_t)b.len);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(b.s, b.len, r->pool,
                                                       r->connection->bucket_alloc));
    if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, SALOG(020)
                      "mod_secaction: client went away while a page was written");
    }
    return OK;
}

int sa_redirect(request_rec *r, const char *path)
{
    /* a path, not a URL built from the request's Host header (RFC 7231
     * allows a relative Location; the browser keeps the host it used) */
    const char *url = apr_pstrcat(r->pool, sa_mount(r), path, NULL);
    apr_table_setn(r->headers_out, "Location", url);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    r->status = HTTP_SEE_OTHER;
    ap_set_content_type(r, "text/plain; charset=UTF-8");
    if (!r->header_only) {
        ap_rputs("See Other\n", r);
    }
    return OK;
}
