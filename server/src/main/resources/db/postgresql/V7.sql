-- The audit log stores a group of entries as one row: one insert per group-commit and workspace instead of one per entry.
-- Each entry keeps its own hash chained to the one before (audit/AuditEntry); the row holds its entries' export lines
-- (the canonical line with its hash), oldest first, one a line, and a few columns that find it (audit/AuditStore).
CREATE TABLE audit_block (
    workspace_id TEXT   NOT NULL,
    seq          BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    first_id     TEXT   NOT NULL UNIQUE,
    min_at       BIGINT NOT NULL,
    max_at       BIGINT NOT NULL,
    hash         TEXT   NOT NULL,
    entries      TEXT   NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
-- seq: the first entry's sequence number, last_seq the last one's; first_id: the first entry's id (the others' ids are
-- derived from it); min_at/max_at: the entries' earliest and latest times; hash: the last entry's hash (the head).
-- Every V6 entry becomes a group of one, its line built from its columns; verification recomputes each entry's
-- canonical form from the fields it reads, so the hashes V6 stored still verify.
INSERT INTO audit_block (workspace_id, seq, last_seq, first_id, min_at, max_at, hash, entries)
SELECT workspace_id, seq, seq, id, at, at, hash,
       '{"workspaceId":' || COALESCE(to_json(workspace_id)::text, 'null') || ',"seq":' || seq || ',"id":' || to_json(id)::text
       || ',"at":' || at || ',"actorUserId":' || COALESCE(to_json(actor_user_id)::text, 'null')
       || ',"credentialId":' || COALESCE(to_json(credential_id)::text, 'null')
       || ',"credentialKind":' || COALESCE(to_json(credential_kind)::text, 'null')
       || ',"clientAddress":' || COALESCE(to_json(client_address)::text, 'null')
       || ',"requestId":' || COALESCE(to_json(request_id)::text, 'null') || ',"action":' || to_json(action)::text
       || ',"entityType":' || to_json(entity_type)::text || ',"entityId":' || COALESCE(to_json(entity_id)::text, 'null')
       || ',"projectId":' || COALESCE(to_json(project_id)::text, 'null')
       || ',"environmentId":' || COALESCE(to_json(environment_id)::text, 'null') || ',"before":' || COALESCE(before_json, 'null')
       || ',"after":' || COALESCE(after_json, 'null') || ',"outcome":' || to_json(outcome)::text || ',"prevHash":' || to_json(prev_hash)::text
       || ',"hash":' || to_json(hash)::text || '}'
FROM audit_entry ORDER BY workspace_id, seq;
DROP TABLE audit_entry;
DROP FUNCTION audit_entry_append_only();
-- Append-only: the store has no UPDATE or DELETE, and the database refuses them too (TRUNCATE included).
CREATE FUNCTION audit_block_append_only() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_block_no_change BEFORE UPDATE OR DELETE ON audit_block FOR EACH ROW EXECUTE FUNCTION audit_block_append_only();
CREATE TRIGGER audit_block_no_truncate BEFORE TRUNCATE ON audit_block FOR EACH STATEMENT EXECUTE FUNCTION audit_block_append_only();
