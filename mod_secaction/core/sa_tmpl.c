/* The page template engine (see sa_tmpl.h).  Core file: APR and libxml2.
 *
 * Compile: libxml2 parses the file once; one walk over the tree writes the
 * HTML5 serialization into literal runs and, at sa:* attributes, slot ops.
 * The tree is then freed.  Render: a loop over the ops, writing runs as they
 * are and values escaped for their slot.  Compiled templates are read-only,
 * so any number of threads may render them at once. */
#include "sa_tmpl.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#define SA_NS    "urn:secaction:template"
#define XHTML_NS "http://www.w3.org/1999/xhtml"

/* ===================================================================== */
/* Values                                                                 */
/* ===================================================================== */

enum { V_NONE, V_TEXT, V_FLAG, V_LIST };    /* V_NONE: unset (looks outwards) */

typedef struct {
    int kind;
    const char *text;            /* V_TEXT */
    int on;                      /* V_FLAG */
    apr_array_header_t *list;    /* V_LIST, of sa_tdata* */
} sa_tval;

/* A scope is an array of bindings, allocated once at a size that fits
 * (a page binds some tens of names, a list item a few) instead of an APR
 * hash table per scope.  Names are found by a hash: in a small scope by
 * comparing the hashes in order, in a larger one through an index of open
 * addressing built beside the array.  Names in the compiled templates
 * carry their hash, computed once. */
typedef struct {
    unsigned h;
    const char *name;
    sa_tval v;
} sa_tent;

struct sa_tdata {
    apr_pool_t *p;
    sa_tent *ents;
    int n, cap;
    int *idx;                    /* NULL, or 2 * cap slots: entry + 1, 0 empty */
    const sa_tdata *parent;      /* the scope an item was created in */
};

#define ROOT_CAP  64
#define ITEM_CAP  4
#define INDEX_MIN 12             /* scopes with more names get an index */

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;    /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static sa_tdata *tdata_make(apr_pool_t *p, int cap)
{
    sa_tdata *d = apr_palloc(p, sizeof(*d));
    d->p = p;
    d->ents = apr_palloc(p, sizeof(sa_tent) * (apr_size_t)cap);
    d->n = 0;
    d->cap = cap;
    d->idx = NULL;
    d->parent = NULL;
    return d;
}

/* (Re)builds the index for the current capacity. */
static void index_build(sa_tdata *d)
{
    unsigned mask = (unsigned)d->cap * 2 - 1;
    d->idx = apr_pcalloc(d->p, sizeof(int) * ((apr_size_t)mask + 1));
    for (int i = 0; i < d->n; i++) {
        unsigned k = d->ents[i].h & mask;
        while (d->idx[k])
            k = (k + 1) & mask;
        d->idx[k] = i + 1;
    }
}

sa_tdata *sa_tdata_make(apr_pool_t *p)
{
    return tdata_make(p, ROOT_CAP);
}

static sa_tent *own_ent(const sa_tdata *d, const char *name, unsigned h)
{
    if (d->idx) {
        unsigned mask = (unsigned)d->cap * 2 - 1;
        for (unsigned k = h & mask; d->idx[k]; k = (k + 1) & mask) {
            sa_tent *e = &d->ents[d->idx[k] - 1];
            if (e->h == h && !strcmp(e->name, name))
                return e;
        }
        return NULL;
    }
    for (int i = 0; i < d->n; i++)
        if (d->ents[i].h == h && !strcmp(d->ents[i].name, name))
            return &d->ents[i];
    return NULL;
}

/* The binding of name in d itself, without looking outwards. */
static const sa_tval *own(const sa_tdata *d, const char *name, unsigned h)
{
    const sa_tent *e = own_ent(d, name, h);
    return e && e->v.kind != V_NONE ? &e->v : NULL;
}

/* The nearest binding of name, walking the creation parents. */
static const sa_tval *find(const sa_tdata *d, const char *name, unsigned h)
{
    for (; d; d = d->parent) {
        const sa_tval *v = own(d, name, h);
        if (v)
            return v;
    }
    return NULL;
}

