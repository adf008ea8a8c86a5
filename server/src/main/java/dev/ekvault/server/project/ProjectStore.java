package dev.ekvault.server.project;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** SQL for projects. */
public final class ProjectStore {
    public record ProjectRow(String id, String workspaceId, String teamId, String name, String slug, long createdAt) {}

    private static final String COLUMNS = "id, workspace_id, team_id, name, slug, created_at";

    public void insert(Connection c, ProjectRow p) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO project (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
            s.setString(1, p.id());
            s.setString(2, p.workspaceId());
            s.setString(3, p.teamId());
            s.setString(4, p.name());
            s.setString(5, p.slug());
            s.setLong(6, p.createdAt());
            s.executeUpdate();
        }
    }

    public List<ProjectRow> list(Connection c, String workspaceId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM project WHERE workspace_id = ? ORDER BY name, id")) {
            s.setString(1, workspaceId);
            try (ResultSet r = s.executeQuery()) {
                List<ProjectRow> projects = new ArrayList<>();
                while (r.next()) projects.add(read(r));
                return projects;
            }
        }
    }

    /** The project whose id or slug is {@code reference} in this workspace, or null. */
    public ProjectRow find(Connection c, String workspaceId, String reference) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM project WHERE workspace_id = ? AND (id = ? OR slug = ?)")) {
            s.setString(1, workspaceId);
            s.setString(2, reference);
            s.setString(3, reference);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? read(r) : null;
            }
        }
    }

    private static ProjectRow read(ResultSet r) throws SQLException {
        return new ProjectRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getLong(6));
    }
}
