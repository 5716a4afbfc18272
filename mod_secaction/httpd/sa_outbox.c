/* Mail outbox (see sa_outbox.h). */
#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "apr_optional.h"
#include "sa_outbox.h"
#include "sa_storage.h"
#include "sa_decl_store.h"
#include "sa_session.h"
#include "sa_links.h"
#include "sa_policy.h"

APLOG_USE_MODULE(secaction);

#define CLAIM_SECONDS 300    /* a claim outlives any sendmail timeout */
#define WORKER_BATCH  20     /* mails per round of the retry thread */
#define PURGE_SECONDS 300    /* expired wizard sessions are removed this often */
#define POLL_STEP     (APR_USEC_PER_SEC / 5)

apr_status_t sa_outbox_enqueue(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                               apr_int64_t declaration_id, sa_mail_id which, const char *key,
                               const char *to, const apr_table_t *vals, const char **err)
{
    const char *subject, *body, *msg;
    apr_time_t now = apr_time_now();
    const char *now_s = sa_i64(p, apr_time_sec(now));
    const char *args[8];

    sa_mail_tmpl_fill(p, c->mails[which], vals, &subject, &body);
    msg = sa_mail_build(p, c->mail_from, to, subject, body, now, err);
    if (!msg) {
        return APR_EINVAL;
    }
    args[0] = sa_i64(p, declaration_id);
    args[1] = sa_mail_kind(which);
    args[2] = c->mail_from;
    args[3] = to;
    args[4] = msg;
    args[5] = now_s;
    args[6] = now_s;
    args[7] = key;
    if (sa_db_exec(p, dbd, SA_Q_OUTBOX_INSERT, NULL, 8, args) != APR_SUCCESS) {
        *err = sa_db_error(dbd, APR_EGENERAL);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static int deliver_one(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                       const sa_server_conf *c, const char **row,
                       apr_interval_time_t timeout)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *id = row[0];
    const char *claim[3] = { sa_i64(p, now + CLAIM_SECONDS), id, sa_i64(p, now) };
    const char *err = NULL;
    int n = 0, attempts = atoi(row[4]) + 1;
    apr_status_t rv;

    if (sa_db_exec(p, dbd, SA_Q_OUTBOX_CLAIM, &n, 3, claim) != APR_SUCCESS || n != 1) {
        return 0;   /* another process has it */
    }
    if (!c->sendmail) {
        rv = APR_ENOTIMPL;
        err = "SecActionSendmail is not configured";
    }
    else {
        rv = sa_sendmail(p, (const char *const *)c->sendmail->elts, row[1], row[2], row[3],
                         timeout, &err);
    }
    if (rv == APR_SUCCESS) {
        const char *sent[2] = { sa_i64(p, apr_time_sec(apr_time_now())), id };
        if (sa_db_exec(p, dbd, SA_Q_OUTBOX_SENT, NULL, 2, sent) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, APLOGNO(10010)
                         "mod_secaction: mail %s was sent but could not be marked sent: %s",
                         id, sa_db_error(dbd, APR_EGENERAL));
        }
        return 1;
    }
    else {
        apr_int64_t next = now + sa_mail_backoff(c->mail_retry, attempts);
        const char *failed[3] = { err ? err : "failed", sa_i64(p, next), id };
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, APLOGNO(10011)
                     "mod_secaction: mail %s not accepted by the sendmail program (attempt %d, "
                     "next in %" APR_INT64_T_FMT "s): %s", id, attempts, next - now,
                     err ? err : "failed");
        sa_db_exec(p, dbd, SA_Q_OUTBOX_FAILED, NULL, 3, failed);
        return 0;
    }
}

int sa_outbox_deliver_due(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                          const sa_server_conf *c, int limit, apr_interval_time_t timeout)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *args[2] = { sa_i64(p, now), sa_i64(p, now) };
    apr_array_header_t *rows;
    int i, sent = 0;

    if (sa_db_rows(p, dbd, SA_Q_OUTBOX_DUE, 2, args, &rows) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, APLOGNO(10012)
                     "mod_secaction: cannot read the outbox: %s",
                     sa_db_error(dbd, APR_EGENERAL));
        return 0;
    }
    for (i = 0; i < rows->nelts && i < limit; i++) {
        sent += deliver_one(p, dbd, s, c, APR_ARRAY_IDX(rows, i, const char **), timeout);
    }
    return sent;
}

