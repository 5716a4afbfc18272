/* Mailed single-use links (see sa_links.h). */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "apr_strings.h"
#include "sa_links.h"
#include "sa_storage.h"
#include "sa_outbox.h"
#include "sa_token.h"

APLOG_USE_MODULE(secaction);

#define Q_INSERT  "secaction_link_insert"
#define Q_FIND    "secaction_link_find"
#define Q_USE     "secaction_link_use"
#define Q_REPLACE "secaction_link_replace"
#define Q_PURGE   "secaction_link_purge"
#define Q_COUNT   "secaction_link_count"

static const char *const purposes[] = { "reset", "contact" };

static const sa_stmt statements[] = {
    { Q_INSERT, "INSERT INTO link_token (token_hash, declaration_id, purpose, new_contact_name,"
                " new_email, created_at, expires_at) VALUES (%s, %lld, %s, %s, %s, %lld, %lld)" },
    { Q_FIND, "SELECT id, declaration_id, new_contact_name, new_email, expires_at,"
              " COALESCE(used_at, 0) FROM link_token WHERE token_hash = %s AND purpose = %s" },
    { Q_USE, "UPDATE link_token SET used_at = %lld WHERE id = %lld AND used_at IS NULL" },
    { Q_REPLACE, "UPDATE link_token SET used_at = %lld WHERE declaration_id = %lld"
                 " AND purpose = %s AND used_at IS NULL" },
    { Q_PURGE, "DELETE FROM link_token WHERE expires_at < %lld" },
    { Q_COUNT, "SELECT COUNT(*) FROM link_token WHERE declaration_id = %lld AND purpose = %s"
               " AND created_at >= %lld" },
};

void sa_links_register(server_rec *s)
{
    sa_storage_prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
}

apr_status_t sa_link_issue(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                           const sa_decl *d, sa_link_purpose purpose, const char *new_name,
                           const char *new_email, int lifetime, const char *url_prefix,
                           const char *url_var, sa_change_mail *m, const char **mail_key)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *token = sa_token_new(p), *key = sa_token_new(p), *err = NULL;
    const char *ins[7], *rep[3];
    apr_dbd_transaction_t *t;
    int failed = 0;

    if (!token || !key) {
        return APR_EGENERAL;
    }
    rep[0] = sa_i64(p, now);
    rep[1] = sa_i64(p, d->id);
    rep[2] = purposes[purpose];
    ins[0] = sa_token_hash(p, token);
    ins[1] = sa_i64(p, d->id);
    ins[2] = purposes[purpose];
    ins[3] = new_name;
    ins[4] = new_email;
    ins[5] = sa_i64(p, now);
    ins[6] = sa_i64(p, now + lifetime);
    apr_table_setn(m->vals, url_var, apr_pstrcat(p, url_prefix, "?t=", token, NULL));
    if (sa_db_begin(p, dbd, &t) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    failed |= sa_db_exec(p, dbd, Q_REPLACE, NULL, 3, rep) != APR_SUCCESS;
    failed |= !failed && sa_db_exec(p, dbd, Q_INSERT, NULL, 7, ins) != APR_SUCCESS;
    if (!failed && sa_outbox_enqueue(p, dbd, c, d->id, m->which, key, m->to, m->vals, &err)
        != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_ERR, 0, p, SALOG(102)
                      "mod_secaction: cannot queue the %s mail: %s", sa_mail_kind(m->which),
                      err ? err : "database");
        failed = 1;
    }
    if (sa_db_end(p, dbd, t, failed) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    m->key = key;
    *mail_key = key;
    return APR_SUCCESS;
}

apr_status_t sa_link_find(apr_pool_t *p, ap_dbd_t *dbd, const char *token,
                          sa_link_purpose purpose, sa_link_rec **out)
{
    const char *args[2], **row;
    apr_status_t rv;
    sa_link_rec *l;
    *out = NULL;
    if (!token || !sa_token_wellformed(token)) {
        return APR_SUCCESS;
    }
    args[0] = sa_token_hash(p, token);
    args[1] = purposes[purpose];
    row = sa_db_row(p, dbd, Q_FIND, 2, args, &rv);
    if (!row) {
        return rv;
    }
    l = apr_pcalloc(p, sizeof(*l));
    l->id = apr_atoi64(row[0]);
    l->decl_id = apr_atoi64(row[1]);
    l->new_contact_name = row[2] && *row[2] ? row[2] : NULL;
    l->new_email = row[3] && *row[3] ? row[3] : NULL;
    l->expires_at = apr_atoi64(row[4]);
    l->used = apr_atoi64(row[5]) != 0;
    *out = l;
    return APR_SUCCESS;
}

int sa_link_consume(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id)
{
    const char *args[2] = { sa_i64(p, apr_time_sec(apr_time_now())), sa_i64(p, id) };
    int n = 0;
    return sa_db_exec(p, dbd, Q_USE, &n, 2, args) == APR_SUCCESS && n == 1;
}

void sa_link_purge(apr_pool_t *p, ap_dbd_t *dbd)
{
    const char *arg = sa_i64(p, apr_time_sec(apr_time_now()) - 7 * 86400);
    sa_db_exec(p, dbd, Q_PURGE, NULL, 1, &arg);
}

apr_status_t sa_link_count_since(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id,
                                 sa_link_purpose purpose, apr_int64_t since, long *n)
{
    const char *args[3] = { sa_i64(p, id), purposes[purpose], sa_i64(p, since) };
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, Q_COUNT, 3, args, &rv);
    *n = row ? (long)apr_atoi64(row[0]) : 0;
    return rv;
}
