/* mod_dbd statements and helpers (see sa_storage.h).  Every statement is
 * here, in one table, so the whole SQL surface can be read in one place.
 * Placeholders: %s text, %lld integers (apr_dbd maps them per driver). */
#include "httpd.h"
#include "http_log.h"
#include "http_config.h"
#include "apr_strings.h"
#include "apr_optional.h"
#include "apr_hash.h"
#include <dlfcn.h>
#include "sa_log.h"
#include "sa_storage.h"
#include "sa_corpdata.h"
#include "sa_decl_store.h"
#include "sa_session.h"
#include "sa_links.h"

APLOG_USE_MODULE(secaction);

static const sa_stmt statements[] = {
    { SA_Q_OUTBOX_INSERT,
      "INSERT INTO outbox (declaration_id, kind, sender, recipient, message, created_at,"
      " next_attempt_at, mail_key) VALUES (%lld, %s, %s, %s, %s, %lld, %lld, %s)" },
    { SA_Q_OUTBOX_BY_KEY,
      "SELECT id, sender, recipient, message, attempts FROM outbox WHERE mail_key = %s"
      " AND sent_at IS NULL AND next_attempt_at <= %lld AND claimed_until < %lld" },
    { SA_Q_OUTBOX_DUE,
      "SELECT id, sender, recipient, message, attempts FROM outbox WHERE sent_at IS NULL"
      " AND next_attempt_at <= %lld AND claimed_until < %lld ORDER BY id LIMIT 20" },
    { SA_Q_OUTBOX_CLAIM,
      "UPDATE outbox SET claimed_until = %lld, claimed_by = %s WHERE id = %lld"
      " AND sent_at IS NULL AND claimed_until < %lld" },
    /* the background worker's lease across nodes: taken when it lapsed,
     * renewed by its holder */
    { SA_Q_LEASE_TAKE,
      "UPDATE worker_lease SET owner = %s, until = %lld WHERE name = 'mail'"
      " AND (owner = %s OR until < %lld)" },
    { SA_Q_OUTBOX_SENT,
      /* the delivered text goes: it carried the verification token */
      "UPDATE outbox SET sent_at = %lld, attempts = attempts + 1, last_error = NULL,"
      " claimed_until = 0, message = '' WHERE id = %lld" },
    { SA_Q_OUTBOX_FAILED,
      "UPDATE outbox SET attempts = attempts + 1, last_error = %s, next_attempt_at = %lld,"
      " claimed_until = 0 WHERE id = %lld" },
    { SA_Q_STATUS_STATES,
      "SELECT state, COUNT(*) FROM declaration GROUP BY state" },
    { SA_Q_STATUS_OUTBOX,
      "SELECT COUNT(*), COALESCE(MIN(created_at), 0),"
      " COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0)"
      " FROM outbox WHERE sent_at IS NULL" },
    { SA_Q_STATUS_RECENT,
      "SELECT COUNT(*) FROM declaration WHERE created_at >= %lld" },
    /* the acceptance queue (new declarations and step-ups): queued_at is
     * set by the store when one starts waiting and NULL otherwise, so a
     * change of data meanwhile neither moves it nor makes it younger;
     * count, oldest time (the index declaration_queue serves both) */
    { SA_Q_STATUS_QUEUE,
      "SELECT COUNT(*), COALESCE(MIN(queued_at), 0)"
      " FROM declaration WHERE queued_at IS NOT NULL" },
    /* acceptances since an hour ago, since a day ago */
    { SA_Q_STATUS_ACCEPTED,
      "SELECT COALESCE(SUM(CASE WHEN at >= %lld THEN 1 ELSE 0 END), 0), COUNT(*)"
      " FROM declaration_history WHERE event = 'accept' AND at >= %lld" },
    { SA_Q_SCHEMA_VERSION,
      "SELECT MAX(version) FROM schema_version" },
    /* mod_session_dbd never removes expired sessions (expiry in microseconds) */
    { SA_Q_SESSION_PURGE,
      "DELETE FROM session WHERE expiry <> 0 AND expiry < %lld" },
    /* whether a draft session mod_session_dbd found blank is stored (sa_page.c) */
    { SA_Q_SESSION_STORED,
      "SELECT COUNT(*) FROM session WHERE key = %s AND (expiry = 0 OR expiry > %lld)" },
};

/* Every statement prepared, for sa_storage_check: the module's, and those
 * of DBDPrepareSQL in the configuration (mod_session_dbd's). */
static apr_array_header_t *registered;

