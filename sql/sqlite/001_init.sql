-- mod_secaction schema, version 1 (SQLite).
-- Times are Unix seconds; the session table's expiry is mod_session's
-- apr_time_t (microseconds).  Keep in step with ../pgsql/001_init.sql.
PRAGMA journal_mode = WAL;

CREATE TABLE schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  INTEGER NOT NULL
);

-- One row per declaration, from 仮申込み onwards (the draft lives in the
-- applicant's session).  Public fields are marked (公開).
CREATE TABLE declaration (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_key  TEXT NOT NULL UNIQUE,     -- one per wizard run: makes the confirm POST idempotent
    state           TEXT NOT NULL CHECK (state IN
                      ('provisional','declared','accepted','stopped','revoked','expired')),
    level           INTEGER NOT NULL CHECK (level IN (1, 2)),   -- (公開)
    via             TEXT,                     -- partner site the applicant came from
    kind            TEXT NOT NULL CHECK (kind IN ('corp', 'sole')),
    corp_no         TEXT,
    corp_name       TEXT,                     -- (公開)
    corp_kana       TEXT,
    rep_name        TEXT,                     -- (公開)
    rep_kana        TEXT,
    trade_name      TEXT,                     -- (公開)
    url             TEXT,
    postal          TEXT NOT NULL,
    pref            TEXT NOT NULL,            -- (公開) JIS X 0401 code
    city            TEXT NOT NULL,            -- (公開)
    street          TEXT NOT NULL,
    building        TEXT,
    phone           TEXT NOT NULL,
    jsic_major      TEXT NOT NULL,            -- (公開)
    jsic_middle     TEXT,
    member          TEXT NOT NULL CHECK (member IN ('yes', 'no')),
    member_name     TEXT,
    ipa_info        TEXT NOT NULL CHECK (ipa_info IN ('yes', 'no')),
    purpose         TEXT NOT NULL,
    score           INTEGER,
    publish         TEXT,
    contact_name    TEXT NOT NULL,
    email           TEXT NOT NULL,
    survey          TEXT,
    password_hash   TEXT NOT NULL,
    token_hash      TEXT UNIQUE,              -- SHA-256 of the mail link's token
    token_expires   INTEGER,
    user_no         TEXT UNIQUE,              -- 利用者番号
    declaration_no  TEXT UNIQUE,              -- 自己宣言ID
    created_at      INTEGER NOT NULL,
    declared_at     INTEGER,
    accepted_at     INTEGER,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX declaration_state ON declaration (state);
CREATE INDEX declaration_email ON declaration (email, created_at);

-- Every change of state, who made it and why.
CREATE TABLE declaration_history (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    declaration_id  INTEGER NOT NULL REFERENCES declaration (id),
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    actor           TEXT NOT NULL,            -- 'applicant', 'system' or the secretariat's REMOTE_USER
    note            TEXT,
    at              INTEGER NOT NULL
);
CREATE INDEX declaration_history_decl ON declaration_history (declaration_id);

-- Mail waiting for the sendmail program; written in the same transaction
-- as the change that causes it, removed from the queue only once accepted.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    declaration_id  INTEGER REFERENCES declaration (id),
    kind            TEXT NOT NULL,            -- 'received', 'completed', ...
    sender          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    message         TEXT NOT NULL,            -- the complete RFC 5322 message; '' once sent
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    sent_at         INTEGER
);
CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);

-- mod_session_dbd's store (the wizard's draft).
CREATE TABLE session (
    key     TEXT PRIMARY KEY,
    value   TEXT,
    expiry  INTEGER NOT NULL
);
CREATE INDEX session_expiry ON session (expiry);

INSERT INTO schema_version (version, applied_at) VALUES (1, CAST(strftime('%s','now') AS INTEGER));
