package dev.ekvault.server.environment;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** SQL for environments. Rows carry their team id (through the project) so scope checks need no second query. */
public final class EnvironmentStore {
    public record EnvironmentRow(String id, String workspaceId, String projectId, String teamId, String name,
                                 boolean hasPersonalOverrides, long createdAt) {}

    private static final String SELECT = "SELECT e.id, e.workspace_id, e.project_id, p.team_id, e.name, e.has_personal_overrides, "
            + "e.created_at FROM environment e JOIN project p ON p.id = e.project_id ";

    public void insert(Connection c, EnvironmentRow e) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO environment (id, workspace_id, project_id, name, "
                + "has_personal_overrides, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            s.setString(1, e.id());
            s.setString(2, e.workspaceId());
            s.setString(3, e.projectId());
            s.setString(4, e.name());
            s.setBoolean(5, e.hasPersonalOverrides());
            s.setLong(6, e.createdAt());
            s.executeUpdate();
        }
    }

    public List<EnvironmentRow> listByProject(Connection c, String projectId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SELECT + "WHERE e.project_id = ? ORDER BY e.created_at, e.name")) {
            s.setString(1, projectId);
            try (ResultSet r = s.executeQuery()) {
                List<EnvironmentRow> rows = new ArrayList<>();
                while (r.next()) rows.add(read(r));
                return rows;
            }
        }
    }

    /** An environment of the given workspace by id (used to validate scopes), or null. */
    public EnvironmentRow find(Connection c, String workspaceId, String environmentId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SELECT + "WHERE e.workspace_id = ? AND e.id = ?")) {
            s.setString(1, workspaceId);
            s.setString(2, environmentId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? read(r) : null;
            }
        }
    }

    public boolean nameTaken(Connection c, String projectId, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM environment WHERE project_id = ? AND name = ?")) {
            s.setString(1, projectId);
            s.setString(2, name);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    private static EnvironmentRow read(ResultSet r) throws SQLException {
        return new EnvironmentRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getBoolean(6), r.getLong(7));
    }
}
