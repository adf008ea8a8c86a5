package dev.ekvault.server.sso;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.outbound.BoundedFetch;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The configured OpenID Connect provider as this server uses it: its discovery document
 * ({@code <issuer>/.well-known/openid-configuration}, whose {@code issuer} must equal ours exactly), its signing keys
 * ({@code jwks_uri}) and its token endpoint. Only URLs from the operator's issuer are ever fetched; nothing a browser
 * or a token names is.
 *
 * <p>Both documents are cached: the discovery document for {@value #REFRESH_MINUTES} minutes, the keys until an ID
 * token names a {@code kid} we do not hold (the provider rotated). A fetch is tried at most once per
 * {@value #RETRY_SECONDS} seconds, so a flood of made-up kids or a dead provider makes no flood of requests; when a
 * fetch fails, what was fetched before keeps serving for up to {@value #MAX_STALE_HOURS} hours.
 */
final class Provider {
    private static final Logger LOG = Logger.getLogger(Provider.class.getName());
    static final long REFRESH_MINUTES = 60;
    static final long RETRY_SECONDS = 10;
    static final long MAX_STALE_HOURS = 24;
    static final int MAX_DOCUMENT_BYTES = 256 * 1024;
    static final int MAX_TOKEN_ANSWER_BYTES = 64 * 1024;
    // a provider slower than this is down for the person waiting at the browser
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final long NEVER = Long.MIN_VALUE;

    /** What we use of the discovery document. {@code secretInBody}: the provider wants client_secret_post. */
    record Metadata(URI authorizationEndpoint, URI tokenEndpoint, URI jwksUri, boolean secretInBody) {}

    /** The token endpoint's answer: the ID token (not yet validated), or null when there was none. */
    record Tokens(String idToken) {}

    private final Config.Sso config;
    private final BoundedFetch fetcher = new BoundedFetch(CONNECT_TIMEOUT, DEADLINE);
    private final ObjectMapper json;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock; read without it through the volatile fields
    private volatile Metadata metadata;
    private volatile long metadataFetchedAt = NEVER;
    private long lastMetadataAttempt = NEVER;
    private volatile JWKSet keys;
    private volatile long keysFetchedAt = NEVER;
    private long lastKeysAttempt = NEVER;

    Provider(Config.Sso config, ObjectMapper json, Clock clock) {
        this.config = config;
        this.json = json;
        this.clock = clock;
    }

    Metadata metadata() {
        long now = clock.millis();
        Metadata known = metadata;
        if (known != null && now - metadataFetchedAt < Duration.ofMinutes(REFRESH_MINUTES).toMillis()) return known;
        lock.lock();
        try {
            now = clock.millis();
            if (metadata != null && now - metadataFetchedAt < Duration.ofMinutes(REFRESH_MINUTES).toMillis()) return metadata;
            if (lastMetadataAttempt == NEVER || now - lastMetadataAttempt >= Duration.ofSeconds(RETRY_SECONDS).toMillis()) {
                lastMetadataAttempt = now;
                try {
                    metadata = fetchMetadata();
                    metadataFetchedAt = now;
                } catch (SsoFailure e) {
                    LOG.warning("single sign-on: could not fetch the provider's discovery document: " + e.getMessage()
                            + (metadata == null ? "" : "; the one fetched before stays in use"));
                }
            }
            if (metadata != null && now - metadataFetchedAt < Duration.ofHours(MAX_STALE_HOURS).toMillis()) return metadata;
            throw SsoFailure.unavailable("the provider's discovery document is unavailable");
        } finally {
            lock.unlock();
        }
    }

    private Metadata fetchMetadata() {
        String base = config.issuer().endsWith("/") ? config.issuer().substring(0, config.issuer().length() - 1) : config.issuer();
        JsonNode doc = jsonObject(get(endpoint(base + "/.well-known/openid-configuration", "the discovery URL"), MAX_DOCUMENT_BYTES),
                "the discovery document");
        if (!config.issuer().equals(text(doc, "issuer"))) throw SsoFailure.unavailable("the discovery document names another issuer");
        URI authorization = endpoint(text(doc, "authorization_endpoint"), "authorization_endpoint");
        URI token = endpoint(text(doc, "token_endpoint"), "token_endpoint");
        URI jwks = endpoint(text(doc, "jwks_uri"), "jwks_uri");
        List<String> challengeMethods = texts(doc, "code_challenge_methods_supported");
        if (challengeMethods != null && !challengeMethods.contains("S256")) {
            throw SsoFailure.unavailable("the provider does not support PKCE with S256");
        }
        // OIDC Discovery: absent means client_secret_basic. We use basic whenever offered, post only when it is all there is.
        List<String> authMethods = texts(doc, "token_endpoint_auth_methods_supported");
        boolean secretInBody = authMethods != null && !authMethods.contains("client_secret_basic") && authMethods.contains("client_secret_post");
        return new Metadata(authorization, token, jwks, secretInBody);
    }

    /**
     * The provider's key for a signature made with {@code alg}: the one with {@code kid}, or, when the token names
     * none, the only key of the right type. Null when the provider's current set truly lacks it.
     */
    JWK key(String kid, JWSAlgorithm alg) {
        JWK found = usableKey(keys, kid, alg);
        if (found != null && clock.millis() - keysFetchedAt < Duration.ofHours(MAX_STALE_HOURS).toMillis()) return found;
        lock.lock();
        try {
            long now = clock.millis();
            found = usableKey(keys, kid, alg); // another request may have fetched while this one waited
            if (found != null && now - keysFetchedAt < Duration.ofHours(MAX_STALE_HOURS).toMillis()) return found;
            if (lastKeysAttempt != NEVER && now - lastKeysAttempt < Duration.ofSeconds(RETRY_SECONDS).toMillis()) {
                if (keys == null) throw SsoFailure.unavailable("the provider's signing keys are unavailable");
                return null;
            }
            lastKeysAttempt = now;
            try {
                keys = fetchKeys(metadata().jwksUri());
                keysFetchedAt = now;
            } catch (SsoFailure e) {
                LOG.warning("single sign-on: could not fetch the provider's signing keys: " + e.getMessage());
                if (keys == null || now - keysFetchedAt >= Duration.ofHours(MAX_STALE_HOURS).toMillis()) throw e;
            }
            return usableKey(keys, kid, alg);
        } finally {
            lock.unlock();
        }
    }

    private JWKSet fetchKeys(URI uri) {
        BoundedFetch.Answer answer = get(uri, MAX_DOCUMENT_BYTES);
        if (answer.status() != 200 || !answer.isJson()) {
            throw SsoFailure.unavailable("jwks_uri answered HTTP " + answer.status() + " " + printable(answer.mediaType()));
        }
        try {
            JWKSet set = JWKSet.parse(new String(answer.body(), StandardCharsets.UTF_8));
            return set.toPublicJWKSet();
        } catch (ParseException | RuntimeException e) {
            throw SsoFailure.unavailable("the provider's JWKS is not a JWK set");
        }
    }

    /** RS256 needs an RSA key of at least 2048 bits, ES256 a P-256 key; either meant for signatures and this algorithm. */
    static JWK usableKey(JWKSet set, String kid, JWSAlgorithm alg) {
        if (set == null) return null;
        List<JWK> candidates = new ArrayList<>();
        for (JWK key : set.getKeys()) {
            if (kid != null && !kid.equals(key.getKeyID())) continue;
            if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) continue;
            if (key.getAlgorithm() != null && !alg.equals(key.getAlgorithm())) continue;
            boolean fits = JWSAlgorithm.RS256.equals(alg) ? key instanceof RSAKey rsa && rsa.size() >= 2048
                    : JWSAlgorithm.ES256.equals(alg) && key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve());
            if (fits) candidates.add(key);
        }
        return candidates.size() == 1 ? candidates.get(0) : null; // two keys under one kid (or none named): ambiguous
    }

    /**
     * Redeems an authorization code. The client authenticates as the discovery document asks (client_secret_basic
     * by default, RFC 6749 §2.3.1 encoding); a client without a secret sends only its id and relies on PKCE.
     */
    Tokens redeem(String code, String redirectUri, String verifier) {
        Metadata m = metadata();
        StringBuilder form = new StringBuilder("grant_type=authorization_code")
                .append("&code=").append(form(code))
                .append("&redirect_uri=").append(form(redirectUri))
                .append("&code_verifier=").append(form(verifier));
        String authorization = null;
        String secret = config.clientSecret().value();
        if (secret == null || secret.isEmpty() || m.secretInBody()) {
            form.append("&client_id=").append(form(config.clientId()));
            if (secret != null && !secret.isEmpty()) form.append("&client_secret=").append(form(secret));
        } else {
            authorization = "Basic " + Base64.getEncoder().encodeToString((form(config.clientId()) + ":" + form(secret)).getBytes(StandardCharsets.UTF_8));
        }
        BoundedFetch.Answer answer;
        try {
            answer = fetcher.postForm(m.tokenEndpoint(), form.toString(), authorization, MAX_TOKEN_ANSWER_BYTES);
        } catch (BoundedFetch.Failed e) {
            throw SsoFailure.unavailable(e.getMessage());
        }
        if (answer.status() >= 500) throw SsoFailure.unavailable("the token endpoint answered HTTP " + answer.status());
        if (answer.status() != 200) {
            throw SsoFailure.unauthorized("the token endpoint refused the code: HTTP " + answer.status() + errorCode(answer));
        }
        JsonNode body = jsonObject(answer, "the token endpoint's answer", SsoFailure.Kind.UNAUTHORIZED);
        JsonNode idToken = body.get("id_token");
        return new Tokens(idToken != null && idToken.isTextual() ? idToken.textValue() : null);
    }

    /** The OAuth {@code error} of a refusal, for the log, when it is one of the short registered words. */
    private String errorCode(BoundedFetch.Answer answer) {
        try {
            JsonNode error = json.readTree(answer.body()).get("error");
            if (error != null && error.isTextual() && error.textValue().matches("[a-z_]{1,40}")) return " (" + error.textValue() + ")";
        } catch (java.io.IOException | RuntimeException e) {
            // not JSON: the status says enough
        }
        return "";
    }

    private JsonNode jsonObject(BoundedFetch.Answer answer, String what) {
        return jsonObject(answer, what, SsoFailure.Kind.UNAVAILABLE);
    }

    private JsonNode jsonObject(BoundedFetch.Answer answer, String what, SsoFailure.Kind kind) {
        if (answer.status() != 200) throw new SsoFailure(kind, what + ": HTTP " + answer.status());
        if (!answer.isJson()) throw new SsoFailure(kind, what + " is not JSON (Content-Type " + printable(answer.mediaType()) + ")");
        try {
            JsonNode node = json.readTree(answer.body());
            if (node != null && node.isObject()) return node;
        } catch (java.io.IOException | RuntimeException e) {
            // refused below
        }
        throw new SsoFailure(kind, what + " is not a JSON object");
    }

    /**
     * A URL from the operator or the discovery document; one that is not https (plain http only when the operator
     * allowed it for a test provider) makes the document unusable: the provider is unavailable.
     */
    private URI endpoint(String url, String what) {
        try {
            return BoundedFetch.url(url, what, config.allowHttpIssuer());
        } catch (BoundedFetch.Failed e) {
            throw SsoFailure.unavailable(e.getMessage());
        }
    }

    /** A provider that does not answer in time or within the cap is unavailable, never the person's fault. */
    private BoundedFetch.Answer get(URI uri, int cap) {
        try {
            return fetcher.get(uri, cap);
        } catch (BoundedFetch.Failed e) {
            throw SsoFailure.unavailable(e.getMessage());
        }
    }

    private static String text(JsonNode doc, String field) {
        JsonNode value = doc.get(field);
        if (value == null || !value.isTextual()) throw SsoFailure.unavailable("the discovery document has no " + field);
        return value.textValue();
    }

    private static List<String> texts(JsonNode doc, String field) {
        JsonNode value = doc.get(field);
        if (value == null) return null;
        List<String> result = new ArrayList<>();
        if (value.isArray()) for (JsonNode item : value) if (item.isTextual()) result.add(item.textValue());
        return result;
    }

    /** A media type from the provider, for the log: short, and only the characters a media type has. */
    private static String printable(String mediaType) {
        String cut = mediaType.length() > 64 ? mediaType.substring(0, 64) : mediaType;
        return "'" + cut.replaceAll("[^a-z0-9/+.-]", "?") + "'";
    }

    static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
