package dev.ekvault.server.config;

/**
 * A start (of the server or of a command) that cannot go on for a reason the operator can fix. Each reason has its own
 * exit code, so a script or a service manager can tell a port in use from a wrong master key without reading the log;
 * the message is the one line the operator reads, and never holds a secret. A bad setting is a {@link ConfigException}
 * (exit code 2); the README lists every code.
 */
public final class StartFailure extends RuntimeException {
    public enum Reason {
        /** A command would replace what is there (a restore onto a data folder that holds a database, without --force). */
        ALREADY_THERE(3),
        /** The master key is not the one the database was sealed with, or a database's key file is missing. */
        MASTER_KEY(4),
        /** The HTTP port cannot be bound (in use, not permitted, an address this machine does not have). */
        PORT(5),
        /** The data folder is not a folder, or this user may not read and write it. */
        DATA_FOLDER(6),
        /** The database cannot be opened or reached. */
        DATABASE(7),
        /** A command names a person or workspace the database does not hold, or a database that holds nothing yet. */
        NOT_FOUND(8);

        public final int exitCode;

        Reason(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    public final Reason reason;

    public StartFailure(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }
}