/* Binds name to a fresh value of kind; copies name (callers may reuse
 * theirs) unless it is bound already. */
static sa_tval *set_val(sa_tdata *d, const char *name, int kind)
{
    unsigned h = name_hash(name);
    sa_tent *e = own_ent(d, name, h);

    if (!e) {
        if (d->n == d->cap) {
            sa_tent *more = apr_palloc(d->p, sizeof(sa_tent) * (apr_size_t)d->cap * 2);
            memcpy(more, d->ents, sizeof(sa_tent) * (apr_size_t)d->n);
            d->ents = more;
            d->cap *= 2;
            if (d->idx)
                index_build(d);
        }
        e = &d->ents[d->n++];
        e->h = h;
        e->name = apr_pstrdup(d->p, name);
        if (d->idx) {
            unsigned mask = (unsigned)d->cap * 2 - 1, k = h & mask;
            while (d->idx[k])
                k = (k + 1) & mask;
            d->idx[k] = d->n;
        }
        else if (d->n > INDEX_MIN) {
            index_build(d);
        }
    }
    memset(&e->v, 0, sizeof(e->v));
    e->v.kind = kind;
    return &e->v;
}

void sa_tdata_text(sa_tdata *d, const char *name, const char *text)
{
    if (!d || !name)
        return;
    if (!text) {                 /* NULL unsets, so "unset" stays expressible */
        sa_tent *e = own_ent(d, name, name_hash(name));
        if (e)
            e->v.kind = V_NONE;
        return;
    }
    set_val(d, name, V_TEXT)->text = apr_pstrdup(d->p, text);
}

void sa_tdata_flag(sa_tdata *d, const char *name, int on)
{
    if (d && name)
        set_val(d, name, V_FLAG)->on = on != 0;
}

/* The list bound to name in d itself, created (replacing any text or flag)
 * when missing. */
static sa_tval *own_list(sa_tdata *d, const char *name)
{
    sa_tent *e = own_ent(d, name, name_hash(name));
    sa_tval *v;
    if (e && e->v.kind == V_LIST)
        return &e->v;
    v = set_val(d, name, V_LIST);
    v->list = apr_array_make(d->p, 4, sizeof(sa_tdata *));
    return v;
}

void sa_tdata_list(sa_tdata *d, const char *name)
{
    if (d && name)
        own_list(d, name);
}

sa_tdata *sa_tdata_item(sa_tdata *d, const char *name)
{
    sa_tval *v;
    sa_tdata *it;

    if (!d || !name)
        return NULL;
    v = own_list(d, name);
    it = tdata_make(d->p, ITEM_CAP);
    it->parent = d;
    APR_ARRAY_PUSH(v->list, sa_tdata *) = it;
    return it;
}

const char *sa_tdata_get(const sa_tdata *d, const char *name)
{
    const sa_tval *v = name && d ? find(d, name, name_hash(name)) : NULL;
    return v && v->kind == V_TEXT ? v->text : NULL;
}

/* ===================================================================== */
/* Escapers                                                               */
/* ===================================================================== */

static const char *entity(char ch)
{
    switch (ch) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    default:  return "&quot;";
    }
}

/* Writes s, replacing the characters of its context by entities; each run
 * of safe bytes between them (found by strcspn, which scans many bytes a
 * step) goes out in one write, unchanged, so nothing is allocated. */
static apr_status_t escape(const char *s, int attr, sa_write_fn w, void *ctx)
{
    const char *reject = attr ? "&<>\"" : "&<>";
    apr_status_t rv;

    if (!s)
        return APR_SUCCESS;
    for (;;) {
        size_t n = strcspn(s, reject);
        if (n && (rv = w(ctx, s, n)) != APR_SUCCESS)
            return rv;
        if (!s[n])
            return APR_SUCCESS;
        const char *ent = entity(s[n]);
        if ((rv = w(ctx, ent, strlen(ent))) != APR_SUCCESS)
            return rv;
        s += n + 1;
    }
}

