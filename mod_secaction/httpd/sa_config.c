/* The SecAction* directives, their defaults and merge, and the loading of
 * templates and reference data at configuration time, so that a broken file
 * fails `apachectl -t` with its name and line rather than a request. */
#include "httpd.h"
#include "sa_log.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_file_info.h"
#include "sa_config.h"
#include "sa_policy.h"
#include "sa_token.h"

APLOG_USE_MODULE(secaction);

#define DEF_TOKEN_LIFETIME  (24 * 3600)
#define DEF_PASSWORD_COST   11
#define DEF_MAIL_RETRY      60
#define DEF_MAIL_TIMEOUT    30
#define DEF_MAIL_FROM       "security-action@localhost"
#define DEF_TEMPLATE_DIR    "templates"
#define DEF_DATA_DIR        "data"
#define DEF_MOUNT           "/security"
#define DEF_LOGIN_IDLE      (30 * 60)
#define DEF_LOGIN_MAX_AGE   (8 * 3600)
#define DEF_RESET_LIFETIME  3600
#define DEF_CONTACT_LIFETIME (24 * 3600)
#define DEF_CLIENT_LIMIT    30
#define DEF_PROVISIONAL_KEEP (7 * 24 * 3600)

static const char *const page_files[SA_PAGE_COUNT] = {
    [SA_PAGE_LAYOUT]      = "layout.xhtml",
    [SA_PAGE_TOP]         = "top.xhtml",
    [SA_PAGE_TERMS]       = "entry-terms.xhtml",
    [SA_PAGE_COMPANY]     = "entry-company.xhtml",
    [SA_PAGE_DECLARATION] = "entry-declaration.xhtml",
    [SA_PAGE_CONFIRM]     = "entry-confirm.xhtml",
    [SA_PAGE_ACCEPTED]    = "entry-accepted.xhtml",
    [SA_PAGE_VERIFY]      = "entry-verify.xhtml",
    [SA_PAGE_COMPLETE]    = "entry-complete.xhtml",
    [SA_PAGE_MESSAGE]     = "message.xhtml",
    [SA_PAGE_STATUS]      = "status.xhtml",
    [SA_PAGE_PRIVACY]     = "privacy.xhtml",
    [SA_PAGE_LOGIN]       = "login.xhtml",
    [SA_PAGE_RESET_REQUEST] = "reset-request.xhtml",
    [SA_PAGE_RESET_SET]   = "reset-set.xhtml",
    [SA_PAGE_MYPAGE]      = "mypage.xhtml",
    [SA_PAGE_STEPUP]      = "mypage-stepup.xhtml",
    [SA_PAGE_STEPUP_CONFIRM] = "mypage-stepup-confirm.xhtml",
    [SA_PAGE_EDIT]        = "mypage-edit.xhtml",
    [SA_PAGE_EDIT_CONFIRM] = "mypage-edit-confirm.xhtml",
    [SA_PAGE_CONTACT]     = "mypage-contact.xhtml",
    [SA_PAGE_CONTACT_CONFIRM] = "contact-confirm.xhtml",
    [SA_PAGE_STOP]        = "mypage-stop.xhtml",
    [SA_PAGE_PASSWORD]    = "mypage-password.xhtml",
    [SA_PAGE_LOGO]        = "mypage-logo.xhtml",
    [SA_PAGE_ADMIN_QUEUE] = "admin-queue.xhtml",
    [SA_PAGE_ADMIN_DETAIL] = "admin-detail.xhtml",
    [SA_PAGE_ADMIN_SEARCH] = "admin-search.xhtml",
    [SA_PAGE_ADMIN_AUDIT] = "admin-audit.xhtml",
    [SA_PAGE_SEARCH]      = "search.xhtml",
    [SA_PAGE_PUBLIC_DECL] = "public-decl.xhtml",
};

