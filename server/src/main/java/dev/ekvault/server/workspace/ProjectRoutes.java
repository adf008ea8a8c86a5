package dev.ekvault.server.workspace;

import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

/** {@code /v1/workspace/{ws}/project}. */
public final class ProjectRoutes {
    private ProjectRoutes() {}

    public static void register(Router router, ProjectService projects) {
        router.get("/v1/workspace/{ws}/project", "project", ex -> projects.listByTeam(ex.caller(), ex.path("ws")));
        router.post("/v1/workspace/{ws}/project", "project", ex -> {
            JsonInput body = ex.body();
            return Reply.created(projects.create(ex.caller(), ex.path("ws"), body.requiredString("name"),
                    body.optionalString("slug", null), body.requiredString("teamId")));
        });
        String one = "/v1/workspace/{ws}/project/{prj}";
        router.get(one, "project", ex -> projects.get(ex.caller(), ex.path("ws"), ex.path("prj")));
        router.patch(one, "project", ex -> projects.update(ex.caller(), ex.path("ws"), ex.path("prj"),
                ex.body().optionalString("name", null), ex.body().optionalString("slug", null)));
        router.delete(one, "project", ex -> {
            projects.delete(ex.caller(), ex.path("ws"), ex.path("prj"));
            return Reply.noContent();
        });
    }
}
