/* The mail outbox: a mail is written to the database in the same
 * transaction as the change that causes it, then handed to the sendmail
 * program; failures are retried with a growing delay by a thread in every
 * child process, so nothing accepted is lost and nobody has to act.  Glue. */
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

/* Hands up to `limit` due mails to the sendmail program (claiming each
 * first, so several processes and nodes never send one twice at once), each
 * allowed `timeout`.  Returns the number delivered. */
int sa_outbox_deliver_due(apr_pool_t *p, ap_dbd_t *dbd, server_rec *s,
                          const sa_server_conf *c, int limit, apr_interval_time_t timeout);

/* Starts the retry thread of this child process. */
void sa_outbox_child_init(apr_pool_t *pchild, server_rec *s);

#endif
