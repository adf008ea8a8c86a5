package dev.ekvault.server.ops;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /readyz} means this node can serve, and serving means writing: a database that still answers reads but
 * refuses writes (a read-only file, a standby, {@code default_transaction_read_only}) must answer 503 with the reason,
 * promptly, while sign-in there would fail with 500.
 */
abstract class ReadinessContract {
    abstract Backend backend();

    private static final long DEADLINE_MILLIS = 20_000;

    private static void assertReady(HttpResult r) {
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("ready");
        assertThat(r.headers().allValues("Cache-Control")).doesNotContain("no-store");
    }

    /** Asks {@code /readyz} until an answer satisfies {@code expected} or the deadline passes; returns the last one. */
    private static HttpResult awaitReadyz(TestServer s, Predicate<HttpResult> expected) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE_MILLIS * 1_000_000;
        HttpResult r = s.get("/readyz", null);
        while (!expected.test(r) && System.nanoTime() < deadline) {
            Thread.sleep(50); // a pause between polls; the assertion is on the answer
            r = s.get("/readyz", null);
        }
        return r;
    }

    @Test
    void aDatabaseThatRefusesWritesIsNotReady() throws Exception {
        // one pooled connection, so the SQLite case can make "the" connection read-only
        try (TestServer s = TestServer.start(backend(), "--database-pool-size=1")) {
            assertReady(s.get("/readyz", null));
            setReadOnly(s, true);
            HttpResult notReady = awaitReadyz(s, r -> r.status() == 503 && r.message().contains("refuses writes"));
            assertThat(notReady.status()).as("%s", notReady).isEqualTo(503);
            assertThat(notReady.message()).contains("refuses writes");
            assertThat(notReady.body()).doesNotContain("jdbc:").doesNotContain("password");
            if (backend() == Backend.SQLITE) {
                // the state the probe reports is real: a change through the API fails there, as the database's fault
                // (503 with Retry-After and a fixed message), not as a 500
                HttpResult write = s.post("/v1/workspace/acme/project", s.ownerToken,
                        "{\"name\":\"ro\",\"slug\":\"ro\",\"teamId\":\"" + s.defaultTeamId() + "\"}");
                assertThat(write.status()).as("%s", write).isEqualTo(503);
                assertThat(write.headers().firstValue("Retry-After")).isPresent();
                assertThat(write.message()).isEqualTo("the database refuses writes (read-only); retry later");
            }
            setReadOnly(s, false);
            assertReady(awaitReadyz(s, r -> r.status() == 200));
        }
    }

    @Test
    void aWriteLockHeldByAnotherProcessIsNotReadyWithinSeconds() throws Exception {
        if (backend() != Backend.SQLITE) return; // PostgreSQL has no whole-database write lock
        try (TestServer s = TestServer.start(backend());
             Connection other = DriverManager.getConnection(s.config.jdbcUrl());
             Statement statement = other.createStatement()) {
            assertReady(s.get("/readyz", null));
            statement.execute("BEGIN IMMEDIATE");
            long started = System.nanoTime();
            HttpResult busy = s.get("/readyz", null);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(busy.status()).as("%s", busy).isEqualTo(503);
            assertThat(busy.message()).contains("locked by another process");
            assertThat(millis).as("answered after %d ms (the pool's busy timeout is 10 s)", millis).isLessThan(5_000);
            statement.execute("ROLLBACK");
            assertReady(s.get("/readyz", null));
        }
    }

    /**
     * SQLite: {@code query_only} on the pool's one connection (running as root, a chmod would not stop the writes).
     * PostgreSQL: the database's default, which takes effect on new sessions, so the server's are ended.
     */
    private void setReadOnly(TestServer s, boolean readOnly) throws SQLException {
        if (backend() == Backend.SQLITE) {
            s.server.database().write(c -> {
                try (Statement statement = c.createStatement()) {
                    statement.execute("PRAGMA query_only = " + (readOnly ? 1 : 0));
                }
                return null;
            });
            return;
        }
        try (Connection admin = DriverManager.getConnection(s.config.jdbcUrl()); Statement statement = admin.createStatement()) {
            statement.execute("SET default_transaction_read_only = off"); // this session may have begun read-only
            String name;
            try (ResultSet row = statement.executeQuery("SELECT current_database()")) {
                row.next();
                name = row.getString(1);
            }
            statement.execute("ALTER DATABASE \"" + name + "\" " + (readOnly ? "SET default_transaction_read_only = on" : "RESET default_transaction_read_only"));
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        }
    }
}
