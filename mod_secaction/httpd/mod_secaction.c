/* mod_secaction: the SECURITY ACTION self-declaration service inside httpd.
 *
 * Read bottom-up: register_hooks at the end lists every hook.  Every URL
 * is a route (sa_route.h) in the table of its area: sa_site.c (TOP, static
 * files, privacy), sa_wizard.c (/entry/…), sa_account.c (/login, /logout,
 * password reset, contact confirmation), sa_mypage.c (/mypage…),
 * sa_admin.c (the secretariat's console, /admin/…), sa_public.c (/search,
 * /d/<自己宣言ID>, open data), sa_status.c (the
 * operators' page, SetHandler secaction-status).  The
 * one dispatcher below finds the route and enforces its flags before the
 * handler runs. */
#include "httpd.h"
#include "sa_log.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_expr.h"
#include "apr_strings.h"
#include "sa_config.h"
#include "sa_req.h"
#include "sa_page.h"
#include "sa_formpage.h"
#include "sa_session.h"
#include "sa_storage.h"
#include "sa_outbox.h"

/* The route for path and method; *path_known tells a 405 from a 404. */
static const sa_route *find_route(request_rec *r, const sa_route *const *tables, int ntables,
                                  const char *path, const char **rest, int *path_known)
{
    int t;
    *path_known = 0;
    for (t = 0; t < ntables; t++) {
        const sa_route *rt;
        for (rt = tables[t]; rt->path; rt++) {
            apr_size_t n = strlen(rt->path);
            int match = (rt->flags & SA_R_PREFIX) ? !strncmp(rt->path, path, n)
                                                  : !strcmp(rt->path, path);
            if (!match) {
                continue;
            }
            *path_known = 1;
            if (rt->method == r->method_number || (rt->method == M_GET && r->header_only)) {
                *rest = path + n;
                return rt;
            }
        }
    }
    return NULL;
}

static int method_not_allowed(sa_req *q)
{
    q->r->allowed = (AP_METHOD_BIT << M_GET) | (AP_METHOD_BIT << M_POST);
    apr_table_setn(q->r->headers_out, "Allow", "GET, HEAD, POST");
    return sa_msg(q, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed");
}

/* The wizard cannot work without its session: say so to the administrator
 * (the log) and to the applicant, instead of refusing every POST. */
static int no_draft_session(sa_req *q)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(038)
                  "mod_secaction: no session for %s: load mod_session and mod_session_dbd and "
                  "set \"Session On\" with SessionDBDCookieName for %s/entry (see "
                  "conf/secaction.conf)", q->r->uri, q->c->mount);
    return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "no_session");
}

/* A console route without httpd's authentication must never open. */
static int no_remote_user(sa_req *q)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(039)
                  "mod_secaction: %s refused: no REMOTE_USER; protect %s/admin with httpd "
                  "authentication and Require (see conf/secaction.conf)", q->r->uri,
                  q->c->mount);
    return sa_msg(q, HTTP_FORBIDDEN, "not_found");
}

/* What a route needs before its handler.  Each page it sends is answered
 * with sent(), so the handler runs only when enforce returns OK. */
#define sent(x) ((x), DONE)
static int enforce(sa_req *q)
{
    int flags = q->route->flags, rv, down = 0;

    if ((flags & SA_R_ADMIN) && !(q->remote_user = q->r->user)) {
        return sent(no_remote_user(q));
    }
    if ((flags & SA_R_DRAFT) && !sa_sess_available(q->r)) {
        /* the session store is the database: when that is down, say so
         * rather than that the wizard is not configured */
        if (sa_sess_failed(q->r) || !sa_db(q)
            || apr_dbd_check_conn(q->dbd->driver, q->p, q->dbd->handle) != APR_SUCCESS) {
            return sent(sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "draft_db_down"));
        }
        return sent(no_draft_session(q));
    }
    if (flags & (SA_R_LOGIN | SA_R_WHO)) {
        q->login = sa_login_load(q, &down);
        if (down) {
            return sent(sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down"));
        }
        if ((flags & SA_R_LOGIN) && !q->login) {
            return sent(sa_redirect(q->r, "/login"));
        }
    }
    if ((flags & SA_R_DB) && !sa_db(q)) {
        return sent(sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down"));
    }
    if ((flags & SA_R_FORM) && q->r->method_number == M_POST) {
        if ((rv = sa_form_read(q)) != OK) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, SALOG(040)
                          "mod_secaction: unreadable form refused (HTTP %d)", rv);
            return sent(sa_msg_link(q, rv == HTTP_REQUEST_ENTITY_TOO_LARGE
                                       ? HTTP_REQUEST_ENTITY_TOO_LARGE : HTTP_BAD_REQUEST,
                                    "bad_form", q->path, "画面を開き直す"));
        }
        if (!sa_csrf_valid(q)) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, SALOG(031)
                          "mod_secaction: POST without a valid CSRF token refused");
            return sent(sa_msg_link(q, HTTP_FORBIDDEN, "csrf", q->path, "画面を開き直す"));
        }
    }
    return OK;
}

