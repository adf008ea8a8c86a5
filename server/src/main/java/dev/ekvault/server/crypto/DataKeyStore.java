package dev.ekvault.server.crypto;

import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** SQL for wrapped data keys and the master-key verifier. */
final class DataKeyStore {
    record WrappedKey(int keyId, byte[] wrapped) {}

    /** A wrapped key with the row it belongs to (a master key rotation re-wraps it). */
    record Row(String workspaceId, String environmentId, int keyId, byte[] wrapped) {}

    void insert(Connection c, String environmentId, int keyId, String masterKeyId, byte[] wrapped, long now) throws SQLException {
        Sql.update(c, "INSERT INTO data_key (environment_id, key_id, master_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)",
                environmentId, keyId, masterKeyId, wrapped, now);
    }

    /**
     * On PostgreSQL, locks every key of these environments for their deletion, in one order (so two deletions that share
     * environments cannot deadlock); SQLite has one writer. See {@link #newestForSealing} for why first.
     */
    void lockForDeletion(Connection c, List<String> environmentIds) throws SQLException {
        if (environmentIds.isEmpty() || Dialect.of(c) != Dialect.POSTGRESQL) return;
        Sql.list(c, String.format("SELECT key_id FROM data_key WHERE environment_id IN (%s) ORDER BY environment_id, key_id FOR UPDATE",
                Sql.placeholders(environmentIds.size())), r -> r.getInt(1), environmentIds.toArray());
    }

    void delete(Connection c, String environmentId) throws SQLException {
        Sql.update(c, "DELETE FROM data_key WHERE environment_id = ?", environmentId);
    }

    /** Deletes an environment's keys older than {@code keyId}; returns how many. */
    int deleteOlder(Connection c, String environmentId, int keyId) throws SQLException {
        return Sql.update(c, "DELETE FROM data_key WHERE environment_id = ? AND key_id < ?", environmentId, keyId);
    }

    /** The key with the given id, or the newest key when {@code keyId} is null. */
    WrappedKey find(Connection c, String environmentId, Integer keyId) throws SQLException {
        Sql.Row<WrappedKey> row = r -> new WrappedKey(r.getInt(1), r.getBytes(2));
        return keyId == null
                ? Sql.one(c, "SELECT key_id, wrapped FROM data_key WHERE environment_id = ? ORDER BY key_id DESC LIMIT 1", row, environmentId)
                : Sql.one(c, "SELECT key_id, wrapped FROM data_key WHERE environment_id = ? AND key_id = ?", row, environmentId, keyId);
    }

    /**
     * The newest key, for sealing. On PostgreSQL the row is share-locked until the transaction ends, so the retirement
     * of an older key ({@link #deleteOlder}) waits for a write that chose it before the rotation committed; SQLite has
     * one writer, so nothing can be in between.
     *
     * <p>The order every PostgreSQL transaction takes its locks in: an environment's data keys first, then secrets (and
     * deleted secrets), then values. A write of values reads its keys here before it touches a secret or a value; a
     * deletion of environments locks their keys ({@link #lockForDeletion}) before it deletes what lies under them. In
     * the other order a value's update (the secret's row, then the key) and an environment's deletion (the values, then
     * the keys) could each hold what the other waits for.
     */
    WrappedKey newestForSealing(Connection c, String environmentId) throws SQLException {
        String lock = Dialect.of(c) == Dialect.POSTGRESQL ? " FOR SHARE" : "";
        return Sql.one(c, "SELECT key_id, wrapped FROM data_key WHERE environment_id = ? ORDER BY key_id DESC LIMIT 1" + lock,
                r -> new WrappedKey(r.getInt(1), r.getBytes(2)), environmentId);
    }

    /** Environments that hold more than one key (a rotation whose old values are still being re-encrypted), and where. */
    List<DataKeys.Rotating> rotating(Connection c) throws SQLException {
        return Sql.list(c, "SELECT e.id, e.workspace_id, e.project_id FROM environment e WHERE e.id IN "
                + "(SELECT environment_id FROM data_key GROUP BY environment_id HAVING COUNT(*) > 1) ORDER BY e.id",
                r -> new DataKeys.Rotating(r.getString(1), r.getString(2), r.getString(3)));
    }

    /** Every key wrapped under the master key {@code masterKeyId}, with its environment's workspace (the AAD names it). */
    List<Row> wrappedUnder(Connection c, String masterKeyId) throws SQLException {
        return Sql.list(c, "SELECT e.workspace_id, k.environment_id, k.key_id, k.wrapped FROM data_key k JOIN environment e ON e.id = k.environment_id "
                + "WHERE k.master_key_id = ? ORDER BY k.environment_id, k.key_id", r -> new Row(r.getString(1), r.getString(2), r.getInt(3), r.getBytes(4)),
                masterKeyId);
    }

    /** The same data key wrapped under another master key, if the row is still as it was read. */
    void rewrap(Connection c, Row before, String masterKeyId, byte[] wrapped) throws SQLException {
        Sql.update(c, "UPDATE data_key SET master_key_id = ?, wrapped = ? WHERE environment_id = ? AND key_id = ? AND wrapped = ?",
                masterKeyId, wrapped, before.environmentId(), before.keyId(), before.wrapped());
    }

    /** The stored verifier, or null on a database that has none yet. */
    byte[] masterKeyVerifier(Connection c) throws SQLException {
        return Sql.one(c, "SELECT verifier FROM master_key_check WHERE id = 1", r -> r.getBytes(1));
    }

    void insertMasterKeyVerifier(Connection c, String keyId, byte[] verifier, long now) throws SQLException {
        Sql.update(c, "INSERT INTO master_key_check (id, key_id, verifier, created_at) VALUES (1, ?, ?, ?)", keyId, verifier, now);
    }

    void replaceMasterKeyVerifier(Connection c, String keyId, byte[] verifier) throws SQLException {
        Sql.update(c, "UPDATE master_key_check SET key_id = ?, verifier = ? WHERE id = 1", keyId, verifier);
    }
}
