package dev.ekvault.server.store;

import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;

/**
 * The database could not do the work now, through no fault of the request: unreachable, timed out, out of disk, or
 * refusing writes. The gateway answers it 503 (507 for a full disk) with {@code Retry-After} and one fixed message per
 * {@link Reason}, never the driver's text (which may name SQL, a host or a user). {@link #classify} is the one place
 * that decides which failures these are; every other failure stays a plain {@link StoreException} (500).
 */
public final class DatabaseUnavailable extends StoreException {
    /** Seconds a client is told to wait before it retries. */
    public static final long RETRY_AFTER_SECONDS = 2;

    public enum Reason {
        /** Not reachable, a connection not had within the bound, a statement or socket timed out, the server going down. */
        UNREACHABLE("the database is unavailable; retry later"),
        /** SQLite: another process holds the write lock past the busy timeout. */
        BUSY("the database is busy; retry later"),
        /** The disk under the database is full: reads may still work, writes do not until space is freed. */
        DISK_FULL("the database's disk is full: changes are refused until space is freed; retry later"),
        /** A read-only database file, or a PostgreSQL standby / read-only transaction. */
        READ_ONLY("the database refuses writes (read-only); retry later");

        /** What the client and {@code /readyz} are told: fixed text, no detail of the failure. */
        public final String message;

        Reason(String message) {
            this.message = message;
        }
    }

    public final Reason reason;

    public DatabaseUnavailable(Reason reason, SQLException cause) {
        super(cause);
        this.reason = reason;
    }

    /**
     * Whether the whole database is away (unreachable, no connection to be had), not one statement that waited too long:
     * a statement timeout or a lock not granted in time is classified {@link Reason#UNREACHABLE} too (its request gets
     * the same 503), but another statement, waiting on nothing that one waited on, may still go through.
     */
    public boolean databaseAway() {
        if (reason != Reason.UNREACHABLE) return false;
        for (Throwable t = this; t != null; t = t.getCause()) {
            if (t instanceof SQLException e && ("57014".equals(e.getSQLState()) || "55P03".equals(e.getSQLState()))) return false;
        }
        return true;
    }

    /**
     * The kind of unavailability a failure is, or null when it is something else (a bug, a constraint, bad SQL).
     * Looks through causes: a pool timeout wraps the driver's connection failure.
     */
    public static Reason classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException sqlite) {
                Reason reason = sqliteReason(sqlite.getResultCode());
                if (reason != null) return reason;
            }
            if (t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException || t instanceof SQLTimeoutException
                    || t instanceof SocketTimeoutException || t instanceof java.net.ConnectException) {
                return Reason.UNREACHABLE;
            }
            if (t instanceof SQLException e && e.getSQLState() != null) {
                Reason reason = postgresReason(e.getSQLState());
                if (reason != null) return reason;
            }
        }
        return null;
    }

    /** This failure wrapped by the work it interrupted (an audit entry that could not be written, a cache load), or null. */
    public static DatabaseUnavailable in(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DatabaseUnavailable unavailable) return unavailable;
        }
        return null;
    }

    /** A failure as this type when it is one, else as a plain {@link StoreException}. */
    static StoreException of(SQLException failure) {
        Reason reason = classify(failure);
        return reason == null ? new StoreException(failure) : new DatabaseUnavailable(reason, failure);
    }

    private static Reason sqliteReason(SQLiteErrorCode code) {
        String name = code.name();
        if (code == SQLiteErrorCode.SQLITE_FULL) return Reason.DISK_FULL;
        if (name.startsWith("SQLITE_READONLY")) return Reason.READ_ONLY;
        if (name.startsWith("SQLITE_BUSY") || name.startsWith("SQLITE_LOCKED")) return Reason.BUSY;
        if (name.startsWith("SQLITE_IOERR") || name.startsWith("SQLITE_CANTOPEN")) return Reason.UNREACHABLE;
        return null;
    }

    /**
     * PostgreSQL's SQLSTATEs: class 08 (connection exceptions), 57014 (statement timeout or cancel), 57P01-57P03 (the
     * server shutting down or starting), 53xxx (out of connections, memory or disk: 53100 disk full), 25006 (read-only
     * transaction), 55P03 (a lock not had in time).
     */
    private static Reason postgresReason(String state) {
        if (state.startsWith("08") || state.equals("57014") || state.startsWith("57P") || state.equals("55P03")) return Reason.UNREACHABLE;
        if (state.equals("53100")) return Reason.DISK_FULL;
        if (state.startsWith("53")) return Reason.UNREACHABLE;
        if (state.equals("25006")) return Reason.READ_ONLY;
        return null;
    }
}
