package dev.ekvault.server.store;

import java.sql.Connection;
import java.sql.SQLException;

/** The few ways SQLite and PostgreSQL differ for us; migrations hold the rest, one folder per dialect. */
public enum Dialect {
    SQLITE("sqlite", "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"),
    POSTGRESQL("postgresql", "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");

    /** Folder under {@code db/} holding this dialect's migrations. */
    public final String migrationFolder;
    /**
     * An SQL expression for the database server's current time in epoch milliseconds. Times that several nodes
     * compare (the change feed's) are taken from it, so no node's own clock, however wrong, enters the comparison.
     */
    public final String nowMillis;

    Dialect(String migrationFolder, String nowMillis) {
        this.migrationFolder = migrationFolder;
        this.nowMillis = nowMillis;
    }

    /** The dialect of an open connection (for code that is handed a connection, not the {@link Database}). */
    /** Unique violation, foreign-key violation, serialization failure, deadlock detected. */
    private static final java.util.Set<String> POSTGRES_CONFLICTS = java.util.Set.of("23505", "23503", "40001", "40P01");

    public static Dialect of(Connection connection) throws SQLException {
        return connection.getMetaData().getDatabaseProductName().equals("PostgreSQL") ? POSTGRESQL : SQLITE;
    }

    public static Dialect ofJdbcUrl(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) return SQLITE;
        if (jdbcUrl.startsWith("jdbc:postgresql:")) return POSTGRESQL;
        throw new IllegalArgumentException("unsupported database URL scheme (use a PostgreSQL URL or leave it empty for SQLite)");
    }

    /**
     * True when the exception reports a unique or foreign-key constraint violation, or (PostgreSQL) a transaction
     * aborted by a deadlock (40P01) or a serialization failure (40001): another request changed the same rows at the same
     * time, the write was rolled back whole, and callers answer 409 (retry) rather than 500.
     */
    public boolean isConflict(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (!(t instanceof SQLException e)) continue;
            if (this == POSTGRESQL && POSTGRES_CONFLICTS.contains(String.valueOf(e.getSQLState()))) return true;
            // a batch's failure names the failing statement's own exception as the next one
            if (e.getNextException() != null && e.getNextException() != e && isConflict(e.getNextException())) return true;
            String message = String.valueOf(e.getMessage());
            if (this == SQLITE && (message.contains("SQLITE_CONSTRAINT_UNIQUE") || message.contains("SQLITE_CONSTRAINT_PRIMARYKEY")
                    || message.contains("SQLITE_CONSTRAINT_FOREIGNKEY"))) {
                return true;
            }
        }
        return false;
    }
}
