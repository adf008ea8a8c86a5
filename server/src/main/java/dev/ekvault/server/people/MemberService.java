package dev.ekvault.server.people;

import dev.ekvault.api.InvitePreview;
import dev.ekvault.api.Member;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.workspace.ScopeResolver;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.workspace.UserStore;
import dev.ekvault.server.secret.SecretStore;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialAuthority;
import dev.ekvault.server.access.TokenFormat;
import dev.ekvault.server.workspace.WorkspaceService;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Members of a workspace, managed by its admins: invite by email with a role and a scope (the link is returned to the
 * admin), change role or scope, remove. Every change is written to the change feed, so it applies on the member's
 * next request on every node. The owner (an admin) can be neither removed nor demoted.
 */
public final class MemberService {
    public static final Duration INVITE_LIFETIME = Duration.ofDays(7);
    private static final String INVITE_PREFIX = "ek_inv_";

    private final Database database;
    private final MemberStore members;
    private final SecretStore secrets;
    private final CredentialStore credentials;
    private final WorkspaceService workspaces;
    private final WorkspaceStore workspaceStore;
    private final UserStore users;
    private final ScopeResolver scopes;
    private final SessionService sessions;
    private final PasswordHasher passwords;
    private final Duration sessionLifetime;
    private final Clock clock;

    public MemberService(Database database, MemberStore members, WorkspaceService workspaces, WorkspaceStore workspaceStore, UserStore users,
                         SecretStore secrets, CredentialStore credentials, ScopeResolver scopes, SessionService sessions,
                         PasswordHasher passwords, Duration sessionLifetime, Clock clock) {
        this.secrets = secrets;
        this.credentials = credentials;
        this.sessionLifetime = sessionLifetime;
        this.database = database;
        this.members = members;
        this.workspaces = workspaces;
        this.workspaceStore = workspaceStore;
        this.users = users;
        this.scopes = scopes;
        this.sessions = sessions;
        this.passwords = passwords;
        this.clock = clock;
    }

    /** People are managed by admins in person or through a read-write API token, never by a CLI token or a workload. */
    private static void requireAdmin(Caller caller) {
        if (!caller.isAdmin()) throw ApiException.forbidden("only workspace admins manage members");
        CredentialAuthority.requireMayManage(caller);
    }

    /**
     * A member or invitation is the caller's to change or remove only when its CURRENT role and scope lie within the
     * caller's own (effective) ones: checking only the new values would let a scoped admin narrow a wider member first
     * and remove them second, or demote a full admin.
     */
    private static void requireWithinCaller(Caller caller, Role role, Scope scope) {
        if (!role.within(caller.role()) || !scope.within(caller.scope())) {
            throw ApiException.forbidden("this member's access reaches beyond your own");
        }
    }

