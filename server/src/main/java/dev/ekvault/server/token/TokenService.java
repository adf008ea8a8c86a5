package dev.ekvault.server.token;

import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialAuthority;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.access.CredentialUsage;
import dev.ekvault.server.access.TokenFormat;
import dev.ekvault.api.CliToken;
import dev.ekvault.api.CreatedToken;
import dev.ekvault.api.CredentialInfo;
import dev.ekvault.api.TokenInfo;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.workspace.ScopeResolver;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.workspace.EnvironmentStore;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.workspace.WorkspaceService;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * API tokens and the credentials table. A token never exceeds the caller that creates it: its permission is at most
 * the caller's, and its scope lies within the caller's. The raw value is returned once; only its hash is stored.
 * Every change is written to the change feed in the same transaction, so every node's access snapshot follows.
 */
public final class TokenService {
    /** The lifetimes a static token may be given. */
    public static final Map<String, Duration> LIFETIMES = Map.of(
            "24h", Duration.ofHours(24), "5d", Duration.ofDays(5), "30d", Duration.ofDays(30),
            "60d", Duration.ofDays(60), "3m", Duration.ofDays(90), "6m", Duration.ofDays(180));
    public static final Duration CLI_LIFETIME = Duration.ofHours(8);

    private final Database database;
    private final CredentialStore credentials;
    private final CredentialUsage usage;
    private final WorkspaceService workspaces;
    private final EnvironmentStore environments;
    private final ScopeResolver scopes;
    private final Clock clock;

    public TokenService(Database database, CredentialStore credentials, CredentialUsage usage,
                        WorkspaceService workspaces, EnvironmentStore environments, ScopeResolver scopes, Clock clock) {
        this.database = database;
        this.credentials = credentials;
        this.usage = usage;
        this.workspaces = workspaces;
        this.environments = environments;
        this.scopes = scopes;
        this.clock = clock;
    }

