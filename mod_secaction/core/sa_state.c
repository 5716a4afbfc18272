/* Declaration states and their allowed changes (see sa_state.h). */
#include <string.h>
#include "sa_state.h"

static const struct { const char *name; const char *label; } states[SA_ST_COUNT] = {
    [SA_ST_NONE]        = { NULL,          "下書き" },
    [SA_ST_PROVISIONAL] = { "provisional", "仮申込み" },
    [SA_ST_DECLARED]    = { "declared",    "宣言済み・受理待ち" },
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

static const struct { const char *name; const char *label; } events[SA_EV_COUNT] = {
    [SA_EV_SUBMIT]   = { "submit",   "仮申込み" },
    [SA_EV_VERIFY]   = { "verify",   "自己宣言の完了" },
    [SA_EV_EXPIRE]   = { "expire",   "確認リンクの期限切れ" },
    [SA_EV_STEPUP]   = { "stepup",   "ステップアップの申込み" },
    [SA_EV_EDIT]     = { "edit",     "登録情報の変更" },
    [SA_EV_CONTACT]  = { "contact",  "担当者の変更" },
    [SA_EV_PASSWORD] = { "password", "パスワードの変更" },
    [SA_EV_STOP]     = { "stop",     "自己宣言の停止" },
    [SA_EV_ACCEPT]   = { "accept",   "申込受理" },
    [SA_EV_REVOKE]   = { "revoke",   "取消" },
    [SA_EV_UNLOCK]   = { "unlock",   "ログイン制限の解除" },
    [SA_EV_RESEND]   = { "resend",   "メールの再送" },
    [SA_EV_ERASE]    = { "erase",    "入力内容の消去" },
};

const char *sa_event_name(sa_event ev)
{
    return (ev >= 0 && ev < SA_EV_COUNT) ? events[ev].name : NULL;
}

const char *sa_event_label(sa_event ev)
{
    return (ev >= 0 && ev < SA_EV_COUNT) ? events[ev].label : "変更";
}

sa_event sa_event_parse(const char *name)
{
    int i;
    for (i = 0; name && i < SA_EV_COUNT; i++) {
        if (strcmp(events[i].name, name) == 0) {
            return (sa_event)i;
        }
    }
    return SA_EV_COUNT;
}

int sa_state_can_login(sa_state st)
{
    return st == SA_ST_DECLARED || st == SA_ST_ACCEPTED || st == SA_ST_STOPPED
           || st == SA_ST_REVOKED;
}

int sa_state_is_active(sa_state st)
{
    return st == SA_ST_DECLARED || st == SA_ST_ACCEPTED;
}

int sa_change_allowed(sa_event ev, sa_actor_kind actor, sa_state from, sa_state to)
{
    int active = sa_state_is_active(from);
    switch (ev) {
    case SA_EV_SUBMIT:
        return actor == SA_ACTOR_APPLICANT && from == SA_ST_NONE && to == SA_ST_PROVISIONAL;
    case SA_EV_VERIFY:
        return actor == SA_ACTOR_APPLICANT && from == SA_ST_PROVISIONAL
               && (to == SA_ST_DECLARED || to == SA_ST_ACCEPTED);
    case SA_EV_EXPIRE:
        return actor == SA_ACTOR_SYSTEM && from == SA_ST_PROVISIONAL && to == SA_ST_EXPIRED;
    case SA_EV_STEPUP:
    case SA_EV_EDIT:
    case SA_EV_CONTACT:
        /* the state stays; a stopped or revoked declaration is closed */
        return actor == SA_ACTOR_BUSINESS && active && to == from;
    case SA_EV_PASSWORD:
        return (actor == SA_ACTOR_BUSINESS || actor == SA_ACTOR_SECRETARIAT)
               && sa_state_can_login(from) && to == from;
    case SA_EV_STOP:
        return actor == SA_ACTOR_BUSINESS && active && to == SA_ST_STOPPED;
    case SA_EV_ACCEPT:
        /* a new declaration, or a step-up of an accepted one */
        return actor == SA_ACTOR_SECRETARIAT && active && to == SA_ST_ACCEPTED;
    case SA_EV_REVOKE:
        return actor == SA_ACTOR_SECRETARIAT && active && to == SA_ST_REVOKED;
    case SA_EV_UNLOCK:
        return actor == SA_ACTOR_SECRETARIAT && sa_state_can_login(from) && to == from;
    case SA_EV_ERASE:
        /* the state stays 期限切れ; only the worker erases */
        return actor == SA_ACTOR_SYSTEM && from == SA_ST_EXPIRED && to == SA_ST_EXPIRED;
    case SA_EV_RESEND:
        /* the 受付確認 mail with a fresh link, or the 完了 mail again */
        if (from == SA_ST_PROVISIONAL || from == SA_ST_EXPIRED) {
            /* the secretariat, or the applicant's 「確認メールを再送する」 */
            return (actor == SA_ACTOR_SECRETARIAT || actor == SA_ACTOR_APPLICANT)
                   && to == SA_ST_PROVISIONAL;
        }
        return actor == SA_ACTOR_SECRETARIAT && sa_state_can_login(from) && to == from;
    default:
        return 0;
    }
}

sa_step sa_wizard_first_open(int terms, int company, int password, int decl)
{
    if (!terms) {
        return SA_STEP_TERMS;
    }
    if (!company || !password) {
        return SA_STEP_COMPANY;
    }
    return decl ? SA_STEP_CONFIRM : SA_STEP_DECL;
}
