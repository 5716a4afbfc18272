/* Declaration states and their allowed changes (see sa_state.h). */
#include <string.h>
#include "sa_state.h"

static const struct { const char *name; const char *label; } states[SA_ST_COUNT] = {
    [SA_ST_NONE]        = { NULL,          "下書き" },
    [SA_ST_PROVISIONAL] = { "provisional", "仮申込み" },
    [SA_ST_DECLARED]    = { "declared",    "宣言済み" },
    [SA_ST_ACCEPTED]    = { "accepted",    "受理済み" },
    [SA_ST_STOPPED]     = { "stopped",     "停止" },
    [SA_ST_REVOKED]     = { "revoked",     "取消" },
    [SA_ST_EXPIRED]     = { "expired",     "期限切れ" },
};

const char *sa_state_name(sa_state st)
{
    return (st >= 0 && st < SA_ST_COUNT) ? states[st].name : NULL;
}

const char *sa_state_label(sa_state st)
{
    return (st >= 0 && st < SA_ST_COUNT) ? states[st].label : "不明";
}

sa_state sa_state_parse(const char *name)
{
    int i;
    for (i = 1; name && i < SA_ST_COUNT; i++) {
        if (strcmp(states[i].name, name) == 0) {
            return (sa_state)i;
        }
    }
    return SA_ST_NONE;
}

int sa_state_can(sa_state from, sa_state to)
{
    switch (from) {
    case SA_ST_NONE:
        return to == SA_ST_PROVISIONAL;
    case SA_ST_PROVISIONAL:
        return to == SA_ST_DECLARED || to == SA_ST_ACCEPTED || to == SA_ST_EXPIRED;
    case SA_ST_DECLARED:
        return to == SA_ST_ACCEPTED || to == SA_ST_STOPPED || to == SA_ST_REVOKED;
    case SA_ST_ACCEPTED:
        /* a step-up goes through acceptance again */
        return to == SA_ST_DECLARED || to == SA_ST_STOPPED || to == SA_ST_REVOKED;
    default:
        return 0;   /* stopped, revoked and expired are final */
    }
}

sa_state sa_state_on_verify(sa_accept_mode mode)
{
    return mode == SA_ACCEPT_IMMEDIATE ? SA_ST_ACCEPTED : SA_ST_DECLARED;
}

sa_verify_outcome sa_verify_decide(sa_state st, int expired)
{
    switch (st) {
    case SA_ST_PROVISIONAL:
        return expired ? SA_VERIFY_EXPIRED : SA_VERIFY_ISSUE;
    case SA_ST_EXPIRED:
        return SA_VERIFY_EXPIRED;
    case SA_ST_NONE:
        return SA_VERIFY_UNKNOWN;
    default:
        return SA_VERIFY_DONE;
    }
}

int sa_pending_allowed(long pending_last_hour)
{
    return pending_last_hour < SA_PENDING_PER_ADDRESS;
}
