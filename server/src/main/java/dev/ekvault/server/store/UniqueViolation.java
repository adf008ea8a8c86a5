package dev.ekvault.server.store;

import java.sql.SQLException;

/**
 * A write refused by a unique constraint: two requests raced to create the same name (each checked first, both
 * passed). The store layer tells it apart from other failures, so the request answers 409, not 500.
 */
public final class UniqueViolation extends StoreException {
    public UniqueViolation(SQLException cause) {
        super(cause);
    }
}
