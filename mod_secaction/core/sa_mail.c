/* Mail: text templates, RFC 5322 / MIME message building, and handing a
 * message to a sendmail-compatible program.  Core file: APR, APR-util and
 * OpenSSL (through sa_token) only. */
#include "sa_mail.h"
#include "sa_buf.h"
#include "sa_token.h"

#include <signal.h>
#include <spawn.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_file_io.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#define SA_TMPL_MAX_BYTES  (1024 * 1024)  /* a mail template is a page of text */
#define SA_TMPL_MAX_DEPTH  16             /* nested sections */
#define SA_TMPL_MAX_NAME   64
/* 39 bytes -> 52 base64 chars -> a 64-char encoded word, so that
 * "Subject: " + word stays within 76 columns and every word within the
 * RFC 2047 limit of 75. */
#define SA_EW_MAX_BYTES    39
#define SA_B64_LINE_BYTES  57             /* 57 bytes -> one 76-char line */
#define SA_ADDR_MAX        254
#define SA_POLL_MAX_USEC   (50 * 1000)

/* ------------------------------------------------------------------------
 * The message is built in a growable string (sa_buf.h). */

static void sb_str(sa_buf *b, const char *s)
{
    sa_buf_add(b, s, strlen(s));
}

/* ------------------------------------------------------------------------
 * UTF-8. */

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if the
 * bytes are not one (overlong, surrogate, beyond U+10FFFF, truncated). */
