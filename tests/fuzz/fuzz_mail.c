/* Mail (core/sa_mail.h): the input compiled as a mail template and filled
 * with values taken from the input itself; the filled (or raw) subject and
 * body built into a message; the input encoded as a header.
 * Invariants:
 *   - sa_mail_encode_header: encoded words of at most 75 characters joined by
 *     CRLF SP, whose decoded bytes are the input with control characters as
 *     spaces, no word splitting a valid UTF-8 sequence;
 *   - sa_mail_build: only CRLF line ends, headers in the documented order
 *     (continuation lines only under Subject), base64 body lines of at most
 *     76 characters decoding to the body with CRLF line ends; addresses it
 *     accepts cannot break a header or a command line. */
#include "fuzz_common.h"
#include "sa_mail.h"

#include <apr_base64.h>
#include <apr_lib.h>

/* Placeholder names of the input ({{name}}, {{#name}}, {{/name}}, ...). */
static int names_in(const char *s, const char **names, int max)
{
    int n = 0;
    const char *q = s;
    while (n < max && (q = strstr(q, "{{")) != NULL) {
        const char *b = q + 2, *e;
        while (*b == ' ' || *b == '\t' || *b == '#' || *b == '^' || *b == '/')
            b++;
        e = b;
        while (*e && (apr_isalnum(*e) || *e == '_' || *e == '-' || *e == '.'))
            e++;
        if (e > b && e - b <= 64)
            names[n++] = apr_pstrmemdup(fz_pool, b, (apr_size_t)(e - b));
        q = e > q + 2 ? e : q + 2;
    }
    return n;
}

static const char *decode_b64(const char *s, apr_size_t n, apr_size_t *outlen)
{
    char *in = apr_pstrmemdup(fz_pool, s, n);
    char *out = apr_palloc(fz_pool, (apr_size_t)apr_base64_decode_len(in) + 1);
    int len = apr_base64_decode_binary((unsigned char *)out, in);
    out[len] = '\0';
    *outlen = (apr_size_t)len;
    return out;
}

static void check_header(const char *value)
{
    const char *enc = sa_mail_encode_header(fz_pool, value), *q = enc;
    apr_size_t vl = strlen(value), got = 0;
    char *expect = apr_pstrdup(fz_pool, value), *all = apr_palloc(fz_pool, vl + 1);
    apr_size_t i;
    int valid = fz_utf8_ok(value);

    for (i = 0; i < vl; i++)
        if ((unsigned char)expect[i] < 0x20 || expect[i] == 0x7F)
            expect[i] = ' ';
    while (*q) {
        const char *end = strstr(q, "\r\n "), *word_end = end ? end : q + strlen(q);
        apr_size_t wl = (apr_size_t)(word_end - q), dl;
        const char *dec;
        FZ_ASSERT(wl <= 75 && wl > 12 && strncmp(q, "=?UTF-8?B?", 10) == 0
                  && strncmp(word_end - 2, "?=", 2) == 0,
                  "bad encoded word in %s for %s", fz_q(enc), fz_q(value));
        FZ_ASSERT(!memchr(q, '\r', wl) && !memchr(q, '\n', wl), "newline in %s", fz_q(enc));
        dec = decode_b64(q + 10, wl - 12, &dl);
        FZ_ASSERT(got + dl <= vl, "decodes to more than %s", fz_q(value));
        memcpy(all + got, dec, dl);
        /* in valid UTF-8 a word ends before a lead byte, never inside a character */
        if (valid && got + dl < vl)
            FZ_ASSERT(((unsigned char)value[got + dl] & 0xC0) != 0x80,
                      "word splits a UTF-8 sequence: %s for %s", fz_q(enc), fz_q(value));
        got += dl;
        q = end ? end + 3 : word_end;
    }
    all[got] = '\0';
    FZ_ASSERT(got == vl && memcmp(all, expect, vl) == 0, "%s decodes to %s, not %s", fz_q(enc),
              fz_q(all), fz_q(expect));
}

static int addr_char_ok(const char *a)
{
    for (; *a; a++) {
        unsigned char u = (unsigned char)*a;
        if (u <= 0x20 || u >= 0x7F || strchr("<>,\";()[]\\:", u))
            return 0;
    }
    return 1;
}

