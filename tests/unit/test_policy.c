/* Unit tests of the login, mail and application limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <limits.h>
#include <cmocka.h>
#include "sa_policy.h"

static const sa_login_policy pol = {
    SA_LOGIN_SLOW_AFTER, SA_LOGIN_MAX_FAILURES, SA_LOGIN_LOCK_SECONDS
};
#define NOW ((apr_int64_t)1800000000)

static void delay_doubles_from_slow_after_and_is_capped(void **state)
{
    (void)state;
    assert_int_equal(sa_login_delay(&pol, 0), 0);
    assert_int_equal(sa_login_delay(&pol, 2), 0);
    assert_int_equal(sa_login_delay(&pol, 3), 2);
    assert_int_equal(sa_login_delay(&pol, 4), 4);
    assert_int_equal(sa_login_delay(&pol, 5), 8);
    assert_int_equal(sa_login_delay(&pol, 7), 32);
    assert_int_equal(sa_login_delay(&pol, 8), 60);   /* 64 capped */
    assert_int_equal(sa_login_delay(&pol, 9), 60);
    assert_int_equal(sa_login_delay(&pol, INT_MAX), 60);
    assert_int_equal(sa_login_delay(NULL, 3), 2);    /* NULL: the defaults */
    {
        sa_login_policy never = { 0, 10, 1800 };
        assert_int_equal(sa_login_delay(&never, 50), 0);
    }
}

static void check_allows_below_slow_after(void **state)
{
    apr_int64_t at = -1;
    (void)state;
    assert_int_equal(sa_login_check(&pol, 0, 0, 0, NOW, &at), SA_LOGIN_ALLOW);
    assert_int_equal(at, 0);
    /* Two failures a second ago: no wait yet. */
    assert_int_equal(sa_login_check(&pol, 2, NOW - 1, 0, NOW, &at), SA_LOGIN_ALLOW);
    assert_int_equal(sa_login_check(&pol, 2, NOW, 0, NOW, NULL), SA_LOGIN_ALLOW);
}

static void check_waits_until_the_delay_has_passed(void **state)
{
    apr_int64_t at = 0;
    (void)state;
    assert_int_equal(sa_login_check(&pol, 3, NOW, 0, NOW, &at), SA_LOGIN_WAIT);
    assert_int_equal(at, NOW + 2);
    assert_int_equal(sa_login_check(&pol, 3, NOW - 1, 0, NOW, &at), SA_LOGIN_WAIT);
    assert_int_equal(at, NOW + 1);
    /* Exactly at last_failure + delay: allowed. */
    assert_int_equal(sa_login_check(&pol, 3, NOW - 2, 0, NOW, &at), SA_LOGIN_ALLOW);
    assert_int_equal(at, 0);
    assert_int_equal(sa_login_check(&pol, 5, NOW - 7, 0, NOW, &at), SA_LOGIN_WAIT);
    assert_int_equal(at, NOW + 1);
    assert_int_equal(sa_login_check(&pol, 5, NOW - 8, 0, NOW, &at), SA_LOGIN_ALLOW);
    /* The cap: 9 failures wait 60 s, not 128. */
    assert_int_equal(sa_login_check(&pol, 9, NOW - 59, 0, NOW, &at), SA_LOGIN_WAIT);
    assert_int_equal(at, NOW + 1);
    assert_int_equal(sa_login_check(&pol, 9, NOW - 60, 0, NOW, &at), SA_LOGIN_ALLOW);
    /* A NULL retry_at is fine. */
    assert_int_equal(sa_login_check(&pol, 3, NOW, 0, NOW, NULL), SA_LOGIN_WAIT);
}

static void check_locked_while_now_before_locked_until(void **state)
{
    apr_int64_t at = 0;
    (void)state;
    assert_int_equal(sa_login_check(&pol, 10, NOW - 100, NOW + 1, NOW, &at), SA_LOGIN_LOCKED);
    assert_int_equal(at, NOW + 1);
    /* The lock wins even when the delay has long passed. */
    assert_int_equal(sa_login_check(&pol, 10, NOW - 1000, NOW + 900, NOW, &at), SA_LOGIN_LOCKED);
    assert_int_equal(at, NOW + 900);
    assert_int_equal(sa_login_check(&pol, 10, NOW, NOW + 1, NOW, NULL), SA_LOGIN_LOCKED);
}

static void ended_lock_starts_over(void **state)
{
    apr_int64_t at = -1;
    (void)state;
    /* now == locked_until: the lock is over, and the failures before it no
     * longer slow down (last_failure just before would otherwise WAIT). */
    assert_int_equal(sa_login_check(&pol, 10, NOW - 1, NOW, NOW, &at), SA_LOGIN_ALLOW);
    assert_int_equal(at, 0);
    assert_int_equal(sa_login_check(&pol, 10, NOW - 1801, NOW - 1, NOW, &at), SA_LOGIN_ALLOW);
}

