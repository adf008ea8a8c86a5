package dev.ekvault.server.token;

import dev.ekvault.server.http.FieldRules;
import dev.ekvault.server.http.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;

import java.util.List;

/** {@code /v1/workspace/{ws}/tokens}. */
public final class TokenRoutes {
    private static final int MAX_SCOPE_ENTRIES = 200;

    private TokenRoutes() {}

    public static void register(Router router, TokenService tokens) {
        router.post("/v1/workspace/{ws}/tokens", "tokens", ex -> {
            JsonInput body = ex.body();
            JsonInput scope = body.optionalObject("scope");
            TokenService.ScopeRequest scopeRequest = scope == null ? null : new TokenService.ScopeRequest(
                    scope.optionalBoolean("all", false), ids(scope, "teams"), ids(scope, "projects"), ids(scope, "environments"));
            return Reply.created(tokens.create(ex.caller(), ex.path("ws"), body.requiredString("name"),
                    body.requiredString("permission"), scopeRequest, body.requiredString("expiresIn")));
        });
    }

    private static List<String> ids(JsonInput scope, String field) {
        if (!scope.has(field)) return List.of();
        return scope.requiredArray(field, MAX_SCOPE_ENTRIES, e -> FieldRules.uuid(e.asString(), e.path()));
    }
}
