/* The public search's text rules: the search key of a name or a query,
 * and the n-grams the listing is indexed by.  Core file: APR only.
 *
 * Index design (both databases, no extension needed): every listed
 * declaration has the key of each of its public names and readings
 * (事業者名, 代表者名, 屋号 and the kana) in its search_text, and one row in
 * listing_gram per distinct run of one, two and three adjacent characters
 * (its grams) of those keys.  A query of up to three characters is a gram
 * itself: its postings are the exact answer; every row also has a posting
 * of the gram '' (SA_SEARCH_ALL), which drives a query without a name, so
 * a query is always one range of postings.  listing_count holds how many
 * postings each gram has, in all and in each prefecture, written with the
 * postings: the count of a query that is one gram, a prefecture or nothing
 * is one row and exact, and the rarest gram of a longer key is one lookup.  A longer query is driven by the
 * postings of its rarest three-character gram and checked on search_text;
 * with 業種 or level its count is capped.  Every lookup
 * is an index range, so one- and two-character names (日立, 佐藤) are as fast
 * as long ones, which SQLite's FTS5 trigram and PostgreSQL's pg_trgm are
 * not (no rows below three characters; a sequential scan for two).  The
 * prefecture is stored beside each posting (index gram, pref, id), so a
 * filtered lookup is one range too. */
#ifndef SA_SEARCH_H
#define SA_SEARCH_H

#include <apr_pools.h>
#include <apr_tables.h>

/* The longest query key taken (code points); longer input is cut. */
#define SA_SEARCH_MAX_CHARS 40
/* The longest gram (code points). */
#define SA_SEARCH_GRAM_MAX 3

/* The key of a name or a query: sa_search_fold, then the legal-form words
 * (株式会社, (株), ㈱, 有限会社, … and their readings) removed. */
const char *sa_search_key(apr_pool_t *p, const char *s);

/* The grams of key: each distinct run of 1 to SA_SEARCH_GRAM_MAX adjacent
 * code points, as strings (appended to out, duplicates of what is there
 * already skipped). */
void sa_search_grams(apr_pool_t *p, const char *key, apr_array_header_t *out);

/* The grams a query key is looked up by: the key itself when it is at most
 * SA_SEARCH_GRAM_MAX code points, else its distinct runs of that many (in
 * order).  Empty for "". */
apr_array_header_t *sa_search_query_grams(apr_pool_t *p, const char *key);

/* The gram every listed row has a posting of: a query without a name is
 * driven by its postings like a name by its own. */
#define SA_SEARCH_ALL ""

/* The search text and grams of a listing row from its public names
 * (NULL ones skipped): the keys one a line, and their grams after
 * SA_SEARCH_ALL. */
const char *sa_listing_text(apr_pool_t *p, const char *const *names, int n,
                            apr_array_header_t *grams);

/* Number of code points of key. */
apr_size_t sa_search_len(const char *key);

#endif
