/* Sessions.  The wizard's draft is a mod_session session (mod_session_dbd,
 * shared by every node); its functions are in sa_page.h.  The business's
 * login is a session of the module's own, in the login_session table:
 * its cookie (HttpOnly, SameSite=Lax, Secure on https) holds a random
 * 256-bit value of which only the SHA-256 is stored; a login always makes
 * a new one (no fixation); it ends after SecActionLoginIdle without a
 * request or SecActionLoginMaxAge after the login, whichever comes first.
 * Glue. */
#ifndef SA_SESSION_H
#define SA_SESSION_H

#include "sa_req.h"

#define SA_LOGIN_COOKIE "secaction_login"
#define SA_CSRF_COOKIE  "secaction_csrf"

struct sa_login {
    const char *id_hash;
    apr_int64_t decl_id;
    const char *csrf;
    apr_table_t *data;       /* flash of this session's forms, documents opened */
    apr_int64_t created_at;
    apr_int64_t seen_at;
    int dirty;               /* data changed: save before answering */
    int touch;               /* only seen_at needs writing */
};

void sa_session_register(server_rec *s);

/* The login session of the request's cookie, or NULL (none, unknown,
 * expired: an expired one is removed).  *down is set when the database
 * could not be asked. */
sa_login *sa_login_load(sa_req *q, int *down);

/* Starts a new login session for declaration decl_id (an older session of
 * this browser is ended first), sets the cookie.  APR_SUCCESS or an error. */
apr_status_t sa_login_begin(sa_req *q, apr_int64_t decl_id);

/* Writes what changed (data, or seen_at); APR_SUCCESS when nothing had to. */
apr_status_t sa_login_save(sa_req *q);

/* Ends the session of this request: row removed, cookie cleared. */
void sa_login_end(sa_req *q);

/* Ends every login session of a declaration (after a password change,
 * except keep_hash, the session that made it). */
apr_status_t sa_login_end_all(sa_req *q, apr_int64_t decl_id, const char *keep_hash);

/* Removes sessions past their lifetime (the background worker). */
void sa_login_purge(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c);

#endif
