/* The public search's text rules: the search key of a name or a query,
 * and the n-grams the listing is indexed by.  Core file: APR only.
 *
 * Index design (both databases, no extension needed): every listed
 * declaration has the key of each of its public names and readings
 * (事業者名, 代表者名, 屋号 and the kana) in its search_text, and one row in
 * listing_gram per distinct character and per distinct pair of adjacent
 * characters of those keys.  A one-character query looks up its character,
 * a longer one the pairs of its key (all must be there), and the match is
 * then checked on search_text, so a result is exact while every lookup is
 * an index range: one- and two-character names (日立, 佐藤) are as fast as
 * long ones, which SQLite's FTS5 trigram and PostgreSQL's pg_trgm are not. */
#ifndef SA_SEARCH_H
#define SA_SEARCH_H

#include <apr_pools.h>
#include <apr_tables.h>

/* The longest query key taken (code points); longer input is cut. */
#define SA_SEARCH_MAX_CHARS 40

/* The key of a name or a query: sa_search_fold, then the legal-form words
 * (株式会社, (株), ㈱, 有限会社, … and their readings) removed. */
const char *sa_search_key(apr_pool_t *p, const char *s);

/* The grams of key: each distinct code point and each distinct pair of
 * adjacent code points, as strings (appended to out, duplicates of what is
 * there already skipped). */
void sa_search_grams(apr_pool_t *p, const char *key, apr_array_header_t *out);

/* The grams a query key is looked up by: the key itself when it is one
 * code point, else its distinct adjacent pairs (in order).  Empty for "". */
apr_array_header_t *sa_search_query_grams(apr_pool_t *p, const char *key);

/* The search text and grams of a listing row from its public names
 * (NULL ones skipped): the keys one a line, and their grams. */
const char *sa_listing_text(apr_pool_t *p, const char *const *names, int n,
                            apr_array_header_t *grams);

/* Number of code points of key. */
apr_size_t sa_search_len(const char *key);

#endif
