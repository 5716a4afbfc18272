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
/* Whether from -> to is a change the product allows. */
int sa_state_can(sa_state from, sa_state to);

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

#endif