static void failed_counts_and_locks_at_max(void **state)
{
    int n = -1;
    apr_int64_t until = -1;
    (void)state;
    sa_login_failed(&pol, 0, 0, NOW, &n, &until);
    assert_int_equal(n, 1);
    assert_int_equal(until, 0);
    sa_login_failed(&pol, 8, 0, NOW, &n, &until);
    assert_int_equal(n, 9);
    assert_int_equal(until, 0);
    /* The 10th failure locks. */
    sa_login_failed(&pol, 9, 0, NOW, &n, &until);
    assert_int_equal(n, 10);
    assert_int_equal(until, NOW + SA_LOGIN_LOCK_SECONDS);
    /* Past the maximum without a lock (e.g. a lowered setting): locks. */
    sa_login_failed(&pol, 20, 0, NOW, &n, &until);
    assert_int_equal(n, 21);
    assert_int_equal(until, NOW + SA_LOGIN_LOCK_SECONDS);
    /* No overflow of the count. */
    sa_login_failed(&pol, INT_MAX, 0, NOW, &n, &until);
    assert_int_equal(n, INT_MAX);
    /* Negative stored counts are treated as 0. */
    sa_login_failed(&pol, -5, 0, NOW, &n, &until);
    assert_int_equal(n, 1);
    /* NULL policy uses the defaults; NULL outputs are ignored. */
    sa_login_failed(NULL, 9, 0, NOW, &n, &until);
    assert_int_equal(until, NOW + SA_LOGIN_LOCK_SECONDS);
    sa_login_failed(&pol, 9, 0, NOW, NULL, NULL);
}

static void failed_after_lock_end_starts_from_zero(void **state)
{
    int n = -1;
    apr_int64_t until = -1;
    (void)state;
    sa_login_failed(&pol, 10, NOW, NOW, &n, &until);        /* ended exactly now */
    assert_int_equal(n, 1);
    assert_int_equal(until, 0);
    sa_login_failed(&pol, 10, NOW - 60, NOW, &n, &until);
    assert_int_equal(n, 1);
    assert_int_equal(until, 0);
}

static void failed_during_lock_keeps_it(void **state)
{
    int n = -1;
    apr_int64_t until = -1;
    (void)state;
    sa_login_failed(&pol, 10, NOW + 5, NOW, &n, &until);
    assert_int_equal(n, 11);
    assert_int_equal(until, NOW + 5);   /* not extended */
}

static void full_sequence(void **state)
{
    /* Ten failures, each as soon as allowed, then the lock, then a fresh start. */
    int n = 0, i;
    apr_int64_t until = 0, last = 0, t = NOW, at;
    (void)state;
    for (i = 0; i < SA_LOGIN_MAX_FAILURES; i++) {
        if (sa_login_check(&pol, n, last, until, t, &at) == SA_LOGIN_WAIT) t = at;
        assert_int_equal(sa_login_check(&pol, n, last, until, t, &at), SA_LOGIN_ALLOW);
        sa_login_failed(&pol, n, until, t, &n, &until);
        last = t;
    }
    assert_int_equal(n, SA_LOGIN_MAX_FAILURES);
    assert_int_equal(until, t + SA_LOGIN_LOCK_SECONDS);
    assert_int_equal(sa_login_check(&pol, n, last, until, t + 1799, &at), SA_LOGIN_LOCKED);
    assert_int_equal(sa_login_check(&pol, n, last, until, t + 1800, &at), SA_LOGIN_ALLOW);
    sa_login_failed(&pol, n, until, t + 1800, &n, &until);
    assert_int_equal(n, 1);
    assert_int_equal(until, 0);
    assert_int_equal(sa_login_check(&pol, n, t + 1800, until, t + 1800, &at), SA_LOGIN_ALLOW);
}

static void lock_disabled_by_max_failures_zero(void **state)
{
    sa_login_policy nolock = { 3, 0, 1800 };
    int n;
    apr_int64_t until = -1;
    (void)state;
    sa_login_failed(&nolock, 100, 0, NOW, &n, &until);
    assert_int_equal(n, 101);
    assert_int_equal(until, 0);
}

