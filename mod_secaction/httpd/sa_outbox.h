/* The mail outbox: a mail is written to the database in the same
 * transaction as the change that causes it, then handed to the sendmail
 * program by the request that caused it (that one mail, by key); failures
 * are retried with a growing delay by the node's background worker, so
 * nothing accepted is lost and nobody has to act.  Glue. */
#ifndef SA_OUTBOX_H
#define SA_OUTBOX_H

#include "httpd.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "sa_config.h"

/* Fills mail template `which` with vals, builds the message to `to` and
 * inserts it under key (unique; inside the caller's transaction: only the
 * store's transition function calls this).  *err says why not. */
apr_status_t sa_outbox_enqueue(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                               apr_int64_t declaration_id, sa_mail_id which, const char *key,
                               const char *to, const apr_table_t *vals, const char **err);

/* Hands the mail queued under key to the sendmail program now, if it is
 * still due (a request delivers its own mail, not the oldest one). */
int sa_outbox_deliver_key(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                          const sa_server_conf *c, const char *key, apr_interval_time_t timeout);

/* Registers the background worker with mod_watchdog (post_config): one
 * thread per node delivers due mail (claiming each first, so that it is
 * never sent by two at once), marks expired 仮申込み and purges sessions,
 * while it holds the database lease (one node at a time). */
int sa_outbox_start_worker(apr_pool_t *pconf, server_rec *s);

#endif
