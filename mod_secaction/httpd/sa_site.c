/* Site-wide URLs that are not part of a procedure: TOP, the style sheet
 * and script, the font-size switch, the privacy notice.  Glue. */
#include "httpd.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include "util_cookies.h"
#include "sa_route.h"
#include "sa_req.h"
#include "sa_formpage.h"
#include "sa_page.h"

APLOG_USE_MODULE(secaction);

static int send_static(sa_req *q, sa_static_id id)
{
    request_rec *r = q->r;
    const sa_static *s = &q->c->statics[id];
    const char *inm = apr_table_get(r->headers_in, "If-None-Match");
    ap_set_content_type(r, s->type);
    apr_table_setn(r->headers_out, "ETag", s->etag);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=3600");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (inm && !strcmp(inm, s->etag)) {
        return HTTP_NOT_MODIFIED;
    }
    ap_set_content_length(r, (apr_off_t)s->len);
    if (!r->header_only) {
        ap_rwrite(s->data, (int)s->len, r);
    }
    return OK;
}

static int css_get(sa_req *q)
{
    return send_static(q, SA_STATIC_CSS);
}

static int js_get(sa_req *q)
{
    return send_static(q, SA_STATIC_JS);
}

static int top_get(sa_req *q)
{
    return sa_page_send(q->r, SA_PAGE_TOP, sa_page(q, SA_SITE_NAME), HTTP_OK);
}

/* Whether back is a plain path of ours: "/entry/company", no scheme, no
 * host, no "//", no query. */
static int safe_back(const char *back)
{
    const char *p;
    if (!back || back[0] != '/' || back[1] == '/') {
        return 0;
    }
    for (p = back; *p; p++) {
        if (!apr_isalnum(*p) && !strchr("/-_.", *p)) {
            return 0;
        }
    }
    return 1;
}

/* Remembers the chosen font size in a cookie and goes back to the page the
 * switch was pressed on. */
static int font_get(sa_req *q)
{
    request_rec *r = q->r;
    const char *back = sa_query_arg(r, "back");

    sa_font_remember(q, sa_query_arg(r, "size"));
    return sa_redirect(r, safe_back(back) ? back : "/");
}

static int privacy_get(sa_req *q)
{
    return sa_page_send(q->r, SA_PAGE_PRIVACY, sa_page(q, "個人情報の取扱いについて"), HTTP_OK);
}

static const sa_route routes[] = {
    { M_GET, "/",                0, top_get },
    { M_GET, "/static/site.css", 0, css_get },
    { M_GET, "/static/site.js",  0, js_get },
    { M_GET, "/font",            0, font_get },
    { M_GET, "/privacy",         0, privacy_get },
    { 0, NULL, 0, NULL }
};

const sa_route *sa_site_routes(void)
{
    return routes;
}
