/* The public side: 自己宣言事業者検索 (/search), the page of one declaration
 * (/d/<自己宣言ID>) with its embeddable badge (/d/<自己宣言ID>/badge.svg),
 * and the listing as open data (/open-data/listing.csv and .json).
 *
 * Everything here reads the public listing (public_listing, listing_gram),
 * which holds public values only and which the store's transition function
 * writes in the same transaction as every change: nothing private can be
 * shown from it, and a stop or revocation leaves the search at once.  The
 * declaration page reads the declaration itself only for its state and
 * public fields.  The index design is in core/sa_search.h.  Glue. */
#include "httpd.h"
#include "sa_log.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "sa_route.h"
#include "sa_req.h"
#include "sa_formpage.h"
#include "sa_decl_store.h"
#include "sa_storage.h"
#include "sa_page.h"
#include "sa_search.h"
#include "sa_csv.h"
#include "sa_text.h"
#include "sa_tmpl.h"
#include "sa_postal.h"
#include "sa_validate.h"

APLOG_USE_MODULE(secaction);

#define PAGE_ROWS   20
#define COUNT_CAP   1000            /* a count checked on the listing stops past this */
#define MAX_GRAMS   8               /* of a longer key, the first this many are weighed */
#define DATA_CHUNK  1000

#define Q_COUNT_OF  "secaction_public_count"
#define Q_GENERATION "secaction_public_generation"
#define Q_RAREST    "secaction_public_rarest"
#define Q_DECL_NO   "secaction_public_decl"
#define Q_DATA      "secaction_public_data"

#define COLS "l.declaration_id, l.declaration_no, l.name, l.pref, l.city, l.jsic_major," \
             " l.level, l.declared_at"

static const sa_stmt statements[] = {
    /* listing_count: gram '' is every listed declaration, pref '' every prefecture */
    { Q_COUNT_OF, "SELECT n FROM listing_count WHERE gram = %s AND pref = %s" },
    { Q_GENERATION, "SELECT n FROM listing_count WHERE gram = '' AND pref = '#'" },
    { Q_RAREST, "SELECT gram, n FROM listing_count WHERE pref = %s"
                " AND gram IN (%s, %s, %s, %s, %s, %s, %s, %s)" },
    { Q_DECL_NO, "SELECT d.state, d.level, d.declared_at, d.kind, d.corp_name, d.rep_name,"
                 " d.trade_name, d.pref, d.city FROM declaration d WHERE d.declaration_no = %s" },
    { Q_DATA, "SELECT " COLS " FROM public_listing l WHERE l.declaration_id > %lld"
              " ORDER BY l.declaration_id LIMIT %lld" },
};

/* The search statements: one for each combination of what the query has,
 * so that every statement is a plain index range with nothing optional in
 * it (no "(%s = '' OR ...)", which neither database can plan an index for),
 * and one plan fits every value.  Every query is driven by the postings of
 * one gram (listing_gram): the name's, or SA_SEARCH_ALL without a name.
 *   Q_LIKE  the name is longer than a gram: the whole key is checked on
 *           the listing's search text (else the gram is the key)
 *   Q_PREF  a prefecture: on the postings' own column (index gram, pref, id)
 *   Q_JSIC, Q_LEVEL  業種, level: on the listing
 *   Q_COUNT the capped count of the whole result instead of a page, for
 *           a query checked on the listing (Q_LIKE, Q_JSIC or Q_LEVEL); any
 *           other query's count is one row of listing_count (Q_COUNT_OF)
 * The parameters follow the same order in every statement (search_args). */
enum { Q_LIKE = 1, Q_PREF = 2, Q_JSIC = 4, Q_LEVEL = 8, Q_COUNT = 16, Q_VARIANTS = 32 };

static const char *search_label(apr_pool_t *p, int v)
{
    return apr_psprintf(p, "secaction_search_%02d", v);
}