static apr_size_t utf8_seq(const unsigned char *s, apr_size_t n)
{
    unsigned long cp;
    apr_size_t len, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2, cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3, cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
        || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* ------------------------------------------------------------------------
 * Templates: compiled into a flat list of nodes.  A section node jumps to
 * the index of its END node when its condition fails, so filling is one
 * pass over the list with no parsing and no recursion. */

typedef enum { T_TEXT, T_VAR, T_IF, T_UNLESS, T_END } tkind;

typedef struct {
    tkind kind;
    const char *s;      /* T_TEXT: bytes (not NUL-terminated); else the name */
    apr_size_t len;
    int jump;           /* T_IF / T_UNLESS: index of the matching T_END */
} tnode;

struct sa_mail_tmpl {
    const char *name;
    const tnode *nodes;
    int n;
    int subject_end;    /* nodes [0, subject_end) are the subject */
};

typedef struct {
    apr_pool_t *p;
    const char *name;
    apr_array_header_t *nodes;
    int open[SA_TMPL_MAX_DEPTH];       /* node index of each open section */
    int open_line[SA_TMPL_MAX_DEPTH];
    int depth;
} tcomp;

/* The template's text with a UTF-8 BOM dropped and CRLF / CR turned into
 * LF, so line numbers and standalone tags work the same for every editor. */
static char *tmpl_normalise(apr_pool_t *p, const char *buf, apr_size_t len, apr_size_t *outlen)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i = 0, o = 0;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (; i < len; i++) {
        if (buf[i] == '\r') {
            out[o++] = '\n';
            if (i + 1 < len && buf[i + 1] == '\n')
                i++;
        }
        else
            out[o++] = buf[i];
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static const char *tmpl_check_bytes(tcomp *c, const char *s, apr_size_t len)
{
    apr_size_t i = 0, k;
    int line = 1;

    while (i < len) {
        if (s[i] == '\0')
            return apr_psprintf(c->p, "%s:%d: NUL byte in template", c->name, line);
        k = utf8_seq((const unsigned char *)s + i, len - i);
        if (!k)
            return apr_psprintf(c->p, "%s:%d: invalid UTF-8", c->name, line);
        if (s[i] == '\n')
            line++;
        i += k;
    }
    return NULL;
}

static int tmpl_name_ok(const char *s, apr_size_t n)
{
    apr_size_t i;
    if (n == 0 || n > SA_TMPL_MAX_NAME)
        return 0;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
              || ch == '_' || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static int tmpl_push(tcomp *c, tkind kind, const char *s, apr_size_t len)
{
    tnode *n = apr_array_push(c->nodes);
    n->kind = kind;
    n->s = s;
    n->len = len;
    n->jump = -1;
    return c->nodes->nelts - 1;
}

static void tmpl_text(tcomp *c, const char *s, apr_size_t len)
{
    if (len)
        tmpl_push(c, T_TEXT, s, len);
}

static const char *tmpl_open(tcomp *c, char sigil, const char *name, int line)
{
    if (c->depth == SA_TMPL_MAX_DEPTH)
        return apr_psprintf(c->p, "%s:%d: sections nested deeper than %d",
                            c->name, line, SA_TMPL_MAX_DEPTH);
    c->open[c->depth] = tmpl_push(c, sigil == '#' ? T_IF : T_UNLESS, name, strlen(name));
    c->open_line[c->depth] = line;
    c->depth++;
    return NULL;
}

static const char *tmpl_close(tcomp *c, const char *name, int line)
{
    tnode *top;
    int end;

    if (c->depth == 0)
        return apr_psprintf(c->p, "%s:%d: {{/%s}} closes no open section", c->name, line, name);
    top = &APR_ARRAY_IDX(c->nodes, c->open[c->depth - 1], tnode);
    if (strcmp(top->s, name) != 0)
        return apr_psprintf(c->p, "%s:%d: {{/%s}} does not match {{%c%s}} opened on line %d",
                            c->name, line, name, top->kind == T_IF ? '#' : '^', top->s,
                            c->open_line[c->depth - 1]);
    end = tmpl_push(c, T_END, name, strlen(name));
    /* re-fetch: the push may have moved the array */
    APR_ARRAY_IDX(c->nodes, c->open[c->depth - 1], tnode).jump = end;
    c->depth--;
    return NULL;
}

/* One {{...}} tag, inner text [s, s+n) without the braces. */
static const char *tmpl_tag(tcomp *c, const char *s, apr_size_t n, int line)
{
    char sigil = 0;
    const char *name;

    while (n && is_blank(*s))
        s++, n--;
    while (n && is_blank(s[n - 1]))
        n--;
    if (n && strchr("#^/!", *s))
        sigil = *s++, n--;
    if (sigil == '!')
        return NULL;                     /* a comment for the administrator */
    while (n && is_blank(*s))
        s++, n--;
    if (!tmpl_name_ok(s, n))
        return apr_psprintf(c->p, "%s:%d: invalid placeholder name \"%.*s\" "
                            "(letters, digits, '_', '-', '.')",
                            c->name, line, (int)(n > 40 ? 40 : n), s);
    name = apr_pstrmemdup(c->p, s, n);
    if (sigil == '#' || sigil == '^')
        return tmpl_open(c, sigil, name, line);
    if (sigil == '/')
        return tmpl_close(c, name, line);
    tmpl_push(c, T_VAR, name, n);
    return NULL;
}

/* A section or comment tag alone on its line (blanks aside) takes the whole
 * line with it, so a template can put {{#x}} on a line of its own without
 * leaving an empty line in the mail.  Sets [*cut, *resume) to drop. */
static int tmpl_standalone(const char *s, apr_size_t len, apr_size_t pos, apr_size_t open,
                           apr_size_t close_end, apr_size_t *cut, apr_size_t *resume)
{
    apr_size_t ls = open, te = close_end;

    while (ls > pos && is_blank(s[ls - 1]))
        ls--;
    if (ls > 0 && s[ls - 1] != '\n')
        return 0;
    while (te < len && is_blank(s[te]))
        te++;
    if (te < len && s[te] != '\n')
        return 0;
    *cut = ls;
    *resume = te < len ? te + 1 : te;
    return 1;
}

/* Section, close and comment tags can stand alone on a line. */
static int tag_is_block(const char *s, apr_size_t n)
{
    while (n && is_blank(*s))
        s++, n--;
    return n && (*s == '#' || *s == '^' || *s == '/' || *s == '!');
}

static const char *find_open(const char *s, apr_size_t from, apr_size_t len)
{
    const char *hit = from < len ? memchr(s + from, '{', len - from) : NULL;
    while (hit && (apr_size_t)(hit - s) + 1 < len && hit[1] != '{')
        hit = memchr(hit + 1, '{', len - (apr_size_t)(hit + 1 - s));
    return hit && (apr_size_t)(hit - s) + 1 < len ? hit : NULL;
}

static int count_lines(const char *s, apr_size_t from, apr_size_t to)
{
    int n = 0;
    for (; from < to; from++)
        n += s[from] == '\n';
    return n;
}

static const char *tmpl_unclosed(tcomp *c, const char *where)
{
    const tnode *top = &APR_ARRAY_IDX(c->nodes, c->open[c->depth - 1], tnode);
    return apr_psprintf(c->p, "%s:%d: {{%c%s}} is not closed%s", c->name,
                        c->open_line[c->depth - 1], top->kind == T_IF ? '#' : '^', top->s, where);
}

/* Compiles [s, s+len), which starts at the beginning of line `line`. */
static const char *tmpl_segment(tcomp *c, const char *s, apr_size_t len, int line,
                                int standalone)
{
    apr_size_t pos = 0, counted = 0, o, e, cut, resume;
    const char *hit, *err;

    while ((hit = find_open(s, pos, len)) != NULL) {
        o = (apr_size_t)(hit - s);
        line += count_lines(s, counted, o);
        counted = o;
        for (e = o + 2; e + 1 < len && s[e] != '\n'; e++)
            if (s[e] == '}' && s[e + 1] == '}')
                break;
        if (!(e + 1 < len && s[e] == '}' && s[e + 1] == '}'))
            return apr_psprintf(c->p, "%s:%d: unterminated {{ (no }} on the same line)",
                                c->name, line);
        if (!(standalone && tag_is_block(s + o + 2, e - o - 2)
              && tmpl_standalone(s, len, pos, o, e + 2, &cut, &resume)))
            cut = o, resume = e + 2;
        tmpl_text(c, s + pos, cut - pos);
        if ((err = tmpl_tag(c, s + o + 2, e - o - 2, line)) != NULL)
            return err;
        pos = resume;
    }
    tmpl_text(c, s + pos, len - pos);
    return c->depth ? tmpl_unclosed(c, standalone ? "" : " on the Subject line") : NULL;
}

/* Splits "Subject: ...\n\nbody" and compiles both parts. */
static const char *tmpl_parts(tcomp *c, const char *s, apr_size_t len, int *subject_end)
{
    const char *end = s + len, *eol = memchr(s, '\n', len), *l2, *eol2, *subj, *send, *err;
    apr_size_t l1 = eol ? (apr_size_t)(eol - s) : len;

    if (l1 < 8 || strncasecmp(s, "Subject:", 8) != 0)
        return apr_psprintf(c->p, "%s:1: the first line must be \"Subject: ...\"", c->name);
    for (subj = s + 8; subj < s + l1 && is_blank(*subj); subj++)
        ;
    for (send = s + l1; send > subj && is_blank(send[-1]); send--)
        ;
    if (send == subj)
        return apr_psprintf(c->p, "%s:1: the Subject line is empty", c->name);
    l2 = eol ? eol + 1 : end;
    eol2 = l2 < end ? memchr(l2, '\n', (apr_size_t)(end - l2)) : NULL;
    if (!eol2)
        eol2 = end;
    while (l2 < eol2 && is_blank(*l2))
        l2++;
    if (!eol || eol + 1 == end || l2 != eol2)
        return apr_psprintf(c->p, "%s:2: expected an empty line after the Subject line",
                            c->name);
    if ((err = tmpl_segment(c, subj, (apr_size_t)(send - subj), 1, 0)) != NULL)
        return err;
    *subject_end = c->nodes->nelts;
    if (eol2 == end)
        return NULL;
    return tmpl_segment(c, eol2 + 1, (apr_size_t)(end - eol2 - 1), 3, 1);
}

const char *sa_mail_tmpl_compile_mem(apr_pool_t *p, const char *name,
                                     const char *buf, apr_size_t len, sa_mail_tmpl **out)
{
    tcomp c;
    sa_mail_tmpl *t;
    apr_size_t n;
    char *s;
    const char *err;

    *out = NULL;
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.name = name ? name : "(template)";
    c.nodes = apr_array_make(p, 16, sizeof(tnode));
    s = tmpl_normalise(p, buf, len, &n);
    if ((err = tmpl_check_bytes(&c, s, n)) != NULL)
        return err;
    t = apr_pcalloc(p, sizeof(*t));
    if ((err = tmpl_parts(&c, s, n, &t->subject_end)) != NULL)
        return err;
    t->name = apr_pstrdup(p, c.name);
    t->nodes = (const tnode *)c.nodes->elts;
    t->n = c.nodes->nelts;
    *out = t;
    return NULL;
}

const char *sa_mail_tmpl_compile_file(apr_pool_t *p, const char *path, sa_mail_tmpl **out)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t got;
    char *buf, ebuf[120];

    *out = NULL;
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_OS_DEFAULT, p);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv != APR_SUCCESS)
        return apr_psprintf(p, "%s:0: cannot read the template: %s", path,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
    if (fi.size > SA_TMPL_MAX_BYTES) {
        apr_file_close(f);
        return apr_psprintf(p, "%s:0: template larger than %d bytes", path, SA_TMPL_MAX_BYTES);
    }
    buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF)
        return apr_psprintf(p, "%s:0: cannot read the template: %s", path,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
    return sa_mail_tmpl_compile_mem(p, path, buf, got, out);
}

static const char *fill_range(apr_pool_t *p, const sa_mail_tmpl *t, int from, int to,
                              const apr_table_t *vals)
{
    sa_buf b;
    const char *v;
    int i;

    sa_buf_init(&b, p, 256);
    for (i = from; i < to; i++) {
        const tnode *n = &t->nodes[i];
        v = n->kind == T_TEXT || n->kind == T_END || !vals ? NULL : apr_table_get(vals, n->s);
        switch (n->kind) {
        case T_TEXT:   sa_buf_add(&b, n->s, n->len); break;
        case T_VAR:    if (v) sb_str(&b, v); break;
        case T_IF:     if (!v || !*v) i = n->jump; break;
        case T_UNLESS: if (v && *v) i = n->jump; break;
        case T_END:    break;
        }
    }
    return b.s;
}

void sa_mail_tmpl_fill(apr_pool_t *p, const sa_mail_tmpl *t, const apr_table_t *vals,
                       const char **subject, const char **body)
{
    if (subject)
        *subject = fill_range(p, t, 0, t->subject_end, vals);
    if (body)
        *body = fill_range(p, t, t->subject_end, t->n, vals);
}

/* ------------------------------------------------------------------------
 * Message building. */

static void b64_add(sa_buf *b, const unsigned char *s, apr_size_t n)
{
    char tmp[4 * ((SA_B64_LINE_BYTES + 2) / 3) + 1];

    apr_base64_encode_binary(tmp, s, (int)n);
    sb_str(b, tmp);
}

/* Bytes of the character at s; a stray invalid byte counts as one, so
 * encoded words never split a valid sequence and always make progress. */
static apr_size_t char_len(const unsigned char *s, apr_size_t n)
{
    apr_size_t k = utf8_seq(s, n);
    return k ? k : 1;
}

const char *sa_mail_encode_header(apr_pool_t *p, const char *value)
{
    const unsigned char *s = (const unsigned char *)(value ? value : "");
    apr_size_t len = strlen((const char *)s), pos = 0, k, i;
    unsigned char chunk[SA_EW_MAX_BYTES];
    sa_buf b;

    sa_buf_init(&b, p, len * 2 + 32);
    while (pos < len) {
        apr_size_t n = 0;
        while (pos < len && n + (k = char_len(s + pos, len - pos)) <= SA_EW_MAX_BYTES) {
            /* controls become spaces: a header value is one line */
            for (i = 0; i < k; i++, pos++)
                chunk[n++] = (s[pos] < 0x20 || s[pos] == 0x7F) ? ' ' : s[pos];
        }
        if (b.len)
            sb_str(&b, "\r\n ");
        sb_str(&b, "=?UTF-8?B?");
        b64_add(&b, chunk, n);
        sb_str(&b, "?=");
    }
    return b.s;
}

/* What makes addr unusable in a header or on a command line, or NULL.
 * Never quotes the address: it is personal data and this goes to the log. */
static const char *address_problem(const char *addr)
{
    const char *c, *at = NULL;

    if (!addr || !*addr)
        return "is empty";
    if (strlen(addr) > SA_ADDR_MAX)
        return "is longer than 254 characters";
    if (addr[0] == '-')
        return "starts with '-'";
    for (c = addr; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u <= 0x20 || u == 0x7F)
            return "contains a space or control character";
        if (u >= 0x80)
            return "contains a non-ASCII character";
        if (strchr("<>,\";()[]\\:", u))
            return "contains a character not allowed in an address";
        if (u == '@') {
            if (at)
                return "contains more than one '@'";
            at = c;
        }
    }
    if (!at)
        return "has no '@'";
    if (at == addr || !at[1])
        return "has an empty local part or domain";
    return NULL;
}

