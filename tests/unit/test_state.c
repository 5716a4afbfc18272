/* Unit tests of the declaration state machine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "sa_state.h"

static void names_round_trip(void **state)
{
    int i;
    (void)state;
    for (i = 1; i < SA_ST_COUNT; i++) {
        assert_int_equal(sa_state_parse(sa_state_name((sa_state)i)), i);
    }
    assert_int_equal(sa_state_parse("bogus"), SA_ST_NONE);
    assert_int_equal(sa_state_parse(NULL), SA_ST_NONE);
    assert_string_equal(sa_state_label(SA_ST_PROVISIONAL), "仮申込み");
    assert_string_equal(sa_state_label(SA_ST_DECLARED), "宣言済み・受理待ち");
}

static void transitions(void **state)
{
    (void)state;
    assert_true(sa_state_can(SA_ST_NONE, SA_ST_PROVISIONAL));
    assert_false(sa_state_can(SA_ST_NONE, SA_ST_DECLARED));
    assert_true(sa_state_can(SA_ST_PROVISIONAL, SA_ST_DECLARED));
    assert_true(sa_state_can(SA_ST_PROVISIONAL, SA_ST_EXPIRED));
    assert_false(sa_state_can(SA_ST_PROVISIONAL, SA_ST_STOPPED));
    assert_true(sa_state_can(SA_ST_DECLARED, SA_ST_ACCEPTED));
    assert_true(sa_state_can(SA_ST_ACCEPTED, SA_ST_STOPPED));
    assert_false(sa_state_can(SA_ST_REVOKED, SA_ST_ACCEPTED));
    assert_false(sa_state_can(SA_ST_STOPPED, SA_ST_DECLARED));
    assert_false(sa_state_can(SA_ST_EXPIRED, SA_ST_DECLARED));
}

static void verify_outcomes(void **state)
{
    (void)state;
    assert_int_equal(sa_verify_decide(SA_ST_PROVISIONAL, 0), SA_VERIFY_ISSUE);
    assert_int_equal(sa_verify_decide(SA_ST_PROVISIONAL, 1), SA_VERIFY_EXPIRED);
    assert_int_equal(sa_verify_decide(SA_ST_EXPIRED, 0), SA_VERIFY_EXPIRED);
    assert_int_equal(sa_verify_decide(SA_ST_DECLARED, 0), SA_VERIFY_DONE);
    assert_int_equal(sa_verify_decide(SA_ST_ACCEPTED, 1), SA_VERIFY_DONE);
    assert_int_equal(sa_verify_decide(SA_ST_NONE, 0), SA_VERIFY_UNKNOWN);
    assert_int_equal(sa_state_on_verify(SA_ACCEPT_MANUAL), SA_ST_DECLARED);
    assert_int_equal(sa_state_on_verify(SA_ACCEPT_IMMEDIATE), SA_ST_ACCEPTED);
}

static void pending_limit(void **state)
{
    (void)state;
    assert_true(sa_pending_allowed(0));
    assert_true(sa_pending_allowed(SA_PENDING_PER_ADDRESS - 1));
    assert_false(sa_pending_allowed(SA_PENDING_PER_ADDRESS));
}

static void changes_by_actor(void **state)
{
    (void)state;
    assert_true(sa_change_allowed(SA_EV_SUBMIT, SA_ACTOR_APPLICANT, SA_ST_NONE, SA_ST_PROVISIONAL));
    assert_false(sa_change_allowed(SA_EV_SUBMIT, SA_ACTOR_BUSINESS, SA_ST_NONE, SA_ST_PROVISIONAL));
    assert_true(sa_change_allowed(SA_EV_VERIFY, SA_ACTOR_APPLICANT, SA_ST_PROVISIONAL, SA_ST_ACCEPTED));
    assert_false(sa_change_allowed(SA_EV_VERIFY, SA_ACTOR_APPLICANT, SA_ST_EXPIRED, SA_ST_DECLARED));
    assert_true(sa_change_allowed(SA_EV_EXPIRE, SA_ACTOR_SYSTEM, SA_ST_PROVISIONAL, SA_ST_EXPIRED));
    assert_false(sa_change_allowed(SA_EV_EXPIRE, SA_ACTOR_SYSTEM, SA_ST_DECLARED, SA_ST_EXPIRED));
    /* the business changes its own active declaration, never its state but by stopping */
    assert_true(sa_change_allowed(SA_EV_STEPUP, SA_ACTOR_BUSINESS, SA_ST_ACCEPTED, SA_ST_ACCEPTED));
    assert_true(sa_change_allowed(SA_EV_EDIT, SA_ACTOR_BUSINESS, SA_ST_DECLARED, SA_ST_DECLARED));
    assert_false(sa_change_allowed(SA_EV_EDIT, SA_ACTOR_BUSINESS, SA_ST_DECLARED, SA_ST_ACCEPTED));
    assert_false(sa_change_allowed(SA_EV_EDIT, SA_ACTOR_BUSINESS, SA_ST_STOPPED, SA_ST_STOPPED));
    assert_false(sa_change_allowed(SA_EV_CONTACT, SA_ACTOR_BUSINESS, SA_ST_REVOKED, SA_ST_REVOKED));
    assert_true(sa_change_allowed(SA_EV_STOP, SA_ACTOR_BUSINESS, SA_ST_ACCEPTED, SA_ST_STOPPED));
    assert_false(sa_change_allowed(SA_EV_STOP, SA_ACTOR_BUSINESS, SA_ST_STOPPED, SA_ST_STOPPED));
    assert_false(sa_change_allowed(SA_EV_STOP, SA_ACTOR_SECRETARIAT, SA_ST_ACCEPTED, SA_ST_STOPPED));
    /* a stopped declaration may still change its password (it can log in) */
    assert_true(sa_change_allowed(SA_EV_PASSWORD, SA_ACTOR_BUSINESS, SA_ST_STOPPED, SA_ST_STOPPED));
    assert_false(sa_change_allowed(SA_EV_PASSWORD, SA_ACTOR_BUSINESS, SA_ST_PROVISIONAL,
                                   SA_ST_PROVISIONAL));
    /* only the secretariat accepts and revokes */
    assert_true(sa_change_allowed(SA_EV_ACCEPT, SA_ACTOR_SECRETARIAT, SA_ST_DECLARED, SA_ST_ACCEPTED));
    assert_false(sa_change_allowed(SA_EV_ACCEPT, SA_ACTOR_BUSINESS, SA_ST_DECLARED, SA_ST_ACCEPTED));
    assert_true(sa_change_allowed(SA_EV_REVOKE, SA_ACTOR_SECRETARIAT, SA_ST_ACCEPTED, SA_ST_REVOKED));
    assert_false(sa_change_allowed(SA_EV_REVOKE, SA_ACTOR_SECRETARIAT, SA_ST_STOPPED, SA_ST_REVOKED));
    assert_false(sa_change_allowed(SA_EV_COUNT, SA_ACTOR_SYSTEM, SA_ST_NONE, SA_ST_NONE));
    /* a fresh 受付確認 link revives an expired 仮申込み; the 完了 mail keeps the state */
    assert_true(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_SECRETARIAT, SA_ST_EXPIRED,
                                  SA_ST_PROVISIONAL));
    assert_true(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_SECRETARIAT, SA_ST_ACCEPTED,
                                  SA_ST_ACCEPTED));
    assert_false(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_SECRETARIAT, SA_ST_ACCEPTED,
                                   SA_ST_PROVISIONAL));
    assert_false(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_BUSINESS, SA_ST_EXPIRED,
                                   SA_ST_PROVISIONAL));
    /* the applicant's 「確認メールを再送する」: a 仮申込み (expired or not) stays
     * or becomes one; nothing else */
    assert_true(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_APPLICANT, SA_ST_EXPIRED,
                                  SA_ST_PROVISIONAL));
    assert_true(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_APPLICANT, SA_ST_PROVISIONAL,
                                  SA_ST_PROVISIONAL));
    assert_false(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_APPLICANT, SA_ST_DECLARED,
                                   SA_ST_DECLARED));
    assert_false(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_APPLICANT, SA_ST_EXPIRED,
                                   SA_ST_EXPIRED));
    assert_false(sa_change_allowed(SA_EV_RESEND, SA_ACTOR_SYSTEM, SA_ST_EXPIRED,
                                   SA_ST_PROVISIONAL));
    /* only the worker erases an expired 仮申込み, which stays expired */
    assert_true(sa_change_allowed(SA_EV_ERASE, SA_ACTOR_SYSTEM, SA_ST_EXPIRED, SA_ST_EXPIRED));
    assert_false(sa_change_allowed(SA_EV_ERASE, SA_ACTOR_SYSTEM, SA_ST_PROVISIONAL,
                                   SA_ST_PROVISIONAL));
    assert_false(sa_change_allowed(SA_EV_ERASE, SA_ACTOR_SECRETARIAT, SA_ST_EXPIRED,
                                   SA_ST_EXPIRED));
    assert_false(sa_change_allowed(SA_EV_ERASE, SA_ACTOR_SYSTEM, SA_ST_DECLARED, SA_ST_DECLARED));
    assert_true(sa_change_allowed(SA_EV_UNLOCK, SA_ACTOR_SECRETARIAT, SA_ST_STOPPED,
                                  SA_ST_STOPPED));
}

