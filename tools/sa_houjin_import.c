/* sa-houjin-import: loads the National Tax Agency's corporate-number data
 * (法人番号公表サイト, 基本3情報 全件データ, "CSV形式・Unicode": UTF-8, no
 * header row) into a mod_secaction database, so that every node's wizard
 * can look a 法人番号 up.
 *
 *   sa-houjin-import DRIVER PARAMS FILE...     (DRIVER sqlite3 or pgsql, PARAMS
 *                                               as bin/sa-dbinit takes them;
 *                                               FILE "-" reads standard input)
 *
 * The whole country is about five million rows in one file (or one file per
 * prefecture and one for abroad: give them all).  The files are streamed a
 * line at a time; each row goes through the core's parser (sa_houjin_parse:
 * check digit, UTF-8, the NTA's columns), so the table holds what the form
 * offers.  Rows go into the slot of table houjin that the site does not
 * read (see sql/sqlite/007_houjin.sql), with multi-row prepared INSERTs in
 * transactions of 5,000 rows on SQLite (so that the site's own writes never
 * wait long) and 50,000 on PostgreSQL; a 法人番号 given twice keeps its last
 * row.
 * When every file was read, one short transaction records the import
 * (houjin_import) and so switches the site to the new slot; until then it
 * keeps using the data it had, and a failed run leaves that untouched.
 * Then the old slot is emptied, as many rows a transaction.  No table is created or dropped: a
 * running httpd's prepared statements stay valid.  Run one import at a
 * time.
 *
 * Exit status: 0 done; 64 usage; 65 a malformed line (file and line are
 * named) or a schema older than version 7; 66 a file cannot be read; 69 no
 * database; 75 a database error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_time.h>
#include "sa_houjin.h"
#include "sa_dbtool.h"

#define NCOLS      9
/* Rows a transaction: on SQLite each one holds the database's write lock,
 * and the module's own writes (sessions) wait for it only about 1.6 s
 * (apr-util's driver retries 16 times 0.1 s apart), so its transactions
 * stay well under that; PostgreSQL's writers do not wait for them. */
#define TXN_ROWS_SQLITE 5000
#define TXN_ROWS_PG     50000
#define ROW_BATCH  512          /* rows per INSERT statement */
#define BOM        "\xEF\xBB\xBF"

static batch_t rows_batch = {
    "houjin",
    "INSERT INTO houjin (slot, corp_no, name, kana, pref, pref_name, city, postal, closed)",
    "(%lld, %s, %s, %s, %s, %s, %s, %s, %s)",
    NCOLS, ROW_BATCH, { 0 },
    /* a number given twice (in two files) keeps its last row */
    " ON CONFLICT (slot, corp_no) DO UPDATE SET name = excluded.name, kana = excluded.kana,"
    " pref = excluded.pref, pref_name = excluded.pref_name, city = excluded.city,"
    " postal = excluded.postal, closed = excluded.closed"
};

typedef struct {
    db_t *db;
    apr_pool_t *txn_pool;       /* the rows of the open transaction */
    apr_dbd_transaction_t *txn;
    const char **args;          /* ROW_BATCH rows waiting */
    apr_hash_t *in_batch;       /* their numbers -> row index */
    int pending;
    const char *slot;           /* the slot being filled */
    long txn_rows, txn_max;
    apr_int64_t rows, left_out;
} loader_t;

static void usage(void)
{
    fprintf(stderr, "usage: sa-houjin-import sqlite3|pgsql PARAMS FILE...\n"
                    "  FILE: the NTA's 全件データ, CSV形式・Unicode, unzipped ('-': standard input)\n");
    exit(64);
}

static void begin(loader_t *l)
{
    int rv;
    apr_pool_clear(l->txn_pool);
    l->txn = NULL;
    if ((rv = apr_dbd_transaction_start(l->db->drv, l->txn_pool, l->db->h, &l->txn)) != 0) {
        die_db(l->db, rv, "begin a transaction");
    }
    l->args = apr_palloc(l->txn_pool, sizeof(char *) * NCOLS * ROW_BATCH);
    l->in_batch = apr_hash_make(l->txn_pool);
    l->txn_rows = 0;
}

static void flush(loader_t *l)
{
    if (l->pending) {
        batch_insert(l->db, l->txn_pool, &rows_batch, l->args, l->pending);
        l->pending = 0;
        apr_hash_clear(l->in_batch);
    }
}

static void commit(loader_t *l)
{
    int rv;
    flush(l);
    if ((rv = apr_dbd_transaction_end(l->db->drv, l->txn_pool, l->txn)) != 0) {
        die_db(l->db, rv, "commit");
    }
}