/* Whether the query's count is read from listing_count. */
static int counted_by_table(int v)
{
    return !(v & (Q_LIKE | Q_JSIC | Q_LEVEL));
}

static const char *search_sql(apr_pool_t *p, int v)
{
    int count = v & Q_COUNT;
    return apr_pstrcat(p,
        count ? "SELECT COUNT(*) FROM (SELECT 1" : "SELECT " COLS,
        " FROM listing_gram g JOIN public_listing l ON l.declaration_id = g.declaration_id"
        " WHERE g.gram = %s",
        v & Q_PREF ? " AND g.pref = %s" : "",
        /* the keyset bound on both sides of the join */
        count ? "" : " AND g.declaration_id < %lld AND l.declaration_id < %lld",
        v & Q_LIKE ? " AND l.search_text LIKE %s ESCAPE '\\'" : "",
        v & Q_JSIC ? " AND l.jsic_major = %s" : "",
        v & Q_LEVEL ? " AND l.level = %lld" : "",
        count ? " LIMIT %lld) t" : " ORDER BY g.declaration_id DESC LIMIT %lld",
        NULL);
}

/* --- counts of checked queries, kept per process for a generation --------------------------
 *
 * The count of a query checked on the listing (a key longer than a gram,
 * 業種, level) reads every posting of its gram: for a common one, more
 * than the page.  Such a count is kept, in each child process, with the
 * listing's generation it was counted in (listing_count's row pref '#',
 * which every change of the listing moves on in its transaction), and used
 * again only while the generation is the same: a change anywhere shows in
 * every count at once.  A table of a fixed size, one entry a slot. */
#define KEPT_SLOTS 512
#define KEPT_KEY   384

typedef struct {
    char key[KEPT_KEY];
    apr_int64_t generation, count;
} kept_count;

static kept_count *kept;
static apr_thread_mutex_t *kept_lock;

static unsigned long kept_slot(const char *key)
{
    unsigned long h = 5381;
    for (; *key; key++) {
        h = h * 33 + (unsigned char)*key;
    }
    return h % KEPT_SLOTS;
}

static int kept_get(const char *key, apr_int64_t generation, apr_int64_t *count)
{
    int found = 0;
    kept_count *k;
    if (!kept || strlen(key) >= KEPT_KEY || apr_thread_mutex_lock(kept_lock) != APR_SUCCESS) {
        return 0;
    }
    k = &kept[kept_slot(key)];
    if (k->generation == generation && !strcmp(k->key, key)) {
        *count = k->count;
        found = 1;
    }
    apr_thread_mutex_unlock(kept_lock);
    return found;
}

static void kept_put(const char *key, apr_int64_t generation, apr_int64_t count)
{
    kept_count *k;
    if (!kept || strlen(key) >= KEPT_KEY || apr_thread_mutex_lock(kept_lock) != APR_SUCCESS) {
        return;
    }
    k = &kept[kept_slot(key)];
    strcpy(k->key, key);
    k->generation = generation;
    k->count = count;
    apr_thread_mutex_unlock(kept_lock);
}

