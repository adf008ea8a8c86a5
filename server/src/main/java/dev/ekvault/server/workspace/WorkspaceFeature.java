package dev.ekvault.server.workspace;

import dev.ekvault.server.platform.Platform;

/**
 * The workspace tree installed: workspaces, people's accounts and memberships, teams, projects, environments and the
 * scope resolver, with their routes. What other features use of it is this record; features that keep rows under the
 * tree's nodes register with {@code dependents} so that deleting a node deletes them too.
 */
public record WorkspaceFeature(WorkspaceStore workspaceStore, UserStore users, TeamStore teamStore, ProjectStore projectStore,
                               EnvironmentStore environmentStore, WorkspaceService workspaces, ProjectService projects,
                               ScopeResolver scopes, TreeDependents dependents) {

    public static WorkspaceFeature install(Platform p) {
        WorkspaceStore workspaceStore = new WorkspaceStore(p.json());
        TeamStore teamStore = new TeamStore();
        ProjectStore projectStore = new ProjectStore();
        EnvironmentStore environmentStore = new EnvironmentStore();
        WorkspaceService workspaces = new WorkspaceService(p.database(), workspaceStore);
        TreeDependents dependents = new TreeDependents();
        TreeCascade cascade = new TreeCascade(teamStore, projectStore, environmentStore, p.dataKeys(), dependents);
        TeamService teams = new TeamService(p.database(), teamStore, projectStore, workspaces, cascade, p.clock());
        ProjectService projects = new ProjectService(p.database(), projectStore, teamStore, workspaces, cascade, p.clock());
        EnvironmentService environments = new EnvironmentService(p.database(), environmentStore, projects, p.dataKeys(), cascade, p.clock());
        WorkspaceRoutes.register(p.router(), workspaces);
        TeamRoutes.register(p.router(), teams);
        ProjectRoutes.register(p.router(), projects);
        EnvironmentRoutes.register(p.router(), environments);
        return new WorkspaceFeature(workspaceStore, new UserStore(), teamStore, projectStore, environmentStore, workspaces, projects,
                new ScopeResolver(teamStore, projectStore, environmentStore), dependents);
    }
}
