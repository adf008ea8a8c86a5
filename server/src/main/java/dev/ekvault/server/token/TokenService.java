package dev.ekvault.server.token;

import dev.ekvault.api.CreatedToken;
import dev.ekvault.api.TokenScope;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.auth.Caller;
import dev.ekvault.server.environment.EnvironmentStore;
import dev.ekvault.server.http.ApiException;
import dev.ekvault.server.http.FieldRules;
import dev.ekvault.server.http.WireTime;
import dev.ekvault.server.project.ProjectStore;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.team.TeamStore;
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
 * API tokens. A token never exceeds the caller that creates it: its permission is at most the caller's, and its
 * scope lies within the caller's. The raw value is returned once; only its hash is stored.
 */
public final class TokenService {
    /** The lifetimes a static token may be given. */
    public static final Map<String, Duration> LIFETIMES = Map.of(
            "24h", Duration.ofHours(24), "5d", Duration.ofDays(5), "30d", Duration.ofDays(30),
            "60d", Duration.ofDays(60), "3m", Duration.ofDays(90), "6m", Duration.ofDays(180));

    /** A scope as the wire names it, before its ids are checked. */
    public record ScopeRequest(boolean all, List<String> teams, List<String> projects, List<String> environments) {}

    private final Database database;
    private final CredentialStore credentials;
    private final WorkspaceService workspaces;
    private final TeamStore teams;
    private final ProjectStore projects;
    private final EnvironmentStore environments;
    private final Clock clock;

    public TokenService(Database database, CredentialStore credentials, WorkspaceService workspaces, TeamStore teams,
                        ProjectStore projects, EnvironmentStore environments, Clock clock) {
        this.database = database;
        this.credentials = credentials;
        this.workspaces = workspaces;
        this.teams = teams;
        this.projects = projects;
        this.environments = environments;
        this.clock = clock;
    }

    public CreatedToken create(Caller caller, String workspaceRef, String name, String permissionText, ScopeRequest scopeRequest, String expiresIn) {
        String tokenName = FieldRules.name(name, "name");
        Permission permission = Permission.fromWire(permissionText);
        if (permission == null) throw ApiException.badRequest("field 'permission' must be 'read' or 'read-write'");
        Duration lifetime = LIFETIMES.get(expiresIn);
        if (lifetime == null) throw ApiException.badRequest("field 'expiresIn' must be one of 24h, 5d, 30d, 60d, 3m, 6m");
        // a read-only credential must not mint more credentials, or revoking it would not end the access it gave
        caller.requireWrite();
        if (permission.allowsWrite() && !caller.permission().allowsWrite()) {
            throw ApiException.forbidden("field 'permission': you can create only read credentials");
        }
        return database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            Scope scope = resolveScope(c, caller, ws.id(), scopeRequest);
            if (!scope.within(caller.scope())) throw ApiException.forbidden("field 'scope' reaches beyond your own access");
            long now = clock.millis();
            String token = TokenFormat.generate();
            Credential credential = new Credential(FieldRules.newId(), ws.id(), Credential.Kind.STATIC, tokenName,
                    TokenFormat.displayPrefix(token), permission, scope, false, caller.userId(), now, now + lifetime.toMillis(), null, null);
            credentials.insert(c, credential, TokenFormat.hash(token));
            return new CreatedToken(credential.id(), token, tokenName, credential.prefix(), permission.wire, wire(scope),
                    WireTime.format(credential.expiresAt()));
        });
    }

    /** Issues a token for a credential inside the caller's transaction and returns the raw value, shown once. */
    public String issue(Connection c, Credential template) throws SQLException {
        String token = TokenFormat.generate();
        Credential credential = new Credential(template.id(), template.workspaceId(), template.kind(), template.name(),
                TokenFormat.displayPrefix(token), template.permission(), template.scope(), template.isOwner(), template.createdBy(),
                template.createdAt(), template.expiresAt(), null, null);
        credentials.insert(c, credential, TokenFormat.hash(token));
        return token;
    }

    /** Checks every id of a requested scope against the workspace and records each entry's ancestors. */
    private Scope resolveScope(Connection c, Caller caller, String workspaceId, ScopeRequest request) throws SQLException {
        if (request == null || request.all()) return Scope.ALL;
        List<String> teamIds = new ArrayList<>();
        for (int i = 0; i < request.teams().size(); i++) {
            String id = request.teams().get(i);
            if (teams.find(c, workspaceId, id) == null || !caller.scope().seesTeam(id)) throw noSuch("scope.teams[" + i + "]", "team");
            teamIds.add(id);
        }
        List<Scope.ProjectRef> projectRefs = new ArrayList<>();
        for (int i = 0; i < request.projects().size(); i++) {
            ProjectStore.ProjectRow p = projects.find(c, workspaceId, request.projects().get(i));
            if (p == null || !p.id().equals(request.projects().get(i)) || !caller.scope().seesProject(p.id(), p.teamId())) {
                throw noSuch("scope.projects[" + i + "]", "project");
            }
            projectRefs.add(new Scope.ProjectRef(p.id(), p.teamId()));
        }
        List<Scope.EnvironmentRef> environmentRefs = new ArrayList<>();
        for (int i = 0; i < request.environments().size(); i++) {
            EnvironmentStore.EnvironmentRow e = environments.find(c, workspaceId, request.environments().get(i));
            if (e == null || !caller.scope().coversEnvironment(e.id(), e.projectId(), e.teamId())) throw noSuch("scope.environments[" + i + "]", "environment");
            environmentRefs.add(new Scope.EnvironmentRef(e.id(), e.projectId(), e.teamId()));
        }
        if (teamIds.isEmpty() && projectRefs.isEmpty() && environmentRefs.isEmpty()) {
            throw ApiException.badRequest("field 'scope' must be all, or name at least one team, project or environment");
        }
        return Scope.of(teamIds, projectRefs, environmentRefs);
    }

    private static ApiException noSuch(String field, String what) {
        return ApiException.badRequest("field '" + field + "' names no " + what + " you can see");
    }

    public static TokenScope wire(Scope scope) {
        if (scope.isAll()) return new TokenScope(true, List.of(), List.of(), List.of());
        return new TokenScope(false, scope.teamIds().stream().sorted().toList(),
                scope.projectRefs().stream().map(Scope.ProjectRef::id).toList(),
                scope.environmentRefs().stream().map(Scope.EnvironmentRef::id).toList());
    }
}
