-- A credential minted through another credential is bound to it: it expires no later than its parent and is revoked
-- with it. Through an API token, a CLI token or an `ek login`, everything is bound; through a dashboard session (the
-- person at the keyboard) only CLI tokens and the `ek login`s it approves are. NULL for a root: init's owner token,
-- a sign-in, and what a person made in the dashboard.
ALTER TABLE credential ADD COLUMN parent_id TEXT REFERENCES credential (id);
CREATE INDEX credential_parent ON credential (parent_id);
-- The dashboard session that approved a device login: the `ek login` it grants is that session's child.
ALTER TABLE device_code ADD COLUMN approved_by TEXT;