/* RFC 5322 date in local time with its numeric offset; English names, not
 * the locale's. */
static const char *rfc5322_date(apr_pool_t *p, apr_time_t t)
{
    static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    apr_time_exp_t tm;
    long off;

    if (apr_time_exp_lt(&tm, t) != APR_SUCCESS)
        apr_time_exp_gmt(&tm, t);
    off = tm.tm_gmtoff < 0 ? -(long)tm.tm_gmtoff : (long)tm.tm_gmtoff;
    return apr_psprintf(p, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
                        wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_gmtoff < 0 ? '-' : '+',
                        off / 3600, (off % 3600) / 60);
}

/* The body with every line end as CRLF and a final CRLF. */
static char *body_crlf(apr_pool_t *p, const char *body, apr_size_t *outlen)
{
    apr_size_t len = strlen(body), i, o = 0;
    char *out = apr_palloc(p, len * 2 + 3);

    for (i = 0; i < len; i++) {
        if (body[i] == '\r' || body[i] == '\n') {
            if (body[i] == '\r' && body[i + 1] == '\n')
                i++;
            out[o++] = '\r';
            out[o++] = '\n';
        }
        else
            out[o++] = body[i];
    }
    if (o && out[o - 1] != '\n') {
        out[o++] = '\r';
        out[o++] = '\n';
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static void body_base64(sa_buf *b, const char *s, apr_size_t len)
{
    apr_size_t pos, n;

    for (pos = 0; pos < len; pos += n) {
        n = len - pos < SA_B64_LINE_BYTES ? len - pos : SA_B64_LINE_BYTES;
        b64_add(b, (const unsigned char *)s + pos, n);
        sb_str(b, "\r\n");
    }
}

static void header(sa_buf *b, const char *name, const char *value)
{
    sb_str(b, name);
    sb_str(b, ": ");
    sb_str(b, value);
    sb_str(b, "\r\n");
}

static const char *build_fail(apr_pool_t *p, const char **err, const char *what,
                              const char *why)
{
    if (err)
        *err = apr_pstrcat(p, what, why, NULL);
    return NULL;
}

const char *sa_mail_build(apr_pool_t *p, const char *from, const char *to,
                          const char *subject, const char *body, apr_time_t date,
                          const char **err)
{
    const char *why, *mid, *subj;
    apr_size_t blen;
    char *crlf;
    sa_buf b;

    if (err)
        *err = NULL;
    if ((why = address_problem(from)) != NULL)
        return build_fail(p, err, "the From address ", why);
    if ((why = address_problem(to)) != NULL)
        return build_fail(p, err, "the To address ", why);
    if ((mid = sa_token_new(p)) == NULL)
        return build_fail(p, err, "the random generator failed", " (Message-ID)");
    crlf = body_crlf(p, body ? body : "", &blen);
    subj = subject && *subject ? sa_mail_encode_header(p, subject) : NULL;

    sa_buf_init(&b, p, blen * 4 / 3 + 1024);
    header(&b, "From", from);
    header(&b, "To", to);
    sb_str(&b, subj ? "Subject: " : "Subject:");
    sb_str(&b, subj ? subj : "");
    sb_str(&b, "\r\n");
    header(&b, "Date", rfc5322_date(p, date ? date : apr_time_now()));
    header(&b, "Message-ID", apr_pstrcat(p, "<", mid, "@", strchr(from, '@') + 1, ">", NULL));
    header(&b, "MIME-Version", "1.0");
    header(&b, "Content-Type", "text/plain; charset=UTF-8");
    header(&b, "Content-Transfer-Encoding", "base64");
    sb_str(&b, "\r\n");
    body_base64(&b, crlf, blen);
    return b.s;
}

/* ------------------------------------------------------------------------
 * Handing a message to the sendmail program. */

static const char **sendmail_argv(apr_pool_t *p, const char *const *argv,
                                  const char *from, const char *to)
{
    int n = 0;
    const char **a;

    while (argv[n])
        n++;
    a = apr_palloc(p, (n + 6) * sizeof(*a));
    memcpy(a, argv, n * sizeof(*a));
    a[n] = "-i";          /* a line with a lone "." is text, not the end */
    a[n + 1] = "-f";
    a[n + 2] = from;
    a[n + 3] = "--";      /* the recipient can never be read as an option */
    a[n + 4] = to;
    a[n + 5] = NULL;
    return a;
}

/* Starts the program with the message file as its standard input and the
 * server's standard output and error (the error log).  posix_spawn (a
 * vfork and exec) rather than apr_proc_create's fork: a server child is a
 * large process with many threads, and a fork copies its page tables and
 * makes its memory copy-on-write until the exec, a cost paid for every
 * mail.  An exec that fails is reported here (ENOENT, EACCES). */
static apr_status_t sendmail_spawn(const char **args, apr_file_t *in, apr_proc_t *proc)
{
    /* exactly this environment: nothing of the server's, but a PATH so
     * that sendmail wrappers find their helpers */
    static char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL
    };
    apr_os_file_t fd;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    pid_t pid;
    apr_status_t rv;
    int rc;

    if ((rv = apr_os_file_get(&fd, in)) != APR_SUCCESS)
        return rv;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGCHLD);
    sigaddset(&dflt, SIGHUP);
    sigaddset(&dflt, SIGTERM);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    /* the server's threads block signals and ignore some: the program
     * starts with none blocked and these at their defaults */
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn_file_actions_adddup2(&fa, fd, 0);
    if (rc == 0 && fd != 0)
        rc = posix_spawn_file_actions_addclose(&fa, fd);
    if (rc == 0)
        rc = posix_spawn(&pid, args[0], &fa, &at, (char *const *)args, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0)
        return APR_FROM_OS_ERROR(rc);
    memset(proc, 0, sizeof(*proc));
    proc->pid = pid;
    return APR_SUCCESS;
}

