/* The secretariat's console under /admin/: the acceptance queue (new
 * declarations and step-ups, oldest first) with bulk acceptance, the
 * detail of a declaration with its history, mails and audit rows, the
 * actions on it (申込受理, 取消 with a reason, lifting a login lock,
 * resending a mail), search with a streamed CSV export, and the audit log.
 *
 * Every route needs httpd's REMOTE_USER (the dispatcher refuses without
 * it); every change goes through the store's transition function and is
 * written to the append-only audit log in the same transaction.  Pages are
 * never cached nor indexed.  Glue. */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "sa_route.h"
#include "sa_req.h"
#include "sa_formpage.h"
#include "sa_decl_store.h"
#include "sa_storage.h"
#include "sa_outbox.h"
#include "sa_page.h"
#include "sa_wizard.h"
#include "sa_csv.h"
#include "sa_form.h"
#include "sa_text.h"
#include "sa_token.h"
#include "sa_validate.h"

APLOG_USE_MODULE(secaction);

#define PAGE_ROWS    50       /* rows of a queue, search or audit page */
#define CSV_CHUNK    1000     /* rows read at a time while exporting */
#define COUNT_CAP    1000     /* search results are counted up to this */
#define REASON_MAX   500

/* --- statements ---------------------------------------------------------------- */

#define Q_QUEUE       "secaction_admin_queue"
#define Q_QUEUE_COUNT "secaction_admin_queue_count"
#define Q_SEARCH      "secaction_admin_search"
#define Q_SEARCH_COUNT "secaction_admin_search_count"
#define Q_SEARCH_NO   "secaction_admin_search_no"
#define Q_SEARCH_NO_COUNT "secaction_admin_search_no_count"
#define Q_SEARCH_USER "secaction_admin_search_user"
#define Q_SEARCH_USER_COUNT "secaction_admin_search_user_count"
#define Q_MAILS       "secaction_admin_mails"
#define Q_AUDIT_DECL  "secaction_admin_audit_decl"
#define Q_AUDIT_PAGE  "secaction_admin_audit_page"

#define DECL_COL(name, kind) #name ", "
#define SELECT_DECL "SELECT " SA_DECL_COLUMNS(DECL_COL) "id, version FROM declaration"

/* The queue's filter: level (0: any; a step-up counts as 2), waiting since
 * from .. to (0: open), after the keyset (queued_at, id).  A parameter
 * compared with a constant is CAST: apr-util's sqlite3 driver binds every
 * parameter as text, and SQLite never equals the text '0' and 0. */
#define QUEUE_WHERE \
    " WHERE queued_at IS NOT NULL AND (state = 'declared' OR (state = 'accepted'" \
    " AND pending_level = 2)) AND (CAST(%lld AS INTEGER) = 0 OR COALESCE(pending_level, level) = CAST(%lld AS INTEGER))" \
    " AND (CAST(%lld AS INTEGER) = 0 OR queued_at >= %lld) AND (CAST(%lld AS INTEGER) = 0 OR queued_at < %lld)"

/* The search's filter: each one applies when given ('' or 0: any).  A
 * search by 自己宣言ID or 利用者番号 has statements driven by that number's
 * index (DRIVE), since a plan made once for every value (PostgreSQL plans
 * each statement once, see sql/pgsql/009) cannot use it for an optional
 * clause. */
#define SEARCH_WHERE(DRIVE) \
    " WHERE " DRIVE "(%s = '' OR declaration_no = %s) AND (%s = '' OR user_no = %s)" \
    " AND (%s = '' OR corp_no = %s) AND (%s = '' OR LOWER(email) = LOWER(%s))" \
    " AND (%s = '' OR state = %s) AND (CAST(%lld AS INTEGER) = 0 OR level = %lld) AND (%s = '' OR pref = %s)" \
    " AND (CAST(%lld AS INTEGER) = 0 OR created_at >= %lld) AND (CAST(%lld AS INTEGER) = 0 OR created_at < %lld)" \
    " AND (%s = '' OR corp_name LIKE %s ESCAPE '\\' OR rep_name LIKE %s ESCAPE '\\'" \
    " OR trade_name LIKE %s ESCAPE '\\' OR corp_kana LIKE %s ESCAPE '\\'" \
    " OR rep_kana LIKE %s ESCAPE '\\')"

static const sa_stmt statements[] = {
    { Q_QUEUE, SELECT_DECL QUEUE_WHERE " AND (queued_at > %lld OR (queued_at = %lld AND id > %lld))"
               " ORDER BY queued_at, id LIMIT %lld" },
    { Q_QUEUE_COUNT, "SELECT COUNT(*), COALESCE(MIN(queued_at), 0),"
                     " COALESCE(SUM(CASE WHEN COALESCE(pending_level, level) = 1 THEN 1 ELSE 0 END), 0)"
                     " FROM declaration" QUEUE_WHERE },
#define SEARCH_PAIR(PAGE, COUNT, DRIVE) \
    { PAGE, SELECT_DECL SEARCH_WHERE(DRIVE) " AND id < %lld ORDER BY id DESC LIMIT %lld" }, \
    { COUNT, "SELECT COUNT(*) FROM (SELECT 1 FROM declaration" SEARCH_WHERE(DRIVE) " LIMIT %lld) t" }
    SEARCH_PAIR(Q_SEARCH, Q_SEARCH_COUNT, ""),
    SEARCH_PAIR(Q_SEARCH_NO, Q_SEARCH_NO_COUNT, "declaration_no = %s AND "),
    SEARCH_PAIR(Q_SEARCH_USER, Q_SEARCH_USER_COUNT, "user_no = %s AND "),
    { Q_MAILS, "SELECT kind, recipient, created_at, COALESCE(sent_at, 0), attempts, last_error"
               " FROM outbox WHERE declaration_id = %lld ORDER BY id" },
    { Q_AUDIT_DECL, "SELECT at, actor, action, detail, reason FROM audit_log"
                    " WHERE declaration_id = %lld ORDER BY id" },
    { Q_AUDIT_PAGE, "SELECT a.id, a.at, a.actor, a.action, a.detail, a.reason, d.id,"
                    " d.declaration_no FROM audit_log a LEFT JOIN declaration d"
                    " ON d.id = a.declaration_id WHERE a.id < %lld ORDER BY a.id DESC LIMIT %lld" },
};

