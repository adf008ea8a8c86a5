package dev.ekvault.server.share;

import dev.ekvault.api.ErrorCode;
import dev.ekvault.api.Secret;
import dev.ekvault.api.SecretValue;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.audit.AuditLog;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.secret.SecretService;
import dev.ekvault.server.share.ShareStore.ShareRow;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.Refusal;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.workspace.EnvironmentStore;
import dev.ekvault.server.workspace.ProjectService;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.workspace.UserStore;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Secret shares: a secret's value (read with the caller's own rights, a {@code VIEW}) or a text, sealed under a key
 * only the link can derive (see {@link ShareCrypto}), opened a bounded number of times before an expiry by whoever
 * holds the link.
 *
 * <p>Who may share: a credential that may write (a read-write API token, or a developer's or admin's sign-in), never a
 * read-only one and never a workload identity. A share hands a value to someone outside the access model and outlives
 * the credential that made it (revoking the token or removing the person does not take the link back), so it is a
 * lasting grant, not a read: a read-only credential — a viewer, a CLI token, a read-only CI token — may read values
 * but not hand out new ways to read them. Personal overrides are shared only by the person they belong to.
 *
 * <p>Who sees and revokes a share: its creator (the person behind the credential), and workspace admins for the shares
 * whose environment (or, for a text, whose project) lies in their scope; to anyone else it does not exist (404).
 */
public final class ShareService {
    /** The one answer for a token that names no consumable share: unknown, expired, revoked or used up alike. */
    static final String GONE = "share not found: the link is wrong, expired, revoked or used up";
    static final Duration DEFAULT_EXPIRY = Duration.ofDays(7);
    static final int MAX_PASSWORD_LENGTH = 256;
    private static final int LIST_LIMIT = 1000;

    /** What a share is made of; exactly one of {@code text} and {@code secretRef} is set. */
    public record Request(String text, String secretRef, String environmentId, boolean personal, Duration expiresIn, int maxViews,
                          String password) {}

    /** The create answer: the token and its link are in it once and nowhere else. */
    public record Created(String id, String token, String url, String kind, String secretName, String environmentId,
                          boolean isPersonal, int maxViews, String expiresAt, boolean hasPassword, String createdAt) {}

    /** One share in the project's list: what it shares and its state, never its content or token. */
    public record Listed(String id, String kind, String status, String secretId, String secretName, String environmentId,
                         String environmentName, boolean isPersonal, String createdBy, String createdByEmail, String credentialId,
                         int viewsUsed, int maxViews, int remainingViews, String createdAt, String expiresAt, String revokedAt,
                         String lastViewedAt, boolean hasPassword) {}

    /** The public view's answer. */
    public record Viewed(String content, String kind, String secretName, String environmentName, int remainingViews, String expiresAt) {}

    /** A protected share has refused this many wrong passwords in its window; {@code retryAfterSeconds} until it ends. */
    static final class AttemptsExhausted extends RuntimeException {
        final long retryAfterSeconds;

