/* Storage through mod_dbd: the module's SQL statements (prepared once, at
 * configuration time, portable between SQLite and PostgreSQL) and small
 * helpers to run them.  Glue. */
#ifndef SA_STORAGE_H
#define SA_STORAGE_H

#include "httpd.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

/* Statement labels. */
#define SA_Q_DECL_INSERT      "secaction_decl_insert"
#define SA_Q_DECL_BY_SUBKEY   "secaction_decl_by_subkey"
#define SA_Q_DECL_BY_TOKEN    "secaction_decl_by_token"
#define SA_Q_ID_TAKEN         "secaction_id_taken"
#define SA_Q_PENDING_FOR      "secaction_pending_for"
#define SA_Q_DECL_ISSUE       "secaction_decl_issue"
#define SA_Q_HISTORY_INSERT   "secaction_history_insert"
#define SA_Q_OUTBOX_INSERT    "secaction_outbox_insert"
#define SA_Q_OUTBOX_DUE       "secaction_outbox_due"
#define SA_Q_OUTBOX_CLAIM     "secaction_outbox_claim"
#define SA_Q_OUTBOX_SENT      "secaction_outbox_sent"
#define SA_Q_OUTBOX_FAILED    "secaction_outbox_failed"
#define SA_Q_STATUS_STATES    "secaction_status_states"
#define SA_Q_STATUS_OUTBOX    "secaction_status_outbox"
#define SA_Q_STATUS_RECENT    "secaction_status_recent"
#define SA_Q_SCHEMA_VERSION   "secaction_schema_version"
#define SA_Q_SESSION_PURGE    "secaction_session_purge"
#define SA_Q_EXPIRE_HISTORY   "secaction_expire_history"
#define SA_Q_EXPIRE           "secaction_expire"

/* Registers every statement with mod_dbd; false if mod_dbd is missing. */
int sa_storage_prepare(server_rec *s);

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
