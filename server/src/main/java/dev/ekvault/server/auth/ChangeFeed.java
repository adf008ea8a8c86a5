package dev.ekvault.server.auth;

import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * How every node learns, within a poll interval, what another node changed: a write that changes a credential, a
 * membership, a signing key or a project's secrets appends a row to {@code change_log} in its own transaction, and every node polls the
 * table and hands each new row to the listener for its kind (which reloads that one entity).
 *
 * <p>Rows are read by sequence number, and again for a few seconds after they were written: on PostgreSQL a
 * transaction that took a lower number can commit after a higher one, and the second look catches it. Rows already
 * applied are remembered by number, so each is applied once; applying twice would be harmless anyway (listeners
 * reload from the database).
 */
public final class ChangeFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ChangeFeed.class.getName());
    private static final long LATE_COMMIT_WINDOW_MILLIS = 5_000;
    private static final long RETENTION_MILLIS = 3_600_000;

    /** {@code SECRET}: a project's secrets or environments changed (entity: the project id). */
    public enum Kind { CREDENTIAL, MEMBER, SIGNING_KEY, SECRET }

    public record Change(long seq, Kind kind, String workspaceId, String entityId) {}

    private final Database database;
    private final Clock clock;
    private final Duration interval;
    private final Map<Kind, Consumer<Change>> listeners = new EnumMap<>(Kind.class);
    private final Map<Long, Boolean> applied = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > 100_000;
        }
    };
    private long highestSeq;
    private long lastPrune;
    private long lastFailureLogged;
    private ScheduledExecutorService poller;

    public ChangeFeed(Database database, Clock clock, Duration interval) {
        this.database = database;
        this.clock = clock;
        this.interval = interval;
    }

    /** Appends a change inside the caller's transaction; it is seen by every node once that transaction commits. */
    public static void record(Connection c, Kind kind, String workspaceId, String entityId, long now) throws SQLException {
        Sql.update(c, "INSERT INTO change_log (kind, workspace_id, entity_id, at) VALUES (?, ?, ?, ?)", kind.name(), workspaceId, entityId, now);
    }

    public void listen(Kind kind, Consumer<Change> listener) {
        listeners.put(kind, listener);
    }

    /** Skips everything already in the log (the listeners' owners load full state at start), then polls on a timer. */
    public void start() {
        synchronized (this) {
            highestSeq = database.read(c -> Sql.one(c, "SELECT COALESCE(MAX(seq), 0) FROM change_log", r -> r.getLong(1)));
        }
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ek-change-feed");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::pollQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Applies every change not yet applied; a node calls it right after its own writes so it never waits on itself. */
    public synchronized void poll() {
        long now = clock.millis();
        List<Change> changes = database.read(c -> Sql.list(c,
                "SELECT seq, kind, workspace_id, entity_id FROM change_log WHERE seq > ? OR at >= ? ORDER BY seq",
                r -> new Change(r.getLong(1), Kind.valueOf(r.getString(2)), r.getString(3), r.getString(4)),
                highestSeq, now - LATE_COMMIT_WINDOW_MILLIS));
        List<Change> fresh = new ArrayList<>();
        for (Change change : changes) {
            if (applied.putIfAbsent(change.seq(), Boolean.TRUE) == null) fresh.add(change);
            highestSeq = Math.max(highestSeq, change.seq());
        }
        for (Change change : fresh) {
            Consumer<Change> listener = listeners.get(change.kind());
            if (listener != null) listener.accept(change);
        }
        if (now - lastPrune > 60_000) {
            lastPrune = now;
            database.write(c -> Sql.update(c, "DELETE FROM change_log WHERE at < ?", now - RETENTION_MILLIS));
        }
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (RuntimeException e) {
            long now = System.currentTimeMillis();
            if (now - lastFailureLogged > 60_000) {
                lastFailureLogged = now;
                LOG.warning("change feed poll failed (" + e.getClass().getSimpleName() + "); access changes from other nodes wait until it recovers");
            }
        }
    }

    @Override
    public void close() {
        if (poller != null) poller.shutdownNow();
    }
}
