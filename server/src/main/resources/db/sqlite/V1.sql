-- The workspace tree, encrypted secrets, data keys and credentials.
-- Ids are UUID strings, times are epoch milliseconds (UTC), ciphertexts are opaque blobs (see crypto/).
CREATE TABLE master_key_check (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    key_id      TEXT    NOT NULL,
    verifier    BLOB    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE TABLE app_user (
    id          TEXT    PRIMARY KEY,
    email       TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE TABLE workspace (
    id          TEXT    PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    owner_id    TEXT    NOT NULL REFERENCES app_user (id),
    created_at  BIGINT  NOT NULL
);
CREATE TABLE member (
    workspace_id TEXT   NOT NULL REFERENCES workspace (id),
    user_id      TEXT   NOT NULL REFERENCES app_user (id),
    role         TEXT   NOT NULL,
    scope        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE TABLE team (
    id           TEXT   PRIMARY KEY,
    workspace_id TEXT   NOT NULL REFERENCES workspace (id),
    name         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
CREATE TABLE project (
    id           TEXT   PRIMARY KEY,
    workspace_id TEXT   NOT NULL REFERENCES workspace (id),
    team_id      TEXT   NOT NULL REFERENCES team (id),
    name         TEXT   NOT NULL,
    slug         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, slug)
);
CREATE TABLE environment (
    id                     TEXT    PRIMARY KEY,
    workspace_id           TEXT    NOT NULL REFERENCES workspace (id),
    project_id             TEXT    NOT NULL REFERENCES project (id),
    name                   TEXT    NOT NULL,
    has_personal_overrides BOOLEAN NOT NULL,
    created_at             BIGINT  NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE data_key (
    environment_id TEXT    NOT NULL REFERENCES environment (id),
    key_id         INTEGER NOT NULL,
    master_key_id  TEXT    NOT NULL,
    wrapped        BLOB    NOT NULL,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (environment_id, key_id)
);
CREATE TABLE secret (
    id           TEXT   PRIMARY KEY,
    workspace_id TEXT   NOT NULL REFERENCES workspace (id),
    project_id   TEXT   NOT NULL REFERENCES project (id),
    name         TEXT   NOT NULL,
    note         TEXT   NOT NULL,
    type         TEXT   NOT NULL,
    data_type    TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
-- owner_id is '' for the environment's shared value, else the user whose personal override this is
CREATE TABLE secret_value (
    secret_id      TEXT    NOT NULL REFERENCES secret (id) ON DELETE CASCADE,
    environment_id TEXT    NOT NULL REFERENCES environment (id),
    owner_id       TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    ciphertext     BLOB    NOT NULL,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (secret_id, environment_id, owner_id)
);
CREATE INDEX secret_value_environment ON secret_value (environment_id);
CREATE TABLE credential (
    id            TEXT    PRIMARY KEY,
    workspace_id  TEXT    NOT NULL REFERENCES workspace (id),
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    token_hash    TEXT    UNIQUE,
    prefix        TEXT,
    permission    TEXT    NOT NULL,
    scope         TEXT    NOT NULL,
    is_owner      BOOLEAN NOT NULL,
    created_by    TEXT    NOT NULL REFERENCES app_user (id),
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX credential_workspace ON credential (workspace_id, created_at);