/* The whole message in a file of its own, read from its start: the
 * program's standard input.  A pipe would hand the program whatever was
 * written when the server's process died mid-write, and a sendmail takes
 * an ended input as the end of the message; a file is complete before the
 * program starts.  The file is unlinked at once (only this process and the
 * program hold it) and readable by its owner only. */
static apr_status_t message_file(apr_pool_t *sp, const char *msg, apr_file_t **f,
                                 const char **what)
{
    const char *dir = NULL;
    char *path;
    apr_size_t len = strlen(msg);
    apr_off_t start = 0;
    apr_status_t rv;

    *what = "cannot find a folder for temporary files";
    if ((rv = apr_temp_dir_get(&dir, sp)) != APR_SUCCESS)
        return rv;
    path = apr_pstrcat(sp, dir, "/secaction-mail-XXXXXX", NULL);
    *what = "cannot create a temporary file";
    if ((rv = apr_file_mktemp(f, path, APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE
                              | APR_FOPEN_EXCL, sp)) != APR_SUCCESS)
        return rv;
    apr_file_remove(path, sp);
    *what = "cannot write a temporary file";
    if ((rv = apr_file_write_full(*f, msg, len, NULL)) != APR_SUCCESS
        || (rv = apr_file_seek(*f, APR_SET, &start)) != APR_SUCCESS)
        return rv;
    return APR_SUCCESS;
}