apr_status_t sa_escape_text(const char *s, sa_write_fn w, void *ctx)
{
    return escape(s, 0, w, ctx);
}

apr_status_t sa_escape_attr(const char *s, sa_write_fn w, void *ctx)
{
    return escape(s, 1, w, ctx);
}

/* ===================================================================== */
/* Compiled form                                                          */
/* ===================================================================== */

enum { OP_RUN, OP_TEXT, OP_ATTR, OP_IF, OP_UNLESS, OP_EACH, OP_YIELD };

typedef struct {
    int kind;
    int end;            /* IF/UNLESS/EACH: index of the first op after the block */
    const char *s;      /* RUN: the bytes; other ops: the value name */
    apr_size_t len;     /* RUN: byte count; ATTR: length of open */
    unsigned h;         /* the value name's hash (see sa_tent) */
    const char *open;   /* ATTR: ` NAME="` */
    const char *flag;   /* ATTR: ` NAME="NAME"` */
} sa_op;

struct sa_tmpl {
    const char *name;
    int doctype;        /* root is <html>: the page starts with <!DOCTYPE html> */
    int nops;
    const sa_op *ops;
};

/* ===================================================================== */
/* Compiler                                                               */
/* ===================================================================== */

typedef struct {
    apr_pool_t *p;
    const char *name;
    apr_array_header_t *ops;     /* of sa_op */
    char *lit;                   /* pending literal bytes (malloc'd scratch) */
    size_t llen, lcap;
    int nomem;
    const char *err;
} cc;

