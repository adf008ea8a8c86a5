package dev.ekvault.server.token;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** SQL for credentials. Tokens are found by the SHA-256 of their value; the value itself is never stored. */
public final class CredentialStore {
    private static final String COLUMNS = "id, workspace_id, kind, name, prefix, permission, scope, is_owner, created_by, "
            + "created_at, expires_at, last_used_at, revoked_at";
    private final ObjectMapper json;

    public CredentialStore(ObjectMapper json) {
        this.json = json;
    }

    public void insert(Connection c, Credential credential, String tokenHash) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO credential (" + COLUMNS + ", token_hash) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, credential.id());
            s.setString(2, credential.workspaceId());
            s.setString(3, credential.kind().wire);
            s.setString(4, credential.name());
            s.setString(5, credential.prefix());
            s.setString(6, credential.permission().wire);
            s.setString(7, credential.scope().toStorage(json));
            s.setBoolean(8, credential.isOwner());
            s.setString(9, credential.createdBy());
            s.setLong(10, credential.createdAt());
            Sql.setNullableLong(s, 11, credential.expiresAt());
            Sql.setNullableLong(s, 12, credential.lastUsedAt());
            Sql.setNullableLong(s, 13, credential.revokedAt());
            s.setString(14, tokenHash);
            s.executeUpdate();
        }
    }

    public Credential findByTokenHash(Connection c, String tokenHash) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM credential WHERE token_hash = ?")) {
            s.setString(1, tokenHash);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? read(r) : null;
            }
        }
    }

    private Credential read(ResultSet r) throws SQLException {
        return new Credential(r.getString(1), r.getString(2), Credential.Kind.fromWire(r.getString(3)), r.getString(4),
                r.getString(5), Permission.fromWire(r.getString(6)), Scope.fromStorage(json, r.getString(7)), r.getBoolean(8),
                r.getString(9), r.getLong(10), Sql.nullableLong(r, 11), Sql.nullableLong(r, 12), Sql.nullableLong(r, 13));
    }
}