static const struct { const char *kind; const char *file; } mails[SA_MAIL_COUNT] = {
    [SA_MAIL_RECEIVED]         = { "received",         "mail/received.txt" },
    [SA_MAIL_COMPLETED]        = { "completed",        "mail/completed.txt" },
    [SA_MAIL_ACCEPTED]         = { "accepted",         "mail/accepted.txt" },
    [SA_MAIL_RESET]            = { "reset",            "mail/reset.txt" },
    [SA_MAIL_PASSWORD_CHANGED] = { "password_changed", "mail/password-changed.txt" },
    [SA_MAIL_DATA_CHANGED]     = { "data_changed",     "mail/data-changed.txt" },
    [SA_MAIL_CONTACT_CONFIRM]  = { "contact_confirm",  "mail/contact-confirm.txt" },
    [SA_MAIL_CONTACT_CHANGED]  = { "contact_changed",  "mail/contact-changed.txt" },
    [SA_MAIL_STEPUP]           = { "stepup",           "mail/stepup.txt" },
    [SA_MAIL_STOPPED]          = { "stopped",          "mail/stopped.txt" },
    [SA_MAIL_REVOKED]          = { "revoked",          "mail/revoked.txt" },
};

const char *sa_mail_kind(sa_mail_id id)
{
    return id < SA_MAIL_COUNT ? mails[id].kind : "other";
}

/* The catalog entries the server uses, with the keys each must have. */
static const char *const required_texts[] = {
    "wizard_steps:item", "not_found:title,text", "method_not_allowed:title,text",
    "bad_form:title,text", "csrf:title,text", "db_down:title,text",
    "draft_db_down:title,text", "draft_not_saved:title,text", "no_session:title,text", "too_many_pending:title,text",
    "too_many_client:title,text",
    "verify_unknown:title,text", "verify_expired:title,text", "verify_done:title,text",
    "verify_expired_resend:title,text", "houjin_unknown:text", "houjin_unavailable:text",
    "verify_confirm:title,text",
    "login_required:title,text", "logged_out:title,text", "reset_sent:title,text",
    "reset_unknown:title,text", "reset_done:title,text", "contact_sent:title,text",
    "contact_unknown:title,text", "contact_done:title,text", "conflict:title,text",
    "login_wait:text", "login_locked:text", "login_failed:text",
    "not_active:title,text", "logo_refused:title,text", "admin_reason:text",
    "badge_valid:title,text", "badge_invalid:title,text",
    NULL
};

void *sa_create_server_conf(apr_pool_t *p, server_rec *s)
{
    sa_server_conf *c = apr_pcalloc(p, sizeof(*c));
    (void)s;
    c->token_lifetime = -1;
    c->password_cost = -1;
    c->accept_mode = -1;
    c->mail_retry = -1;
    c->mail_timeout = -1;
    c->login_idle = c->login_max_age = c->reset_lifetime = c->contact_lifetime = -1;
    c->login_slow_after = c->login_max_failures = c->login_lock = -1;
    c->client_limit = -1;
    c->provisional_keep = -1;
    return c;
}

#define PICK(f) (add->f ? add->f : base->f)
#define PICKN(f) (add->f >= 0 ? add->f : base->f)

void *sa_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    sa_server_conf *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
    c->base_url = PICK(base_url);
    c->mount = PICK(mount);
    c->sendmail = PICK(sendmail);
    c->mail_from = PICK(mail_from);
    c->template_dir = PICK(template_dir);
    c->data_dir = PICK(data_dir);
    c->purposes = PICK(purposes);
    c->via_allow = PICK(via_allow);
    c->links = PICK(links);
    c->postal_file = PICK(postal_file);
    c->token_lifetime = PICKN(token_lifetime);
    c->password_cost = PICKN(password_cost);
    c->accept_mode = PICKN(accept_mode);
    c->mail_retry = PICKN(mail_retry);
    c->mail_timeout = PICKN(mail_timeout);
    c->login_idle = PICKN(login_idle);
    c->login_max_age = PICKN(login_max_age);
    c->login_slow_after = PICKN(login_slow_after);
    c->login_max_failures = PICKN(login_max_failures);
    c->login_lock = PICKN(login_lock);
    c->reset_lifetime = PICKN(reset_lifetime);
    c->contact_lifetime = PICKN(contact_lifetime);
    c->client_limit = PICKN(client_limit);
    c->provisional_keep = PICKN(provisional_keep);
    {
        int l, f;
        for (l = 0; l < 2; l++) {
            for (f = 0; f < SA_LOGO_FORMATS; f++) {
                c->logo_paths[l][f] = PICK(logo_paths[l][f]);
            }
        }
        for (f = 0; f < SA_DOC_COUNT; f++) {
            c->doc_paths[f] = PICK(doc_paths[f]);
        }
    }
    return c;
}

