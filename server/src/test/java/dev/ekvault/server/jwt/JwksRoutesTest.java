package dev.ekvault.server.jwt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.ekvault.server.jwt.JwtTesting.CONFIG;
import static dev.ekvault.server.jwt.JwtTesting.JSON;
import static org.assertj.core.api.Assertions.assertThat;

class JwksRoutesTest {
    @Test
    void theJwkSetIsAPublicRouteServingOnlyPublicKeys() throws Exception {
        TestClock clock = new TestClock();
        try (Database database = JwtTesting.openDatabase(Backend.SQLITE, clock)) {
            SigningKeys keys = new SigningKeys(database, MasterKey.fromBase64(MasterKey.generateBase64()), CONFIG, clock);
            keys.rotate();
            Router router = new Router();
            JwksRoutes.register(router, keys);

            Router.Match match = router.match("GET", List.of(".well-known", "jwks.json"));
            assertThat(match).isNotNull();
            assertThat(match.route().isPublic()).isTrue();
            assertThat(match.route().tag()).isEqualTo("auth");

            JsonNode body = JSON.valueToTree(match.route().handler().handle(null));
            assertThat(body).isEqualTo(JSON.readTree(keys.jwks()));
            assertThat(body.get("keys")).hasSize(2);
            for (JsonNode key : body.get("keys")) {
                assertThat(key.has("d")).isFalse();
                assertThat(key.get("kty").asText()).isEqualTo("OKP");
            }
        }
    }
}
