package dev.ekvault.server.people;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.server.audit.Actor;
import dev.ekvault.server.workspace.UserStore;
import dev.ekvault.api.Me;
import dev.ekvault.api.SessionInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.wire.SessionCookie;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.bootstrap.Bootstrap;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialAuthority;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.access.TokenFormat;
import dev.ekvault.server.token.TokenService;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * People signing in: email and password (Argon2id; the same work for an unknown email; a growing lock after repeated
 * failures), the first person's sign-up that creates the workspace, sessions (credentials of kind SESSION or
 * DEVICE_LOGIN that act as their person, stored as hashes like every token), and the person's own view of them.
 */
public final class SessionService {
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}");
    static final int MIN_PASSWORD = 12;
    static final int MAX_PASSWORD = 256;
    private static final int FREE_FAILURES = 5;
    private static final Duration MAX_LOCK = Duration.ofHours(1);
    public static final Duration DEVICE_LOGIN_LIFETIME = Duration.ofHours(8);
    private static final int MAX_PREFERENCES_BYTES = 16 * 1024;

    /** A fresh sign-in: the token goes into a cookie (dashboard) or to the CLI; it is shown only here. */
    public record SignedIn(String token, String csrfToken, String userId, String email, String name, long expiresAt) {}

    private final Database database;
    private final UserStore users;
    private final WorkspaceStore workspaces;
    private final Bootstrap bootstrap;
    private final CredentialStore credentials;
    private final TokenService tokens;
    private final PasswordHasher passwords;
    private final Config.People config;
    private final ObjectMapper json;
    private final Clock clock;
    /**
     * The attempts on a locked account already on record, one per lock and client address. Each attempt costs its
     * sender nothing but a request, so recording every one would let anyone who knows an email grow its workspaces'
     * append-only audit log without bound (200 entries a minute from one address at the default rate limit); the first
     * from each address is what tells an operator who is trying, and the request log keeps every one. Per node and
     * bounded: a forgotten key records one more entry.
     */
    private final Cache<String, Boolean> attemptsWhileLockedRecorded;

    public SessionService(Database database, UserStore users, WorkspaceStore workspaces, Bootstrap bootstrap, CredentialStore credentials,
                          TokenService tokens, PasswordHasher passwords, Config.People config, ObjectMapper json, Clock clock) {
        this.database = database;
        this.users = users;
        this.workspaces = workspaces;
        this.bootstrap = bootstrap;
        this.credentials = credentials;
        this.tokens = tokens;
        this.passwords = passwords;
        this.config = config;
        this.json = json;
        this.clock = clock;
        this.attemptsWhileLockedRecorded = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(MAX_LOCK)
                .ticker(() -> clock.millis() * 1_000_000).build();
    }

    static String email(String email, String field) {
        String normal = email.strip().toLowerCase(Locale.ROOT);
        if (!EMAIL.matcher(normal).matches()) throw ApiException.badRequest("field '" + field + "' must be an email address");
        return normal;
    }

    public static String password(String password, String field) {
        if (password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
            throw ApiException.badRequest("field '" + field + "' must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
        }
        return password;
    }

    /**
     * Email and password. Every failure is the same 401, after the same Argon2 work: an unknown email is checked
     * against a dummy hash, and a locked account is checked too (its answer ignored) so the lock cannot be timed.
     */
    public SignedIn signIn(String emailText, String password, String workspaceRef) {
        String address = emailText.strip().toLowerCase(Locale.ROOT);
        long now = clock.millis();
        UserStore.User user = database.read(c -> users.findByEmail(c, address));
        requirePassword(user, password, now);
        SignedIn signedIn = database.write(c -> {
            String workspaceId = chooseWorkspace(c, user.id(), workspaceRef);
            return issue(c, user, workspaceId, Credential.Kind.SESSION, config.sessionLifetime(), now);
        });
        return signedIn;
    }

    /**
     * The one password check of the server (sign-in, invitation accept, sign-up by an existing person, password change):
     * every failure is the same 401 after the same Argon2 work. An unknown person ({@code user} null) or one without a
     * password is checked against a dummy hash; a locked account is checked too (its answer ignored) so the lock cannot
     * be timed; each failure counts towards a lock that grows from a minute to an hour. Call it outside any transaction:
     * it records the failure in its own.
     */
    public void requirePassword(UserStore.User user, String password, long now) {
        if (password == null || password.length() > MAX_PASSWORD) password = "";
        boolean matches = passwords.verify(password, user == null ? null : user.passwordHash());
        if (user == null) throw ApiException.unauthorized(Refusal.BAD_PASSWORD);
        boolean locked = user.lockedUntil() != null && user.lockedUntil() > now;
        if (!matches || locked) {
            if (locked) recordAttemptWhileLocked(user);
            else recordFailure(user.id(), now);
            throw ApiException.unauthorized(locked ? Refusal.LOCKED : Refusal.BAD_PASSWORD);
        }
        actAs(user);
        if (user.failedSignIns() > 0) {
            database.write(c -> {
                users.clearFailedSignIns(c, user.id());
                return null;
            });
        }
    }

    private void recordAttemptWhileLocked(UserStore.User user) {
        String lockAndAddress = user.id() + " " + user.lockedUntil() + " " + Actor.current().clientAddress();
        if (attemptsWhileLockedRecorded.asMap().putIfAbsent(lockAndAddress, Boolean.TRUE) != null) return;
        try {
            database.write(c -> {
                users.journalAttemptWhileLocked(c, user);
                return null;
            });
        } catch (RuntimeException e) {
            attemptsWhileLockedRecorded.invalidate(lockAndAddress); // not on record after all: the next attempt tries again
            throw e;
        }
    }

    private void recordFailure(String userId, long now) {
        database.write(c -> {
            // counted from the stored value in the writing transaction, so concurrent failures are all counted
            UserStore.User current = users.findById(c, userId);
            int failures = current.failedSignIns() + 1;
            Long lockedUntil = null;
            if (failures >= FREE_FAILURES) {
                long minutes = Math.min(1L << Math.min(failures - FREE_FAILURES, 20), MAX_LOCK.toMinutes());
                lockedUntil = now + Duration.ofMinutes(minutes).toMillis();
            }
            users.recordFailedSignIn(c, userId, failures, lockedUntil);
            return null;
        });
    }

    /**
     * A signed-in person changes their password: the current one is required (checked like a sign-in, failures counted),
     * and every other sign-in of theirs, in every workspace, ends with everything minted through it.
     */
    public void changePassword(Caller caller, String currentPassword, String newPassword) {
        if (!caller.kind().isSignIn()) throw ApiException.forbidden("change a password while signed in as the person, not with an API token");
        String pw = password(newPassword, "newPassword");
        long now = clock.millis();
        UserStore.User user = database.read(c -> users.findById(c, caller.userId()));
        try {
            requirePassword(user, currentPassword, now);
        } catch (ApiException wrong) {
            // a 401 would read as "your session ended" to the dashboard
            throw ApiException.forbidden("field 'currentPassword' is not your current password (or the account is locked for a while)");
        }
        String hash = passwords.hash(pw);
        database.write(c -> {
            users.setPassword(c, user.id(), hash);
            credentials.revokeSignIns(c, user.id(), caller.credentialId(), clock.millis());
            return null;
        });
    }

    private String chooseWorkspace(Connection c, String userId, String workspaceRef) throws SQLException {
        List<String> memberships = users.workspaceIds(c, userId);
        if (memberships.isEmpty()) throw ApiException.unauthorized(Refusal.NOT_A_MEMBER);
        if (workspaceRef == null) return memberships.get(0);
        WorkspaceStore.WorkspaceRow ws = workspaces.find(c, workspaceRef);
        if (ws == null || !memberships.contains(ws.id())) throw ApiException.unauthorized(Refusal.NOT_A_MEMBER);
        return ws.id();
    }

    /**
     * What the sign-in page offers, to anyone: whether the first sign-up creates the first workspace, whether sign-up
     * stays open afterwards, and single sign-on (labelled with its provider's host). Nothing else: no workspace's name.
     */
    public dev.ekvault.api.AuthOptions options(dev.ekvault.server.config.Config.Sso sso) {
        boolean firstRun = !database.read(workspaces::anyWorkspace);
        dev.ekvault.api.AuthOptions.Sso single = sso.enabled()
                ? new dev.ekvault.api.AuthOptions.Sso(true, java.net.URI.create(sso.issuer()).getHost(), "/v1/auth/sso/start")
                : new dev.ekvault.api.AuthOptions.Sso(false, null, null);
        return new dev.ekvault.api.AuthOptions(firstRun, config.openSignUp(), single);
    }

    /**
     * The first person on a fresh install creates the workspace and owns it. After that, sign-up is by invitation,
     * unless {@code people.open-sign-up} lets anyone create an account with a workspace of their own.
     *
     * <p>Sign-up must not tell which emails have an account. An email that has one is taken as that person asking for
     * another workspace: their password is checked like a sign-in (a wrong one is the sign-in's 401, counted towards the
     * lock) and the new workspace is theirs; the account is never changed and nothing says it existed.
     */
    public SignedIn signUp(String emailText, String password, String name, String workspaceSlug) {
        String address = email(emailText, "email");
        String pw = password(password, "password");
        String displayName = FieldRules.name(name == null ? address.substring(0, address.indexOf('@')) : name, "name");
        String slug = FieldRules.slug(workspaceSlug == null ? FieldRules.slugOf(displayName, "workspace") : workspaceSlug, "workspace");
        long now = clock.millis();
        UserStore.User existing = database.read(c -> {
            if (workspaces.anyWorkspace(c) && !config.openSignUp()) {
                throw ApiException.forbidden("sign-up is by invitation: ask a workspace admin for an invite link");
            }
            if (workspaces.find(c, slug) != null) throw ApiException.conflict("field 'workspace': the slug '" + slug + "' is taken");
            return users.findByEmail(c, address);
        });
        // the same Argon2 work either way: a check for an existing person, a hash for a new one
        String hash = existing == null ? passwords.hash(pw) : null;
        if (existing != null) requirePassword(existing, pw, now);
        SignedIn signedIn = database.write(c -> {
            if (workspaces.find(c, slug) != null) throw ApiException.conflict("field 'workspace': the slug '" + slug + "' is taken");
            UserStore.User user;
            if (existing != null) {
                bootstrap.createWorkspace(c, slug, existing.id(), now);
                user = existing;
            } else {
                // another request may have created this person a moment ago: refuse as a sign-in would, saying nothing more
                if (users.findByEmail(c, address) != null) throw ApiException.unauthorized();
                user = createOwner(c, address, displayName, hash, slug, now);
            }
            String workspaceId = workspaces.find(c, slug).id();
            return issue(c, user, workspaceId, Credential.Kind.SESSION, config.sessionLifetime(), now);
        });
        return signedIn;
    }

    /**
     * A new person who owns a new workspace (admin over all of it, with a {@code Default} team), inside the caller's
     * transaction. The caller has checked that sign-up is allowed and that the email and slug are free;
     * {@code passwordHash} is null for a person who signs in only through single sign-on.
     */
    public UserStore.User createOwner(Connection c, String email, String displayName, String passwordHash, String slug, long now) throws SQLException {
        String userId = FieldRules.newId();
        users.insert(c, userId, email, displayName, passwordHash, now);
        bootstrap.createWorkspace(c, slug, userId, now);
        return users.findById(c, userId);
    }

    /** Issues a sign-in credential for a person in a workspace, inside the caller's transaction. */
    public SignedIn issue(Connection c, UserStore.User user, String workspaceId, Credential.Kind kind, Duration lifetime, long now) throws SQLException {
        return issue(c, user, workspaceId, kind, lifetime, now, null);
    }

    /**
     * An {@code ek login} granted by the dashboard session that approved it: that session's child, so it ends no later
     * than the session and with it (a stolen session cannot leave a login behind). Null when the session has ended since
     * it approved: the login is then refused.
     */
    public SignedIn issueDeviceLogin(Connection c, String userId, String workspaceId, String approvedBy, long now) throws SQLException {
        CredentialStore.Stored approver = approvedBy == null ? null : credentials.findById(c, approvedBy);
        if (approver == null || !approver.credential().isLiveAt(now) || !approver.credential().createdBy().equals(userId)) return null;
        return issue(c, users.findById(c, userId), workspaceId, Credential.Kind.DEVICE_LOGIN, DEVICE_LOGIN_LIFETIME, now, approver.credential());
    }

    private SignedIn issue(Connection c, UserStore.User user, String workspaceId, Credential.Kind kind, Duration lifetime, long now,
                           Credential parent) throws SQLException {
        actAs(user);
        String token = TokenFormat.generate(TokenFormat.SESSION_PREFIX);
        Long expiresAt = parent == null ? now + lifetime.toMillis() : CredentialAuthority.boundExpiry(parent, kind, now + lifetime.toMillis());
        String parentId = parent != null && CredentialAuthority.binds(parent, kind) ? parent.id() : null;
        Credential credential = new Credential(FieldRules.newId(), workspaceId, kind, kind == Credential.Kind.SESSION ? "dashboard" : "ek login",
                TokenFormat.displayPrefix(token), Permission.READ_WRITE, Scope.ALL, false, user.id(), now, expiresAt, null, null, parentId);
        credentials.insert(c, credential, TokenFormat.hash(token), null);
        return new SignedIn(token, SessionCookie.csrfToken(token), user.id(), user.email(), user.name(), credential.expiresAt());
    }


    /**
     * From here the request acts as this person, who has just proved who they are (a password, single sign-on, an
     * approved device login): the audit entries of what it changes next — the new sign-in, a cleared lock — name them,
     * where a public route's request is otherwise nobody's (the gateway sets only its address and id).
     */
    private static void actAs(UserStore.User user) {
        Actor request = Actor.current();
        if (user.id().equals(request.userId())) return;
        Actor.set(new Actor(user.id(), request.credentialId(), request.credentialKind(), request.clientAddress(), request.requestId()));
    }

    /** Ends the sign-in the request came with (the dashboard's sign-out, {@code ek}'s logout). */
    public void signOut(Caller caller) {
        if (!caller.kind().isSignIn()) throw ApiException.badRequest("this credential is not a sign-in; revoke API tokens under /tokens");
        revoke(caller.workspaceId(), caller.credentialId(), "sign-out");
    }

    /** Who the caller is; the route adds the CSRF token for a cookie session. */
    public Me me(Caller caller) {
        UserStore.User user = database.read(c -> users.findById(c, caller.userId()));
        return new Me(user.id(), user.email(), user.name(), null);
    }

    /** The person's live sign-ins in this workspace, the current one marked. */
    public List<SessionInfo> sessions(Caller caller) {
        long now = clock.millis();
        return database.read(c -> {
            List<SessionInfo> result = new ArrayList<>();
            for (CredentialStore.Stored stored : credentials.listByWorkspace(c, caller.workspaceId())) {
                Credential k = stored.credential();
                if (!k.kind().isSignIn() || !k.createdBy().equals(caller.userId()) || !k.isLiveAt(now)) continue;
                result.add(new SessionInfo(k.id(), k.kind().wire, WireTime.format(k.createdAt()), WireTime.formatNullable(k.expiresAt()),
                        k.id().equals(caller.credentialId())));
            }
            return result;
        });
    }

    public void revokeSession(Caller caller, String sessionId) {
        CredentialStore.Stored stored = database.read(c -> credentials.findById(c, sessionId));
        if (stored == null || !stored.credential().kind().isSignIn() || !stored.credential().createdBy().equals(caller.userId())
                || !stored.credential().workspaceId().equals(caller.workspaceId())) {
            throw ApiException.notFound("session");
        }
        revoke(caller.workspaceId(), sessionId, "sign-out"); // the person ends a sign-in of theirs, from this one or another
    }

    /** Ends a sign-in and everything minted through it (an {@code ek login}'s tokens die with its logout). */
    private void revoke(String workspaceId, String credentialId, String because) {
        database.write(c -> {
            credentials.revoke(c, workspaceId, credentialId, clock.millis(), null, because);
            return null;
        });
    }

    public JsonNode preferences(Caller caller) {
        String stored = database.read(c -> users.preferences(c, caller.userId()));
        try {
            return stored == null ? json.createObjectNode() : json.readTree(stored);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored preferences are not JSON", e);
        }
    }

    /** Replaces the person's preferences: any JSON object up to 16 KiB; the dashboard decides what is in it. */
    public JsonNode savePreferences(Caller caller, JsonNode preferences) {
        if (preferences == null || !preferences.isObject()) throw ApiException.badRequest("the body must be a JSON object of preferences");
        String text = preferences.toString();
        if (text.length() > MAX_PREFERENCES_BYTES) throw ApiException.badRequest("preferences are larger than " + MAX_PREFERENCES_BYTES + " bytes");
        database.write(c -> {
            users.savePreferences(c, caller.userId(), text, clock.millis());
            return null;
        });
        return preferences;
    }
}