/* --- directive handlers ------------------------------------------------ */

static sa_server_conf *sconf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &secaction_module);
}

static const char *set_base_url(cmd_parms *cmd, void *d, const char *arg)
{
    apr_uri_t u;
    apr_size_t n = strlen(arg);
    (void)d;
    if (apr_uri_parse(cmd->pool, arg, &u) != APR_SUCCESS || !u.scheme || !u.hostname
        || (strcasecmp(u.scheme, "http") && strcasecmp(u.scheme, "https"))
        || u.query || u.fragment) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an absolute http(s) URL "
                            "without query (example: https://www.example.jp/security)",
                            cmd->cmd->name, arg);
    }
    while (n > 0 && arg[n - 1] == '/') {
        n--;
    }
    sconf(cmd)->base_url = apr_pstrndup(cmd->pool, arg, n);
    /* the mount is the URL's path: "/security" (or "" at the root) */
    n = u.path ? strlen(u.path) : 0;
    while (n > 0 && u.path[n - 1] == '/') {
        n--;
    }
    sconf(cmd)->mount = apr_pstrndup(cmd->pool, u.path ? u.path : "", n);
    return NULL;
}

static const char *set_sendmail(cmd_parms *cmd, void *d, int argc, char *const argv[])
{
    apr_finfo_t fi;
    apr_array_header_t *a;
    int i;
    (void)d;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s needs the path of a sendmail-compatible program",
                            cmd->cmd->name);
    }
    if (argv[0][0] != '/') {
        return apr_psprintf(cmd->pool, "%s: '%s' must be an absolute path",
                            cmd->cmd->name, argv[0]);
    }
    if (apr_stat(&fi, argv[0], APR_FINFO_TYPE | APR_FINFO_PROT, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != APR_REG || !(fi.protection & (APR_UEXECUTE | APR_GEXECUTE | APR_WEXECUTE))) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an executable file",
                            cmd->cmd->name, argv[0]);
    }
    a = apr_array_make(cmd->pool, argc + 1, sizeof(const char *));
    for (i = 0; i < argc; i++) {
        APR_ARRAY_PUSH(a, const char *) = apr_pstrdup(cmd->pool, argv[i]);
    }
    sconf(cmd)->sendmail = a;
    return NULL;
}

static const char *set_mail_from(cmd_parms *cmd, void *d, const char *arg)
{
    const char *at = strchr(arg, '@');
    const char *p;
    (void)d;
    for (p = arg; *p; p++) {
        if (apr_iscntrl(*p) || apr_isspace(*p) || strchr("<>,;\"", *p)) {
            break;
        }
    }
    if (*p || !at || at == arg || !at[1] || strchr(at + 1, '@')) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a plain mail address "
                            "(example: security-action@example.jp)", cmd->cmd->name, arg);
    }
    sconf(cmd)->mail_from = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* "90", "90s", "30m", "24h", "7d" -> seconds; -1 if malformed. */
static long parse_duration(const char *s)
{
    char *end;
    long v;
    if (!apr_isdigit(*s)) {
        return -1;
    }
    v = strtol(s, &end, 10);
    if (v <= 0 || v > 365L * 24 * 3600) {
        return -1;
    }
    switch (*end) {
    case '\0': case 's': break;
    case 'm': v *= 60; break;
    case 'h': v *= 3600; break;
    case 'd': v *= 86400; break;
    default: return -1;
    }
    if (*end && end[1]) {
        return -1;
    }
    return v;
}

static const char *set_duration(cmd_parms *cmd, void *d, const char *arg)
{
    long v = parse_duration(arg);
    (void)d;
    if (v <= 0 || v > 400L * 86400) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration such as 90s, 30m, 24h or 7d",
                            cmd->cmd->name, arg);
    }
    *(int *)((char *)sconf(cmd) + (apr_size_t)cmd->info) = (int)v;
    return NULL;
}

