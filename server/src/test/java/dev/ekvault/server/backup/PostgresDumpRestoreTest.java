package dev.ekvault.server.backup;

import dev.ekvault.server.EkServer;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.crypto.WrongMasterKeyException;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.PostgresTools;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestPostgres;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The README's PostgreSQL recipe, run: {@code pg_dump} of a database a serving node wrote (while it serves), {@code
 * pg_restore} into a new database, and a server on that database reads the secrets back (values decrypt, history, the
 * audit chain) with the same master key, and refuses another key. Runs where the machine has {@code pg_dump} and
 * {@code pg_restore} able to talk to the test PostgreSQL.
 */
class PostgresDumpRestoreTest {
    private static final String BASE = "/v1/workspace/acme/project/web/secret";

    @Test
    void aPgDumpOfAServingDatabaseRestoresIntoANewOneThatAServerReads() throws Exception {
        assumeTrue(PostgresTools.installed("pg_dump", "pg_restore"), "pg_dump and pg_restore are not installed here");
        Path dump = Files.createTempDirectory("ek-pgdump").resolve("ek.dump");
        String restoredUrl = TestPostgres.freshDatabase();
        String environment;
        String masterKey;
        String ownerToken;
        try (TestServer s = TestServer.start(Backend.POSTGRESQL)) {
            masterKey = s.masterKey;
            ownerToken = s.ownerToken;
            s.createProject("web");
            environment = s.createEnvironment("web", "production", false);
            s.createSecrets("web", List.of(environment), Map.of("DB_HOST", "db.internal", "API_KEY", "first"));
            assertThat(s.put(BASE + "/API_KEY", ownerToken, "{\"values\":[{\"environmentId\":\"" + environment
                    + "\",\"value\":\"second\",\"isPersonal\":false}]}").status()).isEqualTo(200);

            PostgresTools.Target source = PostgresTools.of(s.config.database().url());
            try {
                PostgresTools.run(source, "pg_dump", "--format=custom", "--file=" + dump, "--dbname=" + source.url());
            } catch (IllegalStateException e) {
                assumeTrue(!String.valueOf(e.getMessage()).contains("version mismatch"), "pg_dump is older than the test PostgreSQL");
                throw e;
            }
        }
        PostgresTools.restore(PostgresTools.of(restoredUrl), dump);

        var wrongKey = new ConfigLoader().load(List.of("--database-url=" + restoredUrl, "--master-key=" + MasterKey.generateBase64(),
                "--data-dir=" + Files.createTempDirectory("ek-pg-wrong"), "--http-port=0"), Map.of());
        assertThatThrownBy(() -> EkServer.open(wrongKey, new TestClock())).isInstanceOf(WrongMasterKeyException.class);

        try (TestServer restored = TestServer.startOn(new TestClock(), restoredUrl, Files.createTempDirectory("ek-pg-restored"), masterKey, ownerToken)) {
            assertThat(restored.sharedValues("web", environment, ownerToken)).containsEntry("DB_HOST", "db.internal").containsEntry("API_KEY", "second");
            HttpResult history = restored.get(BASE + "/API_KEY/versions?environmentId=" + environment, ownerToken);
            assertThat(history.json()).hasSize(2);
            HttpResult verify = restored.get("/v1/workspace/acme/audit/verify", ownerToken);
            assertThat(verify.body()).as(verify.toString()).contains("\"intact\":true");
            restored.createSecrets("web", List.of(environment), Map.of("AFTER_RESTORE", "written"));
            assertThat(restored.sharedValues("web", environment, ownerToken)).containsEntry("AFTER_RESTORE", "written");
        }
    }
}