    /** Members (status {@code account_created}) and invitations ({@code invite_sent}, {@code declined}, {@code expired}). */
    public List<Member> list(Caller caller, String workspaceRef) {
        requireAdmin(caller);
        long now = clock.millis();
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            List<Member> result = new ArrayList<>();
            for (MemberStore.MemberRow m : members.members(c, ws.id())) {
                result.add(memberView(m.userId(), m.email(), m.role(), m.scope(), m.createdAt(), m.name(), m.userId().equals(ws.ownerId())));
            }
            for (MemberStore.InviteRow i : members.invites(c, ws.id())) result.add(inviteView(i, now, null));
            return result;
        });
    }

    public Member invite(Caller caller, String workspaceRef, String emailText, String roleText, ScopeResolver.Request scopeRequest,
                                      String publicUrl) {
        requireAdmin(caller);
        caller.requireAdminWrite();
        String email = emailText.strip().toLowerCase(Locale.ROOT);
        if (!email.matches("[^@\\s]{1,64}@[^@\\s]{1,255}")) throw ApiException.badRequest("field 'email' must be an email address");
        Role role = role(roleText);
        if (!role.within(caller.role())) throw ApiException.forbidden("field 'role': you can grant only a role you hold");
        String token = TokenFormat.generate(INVITE_PREFIX);
        long now = clock.millis();
        return database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            Scope scope = scopes.resolve(c, caller, ws.id(), scopeRequest);
            if (!scope.within(caller.scope())) throw ApiException.forbidden("field 'scope' reaches beyond your own access");
            for (MemberStore.MemberRow m : members.members(c, ws.id())) {
                if (m.email().equals(email)) throw ApiException.conflict("this person is already a member");
            }
            for (MemberStore.InviteRow pending : members.invites(c, ws.id())) {
                if (pending.email().equals(email) && pending.status().equals("sent") && now < pending.expiresAt()) {
                    throw ApiException.conflict("this person already has a pending invitation; withdraw it to send a new one");
                }
            }
            MemberStore.InviteRow invite = new MemberStore.InviteRow(FieldRules.newId(), ws.id(), email, role, scope, "sent", caller.userId(),
                    now, now + INVITE_LIFETIME.toMillis());
            members.insertInvite(c, invite, TokenFormat.hash(token));
            return inviteView(invite, now, publicUrl + "/invite/" + token);
        });
    }

    public Member update(Caller caller, String workspaceRef, String userId, String roleText, ScopeResolver.Request scopeRequest) {
        requireAdmin(caller);
        caller.requireAdminWrite();
        Member updated = database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            MemberStore.MemberRow m = members.member(c, ws.id(), userId);
            if (m == null) throw ApiException.notFound("member");
            if (userId.equals(ws.ownerId())) throw ApiException.forbidden("the workspace owner cannot be demoted or narrowed");
            requireWithinCaller(caller, m.role(), m.scope());
            Role role = roleText == null ? m.role() : role(roleText);
            Scope scope = scopeRequest == null ? m.scope() : scopes.resolve(c, caller, ws.id(), scopeRequest);
            if (!role.within(caller.role())) throw ApiException.forbidden("field 'role': you can grant only a role you hold");
            if (!scope.within(caller.scope())) throw ApiException.forbidden("field 'scope' reaches beyond your own access");
            workspaceStore.updateMember(c, ws.id(), userId, role, scope);
            // the answer to an update has no isOwner (the owner cannot be updated)
            return memberView(userId, m.email(), role, scope, m.createdAt(), m.name(), null);
        });
        return updated;
    }

    public void remove(Caller caller, String workspaceRef, String userId) {
        requireAdmin(caller);
        caller.requireAdminWrite();
        database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            MemberStore.MemberRow target = members.member(c, ws.id(), userId);
            if (target == null) throw ApiException.notFound("member");
            if (userId.equals(ws.ownerId())) throw ApiException.forbidden("the workspace owner cannot be removed");
            requireWithinCaller(caller, target.role(), target.scope());
            long now = clock.millis();
            // their personal overrides and credentials go (every credential they minted is theirs too), and the
            // invitations they sent that nobody answered; shared values stay
            secrets.deletePersonalValues(c, ws.id(), userId);
            credentials.revokeCreatedBy(c, ws.id(), userId, now);
            workspaceStore.deleteMember(c, ws.id(), userId);
            members.withdrawInvitesBy(c, ws.id(), userId);
            return null;
        });
    }

    public void revokeInvite(Caller caller, String workspaceRef, String inviteId) {
        requireAdmin(caller);
        caller.requireAdminWrite();
        database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            MemberStore.InviteRow invite = members.invite(c, ws.id(), inviteId);
            if (invite == null) throw ApiException.notFound("invite");
            requireWithinCaller(caller, invite.role(), invite.scope());
            members.deleteInvite(c, inviteId);
            return null;
        });
    }

    /**
     * The invited person accepts: a new account with the password they choose, or, when the email already has an
     * account (another workspace), that account's password proves it is theirs. Returns their first sign-in.
     */
    public SessionService.SignedIn accept(String token, String name, String password) {
        // the same rules for a new and an existing account, so the answer does not tell which it is: a password of the
        // allowed length (400 otherwise), then for an existing account the sign-in's check, its lock and its counting
        String pw = SessionService.password(password == null ? "" : password, "password");
        long now = clock.millis();
        record Found(MemberStore.InviteRow invite, UserStore.User user) {}
        Found found = database.read(c -> {
            MemberStore.InviteRow invite = liveInvite(c, token);
            return new Found(invite, users.findByEmail(c, invite.email()));
        });
        String displayName = FieldRules.name(name == null ? found.invite().email().substring(0, found.invite().email().indexOf('@')) : name, "name");
        String hash = found.user() == null ? passwords.hash(pw) : null;
        if (found.user() != null) sessions.requirePassword(found.user(), pw, now);
        SessionService.SignedIn signedIn = database.write(c -> {
            MemberStore.InviteRow invite = liveInvite(c, token);
            UserStore.User user = users.findByEmail(c, invite.email());
            if (found.user() == null) {
                // created by another request since the check above: this one proved nothing about that account
                if (user != null) throw ApiException.unauthorized();
                String userId = FieldRules.newId();
                users.insert(c, userId, invite.email(), displayName, hash, now);
                user = users.findById(c, userId);
            } else if (user == null || !user.id().equals(found.user().id())) {
                throw ApiException.unauthorized();
            }
            if (workspaceStore.findMember(c, invite.workspaceId(), user.id()) != null) {
                members.answerInvite(c, invite.id(), "accepted", now);
                throw ApiException.conflict("you are already a member of this workspace; sign in instead");
            }
            workspaceStore.insertMember(c, new WorkspaceStore.Member(invite.workspaceId(), user.id(), invite.role(), invite.scope()), now);
            members.answerInvite(c, invite.id(), "accepted", now);
            return sessions.issue(c, user, invite.workspaceId(), Credential.Kind.SESSION, sessionLifetime, now);
        });
        return signedIn;
    }

    public void decline(String token) {
        database.write(c -> {
            MemberStore.InviteRow invite = liveInvite(c, token);
            members.answerInvite(c, invite.id(), "declined", clock.millis());
            return null;
        });
    }

    /**
     * What the invitation page shows before the person answers (the token is the credential; the gateway's per-address
     * limit bounds guessing, as for accept and decline): the workspace's name, the invited email, the role, the status
     * ({@code pending}, {@code accepted}, {@code declined}, {@code expired}) and whether that email has an account (sign
     * in to accept, rather than choose a password). A withdrawn invitation is deleted: 404, like an unknown token.
     */
    public InvitePreview preview(String token) {
        long now = clock.millis();
        return database.read(c -> {
            MemberStore.InviteRow invite = inviteByToken(c, token);
            WorkspaceStore.WorkspaceRow ws = workspaceStore.find(c, invite.workspaceId());
            String status = switch (invite.status()) {
                case "sent" -> now >= invite.expiresAt() ? "expired" : "pending";
                default -> invite.status();
            };
            return new InvitePreview(ws.name(), invite.email(), invite.role().wire(), status, WireTime.format(invite.expiresAt()),
                    users.findByEmail(c, invite.email()) != null);
        });
    }

    private MemberStore.InviteRow liveInvite(java.sql.Connection c, String token) throws java.sql.SQLException {
        MemberStore.InviteRow invite = inviteByToken(c, token);
        if (!invite.status().equals("sent") || clock.millis() >= invite.expiresAt()) throw ApiException.notFound("invite");
        return invite;
    }

    /** The invitation a token names, in any status; 404 for a token of the wrong shape or one nobody issued. */
    private MemberStore.InviteRow inviteByToken(java.sql.Connection c, String token) throws java.sql.SQLException {
        if (token == null || !token.startsWith(INVITE_PREFIX) || token.length() != INVITE_PREFIX.length() + 43) throw ApiException.notFound("invite");
        MemberStore.InviteRow invite = members.inviteByTokenHash(c, TokenFormat.hash(token));
        if (invite == null) throw ApiException.notFound("invite");
        return invite;
    }

    private static Role role(String text) {
        try {
            return Role.fromWire(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("field 'role' must be admin, developer or member");
        }
    }

    private static Member memberView(String id, String email, Role role, Scope scope, long createdAt, String name, Boolean isOwner) {
        return new Member(id, email, role.wire(), ScopeResolver.wire(scope), "account_created", WireTime.format(createdAt), name, isOwner,
                null, null);
    }

    private static Member inviteView(MemberStore.InviteRow i, long now, String inviteUrl) {
        String status = switch (i.status()) {
            case "sent" -> now >= i.expiresAt() ? "expired" : "invite_sent";
            default -> i.status();
        };
        return new Member(i.id(), i.email(), i.role().wire(), ScopeResolver.wire(i.scope()), status, WireTime.format(i.createdAt()), null, null,
                WireTime.format(i.expiresAt()), inviteUrl);
    }
}
