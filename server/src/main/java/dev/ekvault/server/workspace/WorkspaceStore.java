package dev.ekvault.server.workspace;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.SQLException;

/** SQL for workspaces and memberships (the {@code member} table's one writer); people's accounts are {@code people/UserStore}'s. */
public final class WorkspaceStore {
    public record WorkspaceRow(String id, String slug, String name, String ownerId, long createdAt) {}

    public record Member(String workspaceId, String userId, Role role, Scope scope) {}

    private final ObjectMapper json;

    public WorkspaceStore(ObjectMapper json) {
        this.json = json;
    }

    public boolean anyWorkspace(Connection c) throws SQLException {
        return Sql.exists(c, "SELECT 1 FROM workspace LIMIT 1");
    }

    public void insertWorkspace(Connection c, WorkspaceRow w) throws SQLException {
        Sql.update(c, "INSERT INTO workspace (id, slug, name, owner_id, created_at) VALUES (?, ?, ?, ?, ?)",
                w.id(), w.slug(), w.name(), w.ownerId(), w.createdAt());
        Journal.changed(c, Journal.Change.of("create", "workspace", w.id(), w.id())
                .after(Journal.fields("slug", w.slug(), "name", w.name(), "ownerId", w.ownerId())));
    }

    public void insertMember(Connection c, Member m, long now) throws SQLException {
        Sql.update(c, "INSERT INTO member (workspace_id, user_id, role, scope, created_at) VALUES (?, ?, ?, ?, ?)",
                m.workspaceId(), m.userId(), m.role().wire(), m.scope().toStorage(json), now);
        Journal.changed(c, Journal.Change.of("create", "member", m.workspaceId(), m.userId()).feed(ChangeFeed.Kind.MEMBER).after(describe(m)));
    }

    private static java.util.Map<String, Object> describe(Member m) {
        return Journal.fields("userId", m.userId(), "role", m.role().wire(), "scope", m.scope().describe());
    }

    public void updateMember(Connection c, String workspaceId, String userId, Role role, Scope scope) throws SQLException {
        Member before = findMember(c, workspaceId, userId);
        Sql.update(c, "UPDATE member SET role = ?, scope = ? WHERE workspace_id = ? AND user_id = ?", role.wire(), scope.toStorage(json),
                workspaceId, userId);
        Journal.changed(c, Journal.Change.of("update", "member", workspaceId, userId).feed(ChangeFeed.Kind.MEMBER)
                .before(before == null ? null : describe(before)).after(describe(new Member(workspaceId, userId, role, scope))));
    }

    public void deleteMember(Connection c, String workspaceId, String userId) throws SQLException {
        Member before = findMember(c, workspaceId, userId);
        Sql.update(c, "DELETE FROM member WHERE workspace_id = ? AND user_id = ?", workspaceId, userId);
        Journal.changed(c, Journal.Change.of("delete", "member", workspaceId, userId).feed(ChangeFeed.Kind.MEMBER)
                .before(before == null ? Journal.fields("userId", userId) : describe(before)));
    }

    /** The email of each member of a workspace, by user id. */
    public java.util.Map<String, String> memberEmails(Connection c, String workspaceId) throws SQLException {
        java.util.Map<String, String> emails = new java.util.HashMap<>();
        for (var row : Sql.list(c, "SELECT u.id, u.email FROM app_user u JOIN member m ON m.user_id = u.id WHERE m.workspace_id = ?",
                r -> java.util.Map.entry(r.getString(1), r.getString(2)), workspaceId)) {
            emails.put(row.getKey(), row.getValue());
        }
        return emails;
    }

    /** The workspace whose id or slug is {@code reference}, or null. */
    public WorkspaceRow find(Connection c, String reference) throws SQLException {
        return Sql.one(c, "SELECT id, slug, name, owner_id, created_at FROM workspace WHERE id = ? OR slug = ?",
                r -> new WorkspaceRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5)), reference, reference);
    }

    public java.util.List<Member> listMembers(Connection c) throws SQLException {
        return Sql.list(c, "SELECT workspace_id, user_id, role, scope FROM member",
                r -> new Member(r.getString(1), r.getString(2), Role.fromWire(r.getString(3)), Scope.fromStorage(json, r.getString(4))));
    }

    public Member findMember(Connection c, String workspaceId, String userId) throws SQLException {
        return Sql.one(c, "SELECT role, scope FROM member WHERE workspace_id = ? AND user_id = ?",
                r -> new Member(workspaceId, userId, Role.fromWire(r.getString(1)), Scope.fromStorage(json, r.getString(2))), workspaceId, userId);
    }
}
