package dev.ekvault.server.workspace;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** SQL for workspaces, their people (users) and memberships. */
public final class WorkspaceStore {
    public record WorkspaceRow(String id, String slug, String name, String ownerId, long createdAt) {}

    public record Member(String workspaceId, String userId, Role role, Scope scope) {}

    private final ObjectMapper json;

    public WorkspaceStore(ObjectMapper json) {
        this.json = json;
    }

    public boolean anyWorkspace(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM workspace LIMIT 1"); ResultSet r = s.executeQuery()) {
            return r.next();
        }
    }

    public void insertUser(Connection c, String id, String email, String name, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO app_user (id, email, name, created_at) VALUES (?, ?, ?, ?)")) {
            s.setString(1, id);
            s.setString(2, email);
            s.setString(3, name);
            s.setLong(4, now);
            s.executeUpdate();
        }
    }

    public void insertWorkspace(Connection c, WorkspaceRow w) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO workspace (id, slug, name, owner_id, created_at) VALUES (?, ?, ?, ?, ?)")) {
            s.setString(1, w.id());
            s.setString(2, w.slug());
            s.setString(3, w.name());
            s.setString(4, w.ownerId());
            s.setLong(5, w.createdAt());
            s.executeUpdate();
        }
    }

    public void insertMember(Connection c, Member m, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO member (workspace_id, user_id, role, scope, created_at) VALUES (?, ?, ?, ?, ?)")) {
            s.setString(1, m.workspaceId());
            s.setString(2, m.userId());
            s.setString(3, m.role().wire());
            s.setString(4, m.scope().toStorage(json));
            s.setLong(5, now);
            s.executeUpdate();
        }
    }

    /** The workspace whose id or slug is {@code reference}, or null. */
    public WorkspaceRow find(Connection c, String reference) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT id, slug, name, owner_id, created_at FROM workspace WHERE id = ? OR slug = ?")) {
            s.setString(1, reference);
            s.setString(2, reference);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new WorkspaceRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5)) : null;
            }
        }
    }

    public Member findMember(Connection c, String workspaceId, String userId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT role, scope FROM member WHERE workspace_id = ? AND user_id = ?")) {
            s.setString(1, workspaceId);
            s.setString(2, userId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new Member(workspaceId, userId, Role.fromWire(r.getString(1)), Scope.fromStorage(json, r.getString(2))) : null;
            }
        }
    }

    /** Changes a member's role and scope (used by member management and by tests of the intersection rule). */
    public void updateMember(Connection c, Member m) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE member SET role = ?, scope = ? WHERE workspace_id = ? AND user_id = ?")) {
            s.setString(1, m.role().wire());
            s.setString(2, m.scope().toStorage(json));
            s.setString(3, m.workspaceId());
            s.setString(4, m.userId());
            s.executeUpdate();
        }
    }
}
