package dev.ekvault.server.share;

import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.workspace.TreeDependents;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** The one owner of {@code secret_share}'s SQL. */
public final class ShareStore {
    /** One share as stored; {@code ciphertext} is null once purged, {@code passwordSalt} null without a password. */
    record ShareRow(String id, String workspaceId, String projectId, String createdBy, String credentialId, String kind,
                    String secretId, String secretName, String environmentId, String environmentName, boolean personal,
                    byte[] passwordSalt, byte[] ciphertext, int maxViews, int viewsUsed, long createdAt, long expiresAt,
                    Long revokedAt, String revokedBy, Long lastViewedAt, Long purgedAt, int passwordFailures, Long failureWindowStart) {

        boolean hasPassword() {
            return passwordSalt != null;
        }

        /** active, expired, revoked or used-up: one word for the list; revoked wins over the others. */
        String status(long now) {
            if (revokedAt != null) return "revoked";
            if (viewsUsed >= maxViews) return "used-up";
            if (expiresAt <= now) return "expired";
            if (ciphertext == null) return "expired"; // purged for another reason: nothing left to show
            return "active";
        }

        /** Consumable now: the view's conditional update says the same in SQL. */
        boolean live(long now) {
            return "active".equals(status(now));
        }
    }

    private static final String COLUMNS = "id, workspace_id, project_id, created_by, credential_id, kind, secret_id, secret_name, "
            + "environment_id, environment_name, is_personal, password_salt, ciphertext, max_views, views_used, created_at, expires_at, "
            + "revoked_at, revoked_by, last_viewed_at, purged_at, password_failures, failure_window_start";
    /** The list's columns: everything but the ciphertext, read as whether it is still there. */
    private static final String LIST_COLUMNS = COLUMNS.replace("ciphertext", "CASE WHEN ciphertext IS NULL THEN 0 ELSE 1 END");
    private static final byte[] PRESENT = new byte[0];

    void insert(Connection c, ShareRow s, String tokenHash) throws SQLException {
        Sql.update(c, "INSERT INTO secret_share (" + COLUMNS + ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                s.id(), s.workspaceId(), s.projectId(), s.createdBy(), s.credentialId(), s.kind(), s.secretId(), s.secretName(),
                s.environmentId(), s.environmentName(), s.personal(), s.passwordSalt(), s.ciphertext(), s.maxViews(), s.viewsUsed(),
                s.createdAt(), s.expiresAt(), s.revokedAt(), s.revokedBy(), s.lastViewedAt(), s.purgedAt(), s.passwordFailures(),
                s.failureWindowStart(), tokenHash);
    }

