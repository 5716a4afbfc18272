/* Mail outbox (see sa_outbox.h). */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "mod_watchdog.h"
#include <unistd.h>
#include "apr_optional.h"
#include "sa_outbox.h"
#include "sa_storage.h"
#include "sa_decl_store.h"
#include "sa_session.h"
#include "sa_links.h"
#include "sa_policy.h"
#include "sa_token.h"

APLOG_USE_MODULE(secaction);

#define CLAIM_MARGIN  60     /* a claim outlives the sendmail timeout by this */
#define LEASE_SECONDS 30     /* the worker lease across nodes, renewed each round */
#define WORKER_BATCH  20     /* mails read at a time by the worker (LIMIT of SA_Q_OUTBOX_DUE) */
#define ROUND_BUDGET  3      /* seconds a round goes on reading batches while mail is due */
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

/* Claims mail row (so nobody else sends it meanwhile: the claim outlives
 * the timeout the program is given) and hands it to the sendmail program.
 * Delivery is at least once: a node that dies after the program accepted a
 * mail and before it was marked sent leaves it to be sent again; its
 * Message-ID is the same, so the duplicate can be recognised. */
static int deliver_one(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                       const sa_server_conf *c, const char **row,
                       apr_interval_time_t timeout, const char *owner)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *id = row[0];
    const char *claim[4] = { sa_i64(p, now + apr_time_sec(timeout) + CLAIM_MARGIN), owner, id,
                             sa_i64(p, now) };
    const char *err = NULL;
    int n = 0, attempts = atoi(row[4]) + 1;
    apr_status_t rv;

    if (sa_db_exec(p, dbd, SA_Q_OUTBOX_CLAIM, &n, 4, claim) != APR_SUCCESS || n != 1) {
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
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, SALOG(010)
                         "mod_secaction: mail %s was sent but could not be marked sent: %s",
                         id, sa_db_error(dbd, APR_EGENERAL));
        }
        return 1;
    }
    else {
        apr_int64_t next = now + sa_mail_backoff(c->mail_retry, attempts);
        const char *failed[3] = { err ? err : "failed", sa_i64(p, next), id };
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, SALOG(011)
                     "mod_secaction: mail %s not accepted by the sendmail program (attempt %d, "
                     "next in %" APR_INT64_T_FMT "s): %s", id, attempts, next - now,
                     err ? err : "failed");
        sa_db_exec(p, dbd, SA_Q_OUTBOX_FAILED, NULL, 3, failed);
        return 0;
    }
}

/* One batch of due mail; returns how many were due in it (a full batch:
 * there may be more). */
static int deliver_due(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s, const sa_server_conf *c,
                       apr_interval_time_t timeout, const char *owner)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *args[2] = { sa_i64(p, now), sa_i64(p, now) };
    apr_array_header_t *rows;
    int i;

    if (sa_db_rows(p, dbd, SA_Q_OUTBOX_DUE, 2, args, &rows) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, SALOG(012)
                     "mod_secaction: cannot read the outbox: %s",
                     sa_db_error(dbd, APR_EGENERAL));
        return 0;
    }
    for (i = 0; i < rows->nelts; i++) {
        deliver_one(p, dbd, s, c, APR_ARRAY_IDX(rows, i, const char **), timeout, owner);
    }
    return rows->nelts;
}

int sa_outbox_deliver_key(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                          const sa_server_conf *c, const char *key, apr_interval_time_t timeout)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *args[3] = { key, sa_i64(p, now), sa_i64(p, now) };
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, SA_Q_OUTBOX_BY_KEY, 3, args, &rv);
    return row ? deliver_one(p, dbd, s, c, row, timeout, "request") : 0;
}

/* --- the retry thread --------------------------------------------------- */

#define EXPIRE_BATCH 100

static void to_expired(sa_decl *after)
{
    after->state = sa_state_name(SA_ST_EXPIRED);
}

/* The worker's change ev of each declaration of ids (rows of one id),
 * each through the store's transition function (its version check makes
 * several processes doing it at once record each change once).  Stops at
 * the first database failure, to try again next round. */
static void system_changes(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s, const sa_server_conf *c,
                           const apr_array_header_t *ids, sa_event ev, const char *note,
                           void (*change)(sa_decl *after))
{
    int i;
    for (i = 0; i < ids->nelts; i++) {
        const char **row = APR_ARRAY_IDX(ids, i, const char **);
        sa_change ch = { ev, SA_ACTOR_SYSTEM, "system", note, NULL, 0, 0 };
        sa_decl *d, *after;
        apr_status_t rv;
        if (sa_decl_by_id(p, dbd, apr_atoi64(row[0]), &d) != APR_SUCCESS || !d) {
            continue;
        }
        after = sa_decl_copy(p, d);
        change(after);
        rv = sa_store_apply(p, dbd, c, d, after, &ch);
        if (rv != APR_SUCCESS && rv != APR_EEXIST) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, SALOG(014)
                         "mod_secaction: the worker's %s of old applications deferred (database busy)",
                         sa_event_name(ev));
            return;
        }
    }
}

