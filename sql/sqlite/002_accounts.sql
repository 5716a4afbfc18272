-- mod_secaction schema, version 2 (SQLite): the business's own pages.
-- Keep in step with ../pgsql/002_accounts.sql.

-- Optimistic concurrency: every change through the store's transition
-- function bumps version and only applies to the version it read, so two
-- changes at once (two tabs, two staff) never both apply.
ALTER TABLE declaration ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- A step-up (一つ星 -> 二つ星) waiting for acceptance: the accepted level
-- stays in force (logo, public search) until the secretariat accepts.
ALTER TABLE declaration ADD COLUMN pending_level INTEGER CHECK (pending_level IN (2));
ALTER TABLE declaration ADD COLUMN stopped_at INTEGER;
ALTER TABLE declaration ADD COLUMN revoked_at INTEGER;
ALTER TABLE declaration ADD COLUMN revoke_reason TEXT;
-- Login slow-down and lock (core/sa_policy.c decides).
ALTER TABLE declaration ADD COLUMN login_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE declaration ADD COLUMN login_last_failure INTEGER NOT NULL DEFAULT 0;
ALTER TABLE declaration ADD COLUMN login_locked_until INTEGER NOT NULL DEFAULT 0;

-- What kind of change a history row records ('submit', 'verify', 'edit', ...).
ALTER TABLE declaration_history ADD COLUMN event TEXT;

-- A mail's own key, so a request delivers the mail it queued, by key.
ALTER TABLE outbox ADD COLUMN mail_key TEXT;
CREATE UNIQUE INDEX outbox_mail_key ON outbox (mail_key);

-- Login sessions of businesses: only the SHA-256 of the cookie's value is
-- stored; data holds the session's flash and the documents it opened.
CREATE TABLE login_session (
    id_hash         TEXT PRIMARY KEY,
    declaration_id  INTEGER NOT NULL REFERENCES declaration (id),
    csrf            TEXT NOT NULL,
    data            TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    seen_at         INTEGER NOT NULL
);
CREATE INDEX login_session_decl ON login_session (declaration_id);
CREATE INDEX login_session_seen ON login_session (seen_at);

-- Single-use links mailed to a business: password reset, and the
-- confirmation of a new contact address.  Only the token's SHA-256 is kept.
CREATE TABLE link_token (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash       TEXT NOT NULL UNIQUE,
    declaration_id   INTEGER NOT NULL REFERENCES declaration (id),
    purpose          TEXT NOT NULL CHECK (purpose IN ('reset', 'contact')),
    new_contact_name TEXT,
    new_email        TEXT,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
);
CREATE INDEX link_token_decl ON link_token (declaration_id, purpose);

INSERT INTO schema_version (version, applied_at) VALUES (2, CAST(strftime('%s','now') AS INTEGER));
