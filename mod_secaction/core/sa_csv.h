/* CSV (RFC 4180, UTF-8): writing one field for spreadsheets, quoted and
 * safe against formula injection; splitting a line of a published data
 * file.  Core file: APR only. */
#ifndef SA_CSV_H
#define SA_CSV_H

#include <apr_pools.h>

/* The UTF-8 byte order mark Excel needs to read UTF-8. */
#define SA_CSV_BOM "\xEF\xBB\xBF"

/* s as one CSV field: always in double quotes, quotes doubled.  A value a
 * spreadsheet would run as a formula (starting with =, +, -, @, TAB or CR)
 * is prefixed with ' so that it shows as text.  NULL gives "". */
const char *sa_csv_field(apr_pool_t *p, const char *s);

/* The fields joined with commas and ended with CRLF. */
const char *sa_csv_line(apr_pool_t *p, const char *const *fields, int n);

/* Reading: splits one line of a CSV file in place (the caller removed its
 * line end).  Fields may be double-quoted (a doubled quote inside stands
 * for one).  Returns the number of columns (counting past max, storing
 * only max), or -1 with *why. */
int sa_csv_split(char *s, char **f, int max, const char **why);

#endif
