/* The per-request context every handler receives: the request, the
 * configuration, the route, the database handle (acquired once, on first
 * use), the form of a POST, and the sessions (the wizard's draft in
 * mod_session, the business's login in sa_session.c).  Also the answers
 * every area gives: 303 redirects (after saving the sessions) and message
 * pages from the text catalog.  Glue. */
#ifndef SA_REQ_H
#define SA_REQ_H

#include "httpd.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "sa_config.h"
#include "sa_route.h"
#include "sa_tmpl.h"

typedef struct sa_login sa_login;

struct sa_req {
    request_rec *r;
    apr_pool_t *p;
    const sa_server_conf *c;
    const sa_route *route;
    const char *path;          /* under the mount */
    const char *rest;          /* what follows a prefix route's path */
    apr_table_t *form;         /* the POST's fields (SA_R_FORM routes) */
    sa_login *login;           /* the business's login session, or NULL */
    const char *remote_user;   /* the secretariat's name (SA_R_ADMIN routes) */
    ap_dbd_t *dbd;
    int dbd_tried;
};

void sa_req_retrieve_fns(void);

/* The database handle of this request, or NULL (logged once) when it is
 * down or not configured. */
ap_dbd_t *sa_db(sa_req *q);

/* The session store that belongs to this route: the draft for SA_R_DRAFT
 * routes, the login session for SA_R_LOGIN routes.  Keys are the callers'
 * (namespaced by the store). */
const char *sa_scope_get(sa_req *q, const char *key);
void sa_scope_set(sa_req *q, const char *key, const char *val);

/* The CSRF token of this page: the draft's, the login session's, or for
 * pages without a session a random value kept in a cookie of its own
 * (double submit: nothing is stored for an anonymous visitor). */
const char *sa_csrf(sa_req *q);
/* Whether the POST's "csrf" field matches it. */
int sa_csrf_valid(sa_req *q);

/* Saves the sessions changed by this request.  True when they are kept;
 * false when the save failed, in which case the outage page was sent (so a
 * handler never reports a change that was not kept) and the handler only
 * returns OK. */
int sa_save_sessions(sa_req *q);

/* 303 See Other to mount + path, after saving the sessions. */
int sa_see_other(sa_req *q, const char *path);

/* A page of the text catalog (templates/messages.txt): its title, text
 * paragraphs and link; link_path overrides the entry's link when given. */
int sa_msg(sa_req *q, int status, const char *id);
int sa_msg_link(sa_req *q, int status, const char *id, const char *link_path,
                const char *link_label);
/* The catalog's page with data of the caller's (extra paragraphs etc.). */
sa_tdata *sa_msg_data(sa_req *q, const char *id);

/* The site's absolute address for links in mails: SecActionBaseURL, else
 * the ServerName; never the request's Host header. */
const char *sa_base_url(sa_req *q);

#endif
