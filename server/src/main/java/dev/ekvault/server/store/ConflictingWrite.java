package dev.ekvault.server.store;

import java.sql.SQLException;

/**
 * A write refused by a unique or a foreign-key constraint because another request changed the same rows at the same
 * time: two requests raced to create the same name (each checked first, both passed), or a row was written under a
 * parent another request was deleting (a secret value into an environment being deleted, on PostgreSQL where writes
 * run side by side), or (PostgreSQL) the write lost a deadlock or a serialization check to another transaction and was
 * rolled back whole. The store layer tells it apart from other failures, so the request answers 409, not 500.
 */
public final class ConflictingWrite extends StoreException {
    public ConflictingWrite(SQLException cause) {
        super(cause);
    }
}
