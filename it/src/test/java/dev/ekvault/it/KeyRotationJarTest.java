package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Key rotation with the jar as processes (issue 17, item 5): {@code rotate-master-key} beside a serving node on the
 * embedded default, and beside two nodes on PostgreSQL, which follow it; the old key refused afterwards; and a node killed (SIGKILL) in the middle of an
 * environment's re-encryption, whose successor finishes it with every value readable throughout.
 */
class KeyRotationJarTest {
    private static final String PROJECT = "/v1/workspace/acme/project/web";

    @TempDir
    Path work;

    @Test
    void rotateMasterKeyBesideARunningServerWhichFollowsAndTheOldKeyIsRefused() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> env = Map.of("EK_DATA_DIR", data.toString());
        String owner = init(env);
        String oldKey = Files.readString(data.resolve("master.key")).strip();
        String newKey = EkJar.newMasterKey();
        Path newKeyFile = Files.writeString(work.resolve("new.key"), newKey + "\n");
        Map<String, String> expected = Map.of("DB_PASSWORD", "hunter2", "API_KEY", "abc123");
        String environment;

        try (EkJar.Server server = EkJar.serve(work, env)) {
            EkJar.Api api = new EkJar.Api(server, owner);
            environment = project(api, "dev");
            assertThat(api.post(PROJECT + "/secret", EkJar.bulkCreateBody(List.of(environment), expected)).status()).isEqualTo(201);

            EkJar.Result rotated = EkJar.run(work, env, "rotate-master-key", "--new-key-file=" + newKeyFile);
            assertThat(rotated.exitCode()).as("rotate-master-key; stderr:\n%s", rotated.stderr()).isEqualTo(0);
            assertThat(rotated.stderr()).contains("rotated the master key").doesNotContain(oldKey).doesNotContain(newKey);
            assertThat(Files.readString(data.resolve("master.key")).strip()).as("the data folder's key is the new one").isEqualTo(newKey);

            // the running node switches by itself: it creates an environment (a data key wrapped under the new key)
            String created = environmentOnceSwitched(api);
            assertThat(values(api, environment)).isEqualTo(expected);
            assertThat(values(api, created)).isEqualTo(Map.of("NEW", "after"));
            assertThat(server.stderr()).contains("the master key was rotated").doesNotContain(oldKey).doesNotContain(newKey);
        }