    ShareRow byTokenHash(Connection c, String tokenHash) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM secret_share WHERE token_hash = ?", r -> row(r, false), tokenHash);
    }

    ShareRow byId(Connection c, String projectId, String id) throws SQLException {
        return Sql.one(c, "SELECT " + LIST_COLUMNS + " FROM secret_share WHERE id = ? AND project_id = ?", r -> row(r, true), id, projectId);
    }

    /** A project's shares, newest first, without their ciphertext (a stand-in byte says whether it is still there). */
    List<ShareRow> listByProject(Connection c, String projectId, int limit) throws SQLException {
        return Sql.list(c, "SELECT " + LIST_COLUMNS + " FROM secret_share WHERE project_id = ? ORDER BY created_at DESC, id LIMIT " + limit,
                r -> row(r, true), projectId);
    }

    /**
     * Takes one wrong-password attempt from the share's allowance before the password is tried, so that attempts in
     * flight at once, on any node, cannot exceed it: at most {@code limit} in a window of {@code windowMillis} that
     * starts at the first attempt. False when the allowance is used up (the caller answers 429).
     */
    boolean claimPasswordAttempt(Connection c, String id, long now, int limit, long windowMillis) throws SQLException {
        long windowOpen = now - windowMillis;
        return Sql.update(c, "UPDATE secret_share SET "
                + "password_failures = CASE WHEN failure_window_start IS NULL OR failure_window_start <= ? THEN 1 ELSE password_failures + 1 END, "
                + "failure_window_start = CASE WHEN failure_window_start IS NULL OR failure_window_start <= ? THEN ? ELSE failure_window_start END "
                + "WHERE id = ? AND (failure_window_start IS NULL OR failure_window_start <= ? OR password_failures < ?)",
                windowOpen, windowOpen, now, id, windowOpen, limit) == 1;
    }

    /** When the attempt window of a share that refused an attempt ends (null: it is not exhausted). */
    Long windowStart(Connection c, String id) throws SQLException {
        return Sql.one(c, "SELECT failure_window_start FROM secret_share WHERE id = ?", r -> Sql.nullableLong(r, 1), id);
    }

    /**
     * Uses up one view: the one statement that decides, on every node at once, whether this view may have the content.
     * A right password gives back the attempt it claimed. Then a share whose last view this was loses its ciphertext.
     */
    /** The views used after this one, or null when this view may not have the content. */
    Integer consumeView(Connection c, String id, long now, boolean returnAttempt) throws SQLException {
        int updated = Sql.update(c, "UPDATE secret_share SET views_used = views_used + 1, last_viewed_at = ?"
                + (returnAttempt ? ", password_failures = CASE WHEN password_failures > 0 THEN password_failures - 1 ELSE 0 END" : "")
                + " WHERE id = ? AND views_used < max_views AND revoked_at IS NULL AND expires_at > ? AND ciphertext IS NOT NULL",
                now, id, now);
        if (updated != 1) return null;
        Sql.update(c, "UPDATE secret_share SET ciphertext = NULL, purged_at = ? WHERE id = ? AND views_used >= max_views", now, id);
        return Sql.one(c, "SELECT views_used FROM secret_share WHERE id = ?", r -> r.getInt(1), id);
    }

    /** Gives back an attempt claimed by a right password whose view found the share used up by another. */
    void returnPasswordAttempt(Connection c, String id) throws SQLException {
        Sql.update(c, "UPDATE secret_share SET password_failures = password_failures - 1 WHERE id = ? AND password_failures > 0", id);
    }

    /** Revokes and purges; false when it was already revoked. */
    boolean revoke(Connection c, String id, String by, long now) throws SQLException {
        return Sql.update(c, "UPDATE secret_share SET revoked_at = ?, revoked_by = ?, ciphertext = NULL, "
                + "purged_at = CASE WHEN purged_at IS NULL THEN ? ELSE purged_at END WHERE id = ? AND revoked_at IS NULL", now, by, now, id) == 1;
    }

    /** Shares past their expiry that still hold a ciphertext (the purge job's work, a batch at a time). */
    List<ShareRow> expiredWithContent(Connection c, long now, int limit) throws SQLException {
        return Sql.list(c, "SELECT " + LIST_COLUMNS + " FROM secret_share WHERE ciphertext IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT "
                + limit, r -> row(r, true), now);
    }

    boolean purge(Connection c, String id, long now) throws SQLException {
        return Sql.update(c, "UPDATE secret_share SET ciphertext = NULL, purged_at = ? WHERE id = ? AND ciphertext IS NOT NULL", now, id) == 1;
    }

    /** A deleted project takes its shares with it (the tree calls this inside its transaction); an environment does not. */
    public void deleteUnder(Connection c, TreeDependents.Removal removal) throws SQLException {
        if (!removal.wholeProject()) return;
        List<String> ids = Sql.list(c, "SELECT id FROM secret_share WHERE project_id = ?", r -> r.getString(1), removal.projectId());
        for (String id : ids) {
            Journal.changed(c, Journal.Change.of("delete", "secret-share", removal.workspaceId(), id).in(removal.projectId(), null)
                    .after(Journal.fields("because", "project-deleted")));
        }
        Sql.update(c, "DELETE FROM secret_share WHERE project_id = ?", removal.projectId());
    }

    /** {@code listed}: read from {@link #LIST_COLUMNS}, where column 13 says only whether a ciphertext is there. */
    private static ShareRow row(ResultSet r, boolean listed) throws SQLException {
        return new ShareRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                r.getString(7), r.getString(8), r.getString(9), r.getString(10), r.getBoolean(11), r.getBytes(12),
                listed ? (r.getInt(13) == 1 ? PRESENT : null) : r.getBytes(13),
                r.getInt(14), r.getInt(15), r.getLong(16), r.getLong(17), Sql.nullableLong(r, 18), r.getString(19),
                Sql.nullableLong(r, 20), Sql.nullableLong(r, 21), r.getInt(22), Sql.nullableLong(r, 23));
    }
}
