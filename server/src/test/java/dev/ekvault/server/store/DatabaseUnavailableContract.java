package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Database failures that are no fault of the request become {@link DatabaseUnavailable} with the right reason — the
 * one classifier the gateway's 503 and 507 rest on — while other failures stay plain: a statement past the bound, the
 * server ending a connection (and the pool recovering by itself after it), another process holding SQLite's write lock
 * past the busy timeout, a read-only file; and bad SQL, which is a bug, not an outage.
 */
abstract class DatabaseUnavailableContract {
    abstract Backend backend();

    private static final Database.Bounds SHORT = new Database.Bounds(Duration.ofSeconds(1), Duration.ofSeconds(1));

    private String jdbcUrl() throws Exception {
        String url = backend().freshDatabaseUrl();
        return url.isEmpty() ? "jdbc:sqlite:" + Files.createTempDirectory("ek-unavailable").resolve("ek.db") : url;
    }

    @Test
    void badSqlIsNotAnOutage() throws Exception {
        try (Database db = new Database(jdbcUrl(), "", "", 2, SHORT)) {
            assertThatThrownBy(() -> db.read(c -> Sql.one(c, "SELECT no_such_column FROM no_such_table", r -> 1)))
                    .isInstanceOf(StoreException.class).isNotInstanceOf(DatabaseUnavailable.class);
            int one = db.read(c -> Sql.one(c, "SELECT 1", r -> r.getInt(1)));
            assertThat(one).as("positive control").isEqualTo(1);
        }
    }

    @Test
    void aStatementPastTheBoundIsUnavailable() throws Exception {
        String url = jdbcUrl();
        try (Database db = new Database(url, "", "", 2, SHORT)) {
            if (backend() == Backend.POSTGRESQL) {
                assertThatThrownBy(() -> db.read(c -> Sql.one(c, "SELECT pg_sleep(3)", r -> 1)))
                        .isInstanceOfSatisfying(DatabaseUnavailable.class, e -> assertThat(e.reason).isEqualTo(DatabaseUnavailable.Reason.UNREACHABLE));
            } else {
                Migrations.apply(db, new TestClock());
                // another process holds the file's write lock for longer than the busy timeout
                try (Connection other = DriverManager.getConnection(url); Statement s = other.createStatement()) {
                    s.execute("BEGIN IMMEDIATE");
                    assertThatThrownBy(() -> db.write(c -> Sql.update(c, "DELETE FROM change_log")))
                            .isInstanceOfSatisfying(DatabaseUnavailable.class, e -> assertThat(e.reason).isEqualTo(DatabaseUnavailable.Reason.BUSY));
                    s.execute("ROLLBACK");
                }
            }
            int one = db.write(c -> Sql.one(c, "SELECT 1", r -> r.getInt(1)));
            assertThat(one).as("the next call works").isEqualTo(1);
        }
    }

    @Test
    void aConnectionTheServerEndsIsUnavailableAndThePoolRecoversAlone() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // SQLite has no server to end a connection
        String url = jdbcUrl();
        try (Database db = new Database(url, "", "", 1, SHORT)) {
            // the server ends the connection in the middle of the transaction using it
            assertThatThrownBy(() -> db.read(c -> {
                int pid = Sql.one(c, "SELECT pg_backend_pid()", r -> r.getInt(1));
                try (Connection admin = DriverManager.getConnection(url); Statement s = admin.createStatement()) {
                    s.execute("SELECT pg_terminate_backend(" + pid + ")");
                }
                return Sql.one(c, "SELECT 1", r -> 1);
            })).isInstanceOf(DatabaseUnavailable.class);
            int one = db.read(c -> Sql.one(c, "SELECT 1", r -> r.getInt(1)));
            assertThat(one).as("a new connection, no restart").isEqualTo(1);
        }
    }

    @Test
    void aReadOnlySqliteDatabaseIsReadOnly() throws Exception {
        if (backend() != Backend.SQLITE) return;
        try (Database db = new Database(jdbcUrl(), "", "", 1, SHORT)) { // one connection: the one made read-only
            Migrations.apply(db, new TestClock());
            readOnly(db, true);
            int rows = db.read(c -> Sql.one(c, "SELECT COUNT(*) FROM change_log", r -> r.getInt(1)));
            assertThat(rows).as("reads work").isZero();
            assertThatThrownBy(() -> db.write(c -> Sql.update(c, "DELETE FROM change_log")))
                    .isInstanceOfSatisfying(DatabaseUnavailable.class, e -> assertThat(e.reason).isEqualTo(DatabaseUnavailable.Reason.READ_ONLY));
            readOnly(db, false);
            int deleted = db.write(c -> Sql.update(c, "DELETE FROM change_log"));
            assertThat(deleted).as("positive control: writable again").isZero();
        }
    }

    /** SQLite refuses every write on a connection told {@code query_only}, as it does on a read-only file. */
    static void readOnly(Database db, boolean on) {
        db.read(c -> {
            try (Statement statement = c.createStatement()) {
                statement.execute("PRAGMA query_only = " + (on ? 1 : 0));
            }
            return null;
        });
    }
}
