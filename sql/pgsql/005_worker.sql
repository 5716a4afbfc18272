-- mod_secaction schema, version 5 (PostgreSQL): one mail worker across nodes.
-- Keep in step with ../sqlite/005_worker.sql.
SET client_min_messages = warning;

-- Every node runs one background worker (mod_watchdog's singleton); of
-- those, the one holding this lease works, the others wait for it to lapse.
CREATE TABLE worker_lease (
    name    TEXT PRIMARY KEY,
    owner   TEXT NOT NULL,
    until   BIGINT NOT NULL
);
INSERT INTO worker_lease (name, owner, until) VALUES ('mail', '', 0);

-- Who holds a mail's claim while it is handed to the sendmail program.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

INSERT INTO schema_version (version, applied_at) VALUES (5, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));
