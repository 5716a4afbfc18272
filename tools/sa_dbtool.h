/* What the command-line tools (sa-seed, sa-houjin-import) share to write
 * a mod_secaction database through APR-util's DBD: the connection, its
 * errors (the tool exits with 75), single statements, and multi-row
 * prepared INSERTs. */
#ifndef SA_DBTOOL_H
#define SA_DBTOOL_H

#include <apr_pools.h>
#include <apr_dbd.h>

#define LOG_MAX    10           /* multi-row statements for 1, 2, 4 .. 512 rows */

typedef struct {
    const char *prog;           /* "sa-seed": the start of every message */
    const apr_dbd_driver_t *drv;
    apr_dbd_t *h;
    apr_pool_t *pool;
    int pg;
} db_t;

/* Opens DRIVER (sqlite3 or pgsql) with PARAMS as bin/sa-dbinit takes them
 * into db (prog set by the caller); exits 69 when it cannot. */
void db_open(db_t *db, apr_pool_t *pool, const char *driver, const char *params);

/* Says what failed with the database's message, and exits 75. */
void die_db(db_t *db, int rv, const char *what);
void exec_sql(db_t *db, const char *sql);
/* The first column of the first row of sql ("" when none). */
const char *scalar(db_t *db, apr_pool_t *p, const char *sql);

/* A multi-row INSERT: head VALUES tuple, tuple, ... tail, prepared for
 * each power-of-two count of rows up to max (at most 1 << (LOG_MAX - 1)),
 * as needed.  tail (an ON CONFLICT clause) may be NULL. */
typedef struct {
    const char *name, *head, *tuple;
    int ncols, max;
    apr_dbd_prepared_t *st[LOG_MAX];
    const char *tail;
} batch_t;

/* Inserts nrows rows whose values follow each other in args. */
void batch_insert(db_t *db, apr_pool_t *p, batch_t *b, const char **args, int nrows);

#endif