        AttemptsExhausted(long retryAfterSeconds) {
            super(null, null, false, false);
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    private final Database database;
    private final ShareStore store;
    private final ProjectService projects;
    private final EnvironmentStore environments;
    private final UserStore users;
    private final SecretService secrets;
    private final AuditLog audit;
    private final Config.Shares limits;
    private final int maxTextBytes;
    private final Clock clock;

    public ShareService(Database database, ShareStore store, ProjectService projects, EnvironmentStore environments, UserStore users,
                        SecretService secrets, AuditLog audit, Config.Shares limits, int maxTextBytes, Clock clock) {
        this.database = database;
        this.store = store;
        this.projects = projects;
        this.environments = environments;
        this.users = users;
        this.secrets = secrets;
        this.audit = audit;
        this.limits = limits;
        this.maxTextBytes = maxTextBytes;
        this.clock = clock;
    }

    Config.Shares limits() {
        return limits;
    }

    int maxTextBytes() {
        return maxTextBytes;
    }

    public Created create(Caller caller, String workspaceRef, String projectRef, Request request, String baseUrl) {
        requireMayShare(caller);
        if (request.personal() && !caller.seesPersonalValues()) {
            throw ApiException.forbidden("this credential acts for no person, so it has no personal values to share (isPersonal)");
        }
        ProjectRow project = database.read(c -> projects.resolve(c, caller, workspaceRef, projectRef));
        String content;
        String secretId = null;
        String secretName = null;
        String environmentName = null;
        if (request.text() != null) {
            content = request.text();
        } else {
            // the same read as GET …/secret/{key}: scope, personal values only the caller's own, and its VIEW entry
            Secret secret = secrets.get(caller, workspaceRef, projectRef, request.secretRef(), request.environmentId(), false, null);
            SecretValue value = null;
            for (SecretValue v : secret.values()) {
                if (v.environmentId().equals(request.environmentId()) && v.isPersonal() == request.personal()) value = v;
            }
            if (value == null) throw ApiException.notFound(request.personal() ? "personal value (isPersonal)" : "value in that environment (environmentId)");
            content = value.value();
            secretId = secret.id();
            secretName = secret.name();
            environmentName = database.read(c -> {
                for (EnvironmentStore.EnvironmentRow env : environments.listByProject(c, project.id())) {
                    if (env.id().equals(request.environmentId())) return env.name();
                }
                return null;
            });
        }
        long now = clock.millis();
        String id = FieldRules.newId();
        String token = ShareCrypto.newToken();
        byte[] salt = request.password() == null ? null : ShareCrypto.newSalt();
        // Argon2id before the transaction: it takes tens of milliseconds, which SQLite's one writer should not wait for
        byte[] ciphertext = ShareCrypto.seal(token, request.password(), salt, id, project.workspaceId(), project.id(),
                content.getBytes(StandardCharsets.UTF_8));
        ShareRow row = new ShareRow(id, project.workspaceId(), project.id(), caller.userId(), caller.credentialId(),
                request.text() != null ? "text" : "secret", secretId, secretName, request.text() != null ? null : request.environmentId(),
                environmentName, request.personal(), salt, ciphertext, request.maxViews(), 0, now, now + request.expiresIn().toMillis(),
                null, null, null, null, 0, null);
        database.write(c -> {
            ProjectRow current = projects.resolve(c, caller, workspaceRef, projectRef); // still there, still visible
            if (!current.id().equals(project.id())) throw ApiException.notFound("project");
            store.insert(c, row, ShareCrypto.hash(token));
            Journal.changed(c, Journal.Change.of("create", "secret-share", row.workspaceId(), id).in(row.projectId(), row.environmentId())
                    .after(describe(row)));
            return null;
        });
        return new Created(id, token, baseUrl + "/share#" + token, row.kind(), secretName, row.environmentId(), row.personal(),
                row.maxViews(), WireTime.format(row.expiresAt()), row.hasPassword(), WireTime.format(now));
    }

    public List<Listed> list(Caller caller, String workspaceRef, String projectRef) {
        return database.read(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            long now = clock.millis();
            Map<String, String> emails = new HashMap<>();
            List<Listed> result = new ArrayList<>();
            for (ShareRow row : store.listByProject(c, project.id(), LIST_LIMIT)) {
                if (!visible(caller, project, row)) continue;
                String email = row.createdBy() == null ? null : emails.computeIfAbsent(row.createdBy(), id -> {
                    try {
                        UserStore.User user = users.findById(c, id);
                        return user == null ? null : user.email();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                result.add(new Listed(row.id(), row.kind(), row.status(now), row.secretId(), row.secretName(), row.environmentId(),
                        row.environmentName(), row.personal(), row.createdBy(), email, row.credentialId(), row.viewsUsed(), row.maxViews(),
                        row.live(now) ? row.maxViews() - row.viewsUsed() : 0, WireTime.format(row.createdAt()),
                        WireTime.format(row.expiresAt()), row.revokedAt() == null ? null : WireTime.format(row.revokedAt()),
                        row.lastViewedAt() == null ? null : WireTime.format(row.lastViewedAt()), row.hasPassword()));
            }
            return result;
        });
    }

    /** Revokes a share the caller may see: its link stops working at once and its content is purged. Idempotent. */
    public void revoke(Caller caller, String workspaceRef, String projectRef, String shareId) {
        if (!FieldRules.isUuid(shareId)) throw ApiException.notFound("share");
        database.write(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            ShareRow row = store.byId(c, project.id(), shareId.toLowerCase(java.util.Locale.ROOT));
            if (row == null || !visible(caller, project, row)) throw ApiException.notFound("share");
            requireMayShare(caller); // after the lookup: a share the caller cannot see is 404 whatever its credential
            long now = clock.millis();
            if (store.revoke(c, row.id(), caller.userId(), now)) {
                Journal.changed(c, Journal.Change.of("revoke", "secret-share", row.workspaceId(), row.id()).in(row.projectId(), row.environmentId())
                        .before(Journal.fields("status", row.status(now), "viewsUsed", row.viewsUsed()))
                        .after(Journal.fields("status", "revoked", "contentPurged", true)));
            }
            return null;
        });
    }

    /**
     * The public view: the content, once per view, to whoever holds the link (and the password when it has one).
     * Every refusal of a token that names no consumable share is the same 404; a wrong or missing password is 401 and
     * uses no view; past the wrong-password allowance, {@link AttemptsExhausted}.
     */
    public Viewed view(String token, String password) {
        if (!ShareCrypto.isWellFormed(token)) throw gone();
        String hash = ShareCrypto.hash(token);
        ShareRow row = database.read(c -> store.byTokenHash(c, hash));
        long now = clock.millis();
        if (row == null) throw gone();
        if (!row.live(now)) {
            // an expired share met before the purge job got to it: purge now (the job's own pass, so nothing waits for it)
            if (row.ciphertext() != null && row.expiresAt() <= now) purgeExpired();
            throw gone();
        }
        if (row.hasPassword()) {
            if (password == null || password.isEmpty()) {
                throw new ApiException(ErrorCode.UNAUTHORIZED, "this share is protected by a password: send it as 'password'").because(Refusal.MISSING);
            }
            boolean claimed = database.write(c -> store.claimPasswordAttempt(c, row.id(), now, limits.passwordAttempts(),
                    limits.passwordWindow().toMillis()));
            if (!claimed) {
                Long start = database.read(c -> store.windowStart(c, row.id()));
                long endsIn = start == null ? 1 : Math.max(1, (start + limits.passwordWindow().toMillis() - now + 999) / 1000);
                throw new AttemptsExhausted(endsIn);
            }
        } else {
            password = null; // a password sent to an unprotected share is ignored, not bound into the key
        }
        byte[] plain = ShareCrypto.open(token, password, row.passwordSalt(), row.id(), row.workspaceId(), row.projectId(), row.ciphertext());
        if (plain == null) {
            if (!row.hasPassword()) {
                throw new dev.ekvault.server.crypto.IntegrityException("a share's ciphertext does not open with its own link");
            }
            // the attempt stays counted; the refusal is an audit entry naming where it came from (the gateway's actor)
            audit.event(Journal.Change.of("refused", "secret-share", row.workspaceId(), row.id()).in(row.projectId(), row.environmentId())
                    .after(Journal.fields("reason", "wrong password")));
            throw new ApiException(ErrorCode.UNAUTHORIZED, "wrong password for this share").because(Refusal.BAD_PASSWORD);
        }
        long at = clock.millis();
        Integer used = database.write(c -> {
            Integer after = store.consumeView(c, row.id(), at, row.hasPassword());
            if (after == null) {
                if (row.hasPassword()) store.returnPasswordAttempt(c, row.id());
                return null;
            }
            // the view is a change of the row, journaled in its transaction: the count and its audit entry commit together
            Journal.changed(c, Journal.Change.of("view", "secret-share", row.workspaceId(), row.id()).in(row.projectId(), row.environmentId())
                    .after(Journal.fields("kind", row.kind(), "secret", row.secretName(), "environment", row.environmentName(),
                            "viewsUsed", after, "maxViews", row.maxViews(), "contentPurged", after >= row.maxViews() ? Boolean.TRUE : null)));
            return after;
        });
        if (used == null) throw gone();
        return new Viewed(new String(plain, StandardCharsets.UTF_8), row.kind(), row.secretName(), row.environmentName(),
                Math.max(0, row.maxViews() - used), WireTime.format(row.expiresAt()));
    }

    /** Purges the content of shares past their expiry (a background job; used-up and revoked ones are purged at once). */
    public int purgeExpired() {
        long now = clock.millis();
        return database.write(c -> {
            int purged = 0;
            for (ShareRow row : store.expiredWithContent(c, now, 500)) {
                if (!store.purge(c, row.id(), now)) continue;
                Journal.changed(c, Journal.Change.of("expire", "secret-share", row.workspaceId(), row.id()).in(row.projectId(), row.environmentId())
                        .after(Journal.fields("status", "expired", "contentPurged", true)));
                purged++;
            }
            return purged;
        });
    }

    private static ApiException gone() {
        return new ApiException(ErrorCode.NOT_FOUND, GONE);
    }

    private static void requireMayShare(Caller caller) {
        if (caller.kind() == Credential.Kind.OIDC) {
            throw ApiException.forbidden("a workload identity cannot share secrets: a share is made by a person or a read-write API token");
        }
        if (!caller.permission().allowsWrite()) {
            throw ApiException.forbidden("sharing needs read-write access: a share hands the value out beyond this credential's life");
        }
    }

    /** The creator sees their shares; an admin those within their scope. */
    private static boolean visible(Caller caller, ProjectRow project, ShareRow row) {
        if (row.createdBy() != null && row.createdBy().equals(caller.userId())) return true;
        if (!caller.isAdmin()) return false;
        return row.environmentId() != null ? caller.scope().coversEnvironment(row.environmentId(), project.id(), project.teamId())
                : caller.scope().coversProject(project.id(), project.teamId());
    }

    /** A share as the journal (and so the audit log) describes it: never the content, the token or the password. */
    private static Map<String, Object> describe(ShareRow row) {
        Map<String, Object> fields = new LinkedHashMap<>(Journal.fields("kind", row.kind(), "secret", row.secretName(),
                "secretId", row.secretId(), "environment", row.environmentName(), "personal", row.personal() ? Boolean.TRUE : null,
                "maxViews", row.maxViews(), "expiresAt", WireTime.format(row.expiresAt()), "passwordProtected", row.hasPassword()));
        return java.util.Collections.unmodifiableMap(fields);
    }
}
