package dev.ekvault.server.workspace;

import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** SQL for projects. */
public final class ProjectStore {
    public record ProjectRow(String id, String workspaceId, String teamId, String name, String slug, long createdAt) {}

    private static final String SELECT = "SELECT id, workspace_id, team_id, name, slug, created_at FROM project ";

    public void insert(Connection c, ProjectRow p) throws SQLException {
        Sql.update(c, "INSERT INTO project (id, workspace_id, team_id, name, slug, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                p.id(), p.workspaceId(), p.teamId(), p.name(), p.slug(), p.createdAt());
        Journal.changed(c, Journal.Change.of("create", "project", p.workspaceId(), p.id()).in(p.id(), null)
                .after(Journal.fields("name", p.name(), "slug", p.slug(), "teamId", p.teamId())));
    }

    public List<ProjectRow> list(Connection c, String workspaceId) throws SQLException {
        return Sql.list(c, SELECT + "WHERE workspace_id = ? ORDER BY name, id", ProjectStore::read, workspaceId);
    }

    /** The project whose id or slug is {@code reference} in this workspace, or null. */
    public ProjectRow find(Connection c, String workspaceId, String reference) throws SQLException {
        return Sql.one(c, SELECT + "WHERE workspace_id = ? AND (id = ? OR slug = ?)", ProjectStore::read, workspaceId, reference, reference);
    }

    private static ProjectRow read(ResultSet r) throws SQLException {
        return new ProjectRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getLong(6));
    }
}