static void check_build(const char *from, const char *to, const char *subject, const char *body)
{
    static const char *const order[] = {
        "From: ", "To: ", "Subject:", "Date: ", "Message-ID: ", "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64", NULL
    };
    const char *err = NULL, *msg, *q, *eol;
    apr_size_t bl = strlen(body), i, got = 0, dl;
    char *expect, *all;
    int h = 0;

    msg = sa_mail_build(fz_pool, from, to, subject, body, apr_time_from_sec(1767225600), &err);
    if (!msg) {
        FZ_ASSERT(err && *err, "refused without a reason");
        return;
    }
    FZ_ASSERT(err == NULL, "built with an error");
    FZ_ASSERT(addr_char_ok(from) && addr_char_ok(to) && from[0] != '-' && to[0] != '-'
              && strchr(from, '@') && strchr(to, '@') && strlen(from) <= 254 && strlen(to) <= 254,
              "accepted address %s / %s", fz_q(from), fz_q(to));
    for (q = msg; *q; q++)
        FZ_ASSERT(*q != '\0' && (*q != '\n' || (q > msg && q[-1] == '\r'))
                  && (*q != '\r' || q[1] == '\n'), "bare CR or LF in the message");
    /* headers */
    for (q = msg; ; q = eol + 2) {
        eol = strstr(q, "\r\n");
        FZ_ASSERT(eol, "no end of headers");
        if (eol == q)
            break;
        if (*q == ' ') {
            FZ_ASSERT(h > 0 && !strcmp(order[h - 1], "Subject:"), "continuation outside Subject");
            continue;
        }
        FZ_ASSERT(order[h] && !strncmp(q, order[h], strlen(order[h])),
                  "header %d is %s", h, fz_q(apr_pstrndup(fz_pool, q, (apr_size_t)(eol - q))));
        h++;
    }
    FZ_ASSERT(order[h] == NULL, "only %d headers", h);
    /* body: the CRLF form of body, in base64 lines */
    expect = apr_palloc(fz_pool, bl * 2 + 3);
    for (i = 0; i < bl; i++) {
        if (body[i] == '\r' || body[i] == '\n') {
            if (body[i] == '\r' && body[i + 1] == '\n')
                i++;
            expect[got++] = '\r';
            expect[got++] = '\n';
        } else {
            expect[got++] = body[i];
        }
    }
    if (got && expect[got - 1] != '\n') {
        expect[got++] = '\r';
        expect[got++] = '\n';
    }
    all = apr_palloc(fz_pool, got + 1);
    dl = 0;
    for (q = eol + 2; *q; q = eol + 2) {
        apr_size_t n;
        const char *dec;
        eol = strstr(q, "\r\n");
        FZ_ASSERT(eol && eol - q <= 76 && eol > q, "body line");
        dec = decode_b64(q, (apr_size_t)(eol - q), &n);
        FZ_ASSERT(dl + n <= got, "body too long");
        memcpy(all + dl, dec, n);
        dl += n;
    }
    FZ_ASSERT(dl == got && memcmp(all, expect, got) == 0, "body does not decode to the body");
}

static int one_input(const uint8_t *data, size_t size)
{
    char *s, *line, *nl;
    const char *names[32], *subject = NULL, *body = NULL, *err;
    sa_mail_tmpl *t = NULL;
    apr_table_t *vals;
    int n, i;

    s = fz_begin(data, size);
    err = sa_mail_tmpl_compile_mem(fz_pool, "fuzz.txt", (const char *)data, size, &t);
    FZ_ASSERT((err == NULL) == (t != NULL), "compile: error and template");
    if (t) {
        /* values: the input's own lines, and every other one left empty so
         * that both kinds of section are taken */
        vals = apr_table_make(fz_pool, 16);
        n = names_in(s, names, 32);
        line = s;
        for (i = 0; i < n; i++) {
            char *v;
            nl = strchr(line, '\n');
            v = apr_pstrndup(fz_pool, line, nl ? (apr_size_t)(nl - line) : strlen(line));
            apr_table_set(vals, names[i], (i % 3 == 2) ? "" : v);
            line = nl ? nl + 1 : s;
        }
        sa_mail_tmpl_fill(fz_pool, t, vals, &subject, &body);
        FZ_ASSERT(subject && body && fz_utf8_ok(subject), "fill");
        /* the Subject line and the values (single lines) hold no newline */
        FZ_ASSERT(!strchr(subject, '\n'), "newline in subject %s", fz_q(subject));
        sa_mail_tmpl_fill(fz_pool, t, NULL, &subject, NULL);
        sa_mail_tmpl_fill(fz_pool, t, vals, &subject, &body);
    } else {
        /* the raw input: first line the subject, the rest the body */
        nl = strchr(s, '\n');
        subject = nl ? apr_pstrndup(fz_pool, s, (apr_size_t)(nl - s)) : s;
        body = nl ? nl + 1 : "";
    }
    check_header(subject);
    check_header(s);
    check_build("noreply@security-action.example.jp", "taro.yamada+x@example.co.jp", subject, body);
    /* addresses from the input: the first two lines */
    {
        char *a = apr_pstrdup(fz_pool, s), *b;
        nl = strchr(a, '\n');
        if (nl) {
            *nl = '\0';
            b = nl + 1;
            if ((nl = strchr(b, '\n')) != NULL)
                *nl = '\0';
        } else {
            b = "info@example.jp";
        }
        check_build(a, b, subject, body);
        check_build("noreply@example.jp", a, "", "");
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    fz_end();
    return 0;
}
