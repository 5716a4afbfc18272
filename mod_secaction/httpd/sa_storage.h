/* Storage through mod_dbd: the module's SQL statements (prepared once, at
 * configuration time, portable between SQLite and PostgreSQL) and small
 * helpers to run them.  Glue. */
#ifndef SA_STORAGE_H
#define SA_STORAGE_H

#include "httpd.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

/* Statement labels. */
#define SA_Q_OUTBOX_INSERT    "secaction_outbox_insert"
#define SA_Q_OUTBOX_BY_KEY    "secaction_outbox_by_key"
#define SA_Q_OUTBOX_DUE       "secaction_outbox_due"
#define SA_Q_OUTBOX_CLAIM     "secaction_outbox_claim"
#define SA_Q_LEASE_TAKE       "secaction_lease_take"
#define SA_Q_OUTBOX_SENT      "secaction_outbox_sent"
#define SA_Q_OUTBOX_FAILED    "secaction_outbox_failed"
#define SA_Q_STATUS_STATES    "secaction_status_states"
#define SA_Q_STATUS_OUTBOX    "secaction_status_outbox"
#define SA_Q_STATUS_RECENT    "secaction_status_recent"
#define SA_Q_STATUS_QUEUE     "secaction_status_queue"
#define SA_Q_STATUS_ACCEPTED  "secaction_status_accepted"
#define SA_Q_SCHEMA_VERSION   "secaction_schema_version"
#define SA_Q_SESSION_PURGE    "secaction_session_purge"
#define SA_Q_SESSION_STORED   "secaction_session_stored"

/* A statement: its label and portable SQL.  Each store keeps its own table
 * (sa_storage.c: outbox, status, worker; sa_decl_store.c: declarations;
 * sa_session.c: login sessions and mailed links). */
typedef struct {
    const char *label;
    const char *sql;
} sa_stmt;

/* Registers every statement with mod_dbd; false if mod_dbd is missing. */
int sa_storage_prepare(server_rec *s);
/* The console's queries (sa_admin.c). */
void sa_admin_register(server_rec *s);
/* The public search's queries (sa_public.c). */
void sa_public_register(server_rec *s);

/* Registers one store's table (called from sa_storage_prepare). */
void sa_storage_prepare_table(server_rec *s, const sa_stmt *table, apr_size_t n);

/* On PostgreSQL, prepares every statement again on a connection that was
 * reconnected since they were prepared (see sa_storage.c); call it on
 * every connection acquired, before its first query. */
void sa_storage_check(ap_dbd_t *dbd, server_rec *s);

/* Runs a statement that changes rows; *nrows (may be NULL) gets the count.
 * args are strings or NULL (SQL NULL), nargs of them. */
apr_status_t sa_db_exec(apr_pool_t *p, ap_dbd_t *dbd, const char *label,
                        int *nrows, int nargs, const char **args);

/* Runs a query and returns every row (array of const char ** of ncols
 * strings, NULL for SQL NULL) in *rows. */
apr_status_t sa_db_rows(apr_pool_t *p, ap_dbd_t *dbd, const char *label,
                        int nargs, const char **args, apr_array_header_t **rows);

/* The first row of a query, or NULL (also on error; *rv tells which). */
const char **sa_db_row(apr_pool_t *p, ap_dbd_t *dbd, const char *label,
                       int nargs, const char **args, apr_status_t *rv);

/* A transaction on dbd: begin, then end committing unless failed is set or
 * a statement failed inside it; returns APR_SUCCESS only if it committed. */
apr_status_t sa_db_begin(apr_pool_t *p, ap_dbd_t *dbd, apr_dbd_transaction_t **t);
apr_status_t sa_db_end(apr_pool_t *p, ap_dbd_t *dbd, apr_dbd_transaction_t *t, int failed);

/* The driver's error text for the last failure (for logs; no values). */
const char *sa_db_error(ap_dbd_t *dbd, apr_status_t rv);

/* Integer to string in p, for statement arguments. */
const char *sa_i64(apr_pool_t *p, apr_int64_t v);

#endif