int sa_outbox_deliver_key(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                          const sa_server_conf *c, const char *key, apr_interval_time_t timeout)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *args[3] = { key, sa_i64(p, now), sa_i64(p, now) };
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, SA_Q_OUTBOX_BY_KEY, 3, args, &rv);
    return row ? deliver_one(p, dbd, s, c, row, timeout) : 0;
}

/* --- the retry thread --------------------------------------------------- */

#define EXPIRE_BATCH 100

/* Marks 仮申込み past their link's lifetime as 期限切れ, each through the
 * store's transition function (its version check makes several processes
 * doing it at once record each change once). */
static void expire_provisional(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                               const sa_server_conf *c)
{
    apr_array_header_t *ids;
    int i;
    if (sa_decl_expired_ids(p, dbd, apr_time_sec(apr_time_now()), EXPIRE_BATCH, &ids)
        != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < ids->nelts; i++) {
        const char **row = APR_ARRAY_IDX(ids, i, const char **);
        sa_change ch = { SA_EV_EXPIRE, SA_ACTOR_SYSTEM, "system", "mail link not used in time",
                         NULL, 0, 0 };
        sa_decl *d, *after;
        apr_status_t rv;
        if (sa_decl_by_id(p, dbd, apr_atoi64(row[0]), &d) != APR_SUCCESS || !d) {
            continue;
        }
        after = sa_decl_copy(p, d);
        after->state = sa_state_name(SA_ST_EXPIRED);
        rv = sa_store_apply(p, dbd, c, d, after, &ch);
        if (rv != APR_SUCCESS && rv != APR_EEXIST) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, APLOGNO(10014)
                         "mod_secaction: expiring old 仮申込み deferred (database busy)");
            return;
        }
    }
}

typedef struct {
    server_rec *s;
    apr_pool_t *pool;
    volatile int stop;
    apr_thread_t *thread;
} worker_t;

static void *APR_THREAD_FUNC worker_main(apr_thread_t *t, void *data)
{
    worker_t *w = data;
    APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    const sa_server_conf *c = SA_SCONF(w->s);
    apr_interval_time_t period = apr_time_from_sec(c->mail_retry < 5 ? c->mail_retry : 5);
    apr_pool_t *iter;

    apr_time_t next_purge = 0;

    apr_pool_create(&iter, w->pool);
    while (!w->stop) {
        apr_interval_time_t slept;
        ap_dbd_t *dbd = dbd_open ? dbd_open(iter, w->s) : NULL;
        if (dbd) {
            sa_outbox_deliver_due(iter, dbd, w->s, c, WORKER_BATCH,
                                  apr_time_from_sec(c->mail_timeout));
            expire_provisional(iter, dbd, w->s, c);
            if (apr_time_now() >= next_purge) {
                const char *now = sa_i64(iter, apr_time_now());
                sa_db_exec(iter, dbd, SA_Q_SESSION_PURGE, NULL, 1, &now);
                sa_login_purge(iter, dbd, c);
                sa_link_purge(iter, dbd);
                next_purge = apr_time_now() + apr_time_from_sec(PURGE_SECONDS);
            }
            dbd_close(w->s, dbd);
        }
        apr_pool_clear(iter);
        for (slept = 0; slept < period && !w->stop; slept += POLL_STEP) {
            apr_sleep(POLL_STEP);
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static apr_status_t worker_stop(void *data)
{
    worker_t *w = data;
    apr_status_t rv;
    w->stop = 1;
    apr_thread_join(&rv, w->thread);
    return APR_SUCCESS;
}

void sa_outbox_child_init(apr_pool_t *pchild, server_rec *s)
{
    worker_t *w = apr_pcalloc(pchild, sizeof(*w));
    apr_status_t rv;
    if (!SA_SCONF(s)->loaded) {
        return;
    }
    w->s = s;
    apr_pool_create(&w->pool, pchild);
    rv = apr_thread_create(&w->thread, NULL, worker_main, w, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, APLOGNO(10013)
                     "mod_secaction: cannot start the mail retry thread; mail will only be "
                     "sent while requests arrive");
        return;
    }
    /* before pchild's subpools (w->pool) go: the thread still uses them */
    apr_pool_pre_cleanup_register(pchild, w, worker_stop);
}
