/* Single-use links mailed to a business: a password reset, and the
 * confirmation of a new contact address.  Only the token's SHA-256 is
 * stored; a link works until its lifetime ends or it is used (marked used
 * in the same transaction as the change it confirms, through
 * sa_change.consume_link); a newer link of the same purpose replaces an
 * older one.  Glue. */
#ifndef SA_LINKS_H
#define SA_LINKS_H

#include "sa_decl_store.h"

typedef enum { SA_LINK_RESET = 0, SA_LINK_CONTACT } sa_link_purpose;

typedef struct {
    apr_int64_t id;
    apr_int64_t decl_id;
    const char *new_contact_name;
    const char *new_email;
    apr_int64_t expires_at;
    int used;
} sa_link_rec;

void sa_links_register(server_rec *s);

/* In one transaction: earlier unused links of this purpose end, a new one
 * is stored, and mail m is queued with the link's URL (base + path + "?t="
 * + token) in its "url_var" placeholder.  *mail_key gets the mail's key. */
apr_status_t sa_link_issue(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                           const sa_decl *d, sa_link_purpose purpose, const char *new_name,
                           const char *new_email, int lifetime, const char *url_prefix,
                           const char *url_var, sa_change_mail *m, const char **mail_key);

/* The link of a token as it arrives (NULL when unknown or malformed). */
apr_status_t sa_link_find(apr_pool_t *p, ap_dbd_t *dbd, const char *token,
                          sa_link_purpose purpose, sa_link_rec **out);

/* Marks link id used (inside a transaction); false if it was used already. */
int sa_link_consume(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id);

/* Links of purpose issued to declaration id since since (a limit on mails). */
apr_status_t sa_link_count_since(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id,
                                 sa_link_purpose purpose, apr_int64_t since, long *n);

/* Removes links that ended more than a week ago (the background worker). */
void sa_link_purge(apr_pool_t *p, ap_dbd_t *dbd);

#endif
