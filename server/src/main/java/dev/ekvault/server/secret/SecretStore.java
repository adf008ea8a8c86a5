package dev.ekvault.server.secret;

import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.workspace.TreeDependents;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** SQL for secrets and their values. Values are stored as ciphertext only; see {@link SecretService}. */
public final class SecretStore {
    /** ownerId '' is the environment's shared value; any other is that user's personal override. */
    public static final String SHARED = "";

    /** The values' reminders: whatever deletes a value here deletes its reminder there, in the same transaction. */
    final ReminderStore reminders = new ReminderStore();

    public record SecretRow(String id, String workspaceId, String projectId, String name, String note, String type,
                            String dataType, long createdAt, long updatedAt) {}

    public record ValueRow(String secretId, String environmentId, String ownerId, long version, byte[] ciphertext, long updatedAt) {}

    private static final String SELECT = "SELECT id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at FROM secret ";

    public void insert(Connection c, SecretRow s) throws SQLException {
        Sql.update(c, "INSERT INTO secret (id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", s.id(), s.workspaceId(), s.projectId(), s.name(), s.note(), s.type(),
                s.dataType(), s.createdAt(), s.updatedAt());
        Journal.changed(c, secretChange("create", s).after(describe(s)));
    }

    public void update(Connection c, SecretRow s) throws SQLException {
        SecretRow before = Sql.one(c, SELECT + "WHERE id = ?", SecretStore::readSecret, s.id());
        Sql.update(c, "UPDATE secret SET name = ?, note = ?, type = ?, data_type = ?, updated_at = ? WHERE id = ?",
                s.name(), s.note(), s.type(), s.dataType(), s.updatedAt(), s.id());
        Journal.changed(c, secretChange("update", s).before(before == null ? null : describe(before)).after(describe(s)));
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
    }

    /**
     * Deletes what lives under part of the tree that is being deleted (or whose overrides were switched off): a whole
     * project's secrets with their values (one change per secret), or the values in some environments (one change per
     * value; {@code personalOnly}: the personal overrides only). The tree's rows go after this, in the same transaction.
     */
    public void deleteUnder(Connection c, TreeDependents.Removal removal) throws SQLException {
        if (removal.wholeProject()) {
            for (SecretRow secret : listByProject(c, removal.projectId())) delete(c, secret);
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
        }
    }

    /** Deletes a secret with all its values: one change, the secret's. */
    public void delete(Connection c, SecretRow secret) throws SQLException {
        reminders.deleteOfSecret(c, secret);
        Sql.update(c, "DELETE FROM secret_value WHERE secret_id = ?", secret.id());
        Sql.update(c, "DELETE FROM secret WHERE id = ?", secret.id());
        Journal.changed(c, secretChange("delete", secret).before(describe(secret)));
    }

    /**
     * Values of a project's secrets in the given environments, owned by any of {@code owners} (the shared owner
     * {@link #SHARED} and, for a person, their own id).
     */
    public List<ValueRow> values(Connection c, String projectId, Collection<String> environmentIds, Collection<String> owners) throws SQLException {
        if (environmentIds.isEmpty() || owners.isEmpty()) return List.of();
        List<Object> parameters = new ArrayList<>();
        parameters.add(projectId);
        parameters.addAll(environmentIds);
        parameters.addAll(owners);
        return Sql.list(c, "SELECT v.secret_id, v.environment_id, v.owner_id, v.version, v.ciphertext, v.updated_at "
                        + "FROM secret_value v JOIN secret s ON s.id = v.secret_id WHERE s.project_id = ? "
                        + "AND v.environment_id IN (" + Sql.placeholders(environmentIds.size()) + ") "
                        + "AND v.owner_id IN (" + Sql.placeholders(owners.size()) + ")",
                r -> new ValueRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), r.getBytes(5), r.getLong(6)),
                parameters.toArray());
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

    /** Stores a value of {@code secret} (whose workspace and project the journal names). */
    public void insertValue(Connection c, SecretRow secret, ValueRow v) throws SQLException {
        Sql.update(c, "INSERT INTO secret_value (secret_id, environment_id, owner_id, version, ciphertext, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                v.secretId(), v.environmentId(), v.ownerId(), v.version(), v.ciphertext(), v.updatedAt());
        journalValue(c, "create", secret, v.environmentId(), v.ownerId(), v.version());
    }

    public void updateValue(Connection c, SecretRow secret, ValueRow v) throws SQLException {
        Sql.update(c, "UPDATE secret_value SET version = ?, ciphertext = ?, updated_at = ? WHERE secret_id = ? AND environment_id = ? AND owner_id = ?",
                v.version(), v.ciphertext(), v.updatedAt(), v.secretId(), v.environmentId(), v.ownerId());
        journalValue(c, "update", secret, v.environmentId(), v.ownerId(), v.version());
    }

    /** Deletes one value; a value that was not there changes nothing and is not journalled. */
    public void deleteValue(Connection c, SecretRow secret, String environmentId, String ownerId) throws SQLException {
        reminders.deleteOfValue(c, secret, environmentId, ownerId);
        if (Sql.update(c, "DELETE FROM secret_value WHERE secret_id = ? AND environment_id = ? AND owner_id = ?", secret.id(), environmentId, ownerId) > 0) {
            journalValue(c, "delete", secret, environmentId, ownerId, null);
        }
    }

    private static SecretRow readSecret(ResultSet r) throws SQLException {
        return new SecretRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                r.getString(7), r.getLong(8), r.getLong(9));
    }
}
