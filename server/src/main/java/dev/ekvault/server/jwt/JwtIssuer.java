package dev.ekvault.server.jwt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.config.Config;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;

/**
 * Issues the server's access tokens: a compact JWS, header {@code {"alg":"EdDSA","kid":…,"typ":"JWT"}}, signed by the
 * active key of {@link SigningKeys}, with claims {@code iss} (the configured issuer), {@code aud} ({@value #AUDIENCE}),
 * {@code sub} (credential id), {@code ws} (workspace id), {@code uid} (user id), {@code iat} = {@code nbf} (now,
 * whole seconds), {@code exp} ({@code iat + lifetime}) and a {@code jti} that is a random nonce with a {@link JwtTag}
 * of these claims, so nodes can refuse forgeries before the signature check.
 */
public final class JwtIssuer {
    public static final String AUDIENCE = "ek-api";

    private final String issuer;
    private final long lifetimeSeconds;
    private final SigningKeys keys;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public JwtIssuer(Config.Jwt config, SigningKeys keys, Clock clock) {
        if (config.issuer() == null || config.issuer().isBlank()) throw new IllegalArgumentException("jwt issuer is required");
        if (config.lifetime() == null || config.lifetime().toSeconds() < 1) throw new IllegalArgumentException("jwt lifetime must be at least one second");
        this.issuer = config.issuer();
        this.lifetimeSeconds = config.lifetime().toSeconds();
        this.keys = Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The id of the key new tokens are signed with (a rotation changes it: see auth/JwtExchange). */
    public String signingKeyId() {
        return keys.signingKey().kid();
    }

    /** A signed access token for this credential, workspace and user. */
    public String issue(String credentialId, String workspaceId, String userId) {
        requireText(credentialId, "credentialId");
        requireText(workspaceId, "workspaceId");
        requireText(userId, "userId");
        SigningKeys.SigningKey key = keys.signingKey();
        long iat = Math.floorDiv(clock.millis(), 1000L);
        long exp = iat + lifetimeSeconds;
        String jti = JwtTag.newJti(key.tagKey(), random, new JwtTag.Claims(issuer, credentialId, workspaceId, userId, iat, iat, exp));
        ObjectNode header = Jws.JSON.createObjectNode()
                .put("alg", Jws.ALGORITHM)
                .put("kid", key.kid())
                .put("typ", "JWT");
        ObjectNode claims = Jws.JSON.createObjectNode()
                .put("iss", issuer)
                .put("aud", AUDIENCE)
                .put("sub", credentialId)
                .put("ws", workspaceId)
                .put("uid", userId)
                .put("iat", iat)
                .put("nbf", iat)
                .put("exp", exp)
                .put("jti", jti);
        return Jws.sign(header, claims, key.privateKey());
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException(name + " is required");
        if (value.length() > JwtVerifier.MAX_ID_LENGTH) {
            throw new IllegalArgumentException(name + " is longer than " + JwtVerifier.MAX_ID_LENGTH + " characters");
        }
    }
}
