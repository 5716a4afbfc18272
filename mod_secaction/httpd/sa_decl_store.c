/* The declaration store (see sa_decl_store.h).  Its statements are made
 * from SA_DECL_COLUMNS, so the record, the SELECT, the INSERT and the
 * UPDATE cannot drift apart. */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "apr_strings.h"
#include "sa_decl_store.h"
#include "sa_storage.h"
#include "sa_outbox.h"
#include "sa_links.h"
#include "sa_token.h"
#include "sa_text.h"
#include "sa_search.h"

APLOG_USE_MODULE(secaction);

#define PH_T "%s"
#define PH_S "%lld"
#define PH_I "%lld"
#define PH_Z "%lld"
#define COL(name, kind) #name ", "
#define PH(name, kind) PH_##kind ", "
#define SET(name, kind) #name " = " PH_##kind ", "
#define COLS SA_DECL_COLUMNS(COL)

#define Q_INSERT   "secaction_decl_insert"
#define Q_UPDATE   "secaction_decl_update"
#define Q_BY_ID    "secaction_decl_by_id"
#define Q_BY_TOKEN "secaction_decl_by_token"
#define Q_BY_USER  "secaction_decl_by_user"
#define Q_BY_SUB   "secaction_decl_by_subkey"
#define Q_HISTORY  "secaction_history_insert"
#define Q_HIST_GET "secaction_history_get"
#define Q_EXPIRED  "secaction_decl_expired"
#define Q_ID_TAKEN "secaction_id_taken"
#define Q_PENDING  "secaction_pending_for"
#define Q_GUARD    "secaction_login_guard"
#define Q_AUDIT    "secaction_audit_insert"
#define Q_CLIENT   "secaction_client_count"
#define Q_LIST_DEL_GRAMS "secaction_listing_del_grams"
#define Q_LIST_DEL  "secaction_listing_del"
#define Q_LIST_INS  "secaction_listing_ins"
#define Q_GRAM_INS  "secaction_gram_ins"
#define Q_CNT_LOCK  "secaction_count_lock"
#define Q_CNT_DEC   "secaction_count_dec"
#define Q_CNT_INC   "secaction_count_inc"
#define Q_SECRET   "secaction_site_secret"
#define Q_MAILS    "secaction_received_mails"
#define Q_BY_SUB_MAILS "secaction_decl_by_subkey_mails"
#define Q_ERASABLE "secaction_decl_erasable"
#define Q_SUPERSEDE "secaction_received_supersede"

#define SELECT_DECL "SELECT " COLS "id, version FROM declaration"

