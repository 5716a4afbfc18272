/* Page plumbing below the request context (sa_req.h): the wizard's
 * mod_session session, rendering a template into the response, headers,
 * and 303 redirects.  Glue. */
#ifndef SA_PAGE_H
#define SA_PAGE_H

#include "httpd.h"
#include "sa_config.h"

#define SA_FONT_COOKIE "secaction_font"
#define SA_SITE_NAME   "SECURITY ACTION 自己宣言者サイト"

/* Looks up mod_session's functions once the modules are loaded. */
void sa_page_retrieve_fns(void);

/* Session values, namespaced "secaction." by the callers' keys.  get
 * returns NULL when unset or when sessions are not configured. */
const char *sa_sess_get(request_rec *r, const char *key);
void sa_sess_set(request_rec *r, const char *key, const char *val);
/* Loads the request's session before mod_session's fixups hook does (a
 * fixups hook of the module's own, run first): a load that fails is then
 * remembered and the session stays unavailable for the whole request. */
void sa_sess_preload(request_rec *r);
/* True when this request's session could not be read (the database). */
int sa_sess_failed(request_rec *r);
int sa_sess_available(request_rec *r);
/* Saves a changed draft session now, before the answer is sent (mod_session
 * would save it only while the answer goes out, too late to say that it
 * failed).  False when it could not be saved. */
int sa_sess_save(request_rec *r);

/* The draft session's CSRF token (created on first use). */
const char *sa_csrf_token(request_rec *r);

/* Query-string parameter (decoded) or NULL. */
const char *sa_query_arg(request_rec *r, const char *name);

/* Data every page has: mount, csrf, title, font size, related links. */
sa_tdata *sa_page_data(request_rec *r, const char *title);
/* The wizard's progress bar with step `current` (0-based) highlighted. */
void sa_page_progress(request_rec *r, sa_tdata *d, int current);

/* Renders page id inside the layout with status (200 unless an error). */
int sa_page_send(request_rec *r, sa_page_id id, sa_tdata *d, int status);

/* 303 See Other to mount + path (path starts with '/'). */
int sa_redirect(request_rec *r, const char *path);

/* The mount of this request ("/security"). */
const char *sa_mount(request_rec *r);

#endif
