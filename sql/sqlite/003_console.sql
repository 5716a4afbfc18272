-- mod_secaction schema, version 3 (SQLite): the secretariat's console.
-- Keep in step with ../pgsql/003_console.sql.

-- Every action of the secretariat: who (REMOTE_USER), when, on which
-- declaration, what and why.  Append-only: the triggers refuse any change.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,            -- 'accept', 'revoke', 'unlock', 'resend', 'export', ...
    declaration_id  INTEGER REFERENCES declaration (id),
    detail          TEXT,                     -- what changed (no passwords, no tokens)
    reason          TEXT
);
CREATE INDEX audit_log_decl ON audit_log (declaration_id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The acceptance queue: new declarations and step-ups, oldest first.
-- queued_at: when it entered the queue (set by the store's transition
-- function), so a change of data does not move it back.
ALTER TABLE declaration ADD COLUMN queued_at INTEGER;
UPDATE declaration SET queued_at = declared_at WHERE state = 'declared';
CREATE INDEX declaration_queue ON declaration (queued_at, id);
CREATE INDEX outbox_decl ON outbox (declaration_id);

INSERT INTO schema_version (version, applied_at) VALUES (3, CAST(strftime('%s','now') AS INTEGER));