/* Reaps the child, polling so that the deadline holds (0 = wait forever);
 * past it the child is killed and APR_TIMEUP returned. */
static apr_status_t wait_child(apr_proc_t *proc, apr_time_t deadline,
                               int *code, apr_exit_why_e *why)
{
    apr_interval_time_t nap = 1000;
    apr_status_t rv;

    for (;;) {
        rv = apr_proc_wait(proc, code, why, deadline ? APR_NOWAIT : APR_WAIT);
        if (rv == APR_CHILD_DONE)
            return APR_SUCCESS;
        if (rv != APR_CHILD_NOTDONE)
            return rv;
        if (apr_time_now() >= deadline) {
            apr_proc_kill(proc, SIGKILL);
            apr_proc_wait(proc, code, why, APR_WAIT);
            return APR_TIMEUP;
        }
        apr_sleep(nap);
        if (nap < SA_POLL_MAX_USEC)
            nap *= 2;
    }
}

static const char *interval_text(apr_pool_t *p, apr_interval_time_t t)
{
    if (t % APR_USEC_PER_SEC == 0)
        return apr_psprintf(p, "%" APR_TIME_T_FMT "s", apr_time_sec(t));
    return apr_psprintf(p, "%" APR_TIME_T_FMT "ms", apr_time_as_msec(t));
}

