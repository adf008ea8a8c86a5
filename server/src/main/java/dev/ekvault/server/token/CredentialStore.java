package dev.ekvault.server.token;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
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

    public void insert(Connection c, Credential k, String tokenHash) throws SQLException {
        Sql.update(c, "INSERT INTO credential (" + COLUMNS + ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                k.id(), k.workspaceId(), k.kind().wire, k.name(), k.prefix(), k.permission().wire, k.scope().toStorage(json),
                k.isOwner(), k.createdBy(), k.createdAt(), k.expiresAt(), k.lastUsedAt(), k.revokedAt(), tokenHash);
    }

    /** A credential with the hash of its token (null for kinds that have no token). */
    public record Stored(Credential credential, String tokenHash) {}

    public Stored findByTokenHash(Connection c, String tokenHash) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + ", token_hash FROM credential WHERE token_hash = ?", this::read, tokenHash);
    }

    public Stored findById(Connection c, String id) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + ", token_hash FROM credential WHERE id = ?", this::read, id);
    }

    public java.util.List<Stored> listAll(Connection c) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + ", token_hash FROM credential", this::read);
    }

    /** A workspace's credentials, newest first. */
    public java.util.List<Stored> listByWorkspace(Connection c, String workspaceId) throws SQLException {
        return Sql.list(c, "SELECT " + COLUMNS + ", token_hash FROM credential WHERE workspace_id = ? ORDER BY created_at DESC, id",
                this::read, workspaceId);
    }

    /** Marks a credential revoked; returns false when it already was. */
    public boolean revoke(Connection c, String id, long now) throws SQLException {
        return Sql.update(c, "UPDATE credential SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id) == 1;
    }

    /** Changes what a credential is called and may do (workload identities keep their id across updates). */
    public void updateSettings(Connection c, String id, String name, Permission permission, Scope scope) throws SQLException {
        Sql.update(c, "UPDATE credential SET name = ?, permission = ?, scope = ? WHERE id = ?", name, permission.wire, scope.toStorage(json), id);
    }

    /** Records last use, never moving it backwards (nodes flush in any order). */
    public void recordLastUse(Connection c, String id, long usedAt) throws SQLException {
        Sql.update(c, "UPDATE credential SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", usedAt, id, usedAt);
    }

    private Stored read(ResultSet r) throws SQLException {
        return new Stored(new Credential(r.getString(1), r.getString(2), Credential.Kind.fromWire(r.getString(3)), r.getString(4),
                r.getString(5), Permission.fromWire(r.getString(6)), Scope.fromStorage(json, r.getString(7)), r.getBoolean(8),
                r.getString(9), r.getLong(10), Sql.nullableLong(r, 11), Sql.nullableLong(r, 12), Sql.nullableLong(r, 13)), r.getString(14));
    }
}
