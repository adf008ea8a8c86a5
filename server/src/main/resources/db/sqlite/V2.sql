-- Credentials, second part: the change feed, shared rate-limit windows and JWT signing keys.
-- change_log: every change to a credential, a membership or a signing key appends a row in the same
-- transaction; every node polls it to keep its in-memory access snapshot current.
CREATE TABLE change_log (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    workspace_id TEXT    NOT NULL,
    entity_id    TEXT    NOT NULL,
    at           BIGINT  NOT NULL
);
CREATE INDEX change_log_at ON change_log (at);
-- one row per (bucket, fixed window): hits counted across every node sharing the database
CREATE TABLE rate_limit_window (
    bucket       TEXT    NOT NULL,
    window_start BIGINT  NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
-- private keys sealed by the master key; public halves published at /.well-known/jwks.json until the last
-- token they signed has expired
CREATE TABLE signing_key (
    kid            TEXT   PRIMARY KEY,
    algorithm      TEXT   NOT NULL,
    public_jwk     TEXT   NOT NULL,
    private_sealed BLOB   NOT NULL,
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT
);
