package dev.ekvault.server.backup;

import dev.ekvault.server.EkServer;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.crypto.WrongMasterKeyException;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestPostgres;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private record Libpq(String url, String password) {}

    /** {@code jdbc:postgresql://host:port/db?user=u&password=p} as the URL and password the PostgreSQL tools take. */
    private static Libpq libpq(String jdbc) {
        Matcher m = Pattern.compile("jdbc:postgresql://([^/?]+)/([^?]*)(?:\\?(.*))?").matcher(jdbc);
        if (!m.matches()) throw new IllegalArgumentException("not a PostgreSQL JDBC URL");
        String user = null;
        String password = null;
        if (m.group(3) != null) {
            for (String param : m.group(3).split("&")) {
                if (param.startsWith("user=")) user = param.substring(5);
                if (param.startsWith("password=")) password = param.substring(9);
            }
        }
        return new Libpq("postgresql://" + (user == null ? "" : user + "@") + m.group(1) + "/" + m.group(2), password);
    }

    /** Runs a PostgreSQL tool; the password goes in the environment, never on the command line. */
    private static String run(Libpq target, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (target.password() != null) builder.environment().put("PGPASSWORD", target.password());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(command[0] + " finished").isTrue();
        if (process.exitValue() != 0) throw new IllegalStateException(command[0] + " exited " + process.exitValue() + ": " + output);
        return output;
    }

    private static boolean onPath(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void aPgDumpOfAServingDatabaseRestoresIntoANewOneThatAServerReads() throws Exception {
        assumeTrue(onPath("pg_dump") && onPath("pg_restore"), "pg_dump and pg_restore are not installed here");
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

            Libpq source = libpq(s.config.database().url());
            try {
                run(source, "pg_dump", "--format=custom", "--file=" + dump, "--dbname=" + source.url());
            } catch (IllegalStateException e) {
                assumeTrue(!String.valueOf(e.getMessage()).contains("version mismatch"), "pg_dump is older than the test PostgreSQL");
                throw e;
            }
        }
        Libpq target = libpq(restoredUrl);
        run(target, "pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname=" + target.url(), dump.toString());

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