void sa_admin_register(server_rec *s)
{
    sa_storage_prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
}

/* --- small helpers --------------------------------------------------------------- */

static const char *url(sa_req *q, const char *path)
{
    return apr_pstrcat(q->p, q->c->mount, path, NULL);
}

static const char *arg(sa_req *q, const char *name)
{
    const char *v = q->form ? apr_table_get(q->form, name) : sa_query_arg(q->r, name);
    return v ? sa_trim(q->p, v) : "";
}

static const char *date_of(sa_req *q, apr_int64_t t)
{
    return t ? sa_text_date(q->p, apr_time_from_sec(t)) : NULL;
}

static const char *datetime_of(sa_req *q, apr_int64_t t)
{
    return t ? sa_text_datetime(q->p, apr_time_from_sec(t)) : NULL;
}

/* A console page: the layout's values, the console's menu, never indexed. */
static sa_tdata *admin_page(sa_req *q, const char *title)
{
    sa_tdata *d = sa_page(q, title);
    apr_table_setn(q->r->headers_out, "X-Robots-Tag", "noindex, nofollow");
    sa_tdata_flag(d, "admin", 1);
    sa_tdata_text(d, "remote_user", q->remote_user);
    sa_tdata_text(d, "queue_url", url(q, "/admin/"));
    sa_tdata_text(d, "search_url_admin", url(q, "/admin/search"));
    sa_tdata_text(d, "audit_url", url(q, "/admin/audit"));
    return d;
}

static const char *level_name(apr_int64_t level)
{
    return level == 2 ? "二つ星" : "一つ星";
}

static void level_flags(sa_tdata *d, const char *level)
{
    sa_tdata_flag(d, "level_all", !*level);
    sa_tdata_flag(d, "level_1", !strcmp(level, "1"));
    sa_tdata_flag(d, "level_2", !strcmp(level, "2"));
}

/* "2026-12-01" -> Unix seconds, or 0; day_end moves to the next day's start. */
static apr_int64_t date_arg(const char *s, int day_end)
{
    apr_int64_t t = 0;
    return sa_text_parse_date(s, &t) ? t + (day_end ? 86400 : 0) : 0;
}

/* --- the queue -------------------------------------------------------------------- */

typedef struct {
    const char *level, *from, *to;
    apr_int64_t after_at, after_id;
} queue_filter;

static void queue_filter_read(sa_req *q, queue_filter *f)
{
    const char *after = arg(q, "after"), *dot;
    f->level = arg(q, "level");
    if (strcmp(f->level, "1") && strcmp(f->level, "2")) {
        f->level = "";
    }
    f->from = arg(q, "from");
    f->to = arg(q, "to");
    f->after_at = f->after_id = 0;
    if ((dot = strchr(after, '.')) != NULL) {
        f->after_at = apr_atoi64(after);
        f->after_id = apr_atoi64(dot + 1);
    }
}

static int queue_where_args(sa_req *q, const queue_filter *f, const char **a)
{
    const char *lv = *f->level ? f->level : "0";
    const char *from = sa_i64(q->p, date_arg(f->from, 0)), *to = sa_i64(q->p, date_arg(f->to, 1));
    a[0] = lv; a[1] = lv; a[2] = from; a[3] = from; a[4] = to; a[5] = to;
    return 6;
}

static apr_status_t queue_rows(sa_req *q, const queue_filter *f, apr_array_header_t **rows)
{
    const char *a[10];
    int n = queue_where_args(q, f, a);
    a[n++] = sa_i64(q->p, f->after_at);
    a[n++] = sa_i64(q->p, f->after_at);
    a[n++] = sa_i64(q->p, f->after_id);
    a[n++] = sa_i64(q->p, PAGE_ROWS);
    return sa_db_rows(q->p, sa_db(q), Q_QUEUE, n, a, rows);
}