/* Marks 仮申込み past their link's lifetime as 期限切れ; then erases what
 * expired ones held once SecActionProvisionalKeep has passed since (event
 * erase: the state stays 期限切れ). */
static void expire_provisional(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                               const sa_server_conf *c)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_array_header_t *ids;
    if (sa_decl_expired_ids(p, dbd, now, EXPIRE_BATCH, &ids) == APR_SUCCESS) {
        system_changes(p, dbd, s, c, ids, SA_EV_EXPIRE, "確認リンクが期限内に使われなかった",
                       to_expired);
    }
    if (sa_decl_erasable_ids(p, dbd, now - c->provisional_keep, EXPIRE_BATCH, &ids)
        == APR_SUCCESS) {
        system_changes(p, dbd, s, c, ids, SA_EV_ERASE,
                       "保存期間（SecActionProvisionalKeep）の経過", sa_decl_erase);
    }
}

/* --- the worker: one per node (mod_watchdog's singleton), one active
 * across nodes (the database lease) ----------------------------------- */

#define WORKER_NAME "secaction-mail"

static APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get_instance;
static APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_register_callback;

typedef struct {
    server_rec *s;
    ap_watchdog_t *watchdog;
    const char *owner;            /* this node's worker, in the lease */
    apr_time_t next_purge;
    int leased;
} worker_t;

/* Whether this node's worker holds (or could take) the lease. */
static int hold_lease(apr_pool_t *p, ap_dbd_t *dbd, worker_t *w)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *args[4] = { w->owner, sa_i64(p, now + LEASE_SECONDS), w->owner, sa_i64(p, now) };
    int n = 0, had = w->leased;
    w->leased = sa_db_exec(p, dbd, SA_Q_LEASE_TAKE, &n, 4, args) == APR_SUCCESS && n == 1;
    if (w->leased != had) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, w->s, SALOG(015)
                     "mod_secaction: the mail worker of this node %s", w->leased
                     ? "took the lease: it sends due mail" : "lost the lease: another node works");
    }
    return w->leased;
}

static void worker_round(worker_t *w, apr_pool_t *p)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    const sa_server_conf *c = SA_SCONF(w->s);
    ap_dbd_t *dbd = dbd_open ? dbd_open(p, w->s) : NULL;

    if (!dbd) {
        return;
    }
    sa_storage_check(dbd, w->s);
    if (hold_lease(p, dbd, w)) {
        /* a backlog (after an outage of the mail server) is worked off
         * batch after batch, a few seconds a round, so that a graceful stop
         * still ends within a round */
        apr_time_t until = apr_time_now() + apr_time_from_sec(ROUND_BUDGET);
        apr_pool_t *bp;
        int due;
        apr_pool_create(&bp, p);
        do {
            apr_pool_clear(bp);
            due = deliver_due(bp, dbd, w->s, c, apr_time_from_sec(c->mail_timeout), w->owner);
        } while (due >= WORKER_BATCH && apr_time_now() < until && hold_lease(bp, dbd, w));
        apr_pool_destroy(bp);
        expire_provisional(p, dbd, w->s, c);
        if (apr_time_now() >= w->next_purge) {
            const char *now = sa_i64(p, apr_time_now());
            sa_db_exec(p, dbd, SA_Q_SESSION_PURGE, NULL, 1, &now);
            sa_login_purge(p, dbd, c);
            sa_link_purge(p, dbd);
            w->next_purge = apr_time_now() + apr_time_from_sec(PURGE_SECONDS);
        }
    }
    dbd_close(w->s, dbd);
}

/* mod_watchdog calls this in one thread of one child process of the node,
 * every period; a graceful stop waits for the round that runs. */
static apr_status_t worker_callback(int state, void *data, apr_pool_t *ptemp)
{
    worker_t *w = data;
    if (state == AP_WATCHDOG_STATE_RUNNING) {
        worker_round(w, ptemp);
    }
    return APR_SUCCESS;
}

int sa_outbox_start_worker(apr_pool_t *pconf, server_rec *s)
{
    const sa_server_conf *c = SA_SCONF(s);
    apr_interval_time_t period = apr_time_from_sec(c->mail_retry < 5 ? c->mail_retry : 5);
    worker_t *w;
    apr_status_t rv;
    char host[256] = "";

    wd_get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get_instance || !wd_register_callback) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, SALOG(013)
                     "mod_secaction: mod_watchdog is required for the mail worker "
                     "(LoadModule watchdog_module, unless httpd has it built in)");
        return !OK;
    }
    w = apr_pcalloc(pconf, sizeof(*w));
    w->s = s;
    /* the same after a graceful restart (so the new generation keeps the
     * lease instead of waiting for it to lapse), different per node and per
     * httpd instance on one machine (its runtime folder) */
    apr_gethostname(host, sizeof(host), pconf);
    w->owner = apr_psprintf(pconf, "%s:%s", host, ap_runtime_dir_relative(pconf, ""));
    rv = wd_get_instance(&w->watchdog, WORKER_NAME, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register_callback(w->watchdog, period, w, worker_callback);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, SALOG(016)
                     "mod_secaction: cannot start the mail worker");
        return !OK;
    }
    return OK;
}
