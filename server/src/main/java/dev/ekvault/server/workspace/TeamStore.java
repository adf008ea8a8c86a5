package dev.ekvault.server.workspace;

import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** SQL for teams. */
public final class TeamStore {
    public record TeamRow(String id, String workspaceId, String name, long createdAt) {}

    private static final String SELECT = "SELECT id, workspace_id, name, created_at FROM team ";

    public void insert(Connection c, TeamRow t) throws SQLException {
        Sql.update(c, "INSERT INTO team (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)", t.id(), t.workspaceId(), t.name(), t.createdAt());
        Journal.changed(c, Journal.Change.of("create", "team", t.workspaceId(), t.id()).after(Journal.fields("name", t.name())));
    }

    public void rename(Connection c, TeamRow t, String name) throws SQLException {
        Sql.update(c, "UPDATE team SET name = ? WHERE id = ?", name, t.id());
        Journal.changed(c, Journal.Change.of("update", "team", t.workspaceId(), t.id()).before(Journal.fields("name", t.name()))
                .after(Journal.fields("name", name)));
    }

    /** Deletes a team row; its projects are gone already (ProjectStore.delete). */
    public void delete(Connection c, TeamRow t) throws SQLException {
        Sql.update(c, "DELETE FROM team WHERE id = ?", t.id());
        Journal.changed(c, Journal.Change.of("delete", "team", t.workspaceId(), t.id()).before(Journal.fields("name", t.name())));
    }

    public List<TeamRow> list(Connection c, String workspaceId) throws SQLException {
        return Sql.list(c, SELECT + "WHERE workspace_id = ? ORDER BY created_at, name", TeamStore::read, workspaceId);
    }

    public TeamRow find(Connection c, String workspaceId, String teamId) throws SQLException {
        return Sql.one(c, SELECT + "WHERE workspace_id = ? AND id = ?", TeamStore::read, workspaceId, teamId);
    }

    public boolean nameTaken(Connection c, String workspaceId, String name) throws SQLException {
        return Sql.exists(c, "SELECT 1 FROM team WHERE workspace_id = ? AND name = ?", workspaceId, name);
    }

    private static TeamRow read(ResultSet r) throws SQLException {
        return new TeamRow(r.getString(1), r.getString(2), r.getString(3), r.getLong(4));
    }
}
