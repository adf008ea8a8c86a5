package dev.ekvault.server.store;

import java.sql.SQLException;

/** The few ways SQLite and PostgreSQL differ for us; migrations hold the rest, one folder per dialect. */
public enum Dialect {
    SQLITE("sqlite"),
    POSTGRESQL("postgresql");

    /** Folder under {@code db/} holding this dialect's migrations. */
    public final String migrationFolder;

    Dialect(String migrationFolder) {
        this.migrationFolder = migrationFolder;
    }

    public static Dialect ofJdbcUrl(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) return SQLITE;
        if (jdbcUrl.startsWith("jdbc:postgresql:")) return POSTGRESQL;
        throw new IllegalArgumentException("unsupported database URL scheme (use a PostgreSQL URL or leave it empty for SQLite)");
    }

    /** True when the exception reports a unique-constraint violation, so callers can answer 409. */
    public boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (!(t instanceof SQLException e)) continue;
            if (this == POSTGRESQL && "23505".equals(e.getSQLState())) return true;
            String message = String.valueOf(e.getMessage());
            if (this == SQLITE && (message.contains("SQLITE_CONSTRAINT_UNIQUE") || message.contains("SQLITE_CONSTRAINT_PRIMARYKEY"))) {
                return true;
            }
        }
        return false;
    }
}
