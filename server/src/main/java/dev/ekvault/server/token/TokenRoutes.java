package dev.ekvault.server.token;

import dev.ekvault.server.workspace.ScopeResolver;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

/** {@code /v1/workspace/{ws}/tokens} and the credentials table {@code /v1/workspace/{ws}/credentials}. */
public final class TokenRoutes {
    private TokenRoutes() {}

    public static void register(Router router, TokenService tokens) {
        String base = "/v1/workspace/{ws}/tokens";
        router.get(base, "tokens", ex -> tokens.list(ex.caller(), ex.path("ws")));
        router.post(base, "tokens", ex -> {
            JsonInput body = ex.body();
            return Reply.created(tokens.create(ex.caller(), ex.path("ws"), body.requiredString("name"),
                    body.requiredString("permission"), ScopeResolver.read(body.optionalObject("scope")), body.requiredString("expiresIn")));
        });
        router.post(base + "/cli", "tokens", ex -> tokens.createCli(ex.caller(), ex.path("ws"),
                FieldRules.uuid(ex.body().requiredString("environmentId"), "environmentId")));
        router.post(base + "/{id}/rotate", "tokens", ex -> tokens.rotate(ex.caller(), ex.path("ws"), ex.path("id")));
        router.delete(base + "/{id}", "tokens", ex -> {
            tokens.revoke(ex.caller(), ex.path("ws"), ex.path("id"));
            return Reply.noContent();
        });
        router.get("/v1/workspace/{ws}/credentials", "tokens", ex -> tokens.credentialsTable(ex.caller(), ex.path("ws")));
    }

}
