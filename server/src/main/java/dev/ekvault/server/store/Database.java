package dev.ekvault.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.SQLException;
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
            config.addDataSourceProperty("busy_timeout", "10000");
        }
        this.pool = new HikariDataSource(config);
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Runs read-only work in one transaction, so several statements see one snapshot. */
    public <T> T read(Work<T> work) {
        return transaction(work);
    }

    /** Runs work in one transaction that commits when it returns and rolls back when it throws. */
    public <T> T write(Work<T> work) {
        if (dialect != Dialect.SQLITE) return transaction(work);
        sqliteWriter.lock();
        try {
            return transaction(work);
        } finally {
            sqliteWriter.unlock();
        }
    }

    private <T> T transaction(Work<T> work) {
        try (Connection connection = pool.getConnection()) {
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
            }
        } catch (SQLException e) {
            throw new StoreException(e);
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

    /** True when the database answers a trivial query within a second; used by {@code /readyz}. */
    public boolean isReachable() {
        try (Connection connection = pool.getConnection()) {
            return connection.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
