/* Page plumbing (see sa_page.h). */
#include "httpd.h"
#include "http_log.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"
#include "apr_optional.h"
#include "util_script.h"
#include "util_cookies.h"
#include "mod_session.h"
#include "sa_page.h"
#include "sa_token.h"

APLOG_USE_MODULE(secaction);

#define SESS_PREFIX  "secaction."
#define FORM_MAX     (64 * 1024)
#define FORM_FIELDS  200

static APR_OPTIONAL_FN_TYPE(ap_session_load) *session_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) *session_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) *session_set;

static const char *const step_labels[] = {
    "使用規約確認", "事業者情報入力", "自己宣言入力", "内容確認",
    "受付確認", "メール確認", "宣言完了", NULL
};

void sa_page_retrieve_fns(void)
{
    session_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
    session_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
    session_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
}

static session_rec *session(request_rec *r)
{
    session_rec *z = NULL;
    if (!session_load || session_load(r, &z) != APR_SUCCESS) {
        return NULL;
    }
    return z;
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

const char *sa_csrf_token(request_rec *r)
{
    const char *t = sa_sess_get(r, "csrf");
    if (!t && (t = sa_token_new(r->pool)) != NULL) {
        sa_sess_set(r, "csrf", t);
    }
    return t;
}

int sa_csrf_ok(request_rec *r, const apr_table_t *form)
{
    const char *want = sa_sess_get(r, "csrf");
    const char *got = apr_table_get(form, "csrf");
    return want && got && sa_secure_equal(want, got);
}

int sa_read_form(request_rec *r, apr_table_t **form)
{
    apr_array_header_t *pairs = NULL;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    int rv, i;

    *form = apr_table_make(r->pool, 32);
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    rv = ap_parse_form_data(r, NULL, &pairs, FORM_FIELDS, FORM_MAX);
    if (rv != OK) {
        return rv;
    }
    for (i = 0; pairs && i < pairs->nelts; i++) {
        ap_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        apr_off_t len;
        apr_size_t size;
        char *buf;
        apr_brigade_length(pair->value, 1, &len);
        if (len < 0 || len > FORM_MAX) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        size = (apr_size_t)len;
        buf = apr_palloc(r->pool, size + 1);
        apr_brigade_flatten(pair->value, buf, &size);
        buf[size] = '\0';
        apr_table_addn(*form, pair->name, buf);
    }
    return OK;
}

const char *sa_query_arg(request_rec *r, const char *name)
{
    apr_table_t *args = NULL;
    const char *v;
    ap_args_to_table(r, &args);
    v = args ? apr_table_get(args, name) : NULL;
    return v;
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
    int i;
    sa_tdata_flag(d, "wizard", 1);
    /* only the wizard's pages start a session: a visit to TOP stores nothing */
    sa_tdata_text(d, "csrf", sa_csrf_token(r));
    for (i = 0; step_labels[i]; i++) {
        sa_tdata *it = sa_tdata_item(d, "steps");
        sa_tdata_text(it, "label", step_labels[i]);
        sa_tdata_flag(it, "current", i == current);
        sa_tdata_flag(it, "done", i < current);
        sa_tdata_text(it, "aria", i == current ? "step" : NULL);
    }
}

static apr_status_t write_response(void *ctx, const char *buf, apr_size_t len)
{
    request_rec *r = ctx;
    return ap_rwrite(buf, (int)len, r) < 0 ? APR_EGENERAL : APR_SUCCESS;
}

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
    r->status = status;
    page_headers(r);
    if (r->header_only) {
        return OK;
    }
    if (sa_tmpl_render(c->pages[SA_PAGE_LAYOUT], c->pages[id], d, write_response, r)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, APLOGNO(10020)
                      "mod_secaction: client went away while a page was written");
    }
    return OK;
}

int sa_page_message(request_rec *r, int status, const char *title, const char *message,
                    const char *link_path, const char *link_label)
{
    sa_tdata *d = sa_page_data(r, title);
    sa_tdata_text(d, "message", message);
    if (link_path) {
        sa_tdata_text(d, "link", apr_pstrcat(r->pool, sa_mount(r), link_path, NULL));
        sa_tdata_text(d, "link_label", link_label);
    }
    return sa_page_send(r, SA_PAGE_MESSAGE, d, status);
}

int sa_redirect(request_rec *r, const char *path)
{
    const char *url = ap_construct_url(r->pool,
                                       apr_pstrcat(r->pool, sa_mount(r), path, NULL), r);
    apr_table_setn(r->headers_out, "Location", url);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    r->status = HTTP_SEE_OTHER;
    ap_set_content_type(r, "text/plain; charset=UTF-8");
    if (!r->header_only) {
        ap_rputs("See Other\n", r);
    }
    return OK;
}
