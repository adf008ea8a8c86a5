package dev.ekvault.server.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.sqlite.SQLiteConnection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JDBC steps every store repeats: prepare, bind, run, map. Parameters bind by their Java type (String, Long,
 * Integer, Boolean, byte[]; null as SQL NULL); rows map through a {@link Row} function.
 *
 * <p>On SQLite a statement is prepared once per connection and kept ({@link StatementCache}): preparing was a tenth
 * of a small transaction's work (the audit log's group-commit, a bulk create's per-secret statements), and SQLite's
 * driver keeps nothing itself. PostgreSQL's driver already keeps the statements it sees repeated, per connection.
 */
public final class Sql {
    /** Reads the current row of a result set into a value. */
    @FunctionalInterface
    public interface Row<T> {
        T read(ResultSet row) throws SQLException;
    }

    private Sql() {}

    /** Runs an INSERT, UPDATE or DELETE; returns the number of rows changed. */
    public static int update(Connection c, String sql, Object... parameters) throws SQLException {
        try (Prepared statement = prepare(c, sql, parameters)) {
            return statement.done(statement.update());
        }
    }

    /**
     * Runs one INSERT, UPDATE or DELETE for each parameter row, prepared once and sent as one batch (a group of
     * audit entries: one statement and one round trip instead of hundreds).
     */
    public static void batch(Connection c, String sql, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) return;
        sendQueued(c); // a batch's statement is sent alone, its rows each bound in turn
        try (Prepared prepared = prepare(c, sql)) {
            PreparedStatement statement = prepared.statement;
            for (Object[] parameters : rows) {
                for (int i = 0; i < parameters.length; i++) bind(statement, i + 1, parameters[i]);
                statement.addBatch();
            }
            prepared.done(statement.executeBatch());
        }
    }

    public static <T> List<T> list(Connection c, String sql, Row<T> row, Object... parameters) throws SQLException {
        try (Prepared statement = prepare(c, sql, parameters); ResultSet rows = statement.query()) {
            List<T> result = new ArrayList<>();
            while (rows.next()) result.add(row.read(rows));
            return statement.done(result);
        }
    }

    /** The first row mapped, or null when there is none. */
    public static <T> T one(Connection c, String sql, Row<T> row, Object... parameters) throws SQLException {
        try (Prepared statement = prepare(c, sql, parameters); ResultSet rows = statement.query()) {
            return statement.done(rows.next() ? row.read(rows) : null);
        }
    }

    public static boolean exists(Connection c, String sql, Object... parameters) throws SQLException {
        try (Prepared statement = prepare(c, sql, parameters); ResultSet rows = statement.query()) {
            return statement.done(rows.next());
        }
    }

    /** Statement parameters in order, each collection spread in place (the values of an IN list among single ones). */
    public static Object[] spread(Object... parts) {
        List<Object> out = new ArrayList<>();
        for (Object part : parts) {
            if (part instanceof Collection<?> many) out.addAll(many);
            else out.add(part);
        }
        return out.toArray();
    }

    /** {@code ?, ?, ?} for an IN list of {@code n} values. */
    public static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    public static Long nullableLong(ResultSet r, int index) throws SQLException {
        long value = r.getLong(index);
        return r.wasNull() ? null : value;
    }

    /**
     * A statement ready to run, its parameters bound. On PostgreSQL, the write's statements queued meanwhile
     * ({@link DeferredWrites}) go ahead of it in the same message, their parameters first.
     */
    private static Prepared prepare(Connection c, String sql, Object... parameters) throws SQLException {
        if (c.isWrapperFor(SQLiteConnection.class)) return bound(StatementCache.take(c.unwrap(SQLiteConnection.class), sql), 0, parameters);
        DeferredWrites.Queued queued = DeferredWrites.take(c);
        if (queued == null) return bound(new Prepared(postgresStatement(c, sql), null, sql, 0), 0, parameters);
        String text = queued.sql() + sql;
        Prepared prepared = bound(new Prepared(postgresStatement(c, text), null, text, queued.statements()), 0, queued.parameters().toArray());
        return bound(prepared, queued.parameters().size(), parameters);
    }

    /** Sends what the write has queued on its own, before a statement that cannot carry it (a batch). */
    private static void sendQueued(Connection c) throws SQLException {
        DeferredWrites.Queued queued = DeferredWrites.take(c);
        if (queued == null) return;
        String text = queued.sql().substring(0, queued.sql().length() - 2); // without the last "; "
        try (Prepared prepared = bound(new Prepared(postgresStatement(c, text), null, text, queued.statements() - 1), 0,
                queued.parameters().toArray())) {
            prepared.done(prepared.update());
        }
    }

    private static Prepared bound(Prepared prepared, int offset, Object[] parameters) throws SQLException {
        try {
            for (int i = 0; i < parameters.length; i++) bind(prepared.statement, offset + i + 1, parameters[i]);
            return prepared;
        } catch (SQLException | RuntimeException e) {
            prepared.discard();
            throw e;
        }
    }

    /**
     * A PostgreSQL statement. One with an IN list is planned for its values at every run: pgjdbc prepares a statement on
     * the server after its fifth use, and PostgreSQL then keeps one generic plan for it, planned on what it knew of the
     * table then. A bulk create's look-up of its 50 names, planned while its table was nearly empty (a new store, an
     * import), kept scanning the whole table and building the list for every row: on a new store, 24 bulk creates a
     * second with time-outs, against 150-160 planned each time. Only these: planning every statement each time
     * ({@code plan_cache_mode=force_custom_plan}) also re-planned the foreign keys' checks, row by row (110 a second).
     */
    private static PreparedStatement postgresStatement(Connection c, String sql) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        if (sql.contains(" IN (?")) statement.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0);
        return statement;
    }

    /**
     * A statement for one use. Closing it closes an uncached statement, and hands a cached one back to its
     * connection's cache with its parameters and batch cleared; one that failed is closed and dropped from the cache
     * ({@link #discard}), so no statement in a state left by an error is ever run again.
     */
    private static final class Prepared implements AutoCloseable {
        final PreparedStatement statement;
        private final StatementCache cache;
        private final String sql;
        /** How many statements of the text go ahead of the caller's own (queued writes): their results are passed over. */
        private final int ahead;
        private boolean ok;

        Prepared(PreparedStatement statement, StatementCache cache, String sql, int ahead) {
            this.statement = statement;
            this.cache = cache;
            this.sql = sql;
            this.ahead = ahead;
        }

        /** Runs the text; the caller's statement's rows. */
        ResultSet query() throws SQLException {
            if (ahead == 0) return statement.executeQuery();
            statement.execute();
            for (int i = 0; i < ahead; i++) statement.getMoreResults();
            ResultSet rows = statement.getResultSet();
            if (rows == null) throw new SQLException("a query sent after queued writes returned no rows");
            return rows;
        }

        /** Runs the text; the number of rows the caller's statement changed. */
        int update() throws SQLException {
            if (ahead == 0) return statement.executeUpdate();
            statement.execute();
            for (int i = 0; i < ahead; i++) statement.getMoreResults();
            return statement.getUpdateCount();
        }

        /** Marks this use as finished without an error (the statement may go back to its cache); returns the result. */
        <T> T done(T result) {
            ok = true;
            return result;
        }

        @Override
        public void close() throws SQLException {
            if (cache == null || !ok) {
                discard();
                return;
            }
            try {
                statement.clearBatch();
                statement.clearParameters();
                cache.giveBack(sql, statement);
            } catch (SQLException | RuntimeException e) {
                discard();
                throw e;
            }
        }

        void discard() throws SQLException {
            if (cache != null) cache.forget(sql, statement);
            statement.close();
        }
    }

    /**
     * A SQLite connection's prepared statements by their text, the most recently used kept (SQL built for a number of
     * values, an IN list, is one entry per count). A connection is used by one thread at a time, so a cache needs no
     * lock; a statement is lent out while in use, so a query run again inside its own result's loop gets a fresh one.
     * Statements are prepared on the driver's connection, not the pool's wrapper, which would close them each time the
     * connection goes back to the pool; the driver finalises them when it closes the connection.
     */
    private static final class StatementCache {
        private static final int MAX_STATEMENTS = 256;
        /** One cache per physical connection, forgotten with it (weak keys compare by identity). */
        private static final Cache<SQLiteConnection, StatementCache> BY_CONNECTION = Caffeine.newBuilder().weakKeys().build();

        private final Map<String, PreparedStatement> idle = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
                if (size() <= MAX_STATEMENTS) return false;
                closeQuietly(eldest.getValue());
                return true;
            }
        };

        static Prepared take(SQLiteConnection connection, String sql) throws SQLException {
            StatementCache cache = BY_CONNECTION.get(connection, k -> new StatementCache());
            PreparedStatement statement = cache.idle.remove(sql);
            if (statement == null || statement.isClosed()) statement = connection.prepareStatement(sql);
            return new Prepared(statement, cache, sql, 0);
        }

        void giveBack(String sql, PreparedStatement statement) {
            PreparedStatement other = idle.put(sql, statement);
            if (other != null && other != statement) closeQuietly(other);
        }

        void forget(String sql, PreparedStatement statement) {
            idle.remove(sql, statement);
        }

        private static void closeQuietly(PreparedStatement statement) {
            try {
                statement.close();
            } catch (SQLException e) {
                // closing a statement the driver no longer needs: nothing to report or to retry
            }
        }
    }

    /** Binds one parameter as every statement here does (for a statement made by hand: several in one message). */
    public static void bind(PreparedStatement statement, int index, Object value) throws SQLException {
        switch (value) {
            case null -> statement.setNull(index, Types.NULL);
            case String s -> statement.setString(index, s);
            case Long l -> statement.setLong(index, l);
            case Integer i -> statement.setInt(index, i);
            case Boolean b -> statement.setBoolean(index, b);
            case byte[] bytes -> statement.setBytes(index, bytes);
            default -> throw new IllegalArgumentException("cannot bind a " + value.getClass().getSimpleName());
        }
    }
}
