-- The audit log: one hash chain per workspace ('' for what belongs to none: a person's account, the signing keys).
-- An entry's hash is SHA-256 over its canonical form, which holds the previous entry's hash (audit/AuditEntry).
CREATE TABLE audit_entry (
    workspace_id   TEXT   NOT NULL,
    seq            BIGINT NOT NULL,
    id             TEXT   NOT NULL UNIQUE,
    at             BIGINT NOT NULL,
    actor_user_id  TEXT,
    credential_id  TEXT,
    credential_kind TEXT,
    client_address TEXT,
    request_id     TEXT,
    action         TEXT   NOT NULL,
    entity_type    TEXT   NOT NULL,
    entity_id      TEXT,
    project_id     TEXT,
    environment_id TEXT,
    before_json    TEXT,
    after_json     TEXT,
    outcome        TEXT   NOT NULL,
    prev_hash      TEXT   NOT NULL,
    hash           TEXT   NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
-- no index on time: a time filter walks the chain backwards by sequence number, which follows time closely, and one
-- index less is one B-tree less to write for every read's entry
-- Append-only: the store has no UPDATE or DELETE, and the database refuses them too (TRUNCATE included).
CREATE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
