-- People: passwords, sign-in throttling, invitations, device-code logins and preferences.
ALTER TABLE app_user ADD COLUMN password_hash TEXT;
ALTER TABLE app_user ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN locked_until BIGINT;
-- status: sent, accepted, declined (expired is derived from expires_at)
CREATE TABLE invite (
    id           TEXT   PRIMARY KEY,
    workspace_id TEXT   NOT NULL REFERENCES workspace (id),
    email        TEXT   NOT NULL,
    role         TEXT   NOT NULL,
    scope        TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    status       TEXT   NOT NULL,
    created_by   TEXT   NOT NULL REFERENCES app_user (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    answered_at  BIGINT
);
CREATE INDEX invite_workspace ON invite (workspace_id, created_at);
-- RFC 8628 device authorization: status pending, approved, denied, consumed
CREATE TABLE device_code (
    device_code_hash TEXT   PRIMARY KEY,
    user_code        TEXT   NOT NULL UNIQUE,
    client_id        TEXT   NOT NULL,
    status           TEXT   NOT NULL,
    user_id          TEXT,
    workspace_id     TEXT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    last_polled_at   BIGINT,
    interval_seconds INTEGER NOT NULL
);
CREATE TABLE user_preference (
    user_id     TEXT   PRIMARY KEY REFERENCES app_user (id),
    preferences TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL
);