static int fail(cc *c, xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error as "FILE:LINE: what"; returns -1 for chaining. */
static int fail(cc *c, xmlNode *n, const char *fmt, ...)
{
    va_list ap;
    const char *what;

    va_start(ap, fmt);
    what = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    if (!c->err)
        c->err = apr_psprintf(c->p, "%s:%ld: %s", c->name, xmlGetLineNo(n), what);
    return -1;
}

/* sa_write_fn appending to the pending literal, so the escapers serve the
 * compiler too. */
static apr_status_t lit_write(void *ctx, const char *buf, apr_size_t len)
{
    cc *c = ctx;
    if (c->llen + len > c->lcap) {
        size_t cap = c->lcap ? c->lcap : 4096;
        char *nb;
        while (cap < c->llen + len)
            cap *= 2;
        if (!(nb = realloc(c->lit, cap))) {
            c->nomem = 1;
            return APR_ENOMEM;
        }
        c->lit = nb;
        c->lcap = cap;
    }
    memcpy(c->lit + c->llen, buf, len);
    c->llen += len;
    return APR_SUCCESS;
}

static void lit(cc *c, const char *s)       { lit_write(c, s, strlen(s)); }
static void lit_text(cc *c, const char *s)  { sa_escape_text(s, lit_write, c); }
static void lit_attr(cc *c, const char *s)  { sa_escape_attr(s, lit_write, c); }

/* Turns the pending literal into one run, so adjacent markup coalesces. */
static void flush(cc *c)
{
    sa_op *op;
    if (!c->llen)
        return;
    op = apr_array_push(c->ops);
    memset(op, 0, sizeof(*op));
    op->kind = OP_RUN;
    op->s = apr_pstrmemdup(c->p, c->lit, c->llen);
    op->len = c->llen;
    c->llen = 0;
}

/* Appends a slot op after the pending literal; returns its index (the
 * array may move, so blocks keep indexes, not pointers). */
static int push_op(cc *c, int kind, const char *key)
{
    sa_op *op;
    flush(c);
    op = apr_array_push(c->ops);
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->s = key;
    op->h = key ? name_hash(key) : 0;
    return c->ops->nelts - 1;
}

static void close_block(cc *c, int at)
{
    if (at < 0)
        return;
    flush(c);
    APR_ARRAY_IDX(c->ops, at, sa_op).end = c->ops->nelts;
}

/* --- node classification -------------------------------------------- */

static int is_sa(const xmlNs *ns)
{
    return ns && ns->href && !strcmp((const char *)ns->href, SA_NS);
}

/* An HTML element named local (no namespace or the XHTML one). */
static int is_html(const xmlNode *n, const char *local)
{
    if (n->ns && (!n->ns->href || strcmp((const char *)n->ns->href, XHTML_NS)))
        return 0;
    return !strcmp((const char *)n->name, local);
}

static int is_void(const xmlNode *n)
{
    static const char *const voids[] = {
        "area", "base", "br", "col", "embed", "hr", "img", "input",
        "link", "meta", "source", "track", "wbr", NULL
    };
    for (const char *const *v = voids; *v; v++)
        if (is_html(n, *v))
            return 1;
    return 0;
}

/* script and style hold raw text in HTML: written unescaped. */
static int is_raw(const xmlNode *n)
{
    return is_html(n, "script") || is_html(n, "style");
}

/* HTML drops one newline right after <pre>/<textarea>; a leading one in
 * the content must then be doubled to survive. */
static int eats_newline(const xmlNode *n)
{
    return is_html(n, "pre") || is_html(n, "textarea") || is_html(n, "listing");
}

static void lit_qname(cc *c, const xmlNs *ns, const xmlChar *name)
{
    if (ns && ns->prefix) {
        lit(c, (const char *)ns->prefix);
        lit(c, ":");
    }
    lit(c, (const char *)name);
}

/* --- sa: attributes --------------------------------------------------- */

typedef struct {
    const char *each, *if_, *unless, *text;
    int yield;
} sa_marks;

/* An attribute's value copied into the pool; entity references are refused
 * because only the predefined entities are substituted. */
static const char *attr_value(cc *c, xmlNode *el, const xmlAttr *a)
{
    const char *v = "";
    for (const xmlNode *t = a->children; t; t = t->next) {
        if (t->type != XML_TEXT_NODE) {
            fail(c, el, "entity reference in attribute %s is not supported",
                 (const char *)a->name);
            return NULL;
        }
        v = apr_pstrcat(c->p, v, (const char *)t->content, NULL);
    }
    return v;
}

/* Stores one sa: attribute in m, or reports it as unknown or empty. */
static int mark(cc *c, xmlNode *el, const xmlAttr *a, sa_marks *m)
{
    const char *name = (const char *)a->name;
    const char *v = attr_value(c, el, a);
    const char **slot = NULL;

    if (!v)
        return -1;
    if (!strcmp(name, "yield")) {
        m->yield = 1;
        return 0;
    }
    if (!strcmp(name, "each"))        slot = &m->each;
    else if (!strcmp(name, "if"))     slot = &m->if_;
    else if (!strcmp(name, "unless")) slot = &m->unless;
    else if (!strcmp(name, "text"))   slot = &m->text;
    else if (strncmp(name, "attr-", 5))
        return fail(c, el, "unknown attribute sa:%s", name);
    else if (!name[5])
        return fail(c, el, "sa:attr- needs an attribute name");
    if (!*v)
        return fail(c, el, "sa:%s needs a value name", name);
    if (slot)
        *slot = v;
    return 0;
}

/* Rejects combinations that could not be written as valid HTML. */
static int check_marks(cc *c, xmlNode *el, const sa_marks *m)
{
    const char *tag = (const char *)el->name;
    if (m->text && m->yield)
        return fail(c, el, "sa:text and sa:yield on the same element");
    if ((m->text || m->yield) && is_void(el))
        return fail(c, el, "<%s> is void: no sa:text or sa:yield", tag);
    if ((m->text || m->yield) && is_raw(el))
        return fail(c, el, "<%s> holds raw text: no sa:text or sa:yield", tag);
    return 0;
}

static int scan_marks(cc *c, xmlNode *el, sa_marks *m)
{
    memset(m, 0, sizeof(*m));
    for (const xmlAttr *a = el->properties; a; a = a->next)
        if (is_sa(a->ns) && mark(c, el, a, m))
            return -1;
    return check_marks(c, el, m);
}

/* Is the literal attribute a replaced by an sa:attr-NAME of its element? */
static int replaced(const xmlNode *el, const xmlAttr *a)
{
    if (a->ns)                   /* NAME is an NCName: only unprefixed match */
        return 0;
    for (const xmlAttr *s = el->properties; s; s = s->next)
        if (is_sa(s->ns) && !strncmp((const char *)s->name, "attr-", 5)
            && !strcmp((const char *)s->name + 5, (const char *)a->name))
            return 1;
    return 0;
}

/* --- elements --------------------------------------------------------- */

/* The attribute text is prebuilt so a render writes it in one piece. */
static int attr_slot(cc *c, xmlNode *el, const xmlAttr *a)
{
    const char *name = (const char *)a->name + 5;
    const char *key = attr_value(c, el, a);
    sa_op *op;
    int at;

    if (!key)
        return -1;
    at = push_op(c, OP_ATTR, key);   /* may move the array: index it after */
    op = &APR_ARRAY_IDX(c->ops, at, sa_op);
    op->open = apr_pstrcat(c->p, " ", name, "=\"", NULL);
    op->flag = apr_pstrcat(c->p, " ", name, "=\"", name, "\"", NULL);
    return 0;
}

static int literal_attr(cc *c, xmlNode *el, const xmlAttr *a)
{
    const char *v = attr_value(c, el, a);
    if (!v)
        return -1;
    lit(c, " ");
    lit_qname(c, a->ns, a->name);
    lit(c, "=\"");
    lit_attr(c, v);
    lit(c, "\"");
    return 0;
}

/* Namespace declarations other than the template's own stay in the page. */
static void ns_decls(cc *c, const xmlNode *el)
{
    for (const xmlNs *ns = el->nsDef; ns; ns = ns->next) {
        if (is_sa(ns))
            continue;
        lit(c, " xmlns");
        if (ns->prefix) {
            lit(c, ":");
            lit(c, (const char *)ns->prefix);
        }
        lit(c, "=\"");
        lit_attr(c, ns->href ? (const char *)ns->href : "");
        lit(c, "\"");
    }
}

static int start_tag(cc *c, xmlNode *el)
{
    lit(c, "<");
    lit_qname(c, el->ns, el->name);
    ns_decls(c, el);
    for (const xmlAttr *a = el->properties; a; a = a->next) {
        int rc = 0;
        if (is_sa(a->ns)) {
            if (!strncmp((const char *)a->name, "attr-", 5))
                rc = attr_slot(c, el, a);
        } else if (!replaced(el, a)) {
            rc = literal_attr(c, el, a);
        }
        if (rc)
            return -1;
    }
    lit(c, is_void(el) ? " />" : ">");
    return 0;
}

static int compile_node(cc *c, xmlNode *n);

/* Does the text contain an end tag for tag, which would end raw text early? */
static int has_end_tag(const char *s, const char *tag)
{
    size_t n = strlen(tag);
    for (const char *p = strstr(s, "</"); p; p = strstr(p + 2, "</"))
        if (!strncasecmp(p + 2, tag, n))
            return 1;
    return 0;
}

/* script/style content: text and CDATA written as they are (trusted). */
static int raw_content(cc *c, xmlNode *el)
{
    const char *tag = (const char *)el->name;
    for (xmlNode *n = el->children; n; n = n->next) {
        if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
            continue;
        if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE)
            return fail(c, n, "<%s> may contain only text", tag);
        if (has_end_tag((const char *)n->content, tag))
            return fail(c, n, "text inside <%s> contains </%s", tag, tag);
        lit(c, (const char *)n->content);
    }
    return 0;
}