/* A path directive (relative to ServerRoot) that must name an existing
 * directory or regular file. */
static const char *set_path(cmd_parms *cmd, const char *arg, apr_filetype_e want)
{
    apr_finfo_t fi;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != want) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not %s", cmd->cmd->name, path ? path : arg,
                            want == APR_DIR ? "a directory" : "a readable file");
    }
    *(const char **)((char *)sconf(cmd) + (apr_size_t)cmd->info) = path;
    return NULL;
}

static const char *set_dir(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    return set_path(cmd, arg, APR_DIR);
}

static const char *set_file(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    return set_path(cmd, arg, APR_REG);
}

static const char *add_purpose(cmd_parms *cmd, void *d, const char *arg)
{
    sa_server_conf *c = sconf(cmd);
    (void)d;
    if (!*arg || strlen(arg) > 200) {
        return apr_psprintf(cmd->pool, "%s: an option must be 1 to 200 bytes", cmd->cmd->name);
    }
    if (!c->purposes) {
        c->purposes = apr_array_make(cmd->pool, 6, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->purposes, const char *) = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *add_via(cmd_parms *cmd, void *d, const char *arg)
{
    sa_server_conf *c = sconf(cmd);
    const char *p;
    (void)d;
    for (p = arg; *p && (apr_isalnum(*p) || *p == '-' || *p == '_'); p++)
        ;
    if (*p || p == arg || p - arg > 32) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be 1 to 32 letters, digits, '-' or '_'",
                            cmd->cmd->name, arg);
    }
    if (!c->via_allow) {
        c->via_allow = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->via_allow, const char *) = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_cost(cmd_parms *cmd, void *d, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    (void)d;
    if (*end || v < 4 || v > 20) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a bcrypt cost from 4 to 20",
                            cmd->cmd->name, arg);
    }
    sconf(cmd)->password_cost = (int)v;
    return NULL;
}

static const char *set_acceptance(cmd_parms *cmd, void *d, const char *arg)
{
    (void)d;
    if (!strcasecmp(arg, "manual")) {
        sconf(cmd)->accept_mode = SA_ACCEPT_MANUAL;
    }
    else if (!strcasecmp(arg, "immediate")) {
        sconf(cmd)->accept_mode = SA_ACCEPT_IMMEDIATE;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' must be manual or immediate",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *add_link(cmd_parms *cmd, void *d, const char *url, const char *label)
{
    sa_server_conf *c = sconf(cmd);
    sa_link *l;
    (void)d;
    if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8) && url[0] != '/') {
        return apr_psprintf(cmd->pool, "%s: '%s' must be an http(s) URL or an absolute path",
                            cmd->cmd->name, url);
    }
    if (!c->links) {
        c->links = apr_array_make(cmd->pool, 6, sizeof(sa_link));
    }
    l = apr_array_push(c->links);
    l->url = apr_pstrdup(cmd->pool, url);
    l->label = apr_pstrdup(cmd->pool, label);
    return NULL;
}

static const char *set_count(cmd_parms *cmd, void *d, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    (void)d;
    if (*end || end == arg || v < 1 || v > 1000) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a number from 1 to 1000",
                            cmd->cmd->name, arg);
    }
    *(int *)((char *)sconf(cmd) + (apr_size_t)cmd->info) = (int)v;
    return NULL;
}

static const char *set_login_lock(cmd_parms *cmd, void *d, const char *n, const char *dur)
{
    const char *err = set_count(cmd, d, n);
    long secs = parse_duration(dur);
    if (err) {
        return err;
    }
    if (secs <= 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration such as 15m or 1h",
                            cmd->cmd->name, dur);
    }
    sconf(cmd)->login_lock = (int)secs;
    return NULL;
}

/* The Content-Type of a served file, from its name; NULL if not allowed. */
static const char *file_type(const char *path, const char *const *allowed)
{
    static const struct { const char *ext; const char *type; } types[] = {
        { ".svg", "image/svg+xml" }, { ".png", "image/png" },
        { ".pdf", "application/pdf" }, { ".html", "text/html; charset=UTF-8" },
    };
    apr_size_t i, n = strlen(path);
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        apr_size_t e = strlen(types[i].ext);
        const char *const *a;
        if (n > e && !strcasecmp(path + n - e, types[i].ext)) {
            for (a = allowed; *a; a++) {
                if (!strcmp(*a, types[i].ext)) {
                    return types[i].type;
                }
            }
        }
    }
    return NULL;
}

