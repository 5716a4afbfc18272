/* 住所検索: Japan Post's utf_ken_all.csv, indexed by postal code.
 *
 * The real file is about 12 MB and 124,000 lines, read once at
 * configuration time.  It is read through a fixed 64 KB buffer and each line
 * is parsed in place, so the only allocations are the ones that are kept:
 * one record per distinct code (the hash key lives inside it), its entries,
 * each town name, and a single copy of each prefecture and city name
 * (interned: there are ~1,900 distinct cities for ~124,000 rows).
 * Core file: APR only. */
#include <string.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "sa_postal.h"
#include "sa_csv.h"

#define SA_POSTAL_COLS 15
#define SA_POSTAL_BUF  (64 * 1024)   /* also the longest line accepted */

/* Columns used (0-based). */
enum { COL_CODE = 2, COL_PREF = 6, COL_CITY = 7, COL_TOWN = 8 };

/* One postal code: the 7 digits (the hash key points here) and its
 * entries, in file order. */
typedef struct {
    char code[8];
    int n, cap;
    sa_postal_entry *e;
} sa_postal_code;

struct sa_postal {
    apr_hash_t *codes;   /* "1130021" (7 bytes) -> sa_postal_code */
};

/* --- UTF-8 -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (n bytes available), with
 * its code point in *cp; 0 if it is not well-formed (overlong, surrogate,
 * beyond U+10FFFF, cut off). */
static apr_size_t utf8_seq(const unsigned char *s, apr_size_t n, unsigned long *cp)
{
    unsigned char c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((unsigned long)(c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        *cp = ((unsigned long)(c & 0x0F) << 12) | ((unsigned long)(s[1] & 0x3F) << 6)
              | (s[2] & 0x3F);
        if (*cp < 0x800 || (*cp >= 0xD800 && *cp <= 0xDFFF))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80
            || (s[3] & 0xC0) != 0x80)
            return 0;
        *cp = ((unsigned long)(c & 0x07) << 18) | ((unsigned long)(s[1] & 0x3F) << 12)
              | ((unsigned long)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        if (*cp < 0x10000 || *cp > 0x10FFFF)
            return 0;
        return 4;
    }
    return 0;
}

/* NULL if line[0..len) is valid UTF-8 without control characters (NUL
 * included), else what is wrong. */
static const char *check_line_text(apr_pool_t *p, const char *line, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)line;
    apr_size_t i = 0, k;
    unsigned long cp;

    while (i < len) {
        if (s[i] < 0x20 || s[i] == 0x7F)
            return apr_psprintf(p, "control character 0x%02X at byte %" APR_SIZE_T_FMT,
                                s[i], i + 1);
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((k = utf8_seq(s + i, len - i, &cp)) == 0)
            return apr_psprintf(p, "not valid UTF-8 at byte %" APR_SIZE_T_FMT
                                " (KEN_ALL.CSV is Shift_JIS: use utf_ken_all.csv)", i + 1);
        i += k;
    }
    return NULL;
}

/* --- reading ------------------------------------------------------------ */

typedef struct {
    apr_file_t *f;
    char *buf;           /* SA_POSTAL_BUF + 1 bytes */
    apr_size_t pos, end; /* unread data is buf[pos..end) */
    int eof;
} line_reader;

enum { LINE_OK = 1, LINE_EOF = 0, LINE_TOO_LONG = -1, LINE_READ_ERROR = -2 };

/* Next line, without its "\n" or "\r\n", NUL-terminated inside the buffer
 * (valid until the next call).  A last line without "\n" counts. */
static int next_line(line_reader *r, char **line, apr_size_t *len, apr_status_t *rv)
{
    for (;;) {
        char *start = r->buf + r->pos;
        char *nl = memchr(start, '\n', r->end - r->pos);
        apr_size_t got;

        if (nl || (r->eof && r->pos < r->end)) {
            apr_size_t n = nl ? (apr_size_t)(nl - start) : r->end - r->pos;
            r->pos += n + (nl ? 1 : 0);
            if (n && start[n - 1] == '\r')
                n--;
            start[n] = '\0';        /* buf has one spare byte past SA_POSTAL_BUF */
            *line = start;
            *len = n;
            return LINE_OK;
        }
        if (r->eof)
            return LINE_EOF;
        if (r->pos) {               /* keep the partial line, refill behind it */
            memmove(r->buf, start, r->end - r->pos);
            r->end -= r->pos;
            r->pos = 0;
        }
        if (r->end == SA_POSTAL_BUF)
            return LINE_TOO_LONG;
        got = SA_POSTAL_BUF - r->end;
        *rv = apr_file_read(r->f, r->buf + r->end, &got);
        if (*rv == APR_EOF || (*rv == APR_SUCCESS && got == 0))
            r->eof = 1;
        else if (*rv != APR_SUCCESS)
            return LINE_READ_ERROR;
        else
            r->end += got;
    }
}

/* --- building ----------------------------------------------------------- */