static int queue_get(sa_req *q)
{
    queue_filter f;
    apr_array_header_t *rows;
    const char *a[6], **count;
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_status_t rv;
    sa_tdata *d;
    sa_decl *last = NULL;
    int i, n;

    queue_filter_read(q, &f);
    n = queue_where_args(q, &f, a);
    count = sa_db_row(q->p, sa_db(q), Q_QUEUE_COUNT, n, a, &rv);
    if (!count || queue_rows(q, &f, &rows) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    d = admin_page(q, "受理待ち一覧");
    sa_tdata_text(d, "notice", sa_catalog_text(q->c->texts, apr_pstrcat(q->p, "admin_done_",
                  arg(q, "done"), NULL), "text"));
    if (*arg(q, "n")) {
        sa_tdata_text(d, "notice", sa_catalog_fill(q->p, sa_tdata_get(d, "notice"), "n", arg(q, "n")));
        sa_tdata_text(d, "notice", sa_catalog_fill(q->p, sa_tdata_get(d, "notice"), "skipped",
                      *arg(q, "s") ? arg(q, "s") : "0"));
    }
    sa_tdata_text(d, "count_total", count[0]);
    sa_tdata_text(d, "count_level1", count[2]);
    sa_tdata_text(d, "count_level2", sa_i64(q->p, apr_atoi64(count[0]) - apr_atoi64(count[2])));
    sa_tdata_text(d, "oldest_age", apr_atoi64(count[1]) ? sa_text_age(q->p, (long)(now - apr_atoi64(count[1]))) : "—");
    sa_tdata_text(d, "accept_url", url(q, "/admin/accept"));
    sa_tdata_text(d, "v.level", f.level);
    sa_tdata_text(d, "v.from", f.from);
    sa_tdata_text(d, "v.to", f.to);
    sa_tdata_text(d, "v.after", *arg(q, "after") ? arg(q, "after") : "");
    level_flags(d, f.level);
    sa_tdata_list(d, "rows");
    for (i = 0; i < rows->nelts; i++) {
        sa_decl *x = sa_decl_from_row(q->p, APR_ARRAY_IDX(rows, i, const char **));
        sa_tdata *it = sa_tdata_item(d, "rows");
        sa_tdata_text(it, "id", sa_i64(q->p, x->id));
        sa_tdata_text(it, "detail_url", url(q, apr_psprintf(q->p, "/admin/declarations/%"
                                                           APR_INT64_T_FMT, x->id)));
        sa_tdata_text(it, "declaration_no", x->declaration_no);
        sa_tdata_text(it, "name", sa_decl_name(q->p, x));
        sa_tdata_text(it, "level_name", level_name(x->pending_level ? x->pending_level : x->level));
        sa_tdata_text(it, "kind_label", x->pending_level ? "ステップアップ" : "新規");
        sa_tdata_text(it, "declared_on", date_of(q, x->queued_at));
        sa_tdata_text(it, "age", sa_text_age(q->p, (long)(now - x->queued_at)));
        last = x;
    }
    sa_tdata_text(d, "rows_count", apr_itoa(q->p, rows->nelts));
    sa_tdata_flag(d, "empty", rows->nelts == 0);
    if (last && rows->nelts == PAGE_ROWS) {
        sa_tdata_text(d, "next_url", apr_psprintf(q->p, "%s?level=%s&from=%s&to=%s&after=%"
                                                  APR_INT64_T_FMT ".%" APR_INT64_T_FMT,
                                                  url(q, "/admin/"), f.level,
                                                  ap_escape_uri(q->p, f.from),
                                                  ap_escape_uri(q->p, f.to),
                                                  last->queued_at, last->id));
    }
    return sa_page_send(q->r, SA_PAGE_ADMIN_QUEUE, d, HTTP_OK);
}

/* --- acceptance ---------------------------------------------------------------------- */

static void mail_vals(sa_req *q, const sa_decl *d, sa_change_mail *m, sa_mail_id which)
{
    m->which = which;
    m->to = d->email;
    m->vals = apr_table_make(q->p, 8);
    apr_table_setn(m->vals, "name", sa_decl_name(q->p, d));
    apr_table_setn(m->vals, "contact_name", d->contact_name);
    apr_table_setn(m->vals, "level_name", level_name(d->level));
    apr_table_setn(m->vals, "user_no", d->user_no);
    apr_table_setn(m->vals, "declaration_no", d->declaration_no);
    apr_table_setn(m->vals, "login_url", apr_pstrcat(q->p, sa_base_url(q), "/login", NULL));
    apr_table_setn(m->vals, "top_url", apr_pstrcat(q->p, sa_base_url(q), "/", NULL));
}

/* Accepts declaration id (a new one, or the step-up of an accepted one)
 * and queues mail 3.  APR_EEXIST when it was not waiting (any more): two
 * staff accepting at once accept once and send one mail. */
static apr_status_t accept_one(sa_req *q, apr_int64_t id, const char **mail_key)
{
    ap_dbd_t *dbd = sa_db(q);
    sa_change_mail m;
    sa_change ch = { SA_EV_ACCEPT, SA_ACTOR_SECRETARIAT, NULL, NULL, &m, 1, 0 };
    sa_decl *d, *after;
    const char *detail;
    apr_status_t rv;

    if ((rv = sa_decl_by_id(q->p, dbd, id, &d)) != APR_SUCCESS) {
        return rv;
    }
    if (!d || !sa_decl_waiting(d)) {
        return APR_EEXIST;
    }
    after = sa_decl_copy(q->p, d);
    detail = d->pending_level ? "受理（二つ星へのステップアップ）"
                              : apr_pstrcat(q->p, "受理（", level_name(d->level), "）", NULL);
    after->state = sa_state_name(SA_ST_ACCEPTED);
    after->accepted_at = apr_time_sec(apr_time_now());
    if (d->pending_level) {
        after->level = d->pending_level;
        after->pending_level = 0;
    }
    ch.actor_name = q->remote_user;
    mail_vals(q, after, &m, SA_MAIL_ACCEPTED);
    rv = sa_store_apply_audited(q->p, dbd, q->c, d, after, &ch, detail);
    *mail_key = m.key;
    return rv == APR_EINVAL ? APR_EEXIST : rv;
}

/* POST /admin/accept: the selected rows ("selected" with ids), or every row
 * of the queue page the form showed ("page" with its filter). */
static int bulk_accept_post(sa_req *q)
{
    apr_array_header_t *ids = apr_array_make(q->p, PAGE_ROWS, sizeof(apr_int64_t));
    const apr_array_header_t *fa = apr_table_elts(q->form);
    const apr_table_entry_t *e = (const apr_table_entry_t *)fa->elts;
    int i, accepted = 0, skipped = 0;

    if (apr_table_get(q->form, "page")) {
        queue_filter f;
        apr_array_header_t *rows;
        queue_filter_read(q, &f);
        if (queue_rows(q, &f, &rows) != APR_SUCCESS) {
            return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        }
        for (i = 0; i < rows->nelts; i++) {
            APR_ARRAY_PUSH(ids, apr_int64_t) = sa_decl_from_row(q->p, APR_ARRAY_IDX(rows, i, const char **))->id;
        }
    }
    else {
        for (i = 0; i < fa->nelts && ids->nelts < PAGE_ROWS * 4; i++) {
            if (!strcmp(e[i].key, "ids") && apr_atoi64(e[i].val) > 0) {
                APR_ARRAY_PUSH(ids, apr_int64_t) = apr_atoi64(e[i].val);
            }
        }
    }
    for (i = 0; i < ids->nelts; i++) {
        const char *key = NULL;
        apr_status_t rv = accept_one(q, APR_ARRAY_IDX(ids, i, apr_int64_t), &key);
        if (rv == APR_SUCCESS) {
            accepted++;
        }
        else if (rv == APR_EEXIST) {
            skipped++;
        }
        else {
            return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        }
    }
    /* the mails go through the background worker: a page of 50 stays quick */
    return sa_see_other(q, apr_psprintf(q->p, "/admin/?done=accepted&n=%d&s=%d", accepted, skipped));
}

/* --- one declaration ------------------------------------------------------------------ */

static apr_int64_t rest_id(sa_req *q, const char **action)
{
    const char *slash = strchr(q->rest, '/');
    const char *num = slash ? apr_pstrndup(q->p, q->rest, (apr_size_t)(slash - q->rest)) : q->rest;
    const char *c;
    *action = slash ? slash + 1 : "";
    for (c = num; *c; c++) {
        if (*c < '0' || *c > '9') {
            return 0;
        }
    }
    return *num && strlen(num) < 19 ? apr_atoi64(num) : 0;
}

/* Who made a change, as the history stores it, for the secretariat. */
static const char *actor_label(apr_pool_t *p, const char *actor)
{
    apr_size_t i, n = actor ? strlen(actor) : 0;
    if (!n) {
        return NULL;
    }
    if (!strcmp(actor, "applicant")) {
        return "申込者";
    }
    if (!strcmp(actor, "system")) {
        return "システム";
    }
    for (i = 0; i < n && actor[i] >= '0' && actor[i] <= '9'; i++)
        ;
    if (i == n && n == 10) {
        return "事業者";
    }
    return apr_pstrcat(p, "事務局（", actor, "）", NULL);
}

static const char *mail_state(const char **row)
{
    if (apr_atoi64(row[3])) {
        return "送信済み";
    }
    return apr_atoi64(row[4]) ? "再送待ち（失敗）" : "送信待ち";
}

static const char *mail_label(const char *kind)
{
    static const struct { const char *kind, *label; } labels[] = {
        { "received", "受付確認" }, { "completed", "自己宣言完了" }, { "accepted", "申込受理" },
        { "reset", "パスワード再設定" }, { "password_changed", "パスワード変更" },
        { "data_changed", "登録情報変更" }, { "contact_confirm", "担当者変更の確認" },
        { "contact_changed", "担当者変更" }, { "stepup", "ステップアップ受付" },
        { "stopped", "停止" }, { "revoked", "取消" },
    };
    apr_size_t i;
    for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (!strcmp(labels[i].kind, kind)) {
            return labels[i].label;
        }
    }
    return kind;
}

