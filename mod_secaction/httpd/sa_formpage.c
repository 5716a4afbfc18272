/* The form-page layer (see sa_formpage.h). */
#include "httpd.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"
#include "util_script.h"
#include "util_cookies.h"
#include "sa_formpage.h"
#include "sa_page.h"
#include "sa_session.h"
#include "sa_kv.h"
#include "sa_validate.h"

APLOG_USE_MODULE(secaction);

#define FORM_MAX     (64 * 1024)
#define FORM_FIELDS  200

int sa_form_read(sa_req *q)
{
    request_rec *r = q->r;
    apr_array_header_t *pairs = NULL;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    int rv, i;

    q->form = apr_table_make(q->p, 32);
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    rv = ap_parse_form_data(r, NULL, &pairs, FORM_FIELDS, FORM_MAX);
    if (rv != OK) {
        return rv;
    }
    for (i = 0; pairs && i < pairs->nelts; i++) {
        ap_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        apr_off_t len;
        apr_size_t size;
        char *buf;
        apr_brigade_length(pair->value, 1, &len);
        if (len < 0 || len > FORM_MAX) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        size = (apr_size_t)len;
        buf = apr_palloc(q->p, size + 1);
        apr_brigade_flatten(pair->value, buf, &size);
        buf[size] = '\0';
        /* a NUL inside, or bytes that are not UTF-8: not a form a browser sent */
        if (strlen(buf) != size || !sa_utf8_valid(buf)
            || sa_text_status_of(pair->name, 0) != SA_TEXT_OK) {
            return HTTP_BAD_REQUEST;
        }
        apr_table_addn(q->form, pair->name, buf);
    }
    return OK;
}

apr_table_t *sa_scope_table(sa_req *q, const char *key)
{
    const char *v = sa_scope_get(q, key);
    return v ? sa_kv_unpack(q->p, v) : NULL;
}

void sa_scope_set_table(sa_req *q, const char *key, const apr_table_t *t)
{
    sa_scope_set(q, key, t ? sa_kv_pack(q->p, t) : NULL);
}

static const char *flash_key(sa_req *q, const char *name)
{
    return apr_pstrcat(q->p, "flash.", name, NULL);
}

void sa_flash(sa_req *q, const char *name, const apr_table_t *vals,
              const apr_array_header_t *errs)
{
    apr_table_t *f = apr_table_copy(q->p, vals ? vals : q->form);
    static const char *const secrets[] = { "csrf", "password", "password2", "current", "t" };
    apr_size_t s;
    int i;
    for (s = 0; s < sizeof(secrets) / sizeof(secrets[0]); s++) {
        apr_table_unset(f, secrets[s]);
    }
    for (i = 0; errs && i < errs->nelts; i++) {
        const sa_error *e = &APR_ARRAY_IDX(errs, i, sa_error);
        apr_table_setn(f, apr_pstrcat(q->p, "!", e->field, NULL), e->message);
    }
    sa_scope_set_table(q, flash_key(q, name), f);
}

apr_table_t *sa_flashed(sa_req *q, const char *name)
{
    return sa_scope_table(q, flash_key(q, name));
}

void sa_flash_clear(sa_req *q, const char *name)
{
    if (sa_scope_get(q, flash_key(q, name))) {
        sa_scope_set(q, flash_key(q, name), NULL);
    }
}

int sa_form_refuse(sa_req *q, const char *name, const apr_array_header_t *errs,
                   const char *path)
{
    sa_flash(q, name, NULL, errs);
    return sa_see_other(q, path);
}

void sa_font_remember(sa_req *q, const char *size)
{
    const char *m = q->c->mount;
    size = (size && !strcmp(size, "large")) ? "large" : "normal";
    ap_cookie_write(q->r, SA_FONT_COOKIE, size,
                    apr_pstrcat(q->p, "path=", *m ? m : "/", ";SameSite=Lax;HttpOnly", NULL),
                    365 * 86400, q->r->err_headers_out, NULL);
}

int sa_form_font_switch(sa_req *q, const char *name, const char *path)
{
    const char *size = apr_table_get(q->form, "font"), *pw;
    apr_table_t *vals;
    if (!size) {
        return DECLINED;
    }
    sa_font_remember(q, size);
    vals = apr_table_copy(q->p, q->form);
    apr_table_unset(vals, "font");
    /* the page says what was kept, and whether a password must be typed again */
    pw = apr_table_get(q->form, "password");
    apr_table_setn(vals, (pw && *pw) || apr_table_get(q->form, "password2") ? "?font_pw" : "?font",
                   "1");
    sa_flash(q, name, vals, NULL);
    return sa_see_other(q, path);
}

void sa_form_error(apr_array_header_t *errs, const char *field, const char *message)
{
    sa_error *e = apr_array_push(errs);
    e->field = field;
    e->message = message;
}

sa_tdata *sa_page(sa_req *q, const char *title)
{
    sa_tdata *d = sa_page_data(q->r, title);
    const char *m = q->c->mount;
    sa_tdata_text(d, "csrf", sa_csrf(q));
    if (q->login) {
        sa_tdata_flag(d, "logged_in", 1);
        sa_tdata_text(d, "logout_url", apr_pstrcat(q->p, m, "/logout", NULL));
        sa_tdata_text(d, "mypage_url", apr_pstrcat(q->p, m, "/mypage", NULL));
    }
    return d;
}