static const sa_stmt statements[] = {
    { Q_INSERT, "INSERT INTO declaration (" COLS "version) VALUES ("
                SA_DECL_COLUMNS(PH) "0)" },
    { Q_UPDATE, "UPDATE declaration SET " SA_DECL_COLUMNS(SET) "version = version + 1"
                " WHERE id = %lld AND version = %lld" },
    { Q_BY_ID, SELECT_DECL " WHERE id = %lld" },
    { Q_BY_TOKEN, SELECT_DECL " WHERE token_hash = %s" },
    { Q_BY_USER, SELECT_DECL " WHERE user_no = %s" },
    { Q_BY_SUB, SELECT_DECL " WHERE submission_key = %s" },
    { Q_HISTORY, "INSERT INTO declaration_history (declaration_id, from_state, to_state, actor,"
                 " note, at, event) VALUES (%lld, %s, %s, %s, %s, %lld, %s)" },
    { Q_HIST_GET, "SELECT event, from_state, to_state, actor, note, at FROM declaration_history"
                  " WHERE declaration_id = %lld ORDER BY id" },
    { Q_EXPIRED, "SELECT id FROM declaration WHERE state = 'provisional' AND token_expires < %lld"
                 " ORDER BY id LIMIT %lld" },
    { Q_ERASABLE, "SELECT id FROM declaration WHERE state = 'expired' AND token_expires < %lld"
                  " AND email <> '" SA_DECL_ERASED "' ORDER BY id LIMIT %lld" },
    { Q_ID_TAKEN, "SELECT COUNT(*) FROM declaration WHERE user_no IN (%s, %s)"
                  " OR declaration_no IN (%s, %s)" },
    { Q_PENDING, "SELECT COUNT(*) FROM declaration WHERE email_key = %s"
                 " AND state = 'provisional' AND created_at >= %lld" },
    { Q_CLIENT, "SELECT COUNT(*) FROM declaration WHERE client_key = %s AND created_at >= %lld" },
    { Q_SECRET, "SELECT value FROM site_secret WHERE name = 'client_key'" },
    /* the 受付確認 mails a 仮申込み had: its submission and each fresh link */
#define RECEIVED_MAILS(ID) " FROM declaration_history WHERE declaration_id = " ID \
    " AND event IN ('submit', 'resend') AND to_state = 'provisional'"
    { Q_MAILS, "SELECT COUNT(*), MAX(at)" RECEIVED_MAILS("%lld") },
    /* a declaration by its run's key with its 受付確認 mails (one query for
     * the 受付確認 page) */
    { Q_BY_SUB_MAILS, "SELECT " COLS "id, version,"
                      " (SELECT COUNT(*)" RECEIVED_MAILS("declaration.id") "),"
                      " (SELECT MAX(at)" RECEIVED_MAILS("declaration.id") ")"
                      " FROM declaration WHERE submission_key = %s" },
    /* a fresh link replaces the one of a 受付確認 mail not sent yet: that
     * mail would carry a dead link (one being handed over now goes out) */
    { Q_SUPERSEDE, "DELETE FROM outbox WHERE declaration_id = %lld AND kind = 'received'"
                   " AND sent_at IS NULL AND claimed_until < %lld" },
    { Q_LIST_DEL_GRAMS, "DELETE FROM listing_gram WHERE declaration_id = %lld" },
    { Q_LIST_DEL, "DELETE FROM public_listing WHERE declaration_id = %lld" },
    { Q_LIST_INS, "INSERT INTO public_listing (declaration_id, declaration_no, name, pref, city,"
                  " jsic_major, level, declared_at, search_text)"
                  " VALUES (%lld, %s, %s, %s, %s, %s, %lld, %lld, %s)" },
    { Q_GRAM_INS, "INSERT INTO listing_gram (gram, declaration_id, pref) VALUES (%s, %lld, %s)" },
    /* listing_count follows the postings (core/sa_search.h).  Every writer
     * of counts first takes the row of the listing's generation (pref '#')
     * and moves it on: writers then change the other rows one at a time and
     * cannot deadlock on them, and a count kept by the search for the
     * generation before is not used again. */
    { Q_CNT_LOCK, "UPDATE listing_count SET n = n + 1 WHERE gram = '' AND pref = '#'" },
    { Q_CNT_DEC, "UPDATE listing_count SET n = n - 1"
                 " WHERE pref IN ('', (SELECT pref FROM public_listing WHERE declaration_id = %lld))"
                 " AND gram IN (SELECT gram FROM listing_gram WHERE declaration_id = %lld)" },
    { Q_CNT_INC, "INSERT INTO listing_count (gram, pref, n) SELECT gram, pref, 1 FROM ("
                 "SELECT gram, pref FROM listing_gram WHERE declaration_id = %lld"
                 " UNION ALL SELECT gram, '' FROM listing_gram WHERE declaration_id = %lld) t"
                 " WHERE 1 = 1 ON CONFLICT (gram, pref) DO UPDATE SET n = listing_count.n + 1" },
    { Q_GUARD, "UPDATE declaration SET login_failures = %lld, login_last_failure = %lld,"
               " login_locked_until = %lld WHERE id = %lld" },
    { Q_AUDIT, "INSERT INTO audit_log (at, actor, action, declaration_id, detail, reason)"
               " VALUES (%lld, %s, %s, %lld, %s, %s)" },
};

void sa_decl_store_register(server_rec *s)
{
    sa_storage_prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
}

/* --- records and rows ------------------------------------------------- */