static int dispatch(request_rec *r, const sa_route *const *tables, int ntables,
                    const char *path)
{
    sa_req *q = apr_pcalloc(r->pool, sizeof(*q));
    int known, rv;
    q->r = r;
    q->p = r->pool;
    q->c = SA_SCONF(r->server);
    q->path = path;
    q->route = find_route(r, tables, ntables, path, &q->rest, &known);
    if (!q->route) {
        return known ? method_not_allowed(q) : sa_msg(q, HTTP_NOT_FOUND, "not_found");
    }
    if ((rv = enforce(q)) != OK) {
        return OK;     /* its page was sent */
    }
    rv = q->route->run(q);
    /* a page that only reads still counts as activity for the idle timeout
     * (its answer is sent: a failure here loses a minute of idleness only) */
    if (q->login && q->login->touch && !q->login->dirty) {
        sa_login_save(q);
    }
    return rv;
}

/* The wizard's session is loaded here, before mod_session's own fixups
 * hook loads it, so that a load that fails is seen (sa_sess_preload). */
static int secaction_fixups(request_rec *r)
{
    if (r->handler && strcmp(r->handler, "secaction") == 0) {
        sa_sess_preload(r);
    }
    return DECLINED;
}

static int secaction_handler(request_rec *r)
{
    const sa_route *site[] = { sa_site_routes(), sa_wizard_routes(), sa_account_routes(),
                               sa_mypage_routes(), sa_admin_routes(), sa_public_routes() };
    const sa_route *status[] = { sa_status_routes() };
    const char *mount, *path;

    if (strcmp(r->handler, "secaction-status") == 0) {
        return dispatch(r, status, 1, "");
    }
    if (strcmp(r->handler, "secaction") != 0) {
        return DECLINED;
    }
    mount = SA_SCONF(r->server)->mount;
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
    return dispatch(r, site, (int)(sizeof(site) / sizeof(site[0])), path);
}

/* The module's URLs map to no file (even its style sheet and script are
 * served from memory): skip httpd's walk of the file system and its
 * <Directory> merging for them.  The <Location> sections still apply (httpd
 * walks them again after this hook), so the console's authentication is
 * kept.  Only for a request that SetHandler gave to the module under its
 * mount, so other handlers and files are walked as before. */
static int secaction_map_to_storage(request_rec *r)
{
    core_dir_config *d;
    const char *handler = NULL, *err = NULL, *mount;

    mount = SA_SCONF(r->server)->mount;
    if (strncmp(r->uri, mount, strlen(mount))) {
        return DECLINED;
    }
    /* which handler the <Location> sections give (httpd walks them again
     * after this hook, from its cache); SetHandler's value is an expression */
    if (ap_location_walk(r) != OK) {
        return DECLINED;
    }
    d = ap_get_core_module_config(r->per_dir_config);
    if (d && d->expr_handler) {
        handler = ap_expr_str_exec(r, d->expr_handler, &err);
    }
    if (!handler || err) {
        return DECLINED;
    }
    return strcmp(handler, "secaction") ? DECLINED : OK;
}

static int secaction_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    (void)plog;
    (void)ptemp;
    if (!sa_storage_prepare(s)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, SALOG(003)
                     "mod_secaction: mod_dbd is not loaded (LoadModule dbd_module ...)");
        return !OK;
    }
    return sa_config_check(pconf, s);
}

static void secaction_optional_fns(void)
{
    sa_page_retrieve_fns();
    sa_req_retrieve_fns();
}

static int secaction_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                 server_rec *s)
{
    (void)plog;
    (void)ptemp;
    /* the first of httpd's two configuration passes only checks */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    return sa_outbox_start_worker(pconf, s);
}

static void secaction_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_config(secaction_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_optional_fn_retrieve(secaction_optional_fns, NULL, NULL, APR_HOOK_MIDDLE);
    /* before mod_watchdog's post_config, which starts the workers registered */
    ap_hook_post_config(secaction_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(secaction_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_fixups(secaction_fixups, NULL, NULL, APR_HOOK_FIRST);
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
