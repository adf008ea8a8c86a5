package dev.ekvault.server.testing;

/** The two databases every store and API suite runs on. */
public enum Backend {
    SQLITE,
    POSTGRESQL;

    /** The {@code database-url} flag value for a fresh, empty store; empty means the embedded SQLite. */
    public String freshDatabaseUrl() {
        return this == SQLITE ? "" : TestPostgres.freshDatabase();
    }
}
