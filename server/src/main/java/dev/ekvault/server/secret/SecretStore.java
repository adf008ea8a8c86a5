package dev.ekvault.server.secret;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** SQL for secrets and their values. Values are stored as ciphertext only; see {@link SecretService}. */
public final class SecretStore {
    /** ownerId '' is the environment's shared value; any other is that user's personal override. */
    public static final String SHARED = "";

    public record SecretRow(String id, String workspaceId, String projectId, String name, String note, String type,
                            String dataType, long createdAt, long updatedAt) {}

    public record ValueRow(String secretId, String environmentId, String ownerId, long version, byte[] ciphertext, long updatedAt) {}

    private static final String SECRET_COLUMNS = "id, workspace_id, project_id, name, note, type, data_type, created_at, updated_at";

    public void insert(Connection c, SecretRow s) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO secret (" + SECRET_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, s.id());
            p.setString(2, s.workspaceId());
            p.setString(3, s.projectId());
            p.setString(4, s.name());
            p.setString(5, s.note());
            p.setString(6, s.type());
            p.setString(7, s.dataType());
            p.setLong(8, s.createdAt());
            p.setLong(9, s.updatedAt());
            p.executeUpdate();
        }
    }

    public void update(Connection c, SecretRow s) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE secret SET name = ?, note = ?, type = ?, data_type = ?, updated_at = ? WHERE id = ?")) {
            p.setString(1, s.name());
            p.setString(2, s.note());
            p.setString(3, s.type());
            p.setString(4, s.dataType());
            p.setLong(5, s.updatedAt());
            p.setString(6, s.id());
            p.executeUpdate();
        }
    }

    public List<SecretRow> listByProject(Connection c, String projectId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + SECRET_COLUMNS + " FROM secret WHERE project_id = ? ORDER BY name")) {
            p.setString(1, projectId);
            try (ResultSet r = p.executeQuery()) {
                List<SecretRow> rows = new ArrayList<>();
                while (r.next()) rows.add(readSecret(r));
                return rows;
            }
        }
    }

    /** The secret of this project with the given name, or with the given id, or null. */
    public SecretRow find(Connection c, String projectId, String nameOrId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + SECRET_COLUMNS + " FROM secret WHERE project_id = ? AND (name = ? OR id = ?) "
                + "ORDER BY CASE WHEN name = ? THEN 0 ELSE 1 END LIMIT 1")) {
            p.setString(1, projectId);
            p.setString(2, nameOrId);
            p.setString(3, nameOrId);
            p.setString(4, nameOrId);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? readSecret(r) : null;
            }
        }
    }

    public void delete(Connection c, String secretId) throws SQLException {
        try (PreparedStatement values = c.prepareStatement("DELETE FROM secret_value WHERE secret_id = ?");
             PreparedStatement secret = c.prepareStatement("DELETE FROM secret WHERE id = ?")) {
            values.setString(1, secretId);
            values.executeUpdate();
            secret.setString(1, secretId);
            secret.executeUpdate();
        }
    }

    /**
     * Values of a project's secrets in the given environments, owned by any of {@code owners} (the shared owner
     * {@link #SHARED} and, for a person, their own id).
     */
    public List<ValueRow> values(Connection c, String projectId, Collection<String> environmentIds, Collection<String> owners) throws SQLException {
        if (environmentIds.isEmpty() || owners.isEmpty()) return List.of();
        String sql = "SELECT v.secret_id, v.environment_id, v.owner_id, v.version, v.ciphertext, v.updated_at "
                + "FROM secret_value v JOIN secret s ON s.id = v.secret_id WHERE s.project_id = ? "
                + "AND v.environment_id IN (" + placeholders(environmentIds.size()) + ") "
                + "AND v.owner_id IN (" + placeholders(owners.size()) + ")";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            int i = 1;
            p.setString(i++, projectId);
            for (String id : environmentIds) p.setString(i++, id);
            for (String owner : owners) p.setString(i++, owner);
            try (ResultSet r = p.executeQuery()) {
                List<ValueRow> rows = new ArrayList<>();
                while (r.next()) {
                    rows.add(new ValueRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), r.getBytes(5), r.getLong(6)));
                }
                return rows;
            }
        }
    }

    /** The environments in which a secret holds any value (shared or anyone's personal one). */
    public List<String> environmentsWithValues(Connection c, String secretId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT environment_id FROM secret_value WHERE secret_id = ?")) {
            p.setString(1, secretId);
            try (ResultSet r = p.executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (r.next()) ids.add(r.getString(1));
                return ids;
            }
        }
    }

    /** The current version of one value, or null when there is none. */
    public Long version(Connection c, String secretId, String environmentId, String ownerId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT version FROM secret_value WHERE secret_id = ? AND environment_id = ? AND owner_id = ?")) {
            p.setString(1, secretId);
            p.setString(2, environmentId);
            p.setString(3, ownerId);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(1) : null;
            }
        }
    }

    public void insertValue(Connection c, ValueRow v) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO secret_value (secret_id, environment_id, owner_id, version, ciphertext, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)")) {
            p.setString(1, v.secretId());
            p.setString(2, v.environmentId());
            p.setString(3, v.ownerId());
            p.setLong(4, v.version());
            p.setBytes(5, v.ciphertext());
            p.setLong(6, v.updatedAt());
            p.executeUpdate();
        }
    }

    public void updateValue(Connection c, ValueRow v) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE secret_value SET version = ?, ciphertext = ?, updated_at = ? "
                + "WHERE secret_id = ? AND environment_id = ? AND owner_id = ?")) {
            p.setLong(1, v.version());
            p.setBytes(2, v.ciphertext());
            p.setLong(3, v.updatedAt());
            p.setString(4, v.secretId());
            p.setString(5, v.environmentId());
            p.setString(6, v.ownerId());
            p.executeUpdate();
        }
    }

    public void deleteValue(Connection c, String secretId, String environmentId, String ownerId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM secret_value WHERE secret_id = ? AND environment_id = ? AND owner_id = ?")) {
            p.setString(1, secretId);
            p.setString(2, environmentId);
            p.setString(3, ownerId);
            p.executeUpdate();
        }
    }

    private static SecretRow readSecret(ResultSet r) throws SQLException {
        return new SecretRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                r.getString(7), r.getLong(8), r.getLong(9));
    }

    private static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }
}
