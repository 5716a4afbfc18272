/* One URL of the site: method, path (exact, or a prefix such as "/mypage/"),
 * what the request needs before its handler runs, and the handler.  Each
 * area of URLs keeps its table in its own file (sa_wizard.c, sa_account.c,
 * sa_mypage.c, sa_site.c, sa_status.c); mod_secaction.c's one dispatcher
 * finds the route and enforces its flags.  Glue. */
#ifndef SA_ROUTE_H
#define SA_ROUTE_H

typedef struct sa_req sa_req;
typedef int (*sa_route_fn)(sa_req *q);

enum {
    SA_R_PREFIX = 1 << 0,   /* path is a prefix; the rest is in q->rest */
    SA_R_DRAFT  = 1 << 1,   /* needs the wizard's draft session (mod_session) */
    SA_R_LOGIN  = 1 << 2,   /* needs a logged-in business (else to /login) */
    SA_R_ADMIN  = 1 << 3,   /* needs httpd's REMOTE_USER (the secretariat) */
    SA_R_FORM   = 1 << 4,   /* a POST: the form is read and its CSRF token checked first */
    SA_R_DB     = 1 << 5,   /* needs the database (503 page when it is down) */
    SA_R_WHO    = 1 << 6    /* loads the login session when there is one */
};

typedef struct {
    int method;             /* M_GET (also serves HEAD), M_POST */
    const char *path;       /* under the mount; "" for a handler's own location */
    int flags;
    sa_route_fn run;
} sa_route;

/* The route tables of the areas, each ended by a { 0, NULL, 0, NULL } row. */
const sa_route *sa_site_routes(void);
const sa_route *sa_wizard_routes(void);
const sa_route *sa_account_routes(void);
const sa_route *sa_mypage_routes(void);
const sa_route *sa_status_routes(void);
const sa_route *sa_admin_routes(void);
const sa_route *sa_public_routes(void);

#endif
