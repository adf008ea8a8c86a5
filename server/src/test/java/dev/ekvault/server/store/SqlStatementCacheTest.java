package dev.ekvault.server.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SQLite keeps each connection's prepared statements ({@link Sql}): a kept statement must behave exactly like a new
 * one — the same query run again inside its own result's loop, a statement that failed, more distinct statements than
 * the cache holds, a table changed under a kept statement, and a checkpoint that no kept statement holds up.
 */
class SqlStatementCacheTest {
    private Database db;
    private String url;

    @BeforeEach
    void open() throws Exception {
        url = "jdbc:sqlite:" + Files.createTempDirectory("ek-sql").resolve("ek.db");
        db = new Database(url, "", "", 1); // one connection: every use meets the cache
        db.write(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
            }
            for (int i = 1; i <= 3; i++) Sql.update(c, "INSERT INTO item (id, name) VALUES (?, ?)", i, "n" + i);
            return null;
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void theSameQueryInsideItsOwnResultLoopGetsItsOwnStatement() {
        List<String> pairs = db.read(c -> Sql.list(c, "SELECT id FROM item WHERE id >= ? ORDER BY id", outer -> {
            long id = outer.getLong(1);
            List<Long> inner = Sql.list(c, "SELECT id FROM item WHERE id >= ? ORDER BY id", r -> r.getLong(1), id);
            return id + ":" + inner;
        }, 1L));
        assertThat(pairs).containsExactly("1:[1, 2, 3]", "2:[2, 3]", "3:[3]");
        // and the kept statement still answers afterwards, bound afresh
        List<Long> last = db.read(c -> Sql.list(c, "SELECT id FROM item WHERE id >= ? ORDER BY id", r -> r.getLong(1), 3L));
        assertThat(last).containsExactly(3L);
    }

    @Test
    void aStatementThatFailedIsNotRunAgainInItsFailedState() {
        String insert = "INSERT INTO item (id, name) VALUES (?, ?)";
        assertThatThrownBy(() -> db.write(c -> Sql.update(c, insert, 4, "n1"))).isInstanceOf(RuntimeException.class); // name taken
        int inserted = db.write(c -> Sql.update(c, insert, 4, "n4"));
        assertThat(inserted).isEqualTo(1);
        assertThat(name(4)).isEqualTo("n4");
    }

    @Test
    void moreDistinctStatementsThanTheCacheHoldsAllAnswer() {
        List<Long> counts = new ArrayList<>();
        db.read(c -> {
            for (int round = 0; round < 2; round++) {
                for (int n = 0; n < 600; n++) counts.add(Sql.one(c, "SELECT count(*) + " + n + " FROM item", r -> r.getLong(1)) - n);
            }
            return null;
        });
        assertThat(counts).hasSize(1200).containsOnly(3L);
    }

    @Test
    void aKeptStatementFollowsATableChangedUnderIt() {
        String select = "SELECT name FROM item WHERE id = ?";
        assertThat(name(1)).isEqualTo("n1");
        db.write(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("ALTER TABLE item RENAME TO item_away");
            }
            return null;
        });
        assertThatThrownBy(() -> db.read(c -> Sql.one(c, select, r -> r.getString(1), 1))).isInstanceOf(RuntimeException.class);
        db.write(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("ALTER TABLE item_away RENAME TO item");
            }
            return null;
        });
        assertThat(name(1)).isEqualTo("n1");
    }

    private String name(int id) {
        return db.read(c -> Sql.one(c, "SELECT name FROM item WHERE id = ?", r -> r.getString(1), id));
    }

    @Test
    void keptStatementsHoldNoReadThatStopsACheckpoint() throws Exception {
        for (int i = 0; i < 50; i++) {
            int n = i;
            db.write(c -> Sql.update(c, "INSERT INTO item (id, name) VALUES (?, ?)", 100 + n, "m" + n));
            db.read(c -> Sql.list(c, "SELECT name FROM item ORDER BY id", r -> r.getString(1)));
        }
        // from another connection, a full checkpoint completes only when no statement of the pool's connection, idle
        // with its kept statements, still holds a read of the log
        try (Connection other = DriverManager.getConnection(url); Statement st = other.createStatement();
             var r = st.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
            r.next();
            assertThat(r.getInt(1)).as("busy").isZero();
        }
    }
}
