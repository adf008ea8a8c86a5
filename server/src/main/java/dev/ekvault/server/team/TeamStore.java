package dev.ekvault.server.team;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** SQL for teams. */
public final class TeamStore {
    public record TeamRow(String id, String workspaceId, String name, long createdAt) {}

    public void insert(Connection c, TeamRow t) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO team (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)")) {
            s.setString(1, t.id());
            s.setString(2, t.workspaceId());
            s.setString(3, t.name());
            s.setLong(4, t.createdAt());
            s.executeUpdate();
        }
    }

    public List<TeamRow> list(Connection c, String workspaceId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT id, workspace_id, name, created_at FROM team WHERE workspace_id = ? ORDER BY created_at, name")) {
            s.setString(1, workspaceId);
            try (ResultSet r = s.executeQuery()) {
                List<TeamRow> teams = new ArrayList<>();
                while (r.next()) teams.add(new TeamRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4)));
                return teams;
            }
        }
    }

    public TeamRow find(Connection c, String workspaceId, String teamId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT id, workspace_id, name, created_at FROM team WHERE workspace_id = ? AND id = ?")) {
            s.setString(1, workspaceId);
            s.setString(2, teamId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new TeamRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4)) : null;
            }
        }
    }

    public boolean nameTaken(Connection c, String workspaceId, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM team WHERE workspace_id = ? AND name = ?")) {
            s.setString(1, workspaceId);
            s.setString(2, name);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }
}
