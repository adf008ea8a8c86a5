package dev.ekvault.server.token;

import dev.ekvault.server.access.ScopeResolver;
import dev.ekvault.server.http.FieldRules;
import dev.ekvault.server.http.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

import java.util.List;

/** {@code /v1/workspace/{ws}/tokens} and the credentials table {@code /v1/workspace/{ws}/credentials}. */
public final class TokenRoutes {
    private static final int MAX_SCOPE_ENTRIES = 200;

    private TokenRoutes() {}

    public static void register(Router router, TokenService tokens) {
        String base = "/v1/workspace/{ws}/tokens";
        router.get(base, "tokens", ex -> tokens.list(ex.caller(), ex.path("ws")));
        router.post(base, "tokens", ex -> {
            JsonInput body = ex.body();
            return Reply.created(tokens.create(ex.caller(), ex.path("ws"), body.requiredString("name"),
                    body.requiredString("permission"), scopeRequest(body.optionalObject("scope")), body.requiredString("expiresIn")));
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

    /** The wire's {@code scope} object; absent means all. Members' scopes are read the same way. */
    public static ScopeResolver.Request scopeRequest(JsonInput scope) {
        return scope == null ? null : new ScopeResolver.Request(scope.optionalBoolean("all", false), ids(scope, "teams"),
                ids(scope, "projects"), ids(scope, "environments"));
    }

    private static List<String> ids(JsonInput scope, String field) {
        if (!scope.has(field)) return List.of();
        return scope.requiredArray(field, MAX_SCOPE_ENTRIES, e -> FieldRules.uuid(e.asString(), e.path()));
    }
}
