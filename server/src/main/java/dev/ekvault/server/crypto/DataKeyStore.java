package dev.ekvault.server.crypto;

import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.SQLException;

/** SQL for wrapped data keys and the master-key verifier. */
final class DataKeyStore {
    record WrappedKey(int keyId, byte[] wrapped) {}

    void insert(Connection c, String environmentId, int keyId, String masterKeyId, byte[] wrapped, long now) throws SQLException {
        Sql.update(c, "INSERT INTO data_key (environment_id, key_id, master_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)",
                environmentId, keyId, masterKeyId, wrapped, now);
    }

    void delete(Connection c, String environmentId) throws SQLException {
        Sql.update(c, "DELETE FROM data_key WHERE environment_id = ?", environmentId);
    }

    /** The key with the given id, or the newest key when {@code keyId} is null. */
    WrappedKey find(Connection c, String environmentId, Integer keyId) throws SQLException {
        Sql.Row<WrappedKey> row = r -> new WrappedKey(r.getInt(1), r.getBytes(2));
        return keyId == null
                ? Sql.one(c, "SELECT key_id, wrapped FROM data_key WHERE environment_id = ? ORDER BY key_id DESC LIMIT 1", row, environmentId)
                : Sql.one(c, "SELECT key_id, wrapped FROM data_key WHERE environment_id = ? AND key_id = ?", row, environmentId, keyId);
    }

    /** The stored verifier, or null on a database that has none yet. */
    byte[] masterKeyVerifier(Connection c) throws SQLException {
        return Sql.one(c, "SELECT verifier FROM master_key_check WHERE id = 1", r -> r.getBytes(1));
    }

    void insertMasterKeyVerifier(Connection c, String keyId, byte[] verifier, long now) throws SQLException {
        Sql.update(c, "INSERT INTO master_key_check (id, key_id, verifier, created_at) VALUES (1, ?, ?, ?)", keyId, verifier, now);
    }
}