static int void_content(cc *c, xmlNode *el)
{
    for (xmlNode *n = el->children; n; n = n->next)
        if (n->type != XML_COMMENT_NODE && n->type != XML_PI_NODE)
            return fail(c, el, "<%s> is void and cannot have content",
                        (const char *)el->name);
    return 0;
}

static int starts_with_newline(const xmlNode *el)
{
    const xmlNode *f = el->children;
    return f && (f->type == XML_TEXT_NODE || f->type == XML_CDATA_SECTION_NODE)
           && f->content && f->content[0] == '\n';
}

/* The element's content: its value, the inner page, or its children. */
static int content(cc *c, xmlNode *el, const sa_marks *m)
{
    if (is_void(el))
        return void_content(c, el);
    if (is_raw(el))
        return raw_content(c, el);
    if (eats_newline(el) && (m->text || starts_with_newline(el)))
        lit(c, "\n");
    if (m->text) {               /* the children are only a placeholder */
        push_op(c, OP_TEXT, m->text);
        return 0;
    }
    if (m->yield) {
        push_op(c, OP_YIELD, NULL);
        return 0;
    }
    for (xmlNode *n = el->children; n; n = n->next)
        if (compile_node(c, n))
            return -1;
    return 0;
}

/* each wraps if, which wraps unless, which wraps the element itself. */
static int compile_element(cc *c, xmlNode *el)
{
    sa_marks m;
    int each = -1, if_ = -1, unless = -1;

    if (is_sa(el->ns))
        return fail(c, el, "unknown element sa:%s", (const char *)el->name);
    if (scan_marks(c, el, &m))
        return -1;
    if (m.each)   each   = push_op(c, OP_EACH, m.each);
    if (m.if_)    if_    = push_op(c, OP_IF, m.if_);
    if (m.unless) unless = push_op(c, OP_UNLESS, m.unless);
    if (start_tag(c, el) || content(c, el, &m))
        return -1;
    if (!is_void(el)) {
        lit(c, "</");
        lit_qname(c, el->ns, el->name);
        lit(c, ">");
    }
    close_block(c, unless);
    close_block(c, if_);
    close_block(c, each);
    return 0;
}