static int ends_with(const char *s, apr_size_t n, const char *suffix)
{
    apr_size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The town as a person would write it in an address, edited in place. */
static const char *display_town(char *t, const char *city)
{
    static const char open[] = "（", close[] = "）";
    char *o = strstr(t, open);
    apr_size_t n;

    /* The parentheses hold ranges and notes (丁目 and 番地 ranges, その他,
     * floors of a building, street directions), which are not part of the
     * address: 大通西（１～１９丁目） -> 大通西.  Text after ）, if any, stays. */
    if (o) {
        char *c = NULL, *q = o;
        while ((q = strstr(q, close)) != NULL) {
            c = q;
            q += sizeof close - 1;
        }
        if (c)
            memmove(o, c + sizeof close - 1, strlen(c + sizeof close - 1) + 1);
        else
            *o = '\0';
    }
    n = strlen(t);
    /* Placeholders, not place names: "no town part". */
    if (strcmp(t, "以下に掲載がない場合") == 0)
        return "";
    /* 下田市の次に番地がくる場合, 琴平町の次に１～４２６番地がくる場合: the
     * block number follows the city directly. */
    if (ends_with(t, n, "がくる場合") && strstr(t, "の次に"))
        return "";
    /* 利島村一円: the whole of the city (only when what precedes 一円 is
     * the city's own name; 一円 alone is a real town in 多賀町). */
    if (ends_with(t, n, "一円") && n > strlen("一円")) {
        apr_size_t k = n - strlen("一円");
        apr_size_t cn = strlen(city);
        if (cn >= k && memcmp(city + cn - k, t, k) == 0)
            return "";
    }
    return t;
}

/* The single copy of s kept in p. */
static const char *intern(apr_pool_t *p, apr_hash_t *names, const char *s)
{
    apr_size_t n = strlen(s);
    const char *v = apr_hash_get(names, s, (apr_ssize_t)n);

    if (!v) {
        v = apr_pstrmemdup(p, s, n);
        apr_hash_set(names, v, (apr_ssize_t)n, v);
    }
    return v;
}

/* Adds (pref, city, town) under code unless the code already has it: the
 * file repeats a town under one code when only the parenthesised part,
 * dropped here, differs.  pref and city are interned, so == compares them. */
static void add_entry(apr_pool_t *p, sa_postal *pd, const char *code,
                      const char *pref, const char *city, const char *town)
{
    sa_postal_code *c = apr_hash_get(pd->codes, code, 7);
    sa_postal_entry *e;
    int i;

    if (!c) {
        c = apr_palloc(p, sizeof *c);
        memcpy(c->code, code, 8);
        c->n = 0;
        c->cap = 1;                       /* most codes have a single entry */
        c->e = apr_palloc(p, sizeof *c->e);
        apr_hash_set(pd->codes, c->code, 7, c);
    }
    else {
        for (i = 0; i < c->n; i++)
            if (c->e[i].pref == pref && c->e[i].city == city
                && strcmp(c->e[i].town, town) == 0)
                return;
        if (c->n == c->cap) {
            sa_postal_entry *bigger = apr_palloc(p, sizeof *bigger * (apr_size_t)c->cap * 2);
            memcpy(bigger, c->e, sizeof *bigger * (apr_size_t)c->n);
            c->e = bigger;
            c->cap *= 2;
        }
    }
    e = &c->e[c->n++];
    e->pref = pref;
    e->city = city;
    e->town = *town ? apr_pstrdup(p, town) : "";
}

static int is_code7(const char *s)
{
    int i;
    for (i = 0; i < 7; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s[7] == '\0';
}

/* Checks and stores one non-empty line; NULL or what is wrong. */
static const char *load_line(apr_pool_t *p, apr_pool_t *scratch, sa_postal *pd,
                             apr_hash_t *names, char *line, apr_size_t len)
{
    char *f[SA_POSTAL_COLS];
    const char *why, *pref, *city;
    int n;

    if ((why = check_line_text(scratch, line, len)) != NULL)
        return why;
    if ((n = sa_csv_split(line, f, SA_POSTAL_COLS, &why)) < 0)
        return why;
    if (n != SA_POSTAL_COLS)
        return apr_psprintf(scratch, "expected %d columns, found %d", SA_POSTAL_COLS, n);
    if (!is_code7(f[COL_CODE]))
        return apr_psprintf(scratch, "column 3: postal code \"%s\" is not 7 digits",
                            f[COL_CODE]);
    if (!*f[COL_PREF] || !*f[COL_CITY])
        return "column 7 or 8: empty prefecture or city";
    pref = intern(p, names, f[COL_PREF]);
    city = intern(p, names, f[COL_CITY]);
    add_entry(p, pd, f[COL_CODE], pref, city, display_town(f[COL_TOWN], city));
    return NULL;
}

const char *sa_postal_load(apr_pool_t *p, const char *path, sa_postal **out)
{
    apr_pool_t *data, *scratch;
    apr_hash_t *names;
    line_reader r;
    sa_postal *pd;
    apr_status_t rv = APR_SUCCESS;
    const char *msg = NULL;
    char *line, eb[256];
    apr_size_t len;
    int lineno = 0, got;

    *out = NULL;
    /* data: what is kept (dropped on failure); scratch: the file, the
     * buffer, the interning table and messages. */
    apr_pool_create(&data, p);
    apr_pool_create(&scratch, p);
    rv = apr_file_open(&r.f, path, APR_FOPEN_READ, APR_OS_DEFAULT, scratch);
    if (rv != APR_SUCCESS) {
        msg = apr_psprintf(p, "%s: cannot open: %s", path, apr_strerror(rv, eb, sizeof eb));
        goto done;
    }
    r.buf = apr_palloc(scratch, SA_POSTAL_BUF + 1);
    r.pos = r.end = 0;
    r.eof = 0;
    names = apr_hash_make(scratch);
    pd = apr_palloc(data, sizeof *pd);
    pd->codes = apr_hash_make(data);

    while ((got = next_line(&r, &line, &len, &rv)) == LINE_OK) {
        const char *why;
        lineno++;
        if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;                            /* byte order mark */
            len -= 3;
        }
        if (len == 0)
            continue;
        if ((why = load_line(data, scratch, pd, names, line, len)) != NULL) {
            msg = apr_psprintf(p, "%s:%d: %s", path, lineno, why);
            goto done;
        }
    }
    if (got == LINE_TOO_LONG)
        msg = apr_psprintf(p, "%s:%d: line longer than %d bytes", path, lineno + 1,
                           SA_POSTAL_BUF);
    else if (got == LINE_READ_ERROR)
        msg = apr_psprintf(p, "%s:%d: cannot read: %s", path, lineno + 1,
                           apr_strerror(rv, eb, sizeof eb));
    else if (apr_hash_count(pd->codes) == 0)
        msg = apr_psprintf(p, "%s: no postal codes in the file", path);
    else
        *out = pd;
done:
    apr_pool_destroy(scratch);                   /* also closes the file */
    if (msg)
        apr_pool_destroy(data);
    return msg;
}

int sa_postal_lookup(const sa_postal *pd, const char *code7, const sa_postal_entry **entries)
{
    const sa_postal_code *c;

    if (entries)
        *entries = NULL;
    if (!pd || !code7 || !is_code7(code7))
        return 0;
    c = apr_hash_get(pd->codes, code7, 7);
    if (!c)
        return 0;
    if (entries)
        *entries = c->e;
    return c->n;
}

apr_size_t sa_postal_count(const sa_postal *pd)
{
    return pd ? apr_hash_count(pd->codes) : 0;
}

/* --- JSON --------------------------------------------------------------- */

/* Escapes s into out (when not NULL); returns the length written. */
static apr_size_t json_escape_into(const unsigned char *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t n = 0, left = strlen((const char *)s), k;
    unsigned long cp;

    while (left) {
        const char *rep = NULL;
        char u[7];
        unsigned char c = *s;

        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&') {
            /* control characters must be escaped; < > & also, so the
             * string can sit inside <script> or HTML unharmed */
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
            u[4] = hex[c >> 4]; u[5] = hex[c & 0xF]; u[6] = '\0';
            rep = u;
        }
        if (rep || c < 0x80) {
            k = 1;
        }
        else if ((k = utf8_seq(s, left, &cp)) == 0) {
            rep = "\\ufffd";              /* not UTF-8: one byte at a time */
            k = 1;
        }
        else if (cp == 0x2028)
            rep = "\\u2028";              /* line terminators in JavaScript */
        else if (cp == 0x2029)
            rep = "\\u2029";
        if (rep) {
            apr_size_t rl = strlen(rep);
            if (out)
                memcpy(out + n, rep, rl);
            n += rl;
        }
        else {
            if (out)
                memcpy(out + n, s, k);
            n += k;
        }
        s += k;
        left -= k;
    }
    return n;
}

