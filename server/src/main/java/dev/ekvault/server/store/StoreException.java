package dev.ekvault.server.store;

import java.sql.SQLException;

/** A database failure. Its message may hold SQL details, so it is logged and never sent to a client. */
public class StoreException extends RuntimeException {
    public StoreException(SQLException cause) {
        super(cause);
    }

    public SQLException sqlCause() {
        return (SQLException) getCause();
    }
}
