/* Login sessions of businesses (see sa_session.h). */
#include "httpd.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "util_cookies.h"
#include "sa_session.h"
#include "sa_storage.h"
#include "sa_token.h"
#include "sa_kv.h"

APLOG_USE_MODULE(secaction);

#define Q_GET     "secaction_login_get"
#define Q_INSERT  "secaction_login_insert"
#define Q_SAVE    "secaction_login_save"
#define Q_DELETE  "secaction_login_delete"
#define Q_DEL_ALL "secaction_login_delete_all"
#define Q_PURGE   "secaction_login_purge"
#define TOUCH_SECONDS 60     /* seen_at is written at most once a minute */

static const sa_stmt statements[] = {
    { Q_GET, "SELECT declaration_id, csrf, data, created_at, seen_at FROM login_session"
             " WHERE id_hash = %s" },
    { Q_INSERT, "INSERT INTO login_session (id_hash, declaration_id, csrf, data, created_at,"
                " seen_at) VALUES (%s, %lld, %s, '', %lld, %lld)" },
    { Q_SAVE, "UPDATE login_session SET data = %s, seen_at = %lld WHERE id_hash = %s" },
    { Q_DELETE, "DELETE FROM login_session WHERE id_hash = %s" },
    { Q_DEL_ALL, "DELETE FROM login_session WHERE declaration_id = %lld AND id_hash <> %s" },
    { Q_PURGE, "DELETE FROM login_session WHERE seen_at < %lld OR created_at < %lld" },
};

void sa_session_register(server_rec *s)
{
    sa_storage_prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
}

static const char *cookie_attrs(sa_req *q)
{
    const char *m = q->c->mount;
    int https = !strcmp(ap_http_scheme(q->r), "https")
                || (q->c->base_url && !strncasecmp(q->c->base_url, "https:", 6));
    return apr_pstrcat(q->p, "path=", *m ? m : "/", ";HttpOnly;SameSite=Lax",
                       https ? ";Secure" : "", NULL);
}

static const char *cookie_value(sa_req *q)
{
    const char *v = NULL;
    ap_cookie_read(q->r, SA_LOGIN_COOKIE, &v, 0);
    return v && sa_token_wellformed(v) ? v : NULL;
}

static void clear_cookie(sa_req *q)
{
    ap_cookie_remove(q->r, SA_LOGIN_COOKIE, cookie_attrs(q), q->r->err_headers_out, NULL);
}

sa_login *sa_login_load(sa_req *q, int *down)
{
    const char *v = cookie_value(q), *hash, **row;
    apr_int64_t now = apr_time_sec(apr_time_now());
    ap_dbd_t *dbd;
    apr_status_t rv;
    sa_login *l;

    *down = 0;
    if (!v) {
        return NULL;
    }
    if (!(dbd = sa_db(q))) {
        *down = 1;
        return NULL;
    }
    hash = sa_token_hash(q->p, v);
    row = sa_db_row(q->p, dbd, Q_GET, 1, &hash, &rv);
    if (rv != APR_SUCCESS) {
        *down = 1;
        return NULL;
    }
    if (!row) {
        clear_cookie(q);
        return NULL;
    }
    l = apr_pcalloc(q->p, sizeof(*l));
    l->id_hash = hash;
    l->decl_id = apr_atoi64(row[0]);
    l->csrf = row[1];
    l->data = sa_kv_unpack(q->p, row[2]);
    l->created_at = apr_atoi64(row[3]);
    l->seen_at = apr_atoi64(row[4]);
    if (now >= l->created_at + q->c->login_max_age || now >= l->seen_at + q->c->login_idle) {
        sa_db_exec(q->p, dbd, Q_DELETE, NULL, 1, &hash);
        clear_cookie(q);
        return NULL;
    }
    l->touch = now - l->seen_at >= TOUCH_SECONDS;
    return l;
}

apr_status_t sa_login_begin(sa_req *q, apr_int64_t decl_id)
{
    const char *v = sa_token_new(q->p), *csrf = sa_token_new(q->p);
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *args[5];
    ap_dbd_t *dbd = sa_db(q);
    sa_login *l;

    if (!v || !csrf || !dbd) {
        return APR_EGENERAL;
    }
    if (q->login) {
        sa_db_exec(q->p, dbd, Q_DELETE, NULL, 1, &q->login->id_hash);
    }
    else if (cookie_value(q)) {
        /* a session this browser had before (maybe planted): never reused */
        const char *old = sa_token_hash(q->p, cookie_value(q));
        sa_db_exec(q->p, dbd, Q_DELETE, NULL, 1, &old);
    }
    l = apr_pcalloc(q->p, sizeof(*l));
    l->id_hash = sa_token_hash(q->p, v);
    l->decl_id = decl_id;
    l->csrf = csrf;
    l->data = apr_table_make(q->p, 4);
    l->created_at = l->seen_at = now;
    args[0] = l->id_hash;
    args[1] = sa_i64(q->p, decl_id);
    args[2] = csrf;
    args[3] = args[4] = sa_i64(q->p, now);
    if (sa_db_exec(q->p, dbd, Q_INSERT, NULL, 5, args) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    ap_cookie_write(q->r, SA_LOGIN_COOKIE, v, cookie_attrs(q), 0, q->r->err_headers_out, NULL);
    q->login = l;
    return APR_SUCCESS;
}

apr_status_t sa_login_save(sa_req *q)
{
    sa_login *l = q->login;
    const char *args[3];
    ap_dbd_t *dbd;
    int n = 0;
    if (!l || (!l->dirty && !l->touch)) {
        return APR_SUCCESS;
    }
    if (!(dbd = sa_db(q))) {
        return APR_EGENERAL;
    }
    args[0] = sa_kv_pack(q->p, l->data);
    args[1] = sa_i64(q->p, apr_time_sec(apr_time_now()));
    args[2] = l->id_hash;
    if (sa_db_exec(q->p, dbd, Q_SAVE, &n, 3, args) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    l->dirty = l->touch = 0;
    return APR_SUCCESS;
}

void sa_login_end(sa_req *q)
{
    ap_dbd_t *dbd = sa_db(q);
    const char *v = cookie_value(q);
    if (dbd && v) {
        const char *hash = sa_token_hash(q->p, v);
        sa_db_exec(q->p, dbd, Q_DELETE, NULL, 1, &hash);
    }
    clear_cookie(q);
    q->login = NULL;
}

apr_status_t sa_login_end_all(sa_req *q, apr_int64_t decl_id, const char *keep_hash)
{
    ap_dbd_t *dbd = sa_db(q);
    const char *args[2];
    if (!dbd) {
        return APR_EGENERAL;
    }
    args[0] = sa_i64(q->p, decl_id);
    args[1] = keep_hash ? keep_hash : "";
    return sa_db_exec(q->p, dbd, Q_DEL_ALL, NULL, 2, args);
}

void sa_login_purge(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *args[2];
    args[0] = sa_i64(p, now - c->login_idle);
    args[1] = sa_i64(p, now - c->login_max_age);
    sa_db_exec(p, dbd, Q_PURGE, NULL, 2, args);
}