static const char *text_of(apr_pool_t *p, const char *v)
{
    (void)p;
    return v && *v ? v : NULL;   /* the pgsql driver reads SQL NULL as "" */
}

#define READ_T(name) d->name = text_of(p, row[i++]);
#define READ_S(name) d->name = text_of(p, row[i++]);
#define READ_I(name) d->name = row[i] && *row[i] ? apr_atoi64(row[i]) : 0; i++;
#define READ_Z(name) READ_I(name)
#define READ(name, kind) READ_##kind(name)

sa_decl *sa_decl_from_row(apr_pool_t *p, const char **row)
{
    sa_decl *d = apr_pcalloc(p, sizeof(*d));
    int i = 0;
    SA_DECL_COLUMNS(READ)
    d->id = apr_atoi64(row[i++]);
    d->version = apr_atoi64(row[i]);
    return d;
}

#define ARG_T(name) args[n++] = after->name && *after->name ? after->name : NULL;
#define ARG_S(name) ARG_T(name)
#define ARG_I(name) args[n++] = sa_i64(p, after->name);
#define ARG_Z(name) args[n++] = after->name ? sa_i64(p, after->name) : NULL;
#define ARG(name, kind) ARG_##kind(name)
#define COUNT(name, kind) + 1
#define NCOLS (0 SA_DECL_COLUMNS(COUNT))

/* The statement arguments for every column of after, then extra. */
static const char **column_args(apr_pool_t *p, const sa_decl *after, int extra, int *count)
{
    const char **args = apr_pcalloc(p, sizeof(char *) * (NCOLS + extra));
    int n = 0;
    SA_DECL_COLUMNS(ARG)
    *count = n;
    return args;
}

static apr_status_t one(apr_pool_t *p, ap_dbd_t *dbd, const char *label, const char *arg,
                        sa_decl **d)
{
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, label, 1, &arg, &rv);
    *d = row ? sa_decl_from_row(p, row) : NULL;
    return rv;
}

apr_status_t sa_decl_by_id(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id, sa_decl **d)
{
    return one(p, dbd, Q_BY_ID, sa_i64(p, id), d);
}

apr_status_t sa_decl_by_token(apr_pool_t *p, ap_dbd_t *dbd, const char *token_hash, sa_decl **d)
{
    return one(p, dbd, Q_BY_TOKEN, token_hash, d);
}

apr_status_t sa_decl_by_user_no(apr_pool_t *p, ap_dbd_t *dbd, const char *user_no, sa_decl **d)
{
    return one(p, dbd, Q_BY_USER, user_no, d);
}

apr_status_t sa_decl_by_subkey(apr_pool_t *p, ap_dbd_t *dbd, const char *key, sa_decl **d)
{
    return one(p, dbd, Q_BY_SUB, key, d);
}

sa_decl *sa_decl_copy(apr_pool_t *p, const sa_decl *d)
{
    sa_decl *c = apr_palloc(p, sizeof(*c));
    *c = *d;
    return c;
}

int sa_decl_waiting(const sa_decl *d)
{
    sa_state st = sa_state_parse(d->state);
    return st == SA_ST_DECLARED || (st == SA_ST_ACCEPTED && d->pending_level == 2);
}

const char *sa_decl_name(apr_pool_t *p, const sa_decl *d)
{
    return sa_display_name(p, d->kind, d->corp_name, d->rep_name, d->trade_name);
}

/* --- the public listing ------------------------------------------------ */

int sa_decl_listed(const sa_decl *d)
{
    return sa_state_parse(d->state) == SA_ST_ACCEPTED && d->declaration_no;
}

/* The public listing row of after, written again (or removed) with the
 * change: only its public fields, the n-grams of its names, and the counts
 * of those (taken off for the row it had, added for the new one). */
