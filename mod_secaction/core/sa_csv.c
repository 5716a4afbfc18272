/* CSV fields (see sa_csv.h). */
#include <string.h>
#include <apr_strings.h>
#include "sa_csv.h"

const char *sa_csv_field(apr_pool_t *p, const char *s)
{
    apr_size_t n, quotes = 0, i, o = 0;
    int formula;
    char *out;
    if (!s) {
        return "\"\"";
    }
    n = strlen(s);
    for (i = 0; i < n; i++) {
        quotes += s[i] == '"';
    }
    formula = n > 0 && strchr("=+-@\t\r", s[0]) != NULL;
    out = apr_palloc(p, n + quotes + 4);
    out[o++] = '"';
    if (formula) {
        out[o++] = '\'';
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '"') {
            out[o++] = '"';
        }
        out[o++] = s[i];
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

const char *sa_csv_line(apr_pool_t *p, const char *const *fields, int n)
{
    /* one allocation for the line (an export writes millions of them) */
    const char **quoted = apr_palloc(p, sizeof(char *) * (n > 0 ? n : 1));
    apr_size_t len = 3, o = 0, l;
    char *line;
    int i;
    for (i = 0; i < n; i++) {
        quoted[i] = sa_csv_field(p, fields[i]);
        len += strlen(quoted[i]) + 1;
    }
    line = apr_palloc(p, len);
    for (i = 0; i < n; i++) {
        if (i) {
            line[o++] = ',';
        }
        l = strlen(quoted[i]);
        memcpy(line + o, quoted[i], l);
        o += l;
    }
    memcpy(line + o, "\r\n", 3);
    return line;
}

int sa_csv_split(char *s, char **f, int max, const char **why)
{
    int n = 0;

    for (;;) {
        char *field;
        if (*s == '"') {
            char *w = ++s;
            field = s;
            for (;;) {
                if (*s == '\0') {
                    *why = "a quoted column is not closed";
                    return -1;
                }
                if (*s == '"') {
                    if (s[1] == '"') {
                        *w++ = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                *w++ = *s++;
            }
            if (*s != ',' && *s != '\0') {
                *why = "text after the closing quote of a column";
                return -1;
            }
            *w = '\0';               /* w < s: the separator is still there */
        }
        else {
            field = s;
            while (*s && *s != ',') {
                if (*s == '"') {
                    *why = "a quote inside an unquoted column";
                    return -1;
                }
                s++;
            }
        }
        if (n < max)
            f[n] = field;
        n++;
        if (*s == '\0')
            return n;
        *s++ = '\0';
    }
}
