package dev.ekvault.server.auth;

import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.access.CredentialUsage;
import dev.ekvault.server.audit.EventLog;
import dev.ekvault.server.jwt.JwksRoutes;
import dev.ekvault.server.jwt.JwtIssuer;
import dev.ekvault.server.jwt.JwtVerifier;
import dev.ekvault.server.jwt.SigningKeys;
import dev.ekvault.server.platform.Platform;
import dev.ekvault.server.ratelimit.SharedRateLimiter;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.workspace.WorkspaceFeature;

import java.time.Duration;

/**
 * Authentication installed: the credentials and memberships in memory (kept current by the change feed), the JWT
 * signing keys with their rotation, the token exchange and the key set, the shared rate limit. What other features
 * use of it is this record.
 */
public record AuthFeature(CredentialStore credentials, CredentialUsage usage, AccessSnapshot snapshot, Authentication authentication,
                          SigningKeys signingKeys, JwtIssuer issuer, SharedRateLimiter rateLimiter, JwtExchange exchange,
                          JwtVerifier jwts) {

    public static AuthFeature install(Platform p, WorkspaceFeature tree, EventLog audit) {
        CredentialStore credentials = new CredentialStore(p.json());
        CredentialUsage usage = new CredentialUsage(p.database(), credentials);
        // closed after the last request, so its use is flushed too
        p.jobs().service("credential usage", () -> usage.start(5_000), usage::close);
        AccessSnapshot snapshot = new AccessSnapshot(p.database(), credentials, tree.workspaceStore(), Duration.ofSeconds(1));
        p.changes().listen(ChangeFeed.Kind.CREDENTIAL, change -> snapshot.reloadCredential(change.entityId()));
        p.changes().listen(ChangeFeed.Kind.MEMBER, change -> snapshot.reloadMember(change.workspaceId(), change.entityId()));
        p.changes().onFullReload(snapshot::loadAll);
        snapshot.loadAll();

        SigningKeys signingKeys = new SigningKeys(p.database(), p.masterKey(), p.config().jwt(), p.clock());
        p.changes().listen(ChangeFeed.Kind.SIGNING_KEY, change -> signingKeys.reload());
        p.changes().onFullReload(signingKeys::reload);
        // rotateIfDue also re-reads the key set, which is how a node learns of a rotation made elsewhere
        p.jobs().every("signing-key rotation", Duration.ofSeconds(30), () -> {
            signingKeys.rotateIfDue();
            signingKeys.prune();
        });
        SharedRateLimiter rateLimiter = new SharedRateLimiter(p.database(), p.clock());
        p.jobs().every("rate-limit window pruning", Duration.ofSeconds(30), rateLimiter::prune);

        JwtIssuer issuer = new JwtIssuer(p.config().jwt(), signingKeys, p.clock());
        JwtVerifier jwts = new JwtVerifier(p.config().jwt(), signingKeys, p.clock());
        Authentication authentication = new Authentication(snapshot, p.changes(), usage, jwts, p.clock());
        JwtExchange exchange = new JwtExchange(issuer, rateLimiter, p.config().rateLimits().exchangesPerTokenPerMinute(),
                p.config().jwt().lifetime(), audit, p.clock());
        ExchangeRoutes.register(p.router(), authentication, exchange);
        JwksRoutes.register(p.router(), signingKeys);
        return new AuthFeature(credentials, usage, snapshot, authentication, signingKeys, issuer, rateLimiter, exchange, jwts);
    }
}