static void put_lists(sa_req *q, sa_tdata *t, const sa_decl *d)
{
    ap_dbd_t *dbd = sa_db(q);
    const char *id = sa_i64(q->p, d->id);
    apr_array_header_t *rows;
    int i;

    sa_tdata_list(t, "history");
    if (sa_decl_history(q->p, dbd, d->id, &rows) == APR_SUCCESS) {
        for (i = 0; i < rows->nelts; i++) {
            const char **r = APR_ARRAY_IDX(rows, i, const char **);
            sa_tdata *it = sa_tdata_item(t, "history");
            sa_tdata_text(it, "at", datetime_of(q, apr_atoi64(r[5])));
            sa_tdata_text(it, "label", r[0] && *r[0] ? sa_event_label(sa_event_parse(r[0]))
                                                     : sa_state_label(sa_state_parse(r[2])));
            sa_tdata_text(it, "actor", actor_label(q->p, r[3]));
            sa_tdata_text(it, "note", r[4]);
        }
    }
    sa_tdata_list(t, "mails");
    if (sa_db_rows(q->p, dbd, Q_MAILS, 1, &id, &rows) == APR_SUCCESS) {
        for (i = 0; i < rows->nelts; i++) {
            const char **r = APR_ARRAY_IDX(rows, i, const char **);
            sa_tdata *it = sa_tdata_item(t, "mails");
            sa_tdata_text(it, "kind_label", mail_label(r[0]));
            sa_tdata_text(it, "to", r[1]);
            sa_tdata_text(it, "created_at", datetime_of(q, apr_atoi64(r[2])));
            sa_tdata_text(it, "sent_at", datetime_of(q, apr_atoi64(r[3])));
            sa_tdata_text(it, "state_label", mail_state(r));
            sa_tdata_text(it, "attempts", r[4]);
            sa_tdata_text(it, "last_error", r[5] && *r[5] ? r[5] : NULL);
        }
    }
    sa_tdata_list(t, "audit");
    if (sa_db_rows(q->p, dbd, Q_AUDIT_DECL, 1, &id, &rows) == APR_SUCCESS) {
        for (i = 0; i < rows->nelts; i++) {
            const char **r = APR_ARRAY_IDX(rows, i, const char **);
            sa_tdata *it = sa_tdata_item(t, "audit");
            sa_tdata_text(it, "at", datetime_of(q, apr_atoi64(r[0])));
            sa_tdata_text(it, "actor", r[1]);
            sa_tdata_text(it, "action_label", sa_event_label(sa_event_parse(r[2])));
            sa_tdata_text(it, "detail", r[3]);
            sa_tdata_text(it, "reason", r[4]);
        }
    }
}

