/* 住所検索: postal code -> prefecture, city and town, from Japan Post's
 * utf_ken_all.csv.  Core file: APR only.  Loaded once at configuration
 * time; afterwards the data is read-only, so lookups are safe from any
 * number of threads at once. */
#ifndef SA_POSTAL_H
#define SA_POSTAL_H

#include <apr_pools.h>
#include "sa_form.h"

typedef struct sa_postal sa_postal;
typedef struct {
    const char *pref;   /* prefecture name as in the file, e.g. 東京都 */
    const char *city;   /* 文京区 */
    const char *town;   /* 本駒込, or "" when the file says 以下に掲載がない場合 */
} sa_postal_entry;
/* Loads utf_ken_all.csv (UTF-8, one record per line, quoted fields) once at
 * configuration time; returns NULL or "FILE:LINE: what is wrong". */
const char *sa_postal_load(apr_pool_t *p, const char *path, sa_postal **out);
/* Entries of a 7-digit code (no hyphen), in file order; 0 if none or code malformed. */
int sa_postal_lookup(const sa_postal *pd, const char *code7, const sa_postal_entry **entries);
/* Number of distinct codes loaded. */
apr_size_t sa_postal_count(const sa_postal *pd);
/* What 住所検索 fills in for a code: the prefecture's code (of ref) and the
 * 市区町村・町名 text — the city, followed by the town when every entry of
 * the code agrees on it.  Returns 0 when the code is unknown or its entries
 * lie in different cities. */
int sa_postal_address(apr_pool_t *p, const sa_postal *pd, const sa_refdata *ref,
                      const char *code7, const char **pref_code, const char **city);

/* Writes s as the inside of a JSON string (escapes " \\ and control chars as \\uXXXX), into p.
 * Also escapes < > & U+2028 U+2029, so the result is safe inside <script>;
 * bytes that are not UTF-8 become \\ufffd.  NULL gives "". */
const char *sa_json_escape(apr_pool_t *p, const char *s);

#endif
