package dev.ekvault.server.audit;

import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@code audit_entry} table: append and read, nothing else (the database refuses UPDATE and DELETE as well).
 * Appending takes the workspace chain's head under a lock that lasts until the transaction ends — on PostgreSQL an
 * advisory transaction lock per workspace, on SQLite the single writer — so two nodes appending at once never fork the
 * chain: the second waits, then reads the first one's entry as its head.
 */
public final class AuditStore {
    private static final String COLUMNS = "workspace_id, seq, id, at, actor_user_id, credential_id, credential_kind, client_address, "
            + "request_id, action, entity_type, entity_id, project_id, environment_id, before_json, after_json, outcome, prev_hash, hash";
    /** The high bits of every audit lock key, so they never meet the migrations' advisory lock. */
    private static final long LOCK_SPACE = 0x6175_6469_0000_0000L; // "audi"

    /** What the query route may filter on; null fields do not filter. */
    public record Filter(String actorUserId, String credentialId, String action, String entityId, String projectId,
                         String environmentId, Long from, Long to) {}

    /**
     * Appends entries, in order, to their workspaces' chains inside the caller's transaction: each draft's seq,
     * prevHash and hash are ignored and set here. Each chain's head is locked and read once for the whole batch.
     * Returns the stored entries.
     */
    public List<AuditEntry> append(Connection c, List<AuditEntry> drafts) throws SQLException {
        boolean postgres = Dialect.of(c) == Dialect.POSTGRESQL;
        java.util.Map<String, AuditEntry> heads = new java.util.HashMap<>();
        // locks in a fixed order (sorted workspace ids): two transactions that touch the same two chains cannot deadlock
        for (String workspaceId : new java.util.TreeSet<>(drafts.stream().map(AuditEntry::workspaceId).toList())) {
            if (postgres) Sql.one(c, "SELECT pg_advisory_xact_lock(?)", r -> null, LOCK_SPACE | (workspaceId.hashCode() & 0xffff_ffffL));
            heads.put(workspaceId, head(c, workspaceId));
        }
        List<AuditEntry> stored = new ArrayList<>(drafts.size());
        for (AuditEntry draft : drafts) {
            AuditEntry head = heads.get(draft.workspaceId());
            AuditEntry entry = new AuditEntry(draft.workspaceId(), head == null ? 1 : head.seq() + 1, draft.id(), draft.at(), draft.actorUserId(),
                    draft.credentialId(), draft.credentialKind(), draft.clientAddress(), draft.requestId(), draft.action(), draft.entityType(),
                    draft.entityId(), draft.projectId(), draft.environmentId(), draft.beforeJson(), draft.afterJson(), draft.outcome(),
                    head == null ? AuditEntry.GENESIS : head.hash(), null).sealed();
            heads.put(entry.workspaceId(), entry);
            stored.add(entry);
        }
        List<Object[]> rows = new ArrayList<>(stored.size());
        for (AuditEntry e : stored) {
            rows.add(new Object[] {e.workspaceId(), e.seq(), e.id(), e.at(), e.actorUserId(), e.credentialId(), e.credentialKind(),
                    e.clientAddress(), e.requestId(), e.action(), e.entityType(), e.entityId(), e.projectId(), e.environmentId(),
                    e.beforeJson(), e.afterJson(), e.outcome(), e.prevHash(), e.hash()});
        }
        Sql.batch(c, "INSERT INTO audit_entry (" + COLUMNS + ") VALUES (" + Sql.placeholders(19) + ")", rows);
        return stored;
    }

    /** A page of a workspace's entries, newest first, below sequence number {@code before} (null: from the newest). */
    public List<AuditEntry> page(Connection c, String workspaceId, Filter f, Long before, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit_entry WHERE workspace_id = ?");
        List<Object> parameters = new ArrayList<>(List.of(workspaceId));
        condition(sql, parameters, "seq < ?", before);
        condition(sql, parameters, "actor_user_id = ?", f.actorUserId());
        condition(sql, parameters, "credential_id = ?", f.credentialId());
        condition(sql, parameters, "action = ?", f.action());
        condition(sql, parameters, "entity_id = ?", f.entityId());
        condition(sql, parameters, "project_id = ?", f.projectId());
        condition(sql, parameters, "environment_id = ?", f.environmentId());
        condition(sql, parameters, "at >= ?", f.from());
        condition(sql, parameters, "at < ?", f.to());
        sql.append(" ORDER BY seq DESC LIMIT ?");
        parameters.add(limit);
        return Sql.list(c, sql.toString(), AuditStore::read, parameters.toArray());
    }

    private static void condition(StringBuilder sql, List<Object> parameters, String condition, Object value) {
        if (value == null) return;
        sql.append(" AND ").append(condition);
        parameters.add(value);
    }

    public AuditEntry one(Connection c, String workspaceId, String id) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM audit_entry WHERE workspace_id = ? AND id = ?", AuditStore::read, workspaceId, id);
    }

    /** Every entry of a workspace's chain in order, in batches (an export or a verification reads millions this way). */
    public void walk(Connection c, String workspaceId, Consumer<AuditEntry> each) throws SQLException {
        long after = 0;
        while (true) {
            List<AuditEntry> batch = Sql.list(c, "SELECT " + COLUMNS + " FROM audit_entry WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT 1000",
                    AuditStore::read, workspaceId, after);
            batch.forEach(each);
            if (batch.size() < 1000) return;
            after = batch.get(batch.size() - 1).seq();
        }
    }

    /** The newest entry of a chain, or null when it has none. */
    public AuditEntry head(Connection c, String workspaceId) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM audit_entry WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1", AuditStore::read, workspaceId);
    }

    /** The workspaces that have a chain ({@code ""} among them when anything belonged to none). */
    public List<String> chains(Connection c) throws SQLException {
        return Sql.list(c, "SELECT DISTINCT workspace_id FROM audit_entry ORDER BY workspace_id", r -> r.getString(1));
    }

    private static AuditEntry read(ResultSet r) throws SQLException {
        return new AuditEntry(r.getString(1), r.getLong(2), r.getString(3), r.getLong(4), r.getString(5), r.getString(6), r.getString(7),
                r.getString(8), r.getString(9), r.getString(10), r.getString(11), r.getString(12), r.getString(13), r.getString(14),
                r.getString(15), r.getString(16), r.getString(17), r.getString(18), r.getString(19));
    }
}
