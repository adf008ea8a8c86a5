package dev.ekvault.server.workspace;

import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** SQL for environments. Rows carry their team id (through the project) so scope checks need no second query. */
public final class EnvironmentStore {
    public record EnvironmentRow(String id, String workspaceId, String projectId, String teamId, String name,
                                 boolean hasPersonalOverrides, long createdAt) {}

    private static final String SELECT = "SELECT e.id, e.workspace_id, e.project_id, p.team_id, e.name, e.has_personal_overrides, "
            + "e.created_at FROM environment e JOIN project p ON p.id = e.project_id ";

    public void insert(Connection c, EnvironmentRow e) throws SQLException {
        Sql.update(c, "INSERT INTO environment (id, workspace_id, project_id, name, has_personal_overrides, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                e.id(), e.workspaceId(), e.projectId(), e.name(), e.hasPersonalOverrides(), e.createdAt());
        Journal.changed(c, change("create", e).after(describe(e)));
    }

    public void update(Connection c, EnvironmentRow before, EnvironmentRow after) throws SQLException {
        Sql.update(c, "UPDATE environment SET name = ?, has_personal_overrides = ? WHERE id = ?", after.name(), after.hasPersonalOverrides(),
                after.id());
        Journal.changed(c, change("update", after).before(describe(before)).after(describe(after)));
    }

    /** Deletes an environment row; its values and data keys are gone already. */
    public void delete(Connection c, EnvironmentRow e) throws SQLException {
        Sql.update(c, "DELETE FROM environment WHERE id = ?", e.id());
        Journal.changed(c, change("delete", e).before(describe(e)));
    }

    /** The project's environments changed: other nodes and this one's secret cache drop the project. */
    private static Journal.Change change(String action, EnvironmentRow e) {
        return Journal.Change.of(action, "environment", e.workspaceId(), e.id()).feed(ChangeFeed.Kind.SECRET).in(e.projectId(), e.id());
    }

    private static java.util.Map<String, Object> describe(EnvironmentRow e) {
        return Journal.fields("name", e.name(), "hasPersonalOverrides", e.hasPersonalOverrides());
    }

    public List<EnvironmentRow> listByProject(Connection c, String projectId) throws SQLException {
        return Sql.list(c, SELECT + "WHERE e.project_id = ? ORDER BY e.created_at, e.name", EnvironmentStore::read, projectId);
    }

    /** An environment of the given workspace by id (used to validate scopes), or null. */
    public EnvironmentRow find(Connection c, String workspaceId, String environmentId) throws SQLException {
        return Sql.one(c, SELECT + "WHERE e.workspace_id = ? AND e.id = ?", EnvironmentStore::read, workspaceId, environmentId);
    }

    public boolean nameTaken(Connection c, String projectId, String name) throws SQLException {
        return Sql.exists(c, "SELECT 1 FROM environment WHERE project_id = ? AND name = ?", projectId, name);
    }

    private static EnvironmentRow read(ResultSet r) throws SQLException {
        return new EnvironmentRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getBoolean(6), r.getLong(7));
    }
}
