/* The declaration store: declarations as typed records, and the ONE
 * function through which every change of a stored declaration goes
 * (sa_store_apply): it asks the core whether the change is allowed
 * (sa_change_allowed), then writes the record, its history row and the
 * mails the change causes in one transaction, and only if nobody changed
 * the record since it was read (its version).  A fresh 受付確認 link (a
 * resend) drops that declaration's 受付確認 mail still waiting in the
 * outbox, whose link no longer works.  Glue. */
#ifndef SA_DECL_STORE_H
#define SA_DECL_STORE_H

#include "httpd.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "sa_config.h"
#include "sa_state.h"

/* The stored columns of a declaration besides id and version, once:
 * X(name, kind) with kind T (text, NULL when empty), I (integer), Z (integer,
 * 0 stored as NULL) or S (an optional integer column kept as text in C).  The SQL of the store,
 * the record and its reading from a row are all made from this list. */
#define SA_DECL_COLUMNS(X) \
    X(submission_key, T) X(state, T) X(level, I) X(pending_level, Z) X(via, T) X(kind, T) \
    X(corp_no, T) X(corp_name, T) X(corp_kana, T) X(rep_name, T) X(rep_kana, T) \
    X(trade_name, T) X(url, T) X(postal, T) X(pref, T) X(city, T) X(street, T) \
    X(building, T) X(phone, T) X(jsic_major, T) X(jsic_middle, T) X(member, T) \
    X(member_name, T) X(ipa_info, T) X(purpose, T) X(score, S) X(publish, T) \
    X(contact_name, T) X(email, T) X(survey, T) X(password_hash, T) X(token_hash, T) \
    X(token_expires, Z) X(user_no, T) X(declaration_no, T) X(created_at, I) \
    X(declared_at, Z) X(accepted_at, Z) X(stopped_at, Z) X(revoked_at, Z) \
    X(revoke_reason, T) X(login_failures, I) X(login_last_failure, I) \
    X(login_locked_until, I) X(queued_at, Z) X(email_key, T) X(client_key, T) \
    X(updated_at, I)

#define SA_DECL_FIELD_T(name) const char *name;
#define SA_DECL_FIELD_S(name) const char *name;
#define SA_DECL_FIELD_I(name) apr_int64_t name;
#define SA_DECL_FIELD_Z(name) apr_int64_t name;
#define SA_DECL_FIELD(name, kind) SA_DECL_FIELD_##kind(name)

/* A declaration.  Text fields are NULL when empty; times are Unix seconds
 * (0 when unset); level 1 or 2; pending_level 2 while a step-up waits;
 * queued_at while it waits for the secretariat (set by sa_store_apply). */
typedef struct {
    apr_int64_t id;
    apr_int64_t version;
    SA_DECL_COLUMNS(SA_DECL_FIELD)
} sa_decl;

/* A mail a change causes: template, recipient, placeholder values. */
typedef struct {
    sa_mail_id which;
    const char *to;
    apr_table_t *vals;
    const char *key;          /* set by sa_store_apply: the outbox row's key */
} sa_change_mail;

/* A change: what, by whom, a note for the history (no personal data), and
 * its mails.  after is the whole record as it must be afterwards. */
typedef struct {
    sa_event event;
    sa_actor_kind actor;
    const char *actor_name;   /* 'applicant', 'system', the business's 利用者番号, REMOTE_USER */
    const char *note;
    sa_change_mail *mails;
    int nmails;
    apr_int64_t consume_link; /* a mailed link this change uses up (0: none) */
} sa_change;

void sa_decl_store_register(server_rec *s);

/* Reads one declaration; APR_SUCCESS with *d NULL when there is none. */
apr_status_t sa_decl_by_id(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id, sa_decl **d);
apr_status_t sa_decl_by_token(apr_pool_t *p, ap_dbd_t *dbd, const char *token_hash, sa_decl **d);
apr_status_t sa_decl_by_user_no(apr_pool_t *p, ap_dbd_t *dbd, const char *user_no, sa_decl **d);
apr_status_t sa_decl_by_subkey(apr_pool_t *p, ap_dbd_t *dbd, const char *key, sa_decl **d);

/* A record from a row of a SELECT of every column in SA_DECL_COLUMNS
 * order, then id and version (other stores' queries of declarations). */