static apr_status_t send_fail(apr_pool_t *p, const char **err, apr_status_t rv,
                              const char *text)
{
    if (err)
        *err = apr_pstrdup(p, text);
    return rv;
}

/* Reaps the program, then says why it failed, if it did. */
static apr_status_t sendmail_result(apr_pool_t *p, apr_proc_t *proc, const char *prog,
                                    apr_time_t deadline, apr_interval_time_t timeout,
                                    const char **err)
{
    int code = 0;
    apr_exit_why_e why = APR_PROC_EXIT;
    apr_status_t rv = wait_child(proc, deadline, &code, &why);
    char ebuf[120];

    if (rv == APR_TIMEUP)
        return send_fail(p, err, rv, apr_psprintf(p, "%s: timed out after %s", prog,
                                                  interval_text(p, timeout)));
    if (rv != APR_SUCCESS)
        return send_fail(p, err, rv, apr_psprintf(p, "cannot wait for %s: %s", prog,
                                                  apr_strerror(rv, ebuf, sizeof(ebuf))));
    if (APR_PROC_CHECK_SIGNALED(why))
        return send_fail(p, err, APR_EGENERAL,
                         apr_psprintf(p, "%s: killed by signal %d", prog, code));
    if (code != 0)
        return send_fail(p, err, APR_EGENERAL,
                         apr_psprintf(p, "%s: exit status %d", prog, code));
    return APR_SUCCESS;
}

