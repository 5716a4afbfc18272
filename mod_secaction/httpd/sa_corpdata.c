/* The corporate-number data (see sa_corpdata.h). */
#include "httpd.h"
#include "apr_strings.h"
#include "apr_atomic.h"
#include "sa_corpdata.h"
#include "sa_storage.h"

#define Q_LOADED "secaction_houjin_loaded"
#define Q_FIND   "secaction_houjin_find"

static const sa_stmt statements[] = {
    { Q_LOADED, "SELECT COUNT(*) FROM houjin_import" },
    /* the slot of the newest import is the data in use */
    { Q_FIND, "SELECT name, kana, pref, pref_name, city, postal, closed FROM houjin"
              " WHERE slot = (SELECT slot FROM houjin_import ORDER BY generation DESC LIMIT 1)"
              " AND corp_no = %s" },
};

void sa_corpdata_register(server_rec *s)
{
    sa_storage_prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
}

/* Once the register is loaded it stays loaded (an import only adds a
 * generation and switches slots; nothing removes them), so a process that
 * has seen it loaded does not ask again; one that has not asks at most
 * every NOT_LOADED_RECHECK seconds (an import shows that soon). */
#define NOT_LOADED_RECHECK 2

static volatile apr_uint32_t seen_loaded;
static volatile apr_uint32_t not_loaded_until;   /* seconds since the epoch */

int sa_corpdata_loaded(sa_req *q)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    ap_dbd_t *dbd;
    apr_status_t rv;
    const char **row;
    if (apr_atomic_read32(&seen_loaded)) {
        return 1;
    }
    if (now < apr_atomic_read32(&not_loaded_until)) {
        return 0;
    }
    dbd = sa_db(q);
    row = dbd ? sa_db_row(q->p, dbd, Q_LOADED, 0, NULL, &rv) : NULL;
    if (row && row[0] && apr_atoi64(row[0]) > 0) {
        apr_atomic_set32(&seen_loaded, 1);
        return 1;
    }
    if (row) {
        apr_atomic_set32(&not_loaded_until, now + NOT_LOADED_RECHECK);
    }
    return 0;
}

static const char *text(const char *v)
{
    return v && *v ? v : NULL;    /* the pgsql driver reads SQL NULL as "" */
}

apr_status_t sa_corpdata_find(sa_req *q, const char *corp_no, sa_houjin **h)
{
    ap_dbd_t *dbd = sa_db(q);
    apr_status_t rv = APR_EGENERAL;
    const char **row = dbd ? sa_db_row(q->p, dbd, Q_FIND, 1, &corp_no, &rv) : NULL;
    *h = NULL;
    if (!row) {
        return dbd ? rv : APR_EGENERAL;
    }
    *h = apr_pcalloc(q->p, sizeof(**h));
    (*h)->corp_no = corp_no;
    (*h)->name = text(row[0]);
    (*h)->kana = text(row[1]);
    (*h)->pref = text(row[2]);
    (*h)->pref_name = text(row[3]);
    (*h)->city = text(row[4]);
    (*h)->postal = text(row[5]);
    (*h)->closed = text(row[6]);
    return APR_SUCCESS;
}