void sa_public_register(server_rec *s)
{
    apr_pool_t *p = s->process->pconf;
    sa_stmt *all = apr_palloc(p, sizeof(*all) * Q_VARIANTS);
    int v, n = 0;
    sa_storage_prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
    for (v = 0; v < Q_VARIANTS; v++) {
        if ((v & Q_COUNT) && counted_by_table(v)) {
            continue;
        }
        all[n].label = search_label(p, v);
        all[n].sql = search_sql(p, v);
        n++;
    }
    sa_storage_prepare_table(s, all, n);
    /* made in the parent; each child has its own copy after the fork */
    kept = apr_pcalloc(p, sizeof(*kept) * KEPT_SLOTS);
    if (apr_thread_mutex_create(&kept_lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS) {
        kept = NULL;
    }
}

/* --- the query ---------------------------------------------------------------------- */

typedef struct {
    const char *q, *key, *pref, *jsic, *level;
    const char *gram;         /* the gram the lookup is driven by (SA_SEARCH_ALL: no name) */
    int checked;              /* the key is longer than a gram: checked on search_text */
    const char *like;
    apr_int64_t before;
} query_t;

static const char *qarg(sa_req *q, const char *name)
{
    const char *v = sa_query_arg(q->r, name);
    return v ? v : "";
}

static const char *refname(const apr_array_header_t *items, const char *code)
{
    const sa_refitem *it = code && *code ? sa_refdata_find(items, code) : NULL;
    return it ? it->name : NULL;
}

/* The key's gram with the fewest postings (in the prefecture when one is
 * given), of the first MAX_GRAMS, in one lookup of listing_count: the
 * lookup then reads the fewest rows.  A gram without postings (no row, or
 * 0) is taken at once: nothing can match.  On a database error the first
 * gram is as good as any (the search itself then reports the error). */
static const char *rarest_gram(sa_req *q, const query_t *x, apr_array_header_t *grams)
{
    const char *a[1 + MAX_GRAMS], *best = NULL;
    apr_array_header_t *rows = NULL;
    apr_int64_t best_n = -1;
    int i, j, k = grams->nelts < MAX_GRAMS ? grams->nelts : MAX_GRAMS;
    a[0] = x->pref;
    for (i = 0; i < MAX_GRAMS; i++) {
        a[1 + i] = APR_ARRAY_IDX(grams, i < k ? i : k - 1, const char *);
    }
    if (sa_db_rows(q->p, sa_db(q), Q_RAREST, 1 + MAX_GRAMS, a, &rows) != APR_SUCCESS) {
        return a[1];
    }
    for (i = 0; i < k; i++) {
        apr_int64_t n = 0;
        for (j = 0; j < rows->nelts; j++) {
            const char **r = APR_ARRAY_IDX(rows, j, const char **);
            if (!strcmp(r[0], a[1 + i])) {
                n = apr_atoi64(r[1]);
            }
        }
        if (best_n < 0 || n < best_n) {
            best = a[1 + i];
            best_n = n;
        }
        if (n <= 0) {
            break;
        }
    }
    return best;
}

static void query_read(sa_req *q, query_t *x)
{
    const sa_refdata *ref = q->c->ref;
    apr_array_header_t *grams;
    x->q = qarg(q, "q");
    if (sa_utf8_len(x->q) > 100 || sa_text_status_of(x->q, 0) != SA_TEXT_OK) {
        x->q = "";
    }
    x->key = sa_search_key(q->p, x->q);
    if (sa_search_len(x->key) > SA_SEARCH_MAX_CHARS) {
        x->key = "";           /* a name is never that long: nothing to find */
    }
    x->pref = refname(ref->prefectures, qarg(q, "pref")) ? qarg(q, "pref") : "";
    x->jsic = refname(ref->jsic_major, qarg(q, "jsic")) ? qarg(q, "jsic") : "";
    x->level = (!strcmp(qarg(q, "level"), "1") || !strcmp(qarg(q, "level"), "2"))
               ? qarg(q, "level") : "";
    x->before = apr_atoi64(qarg(q, "before"));
    if (x->before <= 0) {
        x->before = APR_INT64_MAX;
    }
    grams = sa_search_query_grams(q->p, x->key);
    x->checked = sa_search_len(x->key) > SA_SEARCH_GRAM_MAX;
    x->gram = grams->nelts == 1 ? APR_ARRAY_IDX(grams, 0, const char *)
            : grams->nelts > 1 ? rarest_gram(q, x, grams) : SA_SEARCH_ALL;
    x->like = sa_like_contains(q->p, x->key);
}

/* The statement of the query (Q_COUNT added for its count) and its
 * parameters, in search_sql's order. */
static int search_variant(const query_t *x)
{
    return (x->checked ? Q_LIKE : 0) | (*x->pref ? Q_PREF : 0) | (*x->jsic ? Q_JSIC : 0)
         | (*x->level ? Q_LEVEL : 0);
}

static int search_args(sa_req *q, const query_t *x, int v, const char **a)
{
    int n = 0;
    const char *before = sa_i64(q->p, x->before);
    a[n++] = x->gram;
    if (v & Q_PREF) {
        a[n++] = x->pref;
    }
    if (!(v & Q_COUNT)) {
        a[n++] = before;
        a[n++] = before;
    }
    if (v & Q_LIKE) {
        a[n++] = x->like;
    }
    if (v & Q_JSIC) {
        a[n++] = x->jsic;
    }
    if (v & Q_LEVEL) {
        a[n++] = x->level;
    }
    a[n++] = sa_i64(q->p, (v & Q_COUNT) ? COUNT_CAP + 1 : PAGE_ROWS);
    return n;
}

/* A page of the query's results and the count of all of them: exact from
 * listing_count, or counted on the listing up to COUNT_CAP + 1 (*capped
 * then tells whether it stopped there). */
static apr_status_t run_query(sa_req *q, const query_t *x, apr_array_header_t **rows,
                              apr_int64_t *count, int *capped)
{
    const char *a[12], **row;
    apr_status_t rv;
    int v = search_variant(x), n = search_args(q, x, v, a);
    if ((rv = sa_db_rows(q->p, sa_db(q), search_label(q->p, v), n, a, rows)) != APR_SUCCESS) {
        return rv;
    }
    if (counted_by_table(v)) {
        const char *k[2] = { x->gram, x->pref };
        row = sa_db_row(q->p, sa_db(q), Q_COUNT_OF, 2, k, &rv);
        *capped = 0;
    }
    else {
        const char **gen = sa_db_row(q->p, sa_db(q), Q_GENERATION, 0, NULL, &rv);
        const char *key;
        apr_int64_t g = gen ? apr_atoi64(gen[0]) : -1;
        int i;
        v |= Q_COUNT;
        n = search_args(q, x, v, a);
        key = search_label(q->p, v);
        for (i = 0; i < n; i++) {
            key = apr_pstrcat(q->p, key, "\n", a[i], NULL);
        }
        if (g >= 0 && kept_get(key, g, count)) {
            *capped = *count > COUNT_CAP;
            return APR_SUCCESS;
        }
        row = sa_db_row(q->p, sa_db(q), search_label(q->p, v), n, a, &rv);
        if (row && g >= 0) {
            kept_put(key, g, apr_atoi64(row[0]));
        }
        *capped = row && apr_atoi64(row[0]) > COUNT_CAP;
    }
    *count = row ? apr_atoi64(row[0]) : 0;
    return rv;
}

static const char *level_name(const char *level)
{
    return level && !strcmp(level, "2") ? "二つ星" : "一つ星";
}

static const char *date_of(sa_req *q, const char *secs)
{
    apr_int64_t t = secs ? apr_atoi64(secs) : 0;
    return t ? sa_text_date(q->p, apr_time_from_sec(t)) : NULL;
}

static const char *search_query(sa_req *q, const query_t *x)
{
    return apr_pstrcat(q->p, "q=", ap_escape_urlencoded(q->p, x->q), "&pref=", x->pref,
                       "&jsic=", x->jsic, "&level=", x->level, "&go=1", NULL);
}

/* GET /search: without a name or filter only the form; otherwise the
 * results, newest first, PAGE_ROWS a page with a keyset (before=<id>): the
 * last page of a broad query costs what the first does. */
static int search_get(sa_req *q)
{
    const sa_server_conf *c = q->c;
    apr_array_header_t *rows = NULL;
    sa_tdata *d = sa_page(q, "自己宣言事業者検索");
    const char *last = NULL;
    query_t x;
    apr_int64_t count = 0;
    int i, searched, capped = 0;

    query_read(q, &x);
    searched = *x.key || *x.pref || *x.jsic || *x.level || *qarg(q, "go");
    sa_tdata_text(d, "search_action", apr_pstrcat(q->p, c->mount, "/search", NULL));
    sa_tdata_text(d, "csv_url", apr_pstrcat(q->p, c->mount, "/open-data/listing.csv", NULL));
    sa_tdata_text(d, "json_url", apr_pstrcat(q->p, c->mount, "/open-data/listing.json", NULL));
    sa_tdata_text(d, "v.q", x.q);
    sa_form_refitems(d, "prefs", c->ref->prefectures, x.pref);
    sa_form_refitems(d, "majors", c->ref->jsic_major, x.jsic);
    sa_tdata_flag(d, "level_all", !*x.level);
    sa_tdata_flag(d, "level_1", !strcmp(x.level, "1"));
    sa_tdata_flag(d, "level_2", !strcmp(x.level, "2"));
    sa_tdata_list(d, "rows");
    /* a search is public and bookmarkable: it may be cached for a while */
    if (searched) {
        if (run_query(q, &x, &rows, &count, &capped) != APR_SUCCESS) {
            return sa_msg(q, HTTP_SERVICE_UNAVAILABLE, "db_down");
        }
        sa_tdata_flag(d, "searched", 1);
        sa_tdata_flag(d, "count_capped", capped);
        sa_tdata_text(d, "result_count", sa_text_number(q->p, capped ? COUNT_CAP : count));
        for (i = 0; i < rows->nelts; i++) {
            const char **r = APR_ARRAY_IDX(rows, i, const char **);
            sa_tdata *it = sa_tdata_item(d, "rows");
            sa_tdata_text(it, "url", apr_pstrcat(q->p, c->mount, "/d/", r[1], NULL));
            sa_tdata_text(it, "name", r[2]);
            sa_tdata_text(it, "pref_name", refname(c->ref->prefectures, r[3]));
            sa_tdata_text(it, "city", r[4]);
            sa_tdata_text(it, "jsic_name", refname(c->ref->jsic_major, r[5]));
            sa_tdata_text(it, "level_name", level_name(r[6]));
            sa_tdata_text(it, "declared_on", date_of(q, r[7]));
            last = r[0];
        }
        if (last && rows->nelts == PAGE_ROWS) {
            sa_tdata_text(d, "next_url", apr_pstrcat(q->p, c->mount, "/search?",
                                                     search_query(q, &x), "&before=", last, NULL));
        }
    }
    return sa_page_send(q->r, SA_PAGE_SEARCH, d, HTTP_OK);
}

/* --- one declaration ------------------------------------------------------------------ */

/* A 自己宣言ID as it stands in a URL: 10 digits. */
static int decl_no_ok(const char *s, apr_size_t n)
{
    apr_size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return n == 10;
}

/* The public facts of a declaration that was accepted once (so it may be
 * shown: valid now, or no longer), or NULL. */
static const char **public_decl(sa_req *q, const char *no, int *down)
{
    apr_status_t rv;
    const char **row = sa_db_row(q->p, sa_db(q), Q_DECL_NO, 1, &no, &rv);
    sa_state st;
    *down = rv != APR_SUCCESS;
    if (!row) {
        return NULL;
    }
    st = sa_state_parse(row[0]);
    return (st == SA_ST_ACCEPTED || st == SA_ST_STOPPED || st == SA_ST_REVOKED) ? row : NULL;
}

static int badge_send(sa_req *q, const char **row);

static int decl_get(sa_req *q)
{
    const sa_server_conf *c = q->c;
    const char *rest = q->rest, *slash = strchr(rest, '/'), *no, **row;
    apr_size_t n = slash ? (apr_size_t)(slash - rest) : strlen(rest);
    sa_tdata *d;
    int down, valid;

    if (!decl_no_ok(rest, n) || (slash && strcmp(slash, "/badge.svg"))) {
        return sa_msg(q, HTTP_NOT_FOUND, "not_found");
    }
    no = apr_pstrndup(q->p, rest, n);
    if (!(row = public_decl(q, no, &down))) {
        return sa_msg(q, down ? HTTP_SERVICE_UNAVAILABLE : HTTP_NOT_FOUND,
                      down ? "db_down" : "not_found");
    }
    if (slash) {
        return badge_send(q, row);
    }
    valid = sa_state_parse(row[0]) == SA_ST_ACCEPTED;
    d = sa_page(q, "自己宣言の確認");
    sa_tdata_flag(d, "valid", valid);
    sa_tdata_text(d, "state_label", sa_state_label(sa_state_parse(row[0])));
    sa_tdata_text(d, "name", sa_display_name(q->p, row[3], row[4], row[5], row[6]));
    sa_tdata_text(d, "declaration_no", no);
    sa_tdata_text(d, "level_name", level_name(row[1]));
    sa_tdata_text(d, "declared_on", date_of(q, row[2]));
    sa_tdata_text(d, "pref_name", refname(c->ref->prefectures, row[7]));
    sa_tdata_text(d, "city", row[8]);
    sa_tdata_text(d, "badge_url", apr_pstrcat(q->p, c->mount, "/d/", no, "/badge.svg", NULL));
    sa_tdata_text(d, "search_url", apr_pstrcat(q->p, c->mount, "/search", NULL));
    return sa_page_send(q->r, SA_PAGE_PUBLIC_DECL, d, HTTP_OK);
}

static apr_status_t brigade_write(void *ctx, const char *buf, apr_size_t len)
{
    return ap_rwrite(buf, (int)len, ctx) < 0 ? APR_EGENERAL : APR_SUCCESS;
}

/* The badge: its texts from the catalog, escaped like any text; it follows
 * the state within its cache time (5 minutes). */
static int badge_send(sa_req *q, const char **row)
{
    int valid = sa_state_parse(row[0]) == SA_ST_ACCEPTED;
    const char *id = valid ? "badge_valid" : "badge_invalid";
    const char *line1 = sa_catalog_text(q->c->texts, id, "title");
    const char *line2 = sa_catalog_fill(q->p, sa_catalog_text(q->c->texts, id, "text"), "level",
                                        level_name(row[1]));
    request_rec *r = q->r;
    ap_set_content_type(r, "image/svg+xml");
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    if (r->header_only) {
        return OK;
    }
    ap_rputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"240\" height=\"64\" viewBox=\"0 0 240 64\""
             " role=\"img\" aria-label=\"", r);
    sa_escape_attr(line1, brigade_write, r);
    ap_rputs("\"><rect x=\"1\" y=\"1\" width=\"238\" height=\"62\" rx=\"8\" fill=\"", r);
    ap_rputs(valid ? "#0b5cab" : "#6b6b6b", r);
    ap_rputs("\"/><text x=\"120\" y=\"27\" text-anchor=\"middle\" font-family=\"sans-serif\""
             " font-size=\"15\" fill=\"#ffffff\" font-weight=\"bold\">", r);
    sa_escape_text(line1, brigade_write, r);
    ap_rputs("</text><text x=\"120\" y=\"49\" text-anchor=\"middle\" font-family=\"sans-serif\""
             " font-size=\"13\" fill=\"#ffffff\">", r);
    sa_escape_text(line2, brigade_write, r);
    ap_rputs("</text></svg>\n", r);
    return OK;
}