    public CreatedToken create(Caller caller, String workspaceRef, String name, String permissionText, ScopeResolver.Request scopeRequest, String expiresIn) {
        String tokenName = FieldRules.name(name, "name");
        Permission permission = Permission.fromWire(permissionText);
        if (permission == null) throw ApiException.badRequest("field 'permission' must be 'read' or 'read-write'");
        Duration lifetime = lifetime(expiresIn, "field 'expiresIn'");
        CredentialAuthority.requireMayManage(caller);
        if (permission.allowsWrite() && !caller.permission().allowsWrite()) {
            throw ApiException.forbidden("field 'permission': you can create only read credentials");
        }
        CreatedToken created = database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            CredentialAuthority.requireDepth(caller, credentials.lineage(c, caller.credentialId()));
            Scope scope = scopes.resolve(c, caller, ws.id(), scopeRequest);
            if (!scope.within(caller.scope())) throw ApiException.forbidden("field 'scope' reaches beyond your own access");
            long now = clock.millis();
            Credential credential = new Credential(FieldRules.newId(), ws.id(), Credential.Kind.STATIC, tokenName, null, permission,
                    scope, false, caller.userId(), now, CredentialAuthority.boundExpiry(caller, Credential.Kind.STATIC, now + lifetime.toMillis()), null, null,
                    CredentialAuthority.parentFor(caller, Credential.Kind.STATIC));
            String token = issue(c, credential);
            return createdView(credential, token);
        });
        return created;
    }

    /** A read-only token for one environment the caller can read, valid eight hours, acting as the caller's person. */
    public CliToken createCli(Caller caller, String workspaceRef, String environmentId) {
        CredentialAuthority.requireMayManage(caller);
        String token = database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            EnvironmentStore.EnvironmentRow env = environments.find(c, ws.id(), environmentId);
            if (env == null || !caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId())) {
                throw ApiException.notFound("environment");
            }
            CredentialAuthority.requireDepth(caller, credentials.lineage(c, caller.credentialId()));
            long now = clock.millis();
            Scope scope = Scope.of(List.of(), List.of(), List.of(new Scope.EnvironmentRef(env.id(), env.projectId(), env.teamId())));
            return issue(c, new Credential(FieldRules.newId(), ws.id(), Credential.Kind.CLI, "cli " + env.name(), null, Permission.READ,
                    scope, false, caller.userId(), now, CredentialAuthority.boundExpiry(caller, Credential.Kind.CLI, now + CLI_LIFETIME.toMillis()), null,
                    null, CredentialAuthority.parentFor(caller, Credential.Kind.CLI)));
        });
        return new CliToken(token);
    }

    /** Tokens (static and CLI) the caller may manage ({@link CredentialAuthority#mayManage}); nothing else is listed. */
    public List<TokenInfo> list(Caller caller, String workspaceRef) {
        CredentialAuthority.requireMayManage(caller);
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            List<TokenInfo> result = new ArrayList<>();
            for (CredentialStore.Stored stored : credentials.listByWorkspace(c, ws.id())) {
                Credential k = stored.credential();
                if (stored.tokenHash() == null || k.kind().isSignIn() || !CredentialAuthority.mayManage(caller, k)) continue;
                result.add(new TokenInfo(k.id(), k.name(), k.prefix(), k.permission().wire, ScopeResolver.wire(k.scope()), k.kind().wire, k.isOwner(),
                        k.createdBy(), WireTime.format(k.createdAt()), WireTime.formatNullable(k.expiresAt()),
                        WireTime.formatNullable(usage.lastUsed(k.id(), k.lastUsedAt())), WireTime.formatNullable(k.revokedAt())));
            }
            return result;
        });
    }

    /** Every credential of the workspace the caller may manage in one table, newest first. */
    public List<CredentialInfo> credentialsTable(Caller caller, String workspaceRef) {
        CredentialAuthority.requireMayManage(caller);
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            Map<String, String> emails = workspaces.memberEmails(c, ws.id());
            List<CredentialInfo> result = new ArrayList<>();
            for (CredentialStore.Stored stored : credentials.listByWorkspace(c, ws.id())) {
                Credential k = stored.credential();
                if (k.kind().isSignIn() || !CredentialAuthority.mayManage(caller, k)) continue;
                result.add(new CredentialInfo(k.id(), k.kind().tableKind(), k.name(), k.prefix(), k.permission().wire, ScopeResolver.wire(k.scope()),
                        k.createdBy(), emails.get(k.createdBy()), WireTime.format(k.createdAt()), WireTime.formatNullable(k.expiresAt()),
                        WireTime.formatNullable(usage.lastUsed(k.id(), k.lastUsedAt())), WireTime.formatNullable(k.revokedAt())));
            }
            return result;
        });
    }

    /**
     * A new value with the same name, permission, scope, lineage and expiry (rotation never extends a lifetime); the old
     * value, its JWTs and every credential minted through it stop at once.
     */
    public CreatedToken rotate(Caller caller, String workspaceRef, String tokenId) {
        CredentialAuthority.requireMayManage(caller);
        CreatedToken rotated = database.write(c -> {
            Credential old = manageable(c, caller, workspaceRef, tokenId);
            if (old.kind() != Credential.Kind.STATIC) throw ApiException.badRequest("only API tokens rotate; revoke a CLI token instead");
            CredentialAuthority.requireMayRotate(caller, old, credentials.lineage(c, caller.credentialId()));
            long now = clock.millis();
            if (!old.isLiveAt(now)) throw ApiException.conflict("a revoked or expired token cannot be rotated; create a new one");
            String freshId = FieldRules.newId();
            // the old credential's change reads "rotate" and names its successor; the successor's create names it
            credentials.revoke(c, old.workspaceId(), old.id(), now, freshId);
            Credential fresh = new Credential(freshId, old.workspaceId(), old.kind(), old.name(), null, old.permission(),
                    old.scope(), old.isOwner(), old.createdBy(), now, old.expiresAt(), null, null, old.parentId());
            return createdView(fresh, issue(c, fresh, old.id()));
        });
        return rotated;
    }

    /** Final: the token, every JWT exchanged from it and every credential minted through it stop on every node. */
    public void revoke(Caller caller, String workspaceRef, String tokenId) {
        CredentialAuthority.requireMayManage(caller);
        database.write(c -> {
            Credential credential = manageable(c, caller, workspaceRef, tokenId);
            credentials.revoke(c, credential.workspaceId(), credential.id(), clock.millis(), null);
            return null;
        });
    }

    /** Issues a token for a credential inside the caller's transaction and returns the raw value, shown once. */
    public String issue(Connection c, Credential template) throws SQLException {
        return issue(c, template, null);
    }

    /** {@link #issue}; {@code rotatedFrom} names the credential this one replaces, null when it replaces none. */
    private String issue(Connection c, Credential template, String rotatedFrom) throws SQLException {
        String token = TokenFormat.generate();
        Credential credential = new Credential(template.id(), template.workspaceId(), template.kind(), template.name(),
                TokenFormat.displayPrefix(token), template.permission(), template.scope(), template.isOwner(), template.createdBy(),
                template.createdAt(), template.expiresAt(), null, null, template.parentId());
        credentials.insert(c, credential, TokenFormat.hash(token), rotatedFrom);
        return token;
    }

    public static Duration lifetime(String expiresIn, String field) {
        Duration lifetime = expiresIn == null ? null : LIFETIMES.get(expiresIn);
        if (lifetime == null) throw ApiException.badRequest(field + " must be one of 24h, 5d, 30d, 60d, 3m, 6m");
        return lifetime;
    }

    private Credential manageable(Connection c, Caller caller, String workspaceRef, String tokenId) throws SQLException {
        WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
        CredentialStore.Stored stored = credentials.findById(c, tokenId);
        if (stored == null || stored.tokenHash() == null || stored.credential().kind().isSignIn()
                || !stored.credential().workspaceId().equals(ws.id())
                || !CredentialAuthority.mayManage(caller, stored.credential())) {
            throw ApiException.notFound("token");
        }
        return stored.credential();
    }

    private static CreatedToken createdView(Credential credential, String token) {
        return new CreatedToken(credential.id(), token, credential.name(), TokenFormat.displayPrefix(token), credential.permission().wire,
                ScopeResolver.wire(credential.scope()), WireTime.format(credential.expiresAt()));
    }

}
