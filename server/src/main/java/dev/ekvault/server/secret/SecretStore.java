package dev.ekvault.server.secret;

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

    public record SecretRow(String id, String workspaceId, String projectId, String name, String note, String type,
                            String dataType, long createdAt, long updatedAt) {}

    public record ValueRow(String secretId, String environmentId, String ownerId, long version, byte[] ciphertext, long updatedAt) {}

    private static final String SELECT = "SELECT id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at FROM secret ";

    public void insert(Connection c, SecretRow s) throws SQLException {
        Sql.update(c, "INSERT INTO secret (id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", s.id(), s.workspaceId(), s.projectId(), s.name(), s.note(), s.type(),
                s.dataType(), s.createdAt(), s.updatedAt());
    }

    public void update(Connection c, SecretRow s) throws SQLException {
        Sql.update(c, "UPDATE secret SET name = ?, note = ?, type = ?, data_type = ?, updated_at = ? WHERE id = ?",
                s.name(), s.note(), s.type(), s.dataType(), s.updatedAt(), s.id());
    }

    public List<SecretRow> listByProject(Connection c, String projectId) throws SQLException {
        return Sql.list(c, SELECT + "WHERE project_id = ? ORDER BY name", SecretStore::readSecret, projectId);
    }

    /** The secret of this project with the given name, else the one with the given id, or null. */
    public SecretRow find(Connection c, String projectId, String nameOrId) throws SQLException {
        return Sql.one(c, SELECT + "WHERE project_id = ? AND (name = ? OR id = ?) ORDER BY CASE WHEN name = ? THEN 0 ELSE 1 END LIMIT 1",
                SecretStore::readSecret, projectId, nameOrId, nameOrId, nameOrId);
    }

    /** Deletes a person's personal overrides in a workspace (they are leaving it). */
    public void deletePersonalValues(Connection c, String workspaceId, String ownerId) throws SQLException {
        Sql.update(c, "DELETE FROM secret_value WHERE owner_id = ? AND secret_id IN (SELECT id FROM secret WHERE workspace_id = ?)", ownerId, workspaceId);
    }

    public void delete(Connection c, String secretId) throws SQLException {
        Sql.update(c, "DELETE FROM secret_value WHERE secret_id = ?", secretId);
        Sql.update(c, "DELETE FROM secret WHERE id = ?", secretId);
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

    public void insertValue(Connection c, ValueRow v) throws SQLException {
        Sql.update(c, "INSERT INTO secret_value (secret_id, environment_id, owner_id, version, ciphertext, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                v.secretId(), v.environmentId(), v.ownerId(), v.version(), v.ciphertext(), v.updatedAt());
    }

    public void updateValue(Connection c, ValueRow v) throws SQLException {
        Sql.update(c, "UPDATE secret_value SET version = ?, ciphertext = ?, updated_at = ? WHERE secret_id = ? AND environment_id = ? AND owner_id = ?",
                v.version(), v.ciphertext(), v.updatedAt(), v.secretId(), v.environmentId(), v.ownerId());
    }

    public void deleteValue(Connection c, String secretId, String environmentId, String ownerId) throws SQLException {
        Sql.update(c, "DELETE FROM secret_value WHERE secret_id = ? AND environment_id = ? AND owner_id = ?", secretId, environmentId, ownerId);
    }

    private static SecretRow readSecret(ResultSet r) throws SQLException {
        return new SecretRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                r.getString(7), r.getLong(8), r.getLong(9));
    }
}
