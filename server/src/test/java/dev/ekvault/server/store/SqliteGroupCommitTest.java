package dev.ekvault.server.store;

import dev.ekvault.server.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SQLite's writes are group-committed ({@link Database#write}): a writer queued behind another adds its work to the
 * same transaction in a savepoint of its own, and one commit answers them all. Each writer still commits or fails on
 * its own: a failing writer rolls back only its own work (and its audit-like in-transaction rows), gets its own
 * failure (a unique conflict still {@link ConflictingWrite}), and the after-commit subscribers hear each writer's
 * outcome. Groups are formed deterministically here: the first writer holds its work until others have queued.
 */
class SqliteGroupCommitTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private Database db;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    /** What the after-commit subscriber heard: entity id → committed. */
    private final Map<String, Boolean> told = new ConcurrentHashMap<>();

    @BeforeEach
    void open() throws Exception {
        db = new Database("jdbc:sqlite:" + Files.createTempDirectory("ek-group").resolve("ek.db"), "", "", 4);
        db.write(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE item (id INTEGER PRIMARY KEY)");
                st.execute("CREATE TABLE entry (entity TEXT NOT NULL)");
            }
            return null;
        });
        // stands for the audit log: a row per change, written inside the writer's transaction
        db.journal().subscribeInTransaction((c, changes) -> {
            for (Journal.Change change : changes) Sql.update(c, "INSERT INTO entry (entity) VALUES (?)", change.entityId());
        });
        db.journal().subscribe((changes, committed) -> changes.forEach(change -> told.put(change.entityId(), committed)));
    }

    @AfterEach
    void close() {
        threads.shutdownNow();
        db.close();
    }

    /**
     * A writer's savepoint keeps the originals of the pages it changes in a sub-journal; past 64 KB SQLite writes it to
     * a temporary file, which cost a bulk create a quarter of its work under the writer. Every connection keeps it in
     * memory, the writer's included.
     */
    @Test
    void savepointJournalsStayInMemory() {
        Integer writer = db.write(c -> Sql.one(c, "PRAGMA temp_store", r -> r.getInt(1)));
        Integer reader = db.read(c -> Sql.one(c, "PRAGMA temp_store", r -> r.getInt(1)));
        assertThat(writer).as("temp_store MEMORY").isEqualTo(2);
        assertThat(reader).as("temp_store MEMORY").isEqualTo(2);
    }

    @Test
    void aWriterQueuedBehindAnotherSharesItsTransactionAndNeitherIsAnsweredBeforeTheCommit() throws Exception {
        Future<?> first = firstWriterHoldingUntilQueued(1);
        List<Long> seenInside = new ArrayList<>();
        List<Long> seenOutside = new ArrayList<>();
        Future<?> second = threads.submit(() -> db.write(c -> {
            seenInside.addAll(Sql.list(c, "SELECT id FROM item ORDER BY id", r -> r.getLong(1)));
            seenOutside.addAll(db.read(other -> Sql.list(other, "SELECT id FROM item ORDER BY id", r -> r.getLong(1))));
            insert(c, 2);
            return null;
        }));
        first.get();
        // the first writer was answered after the group's one commit, which holds the second writer's row too
        assertThat(ids()).containsExactly(1L, 2L);
        second.get();
        assertThat(seenInside).as("the group's transaction: the first writer's row is there").containsExactly(1L);
        assertThat(seenOutside).as("another connection: nothing committed yet").isEmpty();
        assertThat(told).containsOnly(Map.entry("1", true), Map.entry("2", true));
        assertThat(entries()).containsExactlyInAnyOrder("1", "2");
    }

    @Test
    void aFailingWriterRollsBackOnlyItsOwnWorkAndGetsItsOwnFailure() throws Exception {
        Future<?> first = firstWriterHoldingUntilQueued(3);
        Future<?> failing = threads.submit(() -> db.write(c -> {
            insert(c, 2);
            throw new IllegalStateException("this request's own failure");
        }));
        Future<?> conflicting = threads.submit(() -> db.write(c -> {
            insert(c, 3);
            Sql.update(c, "INSERT INTO item (id) VALUES (?)", 1); // the first writer's row: a unique conflict
            return null;
        }));
        Future<?> fine = threads.submit(() -> db.write(c -> {
            insert(c, 4);
            return null;
        }));
        first.get();
        fine.get();
        assertThatThrownBy(failing::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(IllegalStateException.class).hasMessage("this request's own failure");
        assertThatThrownBy(conflicting::get).isInstanceOf(ExecutionException.class).cause().isInstanceOf(ConflictingWrite.class);
        assertThat(ids()).containsExactly(1L, 4L);
        assertThat(entries()).containsExactlyInAnyOrder("1", "4");
        assertThat(told).containsOnly(Map.entry("1", true), Map.entry("2", false), Map.entry("3", false), Map.entry("4", true));
    }

    @Test
    void aWriteInsideAWriteJoinsItAndItsFailureUndoesOnlyItself() {
        db.write(c -> {
            insert(c, 1);
            assertThatThrownBy(() -> db.write(inner -> {
                insert(inner, 2);
                throw new IllegalStateException("inner");
            })).hasMessage("inner");
            db.write(inner -> insert(inner, 3));
            return null;
        });
        assertThat(ids()).containsExactly(1L, 3L);
        assertThat(told).containsOnly(Map.entry("1", true), Map.entry("3", true));
        assertThat(entries()).containsExactlyInAnyOrder("1", "3");
    }

    @Test
    void everyCommitSyncsTheLog() {
        // synchronous=FULL (2): in WAL mode the log is synced at each commit, so an answered write survives power loss
        for (int i = 0; i < 4; i++) {
            Integer mode = db.read(c -> Sql.one(c, "PRAGMA synchronous", r -> r.getInt(1)));
            assertThat(mode).isEqualTo(2);
        }
    }

    private volatile boolean started;

    /**
     * Starts a writer that inserts item 1 and then holds the writer until {@code queued} others wait for it, so they
     * join its group; returns once it holds the writer.
     */
    private Future<?> firstWriterHoldingUntilQueued(int queued) {
        Future<?> first = threads.submit(() -> db.write(c -> {
            insert(c, 1);
            Await.until(queued + " writers queued", DEADLINE, Duration.ofMillis(2), () -> db.queuedWriters() >= queued);
            return null;
        }));
        Await.until("the first writer holds the writer", DEADLINE, Duration.ofMillis(2), () -> started);
        return first;
    }

    /** Inserts an item and says so to the journal, as a service's write would. */
    private Void insert(java.sql.Connection c, long id) throws SQLException {
        Sql.update(c, "INSERT INTO item (id) VALUES (?)", id);
        Journal.changed(c, Journal.Change.of("create", "item", "", Long.toString(id)));
        started = true;
        return null;
    }

    private List<Long> ids() {
        return db.read(c -> Sql.list(c, "SELECT id FROM item ORDER BY id", r -> r.getLong(1)));
    }

    private List<String> entries() {
        return db.read(c -> Sql.list(c, "SELECT entity FROM entry", r -> r.getString(1)));
    }
}