/* A file served as it is: relative to ServerRoot, of one of kinds, there. */
static const char *served_path(cmd_parms *cmd, const char *path, const char *const *kinds,
                               const char *kinds_text, const char **full)
{
    apr_finfo_t fi;
    *full = ap_server_root_relative(cmd->pool, path);
    if (!*full || !file_type(*full, kinds)) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a %s file", cmd->cmd->name, path,
                            kinds_text);
    }
    if (apr_stat(&fi, *full, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file", cmd->cmd->name, *full);
    }
    return NULL;
}

static const char *set_logo_file(cmd_parms *cmd, void *d, const char *level, const char *path)
{
    static const char *const kinds[] = { ".svg", ".png", NULL };
    const char *full, *err;
    int l = !strcmp(level, "1") ? 0 : !strcmp(level, "2") ? 1 : -1;
    (void)d;
    if (l < 0) {
        return apr_psprintf(cmd->pool, "%s: the level '%s' must be 1 (一つ星) or 2 (二つ星)",
                            cmd->cmd->name, level);
    }
    if ((err = served_path(cmd, path, kinds, ".svg or .png", &full)) != NULL) {
        return err;
    }
    sconf(cmd)->logo_paths[l][file_type(full, kinds + 1) ? SA_LOGO_PNG : SA_LOGO_SVG] = full;
    return NULL;
}

static const char *set_logo_doc(cmd_parms *cmd, void *d, const char *which, const char *path)
{
    static const char *const kinds[] = { ".pdf", ".html", NULL };
    const char *full, *err;
    int w = !strcmp(which, "procedure") ? SA_DOC_PROCEDURE
            : !strcmp(which, "guideline") ? SA_DOC_GUIDELINE : -1;
    (void)d;
    if (w < 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be procedure (ロゴマーク使用手順) or "
                            "guideline (ロゴマーク使用ガイドライン)", cmd->cmd->name, which);
    }
    if ((err = served_path(cmd, path, kinds, ".pdf or .html", &full)) != NULL) {
        return err;
    }
    sconf(cmd)->doc_paths[w] = full;
    return NULL;
}

#define OFF(f) ((void *)APR_OFFSETOF(sa_server_conf, f))