static const char *copy(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

static void add(loader_t *l, const sa_houjin *h)
{
    const char **a;
    int *at = apr_hash_get(l->in_batch, h->corp_no, 13);
    if (at) {
        a = l->args + *at * NCOLS;          /* the same number twice in one statement */
    }
    else {
        at = apr_palloc(l->txn_pool, sizeof(*at));
        *at = l->pending++;
        a = l->args + *at * NCOLS;
        a[0] = l->slot;
        a[1] = apr_pstrdup(l->txn_pool, h->corp_no);
        apr_hash_set(l->in_batch, a[1], 13, at);
    }
    a[2] = copy(l->txn_pool, h->name);
    a[3] = copy(l->txn_pool, h->kana);
    a[4] = copy(l->txn_pool, h->pref);
    a[5] = copy(l->txn_pool, h->pref_name);
    a[6] = copy(l->txn_pool, h->city);
    a[7] = copy(l->txn_pool, h->postal);
    a[8] = copy(l->txn_pool, h->closed);
    l->rows++;
    if (l->pending == ROW_BATCH) {
        flush(l);
    }
    if (++l->txn_rows >= l->txn_max) {
        commit(l);
        begin(l);
    }
}

/* Removes the rows of slot, txn_rows a transaction. */
static void empty_slot(db_t *db, apr_pool_t *p, const char *slot, long txn_rows)
{
    const char *sql = apr_psprintf(p, "DELETE FROM houjin WHERE slot = %s AND corp_no IN"
                                   " (SELECT corp_no FROM houjin WHERE slot = %s LIMIT %ld)",
                                   slot, slot, txn_rows);
    int n = 0, rv;
    do {
        if ((rv = apr_dbd_query(db->drv, db->h, &n, sql)) != 0) {
            die_db(db, rv, "empty the unused slot");
        }
    } while (n > 0);
}

static void load_file(loader_t *l, apr_pool_t *scratch, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;

    if (!f) {
        fprintf(stderr, "sa-houjin-import: cannot read %s\n", path);
        exit(66);
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        char *s = line;
        const char *why = NULL;
        sa_houjin h;
        int rc;
        lineno++;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) {
            s[--len] = '\0';
        }
        if (lineno == 1 && !strncmp(s, BOM, 3)) {
            s += 3;
        }
        if (!*s) {
            continue;
        }
        apr_pool_clear(scratch);
        rc = sa_houjin_parse(scratch, s, &h, &why);
        if (rc < 0) {
            fprintf(stderr, "sa-houjin-import: %s:%ld: %s; nothing was changed\n", path, lineno, why);
            exit(65);
        }
        if (rc == 0) {
            l->left_out++;
            continue;
        }
        add(l, &h);
    }
    if (ferror(f)) {
        fprintf(stderr, "sa-houjin-import: error reading %s\n", path);
        exit(66);
    }
    free(line);
    if (f != stdin) {
        fclose(f);
    }
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool, *scratch;
    db_t db = { "sa-houjin-import", NULL, NULL, NULL, 0 };
    loader_t l = { 0 };
    const char *slot_s;
    apr_time_t t0;
    apr_int64_t gen;
    double secs;
    int i;

    if (argc < 4) {
        usage();
    }
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    apr_pool_create(&scratch, pool);
    apr_pool_create(&l.txn_pool, pool);
    db_open(&db, pool, argv[1], argv[2]);
    if (apr_atoi64(scalar(&db, pool, "SELECT COALESCE(MAX(version), 0) FROM schema_version")) < 7) {
        fprintf(stderr, "sa-houjin-import: the schema is older than version 7 "
                        "(run bin/sa-dbinit first)\n");
        return 65;
    }
    gen = apr_atoi64(scalar(&db, pool, "SELECT COALESCE(MAX(generation), 0) + 1 FROM houjin_import"));
    /* the slot the site does not read (the newest import's is in use) */
    slot_s = scalar(&db, pool, "SELECT 1 - slot FROM houjin_import ORDER BY generation DESC LIMIT 1");
    l.slot = *slot_s ? slot_s : "0";
    if (db.pg) {
        exec_sql(&db, "SET synchronous_commit = off");
    }
    else {
        exec_sql(&db, "PRAGMA synchronous = OFF");
        exec_sql(&db, "PRAGMA cache_size = -262144");    /* 256 MiB */
        scalar(&db, pool, "PRAGMA busy_timeout = 10000");   /* answers a row */
    }
    /* what a failed run may have left */
    l.txn_max = db.pg ? TXN_ROWS_PG : TXN_ROWS_SQLITE;
    empty_slot(&db, pool, l.slot, l.txn_max);

    l.db = &db;
    t0 = apr_time_now();
    begin(&l);
    for (i = 3; i < argc; i++) {
        load_file(&l, scratch, argv[i]);
    }
    commit(&l);
    secs = (double)(apr_time_now() - t0) / 1e6;

    /* the switch: the site reads the old slot until this commits */
    exec_sql(&db, apr_psprintf(pool, "INSERT INTO houjin_import (generation, slot, imported_at,"
                               " row_count, left_out, seconds) VALUES (%" APR_INT64_T_FMT ", %s, %"
                               APR_INT64_T_FMT ", %" APR_INT64_T_FMT ", %" APR_INT64_T_FMT ", %ld)",
                               gen, l.slot, (apr_int64_t)apr_time_sec(apr_time_now()), l.rows,
                               l.left_out, (long)(secs + 0.5)));
    empty_slot(&db, pool, strcmp(l.slot, "0") ? "0" : "1", l.txn_max);
    if (db.pg) {
        exec_sql(&db, "ANALYZE houjin");
    }
    printf("sa-houjin-import: %" APR_INT64_T_FMT " rows (%" APR_INT64_T_FMT " left out) in %.1f s:"
           " %.0f rows/s\n", l.rows, l.left_out, secs, secs > 0 ? (double)l.rows / secs : 0.0);
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}
