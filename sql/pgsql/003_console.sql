-- mod_secaction schema, version 3 (PostgreSQL): the secretariat's console.
-- Keep in step with ../sqlite/003_console.sql.
SET client_min_messages = warning;

-- Every action of the secretariat: who (REMOTE_USER), when, on which
-- declaration, what and why.  Append-only: the trigger refuses any change.
CREATE TABLE audit_log (
    id              BIGSERIAL PRIMARY KEY,
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,            -- 'accept', 'revoke', 'unlock', 'resend', 'export', ...
    declaration_id  BIGINT REFERENCES declaration (id),
    detail          TEXT,                     -- what changed (no passwords, no tokens)
    reason          TEXT
);
CREATE INDEX audit_log_decl ON audit_log (declaration_id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The acceptance queue: new declarations and step-ups, oldest first.
-- queued_at: when it entered the queue (set by the store's transition
-- function), so a change of data does not move it back.
ALTER TABLE declaration ADD COLUMN queued_at BIGINT;
UPDATE declaration SET queued_at = declared_at WHERE state = 'declared';
CREATE INDEX declaration_queue ON declaration (queued_at, id);
CREATE INDEX outbox_decl ON outbox (declaration_id);

INSERT INTO schema_version (version, applied_at) VALUES (3, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));