void sa_form_errors(sa_req *q, sa_tdata *d, const apr_table_t *f)
{
    const apr_array_header_t *a;
    const apr_table_entry_t *e;
    int i, n = 0;
    sa_tdata_list(d, "errors");
    if (!f) {
        return;
    }
    a = apr_table_elts(f);
    e = (const apr_table_entry_t *)a->elts;
    for (i = 0; i < a->nelts; i++) {
        if (e[i].key[0] == '?') {
            /* a note for the page ("?font" -> note.font) */
            sa_tdata_text(d, apr_pstrcat(q->p, "note.", e[i].key + 1, NULL), e[i].val);
        }
        if (e[i].key[0] == '!') {
            sa_tdata *it = sa_tdata_item(d, "errors");
            n++;
            sa_tdata_text(it, "href", apr_pstrcat(q->p, "#f-", e[i].key + 1, NULL));
            sa_tdata_text(it, "message", e[i].val);
            sa_tdata_text(d, apr_pstrcat(q->p, "err.", e[i].key + 1, NULL), e[i].val);
            /* aria-invalid="true" on the field */
            sa_tdata_text(d, apr_pstrcat(q->p, "inv.", e[i].key + 1, NULL), "true");
        }
    }
    if (n && sa_tdata_get(d, "head_title")) {
        /* screen readers announce the failure first */
        sa_tdata_text(d, "head_title",
                      apr_pstrcat(q->p, "エラー：", sa_tdata_get(d, "head_title"), NULL));
    }
}

void sa_form_texts(sa_req *q, sa_tdata *d, const apr_table_t *vals, const char *const *names)
{
    for (; *names; names++) {
        const char *v = vals ? apr_table_get(vals, *names) : NULL;
        sa_tdata_text(d, apr_pstrcat(q->p, "v.", *names, NULL), v ? v : "");
    }
}

sa_tdata *sa_form_page(sa_req *q, const char *name, const char *title,
                       const apr_table_t *vals, const char *const *names,
                       const apr_table_t **shown)
{
    apr_table_t *f = sa_flashed(q, name);
    sa_tdata *d = sa_page(q, title);
    *shown = f ? f : vals;
    sa_form_errors(q, d, f);
    if (names) {
        sa_form_texts(q, d, *shown, names);
    }
    return d;
}

/* Whether field (a stored comma-joined multi-value, or one of repeated
 * entries of a form) holds code. */
static int has_value(const apr_table_t *t, const char *field, const char *code)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    int i;
    for (i = 0; i < a->nelts; i++) {
        if (!strcmp(e[i].key, field) && sa_codes_contain(e[i].val, code)) {
            return 1;
        }
    }
    return 0;
}

void sa_form_flag(sa_req *q, sa_tdata *d, const apr_table_t *vals, const char *field,
                  const char *code)
{
    const char *v = vals ? apr_table_get(vals, field) : NULL;
    sa_tdata_flag(d, apr_pstrcat(q->p, field, "_", code, NULL), v && !strcmp(v, code));
}

void sa_form_refitems(sa_tdata *d, const char *list, const apr_array_header_t *items,
                      const char *selected)
{
    int i;
    sa_tdata_list(d, list);
    for (i = 0; i < items->nelts; i++) {
        const sa_refitem *it = &APR_ARRAY_IDX(items, i, sa_refitem);
        sa_tdata *o = sa_tdata_item(d, list);
        sa_tdata_text(o, "code", it->code);
        sa_tdata_text(o, "name", it->name);
        if (it->parent) {
            sa_tdata_text(o, "parent", it->parent);
        }
        sa_tdata_flag(o, "selected", selected && !strcmp(selected, it->code));
    }
}

void sa_form_middle_groups(sa_tdata *d, const char *list, const sa_refdata *ref,
                           const char *selected)
{
    int i, j = 0, n = ref->jsic_middle->nelts;
    sa_tdata_list(d, list);
    /* a major's middles are one run, in the majors' order (sa_refdata_load) */
    for (i = 0; i < ref->jsic_major->nelts; i++) {
        const sa_refitem *major = &APR_ARRAY_IDX(ref->jsic_major, i, sa_refitem);
        sa_tdata *g = sa_tdata_item(d, list);
        sa_tdata_text(g, "label", major->name);
        sa_tdata_list(g, "middles");
        for (; j < n; j++) {
            const sa_refitem *it = &APR_ARRAY_IDX(ref->jsic_middle, j, sa_refitem);
            sa_tdata *o;
            if (strcmp(it->parent, major->code)) {
                break;
            }
            o = sa_tdata_item(g, "middles");
            sa_tdata_text(o, "code", it->code);
            sa_tdata_text(o, "name", it->name);
            sa_tdata_text(o, "parent", it->parent);
            sa_tdata_flag(o, "selected", selected && !strcmp(selected, it->code));
        }
    }
}

void sa_form_choices(sa_tdata *d, const char *list, const sa_choice *ch,
                     const apr_table_t *vals, const char *field)
{
    sa_tdata_list(d, list);
    for (; ch->code; ch++) {
        sa_tdata *o = sa_tdata_item(d, list);
        sa_tdata_text(o, "code", ch->code);
        sa_tdata_text(o, "label", ch->label);
        sa_tdata_flag(o, "checked", vals && has_value(vals, field, ch->code));
    }
}
