package dev.ekvault.server.workspace;

import dev.ekvault.server.wire.JsonInput;
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
        router.patch(path + "/{env}", "project", ex -> {
            JsonInput body = ex.body();
            Boolean overrides = body.optionalJson("hasPersonalOverrides") == null ? null : body.optionalBoolean("hasPersonalOverrides", false);
            return environments.update(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("env"), body.optionalString("name", null), overrides);
        });
        router.post(path + "/{env}/rotate-key", "project", ex -> environments.rotateKey(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("env")));
        router.delete(path + "/{env}", "project", ex -> {
            environments.delete(ex.caller(), ex.path("ws"), ex.path("prj"), ex.path("env"));
            return Reply.noContent();
        });
    }
}
