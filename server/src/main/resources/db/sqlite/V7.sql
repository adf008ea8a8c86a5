-- The audit log stores a group of entries as one row: one insert per group-commit and workspace instead of one per entry.
-- Each entry keeps its own hash chained to the one before (audit/AuditEntry); the row holds its entries' export lines
-- (the canonical line with its hash), oldest first, one a line, and a few columns that find it (audit/AuditStore).
CREATE TABLE audit_block (
    workspace_id TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL,
    first_id     TEXT    NOT NULL UNIQUE,
    min_at       INTEGER NOT NULL,
    max_at       INTEGER NOT NULL,
    hash         TEXT    NOT NULL,
    entries      TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
-- seq: the first entry's sequence number, last_seq the last one's; first_id: the first entry's id (the others' ids are
-- derived from it); min_at/max_at: the entries' earliest and latest times; hash: the last entry's hash (the head).
-- Every V6 entry becomes a group of one, its line built from its columns; verification recomputes each entry's
-- canonical form from the fields it reads, so the hashes V6 stored still verify.
INSERT INTO audit_block (workspace_id, seq, last_seq, first_id, min_at, max_at, hash, entries)
SELECT workspace_id, seq, seq, id, at, at, hash,
       '{"workspaceId":' || json_quote(workspace_id) || ',"seq":' || seq || ',"id":' || json_quote(id) || ',"at":' || at
       || ',"actorUserId":' || json_quote(actor_user_id) || ',"credentialId":' || json_quote(credential_id)
       || ',"credentialKind":' || json_quote(credential_kind) || ',"clientAddress":' || json_quote(client_address)
       || ',"requestId":' || json_quote(request_id) || ',"action":' || json_quote(action) || ',"entityType":' || json_quote(entity_type)
       || ',"entityId":' || json_quote(entity_id) || ',"projectId":' || json_quote(project_id)
       || ',"environmentId":' || json_quote(environment_id) || ',"before":' || COALESCE(before_json, 'null')
       || ',"after":' || COALESCE(after_json, 'null') || ',"outcome":' || json_quote(outcome) || ',"prevHash":' || json_quote(prev_hash)
       || ',"hash":' || json_quote(hash) || '}'
FROM audit_entry ORDER BY workspace_id, seq;
DROP TRIGGER audit_entry_no_update;
DROP TRIGGER audit_entry_no_delete;
DROP TABLE audit_entry;
-- Append-only: the store has no UPDATE or DELETE, and the database refuses them too.
CREATE TRIGGER audit_block_no_update BEFORE UPDATE ON audit_block BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_block_no_delete BEFORE DELETE ON audit_block BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
