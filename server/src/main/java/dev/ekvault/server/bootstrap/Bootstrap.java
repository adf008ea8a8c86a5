package dev.ekvault.server.bootstrap;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.access.CredentialUsage;
import dev.ekvault.server.workspace.EnvironmentStore;
import dev.ekvault.server.workspace.ProjectStore;
import dev.ekvault.server.workspace.ScopeResolver;
import dev.ekvault.server.workspace.UserStore;
import dev.ekvault.server.workspace.WorkspaceService;
import dev.ekvault.server.workspace.WorkspaceStore;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.workspace.TeamStore;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.token.TokenService;

import java.time.Clock;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * First start without a browser: creates the workspace, its owner (an admin with access to everything), a first
 * team, and the owner's read-write API token, all in one transaction. Refuses, changing nothing, when the data
 * already holds a workspace. Also mints a later owner token for recovery ({@code ek-server owner-token}).
 */
public final class Bootstrap {
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}");

    private final Database database;
    private final WorkspaceStore workspaces;
    private final UserStore users;
    private final TeamStore teams;
    private final TokenService tokens;
    private final Clock clock;

    public Bootstrap(Database database, WorkspaceStore workspaces, UserStore users, TeamStore teams, TokenService tokens, Clock clock) {
        this.database = database;
        this.workspaces = workspaces;
        this.users = users;
        this.teams = teams;
        this.tokens = tokens;
        this.clock = clock;
    }

    /**
     * A bootstrap for a command that opens the store to do this one thing ({@code init}, {@code owner-token}): its
     * stores and the token service it mints through, and nothing else of a serving node (no routes, jobs or caches).
     */
    public static Bootstrap forCommand(Database database, ObjectMapper json, Clock clock) {
        WorkspaceStore workspaces = new WorkspaceStore(json);
        TeamStore teams = new TeamStore();
        EnvironmentStore environments = new EnvironmentStore();
        CredentialStore credentials = new CredentialStore(json);
        // only TokenService.issue is used: its usage recorder is never started
        TokenService tokens = new TokenService(database, credentials, new CredentialUsage(database, credentials),
                new WorkspaceService(database, workspaces), environments, new ScopeResolver(teams, new ProjectStore(), environments), clock);
        return new Bootstrap(database, workspaces, new UserStore(), teams, tokens, clock);
    }

    /**
     * A new workspace owned by an existing user: the workspace, its owner as an admin with access to everything, and a
     * first team named Default. Used by {@code init} and by the first person's sign-up. Returns the workspace id.
     */
    public String createWorkspace(java.sql.Connection c, String slug, String ownerId, long now) throws java.sql.SQLException {
        String workspaceId = FieldRules.newId();
        workspaces.insertWorkspace(c, new WorkspaceStore.WorkspaceRow(workspaceId, slug, slug, ownerId, now));
        workspaces.insertMember(c, new WorkspaceStore.Member(workspaceId, ownerId, Role.ADMIN, Scope.ALL), now);
        teams.insert(c, new TeamStore.TeamRow(FieldRules.newId(), workspaceId, "Default", now));
        return workspaceId;
    }

    /** Returns the owner's raw API token; it is not stored anywhere and cannot be shown again. */
    public String initialise(String workspaceSlug, String email, String expiresIn) {
        String slug = FieldRules.slug(workspaceSlug, "--workspace");
        if (!EMAIL.matcher(email).matches()) throw ApiException.badRequest("--email must be an email address");
        Duration lifetime = lifetime(expiresIn);
        return database.write(c -> {
            if (workspaces.anyWorkspace(c)) throw ApiException.conflict("this server is already initialised; nothing was changed");
            long now = clock.millis();
            String userId = FieldRules.newId();
            // no password: the owner signs in with the token, or sets one with `ek-server set-password`
            users.insert(c, userId, email.toLowerCase(java.util.Locale.ROOT), email.substring(0, email.indexOf('@')), null, now);
            String workspaceId = createWorkspace(c, slug, userId, now);
            return tokens.issue(c, ownerCredential(workspaceId, userId, now, lifetime));
        });
    }

    /**
     * Recovery ({@code ek-server owner-token}): a new owner API token for an existing workspace, made by its owner, as
     * {@code init} makes the first. Returns the credential id and the raw token, which is not stored anywhere.
     */
    public Minted mintOwnerToken(String workspaceRef, String expiresIn) {
        Duration lifetime = lifetime(expiresIn);
        return database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.find(c, workspaceRef);
            if (ws == null) throw ApiException.notFound("workspace '" + workspaceRef + "'");
            Credential credential = ownerCredential(ws.id(), ws.ownerId(), clock.millis(), lifetime);
            return new Minted(ws, credential, tokens.issue(c, credential));
        });
    }

    /** A token just made: where, which credential, and its raw value (shown once). */
    public record Minted(WorkspaceStore.WorkspaceRow workspace, Credential credential, String token) {}

    /** The owner's token: read-write on the whole workspace, marked as the owner's, created by the owner. */
    private static Credential ownerCredential(String workspaceId, String ownerId, long now, Duration lifetime) {
        return new Credential(FieldRules.newId(), workspaceId, Credential.Kind.STATIC, "owner", null, Permission.READ_WRITE, Scope.ALL,
                true, ownerId, now, now + lifetime.toMillis(), null, null, null);
    }

    private static Duration lifetime(String expiresIn) {
        Duration lifetime = TokenService.LIFETIMES.get(expiresIn);
        if (lifetime == null) throw ApiException.badRequest("--expires-in must be one of 24h, 5d, 30d, 60d, 3m, 6m");
        return lifetime;
    }
}
