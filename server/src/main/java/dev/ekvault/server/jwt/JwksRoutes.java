package dev.ekvault.server.jwt;

import dev.ekvault.server.http.Router;

/**
 * {@code GET /.well-known/jwks.json}: the public halves of the published signing keys, as a JWK set. Public (a
 * verifier needs it before it has any credential) and without secrets: {@link SigningKeys#publicJwkSet()} holds
 * public keys only, and they are serialised with {@code publicKeysOnly} besides.
 */
public final class JwksRoutes {
    public static final String PATH = "/.well-known/jwks.json";

    private JwksRoutes() {}

    public static void register(Router router, SigningKeys keys) {
        router.publicRoute("GET", PATH, "auth", ex -> keys.publicJwkSet().toJSONObject(true));
    }
}
