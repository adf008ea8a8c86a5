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

    /**
     * Stores a new credential and journals its creation; {@code rotatedFrom} names the credential it replaces (a
     * rotation), null otherwise.
     */
    public void insert(Connection c, Credential k, String tokenHash, String rotatedFrom) throws SQLException {
        Sql.update(c, "INSERT INTO credential (" + COLUMNS + ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                k.id(), k.workspaceId(), k.kind().wire, k.name(), k.prefix(), k.permission().wire, k.scope().toStorage(json),
                k.isOwner(), k.createdBy(), k.createdAt(), k.expiresAt(), k.lastUsedAt(), k.revokedAt(), k.parentId(), tokenHash);
        java.util.Map<String, Object> after = new java.util.LinkedHashMap<>(describe(k));
        if (rotatedFrom != null) after.put("rotatedFrom", rotatedFrom);
        Journal.changed(c, Journal.Change.of("create", "credential", k.workspaceId(), k.id()).feed(ChangeFeed.Kind.CREDENTIAL).after(after));
    }

    /** What the journal records of a credential: never its token or hash, only the display prefix. */
    static java.util.Map<String, Object> describe(Credential k) {
        return Journal.fields("kind", k.kind().wire, "name", k.name(), "prefix", k.prefix(), "permission", k.permission().wire,
                "scope", k.scope().describe(), "owner", k.isOwner() ? true : null, "createdBy", k.createdBy(), "expiresAt", k.expiresAt(),
                "parentId", k.parentId());
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
     * Marks a credential and every credential minted through it (their children, and theirs) revoked, and journals each
     * so every node stops them; returns the ids that were live until now. Minting is bounded in depth. When
     * {@code replacedBy} is not null the credential is being rotated: its own change reads "rotate" and names the
     * credential that replaces it; the cascaded ones read "revoke" with the root they went with.
     */
    public java.util.List<String> revoke(Connection c, String workspaceId, String id, long now, String replacedBy) throws SQLException {
        return revoke(c, workspaceId, id, now, replacedBy, null);
    }

    /** {@link #revoke}, the root's change saying {@code because} (a sign-out), when not null. */
    public java.util.List<String> revoke(Connection c, String workspaceId, String id, long now, String replacedBy, String because)
            throws SQLException {
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
        for (String gone : revoked) {
            boolean root = gone.equals(id);
            journalRevoked(c, workspaceId, gone, root && replacedBy != null ? "rotate" : "revoke",
                    Journal.fields("revokedAt", now, "with", root ? null : id, "replacedBy", root ? replacedBy : null,
                            "because", root ? because : null));
        }
        return revoked;
    }

    /** One change per revoked credential, naming what it was (kind, name, creator) and never its token. */
    private void journalRevoked(Connection c, String workspaceId, String id, String action, java.util.Map<String, Object> fields)
            throws SQLException {
        Stored stored = findById(c, id);
        java.util.Map<String, Object> after = new java.util.LinkedHashMap<>();
        if (stored != null) {
            Credential k = stored.credential();
            after.putAll(Journal.fields("kind", k.kind().wire, "name", k.name(), "prefix", k.prefix(), "createdBy", k.createdBy()));
        }
        after.put("revoked", true);
        after.putAll(fields);
        Journal.changed(c, Journal.Change.of(action, "credential", workspaceId, id).feed(ChangeFeed.Kind.CREDENTIAL)
                .before(Journal.fields("revoked", false)).after(after));
    }

    /**
     * Marks every live credential a person created in a workspace revoked (they are leaving it), journalling each;
     * returns their ids.
     */
    public java.util.List<String> revokeCreatedBy(Connection c, String workspaceId, String userId, long now) throws SQLException {
        java.util.List<String> live = Sql.list(c, "SELECT id FROM credential WHERE workspace_id = ? AND created_by = ? AND revoked_at IS NULL",
                r -> r.getString(1), workspaceId, userId);
        Sql.update(c, "UPDATE credential SET revoked_at = ? WHERE workspace_id = ? AND created_by = ? AND revoked_at IS NULL", now, workspaceId, userId);
        for (String gone : live) journalRevoked(c, workspaceId, gone, "revoke", Journal.fields("revokedAt", now, "because", "member-removed"));
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
            if (!k.id().equals(keep) && !revoke(c, k.workspaceId(), k.id(), now, null).isEmpty()) ended++;
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
        Stored before = findById(c, id);
        Sql.update(c, "UPDATE credential SET name = ?, permission = ?, scope = ? WHERE id = ?", name, permission.wire, scope.toStorage(json), id);
        Journal.Change change = Journal.Change.of("update", "credential", before == null ? "" : before.credential().workspaceId(), id)
                .feed(ChangeFeed.Kind.CREDENTIAL)
                .after(Journal.fields("name", name, "permission", permission.wire, "scope", scope.describe()));
        if (before != null) {
            Credential k = before.credential();
            change = change.before(Journal.fields("kind", k.kind().wire, "name", k.name(), "permission", k.permission().wire, "scope", k.scope().describe()));
        }
        Journal.changed(c, change);
    }

    /**
     * Records last use, never moving it backwards (nodes flush in any order). Not journalled: a use is not a change of
     * the credential, and the audit log would fill with it.
     */
    public void recordLastUse(Connection c, String id, long usedAt) throws SQLException {
        Sql.update(c, "UPDATE credential SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", usedAt, id, usedAt);
    }

    private Stored read(ResultSet r) throws SQLException {
        return new Stored(new Credential(r.getString(1), r.getString(2), Credential.Kind.fromWire(r.getString(3)), r.getString(4),
                r.getString(5), Permission.fromWire(r.getString(6)), Scope.fromStorage(json, r.getString(7)), r.getBoolean(8),
                r.getString(9), r.getLong(10), Sql.nullableLong(r, 11), Sql.nullableLong(r, 12), Sql.nullableLong(r, 13), r.getString(14)), r.getString(15));
    }
}
