package dev.ekvault.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The connection pool and the two ways to use it: {@link #read} and {@link #write}. Every store method takes
 * the {@link Connection} it is given, so a service composes several store calls into one transaction.
 */
public final class Database implements AutoCloseable {
    /** Work done inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final HikariDataSource pool;
    private final Dialect dialect;
    /** SQLite has one writer; taking it here instead of in the file lock means no SQLITE_BUSY under load. */
    private final ReentrantLock sqliteWriter = new ReentrantLock();
    private final Journal journal = new Journal();
    private static final int SQLITE_BUSY_TIMEOUT_MILLIS = 10_000;
    /**
     * SQLite's own checkpoint runs inside the commit that grows the log past this many pages, holding up every write
     * behind it (and every read waiting for its audit entry); {@link #checkpoint} runs it in the background instead, so
     * this is only the backstop for a node whose job has fallen behind (64 MB of 4 KB pages; SQLite's default is 1,000).
     */
    private static final int SQLITE_AUTOCHECKPOINT_PAGES = 16_384;
    /** How long {@link #writeProblem} waits for the writer or the file's write lock before calling the database busy. */
    private static final int PROBE_TIMEOUT_SECONDS = 1;

    public Database(String jdbcUrl, String user, String password, int poolSize) {
        this.dialect = Dialect.ofJdbcUrl(jdbcUrl);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        if (user != null && !user.isEmpty()) config.setUsername(user);
        if (password != null && !password.isEmpty()) config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("ek-db");
        config.setAutoCommit(true);
        config.setConnectionTimeout(10_000);
        config.setInitializationFailTimeout(10_000);
        if (dialect == Dialect.SQLITE) {
            config.addDataSourceProperty("journal_mode", "WAL");
            config.addDataSourceProperty("synchronous", "NORMAL");
            config.addDataSourceProperty("foreign_keys", "true");
            config.addDataSourceProperty("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MILLIS));
            config.setConnectionInitSql("PRAGMA wal_autocheckpoint = " + SQLITE_AUTOCHECKPOINT_PAGES);
        }
        this.pool = new HikariDataSource(config);
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Runs read-only work in one transaction, so several statements see one snapshot. */
    public <T> T read(Work<T> work) {
        return transaction(work, false);
    }

    /**
     * Runs work in one transaction that commits when it returns and rolls back when it throws. What the work says it
     * changed ({@link Journal#changed}) goes to the journal's subscribers once the transaction is over.
     */
    public <T> T write(Work<T> work) {
        List<Journal.Change> enclosing = journal.begin();
        boolean committed = false;
        try {
            T result;
            Work<T> journaled = c -> {
                T answer = work.run(c);
                journal.beforeCommit(c);
                return answer;
            };
            if (dialect != Dialect.SQLITE) {
                result = transaction(journaled, true);
            } else {
                sqliteWriter.lock();
                try {
                    result = transaction(journaled, true);
                } finally {
                    sqliteWriter.unlock();
                }
            }
            committed = true;
            return result;
        } finally {
            journal.end(enclosing, committed);
        }
    }

    /**
     * SQLite: copies the write-ahead log's committed pages into the database file ({@code PASSIVE}: without waiting for
     * readers or writers, and without holding the writer), so the log stays short and no write's commit pays for it.
     * A serving node runs it every second (platform/Platform). PostgreSQL checkpoints by itself: nothing to do.
     */
    public void checkpoint() {
        if (dialect != Dialect.SQLITE) return;
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    /**
     * Told of every transaction's time: waiting for a pooled connection, then holding it (statements and commit). The
     * metrics set one; until then nothing is told. Called on the transaction's thread, so it must be cheap.
     */
    @FunctionalInterface
    public interface Timer {
        void transaction(boolean write, long waitNanos, long heldNanos);
    }

    private volatile Timer timer = (write, waitNanos, heldNanos) -> {};

    public void time(Timer timer) {
        this.timer = timer;
    }

    /** The pool's connections right now: lent out, idle, total, and threads waiting for one. */
    public record PoolUse(int active, int idle, int total, int waiting, int maximum) {}

    public PoolUse poolUse() {
        var bean = pool.getHikariPoolMXBean();
        if (bean == null) return new PoolUse(0, 0, 0, 0, pool.getMaximumPoolSize());
        return new PoolUse(bean.getActiveConnections(), bean.getIdleConnections(), bean.getTotalConnections(),
                bean.getThreadsAwaitingConnection(), pool.getMaximumPoolSize());
    }

    /** Where this database's writes report what they changed. */
    public Journal journal() {
        return journal;
    }

    private <T> T transaction(Work<T> work, boolean write) {
        long asked = System.nanoTime();
        try (Connection connection = pool.getConnection()) {
            long lent = System.nanoTime();
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(connection, e);
                throw e;
            } finally {
                restoreAutoCommit(connection);
                timer.transaction(write, lent - asked, System.nanoTime() - lent);
            }
        } catch (SQLException e) {
            throw dialect.isConflict(e) ? new ConflictingWrite(e) : new StoreException(e);
        }
    }

    /** A broken connection may refuse this too; the pool discards it, and the original failure is what matters. */
    private static void restoreAutoCommit(Connection connection) {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException ignored) {
            // the pool tests the connection before lending it again
        }
    }

    private static void rollbackQuietly(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            cause.addSuppressed(rollbackFailure);
        }
    }

    /**
     * Null when this node could write now, else why not; used by {@code /readyz}. A database that answers reads but
     * refuses writes (a read-only SQLite file, a PostgreSQL standby or {@code default_transaction_read_only}) must not
     * pass for ready: sign-in, which writes, would fail with 500. Nothing is written, and it gives up within seconds.
     */
    public String writeProblem() {
        return dialect == Dialect.SQLITE ? sqliteWriteProblem() : postgresWriteProblem();
    }

    /**
     * Takes the write lock ({@code BEGIN IMMEDIATE}, which a read-only file refuses) and rolls back at once. The
     * connection comes first, so a wait for one never holds up this process's writers.
     */
    private String sqliteWriteProblem() {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            if (!sqliteWriter.tryLock(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) return "a write has held the database for over a second";
            try {
                // another process holding the file's write lock: say so after a second, not after the usual 10
                statement.execute("PRAGMA busy_timeout = " + PROBE_TIMEOUT_SECONDS * 1000);
                boolean open = false;
                try {
                    statement.execute("BEGIN IMMEDIATE");
                    open = true;
                    statement.execute("ROLLBACK");
                    open = false;
                    return null;
                } catch (SQLException e) {
                    String code = sqliteCode(e);
                    return code.startsWith("SQLITE_BUSY") ? "the database is locked by another process (" + code + ")"
                            : "the database refuses writes (" + code + ")";
                } finally {
                    restoreBusyTimeout(connection, statement, open);
                }
            } finally {
                sqliteWriter.unlock();
            }
        } catch (SQLException e) {
            return "database is not reachable";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static String sqliteCode(SQLException e) {
        return e instanceof org.sqlite.SQLiteException sqlite ? sqlite.getResultCode().name() : "SQLite error " + e.getErrorCode();
    }

    /** A connection left with the short timeout, or inside a transaction, would fail later work: evict it instead. */
    private void restoreBusyTimeout(Connection connection, Statement statement, boolean transactionOpen) {
        try {
            if (transactionOpen) throw new SQLException("the probe's transaction is still open");
            statement.execute("PRAGMA busy_timeout = " + SQLITE_BUSY_TIMEOUT_MILLIS);
        } catch (SQLException e) {
            pool.evictConnection(connection);
        }
    }

    /** A standby, or a session told to be read-only, refuses writes; a statement timeout keeps a stuck server brief. */
    private String postgresWriteProblem() {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(PROBE_TIMEOUT_SECONDS * 2);
            try (ResultSet row = statement.executeQuery("SELECT current_setting('transaction_read_only'), pg_is_in_recovery()")) {
                row.next();
                if (row.getBoolean(2)) return "the database is a standby in recovery: it refuses writes";
                if ("on".equals(row.getString(1))) return "the database refuses writes (transaction_read_only is on)";
                return null;
            }
        } catch (SQLException e) {
            return "database is not reachable";
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
