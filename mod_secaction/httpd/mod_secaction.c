/* mod_secaction: the SECURITY ACTION self-declaration service inside httpd.
 *
 * Read bottom-up: register_hooks at the end lists every hook.  The URL
 * space under the mount (<Location /security> SetHandler secaction) is
 * dispatched through the route tables of each area (sa_wizard.c,
 * sa_site.c); the status page is its own handler (secaction-status). */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"
#include "sa_config.h"
#include "sa_page.h"
#include "sa_storage.h"
#include "sa_outbox.h"
#include "sa_wizard.h"
#include "sa_site.h"
#include "sa_status.h"

static const sa_route *find_route(request_rec *r, const char *path, int *method_ok)
{
    const sa_route *tables[] = { sa_wizard_routes(), sa_site_routes() };
    apr_size_t t;
    *method_ok = 0;
    for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        const sa_route *rt;
        for (rt = tables[t]; rt->path; rt++) {
            if (strcmp(rt->path, path) == 0) {
                *method_ok = 1;
                if (rt->method == r->method_number
                    || (rt->method == M_GET && r->header_only)) {
                    return rt;
                }
            }
        }
    }
    return NULL;
}

static int not_found(request_rec *r)
{
    return sa_page_message(r, HTTP_NOT_FOUND, "ページが見つかりません",
                           "お探しのページは見つかりませんでした。URLをご確認ください。",
                           "/", "TOPへ");
}

static int secaction_handler(request_rec *r)
{
    const char *mount, *path;
    const sa_route *rt;
    int method_ok;

    if (strcmp(r->handler, "secaction-status") == 0) {
        return sa_status_handler(r);
    }
    if (strcmp(r->handler, "secaction") != 0) {
        return DECLINED;
    }
    mount = sa_mount(r);
    if (strncmp(r->uri, mount, strlen(mount)) != 0) {
        return DECLINED;
    }
    path = r->uri + strlen(mount);
    if (!*path) {
        return sa_redirect(r, "/");
    }
    if (!strcmp(path, "/entry")) {
        return sa_redirect(r, "/entry/");
    }
    rt = find_route(r, path, &method_ok);
    if (!rt) {
        if (method_ok) {
            r->allowed = (AP_METHOD_BIT << M_GET) | (AP_METHOD_BIT << M_POST);
            apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST");
            return sa_page_message(r, HTTP_METHOD_NOT_ALLOWED, "この操作はできません",
                                   "このページでは、その方法での送信を受け付けていません。",
                                   "/", "TOPへ");
        }
        return not_found(r);
    }
    return rt->handler(r);
}

static int secaction_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    (void)plog;
    (void)ptemp;
    if (!sa_storage_prepare(s)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, APLOGNO(10003)
                     "mod_secaction: mod_dbd is not loaded (LoadModule dbd_module ...)");
        return !OK;
    }
    return sa_config_check(pconf, s);
}

static void secaction_optional_fns(void)
{
    sa_page_retrieve_fns();
    sa_wizard_retrieve_fns();
}

static void secaction_child_init(apr_pool_t *pchild, server_rec *s)
{
    sa_outbox_child_init(pchild, s);
}

static void secaction_register_hooks(apr_pool_t *p)
{
    static const char *const after_dbd[] = { "mod_dbd.c", NULL };
    (void)p;
    ap_hook_check_config(secaction_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_optional_fn_retrieve(secaction_optional_fns, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(secaction_child_init, after_dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(secaction_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(secaction) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    sa_create_server_conf,
    sa_merge_server_conf,
    sa_directives,
    secaction_register_hooks,
    AP_MODULE_FLAG_NONE
};