static int compile_node(cc *c, xmlNode *n)
{
    switch (n->type) {
    case XML_ELEMENT_NODE:
        return compile_element(c, n);
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE: /* plain escaped text outside script/style */
        lit_text(c, (const char *)n->content);
        return 0;
    case XML_ENTITY_REF_NODE:
        return fail(c, n, "entity &%s; is not supported; write the character "
                    "or a character reference", (const char *)n->name);
    default:                     /* comments and PIs document the template */
        return 0;
    }
}

static const char *compile_doc(apr_pool_t *p, const char *name, xmlDoc *doc,
                               sa_tmpl **out)
{
    cc c = { p, name, apr_array_make(p, 32, sizeof(sa_op)), NULL, 0, 0, 0, NULL };
    xmlNode *root = xmlDocGetRootElement(doc);
    sa_tmpl *t = apr_pcalloc(p, sizeof(*t));

    t->name = name;
    t->doctype = is_html(root, "html");
    if (compile_element(&c, root) == 0) {
        if (t->doctype)
            lit(&c, "\n");
        flush(&c);
    }
    free(c.lit);
    if (!c.err && c.nomem)
        c.err = apr_psprintf(p, "%s: out of memory", name);
    if (c.err)
        return c.err;
    t->nops = c.ops->nelts;
    t->ops = (const sa_op *)c.ops->elts;
    *out = t;
    return NULL;
}

/* --- parsing ----------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const char *name;
    const char *err;
} parse_state;

#if LIBXML_VERSION >= 21200
#define SA_XMLERR const xmlError *
#else
#define SA_XMLERR xmlErrorPtr
#endif

/* Structured handler on the parser context (not the global one): keeps the
 * first error as "FILE:LINE: message"; warnings are ignored. */
