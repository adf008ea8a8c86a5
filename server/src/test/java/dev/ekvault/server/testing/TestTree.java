package dev.ekvault.server.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.workspace.EnvironmentStore;
import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.workspace.ProjectStore;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Migrations;
import dev.ekvault.server.workspace.TeamStore;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.nio.file.Path;

/**
 * A fresh, migrated SQLite database in a folder, with the real stores to build a workspace tree (workspaces, teams,
 * projects, environments with their data keys) for tests of the classes that sit on those stores, without HTTP.
 */
public final class TestTree implements AutoCloseable {
    public final TestClock clock = new TestClock();
    public final ObjectMapper json = new ObjectMapper();
    public final Database database;
    public final MasterKey masterKey = MasterKey.fromBase64(MasterKey.generateBase64());
    public final DataKeys dataKeys;
    public final WorkspaceStore workspaces = new WorkspaceStore(json);
    public final TeamStore teams = new TeamStore();
    public final ProjectStore projects = new ProjectStore();
    public final EnvironmentStore environments = new EnvironmentStore();
    private final String ownerId = FieldRules.newId();

    public TestTree(Path folder) {
        this.database = new Database("jdbc:sqlite:" + folder.resolve("ek.db"), "", "", 2);
        Migrations.apply(database, clock);
        this.dataKeys = new DataKeys(masterKey, clock);
        dataKeys.verifyMasterKey(database);
        database.write(c -> {
            new dev.ekvault.server.workspace.UserStore().insert(c, ownerId, "owner@example.com", "owner", null, clock.millis());
            return null;
        });
    }

    /** A new workspace with this slug; returns its id. */
    public String workspace(String slug) {
        String id = FieldRules.newId();
        database.write(c -> {
            workspaces.insertWorkspace(c, new WorkspaceStore.WorkspaceRow(id, slug, slug, ownerId, clock.millis()));
            return null;
        });
        return id;
    }

    public String team(String workspaceId, String name) {
        String id = FieldRules.newId();
        database.write(c -> {
            teams.insert(c, new TeamStore.TeamRow(id, workspaceId, name, clock.millis()));
            return null;
        });
        return id;
    }

    public ProjectRow project(String workspaceId, String teamId, String slug) {
        ProjectRow row = new ProjectRow(FieldRules.newId(), workspaceId, teamId, slug, slug, clock.millis());
        database.write(c -> {
            projects.insert(c, row);
            return null;
        });
        return row;
    }

    /** An environment of the project, with its first data key, as the environment service makes one. */
    public EnvironmentRow environment(ProjectRow project, String name) {
        EnvironmentRow row = new EnvironmentRow(FieldRules.newId(), project.workspaceId(), project.id(), project.teamId(), name,
                false, clock.millis());
        database.write(c -> {
            environments.insert(c, row);
            dataKeys.createFor(c, row.workspaceId(), row.id());
            return null;
        });
        return row;
    }

    /** A static API token's caller (sees shared values only) with the given permission and scope. */
    public Caller caller(String workspaceId, Permission permission, Scope scope) {
        Credential credential = new Credential(FieldRules.newId(), workspaceId, Credential.Kind.STATIC, "test", "ek_live_t", permission,
                scope, false, ownerId, clock.millis(), null, null, null, null);
        return new Caller(workspaceId, ownerId, credential, Role.ADMIN, permission, scope);
    }

    @Override
    public void close() {
        database.close();
    }
}
