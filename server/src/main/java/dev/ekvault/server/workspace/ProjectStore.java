package dev.ekvault.server.workspace;

import dev.ekvault.server.store.ChangeFeed;
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
        Journal.changed(c, Journal.Change.of("create", "project", p.workspaceId(), p.id()).in(p.id(), null).after(describe(p)));
    }

    public void update(Connection c, ProjectRow before, ProjectRow after) throws SQLException {
        Sql.update(c, "UPDATE project SET name = ?, slug = ? WHERE id = ?", after.name(), after.slug(), after.id());
        Journal.changed(c, Journal.Change.of("update", "project", after.workspaceId(), after.id()).feed(ChangeFeed.Kind.SECRET).in(after.id(), null)
                .before(describe(before)).after(describe(after)));
    }

    /** Deletes a project row; its environments and secrets are gone already. */
    public void delete(Connection c, ProjectRow p) throws SQLException {
        Sql.update(c, "DELETE FROM project WHERE id = ?", p.id());
        Journal.changed(c, Journal.Change.of("delete", "project", p.workspaceId(), p.id()).feed(ChangeFeed.Kind.SECRET).in(p.id(), null).before(describe(p)));
    }

    private static java.util.Map<String, Object> describe(ProjectRow p) {
        return Journal.fields("name", p.name(), "slug", p.slug(), "teamId", p.teamId());
    }

    public List<ProjectRow> listByTeam(Connection c, String teamId) throws SQLException {
        return Sql.list(c, SELECT + "WHERE team_id = ? ORDER BY name, id", ProjectStore::read, teamId);
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
