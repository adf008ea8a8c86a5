package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The secrets API of API.md §3, run over real HTTP on each database by a one-line subclass. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecretApiContract {
    abstract Backend backend();

    TestServer s;
    String prod;
    String dev;
    static final String BASE = "/v1/workspace/acme/project/web/secret";

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", true);
        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("DB_HOST", "db.internal");
        secrets.put("DATABASE_URL", "postgres://${DB_HOST}/app");
        s.createSecrets("web", List.of(prod, dev), secrets);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void listsWithEitherSpellingOfTheEnvironmentParameter() {
        for (String param : List.of("environmentId", "environment_id")) {
            HttpResult r = s.get(BASE + "?" + param + "=" + prod, s.ownerToken);
            assertThat(r.status()).isEqualTo(200);
            JsonNode list = r.json();
            assertThat(list).hasSize(2);
            for (JsonNode secret : list) {
                assertThat(secret.get("values")).hasSize(1);
                assertThat(secret.get("values").get(0).get("environmentId").asText()).isEqualTo(prod);
            }
        }
    }
}
