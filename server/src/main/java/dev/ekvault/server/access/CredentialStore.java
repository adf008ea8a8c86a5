package dev.ekvault.server.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;

/** SQL for credentials. Tokens are found by the SHA-256 of their value; the value itself is never stored. */
public final class CredentialStore {
    private static final String COLUMNS = "id, workspace_id, kind, name, prefix, permission, scope, is_owner, created_by, "
            + "created_at, expires_at, last_used_at, revoked_at, parent_id";
    private final ObjectMapper json;

    public CredentialStore(ObjectMapper json) {
        this.json = json;
    }

    public void insert(Connection c, Credential k, String tokenHash) throws SQLException {
        Sql.update(c, "INSERT INTO credential (" + COLUMNS + ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                k.id(), k.workspaceId(), k.kind().wire, k.name(), k.prefix(), k.permission().wire, k.scope().toStorage(json),
                k.isOwner(), k.createdBy(), k.createdAt(), k.expiresAt(), k.lastUsedAt(), k.revokedAt(), k.parentId(), tokenHash);
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

    /**
     * Marks a credential and every credential minted through it (their children, and theirs) revoked, and appends a change
     * row for each so every node stops them; returns the ids that were live until now. Minting is bounded in depth.
     */
    public java.util.List<String> revoke(Connection c, String workspaceId, String id, long now) throws SQLException {
        java.util.List<String> revoked = new java.util.ArrayList<>();
        java.util.ArrayDeque<String> pending = new java.util.ArrayDeque<>(java.util.List.of(id));
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!pending.isEmpty()) {
            String next = pending.poll();
            if (!seen.add(next)) continue;
            if (Sql.update(c, "UPDATE credential SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, next) == 1) revoked.add(next);
            // children of an already revoked credential are revoked too: one minted in a race with the revocation
            pending.addAll(Sql.list(c, "SELECT id FROM credential WHERE parent_id = ?", r -> r.getString(1), next));
        }
        for (String gone : revoked) Journal.changed(c, Journal.Change.of("change", "credential", workspaceId, gone).feed(ChangeFeed.Kind.CREDENTIAL));
        return revoked;
    }

    /**
     * Marks every live credential a person created in a workspace revoked (they are leaving it); returns their ids. The
     * caller appends the change rows.
     */
    public java.util.List<String> revokeCreatedBy(Connection c, String workspaceId, String userId, long now) throws SQLException {
        java.util.List<String> live = Sql.list(c, "SELECT id FROM credential WHERE workspace_id = ? AND created_by = ? AND revoked_at IS NULL",
                r -> r.getString(1), workspaceId, userId);
        Sql.update(c, "UPDATE credential SET revoked_at = ? WHERE workspace_id = ? AND created_by = ? AND revoked_at IS NULL", now, workspaceId, userId);
        return live;
    }

    /**
     * Ends every live sign-in of a person (dashboard sessions and {@code ek login}s) in every workspace except
     * {@code keep} (may be null), each with its descendants; returns how many were ended. Used when a password changes
     * or is reset, so whoever knew the old one keeps nothing.
     */
    public int revokeSignIns(Connection c, String userId, String keep, long now) throws SQLException {
        java.util.List<Credential> live = Sql.list(c, "SELECT " + COLUMNS + ", token_hash FROM credential WHERE created_by = ? AND kind IN (?, ?) "
                + "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", r -> read(r).credential(), userId,
                Credential.Kind.SESSION.wire, Credential.Kind.DEVICE_LOGIN.wire, now);
        int ended = 0;
        for (Credential k : live) {
            if (!k.id().equals(keep) && !revoke(c, k.workspaceId(), k.id(), now).isEmpty()) ended++;
        }
        return ended;
    }

    /** The credential and every credential it was minted through, nearest first (minting is at most a few deep). */
    public java.util.List<String> lineage(Connection c, String id) throws SQLException {
        java.util.List<String> lineage = new java.util.ArrayList<>();
        for (String next = id; next != null && lineage.size() <= CredentialAuthority.MAX_MINT_DEPTH && !lineage.contains(next); ) {
            lineage.add(next);
            next = Sql.one(c, "SELECT parent_id FROM credential WHERE id = ?", r -> r.getString(1), next);
        }
        return lineage;
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
                r.getString(9), r.getLong(10), Sql.nullableLong(r, 11), Sql.nullableLong(r, 12), Sql.nullableLong(r, 13), r.getString(14)), r.getString(15));
    }
}
