/* Database helpers of the command-line tools (see sa_dbtool.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "sa_dbtool.h"

void db_open(db_t *db, apr_pool_t *pool, const char *driver, const char *params)
{
    const char *err = NULL;
    apr_dbd_init(pool);
    if (apr_dbd_get_driver(pool, driver, &db->drv) != APR_SUCCESS) {
        fprintf(stderr, "%s: no apr_dbd driver '%s' (libaprutil1-dbd-%s)\n", db->prog, driver,
                driver);
        exit(69);
    }
    if (apr_dbd_open_ex(db->drv, pool, params, &db->h, &err) != APR_SUCCESS) {
        fprintf(stderr, "%s: cannot open the database: %s\n", db->prog, err ? err : "unknown error");
        exit(69);
    }
    db->pool = pool;
    db->pg = !strcmp(driver, "pgsql");
}

void die_db(db_t *db, int rv, const char *what)
{
    const char *e = apr_dbd_error(db->drv, db->h, rv);
    fprintf(stderr, "%s: %s: %s\n", db->prog, what, e && *e ? e : "database error");
    exit(75);
}

void exec_sql(db_t *db, const char *sql)
{
    int n, rv = apr_dbd_query(db->drv, db->h, &n, sql);
    if (rv) {
        die_db(db, rv, sql);
    }
}

const char *scalar(db_t *db, apr_pool_t *p, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;
    int rv = apr_dbd_select(db->drv, p, db->h, &res, sql, 0);
    if (rv) {
        die_db(db, rv, sql);
    }
    while (apr_dbd_get_row(db->drv, p, res, &row, -1) == 0) {
        if (!v) {
            const char *e = apr_dbd_get_entry(db->drv, row, 0);
            v = apr_pstrdup(p, e ? e : "");
        }
    }
    return v ? v : "";
}

static apr_dbd_prepared_t *batch_stmt(db_t *db, batch_t *b, int lg)
{
    if (!b->st[lg]) {
        int rows = 1 << lg, i, rv;
        apr_size_t tl = strlen(b->tuple), hl = strlen(b->head), xl = b->tail ? strlen(b->tail) : 0;
        char *sql = apr_palloc(db->pool, hl + 8 + (tl + 2) * (apr_size_t)rows + xl + 1), *at = sql;
        memcpy(at, b->head, hl); at += hl;
        memcpy(at, " VALUES ", 8); at += 8;
        for (i = 0; i < rows; i++) {
            if (i) {
                *at++ = ','; *at++ = ' ';
            }
            memcpy(at, b->tuple, tl); at += tl;
        }
        memcpy(at, b->tail ? b->tail : "", xl); at += xl;
        *at = '\0';
        rv = apr_dbd_prepare(db->drv, db->pool, db->h, sql,
                             apr_psprintf(db->pool, "tool_%s_%d", b->name, rows), &b->st[lg]);
        if (rv) {
            die_db(db, rv, apr_psprintf(db->pool, "prepare the INSERT of %d %s rows", rows, b->name));
        }
    }
    return b->st[lg];
}

void batch_insert(db_t *db, apr_pool_t *p, batch_t *b, const char **args, int nrows)
{
    while (nrows > 0) {
        int lg = 0, rows, rv, n;
        while ((2 << lg) <= nrows && (2 << lg) <= b->max) {
            lg++;
        }
        rows = 1 << lg;
        rv = apr_dbd_pquery(db->drv, p, db->h, &n, batch_stmt(db, b, lg), rows * b->ncols, args);
        if (rv) {
            die_db(db, rv, apr_psprintf(p, "insert %d %s rows", rows, b->name));
        }
        args += rows * b->ncols;
        nrows -= rows;
    }
}
