-- A secret's history (issue 14): every version of every value, the current one included, so history, rollback and
-- point-in-time reads are one query each. A row keeps the version's ciphertext exactly as it was sealed (its AAD binds
-- the version, so it opens only as that version of that value); ciphertext NULL records that the value was deleted,
-- secret_deleted = 1 that it went with its secret (a restore brings back the version before such a row).
-- No foreign key to secret: a deleted secret's history outlives its row for the restore period (deleted_secret).
CREATE TABLE secret_value_version (
    secret_id       TEXT    NOT NULL,
    project_id      TEXT    NOT NULL,
    environment_id  TEXT    NOT NULL,
    owner_id        TEXT    NOT NULL,
    version         BIGINT NOT NULL,
    ciphertext      BYTEA,
    changed_at      BIGINT  NOT NULL,
    changed_by      TEXT,
    credential_id   TEXT,
    credential_kind TEXT,
    secret_deleted  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (secret_id, environment_id, owner_id, version)
);
CREATE INDEX secret_value_version_project ON secret_value_version (project_id, changed_at);
CREATE INDEX secret_value_version_environment ON secret_value_version (environment_id);
-- A deleted secret, restorable with its values until the retention period ends; then it and its history are purged.
CREATE TABLE deleted_secret (
    id           TEXT   PRIMARY KEY,
    workspace_id TEXT   NOT NULL,
    project_id   TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    note         TEXT   NOT NULL,
    type         TEXT   NOT NULL,
    data_type    TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT NOT NULL,
    deleted_by   TEXT
);
CREATE INDEX deleted_secret_project ON deleted_secret (project_id);
CREATE INDEX deleted_secret_deleted_at ON deleted_secret (deleted_at);
-- what is stored today becomes each value's first recorded version
INSERT INTO secret_value_version (secret_id, project_id, environment_id, owner_id, version, ciphertext, changed_at)
SELECT v.secret_id, s.project_id, v.environment_id, v.owner_id, v.version, v.ciphertext, v.updated_at
FROM secret_value v JOIN secret s ON s.id = v.secret_id;