static int write_listing(apr_pool_t *p, ap_dbd_t *dbd, const sa_decl *before,
                         const sa_decl *after)
{
    const char *id = sa_i64(p, after->id), *a[9], *ids[2] = { id, id };
    const char *names[5];
    apr_array_header_t *grams;
    const char *text;
    int i, n = 0;

    /* a declaration has a listing row exactly while it is listed (only
     * this function writes them): a change that neither lists nor had one
     * writes nothing */
    if (!sa_decl_listed(before) && !sa_decl_listed(after)) {
        return 1;
    }
    if (sa_db_exec(p, dbd, Q_CNT_LOCK, NULL, 0, NULL) != APR_SUCCESS
        || sa_db_exec(p, dbd, Q_CNT_DEC, NULL, 2, ids) != APR_SUCCESS
        || sa_db_exec(p, dbd, Q_LIST_DEL_GRAMS, NULL, 1, &id) != APR_SUCCESS
        || sa_db_exec(p, dbd, Q_LIST_DEL, NULL, 1, &id) != APR_SUCCESS) {
        return 0;
    }
    if (!sa_decl_listed(after)) {
        return 1;
    }
    names[0] = after->corp_name; names[1] = after->corp_kana; names[2] = after->rep_name;
    names[3] = after->rep_kana; names[4] = after->trade_name;
    grams = apr_array_make(p, 32, sizeof(const char *));
    text = sa_listing_text(p, names, 5, grams);
    a[n++] = id;
    a[n++] = after->declaration_no;
    a[n++] = sa_decl_name(p, after);
    a[n++] = after->pref;
    a[n++] = after->city;
    a[n++] = after->jsic_major;
    a[n++] = sa_i64(p, after->level);
    a[n++] = sa_i64(p, after->declared_at ? after->declared_at : after->created_at);
    a[n++] = text;
    if (sa_db_exec(p, dbd, Q_LIST_INS, NULL, n, a) != APR_SUCCESS) {
        return 0;
    }
    for (i = 0; i < grams->nelts; i++) {
        const char *g[3] = { APR_ARRAY_IDX(grams, i, const char *), id, after->pref };
        if (sa_db_exec(p, dbd, Q_GRAM_INS, NULL, 3, g) != APR_SUCCESS) {
            return 0;
        }
    }
    return sa_db_exec(p, dbd, Q_CNT_INC, NULL, 2, ids) == APR_SUCCESS;
}

/* --- the one transition function --------------------------------------- */

static int write_change(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                        const sa_decl *before, sa_decl *after, sa_change *ch,
                        const char *detail, int *conflict)
{
    const char **args, *h[7], *err = NULL;
    int n, rows = 0, i;

    args = column_args(p, after, 2, &n);
    if (!before) {
        sa_decl *stored;
        if (sa_db_exec(p, dbd, Q_INSERT, NULL, n, args) != APR_SUCCESS
            || sa_decl_by_subkey(p, dbd, after->submission_key, &stored) != APR_SUCCESS
            || !stored) {
            return 0;
        }
        after->id = stored->id;
        after->version = stored->version;
    }
    else {
        args[n++] = sa_i64(p, before->id);
        args[n++] = sa_i64(p, before->version);
        if (sa_db_exec(p, dbd, Q_UPDATE, &rows, n, args) != APR_SUCCESS) {
            return 0;
        }
        if (rows != 1) {
            *conflict = 1;
            return 0;
        }
        after->version = before->version + 1;
    }
    /* the public listing follows in the same transaction (a new 仮申込み
     * is never listed: nothing to write) */
    if (before && !write_listing(p, dbd, before, after)) {
        return 0;
    }
    h[0] = sa_i64(p, after->id);
    h[1] = before ? before->state : NULL;
    h[2] = after->state;
    h[3] = ch->actor_name;
    h[4] = ch->note;
    h[5] = sa_i64(p, after->updated_at);
    h[6] = sa_event_name(ch->event);
    if (sa_db_exec(p, dbd, Q_HISTORY, NULL, 7, h) != APR_SUCCESS) {
        return 0;
    }
    if (ch->actor == SA_ACTOR_SECRETARIAT
        && sa_audit_write(p, dbd, ch->actor_name, sa_event_name(ch->event), after->id,
                          detail, ch->note) != APR_SUCCESS) {
        return 0;
    }
    if (ch->consume_link && !sa_link_consume(p, dbd, ch->consume_link)) {
        *conflict = 1;     /* the link was used meanwhile */
        return 0;
    }
    for (i = 0; i < ch->nmails; i++) {
        sa_change_mail *m = &ch->mails[i];
        if (ch->event == SA_EV_RESEND && m->which == SA_MAIL_RECEIVED) {
            const char *a[2] = { h[0], sa_i64(p, apr_time_sec(apr_time_now())) };
            if (sa_db_exec(p, dbd, Q_SUPERSEDE, NULL, 2, a) != APR_SUCCESS) {
                return 0;
            }
        }
        m->key = sa_token_new(p);
        if (!m->key || sa_outbox_enqueue(p, dbd, c, after->id, m->which, m->key, m->to,
                                         m->vals, &err) != APR_SUCCESS) {
            ap_log_perror(APLOG_MARK, APLOG_ERR, 0, p, SALOG(101) "mod_secaction: cannot queue "
                          "the %s mail: %s", sa_mail_kind(m->which), err ? err : "no key");
            return 0;
        }
    }
    return 1;
}

