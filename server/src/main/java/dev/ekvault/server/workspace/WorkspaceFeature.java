package dev.ekvault.server.workspace;

import dev.ekvault.server.platform.Platform;

/**
 * The workspace tree installed: workspaces, people's accounts and memberships, teams, projects, environments and the
 * scope resolver, with their routes. What other features use of it is this record.
 */
public record WorkspaceFeature(WorkspaceStore workspaceStore, UserStore users, TeamStore teamStore, ProjectStore projectStore,
                               EnvironmentStore environmentStore, WorkspaceService workspaces, ProjectService projects,
                               ScopeResolver scopes) {

    public static WorkspaceFeature install(Platform p) {
        WorkspaceStore workspaceStore = new WorkspaceStore(p.json());
        TeamStore teamStore = new TeamStore();
        ProjectStore projectStore = new ProjectStore();
        EnvironmentStore environmentStore = new EnvironmentStore();
        WorkspaceService workspaces = new WorkspaceService(p.database(), workspaceStore);
        TeamService teams = new TeamService(p.database(), teamStore, projectStore, workspaces, p.clock());
        ProjectService projects = new ProjectService(p.database(), projectStore, teamStore, workspaces, p.clock());
        EnvironmentService environments = new EnvironmentService(p.database(), environmentStore, projects, p.dataKeys(), p.clock());
        WorkspaceRoutes.register(p.router(), workspaces);
        TeamRoutes.register(p.router(), teams);
        ProjectRoutes.register(p.router(), projects);
        EnvironmentRoutes.register(p.router(), environments);
        return new WorkspaceFeature(workspaceStore, new UserStore(), teamStore, projectStore, environmentStore, workspaces, projects,
                new ScopeResolver(teamStore, projectStore, environmentStore));
    }
}
