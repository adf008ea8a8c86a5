package dev.ekvault.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    /** The feed rows the running transaction has written (kind, workspace, entity), so each is written once. */
    private static final ThreadLocal<java.util.Set<String>> FED = new ThreadLocal<>();

    /**
     * One change: what was done ({@code action}: create, update, delete, revoke, rotate, sign-in…) to which entity, where,
     * and the entity's describing fields before and after (names, permissions, scopes, lifetimes, versions — never a
     * secret value, a token or a password: what is put here is what the audit log keeps). {@code kind} is the change
     * feed's kind when other nodes hold the entity in memory (they reload it), null when nothing is cached.
     */
    public record Change(ChangeFeed.Kind kind, String action, String entityType, String workspaceId, String entityId,
                         String projectId, String environmentId, Map<String, Object> before, Map<String, Object> after) {

        /** A change of {@code entityType} {@code entityId} in a workspace ("" when it belongs to none). */
        public static Change of(String action, String entityType, String workspaceId, String entityId) {
            return new Change(null, action, entityType, workspaceId, entityId, null, null, null, null);
        }

        /** Other nodes hold this entity in memory: the change also goes to the change feed as {@code feedKind}. */
        public Change feed(ChangeFeed.Kind feedKind) {
            return new Change(feedKind, action, entityType, workspaceId, entityId, projectId, environmentId, before, after);
        }

        public Change in(String project, String environment) {
            return new Change(kind, action, entityType, workspaceId, entityId, project, environment, before, after);
        }

        public Change before(Map<String, Object> fields) {
            return new Change(kind, action, entityType, workspaceId, entityId, projectId, environmentId, fields, after);
        }

        public Change after(Map<String, Object> fields) {
            return new Change(kind, action, entityType, workspaceId, entityId, projectId, environmentId, before, fields);
        }

        /**
         * The entity the change feed names: a {@code SECRET} change names its project when it has one (nodes drop a
         * project's cached secrets as a whole), every other kind the entity itself.
         */
        public String feedEntity() {
            return kind == ChangeFeed.Kind.SECRET && projectId != null ? projectId : entityId;
        }
    }

    /**
     * Told inside the transaction, before it commits, on its connection: what it writes commits or rolls back with
     * the change (the audit log's entries). A failure fails the transaction.
     */
    @FunctionalInterface
    public interface InTransaction {
        void beforeCommit(Connection c, List<Change> changes) throws SQLException;
    }

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

    /**
     * A change's fields from name, value pairs, in order; a null value is left out (a field that does not apply). Never
     * pass a secret value, a token, a hash or a password.
     */
    public static Map<String, Object> fields(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) throw new IllegalArgumentException("fields come in name, value pairs");
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) fields.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(fields);
    }

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final List<InTransaction> inTransaction = new CopyOnWriteArrayList<>();
    private volatile InTransaction lastInTransaction;

    /**
     * Says, inside the caller's write transaction, what changed: the in-transaction subscribers write theirs before it
     * commits, every node learns of a fed change once it commits, and the after-commit subscribers are told.
     */
    public static void changed(Connection c, Change change) throws SQLException {
        List<Change> pending = PENDING.get();
        // one feed row per entity and transaction is enough: a node reloads the entity (or drops the project) once,
        // whatever happened to it (a bulk write of 500 values is one SECRET row, not 1,000)
        if (change.kind() != null && (pending == null || FED.get().add(change.kind() + "\n" + change.workspaceId() + "\n" + change.feedEntity()))) {
            ChangeFeed.record(c, change.kind(), change.workspaceId(), change.feedEntity());
        }
        if (pending != null) pending.add(change);
    }

    public void subscribe(Subscriber subscriber) {
        subscribers.add(subscriber);
    }

    public void subscribeInTransaction(InTransaction subscriber) {
        inTransaction.add(subscriber);
    }

    /**
     * The one in-transaction subscriber that runs after every other: the audit log. Its append takes the workspace
     * chain's lock, which lasts until the commit (on PostgreSQL every writer of the workspace waits for it, and the
     * append commits the transaction itself), so the other subscribers' statements run before it is taken, not while
     * it is held.
     */
    public void subscribeInTransactionLast(InTransaction subscriber) {
        if (lastInTransaction != null) throw new IllegalStateException("the journal already has its last in-transaction subscriber");
        lastInTransaction = subscriber;
    }

    /** Runs the in-transaction subscribers over this thread's pending changes, just before the commit. */
    void beforeCommit(Connection c) throws SQLException {
        List<Change> changes = PENDING.get();
        if (changes == null || changes.isEmpty()) return;
        List<Change> told = List.copyOf(changes);
        for (InTransaction subscriber : inTransaction) subscriber.beforeCommit(c, told);
        if (lastInTransaction != null) lastInTransaction.beforeCommit(c, told);
    }

    /** Where this thread's transaction stood before a savepoint: its changes so far and the feed rows written. */
    record Mark(int changes, java.util.Set<String> fed) {}

    /** Marks this thread's transaction before a write inside it (a savepoint); null outside a write. */
    Mark mark() {
        List<Change> changes = PENDING.get();
        return changes == null ? null : new Mark(changes.size(), new java.util.HashSet<>(FED.get()));
    }

    /** The write inside rolled back to its savepoint: what it said it changed is forgotten with its rows. */
    void rollBackTo(Mark mark) {
        if (mark == null) return;
        List<Change> changes = PENDING.get();
        changes.subList(mark.changes(), changes.size()).clear();
        FED.set(mark.fed());
    }

    /** Opens a transaction's list on this thread; returns the enclosing one (a write inside a write) to restore. */
    List<Change> begin() {
        List<Change> enclosing = PENDING.get();
        PENDING.set(new ArrayList<>());
        FED.set(new java.util.HashSet<>());
        return enclosing;
    }

    /**
     * Closes this thread's list and tells the subscribers, after the transaction and outside the writer's lock. A
     * subscriber's failure is logged, not thrown: the write's outcome is already decided.
     */
    void end(List<Change> enclosing, boolean committed) {
        List<Change> changes = PENDING.get();
        if (enclosing == null) {
            PENDING.remove();
            FED.remove();
        } else {
            PENDING.set(enclosing); // a write inside a write is rare; the enclosing one may write a feed row again
            FED.set(new java.util.HashSet<>());
        }
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