apr_status_t sa_store_apply(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                            const sa_decl *before, sa_decl *after, sa_change *ch)
{
    return sa_store_apply_audited(p, dbd, c, before, after, ch, NULL);
}

apr_status_t sa_store_apply_audited(apr_pool_t *p, ap_dbd_t *dbd, const sa_server_conf *c,
                                    const sa_decl *before, sa_decl *after, sa_change *ch,
                                    const char *detail)
{
    sa_state from = before ? sa_state_parse(before->state) : SA_ST_NONE;
    sa_state to = sa_state_parse(after->state);
    apr_dbd_transaction_t *t;
    int ok, conflict = 0;

    if (!sa_change_allowed(ch->event, ch->actor, from, to)) {
        return APR_EINVAL;
    }
    after->updated_at = apr_time_sec(apr_time_now());
    /* the queue's order: when it started waiting, whatever changes meanwhile */
    if (!sa_decl_waiting(after)) {
        after->queued_at = 0;
    }
    else if (!before || !sa_decl_waiting(before) || !after->queued_at) {
        after->queued_at = after->updated_at;
    }
    if (sa_db_begin(p, dbd, &t) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    ok = write_change(p, dbd, c, before, after, ch, detail, &conflict);
    if (sa_db_end(p, dbd, t, !ok) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (conflict) {
        return APR_EEXIST;
    }
    /* a submission that lost a race with the same run's other submit */
    if (!before) {
        sa_decl *other;
        if (sa_decl_by_subkey(p, dbd, after->submission_key, &other) == APR_SUCCESS && other) {
            return APR_EEXIST;
        }
    }
    else {
        sa_decl *now;
        if (sa_decl_by_id(p, dbd, before->id, &now) == APR_SUCCESS && now
            && now->version != before->version) {
            return APR_EEXIST;
        }
    }
    return APR_EGENERAL;
}

apr_status_t sa_audit_write(apr_pool_t *p, ap_dbd_t *dbd, const char *actor, const char *action,
                            apr_int64_t decl_id, const char *detail, const char *reason)
{
    const char *args[6] = { sa_i64(p, apr_time_sec(apr_time_now())), actor, action,
                            decl_id ? sa_i64(p, decl_id) : NULL, detail, reason };
    return sa_db_exec(p, dbd, Q_AUDIT, NULL, 6, args);
}

/* --- queries ----------------------------------------------------------- */

apr_status_t sa_decl_history(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id,
                             apr_array_header_t **rows)
{
    const char *arg = sa_i64(p, id);
    return sa_db_rows(p, dbd, Q_HIST_GET, 1, &arg, rows);
}

apr_status_t sa_decl_expired_ids(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t now, int limit,
                                 apr_array_header_t **ids)
{
    const char *args[2] = { sa_i64(p, now), sa_i64(p, limit) };
    return sa_db_rows(p, dbd, Q_EXPIRED, 2, args, ids);
}

int sa_decl_id_taken(apr_pool_t *p, ap_dbd_t *dbd, const char *a, const char *b, int *taken)
{
    const char *args[4] = { a, b, a, b };
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, Q_ID_TAKEN, 4, args, &rv);
    *taken = row && apr_atoi64(row[0]) > 0;
    return row != NULL;
}

apr_status_t sa_decl_client_count(apr_pool_t *p, ap_dbd_t *dbd, const char *client_key,
                                  apr_int64_t since, long *n)
{
    const char *args[2] = { client_key, sa_i64(p, since) };
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, Q_CLIENT, 2, args, &rv);
    *n = row ? (long)apr_atoi64(row[0]) : 0;
    return rv;
}