const command_rec sa_directives[] = {
    AP_INIT_TAKE1("SecActionBaseURL", set_base_url, NULL, RSRC_CONF,
                  "Absolute URL of the site (its path is where the handler is mounted), used in mails"),
    AP_INIT_TAKE_ARGV("SecActionSendmail", set_sendmail, NULL, RSRC_CONF,
                      "Absolute path of a sendmail-compatible program, then its own arguments"),
    AP_INIT_TAKE1("SecActionMailFrom", set_mail_from, NULL, RSRC_CONF,
                  "Sender address of the mails"),
    AP_INIT_TAKE1("SecActionTokenLifetime", set_duration, OFF(token_lifetime), RSRC_CONF,
                  "How long the link in the 受付確認 mail works (90s, 30m, 24h, 7d)"),
    AP_INIT_TAKE1("SecActionProvisionalKeep", set_duration, OFF(provisional_keep), RSRC_CONF,
                  "How long after its link expired a 仮申込み can still get a fresh link (7d)"),
    AP_INIT_TAKE1("SecActionTemplateDir", set_dir, OFF(template_dir), RSRC_CONF,
                  "Folder of the page and mail templates"),
    AP_INIT_TAKE1("SecActionDataDir", set_dir, OFF(data_dir), RSRC_CONF,
                  "Folder of prefectures.tsv and jsic.tsv"),
    AP_INIT_ITERATE("SecActionPurpose", add_purpose, NULL, RSRC_CONF,
                    "Options of the 目的 select, in order (replaces the defaults)"),
    AP_INIT_ITERATE("SecActionViaAllow", add_via, NULL, RSRC_CONF,
                    "Values of ?via= on /entry/ that are recorded with the declaration"),
    AP_INIT_TAKE1("SecActionPasswordCost", set_cost, NULL, RSRC_CONF,
                  "bcrypt cost of password hashes (4-20)"),
    AP_INIT_TAKE1("SecActionAcceptance", set_acceptance, NULL, RSRC_CONF,
                  "manual (the secretariat accepts) or immediate"),
    AP_INIT_TAKE1("SecActionMailRetry", set_duration, OFF(mail_retry), RSRC_CONF,
                  "First delay before a failed mail is tried again (doubles, up to 1h)"),
    AP_INIT_TAKE1("SecActionMailTimeout", set_duration, OFF(mail_timeout), RSRC_CONF,
                  "How long the sendmail program may take"),
    AP_INIT_TAKE2("SecActionRelatedLink", add_link, NULL, RSRC_CONF,
                  "A related link on the TOP page: URL and label"),
    AP_INIT_TAKE1("SecActionPostalData", set_file, OFF(postal_file), RSRC_CONF,
                  "Japan Post's utf_ken_all.csv, for 住所検索 (postal code to address)"),
    AP_INIT_TAKE1("SecActionLoginIdle", set_duration, OFF(login_idle), RSRC_CONF,
                  "A login ends after this long without a request (30m)"),
    AP_INIT_TAKE1("SecActionLoginMaxAge", set_duration, OFF(login_max_age), RSRC_CONF,
                  "A login ends this long after it began, however active (8h)"),
    AP_INIT_TAKE1("SecActionLoginSlowAfter", set_count, OFF(login_slow_after), RSRC_CONF,
                  "After this many wrong passwords in a row, each try waits longer (3)"),
    AP_INIT_TAKE2("SecActionLoginLock", set_login_lock, OFF(login_max_failures), RSRC_CONF,
                  "Wrong passwords in a row that lock the account, and for how long (10 30m)"),
    AP_INIT_TAKE1("SecActionResetLifetime", set_duration, OFF(reset_lifetime), RSRC_CONF,
                  "How long a password reset link works (1h)"),
    AP_INIT_TAKE1("SecActionContactLifetime", set_duration, OFF(contact_lifetime), RSRC_CONF,
                  "How long the link confirming a new contact address works (24h)"),
    AP_INIT_TAKE1("SecActionClientLimit", set_count, OFF(client_limit), RSRC_CONF,
                  "New 仮申込み from one client address within an hour (30)"),
    AP_INIT_TAKE2("SecActionLogoFile", set_logo_file, NULL, RSRC_CONF,
                  "Logo artwork of a level: 1 or 2, then a .svg or .png file"),
    AP_INIT_TAKE2("SecActionLogoDocument", set_logo_doc, NULL, RSRC_CONF,
                  "procedure or guideline, then its .pdf or .html file"),
    { NULL }
};

/* --- loading at configuration time -------------------------------------- */

static void apply_defaults(apr_pool_t *p, sa_server_conf *c)
{
    if (!c->mount) c->mount = DEF_MOUNT;
    if (!c->template_dir) c->template_dir = ap_server_root_relative(p, DEF_TEMPLATE_DIR);
    if (!c->data_dir) c->data_dir = ap_server_root_relative(p, DEF_DATA_DIR);
    if (!c->mail_from) c->mail_from = DEF_MAIL_FROM;
    if (c->token_lifetime < 0) c->token_lifetime = DEF_TOKEN_LIFETIME;
    if (c->password_cost < 0) c->password_cost = DEF_PASSWORD_COST;
    if (c->accept_mode < 0) c->accept_mode = SA_ACCEPT_MANUAL;
    if (c->mail_retry < 0) c->mail_retry = DEF_MAIL_RETRY;
    if (c->mail_timeout < 0) c->mail_timeout = DEF_MAIL_TIMEOUT;
    if (!c->purposes) c->purposes = sa_default_purposes(p);
    if (!c->via_allow) c->via_allow = apr_array_make(p, 1, sizeof(const char *));
    if (!c->links) c->links = apr_array_make(p, 1, sizeof(sa_link));
    if (c->login_idle < 0) c->login_idle = DEF_LOGIN_IDLE;
    if (c->login_max_age < 0) c->login_max_age = DEF_LOGIN_MAX_AGE;
    if (c->login_slow_after < 0) c->login_slow_after = SA_LOGIN_SLOW_AFTER;
    if (c->login_max_failures < 0) c->login_max_failures = SA_LOGIN_MAX_FAILURES;
    if (c->login_lock < 0) c->login_lock = SA_LOGIN_LOCK_SECONDS;
    if (c->reset_lifetime < 0) c->reset_lifetime = DEF_RESET_LIFETIME;
    if (c->contact_lifetime < 0) c->contact_lifetime = DEF_CONTACT_LIFETIME;
    if (c->client_limit < 0) c->client_limit = DEF_CLIENT_LIMIT;
    if (c->provisional_keep < 0) c->provisional_keep = DEF_PROVISIONAL_KEEP;
    c->form_opts.purposes = c->purposes;
}

