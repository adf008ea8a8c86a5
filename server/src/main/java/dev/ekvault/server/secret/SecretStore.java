package dev.ekvault.server.secret;

import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.DeferredWrites;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.workspace.TreeDependents;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * SQL for secrets, their values and their history. Values are stored as ciphertext only; see {@link SecretService}.
 * Every value written is also a row of {@code secret_value_version} (the same ciphertext: its AAD binds the version),
 * and every deletion of a value a row without one, so history, rollback and point-in-time reads need no other source.
 * A deleted secret moves to {@code deleted_secret} and keeps its history until {@link #purgeDeleted} runs.
 */
public final class SecretStore {
    /** ownerId '' is the environment's shared value; any other is that user's personal override. */
    public static final String SHARED = "";

    /** The values' reminders: whatever deletes a value here deletes its reminder there, in the same transaction. */
    final ReminderStore reminders = new ReminderStore();

    /** Who made a change, as the history shows it: the person (null for none) and the credential. */
    public record Author(String userId, String credentialId, String credentialKind) {}

    /** One version of one value; {@code ciphertext} null: the value was deleted then ({@code withSecret}: with its secret). */
    public record VersionRow(String secretId, String environmentId, String ownerId, long version, byte[] ciphertext, long changedAt,
                             String changedBy, String credentialId, String credentialKind, boolean withSecret) {
        public boolean deleted() {
            return ciphertext == null;
        }

        ValueRow asValue() {
            return new ValueRow(secretId, environmentId, ownerId, version, ciphertext, changedAt);
        }
    }

    /** A deleted secret, restorable until the retention period ends. */
    public record DeletedSecret(SecretRow secret, long deletedAt, String deletedBy) {}

    /** Versions kept per value: the oldest beyond it are purged as new ones are written. */
    private final int maxVersions;

    public SecretStore(int maxVersions) {
        this.maxVersions = maxVersions;
    }

    public record SecretRow(String id, String workspaceId, String projectId, String name, String note, String type,
                            String dataType, long createdAt, long updatedAt) {}

    public record ValueRow(String secretId, String environmentId, String ownerId, long version, byte[] ciphertext, long updatedAt) {}

    private static final String SELECT = "SELECT id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at FROM secret ";

    private static final String INSERT_SECRET = "INSERT INTO secret (id, workspace_id, project_id, name, note, type, data_type, created_at, "
            + "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_VALUE = "INSERT INTO secret_value (secret_id, environment_id, owner_id, version, ciphertext, updated_at) "
            + "VALUES (?, ?, ?, ?, ?, ?)";
    private static final String INSERT_VERSION = "INSERT INTO secret_value_version (secret_id, project_id, environment_id, owner_id, version, "
            + "ciphertext, changed_at, changed_by, credential_id, credential_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /**
     * New secrets, each with its first values (version 1, nothing in the history before it: the ids are new), as one
     * batch per table (a bulk create's 50 secrets are three statements, not 150), each journalled as a create.
     */
    public void insertNew(Connection c, List<SecretRow> secrets, List<List<ValueRow>> values, Author by) throws SQLException {
        List<Object[]> secretRows = new ArrayList<>(secrets.size());
        List<Object[]> valueRows = new ArrayList<>();
        List<Object[]> versionRows = new ArrayList<>();
        for (int i = 0; i < secrets.size(); i++) {
            SecretRow s = secrets.get(i);
            secretRows.add(new Object[]{s.id(), s.workspaceId(), s.projectId(), s.name(), s.note(), s.type(), s.dataType(), s.createdAt(), s.updatedAt()});
            for (ValueRow v : values.get(i)) {
                if (v.version() != 1) throw new IllegalArgumentException("a new secret's value starts at version 1");
                valueRows.add(new Object[]{v.secretId(), v.environmentId(), v.ownerId(), v.version(), v.ciphertext(), v.updatedAt()});
                versionRows.add(versionRow(s, v, by));
            }
        }
        Sql.batch(c, INSERT_SECRET, secretRows);
        Sql.batch(c, INSERT_VALUE, valueRows);
        Sql.batch(c, INSERT_VERSION, versionRows);
        for (int i = 0; i < secrets.size(); i++) {
            SecretRow s = secrets.get(i);
            Journal.changed(c, secretChange("create", s).after(describe(s)));
            for (ValueRow v : values.get(i)) journalValue(c, "create", s, v.environmentId(), v.ownerId(), v.version());
        }
    }

    /** Changes {@code before}'s row, read by the caller in this transaction, to {@code s} (the same id). */
    public void update(Connection c, SecretRow before, SecretRow s) throws SQLException {
        Sql.update(c, "UPDATE secret SET name = ?, note = ?, type = ?, data_type = ?, updated_at = ? WHERE id = ?",
                s.name(), s.note(), s.type(), s.dataType(), s.updatedAt(), s.id());
        Journal.changed(c, secretChange("update", s).before(describe(before)).after(describe(s)));
    }

    /**
     * A change of a project's secrets: it goes to the change feed naming the project, so every node's secret cache
     * drops the project as a whole.
     */
    private static Journal.Change secretChange(String action, SecretRow s) {
        return Journal.Change.of(action, "secret", s.workspaceId(), s.id()).feed(ChangeFeed.Kind.SECRET).in(s.projectId(), null);
    }

    /** What the journal records of a secret: its name and kind, never a value (the note is free text, so only whether one is set). */
    private static java.util.Map<String, Object> describe(SecretRow s) {
        return Journal.fields("name", s.name(), "type", s.type(), "dataType", s.dataType(), "hasNote", s.note() != null && !s.note().isEmpty());
    }

    /**
     * A change of one value: {@code version} is the version it has now (null when deleted) and only that it changed is
     * said, never the value or its ciphertext; a personal override names its owner.
     */
    private static void journalValue(Connection c, String action, SecretRow secret, String environmentId, String ownerId, Long version)
            throws SQLException {
        boolean personal = !SHARED.equals(ownerId);
        Journal.changed(c, Journal.Change.of(action, "secret-value", secret.workspaceId(), secret.id()).feed(ChangeFeed.Kind.SECRET)
                .in(secret.projectId(), environmentId)
                .after(Journal.fields("secret", secret.name(), "version", version, "valueChanged", true,
                        "personal", personal ? true : null, "owner", personal ? ownerId : null)));
    }

    public List<SecretRow> listByProject(Connection c, String projectId) throws SQLException {
        return Sql.list(c, SELECT + "WHERE project_id = ? ORDER BY name", SecretStore::readSecret, projectId);
    }

    /** The secret of this project with the given name, else the one with the given id, or null. */
    /** The project's secrets named (by name only, never by id) in {@code names}, by name: a bulk create's one look-up. */
    public java.util.Map<String, SecretRow> findByNames(Connection c, String projectId, Collection<String> names) throws SQLException {
        java.util.Map<String, SecretRow> byName = new java.util.HashMap<>();
        if (names.isEmpty()) return byName;
        for (SecretRow s : Sql.list(c, SELECT + "WHERE project_id = ? AND name IN (" + Sql.placeholders(names.size()) + ")",
                SecretStore::readSecret, Sql.spread(projectId, names))) {
            byName.put(s.name(), s);
        }
        return byName;
    }

    public SecretRow find(Connection c, String projectId, String nameOrId) throws SQLException {
        return Sql.one(c, SELECT + "WHERE project_id = ? AND (name = ? OR id = ?) ORDER BY CASE WHEN name = ? THEN 0 ELSE 1 END LIMIT 1",
                SecretStore::readSecret, projectId, nameOrId, nameOrId, nameOrId);
    }

    /**
     * Deletes a person's personal overrides in a workspace (they are leaving it), journalling each for the audit only:
     * no node caches personal values, so the change feed is not told.
     */
    public void deletePersonalValues(Connection c, String workspaceId, String ownerId) throws SQLException {
        record Gone(String secretId, String projectId, String environmentId, String name) {}
        List<Gone> gone = Sql.list(c, "SELECT v.secret_id, s.project_id, v.environment_id, s.name FROM secret_value v JOIN secret s "
                + "ON s.id = v.secret_id WHERE v.owner_id = ? AND s.workspace_id = ?", r -> new Gone(r.getString(1), r.getString(2),
                r.getString(3), r.getString(4)), ownerId, workspaceId);
        reminders.deleteOfOwner(c, workspaceId, ownerId);
        for (Gone g : gone) {
            Journal.changed(c, Journal.Change.of("delete", "secret-value", workspaceId, g.secretId()).in(g.projectId(), g.environmentId())
                    .after(Journal.fields("secret", g.name(), "valueChanged", true, "personal", true, "owner", ownerId, "because", "member-removed")));
        }
        Sql.update(c, "DELETE FROM secret_value WHERE owner_id = ? AND secret_id IN (SELECT id FROM secret WHERE workspace_id = ?)", ownerId, workspaceId);
        // their overrides' history goes too: a person who left keeps no values here, past or present
        Sql.update(c, "DELETE FROM secret_value_version WHERE owner_id = ? AND project_id IN (SELECT id FROM project WHERE workspace_id = ?)",
                ownerId, workspaceId);
    }

    /**
     * Deletes what lives under part of the tree that is being deleted (or whose overrides were switched off): a whole
     * project's secrets with their values (one change per secret), or the values in some environments (one change per
     * value; {@code personalOnly}: the personal overrides only). The tree's rows go after this, in the same transaction.
     */
    public void deleteUnder(Connection c, TreeDependents.Removal removal) throws SQLException {
        if (removal.wholeProject()) {
            for (SecretRow secret : listByProject(c, removal.projectId())) deleteForGood(c, secret);
            // the history and the deleted secrets go with the project: their data keys go with its environments
            Sql.update(c, "DELETE FROM secret_value_version WHERE project_id = ?", removal.projectId());
            Sql.update(c, "DELETE FROM deleted_secret WHERE project_id = ?", removal.projectId());
            return;
        }
        record Gone(String secretId, String name, String ownerId) {}
        String because = removal.personalOnly() ? "overrides-switched-off" : "environment-deleted";
        for (String environmentId : removal.environmentIds()) {
            reminders.deleteInEnvironment(c, environmentId, removal.personalOnly(), because);
            List<Gone> gone = Sql.list(c, "SELECT v.secret_id, s.name, v.owner_id FROM secret_value v JOIN secret s ON s.id = v.secret_id "
                    + "WHERE v.environment_id = ? AND s.project_id = ?", r -> new Gone(r.getString(1), r.getString(2), r.getString(3)),
                    environmentId, removal.projectId());
            for (Gone g : gone) {
                boolean personal = !g.ownerId().equals(SHARED);
                if (removal.personalOnly() && !personal) continue;
                Journal.Change change = Journal.Change.of("delete", "secret-value", removal.workspaceId(), g.secretId())
                        .in(removal.projectId(), environmentId).after(Journal.fields("secret", g.name(), "valueChanged", true, "personal", personal,
                                "owner", personal ? g.ownerId() : null, "because", because));
                // shared values are cached (other nodes drop the project); personal ones nowhere
                Journal.changed(c, personal ? change : change.feed(ChangeFeed.Kind.SECRET));
            }
            Sql.update(c, removal.personalOnly() ? "DELETE FROM secret_value WHERE environment_id = ? AND owner_id <> ''"
                    : "DELETE FROM secret_value WHERE environment_id = ?", environmentId);
            Sql.update(c, removal.personalOnly() ? "DELETE FROM secret_value_version WHERE environment_id = ? AND owner_id <> ''"
                    : "DELETE FROM secret_value_version WHERE environment_id = ?", environmentId);
        }
    }

    /**
     * Deletes a secret with all its values, restorably: the secret moves to {@code deleted_secret} and each value's
     * history gains a row saying it went with the secret. One change, the secret's.
     */
    public void delete(Connection c, SecretRow secret, Author by, long now) throws SQLException {
        reminders.deleteOfSecret(c, secret);
        List<ValueRow> values = Sql.list(c, "SELECT secret_id, environment_id, owner_id, version, ciphertext, updated_at FROM secret_value "
                + "WHERE secret_id = ?", SecretStore::readValue, secret.id());
        for (ValueRow v : values) recordDeletion(c, secret, v.environmentId(), v.ownerId(), by, now, true);
        Sql.update(c, "INSERT INTO deleted_secret (id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at, "
                + "deleted_at, deleted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", secret.id(), secret.workspaceId(), secret.projectId(),
                secret.name(), secret.note(), secret.type(), secret.dataType(), secret.createdAt(), secret.updatedAt(), now, by.userId());
        Sql.update(c, "DELETE FROM secret_value WHERE secret_id = ?", secret.id());
        Sql.update(c, "DELETE FROM secret WHERE id = ?", secret.id());
        Journal.changed(c, secretChange("delete", secret).before(describe(secret)));
    }

    /** Deletes a secret, its values and its whole history for good (its project is going). */
    private void deleteForGood(Connection c, SecretRow secret) throws SQLException {
        reminders.deleteOfSecret(c, secret);
        Sql.update(c, "DELETE FROM secret_value WHERE secret_id = ?", secret.id());
        Sql.update(c, "DELETE FROM secret WHERE id = ?", secret.id());
        Journal.changed(c, secretChange("delete", secret).before(describe(secret)));
    }

    /** The project's deleted secrets, most recently deleted first. */
    public List<DeletedSecret> listDeleted(Connection c, String projectId) throws SQLException {
        return Sql.list(c, DELETED + "WHERE project_id = ? ORDER BY deleted_at DESC, name", SecretStore::readDeleted, projectId);
    }

    public DeletedSecret findDeleted(Connection c, String projectId, String id) throws SQLException {
        return Sql.one(c, DELETED + "WHERE project_id = ? AND id = ?", SecretStore::readDeleted, projectId, id);
    }

    /**
     * Brings a deleted secret back (its values are written again by the service, as new versions): the row returns
     * to {@code secret} under its id, journalled as a restore.
     */
    public void restore(Connection c, DeletedSecret deleted, long now) throws SQLException {
        SecretRow s = deleted.secret();
        SecretRow back = new SecretRow(s.id(), s.workspaceId(), s.projectId(), s.name(), s.note(), s.type(), s.dataType(), s.createdAt(), now);
        Sql.update(c, "DELETE FROM deleted_secret WHERE id = ?", s.id());
        Sql.update(c, "INSERT INTO secret (id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", back.id(), back.workspaceId(), back.projectId(), back.name(), back.note(), back.type(),
                back.dataType(), back.createdAt(), back.updatedAt());
        Journal.changed(c, secretChange("restore", back).after(describe(back)));
    }

    /**
     * Purges the secrets deleted before {@code before} with their history: the restore period is over. One change each
     * (the audit keeps that it went), nothing for the change feed: no node caches deleted secrets.
     */
    public int purgeDeleted(Connection c, long before) throws SQLException {
        List<DeletedSecret> expired = Sql.list(c, DELETED + "WHERE deleted_at < ? ORDER BY deleted_at LIMIT 500", SecretStore::readDeleted, before);
        for (DeletedSecret d : expired) {
            Sql.update(c, "DELETE FROM secret_value_version WHERE secret_id = ?", d.secret().id());
            Sql.update(c, "DELETE FROM deleted_secret WHERE id = ?", d.secret().id());
            Journal.changed(c, Journal.Change.of("purge", "secret", d.secret().workspaceId(), d.secret().id()).in(d.secret().projectId(), null)
                    .before(describe(d.secret())));
        }
        return expired.size();
    }

    /** A value's versions, newest first, in the given environments and owners. */
    public List<VersionRow> versions(Connection c, String secretId, Collection<String> environmentIds, Collection<String> owners) throws SQLException {
        if (environmentIds.isEmpty() || owners.isEmpty()) return List.of();
        return Sql.list(c, VERSION + "WHERE secret_id = ? AND environment_id IN (" + Sql.placeholders(environmentIds.size()) + ") "
                + "AND owner_id IN (" + Sql.placeholders(owners.size()) + ") ORDER BY changed_at DESC, version DESC, environment_id, owner_id",
                SecretStore::readVersion, Sql.spread(secretId, environmentIds, owners));
    }

    /** The newest version of each value a secret ever had (each environment and owner). */
    public List<VersionRow> latestVersions(Connection c, String secretId) throws SQLException {
        return Sql.list(c, VERSION + "h WHERE secret_id = ? AND version = (SELECT MAX(m.version) FROM secret_value_version m "
                + "WHERE m.secret_id = h.secret_id AND m.environment_id = h.environment_id AND m.owner_id = h.owner_id)",
                SecretStore::readVersion, secretId);
    }

    /** One version of one value, or null. */
    public VersionRow version(Connection c, String secretId, String environmentId, String ownerId, long version) throws SQLException {
        return Sql.one(c, VERSION + "WHERE secret_id = ? AND environment_id = ? AND owner_id = ? AND version = ?",
                SecretStore::readVersion, secretId, environmentId, ownerId, version);
    }

    /** The environments in which a secret, live or deleted, has any history. */
    public List<String> environmentsWithHistory(Connection c, String secretId) throws SQLException {
        return Sql.list(c, "SELECT DISTINCT environment_id FROM secret_value_version WHERE secret_id = ?", r -> r.getString(1), secretId);
    }

    /**
     * The values of a project's secrets as they were at {@code at}: for each value, its newest version written at or
     * before then, unless that version is a deletion.
     */
    public List<ValueRow> valuesAt(Connection c, String projectId, Collection<String> environmentIds, Collection<String> owners, long at)
            throws SQLException {
        if (environmentIds.isEmpty() || owners.isEmpty()) return List.of();
        return Sql.list(c, "SELECT h.secret_id, h.environment_id, h.owner_id, h.version, h.ciphertext, h.changed_at FROM secret_value_version h "
                        + "WHERE h.project_id = ? AND h.changed_at <= ? AND h.environment_id IN (" + Sql.placeholders(environmentIds.size()) + ") "
                        + "AND h.owner_id IN (" + Sql.placeholders(owners.size()) + ") AND h.version = (SELECT MAX(m.version) "
                        + "FROM secret_value_version m WHERE m.secret_id = h.secret_id AND m.environment_id = h.environment_id "
                        + "AND m.owner_id = h.owner_id AND m.changed_at <= ?) AND h.ciphertext IS NOT NULL",
                SecretStore::readValue, Sql.spread(projectId, at, environmentIds, owners, at));
    }

    /** The next version number of a value: after every version it ever had, so a value deleted and written again never reuses one. */
    public long nextVersion(Connection c, String secretId, String environmentId, String ownerId) throws SQLException {
        Long max = Sql.one(c, "SELECT MAX(version) FROM secret_value_version WHERE secret_id = ? AND environment_id = ? AND owner_id = ?",
                r -> Sql.nullableLong(r, 1), secretId, environmentId, ownerId);
        return max == null ? 1 : max + 1;
    }

    /**
     * The history's rows go with the write's next statement on PostgreSQL ({@link DeferredWrites}): their keys are the
     * value's next version, which this transaction holds (the secret's row lock), so no request can make them fail.
     */
    private void recordVersion(Connection c, SecretRow secret, ValueRow v, Author by) throws SQLException {
        DeferredWrites.add(c, INSERT_VERSION, versionRow(secret, v, by));
        // the bound on history: the oldest versions beyond it go (the newest, the current one, always stays); none can
        // be beyond it before there are more versions than it holds
        if (v.version() > maxVersions) {
            DeferredWrites.add(c, "DELETE FROM secret_value_version WHERE secret_id = ? AND environment_id = ? AND owner_id = ? AND version <= ?",
                    v.secretId(), v.environmentId(), v.ownerId(), v.version() - maxVersions);
        }
    }

    private static Object[] versionRow(SecretRow secret, ValueRow v, Author by) {
        return new Object[]{v.secretId(), secret.projectId(), v.environmentId(), v.ownerId(), v.version(), v.ciphertext(), v.updatedAt(),
                by.userId(), by.credentialId(), by.credentialKind()};
    }

    private void recordDeletion(Connection c, SecretRow secret, String environmentId, String ownerId, Author by, long now, boolean withSecret)
            throws SQLException {
        long version = nextVersion(c, secret.id(), environmentId, ownerId);
        DeferredWrites.add(c, "INSERT INTO secret_value_version (secret_id, project_id, environment_id, owner_id, version, ciphertext, changed_at, "
                        + "changed_by, credential_id, credential_kind, secret_deleted) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)", secret.id(),
                secret.projectId(), environmentId, ownerId, version, now, by.userId(), by.credentialId(), by.credentialKind(), withSecret ? 1 : 0);
    }

    /** One secret's values in these environments owned by any of {@code owners}: what a get or an update answers, and no more. */
    public List<ValueRow> valuesOf(Connection c, String secretId, Collection<String> environmentIds, Collection<String> owners) throws SQLException {
        if (environmentIds.isEmpty() || owners.isEmpty()) return List.of();
        return Sql.list(c, "SELECT secret_id, environment_id, owner_id, version, ciphertext, updated_at FROM secret_value WHERE secret_id = ? "
                        + "AND environment_id IN (" + Sql.placeholders(environmentIds.size()) + ") "
                        + "AND owner_id IN (" + Sql.placeholders(owners.size()) + ")",
                SecretStore::readValue, Sql.spread(secretId, environmentIds, owners));
    }

    /**
     * Values of a project's secrets in the given environments, owned by any of {@code owners} (the shared owner
     * {@link #SHARED} and, for a person, their own id).
     */
    public List<ValueRow> values(Connection c, String projectId, Collection<String> environmentIds, Collection<String> owners) throws SQLException {
        if (environmentIds.isEmpty() || owners.isEmpty()) return List.of();
        return Sql.list(c, "SELECT v.secret_id, v.environment_id, v.owner_id, v.version, v.ciphertext, v.updated_at "
                        + "FROM secret_value v JOIN secret s ON s.id = v.secret_id WHERE s.project_id = ? "
                        + "AND v.environment_id IN (" + Sql.placeholders(environmentIds.size()) + ") "
                        + "AND v.owner_id IN (" + Sql.placeholders(owners.size()) + ")",
                SecretStore::readValue, Sql.spread(projectId, environmentIds, owners));
    }

    /** The environments in which a secret holds any value (shared or anyone's personal one). */
    public List<String> environmentsWithValues(Connection c, String secretId) throws SQLException {
        return Sql.list(c, "SELECT DISTINCT environment_id FROM secret_value WHERE secret_id = ?", r -> r.getString(1), secretId);
    }

    /** The current version of one value, or null when there is none. */
    public Long version(Connection c, String secretId, String environmentId, String ownerId) throws SQLException {
        return Sql.one(c, "SELECT version FROM secret_value WHERE secret_id = ? AND environment_id = ? AND owner_id = ?",
                r -> r.getLong(1), secretId, environmentId, ownerId);
    }

    /** Stores a value of {@code secret} (whose workspace and project the journal names), and it as a version. */
    public void insertValue(Connection c, SecretRow secret, ValueRow v, Author by) throws SQLException {
        Sql.update(c, INSERT_VALUE, v.secretId(), v.environmentId(), v.ownerId(), v.version(), v.ciphertext(), v.updatedAt());
        recordVersion(c, secret, v, by);
        journalValue(c, "create", secret, v.environmentId(), v.ownerId(), v.version());
    }

    /**
     * Writes a value's next version over the current one. On PostgreSQL the UPDATE goes with the write's next statement
     * ({@link DeferredWrites}): it changes an existing row by its key, where no constraint a request could trip applies,
     * and every writer of the value has taken the secret's row before (the lock order stays: secrets, then values).
     */
    public void updateValue(Connection c, SecretRow secret, ValueRow v, Author by) throws SQLException {
        DeferredWrites.add(c, "UPDATE secret_value SET version = ?, ciphertext = ?, updated_at = ? WHERE secret_id = ? AND environment_id = ? AND owner_id = ?",
                v.version(), v.ciphertext(), v.updatedAt(), v.secretId(), v.environmentId(), v.ownerId());
        recordVersion(c, secret, v, by);
        journalValue(c, "update", secret, v.environmentId(), v.ownerId(), v.version());
    }

    /** Deletes one value (its history keeps that it was deleted); a value that was not there changes nothing and is not journalled. */
    public void deleteValue(Connection c, SecretRow secret, String environmentId, String ownerId, Author by, long now) throws SQLException {
        reminders.deleteOfValue(c, secret, environmentId, ownerId);
        if (Sql.update(c, "DELETE FROM secret_value WHERE secret_id = ? AND environment_id = ? AND owner_id = ?", secret.id(), environmentId, ownerId) > 0) {
            recordDeletion(c, secret, environmentId, ownerId, by, now, false);
            journalValue(c, "delete", secret, environmentId, ownerId, null);
        }
    }

    // ---- an environment's data key rotation (keyrotation/DataKeyRotation re-encrypts through these) ----

    /**
     * A ciphertext sealed under one of an environment's data keys, with what its AAD names: a current value
     * ({@code history} false) or a version row of the history.
     */
    public record Sealed(boolean history, String workspaceId, String projectId, String secretId, String environmentId, String ownerId,
                         long version, byte[] ciphertext) {}

    /**
     * Up to {@code limit} of an environment's ciphertexts (current values and history) not sealed under data key
     * {@code keyId}: the envelope's bytes 2 to 5 are its key id ({@code crypto/Aead}), compared as bytes in both databases.
     */
    public List<Sealed> sealedNotUnder(Connection c, String environmentId, int keyId, int limit) throws SQLException {
        byte[] id = java.nio.ByteBuffer.allocate(4).putInt(keyId).array();
        List<Sealed> rows = new ArrayList<>(Sql.list(c, "SELECT s.workspace_id, s.project_id, v.secret_id, v.environment_id, v.owner_id, v.version, "
                + "v.ciphertext FROM secret_value v JOIN secret s ON s.id = v.secret_id WHERE v.environment_id = ? AND substr(v.ciphertext, 2, 4) <> ? "
                + "LIMIT ?", r -> readSealed(r, false), environmentId, id, limit));
        if (rows.size() < limit) {
            rows.addAll(Sql.list(c, "SELECT e.workspace_id, h.project_id, h.secret_id, h.environment_id, h.owner_id, h.version, h.ciphertext "
                    + "FROM secret_value_version h JOIN environment e ON e.id = h.environment_id WHERE h.environment_id = ? "
                    + "AND h.ciphertext IS NOT NULL AND substr(h.ciphertext, 2, 4) <> ? LIMIT ?", r -> readSealed(r, true), environmentId, id,
                    limit - rows.size()));
        }
        return rows;
    }

    /**
     * The same value sealed again (under the environment's newest data key): nothing else of the row changes, so it is
     * not a change of the value and not journalled. Only if the row still holds what was read (a write meanwhile sealed
     * it under the newest key already); returns whether it was replaced.
     */
    public boolean reseal(Connection c, Sealed row, byte[] ciphertext) throws SQLException {
        return row.history()
                ? Sql.update(c, "UPDATE secret_value_version SET ciphertext = ? WHERE secret_id = ? AND environment_id = ? AND owner_id = ? "
                        + "AND version = ? AND ciphertext = ?", ciphertext, row.secretId(), row.environmentId(), row.ownerId(), row.version(),
                        row.ciphertext()) == 1
                : Sql.update(c, "UPDATE secret_value SET ciphertext = ? WHERE secret_id = ? AND environment_id = ? AND owner_id = ? "
                        + "AND ciphertext = ?", ciphertext, row.secretId(), row.environmentId(), row.ownerId(), row.ciphertext()) == 1;
    }

    private static Sealed readSealed(ResultSet r, boolean history) throws SQLException {
        return new Sealed(history, r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getLong(6), r.getBytes(7));
    }

    private static final String DELETED = "SELECT id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at, "
            + "deleted_at, deleted_by FROM deleted_secret ";
    private static final String VERSION = "SELECT secret_id, environment_id, owner_id, version, ciphertext, changed_at, changed_by, "
            + "credential_id, credential_kind, secret_deleted FROM secret_value_version ";

    private static DeletedSecret readDeleted(ResultSet r) throws SQLException {
        return new DeletedSecret(readSecret(r), r.getLong(10), r.getString(11));
    }

    private static VersionRow readVersion(ResultSet r) throws SQLException {
        return new VersionRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), r.getBytes(5), r.getLong(6), r.getString(7),
                r.getString(8), r.getString(9), r.getInt(10) != 0);
    }

    private static ValueRow readValue(ResultSet r) throws SQLException {
        return new ValueRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), r.getBytes(5), r.getLong(6));
    }

    private static SecretRow readSecret(ResultSet r) throws SQLException {
        return new SecretRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                r.getString(7), r.getLong(8), r.getLong(9));
    }
}
