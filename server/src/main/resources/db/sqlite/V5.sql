-- A credential minted through another credential (an API token, a CLI token or an `ek login` sign-in) is bound to it:
-- it expires no later than its parent and is revoked with it. NULL for credentials made by a person directly
-- (init, a dashboard session) and for sign-ins, which are roots of their own.
ALTER TABLE credential ADD COLUMN parent_id TEXT REFERENCES credential (id);
CREATE INDEX credential_parent ON credential (parent_id);
