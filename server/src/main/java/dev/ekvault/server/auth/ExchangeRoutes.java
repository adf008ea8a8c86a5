package dev.ekvault.server.auth;

import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.BearerToken;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.http.Router;

/**
 * {@code POST /v1/auth/exchange}: an {@code ek_live_} token (in the Bearer header, or as {@code {"token"}} in the
 * body) for a short-lived JWT ({@link JwtExchange}: a recent JWT answered again, else limited per token across every
 * node sharing the database); the token is validated first, so a flood of wrong guesses never touches a real token's
 * allowance (the per-address limit meets those).
 */
public final class ExchangeRoutes {
    private ExchangeRoutes() {}

    public static void register(Router router, Authentication authentication, JwtExchange exchange) {
        router.publicRoute("POST", "/v1/auth/exchange", "auth", ex -> {
            String token = BearerToken.from(ex.header("Authorization"));
            if (token == null) token = ex.body().optionalString("token", null);
            if (token == null) throw ApiException.unauthorized(Refusal.MISSING);
            Caller caller = authentication.apiToken(token);
            return exchange.exchange(caller, ex.responseHeaders(), "token");
        });
    }
}