apr_status_t sa_sendmail(apr_pool_t *p, const char *const *argv,
                         const char *from, const char *to, const char *msg,
                         apr_interval_time_t timeout, const char **err)
{
    apr_time_t deadline = timeout > 0 ? apr_time_now() + timeout : 0;
    const char *why, *what;
    apr_pool_t *sp;
    apr_proc_t proc;
    apr_file_t *in = NULL;
    apr_status_t rv;
    char ebuf[120];

    if (err)
        *err = NULL;
    if (!argv || !argv[0] || argv[0][0] != '/')
        return send_fail(p, err, APR_EINVAL, "the sendmail program must be an absolute path");
    if ((why = address_problem(from)) != NULL)
        return send_fail(p, err, APR_EINVAL, apr_pstrcat(p, "the sender address ", why, NULL));
    if ((why = address_problem(to)) != NULL)
        return send_fail(p, err, APR_EINVAL, apr_pstrcat(p, "the recipient address ", why, NULL));
    if (!msg)
        return send_fail(p, err, APR_EINVAL, "no message");

    if ((rv = apr_pool_create(&sp, p)) != APR_SUCCESS)
        return send_fail(p, err, rv, "cannot create a pool");
    if ((rv = message_file(sp, msg, &in, &what)) != APR_SUCCESS) {
        apr_pool_destroy(sp);
        return send_fail(p, err, rv, apr_psprintf(p, "%s: %s", what,
                                                  apr_strerror(rv, ebuf, sizeof(ebuf))));
    }
    rv = sendmail_spawn(sendmail_argv(sp, argv, from, to), in, &proc);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(sp);
        return send_fail(p, err, rv, apr_psprintf(p, "cannot start %s: %s", argv[0],
                                                  apr_strerror(rv, ebuf, sizeof(ebuf))));
    }
    apr_file_close(in);           /* the program holds its own copy */
    rv = sendmail_result(p, &proc, argv[0], deadline, timeout, err);
    apr_pool_destroy(sp);
    return rv;
}