        // the old key is refused, changing nothing
        String before = EkJar.sqliteDigest(data.resolve("ek.db"));
        try (EkJar.Server refused = EkJar.startServe(work, Map.of("EK_DATA_DIR", data.toString(), "EK_MASTER_KEY", oldKey))) {
            assertThat(refused.awaitExit(EkJar.EXIT_TIMEOUT)).as("stderr:\n%s", refused.stderr()).isEqualTo(4);
            assertThat(refused.stderr()).contains("is not the one this database is sealed with").contains("rotate-master-key")
                    .doesNotContain(oldKey);
        }
        assertThat(EkJar.sqliteDigest(data.resolve("ek.db"))).isEqualTo(before);
        // rotating to the key it already has is refused as a bad argument
        EkJar.Result again = EkJar.run(work, env, "rotate-master-key", "--new-key-file=" + newKeyFile);
        assertThat(again.exitCode()).as("stderr:\n%s", again.stderr()).isEqualTo(2);
        // the new key reads everything
        try (EkJar.Server server = EkJar.serve(work, env)) {
            assertThat(values(new EkJar.Api(server, owner), environment)).isEqualTo(expected);
        }
    }

    @Test
    void rotateMasterKeyWithTwoNodesRunningOnPostgresql() throws Exception {
        Path nextKeyFile = work.resolve("next.key"); // both nodes name it; it exists only once the new key is handed out
        String oldKey = EkJar.newMasterKey();
        String newKey = EkJar.newMasterKey();
        Map<String, String> env = new java.util.HashMap<>(Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY", oldKey,
                "EK_MASTER_KEY_NEXT_FILE", nextKeyFile.toString(), "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0"));
        String owner = init(env);
        Map<String, String> expected = Map.of("DB_PASSWORD", "hunter2");
        String environment;
        try (EkJar.Server a = EkJar.serve(EkJar.tempDir("ek-node-a"), env); EkJar.Server b = EkJar.serve(EkJar.tempDir("ek-node-b"), env)) {
            EkJar.Api onA = new EkJar.Api(a, owner);
            EkJar.Api onB = new EkJar.Api(b, owner);
            environment = project(onA, "dev");
            assertThat(onA.post(PROJECT + "/secret", EkJar.bulkCreateBody(List.of(environment), expected)).status()).isEqualTo(201);

            Files.writeString(nextKeyFile, newKey + "\n");
            EkJar.Result rotated = EkJar.run(work, env, "rotate-master-key", "--new-key-file=" + nextKeyFile);
            assertThat(rotated.exitCode()).as("rotate-master-key; stderr:\n%s", rotated.stderr()).isEqualTo(0);

            // each node switches by itself: B wraps a new environment's key under the new master key, A reads it
            String created = environmentOnceSwitched(onB);
            EkJar.awaitCondition("node A switched too", Duration.ofSeconds(30), () -> a.stderr().contains("the master key was rotated"));
            assertThat(values(onA, created)).isEqualTo(Map.of("NEW", "after"));
            assertThat(values(onA, environment)).isEqualTo(expected);
            assertThat(values(onB, environment)).isEqualTo(expected);
        }
        // a node started with the old key alone is refused; with the new key it reads everything
        env.remove("EK_MASTER_KEY_NEXT_FILE");
        try (EkJar.Server refused = EkJar.startServe(EkJar.tempDir("ek-node-c"), env)) {
            assertThat(refused.awaitExit(EkJar.EXIT_TIMEOUT)).as("stderr:\n%s", refused.stderr()).isEqualTo(4);
        }
        env.put("EK_MASTER_KEY", newKey);
        try (EkJar.Server c = EkJar.serve(EkJar.tempDir("ek-node-c"), env)) {
            assertThat(values(new EkJar.Api(c, owner), environment)).isEqualTo(expected);
        }
    }

    @Test
    void aServerKilledInTheMiddleOfADataKeyRotationLeavesEverythingReadableAndTheNextOneFinishesIt() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> env = Map.of("EK_DATA_DIR", data.toString());
        String owner = init(env);
        Map<String, String> expected = new TreeMap<>();
        for (int i = 0; i < 300; i++) expected.put("KEY_" + i, "value-" + i);
        String environment;
        Path db = data.resolve("ek.db");

        EkJar.Server first = EkJar.serve(work, env);
        try {
            EkJar.Api api = new EkJar.Api(first, owner);
            environment = project(api, "dev");
            assertThat(api.post(PROJECT + "/secret", EkJar.bulkCreateBody(List.of(environment), expected)).status()).isEqualTo(201);
            // the history's rows cannot be updated for now: the job's second batch (values and history) fails in its middle
            sql(db, "CREATE TRIGGER keyrot_fail BEFORE UPDATE ON secret_value_version BEGIN SELECT RAISE(ABORT, 'failed on purpose'); END");
            EkJar.Reply rotated = api.post(PROJECT + "/environment/" + environment + "/rotate-key", "");
            assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
            EkJar.awaitCondition("the first batch of 200 is re-encrypted", Duration.ofSeconds(60),
                    () -> count(db, "secret_value", environment, 2) == 200);
            assertThat(values(api, environment)).isEqualTo(expected);
        } finally {
            first.process.destroyForcibly(); // SIGKILL, in the middle of the rotation
            first.process.waitFor();
        }
        assertThat(count(db, "secret_value", environment, 1)).as("values still under the old key").isEqualTo(100);
        assertThat(count(db, "secret_value_version", environment, 1)).as("history still under the old key").isEqualTo(300);
        assertThat(dataKeys(db, environment)).containsExactly(1, 2);

        sql(db, "DROP TRIGGER keyrot_fail");
        try (EkJar.Server second = EkJar.serve(work, env)) {
            EkJar.Api api = new EkJar.Api(second, owner);
            assertThat(values(api, environment)).isEqualTo(expected);
            EkJar.awaitCondition("the old data key is retired", Duration.ofSeconds(90), () -> dataKeys(db, environment).equals(List.of(2)));
            assertThat(count(db, "secret_value", environment, 1) + count(db, "secret_value_version", environment, 1)).isZero();
            assertThat(values(api, environment)).isEqualTo(expected);
            JsonNode history = api.get(PROJECT + "/secret/KEY_7/versions?environmentId=" + environment + "&includeValues=true").json();
            assertThat(history.get(0).get("value").asText()).isEqualTo("value-7");
        }
    }

    /** {@code init} on the embedded default (the master key generated into the data folder); returns the owner token. */
    private String init(Map<String, String> env) {
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as("init; stderr:\n%s", init.stderr()).isEqualTo(0);
        return init.stdout().strip();
    }

    /**
     * Creates an environment (its data key wrapped under the master key the node holds) once the node has switched to the
     * rotated key (before that it refuses), with a secret NEW=after in it; returns the environment's id.
     */
    private static String environmentOnceSwitched(EkJar.Api api) {
        AtomicInteger attempt = new AtomicInteger();
        String[] created = new String[1];
        EkJar.awaitCondition("the node wraps new data keys under the new key", Duration.ofSeconds(30), () -> {
            EkJar.Reply r = api.post(PROJECT + "/environment", "{\"name\":\"after-" + attempt.incrementAndGet() + "\"}");
            if (r.status() == 201) created[0] = r.json().get("id").asText();
            return r.status() == 201;
        });
        assertThat(api.post(PROJECT + "/secret", EkJar.bulkCreateBody(List.of(created[0]), Map.of("NEW", "after"))).status()).isEqualTo(201);
        return created[0];
    }

    /** Creates the project "web" (first call) and an environment in it; returns the environment's id. */
    private static String project(EkJar.Api api, String environment) {
        String team = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
        api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(team) + "}");
        EkJar.Reply r = api.post(PROJECT + "/environment", "{\"name\":" + EkJar.quote(environment) + "}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private static Map<String, String> values(EkJar.Api api, String environment) {
        EkJar.Reply r = api.get(PROJECT + "/secret?environmentId=" + environment);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        Map<String, String> values = new TreeMap<>();
        for (JsonNode secret : r.json()) {
            for (JsonNode v : secret.get("values")) {
                if (v.get("environmentId").asText().equals(environment) && !v.get("isPersonal").asBoolean()) {
                    values.put(secret.get("name").asText(), v.get("value").asText());
                }
            }
        }
        return values;
    }

    private static Connection open(Path db) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = 10000");
        }
        return c;
    }

    private static void sql(Path db, String statement) throws SQLException {
        try (Connection c = open(db); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    /** Rows of {@code table} in the environment whose ciphertext names data key {@code keyId} (bytes 2 to 5 of the envelope). */
    private static int count(Path db, String table, String environment, int keyId) {
        try (Connection c = open(db); Statement st = c.createStatement();
             ResultSet r = st.executeQuery("SELECT ciphertext FROM " + table + " WHERE environment_id = '" + environment + "' AND ciphertext IS NOT NULL")) {
            int n = 0;
            while (r.next()) if (ByteBuffer.wrap(r.getBytes(1), 1, 4).getInt() == keyId) n++;
            return n;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Integer> dataKeys(Path db, String environment) {
        try (Connection c = open(db); Statement st = c.createStatement();
             ResultSet r = st.executeQuery("SELECT key_id FROM data_key WHERE environment_id = '" + environment + "' ORDER BY key_id")) {
            List<Integer> ids = new java.util.ArrayList<>();
            while (r.next()) ids.add(r.getInt(1));
            return ids;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