/* --- open data ---------------------------------------------------------------------------- */

static void data_headers(sa_req *q, const char *type, const char *name)
{
    ap_set_content_type(q->r, type);
    apr_table_setn(q->r->headers_out, "Content-Disposition",
                   apr_psprintf(q->p, "attachment; filename=\"%s\"", name));
    apr_table_setn(q->r->headers_out, "Cache-Control", "public, max-age=600");
    apr_table_setn(q->r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(q->r->headers_out, "Access-Control-Allow-Origin", "*");
}

/* Streams the listing, DATA_CHUNK rows at a time by id, each chunk read
 * into a pool cleared after it was written. */
static int data_get(sa_req *q, int json)
{
    static const char *const head[] = { "declaration_no", "name", "pref", "pref_name", "city",
                                        "jsic_major", "jsic_major_name", "level", "declared_on" };
    const sa_server_conf *c = q->c;
    apr_pool_t *chunk;
    apr_int64_t after = 0;
    int i, first = 1;

    if (json) {
        data_headers(q, "application/json; charset=UTF-8", "secaction-listing.json");
    }
    else {
        data_headers(q, "text/csv; charset=UTF-8", "secaction-listing.csv");
    }
    if (q->r->header_only) {
        return OK;
    }
    ap_rputs(json ? "[" : SA_CSV_BOM, q->r);
    if (!json) {
        ap_rputs(sa_csv_line(q->p, head, 9), q->r);
    }
    apr_pool_create(&chunk, q->p);
    for (;;) {
        const char *a[2] = { sa_i64(chunk, after), sa_i64(chunk, DATA_CHUNK) };
        apr_array_header_t *rows;
        if (sa_db_rows(chunk, sa_db(q), Q_DATA, 2, a, &rows) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, SALOG(130)
                          "mod_secaction: open data cut short (database)");
            break;
        }
        for (i = 0; i < rows->nelts; i++) {
            const char **r = APR_ARRAY_IDX(rows, i, const char **);
            apr_int64_t t = apr_atoi64(r[7]);
            const char *day = "";
            const char *f[9];
            apr_time_exp_t x;
            if (t) {
                apr_time_exp_tz(&x, apr_time_from_sec(t), 9 * 3600);
                day = apr_psprintf(chunk, "%04d-%02d-%02d", x.tm_year + 1900, x.tm_mon + 1, x.tm_mday);
            }
            f[0] = r[1]; f[1] = r[2]; f[2] = r[3]; f[3] = refname(c->ref->prefectures, r[3]);
            f[4] = r[4]; f[5] = r[5]; f[6] = refname(c->ref->jsic_major, r[5]); f[7] = r[6];
            f[8] = day;
            if (json) {
                ap_rprintf(q->r, "%s\n{\"declaration_no\":\"%s\",\"name\":\"%s\",\"pref\":\"%s\","
                           "\"pref_name\":\"%s\",\"city\":\"%s\",\"jsic_major\":\"%s\","
                           "\"jsic_major_name\":\"%s\",\"level\":%s,\"declared_on\":\"%s\"}",
                           first ? "" : ",", sa_json_escape(chunk, f[0]),
                           sa_json_escape(chunk, f[1]), sa_json_escape(chunk, f[2]),
                           sa_json_escape(chunk, f[3] ? f[3] : ""), sa_json_escape(chunk, f[4]),
                           sa_json_escape(chunk, f[5]), sa_json_escape(chunk, f[6] ? f[6] : ""),
                           !strcmp(f[7], "2") ? "2" : "1", f[8]);
            }
            else {
                ap_rputs(sa_csv_line(chunk, f, 9), q->r);
            }
            first = 0;
            after = apr_atoi64(r[0]);
        }
        if (rows->nelts < DATA_CHUNK) {
            break;
        }
        ap_rflush(q->r);
        apr_pool_clear(chunk);
    }
    if (json) {
        ap_rputs("\n]\n", q->r);
    }
    apr_pool_destroy(chunk);
    return OK;
}

static int data_csv(sa_req *q)
{
    return data_get(q, 0);
}

static int data_json(sa_req *q)
{
    return data_get(q, 1);
}

static const sa_route routes[] = {
    { M_GET, "/search",                 SA_R_DB,               search_get },
    { M_GET, "/d/",                     SA_R_DB | SA_R_PREFIX, decl_get },
    { M_GET, "/open-data/listing.csv",  SA_R_DB,               data_csv },
    { M_GET, "/open-data/listing.json", SA_R_DB,               data_json },
    { 0, NULL, 0, NULL }
};

const sa_route *sa_public_routes(void)
{
    return routes;
}
