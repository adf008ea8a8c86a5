package dev.ekvault.server.workspace;

import dev.ekvault.api.MyAccess;
import dev.ekvault.api.Workspace;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.store.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** Workspaces as callers see them: a credential belongs to one workspace, and any other is "not found". */
public final class WorkspaceService {
    private final Database database;
    private final WorkspaceStore store;

    public WorkspaceService(Database database, WorkspaceStore store) {
        this.database = database;
        this.store = store;
    }

    public List<Workspace> list(Caller caller) {
        WorkspaceStore.WorkspaceRow row = database.read(c -> store.find(c, caller.workspaceId()));
        return row == null ? List.of() : List.of(new Workspace(row.id(), row.name(), row.slug(), row.ownerId()));
    }

    /** The caller's own effective rights in the workspace, in the members' and tokens' shapes. */
    public MyAccess me(Caller caller, String workspaceRef) {
        WorkspaceStore.WorkspaceRow ws = database.read(c -> resolve(c, caller, workspaceRef));
        return new MyAccess(caller.userId(), caller.role().wire(), caller.permission().wire, ScopeResolver.wire(caller.scope()),
                caller.userId().equals(ws.ownerId()), caller.kind().wire);
    }

    /** The email of each member of a workspace, by user id. */
    public java.util.Map<String, String> memberEmails(Connection c, String workspaceId) throws SQLException {
        return store.memberEmails(c, workspaceId);
    }

    /** The caller's workspace named by slug or id in a path; 404 for any other, existing or not. */
    public WorkspaceStore.WorkspaceRow resolve(Connection c, Caller caller, String reference) throws SQLException {
        WorkspaceStore.WorkspaceRow row = store.find(c, reference);
        if (row == null || !row.id().equals(caller.workspaceId())) throw ApiException.notFound("workspace");
        return row;
    }
}
