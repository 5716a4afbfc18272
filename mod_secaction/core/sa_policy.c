/* Login, mail and application limits (see sa_policy.h). */
#include <limits.h>
#include "sa_policy.h"

static const sa_login_policy defaults = {
    SA_LOGIN_SLOW_AFTER, SA_LOGIN_MAX_FAILURES, SA_LOGIN_LOCK_SECONDS
};

int sa_login_delay(const sa_login_policy *pol, int failures)
{
    int d = 2, n;
    if (!pol) pol = &defaults;
    if (pol->slow_after <= 0 || failures < pol->slow_after) return 0;
    /* Doubling by a loop with the cap in the test: no shift can overflow,
     * whatever count a stored row holds. */
    for (n = failures - pol->slow_after; n > 0 && d < SA_LOGIN_MAX_DELAY; n--) d *= 2;
    return d < SA_LOGIN_MAX_DELAY ? d : SA_LOGIN_MAX_DELAY;
}

sa_login_verdict sa_login_check(const sa_login_policy *pol, int failures,
                                apr_int64_t last_failure, apr_int64_t locked_until,
                                apr_int64_t now, apr_int64_t *retry_at)
{
    apr_int64_t dummy, next;
    int delay;
    if (!retry_at) retry_at = &dummy;
    *retry_at = 0;
    if (locked_until > now) {
        *retry_at = locked_until;
        return SA_LOGIN_LOCKED;
    }
    /* The lock was the penalty for those failures: once it is over, the
     * failures before it no longer slow anyone down. */
    if (locked_until > 0) return SA_LOGIN_ALLOW;
    delay = sa_login_delay(pol, failures);
    next = last_failure + delay;
    if (delay > 0 && now < next) {
        *retry_at = next;
        return SA_LOGIN_WAIT;
    }
    return SA_LOGIN_ALLOW;
}

void sa_login_failed(const sa_login_policy *pol, int failures, apr_int64_t locked_until,
                     apr_int64_t now, int *new_failures, apr_int64_t *new_locked_until)
{
    int n;
    apr_int64_t until = 0;
    if (!pol) pol = &defaults;
    if (failures < 0 || (locked_until > 0 && locked_until <= now)) failures = 0;
    n = failures < INT_MAX ? failures + 1 : INT_MAX;
    /* A lock still running is kept as it is: extending it on every try
     * would let anyone keep someone else locked out for good. */
    if (locked_until > now) until = locked_until;
    else if (pol->max_failures > 0 && n >= pol->max_failures) until = now + pol->lock_seconds;
    if (new_failures) *new_failures = n;
    if (new_locked_until) *new_locked_until = until;
}

apr_int64_t sa_mail_backoff(int base_seconds, int attempts)
{
    apr_int64_t d = base_seconds;
    int n;
    if (d <= 0) return 0;
    /* Stops doubling at the cap, so a huge attempts neither overflows nor
     * loops for long. */
    for (n = attempts; n > 1 && d < SA_MAIL_MAX_BACKOFF; n--) d *= 2;
    return d < SA_MAIL_MAX_BACKOFF ? d : SA_MAIL_MAX_BACKOFF;
}

int sa_pending_allowed_n(long pending_last_hour, int limit)
{
    return pending_last_hour < limit;
}

sa_resend_verdict sa_resend_check(int provisional, apr_int64_t token_expires,
                                  apr_int64_t keep_seconds, int mails, apr_int64_t last_mail,
                                  apr_int64_t now, apr_int64_t *next_at)
{
    apr_int64_t next;
    if (next_at) *next_at = 0;
    if (!provisional) return SA_RESEND_DONE;
    if (token_expires < now && now - token_expires > keep_seconds) return SA_RESEND_GONE;
    next = last_mail + sa_mail_backoff(SA_RESEND_FIRST_WAIT, mails < 1 ? 1 : mails);
    if (next_at) *next_at = next;
    return now >= next ? SA_RESEND_OK : SA_RESEND_WAIT;
}
