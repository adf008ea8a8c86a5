package dev.ekvault.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.api.AccessToken;
import dev.ekvault.api.ErrorCode;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.audit.EventLog;
import dev.ekvault.server.jwt.JwtIssuer;
import dev.ekvault.server.ratelimit.RateLimit;
import dev.ekvault.server.ratelimit.SharedRateLimiter;
import dev.ekvault.server.wire.ApiException;
import org.eclipse.jetty.http.HttpFields;

import java.time.Clock;
import java.time.Duration;

/**
 * The one way an authenticated credential — an API token, or a workload identity whose cluster token was accepted —
 * becomes a JWT, for both exchange routes.
 *
 * <p>A credential exchanged again while the JWT this node issued it still has at least half its lifetime (and never
 * less than {@link #MIN_REUSE_SECONDS}) gets that JWT again, with the seconds it has left: no new signature and no
 * count against the exchange limit. Enkryptify's Java SDK exchanges before every uncached read and, refused at the
 * limit, falls back to its static token; answering the same JWT keeps it on JWTs. Nothing is weakened: the caller's
 * credential was authenticated just now (a revoked or expired one is refused before this), the JWT is checked against
 * its credential and the member's current rights on every use, as any other, and one signed by a key that has since
 * been rotated away is never answered again (the JWT then comes from the current key). Past half its lifetime a new
 * one is issued, so a client that refreshes a minute before expiry gets a fresh JWT rather than the same one again.
 */
public final class JwtExchange {
    /** A JWT is answered again only while it has at least this long left (a client refreshing 60 s early never loops). */
    static final long MIN_REUSE_SECONDS = 120;

    private record Issued(String jwt, String workspaceId, String userId, long expiresAt, String keyId) {}

    private final JwtIssuer issuer;
    private final SharedRateLimiter limiter;
    private final int exchangesPerMinute;
    private final long lifetimeSeconds;
    private final EventLog audit;
    private final Clock clock;
    /** The newest JWT this node issued to each credential, while it lives. */
    private final Cache<String, Issued> issued;

    public JwtExchange(JwtIssuer issuer, SharedRateLimiter limiter, int exchangesPerMinute, Duration lifetime, EventLog audit, Clock clock) {
        this.issuer = issuer;
        this.limiter = limiter;
        this.exchangesPerMinute = exchangesPerMinute;
        this.lifetimeSeconds = lifetime.toSeconds();
        this.audit = audit;
        this.clock = clock;
        this.issued = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(lifetime).build();
    }

    /**
     * The JWT for an authenticated caller: the one it was issued recently, or a new one within the limit per
     * credential across every node (429 with {@code Retry-After} past it; {@code what} names the credential in that
     * message). The exchange is an audit entry either way, durable before the JWT goes out.
     */
    public AccessToken exchange(Caller caller, HttpFields.Mutable responseHeaders, String what) {
        long now = Math.floorDiv(clock.millis(), 1000L);
        Issued recent = issued.getIfPresent(caller.credentialId());
        long left = recent == null ? 0 : recent.expiresAt() - now;
        String keyId = issuer.signingKeyId();
        if (recent != null && recent.workspaceId().equals(caller.workspaceId()) && recent.userId().equals(caller.userId())
                && left >= Math.max(MIN_REUSE_SECONDS, lifetimeSeconds / 2) && left <= lifetimeSeconds // not issued "in the future" (a clock set back)
                && recent.keyId().equals(keyId)) { // nor under a key rotated away since (a rotation may answer a leaked key)
            audit.exchanged(caller, left, true);
            return new AccessToken(recent.jwt(), left, "Bearer");
        }
        RateLimit.Decision decision = limiter.hit("exchange:" + caller.credentialId(), exchangesPerMinute);
        decision.writeHeaders(responseHeaders);
        if (!decision.allowed()) {
            throw new ApiException(ErrorCode.TOO_MANY_REQUESTS, "this " + what + " may be exchanged " + exchangesPerMinute
                    + " times a minute; reuse the access token you have (retry after " + decision.retryAfterSeconds() + " seconds)");
        }
        String jwt = issuer.issue(caller.credentialId(), caller.workspaceId(), caller.userId());
        audit.exchanged(caller, lifetimeSeconds, false);
        issued.put(caller.credentialId(), new Issued(jwt, caller.workspaceId(), caller.userId(), now + lifetimeSeconds, keyId));
        return new AccessToken(jwt, lifetimeSeconds, "Bearer");
    }
}
