/* What the wizard shares with the business's own pages.  Glue. */
#ifndef SA_WIZARD_H
#define SA_WIZARD_H

#include "sa_req.h"
#include "sa_decl_store.h"

/* The text fields of the company and declaration steps ("v.NAME"). */
extern const char *const sa_company_texts[];
extern const char *const sa_decl_texts[];

/* 住所検索 without JavaScript for form form_name, back to return_path. */
int sa_postal_lookup_post(sa_req *q, const char *form_name, const char *return_path);

/* The values and labels of a declaration (company and declaration tables
 * of stored values) as the 入力内容確認 page and マイページ show them. */
void sa_put_declaration(sa_req *q, sa_tdata *d, const apr_table_t *co, const apr_table_t *de);

/* The same for a stored declaration. */
void sa_put_stored_declaration(sa_req *q, sa_tdata *d, const sa_decl *rec);

/* A fresh link of the 受付確認 mail for the 仮申込み after: sets its token
 * hash and expiry and fills *m (the mail with the link).  APR_EGENERAL when
 * no random token could be drawn. */
apr_status_t sa_received_link(sa_req *q, sa_decl *after, sa_change_mail *m);

/* Hands the mail queued under key to the sendmail program now (bounded). */
void sa_deliver_now(sa_req *q, const char *mail_key);

#endif