static int detail_page(sa_req *q, sa_decl *d, const apr_table_t *flash)
{
    sa_state st = sa_state_parse(d->state);
    const char *base = apr_psprintf(q->p, "/admin/declarations/%" APR_INT64_T_FMT, d->id);
    apr_int64_t now = apr_time_sec(apr_time_now());
    sa_tdata *t = admin_page(q, "自己宣言の詳細");

    sa_form_errors(q, t, flash);
    sa_tdata_text(t, "notice", sa_catalog_text(q->c->texts, apr_pstrcat(q->p, "admin_done_",
                  arg(q, "done"), NULL), "text"));
    sa_put_stored_declaration(q, t, d);
    sa_tdata_text(t, "name", sa_decl_name(q->p, d));
    sa_tdata_text(t, "state_label", sa_state_label(st));
    sa_tdata_text(t, "state_class", apr_pstrcat(q->p, "state state-", d->state, NULL));
    sa_tdata_text(t, "level_name", level_name(d->level));
    sa_tdata_text(t, "pending_level_name", d->pending_level ? level_name(d->pending_level) : NULL);
    sa_tdata_text(t, "user_no", d->user_no);
    sa_tdata_text(t, "declaration_no", d->declaration_no);
    sa_tdata_text(t, "created_on", date_of(q, d->created_at));
    sa_tdata_text(t, "declared_on", date_of(q, d->declared_at));
    sa_tdata_text(t, "accepted_on", date_of(q, d->accepted_at));
    sa_tdata_text(t, "stopped_on", date_of(q, d->stopped_at));
    sa_tdata_text(t, "revoked_on", date_of(q, d->revoked_at));
    sa_tdata_text(t, "revoke_reason", d->revoke_reason);
    sa_tdata_text(t, "via", d->via);
    sa_tdata_text(t, "version", sa_i64(q->p, d->version));
    sa_tdata_text(t, "login_failures", sa_i64(q->p, d->login_failures));
    sa_tdata_flag(t, "locked", d->login_locked_until > now);
    sa_tdata_text(t, "locked_until", datetime_of(q, d->login_locked_until));
    sa_tdata_text(t, "v.reason", flash ? apr_table_get(flash, "reason") : NULL);
    if (sa_decl_waiting(d)) {
        sa_tdata_text(t, "accept_url", url(q, apr_pstrcat(q->p, base, "/accept", NULL)));
    }
    if (sa_state_is_active(st)) {
        sa_tdata_text(t, "revoke_url", url(q, apr_pstrcat(q->p, base, "/revoke", NULL)));
    }
    if (sa_state_can_login(st) && (d->login_failures || d->login_locked_until > now)) {
        sa_tdata_text(t, "unlock_url", url(q, apr_pstrcat(q->p, base, "/unlock", NULL)));
    }
    if ((st == SA_ST_PROVISIONAL || st == SA_ST_EXPIRED) && !sa_decl_erased(d)) {
        sa_tdata_text(t, "resend_received_url",
                      url(q, apr_pstrcat(q->p, base, "/resend-received", NULL)));
    }
    if (sa_state_can_login(st)) {
        sa_tdata_text(t, "resend_completed_url",
                      url(q, apr_pstrcat(q->p, base, "/resend-completed", NULL)));
    }
    put_lists(q, t, d);
    return sa_page_send(q->r, SA_PAGE_ADMIN_DETAIL, t, HTTP_OK);
}

static sa_decl *load(sa_req *q, apr_int64_t id, int *sent)
{
    sa_decl *d = NULL;
    *sent = 1;
    if (!id || sa_decl_by_id(q->p, sa_db(q), id, &d) != APR_SUCCESS) {
        if (id) {
            sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
            return NULL;
        }
    }
    if (!d) {
        sa_msg(q, HTTP_NOT_FOUND, "not_found");
        return NULL;
    }
    *sent = 0;
    return d;
}

static int detail_get(sa_req *q)
{
    const char *action;
    apr_int64_t id = rest_id(q, &action);
    sa_decl *d;
    int sent;
    if (*action) {
        return sa_msg(q, HTTP_NOT_FOUND, "not_found");
    }
    if (!(d = load(q, id, &sent))) {
        return OK;
    }
    return detail_page(q, d, NULL);
}