static void event_names(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < SA_EV_COUNT; i++) {
        assert_int_equal(sa_event_parse(sa_event_name((sa_event)i)), i);
        assert_non_null(sa_event_label((sa_event)i));
    }
    assert_int_equal(sa_event_parse("nope"), SA_EV_COUNT);
    assert_string_equal(sa_event_label(SA_EV_STEPUP), "ステップアップの申込み");
}

static void login_states(void **state)
{
    (void)state;
    assert_false(sa_state_can_login(SA_ST_PROVISIONAL));
    assert_false(sa_state_can_login(SA_ST_EXPIRED));
    assert_true(sa_state_can_login(SA_ST_DECLARED));
    assert_true(sa_state_can_login(SA_ST_STOPPED));
    assert_true(sa_state_is_active(SA_ST_ACCEPTED));
    assert_false(sa_state_is_active(SA_ST_REVOKED));
}

static void wizard_gating(void **state)
{
    (void)state;
    assert_int_equal(sa_wizard_first_open(0, 1, 1, 1), SA_STEP_TERMS);
    assert_int_equal(sa_wizard_first_open(1, 0, 0, 0), SA_STEP_COMPANY);
    /* company values without their password hash are not a finished step */
    assert_int_equal(sa_wizard_first_open(1, 1, 0, 1), SA_STEP_COMPANY);
    assert_int_equal(sa_wizard_first_open(1, 1, 1, 0), SA_STEP_DECL);
    assert_int_equal(sa_wizard_first_open(1, 1, 1, 1), SA_STEP_CONFIRM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(transitions),
        cmocka_unit_test(verify_outcomes),
        cmocka_unit_test(pending_limit),
        cmocka_unit_test(changes_by_actor),
        cmocka_unit_test(event_names),
        cmocka_unit_test(login_states),
        cmocka_unit_test(wizard_gating),
    };
    return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