static void on_xml_error(void *user, SA_XMLERR e)
{
    xmlParserCtxtPtr ctxt = user;
    parse_state *ps = ctxt->_private;
    char *msg;
    size_t n;

    if (ps->err || e->level < XML_ERR_ERROR)
        return;
    msg = apr_pstrdup(ps->p, e->message ? e->message : "parse error");
    for (n = strlen(msg); n && (msg[n - 1] == '\n' || msg[n - 1] == ' '); n--)
        msg[n - 1] = '\0';
    ps->err = apr_psprintf(ps->p, "%s:%d: %s", ps->name, e->line, msg);
}

/* No network, no DTD loading, no entity substitution (NOENT off), blanks
 * kept; any error, including namespace errors, rejects the file. */
static xmlDoc *parse(apr_pool_t *p, const char *name, const char *buf,
                     apr_size_t len, const char **err)
{
    parse_state ps = { p, name, NULL };
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDoc *doc;

    if (!ctxt) {
        *err = apr_psprintf(p, "%s: out of memory", name);
        return NULL;
    }
    ctxt->_private = &ps;
    ctxt->sax->serror = on_xml_error;
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL,
                            XML_PARSE_NONET | XML_PARSE_BIG_LINES
                            | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc && (ps.err || !ctxt->wellFormed || !ctxt->nsWellFormed
                || !xmlDocGetRootElement(doc))) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    *err = ps.err ? ps.err : apr_psprintf(p, "%s:1: cannot parse", name);
    return doc;
}

const char *sa_tmpl_compile_mem(apr_pool_t *p, const char *name,
                                const char *buf, apr_size_t len, sa_tmpl **out)
{
    const char *err;
    xmlDoc *doc;

    *out = NULL;
    if (!name)
        name = "(template)";
    if (!buf || len == 0)
        return apr_psprintf(p, "%s:1: empty template", name);
    if (len > INT_MAX)
        return apr_psprintf(p, "%s: template too large", name);
    if (!(doc = parse(p, name, buf, len, &err)))
        return err;
    err = compile_doc(p, name, doc, out);
    xmlFreeDoc(doc);
    return err;
}

/* Reads the file into a scratch pool so only the compiled form stays in p. */
const char *sa_tmpl_compile_file(apr_pool_t *p, const char *path, sa_tmpl **out)
{
    apr_pool_t *tmp;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t got = 0;
    apr_status_t rv;
    char *buf = NULL, ebuf[128];
    const char *err;

    *out = NULL;
    apr_pool_create(&tmp, p);
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, tmp);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
        if (rv == APR_SUCCESS) {
            buf = apr_palloc(tmp, (apr_size_t)fi.size + 1);
            rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &got);
            if (rv == APR_EOF)
                rv = APR_SUCCESS;
        }
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS)
        err = apr_psprintf(p, "%s: cannot read: %s", path,
                           apr_strerror(rv, ebuf, sizeof(ebuf)));
    else
        err = sa_tmpl_compile_mem(p, path, buf, got, out);
    apr_pool_destroy(tmp);
    return err;
}

/* ===================================================================== */
/* Renderer                                                               */
/* ===================================================================== */

/* The lookup chain of a render: an each item, then the scope the each was
 * rendered in, and so on outwards; the root walks its creation parents. */
typedef struct scope {
    const sa_tdata *d;
    const struct scope *up;
} scope;

typedef struct {
    const sa_tmpl *inner;
    const sa_tdata *top;
    sa_write_fn w;
    void *ctx;
} rctx;

static const sa_tval *lookup(const scope *sc, const sa_op *op)
{
    for (; sc->up; sc = sc->up) {
        const sa_tval *v = own(sc->d, op->s, op->h);
        if (v)
            return v;
    }
    return find(sc->d, op->s, op->h);
}

static int truth(const sa_tval *v)
{
    if (!v)
        return 0;
    switch (v->kind) {
    case V_TEXT: return v->text[0] != '\0';
    case V_FLAG: return v->on;
    default:     return v->list->nelts > 0;
    }
}