static void configured_statements(apr_pool_t *p, const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "DBDPrepareSQL") && d->args) {
            const char *args = d->args;
            sa_stmt st;
            st.sql = ap_getword_conf(p, &args);
            st.label = ap_getword_conf(p, &args);
            if (*st.sql && *st.label) {
                APR_ARRAY_PUSH(registered, sa_stmt) = st;
            }
        }
        configured_statements(p, d->first_child);
    }
}

void sa_storage_prepare_table(server_rec *s, const sa_stmt *table, apr_size_t n)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    apr_size_t i;
    for (i = 0; prepare && i < n; i++) {
        prepare(s, table[i].sql, table[i].label);
        if (registered) {
            APR_ARRAY_PUSH(registered, sa_stmt) = table[i];
        }
    }
}

/* A PostgreSQL connection that broke (the server restarted, a failover) is
 * reconnected by apr-util's driver in place (PQreset, in its connection
 * check) and mod_dbd goes on using it, but the new server session has none
 * of the statements mod_dbd prepared: every query on it then fails, for as
 * long as the process lives.  The backend's process id tells a reconnected
 * session from the one the statements were prepared in; on a new one they
 * are all prepared again.  libpq's PQbackendPID is looked up at run time
 * (the driver loaded libpq), so the module links no database library. */
typedef int (*backend_pid_fn)(const void *conn);

void sa_storage_check(ap_dbd_t *dbd, server_rec *s)
{
    static backend_pid_fn backend_pid;
    static int looked_up;
    void *seen = NULL;
    int pid, i, again = 0;
    if (!dbd || !registered || strcmp(apr_dbd_name(dbd->driver), "pgsql")) {
        return;
    }
    if (!looked_up) {
        backend_pid = (backend_pid_fn)(apr_uintptr_t)dlsym(RTLD_DEFAULT, "PQbackendPID");
        looked_up = 1;
    }
    if (!backend_pid) {
        return;
    }
    pid = backend_pid(apr_dbd_native_handle(dbd->driver, dbd->handle));
    apr_pool_userdata_get(&seen, "secaction_backend_pid", dbd->pool);
    if (!seen) {            /* a connection mod_dbd opened and prepared */
        int *keep = apr_palloc(dbd->pool, sizeof(*keep));
        *keep = pid;
        apr_pool_userdata_setn(keep, "secaction_backend_pid", NULL, dbd->pool);
        return;
    }
    if (*(int *)seen == pid || pid == 0) {
        return;
    }
    for (i = 0; i < registered->nelts; i++) {
        const sa_stmt *st = &APR_ARRAY_IDX(registered, i, sa_stmt);
        apr_dbd_prepared_t *prepared = NULL;
        if (apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle, st->sql, st->label,
                            &prepared) == 0 && prepared) {
            apr_hash_set(dbd->prepared, st->label, APR_HASH_KEY_STRING, prepared);
            again++;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, SALOG(140)
                 "mod_secaction: the database connection was reconnected (server process %d,"
                 " was %d): %d of %d statements prepared again", pid, *(int *)seen, again,
                 registered->nelts);
    *(int *)seen = pid;
}

int sa_storage_prepare(server_rec *s)
{
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare)) {
        return 0;
    }
    registered = apr_array_make(s->process->pconf, 128, sizeof(sa_stmt));
    configured_statements(s->process->pconf, ap_conftree);
    sa_storage_prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
    sa_decl_store_register(s);
    sa_session_register(s);
    sa_links_register(s);
    sa_admin_register(s);
    sa_public_register(s);
    sa_corpdata_register(s);
    return 1;
}

/* The driver's message of the last failure on this connection, kept at
 * the moment it failed: by the time a caller logs it, a ROLLBACK has
 * replaced it ("not an error").  First line only (no DETAIL with values). */
#define LAST_ERROR_KEY "secaction-last-db-error"
#define LAST_ERROR_MAX 240

static void remember_error(ap_dbd_t *dbd, int rv)
{
    char *buf = NULL, *nl;
    const char *e;
    apr_pool_userdata_get((void **)&buf, LAST_ERROR_KEY, dbd->pool);
    if (!buf) {
        buf = apr_palloc(dbd->pool, LAST_ERROR_MAX);
        apr_pool_userdata_setn(buf, LAST_ERROR_KEY, NULL, dbd->pool);
    }
    e = apr_dbd_error(dbd->driver, dbd->handle, rv);
    apr_cpystrn(buf, e && *e ? e : "unknown database error", LAST_ERROR_MAX);
    if ((nl = strchr(buf, '\n')) != NULL) {
        *nl = '\0';
    }
}

