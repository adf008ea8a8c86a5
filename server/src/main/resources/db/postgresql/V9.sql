-- Secret shares (share/ShareStore): a value or a text sealed under a key derived from the share's link token (and its
-- password, when it has one), which the server never stores: token_hash is the SHA-256 of the token, for lookup.
-- ciphertext is cleared (purged_at set) once the share is revoked, used up or expired; the row stays for the list.
-- secret_id, secret_name, environment_id and environment_name describe what was shared when it was shared (no foreign
-- key: the share is a copy and outlives a later rename or deletion); kind is 'secret' or 'text'.
-- password_salt is the Argon2id salt (NULL: no password); password_failures counts wrong passwords in the window that
-- began at failure_window_start (the per-share limit, counted here so that every node sees it).
CREATE TABLE secret_share (
    id                   TEXT    PRIMARY KEY,
    workspace_id         TEXT    NOT NULL REFERENCES workspace (id),
    project_id           TEXT    NOT NULL REFERENCES project (id),
    created_by           TEXT    NOT NULL,
    credential_id        TEXT    NOT NULL,
    kind                 TEXT    NOT NULL,
    secret_id            TEXT,
    secret_name          TEXT,
    environment_id       TEXT,
    environment_name     TEXT,
    is_personal          BOOLEAN NOT NULL,
    token_hash           TEXT    NOT NULL UNIQUE,
    password_salt        BYTEA,
    ciphertext           BYTEA,
    max_views            INTEGER NOT NULL,
    views_used           INTEGER NOT NULL,
    created_at           BIGINT  NOT NULL,
    expires_at           BIGINT  NOT NULL,
    revoked_at           BIGINT,
    revoked_by           TEXT,
    last_viewed_at       BIGINT,
    purged_at            BIGINT,
    password_failures    INTEGER NOT NULL,
    failure_window_start BIGINT
);
CREATE INDEX secret_share_project ON secret_share (project_id, created_at);
CREATE INDEX secret_share_expiry ON secret_share (expires_at) WHERE ciphertext IS NOT NULL;
