package dev.ekvault.server.store;

import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A PostgreSQL write's queued statements ({@link DeferredWrites}) are not sent on their own: they go with the
 * transaction's next statement (which then sees them) or with its COMMIT, and they commit or roll back with it. A
 * statement sent by hand on the same connection, bypassing {@link Sql}, is what shows that a queued one has not been
 * sent yet. On SQLite, and outside a write, a statement runs at once.
 */
class DeferredWritesTest {
    private static final String INSERT = "INSERT INTO item (id, name) VALUES (?, ?)";

    @Test
    void onPostgresAQueuedWriteGoesWithTheNextStatementAndCommitsWithTheTransaction() {
        try (Database db = new Database(TestPostgres.freshDatabase(), "", "", 2)) {
            createTable(db);
            db.write(c -> {
                DeferredWrites.add(c, INSERT, 1L, "one");
                assertThat(countByHand(c)).as("queued, not sent on its own").isZero();
                String name = Sql.one(c, "SELECT name FROM item WHERE id = ?", r -> r.getString(1), 1L);
                assertThat(name).as("the next query carries it, and sees it").isEqualTo("one");
                DeferredWrites.add(c, INSERT, 2L, "two");
                DeferredWrites.add(c, "UPDATE item SET name = ? WHERE id = ?", "uno", 1L);
                assertThat(Sql.update(c, INSERT, 3L, "three")).as("a write carries them too, and answers its own count").isEqualTo(1);
                assertThat(countByHand(c)).isEqualTo(3);
                DeferredWrites.add(c, INSERT, 4L, "four"); // nothing is sent after it: it goes with the COMMIT
                assertThat(countByHand(c)).isEqualTo(3);
                return null;
            });
            assertThat(names(db)).containsExactly("uno", "two", "three", "four");
        }
    }

    @Test
    void onPostgresAQueuedWriteRollsBackWithItsTransactionAndAFailingOneFailsIt() {
        try (Database db = new Database(TestPostgres.freshDatabase(), "", "", 2)) {
            createTable(db);
            assertThatThrownBy(() -> db.write(c -> {
                DeferredWrites.add(c, INSERT, 1L, "kept only if the write commits");
                throw new IllegalStateException("the work fails after queueing");
            })).hasMessageContaining("the work fails");
            assertThat(names(db)).as("nothing of a write that failed").isEmpty();

            assertThatThrownBy(() -> db.write(c -> {
                Sql.update(c, INSERT, 1L, "sent at once");
                DeferredWrites.add(c, INSERT, 2L, null); // the column is NOT NULL: fails where it is sent
                return Sql.one(c, "SELECT COUNT(*) FROM item", r -> r.getLong(1));
            })).isInstanceOf(RuntimeException.class);
            assertThat(names(db)).as("the statement it went with failed, and the transaction with it").isEmpty();

            db.write(c -> Sql.update(c, INSERT, 1L, "control"));
            assertThat(names(db)).containsExactly("control");
        }
    }

    @Test
    void onPostgresAWriteInsideAWriteHasItsOwnQueue() {
        try (Database db = new Database(TestPostgres.freshDatabase(), "", "", 2)) {
            createTable(db);
            assertThatThrownBy(() -> db.write(outer -> {
                DeferredWrites.add(outer, INSERT, 1L, "outer, rolled back");
                db.write(inner -> {
                    DeferredWrites.add(inner, INSERT, 2L, "inner, committed");
                    return null;
                });
                assertThat(idsByHand(outer)).as("the inner write's row is committed, the outer one's still queued").containsExactly(2L);
                throw new IllegalStateException("the outer write fails");
            })).hasMessageContaining("outer write fails");
            assertThat(names(db)).containsExactly("inner, committed");
        }
    }

    @Test
    void onSqliteAndOutsideAWriteAStatementRunsAtOnce(@TempDir Path dir) throws SQLException {
        try (Database db = new Database("jdbc:sqlite:" + dir.resolve("ek.db"), "", "", 1)) {
            createTable(db);
            db.write(c -> {
                DeferredWrites.add(c, INSERT, 1L, "one");
                assertThat(countByHand(c)).as("SQLite: run at once").isEqualTo(1);
                return null;
            });
        }
        try (Database db = new Database(TestPostgres.freshDatabase(), "", "", 1)) {
            createTable(db);
            db.read(c -> {
                DeferredWrites.add(c, INSERT, 1L, "in a read transaction");
                assertThat(countByHand(c)).as("outside a write: run at once").isEqualTo(1);
                return null;
            });
        }
    }

    private static void createTable(Database db) {
        db.write(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE item (id BIGINT PRIMARY KEY, name TEXT NOT NULL)");
            }
            return null;
        });
    }

    /** The rows this connection sees, read by hand: nothing queued goes with it. */
    private static long countByHand(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("SELECT COUNT(*) FROM item")) {
            r.next();
            return r.getLong(1);
        }
    }

    private static java.util.List<Long> idsByHand(Connection c) throws SQLException {
        java.util.List<Long> ids = new java.util.ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("SELECT id FROM item ORDER BY id")) {
            while (r.next()) ids.add(r.getLong(1));
        }
        return ids;
    }

    private static java.util.List<String> names(Database db) {
        return db.read(c -> Sql.list(c, "SELECT name FROM item ORDER BY id", r -> r.getString(1)));
    }
}
