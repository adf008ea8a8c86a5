package dev.ekvault.server.sync;

import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.DeferredWrites;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.workspace.TreeDependents;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * SQL for {@code sync_config}: a sync's setup (what the wizard collected) and the engine's state for it (changes
 * pending since, the lease of the node pushing it, the last push's outcome). Setup changes are journalled (they are
 * audit entries); so is every push and every failed one.
 */
public final class SyncStore {
    public record SyncRow(String id, String workspaceId, String provider, String name, String status, String createdBy, long createdAt,
                          long updatedAt, byte[] credential, String settings, String projectId, String environmentId, boolean deleteMissing,
                          boolean sendValues, long changeSeq, long pushedSeq, Long pendingSince, long nextAttemptAt, int attempts,
                          Long lastSuccessAt, String lastError, Long lastErrorAt, String leaseOwner, Long leaseUntil, byte[] pushedState) {}

    private static final String SELECT = "SELECT id, workspace_id, provider, name, status, created_by, created_at, updated_at, credential, "
            + "target, project_id, environment_id, delete_missing, send_values, change_seq, pushed_seq, pending_since, next_attempt_at, attempts, "
            + "last_success_at, last_error, last_error_at, lease_owner, lease_until, pushed_state FROM sync_config ";

    public void insert(Connection c, SyncRow s) throws SQLException {
        Sql.update(c, "INSERT INTO sync_config (id, workspace_id, provider, name, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                s.id(), s.workspaceId(), s.provider(), s.name(), s.status(), s.createdBy(), s.createdAt(), s.updatedAt());
        Journal.changed(c, Journal.Change.of("create", "sync", s.workspaceId(), s.id()).after(describe(s)));
    }

    /**
     * A wizard step's outcome: the whole setup as it is now ({@code credential} null: unchanged). {@code pushedState}
     * null forgets what the last push sent, so that a sync pointed somewhere else (another cluster, a new CA) is
     * pushed again in full rather than found to have nothing new.
     */
    public void updateSetup(Connection c, SyncRow before, SyncRow after) throws SQLException {
        Sql.update(c, "UPDATE sync_config SET name = ?, status = ?, updated_at = ?, credential = COALESCE(?, credential), target = ?, project_id = ?, "
                        + "environment_id = ?, delete_missing = ?, send_values = ?, change_seq = ?, pending_since = ?, next_attempt_at = ?, "
                        + "pushed_state = ? WHERE id = ?",
                after.name(), after.status(), after.updatedAt(), after.credential(), after.settings(), after.projectId(), after.environmentId(),
                after.deleteMissing() ? 1 : 0, after.sendValues() ? 1 : 0, after.changeSeq(), after.pendingSince(), after.nextAttemptAt(),
                after.pushedState(), after.id());
        Journal.changed(c, Journal.Change.of("update", "sync", after.workspaceId(), after.id()).in(after.projectId(), after.environmentId())
                .before(describe(before)).after(describe(after)));
    }

    /** Pause or resume; a resume asks for a push (what changed while paused is found by comparing with the last push). */
    public void setStatus(Connection c, SyncRow s, String status, long now) throws SQLException {
        boolean resume = status.equals("active");
        Sql.update(c, "UPDATE sync_config SET status = ?, updated_at = ?" + (resume ? ", change_seq = change_seq + 1, pending_since = ?, "
                + "next_attempt_at = 0, attempts = 0" : "") + " WHERE id = ?", resume ? new Object[] {status, now, now, s.id()} : new Object[] {status, now, s.id()});
        Journal.changed(c, Journal.Change.of(resume ? "resume" : "pause", "sync", s.workspaceId(), s.id()).in(s.projectId(), s.environmentId())
                .after(Journal.fields("status", status)));
    }

    /** "Sync now": a push as soon as a node picks it up, without the coalescing wait or a pending backoff. */
    public void requestRun(Connection c, SyncRow s) throws SQLException {
        // on PostgreSQL sent with the write's next statement: nothing reads the mark back in the write
        DeferredWrites.add(c, "UPDATE sync_config SET change_seq = change_seq + 1, pending_since = 0, next_attempt_at = 0 WHERE id = ?", s.id());
        Journal.changed(c, Journal.Change.of("run", "sync", s.workspaceId(), s.id()).in(s.projectId(), s.environmentId()));
    }

    public void delete(Connection c, SyncRow s, String because) throws SQLException {
        Sql.update(c, "DELETE FROM sync_config WHERE id = ?", s.id());
        Journal.changed(c, Journal.Change.of("delete", "sync", s.workspaceId(), s.id()).in(s.projectId(), s.environmentId())
                .before(describe(s)).after(because == null ? null : Journal.fields("because", because)));
    }

    /** Syncs of environments (or a whole project) being deleted go with them. */
    public void deleteUnder(Connection c, TreeDependents.Removal removal) throws SQLException {
        if (removal.personalOnly()) return; // personal overrides are never synced
        List<SyncRow> gone = removal.wholeProject()
                ? Sql.list(c, SELECT + "WHERE project_id = ?", SyncStore::read, removal.projectId())
                : removal.environmentIds().isEmpty() ? List.of()
                : Sql.list(c, SELECT + "WHERE environment_id IN (" + Sql.placeholders(removal.environmentIds().size()) + ")", SyncStore::read,
                removal.environmentIds().toArray());
        for (SyncRow s : gone) delete(c, s, removal.wholeProject() ? "project-deleted" : "environment-deleted");
    }

    /**
     * Inside a write's transaction: the active syncs of these environments, or of these projects (a secret renamed or
     * deleted touches every environment), have a change to push. At-least-once: it commits with the change.
     */
    public void markChanged(Connection c, Collection<String> environmentIds, Collection<String> projectIds, long now) throws SQLException {
        List<Object> parameters = new ArrayList<>();
        parameters.add(now);
        StringBuilder where = new StringBuilder();
        if (!environmentIds.isEmpty()) {
            where.append("environment_id IN (").append(Sql.placeholders(environmentIds.size())).append(")");
            parameters.addAll(environmentIds);
        }
        if (!projectIds.isEmpty()) {
            if (!where.isEmpty()) where.append(" OR ");
            where.append("project_id IN (").append(Sql.placeholders(projectIds.size())).append(")");
            parameters.addAll(projectIds);
        }
        if (where.isEmpty()) return;
        // on PostgreSQL sent with the write's next statement: nothing reads the mark back in the write
        DeferredWrites.add(c, "UPDATE sync_config SET change_seq = change_seq + 1, pending_since = COALESCE(pending_since, ?) WHERE status = 'active' AND ("
                + where + ")", parameters.toArray());
    }

    /** What a sync keeps sealed under the master key (a master key rotation re-seals it: {@link SyncSeal#reseal}). */
    record Sealed(String id, byte[] credential, byte[] pushedState) {}

    List<Sealed> sealed(Connection c) throws SQLException {
        return Sql.list(c, "SELECT id, credential, pushed_state FROM sync_config WHERE credential IS NOT NULL OR pushed_state IS NOT NULL",
                r -> new Sealed(r.getString(1), r.getBytes(2), r.getBytes(3)));
    }

    /**
     * The same credential and state sealed under another master key; each only if it is still what was read (a push
     * that stored a new state meanwhile wins, and a node that sealed it under the old key re-seals it when it switches).
     */
    void updateSealed(Connection c, Sealed before, byte[] credential, byte[] pushedState) throws SQLException {
        if (credential != before.credential()) {
            Sql.update(c, "UPDATE sync_config SET credential = ? WHERE id = ? AND credential = ?", credential, before.id(), before.credential());
        }
        if (pushedState != before.pushedState()) {
            Sql.update(c, "UPDATE sync_config SET pushed_state = ? WHERE id = ? AND pushed_state = ?", pushedState, before.id(),
                    before.pushedState());
        }
    }

    public SyncRow find(Connection c, String workspaceId, String id) throws SQLException {
        return Sql.one(c, SELECT + "WHERE workspace_id = ? AND id = ?", SyncStore::read, workspaceId, id);
    }

    public SyncRow find(Connection c, String id) throws SQLException {
        return Sql.one(c, SELECT + "WHERE id = ?", SyncStore::read, id);
    }

    public List<SyncRow> list(Connection c, String workspaceId) throws SQLException {
        return Sql.list(c, SELECT + "WHERE workspace_id = ? ORDER BY created_at DESC, id", SyncStore::read, workspaceId);
    }

    /** Active syncs with changes not yet pushed (whether settling, due, backing off or being pushed), across every node. */
    public long pendingCount(Connection c) throws SQLException {
        return Sql.one(c, "SELECT COUNT(*) FROM sync_config WHERE status = 'active' AND change_seq > pushed_seq", r -> r.getLong(1));
    }

    /** Syncs with changes whose coalescing window has passed, not backing off, and not leased by a live node. */
    public List<String> due(Connection c, long now, long changedBefore, int limit) throws SQLException {
        return Sql.list(c, "SELECT id FROM sync_config WHERE status = 'active' AND change_seq > pushed_seq AND pending_since <= ? "
                + "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY pending_since LIMIT " + limit,
                r -> r.getString(1), changedBefore, now, now);
    }

    /**
     * Takes the lease when no live node holds it and the sync still has something to push: exactly one node pushes a
     * sync at a time, and a node whose list of due syncs went stale (another node pushed meanwhile) pushes nothing twice.
     */
    public boolean acquire(Connection c, String id, String owner, long now, long until) throws SQLException {
        return Sql.update(c, "UPDATE sync_config SET lease_owner = ?, lease_until = ? WHERE id = ? AND status = 'active' "
                + "AND change_seq > pushed_seq AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)", owner, until, id, now, now) == 1;
    }

    /** The push of everything up to {@code seq} arrived; a change made meanwhile stays pending. */
    public boolean succeeded(Connection c, SyncRow s, String owner, long seq, byte[] pushedState, long now, Map<String, Object> what)
            throws SQLException {
        int rows = Sql.update(c, "UPDATE sync_config SET pushed_seq = ?, pending_since = CASE WHEN change_seq > ? THEN ? ELSE NULL END, "
                + "attempts = 0, next_attempt_at = 0, last_success_at = ?, last_error = NULL, last_error_at = NULL, lease_owner = NULL, "
                + "lease_until = NULL, pushed_state = ? WHERE id = ? AND lease_owner = ?", seq, seq, now, now, pushedState, s.id(), owner);
        if (rows == 1) Journal.changed(c, Journal.Change.of("push", "sync", s.workspaceId(), s.id()).in(s.projectId(), s.environmentId()).after(what));
        return rows == 1;
    }

    public void failed(Connection c, SyncRow s, String owner, int attempts, long nextAttemptAt, String reason, long now) throws SQLException {
        int rows = Sql.update(c, "UPDATE sync_config SET attempts = ?, next_attempt_at = ?, last_error = ?, last_error_at = ?, lease_owner = NULL, "
                + "lease_until = NULL WHERE id = ? AND lease_owner = ?", attempts, nextAttemptAt, reason, now, s.id(), owner);
        if (rows == 1) {
            Journal.changed(c, Journal.Change.of("push-failed", "sync", s.workspaceId(), s.id()).in(s.projectId(), s.environmentId())
                    .after(Journal.fields("reason", reason, "attempt", attempts)));
        }
    }

    /** What the journal (and so the audit log) keeps of a sync: its setup, never its credential. */
    private static Map<String, Object> describe(SyncRow s) {
        return Journal.fields("provider", s.provider(), "name", s.name(), "status", s.status(), "settings", s.settings(), "projectId", s.projectId(),
                "environmentId", s.environmentId(), "deleteMissing", s.deleteMissing(), "sendValues", s.sendValues(),
                "hasCredential", s.credential() != null);
    }

    private static SyncRow read(ResultSet r) throws SQLException {
        return new SyncRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getLong(7), r.getLong(8),
                r.getBytes(9), r.getString(10), r.getString(11), r.getString(12), r.getInt(13) != 0, r.getInt(14) != 0, r.getLong(15), r.getLong(16),
                Sql.nullableLong(r, 17), r.getLong(18), r.getInt(19), Sql.nullableLong(r, 20), r.getString(21), Sql.nullableLong(r, 22),
                r.getString(23), Sql.nullableLong(r, 24), r.getBytes(25));
    }
}
