/* CSV fields (core/sa_csv.h) of the pieces of the input (split at NUL).
 * Invariants for sa_csv_field(s): it starts and ends with '"'; inside, every
 * '"' is doubled (no lone '"'); undoubled it is s, with a "'" in front
 * exactly when s starts with = + - @ TAB or CR.  sa_csv_line is the fields
 * joined with ',' and ended by CRLF. */
#include "fuzz_common.h"
#include "sa_csv.h"

#define NFIELDS 16

static const char *check_field(const char *s)
{
    const char *f = sa_csv_field(fz_pool, s), *in;
    apr_size_t n = strlen(f), i, o = 0;
    char *un;
    int formula = s && *s && strchr("=+-@\t\r", *s) != NULL;

    FZ_ASSERT(n >= 2 && f[0] == '"' && f[n - 1] == '"', "not quoted: %s", fz_q(f));
    un = apr_palloc(fz_pool, n);
    for (i = 1; i < n - 1; i++) {
        if (f[i] == '"') {
            FZ_ASSERT(i + 1 < n - 1 && f[i + 1] == '"', "lone quote in %s for %s", fz_q(f), fz_q(s));
            i++;
        }
        un[o++] = f[i];
    }
    un[o] = '\0';
    in = un;
    if (formula) {
        FZ_ASSERT(*in == '\'', "formula not neutralised: %s", fz_q(f));
        in++;
    }
    FZ_ASSERT(!strcmp(in, s ? s : ""), "%s does not undo to %s", fz_q(f), fz_q(s));
    return f;
}

static int one_input(const uint8_t *data, size_t size)
{
    char *piece[NFIELDS];
    const char *fields[NFIELDS + 1], *line, *q;
    int n, i;

    fz_begin(data, size);
    n = fz_split(data, size, piece, NFIELDS);
    for (i = 0; i < n; i++)
        fields[i] = piece[i];
    fields[n] = NULL;                    /* a missing value */
    check_field(NULL);
    line = sa_csv_line(fz_pool, fields, n + 1);
    q = line;
    for (i = 0; i <= n; i++) {
        const char *f = check_field(fields[i]);
        apr_size_t k = strlen(f);
        FZ_ASSERT(!strncmp(q, f, k), "field %d not in the line", i);
        q += k;
        if (i < n) {
            FZ_ASSERT(*q == ',', "no comma after field %d", i);
            q++;
        }
    }
    FZ_ASSERT(!strcmp(q, "\r\n"), "line does not end with CRLF");
    (void)sa_csv_line(fz_pool, fields, 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_input(data, size);
    fz_end();
    return 0;
}
