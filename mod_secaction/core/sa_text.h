/* Japanese texts the product computes for pages and mails (UTF-8).
 * Core file: APR only. */
#ifndef SA_TEXT_H
#define SA_TEXT_H

#include <apr_pools.h>
#include <apr_time.h>

/* "2026年12月1日 09時05分（日本時間）": always Japan time (UTC+9), whatever
 * the server's TZ, since every user of the service is in Japan. */
const char *sa_text_datetime(apr_pool_t *p, apr_time_t t);
/* "2026年12月1日" (Japan time). */
const char *sa_text_date(apr_pool_t *p, apr_time_t t);
/* A configured length in the largest whole unit: "7日間", "1時間", "90分間",
 * "45秒間" (0 or less gives "0秒間"). */
const char *sa_text_duration(apr_pool_t *p, long seconds);
/* How long someone has to wait, rounded up so that trying again after it
 * works: "45秒", "2分", "1時間" (0 or less gives "0秒"). */
const char *sa_text_wait(apr_pool_t *p, long seconds);
/* The business's name as shown to people and in the public search: kind
 * "corp" gives corp_name; "sole" gives "trade_name（rep_name）", or rep_name
 * alone without a trade name (trade_name alone without rep_name).  Any
 * argument may be NULL; never returns NULL ("" when there is no name). */
const char *sa_display_name(apr_pool_t *p, const char *kind, const char *corp_name,
                            const char *rep_name, const char *trade_name);
/* "tanaka@example.co.jp" -> "t*****@example.co.jp": tells the owner of an
 * old address which new one was set without revealing it.  ASCII addresses;
 * anything without a local part and a domain (or NULL) gives "***". */
const char *sa_mask_email(apr_pool_t *p, const char *addr);

/* "2026-12-01" (an <input type="date">) -> the Unix time of that day's
 * start in Japan; returns 0 (and leaves *out) when s is not such a date. */
int sa_text_parse_date(const char *s, apr_int64_t *out);
/* "54,498": a count with its thousands grouped (negative ones too). */
const char *sa_text_number(apr_pool_t *p, apr_int64_t n);
/* "3日", "5時間", "12分": an age for the console's queue. */
const char *sa_text_age(apr_pool_t *p, long seconds);
/* A LIKE pattern matching s anywhere, with %, _ and the escape character
 * \ escaped (use with ESCAPE '\'). */
const char *sa_like_contains(apr_pool_t *p, const char *s);

#endif
