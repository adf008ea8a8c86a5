package dev.ekvault.server.people;

import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.SQLException;

/** SQL for {@code ek login}'s device codes (RFC 8628): stored by the hash of the device code, used once. */
public final class DeviceCodeStore {
    /**
     * A device code; {@code sinceLastPoll} is the time since its last poll by the database's clock (null before the first),
     * {@code lastPolledAt} that poll's time by the polling node's clock.
     */
    public record Row(String clientId, String status, String userId, String workspaceId, long expiresAt, Long lastPolledAt, int interval,
                      String approvedBy, Long sinceLastPoll) {}

    public void insert(Connection c, String deviceCodeHash, String userCode, String clientId, long now, long expiresAt, int intervalSeconds)
            throws SQLException {
        Sql.update(c, "INSERT INTO device_code (device_code_hash, user_code, client_id, status, created_at, expires_at, "
                + "interval_seconds) VALUES (?, ?, ?, 'pending', ?, ?, ?)", deviceCodeHash, userCode, clientId, now, expiresAt, intervalSeconds);
    }

    public Row find(Connection c, String deviceCodeHash) throws SQLException {
        return Sql.one(c, "SELECT client_id, status, user_id, workspace_id, expires_at, last_polled_at, interval_seconds, approved_by, "
                + Dialect.of(c).nowMillis + " - last_polled_db_at FROM device_code WHERE device_code_hash = ?",
                r -> new Row(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5), Sql.nullableLong(r, 6), r.getInt(7),
                        r.getString(8), Sql.nullableLong(r, 9)), deviceCodeHash);
    }

    /** Notes a poll at {@code now} by this node's clock, and at the database's. */
    public void notePoll(Connection c, String deviceCodeHash, long now, int intervalSeconds) throws SQLException {
        Sql.update(c, "UPDATE device_code SET last_polled_at = ?, last_polled_db_at = " + Dialect.of(c).nowMillis
                + ", interval_seconds = ? WHERE device_code_hash = ?", now, intervalSeconds, deviceCodeHash);
    }

    public void consume(Connection c, String deviceCodeHash, long now) throws SQLException {
        Sql.update(c, "UPDATE device_code SET status = 'consumed', last_polled_at = ? WHERE device_code_hash = ?", now, deviceCodeHash);
    }

    /**
     * Approves or denies the pending, unexpired code {@code userCode}; returns the number of rows changed (0 or 1). An
     * answer is journalled (who let which client in); starting, polling and consuming a code are the flow's bookkeeping
     * and are not, the login it yields being journalled as its credential.
     */
    public int answer(Connection c, String userCode, boolean approve, String userId, String workspaceId, String approvedBy, long now)
            throws SQLException {
        String clientId = Sql.one(c, "SELECT client_id FROM device_code WHERE user_code = ? AND status = 'pending' AND expires_at > ?",
                r -> r.getString(1), userCode, now);
        int answered = Sql.update(c, "UPDATE device_code SET status = ?, user_id = ?, workspace_id = ?, approved_by = ? "
                + "WHERE user_code = ? AND status = 'pending' AND expires_at > ?", approve ? "approved" : "denied", userId, workspaceId,
                approvedBy, userCode, now);
        // the user code is spent once answered, so it may name the login
        if (answered == 1) {
            Journal.changed(c, Journal.Change.of(approve ? "approve" : "deny", "device-login", workspaceId, userCode)
                    .before(Journal.fields("status", "pending"))
                    .after(Journal.fields("status", approve ? "approved" : "denied", "clientId", clientId, "userId", userId, "approvedBy", approvedBy)));
        }
        return answered;
    }
}