const char *sa_site_secret(apr_pool_t *p, ap_dbd_t *dbd)
{
    /* written once per process; a second thread reading it meanwhile just
     * asks the database too */
    static char secret[129];
    apr_status_t rv;
    const char **row;
    if (secret[0]) {
        return secret;
    }
    row = sa_db_row(p, dbd, Q_SECRET, 0, NULL, &rv);
    if (!row || !row[0] || strlen(row[0]) < 32 || strlen(row[0]) >= sizeof(secret)) {
        return NULL;
    }
    apr_cpystrn(secret, row[0], sizeof(secret));
    return secret;
}

apr_status_t sa_decl_pending_for(apr_pool_t *p, ap_dbd_t *dbd, const char *address,
                                 apr_int64_t since, long *n)
{
    const char *args[2] = { address, sa_i64(p, since) };
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, Q_PENDING, 2, args, &rv);
    *n = row ? (long)apr_atoi64(row[0]) : 0;
    return rv;
}

apr_status_t sa_decl_set_login_guard(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id,
                                     int failures, apr_int64_t last_failure,
                                     apr_int64_t locked_until)
{
    const char *args[4] = { sa_i64(p, failures), sa_i64(p, last_failure),
                            sa_i64(p, locked_until), sa_i64(p, id) };
    return sa_db_exec(p, dbd, Q_GUARD, NULL, 4, args);
}

apr_status_t sa_decl_received_mails(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t id, int *count,
                                    apr_int64_t *last)
{
    const char *arg = sa_i64(p, id);
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, Q_MAILS, 1, &arg, &rv);
    *count = row ? (int)apr_atoi64(row[0]) : 0;
    *last = row && row[1] && *row[1] ? apr_atoi64(row[1]) : 0;
    return rv;
}

apr_status_t sa_decl_by_subkey_mails(apr_pool_t *p, ap_dbd_t *dbd, const char *key,
                                     sa_decl **d, int *count, apr_int64_t *last)
{
    apr_status_t rv;
    const char **row = sa_db_row(p, dbd, Q_BY_SUB_MAILS, 1, &key, &rv);
    *d = row ? sa_decl_from_row(p, row) : NULL;
    *count = row ? (int)apr_atoi64(row[NCOLS + 2]) : 0;
    *last = row && row[NCOLS + 3] && *row[NCOLS + 3] ? apr_atoi64(row[NCOLS + 3]) : 0;
    return rv;
}

void sa_decl_erase(sa_decl *d)
{
    d->corp_no = d->corp_name = d->corp_kana = d->rep_name = d->rep_kana = NULL;
    d->trade_name = d->url = d->building = d->member_name = d->score = NULL;
    d->publish = d->survey = d->via = d->email_key = d->client_key = NULL;
    d->postal = d->city = d->street = d->phone = SA_DECL_ERASED;
    d->contact_name = d->email = d->password_hash = SA_DECL_ERASED;
}

int sa_decl_erased(const sa_decl *d)
{
    return d->email && !strcmp(d->email, SA_DECL_ERASED);
}

apr_status_t sa_decl_erasable_ids(apr_pool_t *p, ap_dbd_t *dbd, apr_int64_t before, int limit,
                                  apr_array_header_t **ids)
{
    const char *args[2] = { sa_i64(p, before), sa_i64(p, limit) };
    return sa_db_rows(p, dbd, Q_ERASABLE, 2, args, ids);
}
