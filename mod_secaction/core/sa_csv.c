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
    const char *line = "";
    int i;
    for (i = 0; i < n; i++) {
        line = apr_pstrcat(p, line, i ? "," : "", sa_csv_field(p, fields[i]), NULL);
    }
    return apr_pstrcat(p, line, "\r\n", NULL);
}