/* The 受付確認 mail again with a fresh link (an expired 仮申込み revives). */
static apr_status_t resend_received(sa_req *q, sa_decl *after, sa_change *ch, sa_change_mail *m)
{
    after->state = sa_state_name(SA_ST_PROVISIONAL);
    if (sa_received_link(q, after, m) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    ch->event = SA_EV_RESEND;
    ch->nmails = 1;
    return APR_SUCCESS;
}

static int action_post(sa_req *q)
{
    const char *action, *detail = NULL, *done = NULL, *key = NULL;
    apr_int64_t id = rest_id(q, &action);
    apr_int64_t now = apr_time_sec(apr_time_now());
    sa_change_mail m;
    sa_change ch = { SA_EV_COUNT, SA_ACTOR_SECRETARIAT, NULL, NULL, &m, 0, 0 };
    sa_decl *d, *after;
    apr_status_t rv;
    int sent;

    if (!(d = load(q, id, &sent))) {
        return OK;
    }
    after = sa_decl_copy(q->p, d);
    ch.actor_name = q->remote_user;
    if (!strcmp(action, "accept")) {
        rv = accept_one(q, d->id, &key);
        if (rv == APR_SUCCESS) {
            sa_deliver_now(q, key);
        }
        done = rv == APR_EEXIST ? "already" : "accept";
        if (rv != APR_SUCCESS && rv != APR_EEXIST) {
            return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        }
        return sa_see_other(q, apr_psprintf(q->p, "/admin/declarations/%" APR_INT64_T_FMT
                                            "?done=%s", d->id, done));
    }
    if (!strcmp(action, "revoke")) {
        const char *reason = arg(q, "reason"), *bad = sa_check_text(reason, 1);
        if (!*reason || bad || sa_utf8_len(reason) > REASON_MAX) {
            apr_table_t *f = apr_table_make(q->p, 2);
            apr_table_setn(f, "reason", reason);
            apr_table_setn(f, "!reason", sa_catalog_text(q->c->texts, "admin_reason", "text"));
            /* a refusal shows the page again at once: nothing was changed */
            return detail_page(q, d, f);
        }
        after->state = sa_state_name(SA_ST_REVOKED);
        after->revoked_at = now;
        after->revoke_reason = reason;
        after->pending_level = 0;
        ch.event = SA_EV_REVOKE;
        ch.note = reason;
        ch.nmails = 1;
        mail_vals(q, d, &m, SA_MAIL_REVOKED);
        apr_table_setn(m.vals, "reason", reason);
        apr_table_setn(m.vals, "revoked_at", sa_text_datetime(q->p, apr_time_now()));
        detail = "取消";
        done = "revoke";
    }
    else if (!strcmp(action, "unlock")) {
        after->login_failures = after->login_last_failure = after->login_locked_until = 0;
        ch.event = SA_EV_UNLOCK;
        detail = "ログイン制限の解除";
        done = "unlock";
    }
    else if (!strcmp(action, "resend-received")) {
        if (sa_decl_erased(d)) {      /* nothing to send it to any more */
            return sa_see_other(q, apr_psprintf(q->p, "/admin/declarations/%" APR_INT64_T_FMT
                                                "?done=already", d->id));
        }
        if (resend_received(q, after, &ch, &m) != APR_SUCCESS) {
            return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        }
        detail = "受付確認メールの再送（新しいリンク）";
        done = "resend";
    }
    else if (!strcmp(action, "resend-completed")) {
        ch.event = SA_EV_RESEND;
        ch.nmails = 1;
        mail_vals(q, d, &m, SA_MAIL_COMPLETED);
        if (sa_state_parse(d->state) == SA_ST_ACCEPTED) {
            apr_table_setn(m.vals, "accepted", "1");
        }
        detail = "完了メールの再送";
        done = "resend";
    }
    else {
        return sa_msg(q, HTTP_NOT_FOUND, "not_found");
    }
    rv = sa_store_apply_audited(q->p, sa_db(q), q->c, d, after, &ch, detail);
    if (rv == APR_EINVAL || rv == APR_EEXIST) {
        done = "already";
    }
    else if (rv != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    else if (ch.nmails) {
        sa_deliver_now(q, m.key);
    }
    return sa_see_other(q, apr_psprintf(q->p, "/admin/declarations/%" APR_INT64_T_FMT "?done=%s",
                                        d->id, done));
}

/* --- search and export --------------------------------------------------------------------- */

static const char *const search_fields[] = {
    "declaration_no", "user_no", "corp_no", "name", "email", "state", "level", "pref", "from", "to",
    NULL
};

/* The search's statements (page and count) and their arguments. */
static int search_args(sa_req *q, const char **a, const char **page, const char **count)
{
    const char *lv = arg(q, "level"), *name = arg(q, "name"), *like;
    const char *from = sa_i64(q->p, date_arg(arg(q, "from"), 0));
    const char *to = sa_i64(q->p, date_arg(arg(q, "to"), 1));
    const char *digits[3];
    static const char *const numeric[] = { "declaration_no", "user_no", "corp_no" };
    int n = 0, i;
    for (i = 0; i < 3; i++) {
        digits[i] = sa_strip_separators(q->p, sa_fold_width(q->p, arg(q, numeric[i])));
    }
    *page = *digits[0] ? Q_SEARCH_NO : *digits[1] ? Q_SEARCH_USER : Q_SEARCH;
    *count = *digits[0] ? Q_SEARCH_NO_COUNT : *digits[1] ? Q_SEARCH_USER_COUNT : Q_SEARCH_COUNT;
    if (*digits[0] || *digits[1]) {
        a[n++] = *digits[0] ? digits[0] : digits[1];
    }
    for (i = 0; i < 3; i++) {
        a[n++] = digits[i];
        a[n++] = digits[i];
    }
    a[n++] = arg(q, "email"); a[n++] = arg(q, "email");
    a[n++] = arg(q, "state"); a[n++] = arg(q, "state");
    lv = (!strcmp(lv, "1") || !strcmp(lv, "2")) ? lv : "0";
    a[n++] = lv; a[n++] = lv;
    a[n++] = arg(q, "pref"); a[n++] = arg(q, "pref");
    a[n++] = from; a[n++] = from; a[n++] = to; a[n++] = to;
    like = sa_like_contains(q->p, name);
    a[n++] = name;
    for (i = 0; i < 5; i++) {
        a[n++] = like;
    }
    return n;
}

static int searched(sa_req *q)
{
    const char *const *f;
    for (f = search_fields; *f; f++) {
        if (*arg(q, *f)) {
            return 1;
        }
    }
    return *arg(q, "go") != '\0';
}

static const char *search_query(sa_req *q)
{
    const char *out = "";
    const char *const *f;
    for (f = search_fields; *f; f++) {
        out = apr_pstrcat(q->p, out, *out ? "&" : "", *f, "=",
                          ap_escape_urlencoded(q->p, arg(q, *f)), NULL);
    }
    return out;
}

static int search_get(sa_req *q)
{
    const sa_server_conf *c = q->c;
    const char *a[40], **count, *page_q, *count_q;
    apr_array_header_t *rows = NULL;
    apr_int64_t before = apr_atoi64(arg(q, "before"));
    apr_status_t rv;
    sa_tdata *t = admin_page(q, "自己宣言の検索");
    int n, i;
    sa_decl *last = NULL;

    for (i = 0; search_fields[i]; i++) {
        sa_tdata_text(t, apr_pstrcat(q->p, "v.", search_fields[i], NULL), arg(q, search_fields[i]));
    }
    level_flags(t, arg(q, "level"));
    sa_tdata_list(t, "states");
    for (i = SA_ST_PROVISIONAL; i < SA_ST_COUNT; i++) {
        sa_tdata *it = sa_tdata_item(t, "states");
        sa_tdata_text(it, "code", sa_state_name((sa_state)i));
        sa_tdata_text(it, "label", sa_state_label((sa_state)i));
        sa_tdata_flag(it, "selected", !strcmp(arg(q, "state"), sa_state_name((sa_state)i)));
    }
    sa_form_refitems(t, "prefs", c->ref->prefectures, arg(q, "pref"));
    sa_tdata_list(t, "rows");
    if (searched(q)) {
        n = search_args(q, a, &page_q, &count_q);
        a[n] = sa_i64(q->p, COUNT_CAP + 1);
        count = sa_db_row(q->p, sa_db(q), count_q, n + 1, a, &rv);
        a[n] = sa_i64(q->p, before > 0 ? before : APR_INT64_MAX);
        a[n + 1] = sa_i64(q->p, PAGE_ROWS);
        if (!count || sa_db_rows(q->p, sa_db(q), page_q, n + 2, a, &rows) != APR_SUCCESS) {
            return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        }
        sa_tdata_flag(t, "searched", 1);
        sa_tdata_text(t, "result_count", apr_atoi64(count[0]) > COUNT_CAP
                      ? apr_psprintf(q->p, "%d件以上", COUNT_CAP)
                      : apr_psprintf(q->p, "%s件", count[0]));
        for (i = 0; i < rows->nelts; i++) {
            sa_decl *x = sa_decl_from_row(q->p, APR_ARRAY_IDX(rows, i, const char **));
            const sa_refitem *pref = x->pref ? sa_refdata_find(c->ref->prefectures, x->pref) : NULL;
            sa_tdata *it = sa_tdata_item(t, "rows");
            sa_tdata_text(it, "detail_url", url(q, apr_psprintf(q->p, "/admin/declarations/%"
                                                               APR_INT64_T_FMT, x->id)));
            sa_tdata_text(it, "declaration_no", x->declaration_no ? x->declaration_no : "—");
            sa_tdata_text(it, "user_no", x->user_no);
            sa_tdata_text(it, "name", sa_decl_name(q->p, x));
            sa_tdata_text(it, "state_label", sa_state_label(sa_state_parse(x->state)));
            sa_tdata_text(it, "level_name", level_name(x->level));
            sa_tdata_text(it, "pref_name", pref ? pref->name : NULL);
            sa_tdata_text(it, "created_on", date_of(q, x->created_at));
            last = x;
        }
        if (last && rows->nelts == PAGE_ROWS) {
            sa_tdata_text(t, "next_url", apr_psprintf(q->p, "%s?%s&before=%" APR_INT64_T_FMT,
                                                      url(q, "/admin/search"), search_query(q),
                                                      last->id));
        }
        sa_tdata_text(t, "csv_url", apr_pstrcat(q->p, url(q, "/admin/search.csv"), "?",
                                                search_query(q), NULL));
    }
    return sa_page_send(q->r, SA_PAGE_ADMIN_SEARCH, t, HTTP_OK);
}

static void csv_headers(sa_req *q, const char *name)
{
    char day[16];
    apr_time_exp_t x;
    apr_time_exp_tz(&x, apr_time_now(), 9 * 3600);
    apr_snprintf(day, sizeof(day), "%04d%02d%02d", x.tm_year + 1900, x.tm_mon + 1, x.tm_mday);
    ap_set_content_type(q->r, "text/csv; charset=UTF-8");
    apr_table_setn(q->r->headers_out, "Content-Disposition",
                   apr_psprintf(q->p, "attachment; filename=\"%s-%s.csv\"", name, day));
    apr_table_setn(q->r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(q->r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(q->r->headers_out, "X-Robots-Tag", "noindex, nofollow");
}

static const char *const csv_head[] = {
    "内部ID", "状態", "宣言の内容", "ステップアップ受理待ち", "利用者番号", "自己宣言ID",
    "法人/個人事業主", "法人番号", "事業者名", "事業者名（全角カナ）", "代表者名",
    "代表者名（全角カナ）", "屋号", "事業者URL", "郵便番号", "都道府県", "市区町村・町名", "番地",
    "ビル名など", "電話番号", "業種（大分類）", "業種（中分類）", "所属団体", "所属団体名",
    "IPAからの情報送付", "目的", "点数", "外部公開方法", "担当者名", "担当者メールアドレス",
    "アンケート", "経由", "登録日時", "宣言日時", "受理日時", "停止日時", "取消日時", "取消の理由",
};
#define CSV_COLS ((int)(sizeof(csv_head) / sizeof(csv_head[0])))

static const char *csv_time(sa_req *q, apr_int64_t t)
{
    apr_time_exp_t x;
    if (!t) {
        return "";
    }
    apr_time_exp_tz(&x, apr_time_from_sec(t), 9 * 3600);
    return apr_psprintf(q->p, "%04d-%02d-%02d %02d:%02d", x.tm_year + 1900, x.tm_mon + 1,
                        x.tm_mday, x.tm_hour, x.tm_min);
}

static const char *csv_row(sa_req *q, const sa_decl *d)
{
    const sa_refitem *pref = d->pref ? sa_refdata_find(q->c->ref->prefectures, d->pref) : NULL;
    const char *f[CSV_COLS];
    int n = 0;
    f[n++] = sa_i64(q->p, d->id);
    f[n++] = sa_state_label(sa_state_parse(d->state));
    f[n++] = level_name(d->level);
    f[n++] = d->pending_level ? "二つ星" : "";
    f[n++] = d->user_no; f[n++] = d->declaration_no;
    f[n++] = d->kind && !strcmp(d->kind, "corp") ? "法人" : "個人事業主";
    f[n++] = d->corp_no; f[n++] = d->corp_name; f[n++] = d->corp_kana; f[n++] = d->rep_name;
    f[n++] = d->rep_kana; f[n++] = d->trade_name; f[n++] = d->url; f[n++] = d->postal;
    f[n++] = pref ? pref->name : d->pref; f[n++] = d->city; f[n++] = d->street;
    f[n++] = d->building; f[n++] = d->phone; f[n++] = d->jsic_major; f[n++] = d->jsic_middle;
    f[n++] = d->member && !strcmp(d->member, "yes") ? "所属している" : "所属していない";
    f[n++] = d->member_name;
    f[n++] = d->ipa_info && !strcmp(d->ipa_info, "yes") ? "希望する" : "希望しない";
    f[n++] = d->purpose; f[n++] = d->score;
    f[n++] = sa_choice_labels(q->p, sa_publish_methods, d->publish);
    f[n++] = d->contact_name; f[n++] = d->email;
    f[n++] = sa_choice_labels(q->p, sa_survey_answers, d->survey);
    f[n++] = d->via;
    f[n++] = csv_time(q, d->created_at); f[n++] = csv_time(q, d->declared_at);
    f[n++] = csv_time(q, d->accepted_at); f[n++] = csv_time(q, d->stopped_at);
    f[n++] = csv_time(q, d->revoked_at); f[n++] = d->revoke_reason;
    return sa_csv_line(q->p, f, n);
}

/* Streams the search's rows, CSV_CHUNK at a time by id (a keyset), each
 * chunk read into a pool that is cleared after it is written: memory stays
 * flat however many rows there are (tests/integration/test_admin.py,
 * test_csv_export_memory_stays_flat).  The filter's arguments are read
 * once, in the request's pool: each arg() parses the query string into a
 * new table of r->pool, which per chunk would grow with the rows. */
static int search_csv(sa_req *q)
{
    const char *a[40], *page_q, *count_q;
    apr_int64_t before = APR_INT64_MAX;
    apr_pool_t *chunk, *req_pool = q->p;
    int n, i, total = 0;

    if (sa_audit_write(q->p, sa_db(q), q->remote_user, "export", 0,
                       apr_pstrcat(q->p, "検索結果のCSV出力: ", search_query(q), NULL), NULL)
        != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    csv_headers(q, "secaction-search");
    if (q->r->header_only) {
        return OK;
    }
    ap_rputs(SA_CSV_BOM, q->r);
    ap_rputs(sa_csv_line(q->p, csv_head, CSV_COLS), q->r);
    n = search_args(q, a, &page_q, &count_q);
    apr_pool_create(&chunk, req_pool);
    for (;;) {
        apr_array_header_t *rows;
        q->p = chunk;
        a[n] = sa_i64(chunk, before);
        a[n + 1] = sa_i64(chunk, CSV_CHUNK);
        if (sa_db_rows(chunk, sa_db(q), page_q, n + 2, a, &rows) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(120)
                          "mod_secaction: CSV export cut short after %d rows (database)", total);
            break;
        }
        for (i = 0; i < rows->nelts; i++) {
            sa_decl *d = sa_decl_from_row(chunk, APR_ARRAY_IDX(rows, i, const char **));
            if (ap_rputs(csv_row(q, d), q->r) < 0) {
                rows->nelts = 0;      /* the client went away */
                break;
            }
            before = d->id;
        }
        total += rows->nelts;
        if (rows->nelts < CSV_CHUNK) {
            break;
        }
        ap_rflush(q->r);
        apr_pool_clear(chunk);
    }
    q->p = req_pool;
    apr_pool_destroy(chunk);
    return OK;
}

/* --- the audit log ------------------------------------------------------------------------ */

static void audit_item(sa_req *q, sa_tdata *it, const char **r)
{
    sa_tdata_text(it, "at", datetime_of(q, apr_atoi64(r[1])));
    sa_tdata_text(it, "actor", r[2]);
    sa_tdata_text(it, "action_label", !strcmp(r[3], "export") ? "CSV出力"
                                      : sa_event_label(sa_event_parse(r[3])));
    sa_tdata_text(it, "detail", r[4]);
    sa_tdata_text(it, "reason", r[5] && *r[5] ? r[5] : NULL);
    if (r[6] && *r[6]) {
        sa_tdata_text(it, "declaration_url", url(q, apr_pstrcat(q->p, "/admin/declarations/",
                                                                r[6], NULL)));
        sa_tdata_text(it, "declaration_no", r[7] && *r[7] ? r[7] : r[6]);
    }
}

static int audit_get(sa_req *q)
{
    apr_int64_t before = apr_atoi64(arg(q, "before"));
    const char *a[2] = { sa_i64(q->p, before > 0 ? before : APR_INT64_MAX),
                         sa_i64(q->p, PAGE_ROWS) };
    apr_array_header_t *rows;
    sa_tdata *t;
    int i;
    if (sa_db_rows(q->p, sa_db(q), Q_AUDIT_PAGE, 2, a, &rows) != APR_SUCCESS) {
        return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
    }
    t = admin_page(q, "操作記録");
    sa_tdata_list(t, "rows");
    for (i = 0; i < rows->nelts; i++) {
        audit_item(q, sa_tdata_item(t, "rows"), APR_ARRAY_IDX(rows, i, const char **));
    }
    if (rows->nelts == PAGE_ROWS) {
        sa_tdata_text(t, "next_url", apr_pstrcat(q->p, url(q, "/admin/audit"), "?before=",
                      APR_ARRAY_IDX(rows, rows->nelts - 1, const char **)[0], NULL));
    }
    sa_tdata_text(t, "csv_url", url(q, "/admin/audit.csv"));
    return sa_page_send(q->r, SA_PAGE_ADMIN_AUDIT, t, HTTP_OK);
}

static int audit_csv(sa_req *q)
{
    static const char *const head[] = { "記録ID", "日時", "担当者", "操作", "内部ID",
                                        "自己宣言ID", "内容", "理由" };
    apr_int64_t before = APR_INT64_MAX;
    apr_pool_t *chunk, *req_pool = q->p;
    int i;

    csv_headers(q, "secaction-audit");
    if (q->r->header_only) {
        return OK;
    }
    ap_rputs(SA_CSV_BOM, q->r);
    ap_rputs(sa_csv_line(q->p, head, 8), q->r);
    apr_pool_create(&chunk, req_pool);
    for (;;) {
        const char *a[2] = { sa_i64(chunk, before), sa_i64(chunk, CSV_CHUNK) };
        apr_array_header_t *rows;
        if (sa_db_rows(chunk, sa_db(q), Q_AUDIT_PAGE, 2, a, &rows) != APR_SUCCESS) {
            break;
        }
        for (i = 0; i < rows->nelts; i++) {
            const char **r = APR_ARRAY_IDX(rows, i, const char **);
            const char *f[8];
            q->p = chunk;
            f[0] = r[0]; f[1] = csv_time(q, apr_atoi64(r[1])); f[2] = r[2]; f[3] = r[3];
            f[4] = r[6]; f[5] = r[7]; f[6] = r[4]; f[7] = r[5];
            ap_rputs(sa_csv_line(chunk, f, 8), q->r);
            before = apr_atoi64(r[0]);
        }
        q->p = req_pool;
        if (rows->nelts < CSV_CHUNK) {
            break;
        }
        ap_rflush(q->r);
        apr_pool_clear(chunk);
    }
    apr_pool_destroy(chunk);
    return OK;
}

static int admin_root(sa_req *q)
{
    return sa_redirect(q->r, "/admin/");
}

/* --- routes ----------------------------------------------------------------------------------- */

#define ADMIN      (SA_R_ADMIN | SA_R_DB)
#define ADMIN_FORM (SA_R_ADMIN | SA_R_DB | SA_R_FORM)

static const sa_route routes[] = {
    { M_GET,  "/admin",               ADMIN,                     admin_root },
    { M_GET,  "/admin/",              ADMIN,                     queue_get },
    { M_POST, "/admin/accept",        ADMIN_FORM,                bulk_accept_post },
    { M_GET,  "/admin/declarations/", ADMIN | SA_R_PREFIX,       detail_get },
    { M_POST, "/admin/declarations/", ADMIN_FORM | SA_R_PREFIX,  action_post },
    { M_GET,  "/admin/search",        ADMIN,                     search_get },
    { M_GET,  "/admin/search.csv",    ADMIN,                     search_csv },
    { M_GET,  "/admin/audit",         ADMIN,                     audit_get },
    { M_GET,  "/admin/audit.csv",     ADMIN,                     audit_csv },
    { 0, NULL, 0, NULL }
};

const sa_route *sa_admin_routes(void)
{
    return routes;
}
