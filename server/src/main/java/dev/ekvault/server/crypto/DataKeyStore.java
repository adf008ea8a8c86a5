package dev.ekvault.server.crypto;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** SQL for wrapped data keys and the master-key verifier. */
final class DataKeyStore {
    record WrappedKey(int keyId, byte[] wrapped) {}

    void insert(Connection c, String environmentId, int keyId, String masterKeyId, byte[] wrapped, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO data_key (environment_id, key_id, master_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)")) {
            s.setString(1, environmentId);
            s.setInt(2, keyId);
            s.setString(3, masterKeyId);
            s.setBytes(4, wrapped);
            s.setLong(5, now);
            s.executeUpdate();
        }
    }

    /** The key with the given id, or the newest key when {@code keyId} is null. */
    WrappedKey find(Connection c, String environmentId, Integer keyId) throws SQLException {
        String sql = keyId == null
                ? "SELECT key_id, wrapped FROM data_key WHERE environment_id = ? ORDER BY key_id DESC LIMIT 1"
                : "SELECT key_id, wrapped FROM data_key WHERE environment_id = ? AND key_id = ?";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, environmentId);
            if (keyId != null) s.setInt(2, keyId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new WrappedKey(r.getInt(1), r.getBytes(2)) : null;
            }
        }
    }

    /** The stored verifier, or null on a database that has none yet (or no schema yet). */
    byte[] masterKeyVerifier(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT verifier FROM master_key_check WHERE id = 1");
             ResultSet r = s.executeQuery()) {
            return r.next() ? r.getBytes(1) : null;
        }
    }

    void insertMasterKeyVerifier(Connection c, String keyId, byte[] verifier, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO master_key_check (id, key_id, verifier, created_at) VALUES (1, ?, ?, ?)")) {
            s.setString(1, keyId);
            s.setBytes(2, verifier);
            s.setLong(3, now);
            s.executeUpdate();
        }
    }
}
