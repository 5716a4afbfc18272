-- mod_secaction schema, version 4 (SQLite): limits on new 仮申込み.
-- Keep in step with ../pgsql/004_limits.sql.

-- The contact address as the per-address limit counts it (lower case,
-- without a +tag), and a keyed hash of the client's IP address (never the
-- address itself) for the per-client limit.
ALTER TABLE declaration ADD COLUMN email_key TEXT;
ALTER TABLE declaration ADD COLUMN client_key TEXT;
UPDATE declaration SET email_key = LOWER(email);
CREATE INDEX declaration_email_key ON declaration (email_key, created_at);
CREATE INDEX declaration_client_key ON declaration (client_key, created_at);

-- A random secret of this installation (keys the client hashes above).
CREATE TABLE site_secret (
    name    TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
INSERT INTO site_secret (name, value) VALUES ('client_key', lower(hex(randomblob(32))));

INSERT INTO schema_version (version, applied_at) VALUES (4, CAST(strftime('%s','now') AS INTEGER));
