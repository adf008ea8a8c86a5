package dev.ekvault.server.jwt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Migrations;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/** Shared pieces of the JWT tests: a migrated database, the settings, and a way to sign any header and claims. */
final class JwtTesting {
    static final String ISSUER = "https://ek.test";
    static final Duration LIFETIME = Duration.ofMinutes(15);
    static final Duration ROTATION = Duration.ofDays(7);
    static final Config.Jwt CONFIG = new Config.Jwt(ISSUER, LIFETIME, ROTATION);
    static final ObjectMapper JSON = new ObjectMapper();
    static final SecureRandom RANDOM = new SecureRandom();

    private JwtTesting() {}

    static Database openDatabase(Backend backend, TestClock clock) throws Exception {
        String url = backend.freshDatabaseUrl();
        String jdbc = url.isEmpty() ? "jdbc:sqlite:" + Files.createTempDirectory("ek-jwt").resolve("ek.db") : url;
        Database database = new Database(jdbc, "", "", 4);
        Migrations.apply(database, clock);
        return database;
    }

    static Ed25519PrivateKeyParameters newKey() {
        return new Ed25519PrivateKeyParameters(RANDOM);
    }

    /** Claims that pass every rule at the clock's time. */
    static ObjectNode validClaims(Clock clock) {
        long now = clock.millis() / 1000;
        return JSON.createObjectNode()
                .put("iss", ISSUER)
                .put("aud", JwtIssuer.AUDIENCE)
                .put("sub", "cred-1")
                .put("ws", "ws-1")
                .put("uid", "user-1")
                .put("iat", now)
                .put("nbf", now)
                .put("exp", now + LIFETIME.toSeconds())
                .put("jti", "jti-" + RANDOM.nextInt());
    }

    static String header(String kid) {
        return "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
    }

    /**
     * A token with exactly this header text and these claims, signed by {@code key}, whose jti is a {@link JwtTag}
     * under {@code key}'s tag key: what our issuer would make with that key.
     */
    static String sign(Ed25519PrivateKeyParameters key, String headerJson, JsonNode claims) {
        return signTagged(key, JwtTag.keyOf(key), headerJson, claims);
    }

    /** Signed by {@code key} with a jti tagged under {@code tagKey} (which may belong to another key). */
    static String signTagged(Ed25519PrivateKeyParameters key, byte[] tagKey, String headerJson, JsonNode claims) {
        JsonNode withTag = claims instanceof ObjectNode object ? tagged(object.deepCopy(), tagKey) : claims;
        return signUntagged(key, headerJson, withTag);
    }

    /** Signed by {@code key} with the claims exactly as given, jti included. */
    static String signUntagged(Ed25519PrivateKeyParameters key, String headerJson, JsonNode claims) {
        return Jws.sign(headerJson.getBytes(StandardCharsets.UTF_8), claimsBytes(claims), key);
    }

    /** The claims with a jti that tags them under {@code tagKey} (claims of the wrong type are tagged as text/0). */
    static ObjectNode tagged(ObjectNode claims, byte[] tagKey) {
        JwtTag.Claims bound = new JwtTag.Claims(claims.path("iss").asText(), claims.path("sub").asText(), claims.path("ws").asText(),
                claims.path("uid").asText(), claims.path("iat").asLong(), claims.path("nbf").asLong(), claims.path("exp").asLong());
        return claims.put("jti", JwtTag.newJti(tagKey, RANDOM, bound));
    }

    static byte[] claimsBytes(JsonNode claims) {
        try {
            return JSON.writeValueAsBytes(claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static JsonNode decodeSegment(String token, int index) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[index]));
    }
}
