/* Mail: text templates, RFC 5322 / MIME message building, and handing a
 * message to a sendmail-compatible program.  Core file: APR only. */
#ifndef SA_MAIL_H
#define SA_MAIL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_errno.h>

/* A mail template: a plain UTF-8 text file whose first line is
 * "Subject: ..." followed by an empty line and the body.  Both may hold
 * {{name}} placeholders; {{#name}}...{{/name}} keeps its content only when
 * name has a non-empty value, {{^name}}...{{/name}} only when it has none.
 * Compiled once at configuration time. */
typedef struct sa_mail_tmpl sa_mail_tmpl;

/* Returns NULL or "FILE:LINE: what is wrong". */
const char *sa_mail_tmpl_compile_file(apr_pool_t *p, const char *path, sa_mail_tmpl **out);
const char *sa_mail_tmpl_compile_mem(apr_pool_t *p, const char *name,
                                     const char *buf, apr_size_t len, sa_mail_tmpl **out);

/* Fills the template; vals maps placeholder names to text (missing = ""). */
void sa_mail_tmpl_fill(apr_pool_t *p, const sa_mail_tmpl *t, const apr_table_t *vals,
                       const char **subject, const char **body);

/* Builds a complete message: From, To, Subject (RFC 2047 B-encoded UTF-8,
 * folded), Date (RFC 5322, given time), Message-ID (random, at the sender's
 * domain), MIME-Version, Content-Type text/plain; charset=UTF-8,
 * Content-Transfer-Encoding base64 (76-char lines), CRLF line ends.
 * Refuses (returns NULL with *err set) addresses containing anything a header
 * could be broken with (CR, LF, NUL, <, >, comma, quotes) or that are not of
 * the form local@domain. */
const char *sa_mail_build(apr_pool_t *p, const char *from, const char *to,
                          const char *subject, const char *body, apr_time_t date,
                          const char **err);

/* RFC 2047 encoded-word(s) for a UTF-8 header value, folded at 76 chars
 * without splitting a UTF-8 sequence. */
const char *sa_mail_encode_header(apr_pool_t *p, const char *value);

/* Spawns argv[0] (no shell, APR_PROGRAM, argv as given, then
 * "-i", "-f", from, "--", to appended), writes msg to its stdin, closes it,
 * waits up to timeout.  APR_SUCCESS only if it exited 0.  On failure *err
 * says why (exit code, signal, timeout, cannot start) without the message
 * content.  The program's stdout/stderr are not piped to us. */
apr_status_t sa_sendmail(apr_pool_t *p, const char *const *argv,
                         const char *from, const char *to, const char *msg,
                         apr_interval_time_t timeout, const char **err);

#endif