static void mail_backoff_doubles_and_is_capped(void **state)
{
    (void)state;
    assert_int_equal(sa_mail_backoff(60, 1), 60);
    assert_int_equal(sa_mail_backoff(60, 2), 120);
    assert_int_equal(sa_mail_backoff(60, 3), 240);
    assert_int_equal(sa_mail_backoff(60, 6), 1920);
    assert_int_equal(sa_mail_backoff(60, 7), SA_MAIL_MAX_BACKOFF);
    assert_int_equal(sa_mail_backoff(60, 100), 3600);
    assert_int_equal(sa_mail_backoff(60, INT_MAX), 3600);
    assert_int_equal(sa_mail_backoff(60, 0), 60);
    assert_int_equal(sa_mail_backoff(60, -3), 60);
    assert_int_equal(sa_mail_backoff(60, INT_MIN), 60);
    assert_int_equal(sa_mail_backoff(1, 13), 3600);       /* 4096 capped */
    assert_int_equal(sa_mail_backoff(7200, 1), 3600);     /* base above the cap */
    assert_int_equal(sa_mail_backoff(INT_MAX, INT_MAX), 3600);
    assert_int_equal(sa_mail_backoff(0, 5), 0);
    assert_int_equal(sa_mail_backoff(-10, 5), 0);
}

static void pending_limit(void **state)
{
    (void)state;
    assert_true(sa_pending_allowed_n(0, 3));
    assert_true(sa_pending_allowed_n(2, 3));
    assert_false(sa_pending_allowed_n(3, 3));
    assert_false(sa_pending_allowed_n(4, 3));
    assert_false(sa_pending_allowed_n(0, 0));   /* limit 0: none at all */
}

static void resend_waits_double_and_expired_is_kept_for_a_while(void **state)
{
    const apr_int64_t keep = 7 * 86400;
    apr_int64_t at = -1;
    (void)state;
    /* the submission's mail a minute ago: the first resend is allowed */
    assert_int_equal(sa_resend_check(1, NOW + 3600, keep, 1, NOW - 60, NOW, &at), SA_RESEND_OK);
    assert_true(at == NOW);
    /* half a minute ago: wait, and say until when */
    assert_int_equal(sa_resend_check(1, NOW + 3600, keep, 1, NOW - 30, NOW, &at), SA_RESEND_WAIT);
    assert_true(at == NOW + 30);
    /* after two mails the wait doubles: 120 s, then 240 s ... */
    assert_int_equal(sa_resend_check(1, NOW + 3600, keep, 2, NOW - 100, NOW, &at), SA_RESEND_WAIT);
    assert_true(at == NOW + 20);
    assert_int_equal(sa_resend_check(1, NOW + 3600, keep, 3, NOW - 239, NOW, &at), SA_RESEND_WAIT);
    assert_int_equal(sa_resend_check(1, NOW + 3600, keep, 3, NOW - 240, NOW, NULL), SA_RESEND_OK);
    /* ... capped at an hour however many */
    assert_int_equal(sa_resend_check(1, NOW + 3600, keep, 50, NOW - 3600, NOW, &at), SA_RESEND_OK);
    assert_int_equal(sa_resend_check(1, NOW + 3600, keep, INT_MAX, NOW - 3599, NOW, &at),
                     SA_RESEND_WAIT);
    /* a mails count of 0 (nothing recorded) counts as one */
    assert_int_equal(sa_resend_check(1, NOW, keep, 0, NOW - 60, NOW, NULL), SA_RESEND_OK);
    /* expired a day ago: still kept, so it may be revived */
    assert_int_equal(sa_resend_check(1, NOW - 86400, keep, 1, NOW - 2 * 86400, NOW, &at),
                     SA_RESEND_OK);
    /* expired longer ago than it is kept: start again */
    assert_int_equal(sa_resend_check(1, NOW - keep - 1, keep, 1, NOW - keep - 86400, NOW, &at),
                     SA_RESEND_GONE);
    assert_true(at == 0);
    assert_int_equal(sa_resend_check(1, NOW - keep, keep, 1, NOW - keep - 86400, NOW, NULL),
                     SA_RESEND_OK);
    /* keep 0: only until the link expires */
    assert_int_equal(sa_resend_check(1, NOW - 1, 0, 1, NOW - 100, NOW, NULL), SA_RESEND_GONE);
    /* completed (or unknown): nothing to resend */
    assert_int_equal(sa_resend_check(0, NOW + 3600, keep, 1, NOW - 600, NOW, &at), SA_RESEND_DONE);
    assert_true(at == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delay_doubles_from_slow_after_and_is_capped),
        cmocka_unit_test(check_allows_below_slow_after),
        cmocka_unit_test(check_waits_until_the_delay_has_passed),
        cmocka_unit_test(check_locked_while_now_before_locked_until),
        cmocka_unit_test(ended_lock_starts_over),
        cmocka_unit_test(failed_counts_and_locks_at_max),
        cmocka_unit_test(failed_after_lock_end_starts_from_zero),
        cmocka_unit_test(failed_during_lock_keeps_it),
        cmocka_unit_test(full_sequence),
        cmocka_unit_test(lock_disabled_by_max_failures_zero),
        cmocka_unit_test(mail_backoff_doubles_and_is_capped),
        cmocka_unit_test(pending_limit),
        cmocka_unit_test(resend_waits_double_and_expired_is_kept_for_a_while),
    };
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
