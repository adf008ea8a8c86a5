package dev.ekvault.server.workload;

import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.auth.JwtExchange;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.http.Reply;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.ratelimit.RateLimit;
import dev.ekvault.server.workspace.ScopeResolver;

import java.time.Duration;

/**
 * {@code /v1/workspace/{ws}/oidc} (workload identities, admins only) and {@code POST /v1/auth/oidc/exchange}: a
 * cluster's service-account token, with no Authorization header, for a short-lived JWT of the identity it proves.
 */
public final class WorkloadIdentityRoutes {
    private WorkloadIdentityRoutes() {}

    public static void register(Router router, WorkloadIdentityService oidc, JwtExchange exchange) {
        String base = "/v1/workspace/{ws}/oidc";
        router.get(base, "oidc", ex -> oidc.list(ex.caller(), ex.path("ws")));
        router.post(base, "oidc", ex -> {
            JsonInput body = ex.body();
            return Reply.created(oidc.create(ex.caller(), ex.path("ws"), new WorkloadIdentityService.Settings(body.requiredString("name"),
                    body.requiredString("issuer"), body.requiredString("audience"), body.requiredString("subject"),
                    body.requiredString("permission"), ScopeResolver.read(body.optionalObject("scope")), body.optionalJson("jwks"), false)));
        });
        router.put(base + "/{id}", "oidc", ex -> {
            JsonInput body = ex.body();
            return oidc.update(ex.caller(), ex.path("ws"), ex.path("id"), new WorkloadIdentityService.Settings(body.optionalString("name", null),
                    body.optionalString("issuer", null), body.optionalString("audience", null), body.optionalString("subject", null),
                    body.optionalString("permission", null), ScopeResolver.read(body.optionalObject("scope")), body.optionalJson("jwks"),
                    body.isExplicitNull("jwks")));
        });
        router.delete(base + "/{id}", "oidc", ex -> {
            oidc.delete(ex.caller(), ex.path("ws"), ex.path("id"));
            return Reply.noContent();
        });

        router.publicRoute("POST", "/v1/auth/oidc/exchange", "auth", ex -> {
            JsonInput body = ex.body();
            String token = body.optionalString("token", null);
            String workspace = body.requiredString("workspaceId");
            if (token == null) throw ApiException.unauthorized(Refusal.MISSING);
            Caller caller;
            try {
                caller = oidc.exchange(workspace, token);
            } catch (IssuerKeys.Unavailable e) {
                ex.responseHeaders().put(RateLimit.RETRY_AFTER_HEADER, Long.toString(e.retryAfterSeconds));
                throw new ApiException(ErrorCode.UNAVAILABLE, "the cluster's signing keys cannot be fetched right now; retry later");
            }
            // per identity, across every node: a pod that exchanges on every request gets its recent JWT again, or is
            // told to reuse it past the limit
            return exchange.exchange(caller, ex.responseHeaders(), "identity");
        });
    }
}
