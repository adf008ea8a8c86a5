package dev.ekvault.server.workspace;

import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

/** {@code /v1/workspace/{ws}/team}. */
public final class TeamRoutes {
    private TeamRoutes() {}

    public static void register(Router router, TeamService teams) {
        router.get("/v1/workspace/{ws}/team", "team", ex -> teams.list(ex.caller(), ex.path("ws")));
        router.post("/v1/workspace/{ws}/team", "team",
                ex -> Reply.created(teams.create(ex.caller(), ex.path("ws"), ex.body().requiredString("name"))));
        router.patch("/v1/workspace/{ws}/team/{team}", "team",
                ex -> teams.rename(ex.caller(), ex.path("ws"), ex.path("team"), ex.body().requiredString("name")));
        router.delete("/v1/workspace/{ws}/team/{team}", "team", ex -> {
            teams.delete(ex.caller(), ex.path("ws"), ex.path("team"));
            return Reply.noContent();
        });
    }
}