const char *sa_json_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n;
    char *out;

    if (!s)
        return "";
    n = json_escape_into((const unsigned char *)s, NULL);
    out = apr_palloc(p, n + 1);
    json_escape_into((const unsigned char *)s, out);
    out[n] = '\0';
    return out;
}

int sa_postal_address(apr_pool_t *p, const sa_postal *pd, const sa_refdata *ref,
                      const char *code7, const char **pref_code, const char **city)
{
    const sa_postal_entry *e;
    const char *town;
    int n = pd ? sa_postal_lookup(pd, code7, &e) : 0, i;

    if (n == 0) {
        return 0;
    }
    town = e[0].town;
    for (i = 1; i < n; i++) {
        if (strcmp(e[i].pref, e[0].pref) || strcmp(e[i].city, e[0].city)) {
            return 0;               /* a code across cities: let the user type it */
        }
        if (strcmp(e[i].town, town)) {
            town = "";              /* several towns: fill the city only */
        }
    }
    *pref_code = NULL;
    for (i = 0; i < ref->prefectures->nelts; i++) {
        const sa_refitem *it = &APR_ARRAY_IDX(ref->prefectures, i, sa_refitem);
        if (!strcmp(it->name, e[0].pref)) {
            *pref_code = it->code;
        }
    }
    if (!*pref_code) {
        return 0;
    }
    *city = apr_pstrcat(p, e[0].city, town, NULL);
    return 1;
}
