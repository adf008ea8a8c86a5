-- Workload identities: Kubernetes service accounts that prove who they are with a token of their cluster's OIDC issuer.
-- Each identity is a credential row (kind 'oidc', no token_hash, no prefix, no expiry) that carries its name,
-- permission, scope, creator, last use and revocation; this table holds what a cluster token must show to be
-- exchanged for it. Deleting an identity revokes its credential; the row stays for the record.
-- jwks: a public JWK set pasted in for a cluster whose issuer the server cannot reach; NULL means OIDC discovery.
CREATE TABLE oidc_identity (
    credential_id TEXT   PRIMARY KEY REFERENCES credential (id),
    workspace_id  TEXT   NOT NULL REFERENCES workspace (id),
    issuer        TEXT   NOT NULL,
    audience      TEXT   NOT NULL,
    subject       TEXT   NOT NULL,
    jwks          TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX oidc_identity_issuer ON oidc_identity (workspace_id, issuer);
