package dev.ekvault.server.auth;

import dev.ekvault.server.jwt.JwtIssuer;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.audit.EventLog;
import dev.ekvault.server.wire.BearerToken;
import dev.ekvault.api.AccessToken;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.ratelimit.RateLimit;
import dev.ekvault.server.ratelimit.SharedRateLimiter;

import java.time.Duration;

/**
 * {@code POST /v1/auth/exchange}: an {@code ek_live_} token (in the Bearer header, or as {@code {"token"}} in the
 * body) for a short-lived JWT. Limited per token across every node sharing the database; the token is validated
 * first, so a flood of wrong guesses never touches a real token's allowance (the per-address limit meets those).
 */
public final class ExchangeRoutes {
    private ExchangeRoutes() {}

    public static void register(Router router, Authentication authentication, JwtIssuer issuer, SharedRateLimiter limiter,
                                int exchangesPerMinute, Duration lifetime, EventLog audit) {
        router.publicRoute("POST", "/v1/auth/exchange", "auth", ex -> {
            String token = BearerToken.from(ex.header("Authorization"));
            if (token == null) token = ex.body().optionalString("token", null);
            if (token == null) throw ApiException.unauthorized(Refusal.MISSING);
            Caller caller = authentication.apiToken(token);
            RateLimit.Decision decision = limiter.hit("exchange:" + caller.credentialId(), exchangesPerMinute);
            decision.writeHeaders(ex.responseHeaders());
            if (!decision.allowed()) {
                throw new ApiException(ErrorCode.TOO_MANY_REQUESTS, "this token may be exchanged " + exchangesPerMinute
                        + " times a minute; reuse the access token you have (retry after " + decision.retryAfterSeconds() + " seconds)");
            }
            String accessToken = issuer.issue(caller.credentialId(), caller.workspaceId(), caller.userId());
            audit.exchanged(caller, lifetime.toSeconds());
            return new AccessToken(accessToken, lifetime.toSeconds(), "Bearer");
        });
    }
}