static apr_dbd_prepared_t *stmt(ap_dbd_t *dbd, const char *label)
{
    return apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
}

apr_status_t sa_db_exec(apr_pool_t *p, ap_dbd_t *dbd, const char *label,
                        int *nrows, int nargs, const char **args)
{
    apr_dbd_prepared_t *st = stmt(dbd, label);
    int n = 0, rv;
    if (!st) {
        return APR_EGENERAL;
    }
    rv = apr_dbd_pquery(dbd->driver, p, dbd->handle, &n, st, nargs, args);
    if (nrows) {
        *nrows = n;
    }
    if (rv != 0) {
        remember_error(dbd, rv);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t sa_db_rows(apr_pool_t *p, ap_dbd_t *dbd, const char *label,
                        int nargs, const char **args, apr_array_header_t **rows)
{
    apr_dbd_prepared_t *st = stmt(dbd, label);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int ncols, rv, i;

    *rows = apr_array_make(p, 4, sizeof(const char **));
    if (!st) {
        return APR_EGENERAL;
    }
    /* random access: the pgsql driver then fetches the whole (small) result
     * at once and knows its column count before the first row */
    if ((rv = apr_dbd_pselect(dbd->driver, p, dbd->handle, &res, st, 1, nargs, args)) != 0) {
        remember_error(dbd, rv);
        return APR_EGENERAL;
    }
    /* always drain to -1, so the driver releases the result */
    while ((rv = apr_dbd_get_row(dbd->driver, p, res, &row, -1)) != -1) {
        const char **cols;
        if (rv != 0) {
            remember_error(dbd, rv);
            return APR_EGENERAL;
        }
        ncols = apr_dbd_num_cols(dbd->driver, res);
        cols = apr_pcalloc(p, sizeof(char *) * (ncols + 1));
        for (i = 0; i < ncols; i++) {
            const char *v = apr_dbd_get_entry(dbd->driver, row, i);
            cols[i] = v ? apr_pstrdup(p, v) : NULL;
        }
        APR_ARRAY_PUSH(*rows, const char **) = cols;
    }
    return APR_SUCCESS;
}

const char **sa_db_row(apr_pool_t *p, ap_dbd_t *dbd, const char *label,
                       int nargs, const char **args, apr_status_t *rv)
{
    apr_array_header_t *rows;
    *rv = sa_db_rows(p, dbd, label, nargs, args, &rows);
    if (*rv != APR_SUCCESS || rows->nelts == 0) {
        return NULL;
    }
    return APR_ARRAY_IDX(rows, 0, const char **);
}

apr_status_t sa_db_begin(apr_pool_t *p, ap_dbd_t *dbd, apr_dbd_transaction_t **t)
{
    *t = NULL;
    /* apr-util's pgsql driver dereferences a NULL transaction when BEGIN
     * meets a connection the server has ended (the child dies): a
     * connection already known to be broken is not asked */
    if (apr_dbd_check_conn(dbd->driver, p, dbd->handle) != APR_SUCCESS) {
        remember_error(dbd, -1);
        return APR_EGENERAL;
    }
    return apr_dbd_transaction_start(dbd->driver, p, dbd->handle, t) == 0
           ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t sa_db_end(apr_pool_t *p, ap_dbd_t *dbd, apr_dbd_transaction_t *t, int failed)
{
    int mode;
    if (!t) {
        return APR_EGENERAL;
    }
    if (failed) {
        apr_dbd_transaction_mode_set(dbd->driver, t, APR_DBD_TRANSACTION_ROLLBACK);
    }
    mode = apr_dbd_transaction_mode_get(dbd->driver, t);
    /* a statement that failed inside marks the transaction; it then rolls back */
    if (apr_dbd_transaction_end(dbd->driver, p, t) != 0) {
        return APR_EGENERAL;
    }
    return (failed || (mode & APR_DBD_TRANSACTION_ROLLBACK)) ? APR_EGENERAL : APR_SUCCESS;
}

const char *sa_db_error(ap_dbd_t *dbd, apr_status_t rv)
{
    const char *e = NULL;
    if (!dbd) {
        return "no database connection";
    }
    apr_pool_userdata_get((void **)&e, LAST_ERROR_KEY, dbd->pool);
    if (e && *e) {
        return e;
    }
    e = apr_dbd_error(dbd->driver, dbd->handle, (int)rv);
    return e ? e : "unknown database error";
}

const char *sa_i64(apr_pool_t *p, apr_int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}
