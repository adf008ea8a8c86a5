package dev.ekvault.server.people;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Memberships as admins manage them (the {@code member} rows are written by {@link WorkspaceStore}), and the SQL for
 * invitations.
 */
public final class MemberStore {
    public record MemberRow(String userId, String email, String name, Role role, Scope scope, long createdAt) {}

    public record InviteRow(String id, String workspaceId, String email, Role role, Scope scope, String status, String createdBy,
                            long createdAt, long expiresAt) {}

    private static final String INVITE_COLUMNS = "id, workspace_id, email, role, scope, status, created_by, created_at, expires_at";
    private final ObjectMapper json;

    public MemberStore(ObjectMapper json) {
        this.json = json;
    }

    public List<MemberRow> members(Connection c, String workspaceId) throws SQLException {
        return Sql.list(c, "SELECT u.id, u.email, u.name, m.role, m.scope, m.created_at FROM member m JOIN app_user u ON u.id = m.user_id "
                        + "WHERE m.workspace_id = ? ORDER BY m.created_at, u.email",
                r -> new MemberRow(r.getString(1), r.getString(2), r.getString(3), Role.fromWire(r.getString(4)),
                        Scope.fromStorage(json, r.getString(5)), r.getLong(6)), workspaceId);
    }

    public MemberRow member(Connection c, String workspaceId, String userId) throws SQLException {
        return members(c, workspaceId).stream().filter(m -> m.userId().equals(userId)).findFirst().orElse(null);
    }

    /** Withdraws the invitations a person sent that nobody answered yet (they are leaving the workspace). */
    public void withdrawInvitesBy(Connection c, String workspaceId, String userId) throws SQLException {
        for (InviteRow withdrawn : Sql.list(c, "SELECT " + INVITE_COLUMNS + " FROM invite WHERE workspace_id = ? AND created_by = ? AND status = 'sent'",
                this::readInvite, workspaceId, userId)) {
            Journal.changed(c, Journal.Change.of("revoke", "invitation", workspaceId, withdrawn.id()).before(describe(withdrawn))
                    .after(Journal.fields("because", "inviter-removed")));
        }
        Sql.update(c, "DELETE FROM invite WHERE workspace_id = ? AND created_by = ? AND status = 'sent'", workspaceId, userId);
    }

    public void insertInvite(Connection c, InviteRow i, String tokenHash) throws SQLException {
        Sql.update(c, "INSERT INTO invite (" + INVITE_COLUMNS + ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", i.id(), i.workspaceId(),
                i.email(), i.role().wire(), i.scope().toStorage(json), i.status(), i.createdBy(), i.createdAt(), i.expiresAt(), tokenHash);
        Journal.changed(c, Journal.Change.of("create", "invitation", i.workspaceId(), i.id()).after(describe(i)));
    }

    public List<InviteRow> invites(Connection c, String workspaceId) throws SQLException {
        return Sql.list(c, "SELECT " + INVITE_COLUMNS + " FROM invite WHERE workspace_id = ? AND status <> 'accepted' ORDER BY created_at DESC",
                this::readInvite, workspaceId);
    }

    public InviteRow inviteByTokenHash(Connection c, String tokenHash) throws SQLException {
        return Sql.one(c, "SELECT " + INVITE_COLUMNS + " FROM invite WHERE token_hash = ?", this::readInvite, tokenHash);
    }

    /** Invitations still open for an email (single sign-on accepts them for a provider-verified address), oldest first. */
    public List<InviteRow> liveInvitesFor(Connection c, String email, long now) throws SQLException {
        return Sql.list(c, "SELECT " + INVITE_COLUMNS + " FROM invite WHERE email = ? AND status = 'sent' AND expires_at > ? ORDER BY created_at, id",
                this::readInvite, email, now);
    }

    public InviteRow invite(Connection c, String workspaceId, String id) throws SQLException {
        return Sql.one(c, "SELECT " + INVITE_COLUMNS + " FROM invite WHERE workspace_id = ? AND id = ?", this::readInvite, workspaceId, id);
    }

    public void answerInvite(Connection c, String id, String status, long now) throws SQLException {
        InviteRow before = Sql.one(c, "SELECT " + INVITE_COLUMNS + " FROM invite WHERE id = ?", this::readInvite, id);
        Sql.update(c, "UPDATE invite SET status = ?, answered_at = ? WHERE id = ?", status, now, id);
        if (before == null) return;
        String action = switch (status) {
            case "accepted" -> "accept";
            case "declined" -> "decline";
            default -> "update";
        };
        Journal.changed(c, Journal.Change.of(action, "invitation", before.workspaceId(), id).before(describe(before))
                .after(Journal.fields("status", status)));
    }

    /** An admin withdraws an invitation. */
    public void deleteInvite(Connection c, String id) throws SQLException {
        InviteRow before = Sql.one(c, "SELECT " + INVITE_COLUMNS + " FROM invite WHERE id = ?", this::readInvite, id);
        Sql.update(c, "DELETE FROM invite WHERE id = ?", id);
        if (before != null) Journal.changed(c, Journal.Change.of("revoke", "invitation", before.workspaceId(), id).before(describe(before)));
    }

    /** What the journal records of an invitation: never its token or hash. */
    private static java.util.Map<String, Object> describe(InviteRow i) {
        return Journal.fields("email", i.email(), "role", i.role().wire(), "scope", i.scope().describe(), "status", i.status(),
                "createdBy", i.createdBy(), "expiresAt", i.expiresAt());
    }

    private InviteRow readInvite(java.sql.ResultSet r) throws SQLException {
        return new InviteRow(r.getString(1), r.getString(2), r.getString(3), Role.fromWire(r.getString(4)), Scope.fromStorage(json, r.getString(5)),
                r.getString(6), r.getString(7), r.getLong(8), r.getLong(9));
    }
}
