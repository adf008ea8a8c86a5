-- Sync integrations (issue 15): one row per sync, from one environment's shared values to one target. The wizard fills
-- it step by step (status 'draft' until the mapping step), the engine keeps its state here so any node can push it.
-- credential: the target's token or key, sealed under a key derived from the master key (sync/SyncCredentials);
-- pushed_state: what the last push left at the target (key → keyed hash of its value), sealed under the environment's
-- data key, so a push knows what changed and what to delete without a plaintext copy anywhere.
CREATE TABLE sync_config (
    id              TEXT    PRIMARY KEY,
    workspace_id    TEXT    NOT NULL REFERENCES workspace (id),
    provider        TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    credential      BYTEA,
    target          TEXT,
    project_id      TEXT,
    environment_id  TEXT,
    delete_missing  INTEGER NOT NULL DEFAULT 1,
    send_values     INTEGER NOT NULL DEFAULT 0,
    change_seq      BIGINT  NOT NULL DEFAULT 0,
    pushed_seq      BIGINT  NOT NULL DEFAULT 0,
    pending_since   BIGINT,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_success_at BIGINT,
    last_error      TEXT,
    last_error_at   BIGINT,
    lease_owner     TEXT,
    lease_until     BIGINT,
    pushed_state    BYTEA
);
CREATE INDEX sync_config_workspace ON sync_config (workspace_id);
CREATE INDEX sync_config_environment ON sync_config (environment_id);
CREATE INDEX sync_config_project ON sync_config (project_id);
