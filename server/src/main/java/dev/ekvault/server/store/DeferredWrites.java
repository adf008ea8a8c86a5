package dev.ekvault.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A PostgreSQL write's statements whose answer nobody reads (the change feed's row, a value's history row, the syncs'
 * change marks), sent in the same message as the transaction's next statement instead of each in a round trip of its
 * own: ahead of the next query or write that goes through {@link Sql}, or ahead of the COMMIT (the audit log's message,
 * or {@link Database#write}'s own). A value's update held its secret's row lock through eight round trips; the
 * statements queued here were three of them.
 *
 * <p>What is queued runs before anything sent after it, in order, in the same transaction: a later read sees it, and
 * the transaction commits or rolls back with it. Its failure surfaces at the statement it went with, so only statements
 * that no request can make fail belong here (rows whose keys the transaction itself holds or made up); a statement that
 * may conflict with the caller's input runs at once, where its failure is the caller's answer.
 *
 * <p>Outside a PostgreSQL write (SQLite, whose statements cost no round trip; a read; a test's own connection) a statement
 * runs at once. A write's queue is its thread's, for the connection the write runs on: a write inside a write (on
 * PostgreSQL, another connection and transaction) has a queue of its own.
 */
public final class DeferredWrites {
    /** The running write's connection and what it has queued; null outside a PostgreSQL write. */
    private static final ThreadLocal<Queue> OPEN = new ThreadLocal<>();

    /** Statements queued, as one text ({@code "…; …; "}) and their parameters in order. */
    static final class Queue {
        final Connection connection;
        final StringBuilder sql = new StringBuilder();
        final List<Object> parameters = new ArrayList<>();
        int statements;

        Queue(Connection connection) {
            this.connection = connection;
        }
    }

    /** What {@link #take} hands over: statements to send ahead of the caller's own, in the same message. */
    public record Queued(String sql, List<Object> parameters, int statements) {}

    private DeferredWrites() {}

    /** Runs {@code sql} now, or, inside a PostgreSQL write on {@code c}, queues it to go with the next statement sent. */
    public static void add(Connection c, String sql, Object... parameters) throws SQLException {
        Queue queue = OPEN.get();
        if (queue == null || queue.connection != c) {
            Sql.update(c, sql, parameters);
            return;
        }
        queue.sql.append(sql).append("; ");
        queue.parameters.addAll(Arrays.asList(parameters));
        queue.statements++;
    }

    /**
     * Takes what is queued for {@code c}, for a caller that sends it ahead of its own statements in one message
     * ({@code sql + own}, the parameters bound in the same order); null when nothing is.
     */
    public static Queued take(Connection c) {
        Queue queue = OPEN.get();
        if (queue == null || queue.connection != c || queue.statements == 0) return null;
        Queued queued = new Queued(queue.sql.toString(), List.copyOf(queue.parameters), queue.statements);
        queue.sql.setLength(0);
        queue.parameters.clear();
        queue.statements = 0;
        return queued;
    }

    /** Opens {@code c}'s queue on this thread, for a PostgreSQL write; returns the enclosing write's, to {@link #close} with. */
    static Queue open(Connection c) {
        Queue enclosing = OPEN.get();
        OPEN.set(new Queue(c));
        return enclosing;
    }

    /** Ends this thread's queue (what is left in it is dropped with its failed transaction); the enclosing one is back. */
    static void close(Queue enclosing) {
        if (enclosing == null) OPEN.remove();
        else OPEN.set(enclosing);
    }

    /** Commits {@code c}'s transaction with what is still queued in the COMMIT's message; nothing when nothing is queued. */
    static void commitWithQueued(Connection c) throws SQLException {
        Queue queue = OPEN.get();
        if (queue != null && queue.connection == c && queue.statements > 0) Sql.update(c, "COMMIT"); // Sql sends the queue with it
    }
}
