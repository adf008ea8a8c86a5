package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ek-server rotate-jwt-key} against a running server: it signs with the new key at once, old JWTs stay good. */
class RotateJwtKeyTest {
    @TempDir
    Path work;

    private static String kidOf(String jwt) throws Exception {
        return EkJar.JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[0])).get("kid").asText();
    }

    private static String exchange(EkJar.Server server, String token) {
        EkJar.Api api = new EkJar.Api(server, token);
        EkJar.Reply r = api.send(api.builder("/v1/auth/exchange").POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("accessToken").asText();
    }

    @Test
    void rotationOnCommandIsPickedUpByTheRunningServer() throws Exception {
        Map<String, String> env = Map.of("EK_DATA_DIR", work.resolve("data").toString());
        String token = EkJar.init(work, env).stdoutLines().get(0);
        try (EkJar.Server server = EkJar.serve(work, env)) {
            String before = exchange(server, token);
            String oldKid = kidOf(before);

            EkJar.Result rotate = EkJar.run(work, env, "rotate-jwt-key");
            assertThat(rotate.exitCode()).as(rotate.stderr()).isZero();
            assertThat(rotate.stdout()).isEmpty();

            EkJar.awaitCondition("the server signs with the new key", Duration.ofSeconds(5), () -> {
                try {
                    return !kidOf(exchange(server, token)).equals(oldKid);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            JsonNode keys = new EkJar.Api(server, null).get("/.well-known/jwks.json").json().get("keys");
            assertThat(keys.findValuesAsText("kid")).as("the old key stays published").contains(oldKid).hasSize(2);
            assertThat(new EkJar.Api(server, before).get("/v1/workspace").status()).as("a JWT signed before still works").isEqualTo(200);
        }
    }
}
