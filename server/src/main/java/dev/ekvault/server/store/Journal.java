package dev.ekvault.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The change journal: the one way a write says what it changed. Inside a {@link Database#write} transaction a service
 * (or a store) calls {@link #changed}; that appends the {@code change_log} row other nodes poll, in the same transaction,
 * and remembers the change. When the transaction is over, the database hands the transaction's changes to every
 * subscriber of its journal: this node's change feed applies them at once (read-your-writes), the secret cache drops
 * what changed, and later consumers (audit, sync, metrics) subscribe the same way. No service talks to the change feed
 * or a cache itself.
 *
 * <p>The changes of the running transaction are kept per thread: a transaction runs on the thread that called
 * {@link Database#write}, so {@link #changed} needs only the connection it writes on. A change said outside a write
 * (a test's raw connection) still reaches other nodes through its row; no subscriber hears of it.
 */
public final class Journal {
    private static final Logger LOG = Logger.getLogger(Journal.class.getName());
    /** The changes of the write transaction running on this thread; null outside one. */
    private static final ThreadLocal<List<Change>> PENDING = new ThreadLocal<>();

    /** One change: what kind of thing, in which workspace, which one. */
    public record Change(ChangeFeed.Kind kind, String workspaceId, String entityId) {}

    /** Told once a transaction that said it changed something is over. */
    @FunctionalInterface
    public interface Subscriber {
        /**
         * {@code committed} is false when the transaction failed: the changes may or may not be in the database (a commit
         * can fail after it took effect), so a cache drops them all the same, while a consumer that reports what happened
         * would look at the flag.
         */
        void afterWrite(List<Change> changes, boolean committed);
    }

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    /** Says, inside the caller's write transaction, that something changed; every node learns it once it commits. */
    public static void changed(Connection c, ChangeFeed.Kind kind, String workspaceId, String entityId) throws SQLException {
        ChangeFeed.record(c, kind, workspaceId, entityId);
        List<Change> pending = PENDING.get();
        if (pending != null) pending.add(new Change(kind, workspaceId, entityId));
    }

    public void subscribe(Subscriber subscriber) {
        subscribers.add(subscriber);
    }

    /** Opens a transaction's list on this thread; returns the enclosing one (a write inside a write) to restore. */
    List<Change> begin() {
        List<Change> enclosing = PENDING.get();
        PENDING.set(new ArrayList<>());
        return enclosing;
    }

    /**
     * Closes this thread's list and tells the subscribers, after the transaction and outside the writer's lock. A
     * subscriber's failure is logged, not thrown: the write's outcome is already decided.
     */
    void end(List<Change> enclosing, boolean committed) {
        List<Change> changes = PENDING.get();
        if (enclosing == null) PENDING.remove();
        else PENDING.set(enclosing);
        if (changes == null || changes.isEmpty()) return;
        List<Change> told = List.copyOf(changes);
        for (Subscriber subscriber : subscribers) {
            try {
                subscriber.afterWrite(told, committed);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a change journal subscriber failed (" + e.getClass().getSimpleName()
                        + "); this node catches up at its next change-feed poll", e);
            }
        }
    }
}