sa_decl *sa_decl_from_row(apr_pool_t *p, const char **row);

/* A copy of d to change and hand to sa_store_apply. */
sa_decl *sa_decl_copy(apr_pool_t *p, const sa_decl *d);

/* Applies a change: before is the record as read (NULL for SA_EV_SUBMIT,
 * which inserts after), after the record as it must be.  APR_SUCCESS;
 * APR_EINVAL when the core does not allow it; APR_EEXIST when the record
 * changed since it was read (or, for a submission, exists already), in
 * which case nothing was written; another error when the database failed.
 * A unique ID drawn twice also gives APR_EEXIST (draw again). */
apr_status_t sa_store_apply(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                            const sa_decl *before, sa_decl *after, sa_change *ch);

/* Appends a row to the audit log of the secretariat's actions (inside the
 * caller's transaction when there is one). */
apr_status_t sa_audit_write(apr_pool_t *p, ap_dbd_t *dbd, const char *actor, const char *action,
                            apr_int64_t decl_id, const char *detail, const char *reason);

/* sa_store_apply for the secretariat's changes: the audit log row (actor,
 * event, detail: what changed, note: the reason) is written in the same
 * transaction. */
apr_status_t sa_store_apply_audited(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                                    const sa_decl *before, sa_decl *after, sa_change *ch,
                                    const char *detail);

/* The history of a declaration, oldest first: rows of (event, from, to,
 * actor, note, at). */
apr_status_t sa_decl_history(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id,
                             apr_array_header_t **rows);

/* Ids of 仮申込み whose link's lifetime has passed (at most limit). */
apr_status_t sa_decl_expired_ids(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t now, int limit,
                                 apr_array_header_t **ids);

/* What an expired 仮申込み held once it is no longer kept: the personal
 * fields are emptied (those the schema requires hold SA_DECL_ERASED); the
 * state, level, kind, prefecture, industry and dates stay, for counts. */
#define SA_DECL_ERASED "（消去済み）"
void sa_decl_erase(sa_decl *d);
int sa_decl_erased(const sa_decl *d);
/* Ids of expired 仮申込み whose link expired before `before` and that are
 * not erased yet (at most limit). */
apr_status_t sa_decl_erasable_ids(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t before, int limit,
                                  apr_array_header_t **ids);

/* Whether a 10-digit number is used already as 利用者番号 or 自己宣言ID. */
int sa_decl_id_taken(apr_pool_t *p, ap_dbd_t *dbd, const char *a, const char *b, int *taken);

/* Number of 仮申込み to the mailbox email_key (sa_email_key) since since. */
apr_status_t sa_decl_pending_for(apr_pool_t *p, ap_dbd_t *dbd, const char *email_key,
                                 apr_int64_t since, long *n);
/* How many 受付確認 mails declaration id had (its submission and each
 * fresh link) and when the last was queued (0 when none). */
apr_status_t sa_decl_received_mails(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id, int *count,
                                    apr_int64_t *last);
/* sa_decl_by_subkey and sa_decl_received_mails of it in one query. */
apr_status_t sa_decl_by_subkey_mails(apr_pool_t *p, ap_dbd_t *dbd, const char *key,
                                     sa_decl **d, int *count, apr_int64_t *last);
/* Number of declarations submitted from client_key since since. */
apr_status_t sa_decl_client_count(apr_pool_t *p, ap_dbd_t *dbd, const char *client_key,
                                  apr_int64_t since, long *n);
/* This installation's secret for keyed hashes of client addresses (read
 * once per process), or NULL. */
const char *sa_site_secret(apr_pool_t *p, ap_dbd_t *dbd);

/* Login failures are counted outside the history (they are not changes of
 * the declaration): sets the three login_* columns of id. */
apr_status_t sa_decl_set_login_guard(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id,
                                     int failures, apr_int64_t last_failure,
                                     apr_int64_t locked_until);

/* Whether d is in the public listing (accepted, not stopped or revoked). */
int sa_decl_listed(const sa_decl *d);

/* Whether d waits for the secretariat's acceptance (new, or a step-up). */
int sa_decl_waiting(const sa_decl *d);

/* Applicant's display name (core: sa_display_name). */
const char *sa_decl_name(apr_pool_t *p, const sa_decl *d);

#endif
