package dev.ekvault.server.workspace;

import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** SQL for people: accounts, sign-in throttling, preferences. */
public final class UserStore {
    public record User(String id, String email, String name, String passwordHash, int failedSignIns, Long lockedUntil) {}

    private static final String SELECT = "SELECT id, email, name, password_hash, failed_sign_ins, locked_until FROM app_user ";

    public User findByEmail(Connection c, String email) throws SQLException {
        return Sql.one(c, SELECT + "WHERE email = ?", UserStore::read, email);
    }

    public User findById(Connection c, String id) throws SQLException {
        return Sql.one(c, SELECT + "WHERE id = ?", UserStore::read, id);
    }

    public void insert(Connection c, String id, String email, String name, String passwordHash, long now) throws SQLException {
        Sql.update(c, "INSERT INTO app_user (id, email, name, created_at, password_hash) VALUES (?, ?, ?, ?, ?)", id, email, name, now, passwordHash);
        // an account is no workspace's: workspace ""
        Journal.changed(c, Journal.Change.of("create", "user", "", id)
                .after(Journal.fields("email", email, "name", name, "hasPassword", passwordHash != null)));
    }

    /** Sets a new password; the journal says that it changed, never the hash. */
    public void setPassword(Connection c, String id, String passwordHash) throws SQLException {
        Sql.update(c, "UPDATE app_user SET password_hash = ? WHERE id = ?", passwordHash, id);
        Journal.changed(c, Journal.Change.of("password-change", "user", "", id).after(Journal.fields("passwordChanged", true)));
    }

    public void recordFailedSignIn(Connection c, String id, int failures, Long lockedUntil) throws SQLException {
        Sql.update(c, "UPDATE app_user SET failed_sign_ins = ?, locked_until = ? WHERE id = ?", failures, lockedUntil, id);
        Journal.changed(c, Journal.Change.of("sign-in-failed", "user", "", id)
                .after(Journal.fields("failures", failures, "lockedUntil", lockedUntil)));
    }

    /**
     * A sign-in refused because the account is locked: nothing changes (the lock runs its course), but the attempt is
     * journalled, so the audit log shows someone still trying.
     */
    public void journalAttemptWhileLocked(Connection c, User user) throws SQLException {
        Journal.changed(c, Journal.Change.of("sign-in-failed", "user", "", user.id())
                .after(Journal.fields("failures", user.failedSignIns(), "lockedUntil", user.lockedUntil(), "whileLocked", true)));
    }

    public void clearFailedSignIns(Connection c, String id) throws SQLException {
        User before = findById(c, id);
        if (Sql.update(c, "UPDATE app_user SET failed_sign_ins = 0, locked_until = NULL WHERE id = ? AND failed_sign_ins > 0", id) == 1) {
            Journal.changed(c, Journal.Change.of("sign-in-unlock", "user", "", id)
                    .before(before == null ? null : Journal.fields("failures", before.failedSignIns(), "lockedUntil", before.lockedUntil()))
                    .after(Journal.fields("failures", 0)));
        }
    }

    /** The workspaces a person belongs to, oldest membership first. */
    public List<String> workspaceIds(Connection c, String userId) throws SQLException {
        return Sql.list(c, "SELECT workspace_id FROM member WHERE user_id = ? ORDER BY created_at, workspace_id", r -> r.getString(1), userId);
    }

    public String preferences(Connection c, String userId) throws SQLException {
        return Sql.one(c, "SELECT preferences FROM user_preference WHERE user_id = ?", r -> r.getString(1), userId);
    }

    /** Replaces a person's preferences; the journal records their size only (the dashboard decides what is in them). */
    public void savePreferences(Connection c, String userId, String json, long now) throws SQLException {
        String action = "update";
        if (Sql.update(c, "UPDATE user_preference SET preferences = ?, updated_at = ? WHERE user_id = ?", json, now, userId) == 0) {
            Sql.update(c, "INSERT INTO user_preference (user_id, preferences, updated_at) VALUES (?, ?, ?)", userId, json, now);
            action = "create";
        }
        Journal.changed(c, Journal.Change.of(action, "preferences", "", userId).after(Journal.fields("size", json.length())));
    }

    private static User read(ResultSet r) throws SQLException {
        return new User(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getInt(5), Sql.nullableLong(r, 6));
    }
}
