/* Product limits as pure functions: login slow-down and lockout, mail retry
 * back-off, unconfirmed applications per address.  The callers keep the
 * counters (database, session); these only decide.  Core file: APR only. */
#ifndef SA_POLICY_H
#define SA_POLICY_H

#include <apr.h>

/* After this many failed logins each attempt must wait; at the maximum the
 * account is locked for lock_seconds, so that guessing a password online
 * takes years rather than hours. */
#define SA_LOGIN_SLOW_AFTER    3
#define SA_LOGIN_MAX_FAILURES 10
#define SA_LOGIN_LOCK_SECONDS 1800
/* Longest wait between two attempts before the lock. */
#define SA_LOGIN_MAX_DELAY    60

typedef struct {
    int slow_after;     /* failures before the waits start; <= 0: never wait */
    int max_failures;   /* failures that lock; <= 0: never lock */
    int lock_seconds;
} sa_login_policy;

typedef enum {
    SA_LOGIN_ALLOW = 0,
    SA_LOGIN_WAIT,      /* too soon after the last failure */
    SA_LOGIN_LOCKED
} sa_login_verdict;

/* Times are seconds since the epoch; locked_until 0 means never locked.
 * pol NULL means the SA_LOGIN_* defaults.  retry_at (may be NULL) gets when
 * the next attempt is allowed: last_failure + delay for WAIT, locked_until
 * for LOCKED, 0 for ALLOW.  A lock that has ended (0 < locked_until <= now)
 * allows, and the count starts over (see sa_login_failed). */
sa_login_verdict sa_login_check(const sa_login_policy *pol, int failures,
                                apr_int64_t last_failure, apr_int64_t locked_until,
                                apr_int64_t now, apr_int64_t *retry_at);

/* Records one more failure: the new count (from 0 again if an earlier lock
 * has ended) and the new lock end (now + lock_seconds when the count reaches
 * max_failures; a lock still running is kept, not extended; else 0). */
void sa_login_failed(const sa_login_policy *pol, int failures, apr_int64_t locked_until,
                     apr_int64_t now, int *new_failures, apr_int64_t *new_locked_until);

/* Seconds to wait after the last failure: 0 below slow_after, then 2, 4,
 * 8, ... capped at SA_LOGIN_MAX_DELAY. */
int sa_login_delay(const sa_login_policy *pol, int failures);

/* The longest wait between two mail attempts. */
#define SA_MAIL_MAX_BACKOFF 3600

/* Seconds before the next attempt after `attempts` failed ones: base, 2*base,
 * 4*base, ... capped at SA_MAIL_MAX_BACKOFF (attempts <= 1 gives base;
 * base <= 0 gives 0). */
apr_int64_t sa_mail_backoff(int base_seconds, int attempts);

/* Whether one more unconfirmed application to an address is allowed, given
 * how many it had in the last hour (sa_pending_allowed with a set limit). */
int sa_pending_allowed_n(long pending_last_hour, int limit);

/* 「確認メールを再送する」: an applicant asks for a fresh 受付確認 link.  The
 * first resend may follow the last mail after SA_RESEND_FIRST_WAIT seconds,
 * each further one waits twice as long (sa_mail_backoff, up to an hour), so
 * the button cannot flood a mailbox.  A 仮申込み whose link expired keeps its
 * data for keep_seconds after the expiry; until then it may be revived. */
#define SA_RESEND_FIRST_WAIT 60

typedef enum {
    SA_RESEND_OK = 0,
    SA_RESEND_WAIT,     /* too soon after the last mail: *next_at says when */
    SA_RESEND_GONE,     /* expired longer ago than it is kept: start again */
    SA_RESEND_DONE      /* no longer a 仮申込み (completed, or never stored) */
} sa_resend_verdict;

/* provisional: the declaration is a 仮申込み or an expired one (the
 * caller maps its state; anything else gives DONE).  token_expires: when
 * its current link expires; mails: 受付確認 mails sent so far (>= 1);
 * last_mail: when the last was queued.  next_at (may be NULL) gets when a
 * resend is allowed (0 for GONE and DONE). */
sa_resend_verdict sa_resend_check(int provisional, apr_int64_t token_expires,
                                  apr_int64_t keep_seconds, int mails, apr_int64_t last_mail,
                                  apr_int64_t now, apr_int64_t *next_at);

#endif
