package dev.ekvault.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Today's server started on a database the previous release made, written through that release's own HTTP API by
 * {@code upgrade/make-fixture.sh} (the main line before the sync engine: schema V1..V8): {@code previous-release.db} on
 * SQLite, {@code previous-release-postgres.dump} restored into a new PostgreSQL database. The pending migrations apply,
 * the data reads back through the API (values decrypt, history, the audit chain, a token it issued, within its
 * permission), and the upgraded database takes writes, a table a new migration made included.
 */
abstract class UpgradeFromPreviousReleaseContract {
    private static final String BASE = "/v1/workspace/acme/project/web/secret";

    /** The fixture's name: {@code <name>.json} holds its ids and tokens. */
    abstract String fixtureName();

    /** Puts the fixture in place; returns the {@code database-url} to start on ("" for the SQLite file in {@code dataDir}). */
    abstract String install(Path dataDir) throws Exception;

    static byte[] fixture(String name) throws Exception {
        try (InputStream in = UpgradeFromPreviousReleaseContract.class.getResourceAsStream("/upgrade/" + name)) {
            if (in == null) throw new IllegalStateException("missing fixture upgrade/" + name);
            return in.readAllBytes();
        }
    }

    private static int latestMigration(Database db) {
        int latest = 0;
        for (int v = 1; v <= 200; v++) {
            if (UpgradeFromPreviousReleaseContract.class.getClassLoader().getResource("db/" + db.dialect().migrationFolder + "/V" + v + ".sql") != null) {
                latest = v;
            }
        }
        return latest;
    }

    private static int newestApplied(Database db) {
        return db.read(c -> {
            try (var r = c.createStatement().executeQuery("SELECT MAX(version) FROM schema_migration")) {
                r.next();
                return r.getInt(1);
            }
        });
    }

    @Test
    void todaysServerUpgradesAndReadsADatabaseThePreviousReleaseMade() throws Exception {
        JsonNode made = new ObjectMapper().readTree(fixture(fixtureName() + ".json"));
        String key = new String(fixture("previous-release.key"), StandardCharsets.US_ASCII).strip();
        Path dir = Files.createTempDirectory("ek-upgrade");
        String url = install(dir);
        String prod = made.get("production").asText();
        String dev = made.get("dev").asText();

        String jdbc = url.isEmpty() ? "jdbc:sqlite:" + dir.resolve("ek.db") : url;
        try (Database before = new Database(jdbc, "", "", 1)) {
            assertThat(newestApplied(before)).as("the fixture is an older schema").isLessThan(latestMigration(before));
        }
        TestClock clock = new TestClock(Instant.parse(made.get("madeAt").asText()).plus(Duration.ofHours(1)));
        try (TestServer s = TestServer.startOn(clock, url, dir, key, made.get("ownerToken").asText())) {
            assertThat(newestApplied(s.server.database())).as("every pending migration applied").isEqualTo(latestMigration(s.server.database()));

            assertThat(s.sharedValues("web", prod, s.ownerToken)).containsEntry("DB_HOST", "db.internal").containsEntry("API_KEY", "second value");
            assertThat(s.sharedValues("web", dev, s.ownerToken)).containsEntry("API_KEY", "first value");

            HttpResult history = s.get(BASE + "/API_KEY/versions?environmentId=" + prod + "&includeValues=true", s.ownerToken);
            assertThat(history.status()).as(history.toString()).isEqualTo(200);
            assertThat(history.json()).hasSize(2);
            assertThat(history.json().get(1).get("value").asText()).isEqualTo("first value");

            String reader = made.get("readToken").asText();
            assertThat(s.get(BASE + "?environmentId=" + prod, reader).status()).as("a token the old release issued").isEqualTo(200);
            assertThat(s.post(BASE, reader, "{\"environments\":[\"" + prod + "\"],\"secrets\":[]}").status())
                    .as("…with the permission it was given").isEqualTo(403);

            HttpResult verify = s.get("/v1/workspace/acme/audit/verify", s.ownerToken);
            assertThat(verify.status()).as(verify.toString()).isEqualTo(200);
            assertThat(verify.body()).contains("\"intact\":true");

            s.createSecrets("web", List.of(prod), Map.of("AFTER_UPGRADE", "new"));
            assertThat(s.sharedValues("web", prod, s.ownerToken)).containsEntry("AFTER_UPGRADE", "new");
            assertThat(s.get("/v1/workspace/acme/sync", s.ownerToken).status()).as("a table a new migration made").isEqualTo(200);
        }
    }
}
