package dev.ekvault.server.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.outbound.BoundedFetch;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The signing keys of the OIDC issuers that identities trust, fetched as kube-apiserver publishes them:
 * {@code <issuer>/.well-known/openid-configuration} (whose {@code issuer} must equal ours exactly), then its
 * {@code jwks_uri}. Only issuers an admin registered are ever fetched; nothing a token names is.
 *
 * <ul>
 *   <li>Each request has a connect and an overall timeout, follows no redirect, must answer 200 with
 *       {@code application/json} or {@code application/jwk-set+json}, and is read only up to a size cap.</li>
 *   <li>Key sets are cached per issuer. An unknown {@code kid} (the cluster rotated) or a set older than
 *       {@value #REFRESH_AFTER_MINUTES} minutes makes a refetch, but at most one per issuer per refetch interval, so
 *       a flood of made-up kids makes no flood of fetches; concurrent requests wait for the one fetch.</li>
 *   <li>When a fetch fails, the keys fetched before keep serving for up to {@value #MAX_STALE_HOURS} hours; with
 *       none, or for a kid they lack (the cluster may have rotated while its issuer is down), the answer is
 *       {@link Unavailable} (503 with Retry-After), never a 401 that blames the token.</li>
 *   <li>After a failed fetch the next is allowed after a short backoff (1 s, doubling to at most
 *       {@value #MAX_FAILURE_BACKOFF_SECONDS} s, never more than the refetch interval), not a whole refetch interval:
 *       when the issuer returns, tokens signed by its new keys are accepted within seconds.</li>
 * </ul>
 */
public final class IssuerKeys {
    private static final Logger LOG = Logger.getLogger(IssuerKeys.class.getName());
    static final long REFRESH_AFTER_MINUTES = 60;
    static final long MAX_STALE_HOURS = 24;
    private static final long REFRESH_AFTER_MILLIS = Duration.ofMinutes(REFRESH_AFTER_MINUTES).toMillis();
    private static final long MAX_STALE_MILLIS = Duration.ofHours(MAX_STALE_HOURS).toMillis();
    private static final long NEVER = Long.MIN_VALUE;
    static final long MAX_FAILURE_BACKOFF_SECONDS = 5;

    /** The issuer's keys cannot be had right now; the client should retry after {@code retryAfterSeconds}. */
    public static final class Unavailable extends Exception {
        public final long retryAfterSeconds;

        Unavailable(long retryAfterSeconds) {
            super("issuer keys unavailable", null, false, false);
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    /** What went wrong with one fetch, for the log. */
    private static final class FetchFailed extends Exception {
        FetchFailed(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final class IssuerState {
        final ReentrantLock lock = new ReentrantLock();
        volatile JWKSet keys;
        volatile long fetchedAt = NEVER;
        long lastAttempt = NEVER; // guarded by lock
        boolean lastFailed;       // guarded by lock
        int failures;             // consecutive failed fetches, guarded by lock
    }

    private final Config.Oidc config;
    private final Clock clock;
    private final BoundedFetch fetcher;
    private final Cache<String, IssuerState> issuers = Caffeine.newBuilder().maximumSize(10_000).expireAfterAccess(Duration.ofDays(2)).build();

    public IssuerKeys(Config.Oidc config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.fetcher = new BoundedFetch(config.fetchTimeout(), config.fetchTimeout());
    }

    /**
     * The key {@code kid} of {@code issuer}, or null when the issuer's current key set (fetched within the refetch
     * interval) does not hold it.
     *
     * @throws Unavailable when the keys cannot be fetched and none fetched before can answer
     */
    public JWK key(String issuer, String kid) throws Unavailable {
        IssuerState state = issuers.get(issuer, i -> new IssuerState());
        JWK fresh = freshKey(state, kid, clock.millis());
        if (fresh != null) return fresh;
        state.lock.lock();
        try {
            long now = clock.millis();
            fresh = freshKey(state, kid, now); // another request may have fetched while this one waited
            if (fresh != null) return fresh;
            if (state.lastAttempt == NEVER || now - state.lastAttempt >= nextAttemptGap(state)) {
                state.lastAttempt = now;
                try {
                    state.keys = fetch(issuer);
                    state.fetchedAt = now;
                    state.lastFailed = false;
                    state.failures = 0;
                } catch (FetchFailed e) {
                    state.lastFailed = true;
                    state.failures++;
                    LOG.warning("could not fetch the signing keys of OIDC issuer " + WorkloadIdentityRules.forLog(issuer) + ": " + e.getMessage()
                            + (state.keys == null ? "; its exchanges answer 503 until a fetch succeeds" : "; the keys fetched before stay in use"));
                }
            }
            JWKSet keys = state.keys;
            if (keys != null && now - state.fetchedAt < MAX_STALE_MILLIS) {
                JWK known = keys.getKeyByKeyId(kid);
                if (known != null) return known;
                if (!state.lastFailed) return null; // the issuer's current set truly lacks it
            }
            long retryAt = state.lastAttempt + nextAttemptGap(state);
            throw new Unavailable(Math.max(1, (retryAt - now + 999) / 1000));
        } finally {
            state.lock.unlock();
        }
    }

    /**
     * How long after the last fetch the next may start: after a success, the refetch interval (a flood of made-up kids
     * makes one fetch per interval); after failures, a backoff of 1 s doubling per failure up to
     * {@value #MAX_FAILURE_BACKOFF_SECONDS} s (and never above the interval), so a returning issuer is seen at once.
     */
    private long nextAttemptGap(IssuerState state) {
        long interval = config.refetchInterval().toMillis();
        if (!state.lastFailed) return interval;
        long backoff = Math.min(MAX_FAILURE_BACKOFF_SECONDS * 1000, 1000L << Math.min(10, Math.max(0, state.failures - 1)));
        return Math.min(interval, backoff);
    }

    private static JWK freshKey(IssuerState state, String kid, long now) {
        JWKSet keys = state.keys;
        if (keys == null || now - state.fetchedAt >= REFRESH_AFTER_MILLIS) return null;
        return keys.getKeyByKeyId(kid);
    }

    /** Discovery, then the key set it names; only usable public signing keys are kept. */
    private JWKSet fetch(String issuer) throws FetchFailed {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        JsonNode discovery = parse(get(base + "/.well-known/openid-configuration", "the discovery URL"), "the discovery document");
        JsonNode named = discovery.get("issuer");
        if (named == null || !named.isTextual() || !named.textValue().equals(issuer)) {
            throw new FetchFailed("the discovery document names another issuer");
        }
        JsonNode jwksUri = discovery.get("jwks_uri");
        if (jwksUri == null || !jwksUri.isTextual()) throw new FetchFailed("the discovery document has no jwks_uri");
        byte[] body = get(jwksUri.textValue(), "jwks_uri");
        JWKSet set;
        try {
            set = JWKSet.parse(new String(body, StandardCharsets.UTF_8));
        } catch (ParseException | RuntimeException e) {
            throw new FetchFailed("the JWKS is not a valid JWK set");
        }
        List<JWK> usable = set.toPublicJWKSet().getKeys().stream().filter(ClusterToken::isUsableSigningKey).toList();
        if (usable.isEmpty()) throw new FetchFailed("the JWKS holds no usable signing key");
        return new JWKSet(usable);
    }

    /** One document: it must answer 200, labelled JSON, within the size cap and the fetch timeout. */
    private byte[] get(String url, String what) throws FetchFailed {
        try {
            URI uri = BoundedFetch.url(url, what, config.allowHttpIssuers());
            BoundedFetch.Answer answer = fetcher.get(uri, config.maxDocumentBytes());
            if (answer.status() != 200) throw new FetchFailed(BoundedFetch.forLog(uri) + " answered HTTP " + answer.status());
            if (!answer.isJson()) {
                throw new FetchFailed(BoundedFetch.forLog(uri) + " answered Content-Type " + WorkloadIdentityRules.forLog(answer.mediaType()) + ", not JSON");
            }
            return answer.body();
        } catch (BoundedFetch.Failed e) {
            throw new FetchFailed(e.getMessage());
        }
    }

    private static JsonNode parse(byte[] body, String what) throws FetchFailed {
        try {
            JsonNode node = ClusterToken.JSON.readTree(body);
            if (node != null && node.isObject()) return node;
        } catch (IOException | RuntimeException e) {
            // refused below
        }
        throw new FetchFailed(what + " is not a JSON object");
    }
}
