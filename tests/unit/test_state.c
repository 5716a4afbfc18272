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
    assert_string_equal(sa_state_label(SA_ST_DECLARED), "宣言済み");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(transitions),
        cmocka_unit_test(verify_outcomes),
        cmocka_unit_test(pending_limit),
    };
    return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
