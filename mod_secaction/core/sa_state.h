/* The states of a declaration (PRODUCT.md section 3) and which changes
 * between them are allowed.  Core file: APR only. */
#ifndef SA_STATE_H
#define SA_STATE_H

typedef enum {
    SA_ST_NONE = 0,       /* not stored: the draft lives in the session */
    SA_ST_PROVISIONAL,    /* 仮申込み: submitted, mail link not yet clicked */
    SA_ST_DECLARED,       /* 宣言済み: link clicked, IDs issued */
    SA_ST_ACCEPTED,       /* 受理済み: accepted by the secretariat */
    SA_ST_STOPPED,        /* 停止: stopped by the business */
    SA_ST_REVOKED,        /* 取消: revoked by the secretariat */
    SA_ST_EXPIRED         /* 期限切れ: the mail link was never clicked */
} sa_state;

#define SA_ST_COUNT 7

/* Name stored in the database ("provisional", ...), NULL for SA_ST_NONE. */
const char *sa_state_name(sa_state st);
/* Japanese label shown to people (仮申込み, ...). */
const char *sa_state_label(sa_state st);
/* Parses a stored name; SA_ST_NONE if unknown. */
sa_state sa_state_parse(const char *name);
/* Whether from -> to is a change the product allows (by anyone). */
int sa_state_can(sa_state from, sa_state to);

/* Who makes a change. */
typedef enum {
    SA_ACTOR_APPLICANT = 0,   /* the wizard and its mail link */
    SA_ACTOR_BUSINESS,        /* a logged-in business (or its mailed links) */
    SA_ACTOR_SECRETARIAT,     /* the console, REMOTE_USER recorded */
    SA_ACTOR_SYSTEM           /* the background worker */
} sa_actor_kind;

/* What a change is.  Every change of a stored declaration is one of these
 * and goes through the store's one transition function, which asks
 * sa_change_allowed first and records the event in the history. */
typedef enum {
    SA_EV_SUBMIT = 0,   /* 仮申込み stored */
    SA_EV_VERIFY,       /* mail link used: IDs issued */
    SA_EV_EXPIRE,       /* mail link not used in time */
    SA_EV_STEPUP,       /* 一つ星 -> 二つ星 */
    SA_EV_EDIT,         /* registered data changed */
    SA_EV_CONTACT,      /* contact person changed (after the new address confirmed) */
    SA_EV_PASSWORD,     /* password changed or reset */
    SA_EV_STOP,         /* stopped by the business */
    SA_EV_ACCEPT,       /* accepted by the secretariat */
    SA_EV_REVOKE,       /* revoked by the secretariat */
    SA_EV_UNLOCK,       /* login lock lifted by the secretariat */
    SA_EV_RESEND,       /* a mail sent again by the secretariat, or a fresh 受付確認
                           link the applicant asked for (it revives an expired
                           仮申込み) */
    SA_EV_ERASE,        /* what an expired 仮申込み held is erased once it is no
                           longer kept (SecActionProvisionalKeep) */
    SA_EV_COUNT
} sa_event;

/* Name stored in the history ("stepup"), and the label people read. */
const char *sa_event_name(sa_event ev);
const char *sa_event_label(sa_event ev);
sa_event sa_event_parse(const char *name);   /* SA_EV_COUNT if unknown */

/* Whether actor may make change ev to a declaration in state from,
 * leaving it in state to. */
int sa_change_allowed(sa_event ev, sa_actor_kind actor, sa_state from, sa_state to);

/* Whether a declaration in st has IDs and may log in (宣言済み onwards;
 * a stopped or revoked one may still log in and see its state). */
int sa_state_can_login(sa_state st);
/* Whether its registered data, contact or level may still be changed. */
int sa_state_is_active(sa_state st);

/* At most this many 仮申込み to one address within an hour: the 受付確認
 * mail must not become a way to flood someone's mailbox. */
#define SA_PENDING_PER_ADDRESS 3
int sa_pending_allowed(long pending_last_hour);

/* Acceptance of a new declaration: manual (the secretariat accepts) or
 * immediate (accepted when the mail link is clicked). */
typedef enum { SA_ACCEPT_MANUAL = 0, SA_ACCEPT_IMMEDIATE } sa_accept_mode;
/* The state a declaration enters when its mail link is clicked. */
sa_state sa_state_on_verify(sa_accept_mode mode);

/* What clicking a verification link does, given the declaration's state
 * and whether its token's lifetime has passed. */
typedef enum {
    SA_VERIFY_ISSUE,      /* complete it now: issue the IDs */
    SA_VERIFY_DONE,       /* already completed earlier */
    SA_VERIFY_EXPIRED,    /* too late: start again */
    SA_VERIFY_UNKNOWN     /* no such token */
} sa_verify_outcome;
sa_verify_outcome sa_verify_decide(sa_state st, int expired);

/* The wizard's steps, in order, and the first one not yet done given what
 * the draft holds: the terms agreed, the company step (with its password
 * hash) and the declaration step accepted.  A step's page may be shown
 * only when every step before it is done. */
typedef enum {
    SA_STEP_TERMS = 0, SA_STEP_COMPANY, SA_STEP_DECL, SA_STEP_CONFIRM,
    SA_STEP_ACCEPTED, SA_STEP_VERIFY, SA_STEP_COMPLETE, SA_STEP_COUNT
} sa_step;
sa_step sa_wizard_first_open(int terms, int company, int password, int decl);

#endif
