package dev.ekvault.server.workspace;

import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

/** {@code /v1/workspace/{ws}/project/{prj}/environment}. */
public final class EnvironmentRoutes {
    private EnvironmentRoutes() {}

    public static void register(Router router, EnvironmentService environments) {
        String path = "/v1/workspace/{ws}/project/{prj}/environment";
        router.get(path, "project", ex -> environments.list(ex.caller(), ex.path("ws"), ex.path("prj")));
        router.post(path, "project", ex -> Reply.created(environments.create(ex.caller(), ex.path("ws"), ex.path("prj"),
                ex.body().requiredString("name"), ex.body().optionalBoolean("hasPersonalOverrides", false))));
    }
}
