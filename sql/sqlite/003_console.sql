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
CREATE INDEX declaration_queue ON declaration (state, declared_at);
CREATE INDEX declaration_pending ON declaration (pending_level, updated_at);
CREATE INDEX outbox_decl ON outbox (declaration_id);

INSERT INTO schema_version (version, applied_at) VALUES (3, CAST(strftime('%s','now') AS INTEGER));
