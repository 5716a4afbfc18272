/* Static files, font size switch, privacy notice (see sa_site.h). */
#include "httpd.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include "util_cookies.h"
#include "sa_site.h"
#include "sa_page.h"

APLOG_USE_MODULE(secaction);

static int send_static(request_rec *r, sa_static_id id)
{
    const sa_static *s = &SA_SCONF(r->server)->statics[id];
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

static int css_get(request_rec *r)
{
    return send_static(r, SA_STATIC_CSS);
}

static int js_get(request_rec *r)
{
    return send_static(r, SA_STATIC_JS);
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
static int font_get(request_rec *r)
{
    const char *size = sa_query_arg(r, "size");
    const char *back = sa_query_arg(r, "back");
    const char *m = sa_mount(r);

    size = (size && !strcmp(size, "large")) ? "large" : "normal";
    ap_cookie_write(r, SA_FONT_COOKIE, size,
                    apr_pstrcat(r->pool, "path=", *m ? m : "/", ";SameSite=Lax;HttpOnly", NULL),
                    365 * 86400, r->err_headers_out, NULL);
    return sa_redirect(r, safe_back(back) ? back : "/");
}

static int privacy_get(request_rec *r)
{
    return sa_page_message(r, HTTP_OK, "個人情報の取扱いについて",
                           "ご入力いただいた担当者名、メールアドレス、電話番号、番地などの非公開情報は、"
                           "SECURITY ACTION の自己宣言の手続き、ロゴマークの提供、ご本人への連絡のためにだけ"
                           "利用し、公開の検索には表示しません。法令に基づく場合を除き、ご本人の同意なく"
                           "第三者に提供することはありません。",
                           "/", "TOPへ");
}

static const sa_route routes[] = {
    { M_GET, "/static/site.css", css_get },
    { M_GET, "/static/site.js",  js_get },
    { M_GET, "/font",            font_get },
    { M_GET, "/privacy",         privacy_get },
    { 0, NULL, NULL }
};

const sa_route *sa_site_routes(void)
{
    return routes;
}
