/* Configuration: the SecAction* directives and what is loaded from them at
 * configuration time (templates, reference data).  Glue. */
#ifndef SA_CONFIG_H
#define SA_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "sa_form.h"
#include "sa_tmpl.h"
#include "sa_mail.h"
#include "sa_state.h"
#include "sa_postal.h"
#include "sa_catalog.h"

/* The pages the module renders, each a template file in the template dir. */
typedef enum {
    SA_PAGE_LAYOUT = 0,
    SA_PAGE_TOP,
    SA_PAGE_TERMS,
    SA_PAGE_COMPANY,
    SA_PAGE_DECLARATION,
    SA_PAGE_CONFIRM,
    SA_PAGE_ACCEPTED,
    SA_PAGE_VERIFY,
    SA_PAGE_COMPLETE,
    SA_PAGE_MESSAGE,
    SA_PAGE_STATUS,
    SA_PAGE_PRIVACY,
    SA_PAGE_LOGIN,
    SA_PAGE_RESET_REQUEST,
    SA_PAGE_RESET_SET,
    SA_PAGE_MYPAGE,
    SA_PAGE_STEPUP,
    SA_PAGE_STEPUP_CONFIRM,
    SA_PAGE_EDIT,
    SA_PAGE_EDIT_CONFIRM,
    SA_PAGE_CONTACT,
    SA_PAGE_CONTACT_CONFIRM,
    SA_PAGE_STOP,
    SA_PAGE_PASSWORD,
    SA_PAGE_LOGO,
    SA_PAGE_ADMIN_QUEUE,
    SA_PAGE_ADMIN_DETAIL,
    SA_PAGE_ADMIN_SEARCH,
    SA_PAGE_ADMIN_AUDIT,
    SA_PAGE_SEARCH,
    SA_PAGE_PUBLIC_DECL,
    SA_PAGE_COUNT
} sa_page_id;

typedef enum {
    SA_MAIL_RECEIVED = 0,      /* 受付確認: the verification link */
    SA_MAIL_COMPLETED,         /* 完了: 利用者番号 and 自己宣言ID */
    SA_MAIL_ACCEPTED,          /* 申込受理のご連絡 */
    SA_MAIL_RESET,             /* the password reset link */
    SA_MAIL_PASSWORD_CHANGED,
    SA_MAIL_DATA_CHANGED,
    SA_MAIL_CONTACT_CONFIRM,   /* the link to the new contact address */
    SA_MAIL_CONTACT_CHANGED,   /* the notice to the old one */
    SA_MAIL_STEPUP,
    SA_MAIL_STOPPED,
    SA_MAIL_REVOKED,
    SA_MAIL_COUNT
} sa_mail_id;

/* Stored names of the mails (outbox.kind). */
const char *sa_mail_kind(sa_mail_id id);

/* A file served as it is (logo artwork, its documents), read at start-up. */
typedef struct {
    const char *path;
    const char *type;          /* Content-Type, from the file name */
    const char *data;
    apr_size_t len;
} sa_file;

typedef enum { SA_DOC_PROCEDURE = 0, SA_DOC_GUIDELINE, SA_DOC_COUNT } sa_doc_id;
typedef enum { SA_LOGO_SVG = 0, SA_LOGO_PNG, SA_LOGO_FORMATS } sa_logo_format;

typedef struct {
    const char *url;
    const char *label;
} sa_link;

/* A file of templates/static/, read once at configuration time. */
typedef enum { SA_STATIC_CSS = 0, SA_STATIC_JS, SA_STATIC_COUNT } sa_static_id;
typedef struct {
    const char *name;          /* "site.css" */
    const char *type;          /* Content-Type */
    const char *data;
    apr_size_t len;
    const char *etag;
} sa_static;

typedef struct {
    const char *base_url;            /* SecActionBaseURL */
    const char *mount;               /* its path: where SetHandler secaction is */
    apr_array_header_t *sendmail;    /* SecActionSendmail: argv (const char *) */
    const char *mail_from;           /* SecActionMailFrom */
    int token_lifetime;              /* SecActionTokenLifetime, seconds */
    const char *template_dir;        /* SecActionTemplateDir */
    const char *data_dir;            /* SecActionDataDir */
    apr_array_header_t *purposes;    /* SecActionPurpose (const char *) */
    apr_array_header_t *via_allow;   /* SecActionViaAllow (const char *) */
    int password_cost;               /* SecActionPasswordCost */
    int accept_mode;                 /* SecActionAcceptance (sa_accept_mode), -1 unset */
    int mail_retry;                  /* SecActionMailRetry, seconds */
    int mail_timeout;                /* SecActionMailTimeout, seconds */
    apr_array_header_t *links;       /* SecActionRelatedLink (sa_link) */
    const char *postal_file;         /* SecActionPostalData */
    int login_idle;                  /* SecActionLoginIdle, seconds */
    int login_max_age;               /* SecActionLoginMaxAge, seconds */
    int login_slow_after;            /* SecActionLoginSlowAfter */
    int login_max_failures;          /* SecActionLoginLock: failures ... */
    int login_lock;                  /* ... and seconds */
    int reset_lifetime;              /* SecActionResetLifetime, seconds */
    int contact_lifetime;            /* SecActionContactLifetime, seconds */
    int client_limit;                /* SecActionClientLimit, 仮申込み an hour */
    int provisional_keep;            /* SecActionProvisionalKeep, seconds after the link expired */
    const char *logo_paths[2][SA_LOGO_FORMATS];   /* SecActionLogoFile, [level-1][format] */
    const char *doc_paths[SA_DOC_COUNT];          /* SecActionLogoDocument */

    /* loaded at configuration time */
    sa_tmpl *pages[SA_PAGE_COUNT];
    sa_mail_tmpl *mails[SA_MAIL_COUNT];
    sa_static statics[SA_STATIC_COUNT];
    sa_catalog *texts;               /* templates/messages.txt */
    sa_file logos[2][SA_LOGO_FORMATS];
    sa_file docs[SA_DOC_COUNT];
    sa_refdata *ref;
    sa_postal *postal;               /* NULL: 住所検索 is not offered */
    sa_form_options form_opts;
    const char *dummy_hash;          /* verified for an unknown 利用者番号: same time */
    int loaded;
} sa_server_conf;

extern module AP_MODULE_DECLARE_DATA secaction_module;
extern const command_rec sa_directives[];

void *sa_create_server_conf(apr_pool_t *p, server_rec *s);
void *sa_merge_server_conf(apr_pool_t *p, void *basev, void *addv);

/* Loads templates and reference data of every server that has not loaded
 * them yet (defaults); logs and returns !OK on failure. */
int sa_config_check(apr_pool_t *pconf, server_rec *s);

#define SA_SCONF(s) ((sa_server_conf *)ap_get_module_config((s)->module_config, &secaction_module))

#endif