/* The shipped placeholders, for what the administrator did not configure. */
static void default_files(apr_pool_t *p, sa_server_conf *c)
{
    static const char *const logos[2][SA_LOGO_FORMATS] = {
        { "logo/one-star.svg", "logo/one-star.png" },
        { "logo/two-star.svg", "logo/two-star.png" },
    };
    static const char *const docs[SA_DOC_COUNT] = { "logo/procedure.html", "logo/guideline.html" };
    int l, f;
    for (l = 0; l < 2; l++) {
        for (f = 0; f < SA_LOGO_FORMATS; f++) {
            if (!c->logo_paths[l][f]) {
                c->logo_paths[l][f] = apr_pstrcat(p, c->template_dir, "/", logos[l][f], NULL);
            }
        }
    }
    for (f = 0; f < SA_DOC_COUNT; f++) {
        if (!c->doc_paths[f]) {
            c->doc_paths[f] = apr_pstrcat(p, c->template_dir, "/", docs[f], NULL);
        }
    }
}

static const char *read_file(apr_pool_t *p, const char *path, const char **data,
                             apr_size_t *len, apr_time_t *mtime)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;
    apr_status_t rv;
    if ((rv = apr_file_open(&f, path, APR_READ | APR_BINARY, 0, p)) != APR_SUCCESS
        || (rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_MTIME, f)) != APR_SUCCESS) {
        char e[128];
        return apr_psprintf(p, "%s: cannot read: %s", path, apr_strerror(rv, e, sizeof(e)));
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(rv == APR_EOF && n == 0)) {
        return apr_psprintf(p, "%s: cannot read", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    if (mtime) {
        *mtime = fi.mtime;
    }
    return NULL;
}

static const char *load_served(apr_pool_t *p, sa_file *out, const char *path)
{
    static const char *const any[] = { ".svg", ".png", ".pdf", ".html", NULL };
    out->path = path;
    out->type = file_type(path, any);
    if (!out->type) {
        return apr_psprintf(p, "%s: not a .svg, .png, .pdf or .html file", path);
    }
    return read_file(p, path, &out->data, &out->len, NULL);
}

static const struct { const char *name; const char *type; } static_files[SA_STATIC_COUNT] = {
    [SA_STATIC_CSS] = { "site.css", "text/css; charset=UTF-8" },
    [SA_STATIC_JS]  = { "site.js", "text/javascript; charset=UTF-8" },
};

static const char *load_static(apr_pool_t *p, sa_server_conf *c, int i)
{
    const char *path = apr_pstrcat(p, c->template_dir, "/static/", static_files[i].name, NULL);
    apr_time_t mtime;
    const char *err = read_file(p, path, &c->statics[i].data, &c->statics[i].len, &mtime);
    if (err) {
        return err;
    }
    c->statics[i].name = static_files[i].name;
    c->statics[i].type = static_files[i].type;
    c->statics[i].etag = apr_psprintf(p, "\"%" APR_UINT64_T_HEX_FMT "-%" APR_SIZE_T_FMT "\"",
                                      (apr_uint64_t)mtime, c->statics[i].len);
    return NULL;
}

static const char *load_files(apr_pool_t *p, sa_server_conf *c)
{
    const char *err;
    int i;
    for (i = 0; i < SA_STATIC_COUNT; i++) {
        if ((err = load_static(p, c, i)) != NULL) {
            return err;
        }
    }
    for (i = 0; i < SA_PAGE_COUNT; i++) {
        const char *path = apr_pstrcat(p, c->template_dir, "/", page_files[i], NULL);
        if ((err = sa_tmpl_compile_file(p, path, &c->pages[i])) != NULL) {
            return err;
        }
    }
    for (i = 0; i < SA_MAIL_COUNT; i++) {
        const char *path = apr_pstrcat(p, c->template_dir, "/", mails[i].file, NULL);
        if ((err = sa_mail_tmpl_compile_file(p, path, &c->mails[i])) != NULL) {
            return err;
        }
    }
    if ((err = sa_catalog_compile_file(p, apr_pstrcat(p, c->template_dir, "/messages.txt", NULL),
                                       required_texts, &c->texts)) != NULL) {
        return err;
    }
    default_files(p, c);
    for (i = 0; i < 2 * SA_LOGO_FORMATS; i++) {
        if ((err = load_served(p, &c->logos[i / SA_LOGO_FORMATS][i % SA_LOGO_FORMATS],
                               c->logo_paths[i / SA_LOGO_FORMATS][i % SA_LOGO_FORMATS])) != NULL) {
            return err;
        }
    }
    for (i = 0; i < SA_DOC_COUNT; i++) {
        if ((err = load_served(p, &c->docs[i], c->doc_paths[i])) != NULL) {
            return err;
        }
    }
    if ((err = sa_refdata_load(p, c->data_dir, &c->ref)) != NULL) {
        return err;
    }
    return c->postal_file ? sa_postal_load(p, c->postal_file, &c->postal) : NULL;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_files(const sa_server_conf *c, const sa_server_conf *main)
{
    int i;
    for (i = 0; i < 2 * SA_LOGO_FORMATS; i++) {
        if (!same(c->logo_paths[i / SA_LOGO_FORMATS][i % SA_LOGO_FORMATS],
                  main->logo_paths[i / SA_LOGO_FORMATS][i % SA_LOGO_FORMATS])) {
            return 0;
        }
    }
    for (i = 0; i < SA_DOC_COUNT; i++) {
        if (!same(c->doc_paths[i], main->doc_paths[i])) {
            return 0;
        }
    }
    return main->loaded && same(c->template_dir, main->template_dir)
           && same(c->data_dir, main->data_dir) && same(c->postal_file, main->postal_file);
}

static void share_files(sa_server_conf *c, const sa_server_conf *main)
{
    memcpy(c->pages, main->pages, sizeof(c->pages));
    memcpy(c->mails, main->mails, sizeof(c->mails));
    memcpy(c->statics, main->statics, sizeof(c->statics));
    memcpy(c->logos, main->logos, sizeof(c->logos));
    memcpy(c->docs, main->docs, sizeof(c->docs));
    c->texts = main->texts;
    c->ref = main->ref;
    c->postal = main->postal;
}

int sa_config_check(apr_pool_t *pconf, server_rec *s)
{
    server_rec *sp;
    for (sp = s; sp; sp = sp->next) {
        sa_server_conf *c = SA_SCONF(sp);
        const char *err;
        if (c->loaded) {
            continue;
        }
        apply_defaults(pconf, c);
        if (sp != s && same_files(c, SA_SCONF(s))) {
            share_files(c, SA_SCONF(s));    /* a virtual host like the main server */
        }
        else if ((err = load_files(pconf, c)) != NULL) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, sp, SALOG(001)
                         "mod_secaction: %s", err);
            return !OK;
        }
        /* a login with an unknown 利用者番号 checks this hash, so it takes as
         * long as one with a known number */
        c->dummy_hash = sa_password_hash(pconf, "unknown-user-no-password", c->password_cost);
        if (!c->base_url) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sp, SALOG(004)
                         "mod_secaction: SecActionBaseURL is not set; links in mails use "
                         "ServerName %s", sp->server_hostname ? sp->server_hostname : "(none)");
        }
        if (!c->sendmail) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sp, SALOG(002)
                         "mod_secaction: SecActionSendmail is not set; mail stays in the "
                         "outbox until it is");
        }
        c->loaded = 1;
    }
    return OK;
}
