package dev.ekvault.server.workspace;

import dev.ekvault.server.http.Router;

/** {@code /v1/workspace}. */
public final class WorkspaceRoutes {
    private WorkspaceRoutes() {}

    public static void register(Router router, WorkspaceService workspaces) {
        router.get("/v1/workspace", "workspace", ex -> workspaces.list(ex.caller()));
        router.get("/v1/workspace/{ws}/me", "me", ex -> workspaces.me(ex.caller(), ex.path("ws")));
    }
}
