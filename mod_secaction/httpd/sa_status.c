/* Status: database reachable, declarations by state, recent rate, the
 * acceptance queue (length, age of its oldest, acceptances in the last hour
 * and day), outbox depth and the age of its oldest mail; an HTML page and,
 * with ?auto, a stable "Key: value" text form in the style of mod_status. */
#include "httpd.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_optional.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "sa_route.h"
#include "sa_req.h"
#include "sa_formpage.h"
#include "sa_storage.h"
#include "sa_page.h"
#include "sa_state.h"

APLOG_USE_MODULE(secaction);

/* ?auto keys of the states, in a fixed order */
static const struct { sa_state st; const char *key; } state_keys[] = {
    { SA_ST_PROVISIONAL, "DeclarationsProvisional" },
    { SA_ST_DECLARED,    "DeclarationsDeclared" },
    { SA_ST_ACCEPTED,    "DeclarationsAccepted" },
    { SA_ST_STOPPED,     "DeclarationsStopped" },
    { SA_ST_REVOKED,     "DeclarationsRevoked" },
    { SA_ST_EXPIRED,     "DeclarationsExpired" },
};
#define NSTATES (sizeof(state_keys) / sizeof(state_keys[0]))

typedef struct {
    int reachable;
    const char *schema;
    apr_int64_t by_state[SA_ST_COUNT];
    apr_int64_t recent;
    apr_int64_t depth, oldest_age, failing;
    apr_int64_t queue, queue_oldest_age, accepted_hour, accepted_day;
} status_t;

static void collect(sa_req *q, status_t *st)
{
    request_rec *r = q->r;
    ap_dbd_t *dbd = sa_db(q);
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *hour_ago = sa_i64(r->pool, now - 3600), **row;
    const char *since[2] = { hour_ago, sa_i64(r->pool, now - 86400) };
    apr_array_header_t *rows;
    apr_status_t rv;
    int i;

    memset(st, 0, sizeof(*st));
    st->schema = "";
    if (!dbd || apr_dbd_check_conn(dbd->driver, r->pool, dbd->handle) != 0) {
        return;
    }
    row = sa_db_row(r->pool, dbd, SA_Q_SCHEMA_VERSION, 0, NULL, &rv);
    if (rv != APR_SUCCESS) {
        return;
    }
    st->reachable = 1;
    st->schema = row && row[0] ? row[0] : "";
    if (sa_db_rows(r->pool, dbd, SA_Q_STATUS_STATES, 0, NULL, &rows) == APR_SUCCESS) {
        for (i = 0; i < rows->nelts; i++) {
            const char **c = APR_ARRAY_IDX(rows, i, const char **);
            st->by_state[sa_state_parse(c[0])] += apr_atoi64(c[1]);
        }
    }
    if ((row = sa_db_row(r->pool, dbd, SA_Q_STATUS_RECENT, 1, &hour_ago, &rv)) != NULL) {
        st->recent = apr_atoi64(row[0]);
    }
    if ((row = sa_db_row(r->pool, dbd, SA_Q_STATUS_OUTBOX, 0, NULL, &rv)) != NULL) {
        st->depth = apr_atoi64(row[0]);
        /* the pgsql driver reads SQL NULL as "": aggregates are COALESCEd to 0 */
        st->oldest_age = apr_atoi64(row[1]) > 0 ? now - apr_atoi64(row[1]) : 0;
        st->failing = apr_atoi64(row[2]);
    }
    if ((row = sa_db_row(r->pool, dbd, SA_Q_STATUS_QUEUE, 0, NULL, &rv)) != NULL) {
        apr_int64_t oldest = apr_atoi64(row[1]);
        st->queue = apr_atoi64(row[0]);
        /* never negative, should another node's clock run ahead */
        st->queue_oldest_age = oldest > 0 && now > oldest ? now - oldest : 0;
    }
    if ((row = sa_db_row(r->pool, dbd, SA_Q_STATUS_ACCEPTED, 2, since, &rv)) != NULL) {
        st->accepted_hour = apr_atoi64(row[0]);
        st->accepted_day = apr_atoi64(row[1]);
    }
}

static int send_auto(request_rec *r, const status_t *st)
{
    apr_size_t i;
    ap_set_content_type(r, "text/plain; charset=UTF-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_rprintf(r, "DatabaseReachable: %d\n", st->reachable);
    ap_rprintf(r, "SchemaVersion: %s\n", st->schema);
    for (i = 0; i < NSTATES; i++) {
        ap_rprintf(r, "%s: %" APR_INT64_T_FMT "\n", state_keys[i].key,
                   st->by_state[state_keys[i].st]);
    }
    ap_rprintf(r, "DeclarationsLastHour: %" APR_INT64_T_FMT "\n", st->recent);
    ap_rprintf(r, "AcceptanceQueue: %" APR_INT64_T_FMT "\n", st->queue);
    ap_rprintf(r, "AcceptanceOldestAge: %" APR_INT64_T_FMT "\n", st->queue_oldest_age);
    ap_rprintf(r, "AcceptedLastHour: %" APR_INT64_T_FMT "\n", st->accepted_hour);
    ap_rprintf(r, "AcceptedLastDay: %" APR_INT64_T_FMT "\n", st->accepted_day);
    ap_rprintf(r, "OutboxDepth: %" APR_INT64_T_FMT "\n", st->depth);
    ap_rprintf(r, "OutboxOldestAge: %" APR_INT64_T_FMT "\n", st->oldest_age);
    ap_rprintf(r, "OutboxFailing: %" APR_INT64_T_FMT "\n", st->failing);
    return OK;
}

static int send_html(sa_req *q, const status_t *st)
{
    request_rec *r = q->r;
    sa_tdata *d = sa_page(q, "稼働状況");
    apr_size_t i;
    sa_tdata_text(d, "db_state", st->reachable ? "接続できます" : "接続できません");
    sa_tdata_text(d, "schema_version", st->schema);
    sa_tdata_list(d, "states");
    for (i = 0; i < NSTATES; i++) {
        sa_tdata *it = sa_tdata_item(d, "states");
        sa_tdata_text(it, "name", sa_state_name(state_keys[i].st));
        sa_tdata_text(it, "label", sa_state_label(state_keys[i].st));
        sa_tdata_text(it, "count", sa_i64(r->pool, st->by_state[state_keys[i].st]));
    }
    sa_tdata_text(d, "recent", sa_i64(r->pool, st->recent));
    sa_tdata_text(d, "acceptance_queue", sa_i64(r->pool, st->queue));
    sa_tdata_text(d, "acceptance_oldest_age", sa_i64(r->pool, st->queue_oldest_age));
    sa_tdata_text(d, "accepted_hour", sa_i64(r->pool, st->accepted_hour));
    sa_tdata_text(d, "accepted_day", sa_i64(r->pool, st->accepted_day));
    sa_tdata_text(d, "outbox_depth", sa_i64(r->pool, st->depth));
    sa_tdata_text(d, "outbox_oldest_age", sa_i64(r->pool, st->oldest_age));
    sa_tdata_text(d, "outbox_failing", sa_i64(r->pool, st->failing));
    return sa_page_send(r, SA_PAGE_STATUS, d, st->reachable ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE);
}

static int status_get(sa_req *q)
{
    status_t st;
    collect(q, &st);
    if (q->r->args && !strcmp(q->r->args, "auto")) {
        return send_auto(q->r, &st);
    }
    return send_html(q, &st);
}

static const sa_route routes[] = {
    { M_GET, "", 0, status_get },
    { 0, NULL, 0, NULL }
};

const sa_route *sa_status_routes(void)
{
    return routes;
}