static apr_status_t render_tmpl(const sa_tmpl *t, const sa_tmpl *inner,
                                const sa_tdata *d, sa_write_fn w, void *ctx,
                                int page);

/* ` NAME="value"` for a text, ` NAME="NAME"` for an on flag, else nothing. */
static apr_status_t render_attr(const rctx *r, const sa_op *op, const sa_tval *v)
{
    apr_status_t rv;
    if (v && v->kind == V_FLAG && v->on)
        return r->w(r->ctx, op->flag, strlen(op->flag));
    if (!v || v->kind != V_TEXT)
        return APR_SUCCESS;
    if ((rv = r->w(r->ctx, op->open, strlen(op->open))) != APR_SUCCESS
        || (rv = sa_escape_attr(v->text, r->w, r->ctx)) != APR_SUCCESS)
        return rv;
    return r->w(r->ctx, "\"", 1);
}

static apr_status_t render_range(const rctx *r, const sa_op *ops, int i, int to,
                                 const scope *sc);

/* The block once per item, each item scope chained to the current one. */
static apr_status_t render_each(const rctx *r, const sa_op *ops, int at,
                                const scope *sc)
{
    const sa_tval *v = lookup(sc, &ops[at]);
    apr_status_t rv = APR_SUCCESS;

    if (!v || v->kind != V_LIST)
        return APR_SUCCESS;
    for (int k = 0; k < v->list->nelts && rv == APR_SUCCESS; k++) {
        scope item = { APR_ARRAY_IDX(v->list, k, const sa_tdata *), sc };
        rv = render_range(r, ops, at + 1, ops[at].end, &item);
    }
    return rv;
}

static apr_status_t render_range(const rctx *r, const sa_op *ops, int i, int to,
                                 const scope *sc)
{
    apr_status_t rv = APR_SUCCESS;

    while (i < to && rv == APR_SUCCESS) {
        const sa_op *op = &ops[i];
        switch (op->kind) {
        case OP_RUN:
            rv = r->w(r->ctx, op->s, op->len);
            break;
        case OP_TEXT: {
            const sa_tval *v = lookup(sc, op);
            if (v && v->kind == V_TEXT)
                rv = sa_escape_text(v->text, r->w, r->ctx);
            break;
        }
        case OP_ATTR:
            rv = render_attr(r, op, lookup(sc, op));
            break;
        case OP_IF:
        case OP_UNLESS:          /* false: skip past the block */
            if (truth(lookup(sc, op)) != (op->kind == OP_IF)) {
                i = op->end;
                continue;
            }
            break;
        case OP_EACH:
            rv = render_each(r, ops, i, sc);
            i = op->end;
            continue;
        case OP_YIELD:           /* the inner page sees the same values */
            if (r->inner)
                rv = render_tmpl(r->inner, NULL, r->top, r->w, r->ctx, 0);
            break;
        }
        i++;
    }
    return rv;
}

/* page: t is the outermost template, so it may start with the DOCTYPE. */
static apr_status_t render_tmpl(const sa_tmpl *t, const sa_tmpl *inner,
                                const sa_tdata *d, sa_write_fn w, void *ctx,
                                int page)
{
    static const char doctype[] = "<!DOCTYPE html>\n";
    rctx r = { inner, d, w, ctx };
    scope root = { d, NULL };
    apr_status_t rv;

    if (page && t->doctype
        && (rv = w(ctx, doctype, sizeof(doctype) - 1)) != APR_SUCCESS)
        return rv;
    return render_range(&r, t->ops, 0, t->nops, &root);
}

apr_status_t sa_tmpl_render(const sa_tmpl *t, const sa_tmpl *inner,
                            const sa_tdata *d, sa_write_fn w, void *ctx)
{
    if (!t || !w)
        return APR_EINVAL;
    return render_tmpl(t, inner, d, w, ctx, 1);
}
