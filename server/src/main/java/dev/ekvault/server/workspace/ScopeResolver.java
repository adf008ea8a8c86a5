package dev.ekvault.server.workspace;

import dev.ekvault.api.TokenScope;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a scope as the wire names it ({@code {all, teams, projects, environments}}) into a {@link Scope}: every id
 * checked against the workspace and the caller's own view, and every entry given its ancestors. A scope is stored as
 * asked: naming every environment of a project does not grant the project, so an environment created later is not
 * included unless the project (or its team) was named. Entries already covered by a named parent are dropped; that
 * changes nothing they reach.
 */
public final class ScopeResolver {
    /** A scope as the wire names it, before its ids are checked. */
    public record Request(boolean all, List<String> teams, List<String> projects, List<String> environments) {}

    private static final int MAX_SCOPE_ENTRIES = 200;

    private final TeamStore teams;
    private final ProjectStore projects;
    private final EnvironmentStore environments;

    public ScopeResolver(TeamStore teams, ProjectStore projects, EnvironmentStore environments) {
        this.teams = teams;
        this.projects = projects;
        this.environments = environments;
    }

    public Scope resolve(Connection c, Caller caller, String workspaceId, Request request) throws SQLException {
        if (request == null || request.all()) return Scope.ALL;
        Set<String> teamIds = new LinkedHashSet<>();
        for (int i = 0; i < request.teams().size(); i++) {
            String id = request.teams().get(i);
            if (teams.find(c, workspaceId, id) == null || !caller.scope().seesTeam(id)) throw noSuch("scope.teams[" + i + "]", "team");
            teamIds.add(id);
        }
        List<ProjectStore.ProjectRow> allProjects = projects.list(c, workspaceId);
        Set<String> projectIds = new LinkedHashSet<>();
        for (int i = 0; i < request.projects().size(); i++) {
            String id = request.projects().get(i);
            ProjectStore.ProjectRow p = allProjects.stream().filter(row -> row.id().equals(id)).findFirst().orElse(null);
            if (p == null || !caller.scope().seesProject(p.id(), p.teamId())) throw noSuch("scope.projects[" + i + "]", "project");
            projectIds.add(id);
        }
        List<Scope.EnvironmentRef> environmentRefs = new ArrayList<>();
        for (int i = 0; i < request.environments().size(); i++) {
            EnvironmentStore.EnvironmentRow e = environments.find(c, workspaceId, request.environments().get(i));
            if (e == null || !caller.scope().coversEnvironment(e.id(), e.projectId(), e.teamId())) throw noSuch("scope.environments[" + i + "]", "environment");
            environmentRefs.add(new Scope.EnvironmentRef(e.id(), e.projectId(), e.teamId()));
        }
        if (teamIds.isEmpty() && projectIds.isEmpty() && environmentRefs.isEmpty()) {
            throw ApiException.badRequest("field 'scope' must be all, or name at least one team, project or environment");
        }
        List<Scope.ProjectRef> projectRefs = new ArrayList<>();
        for (ProjectStore.ProjectRow p : allProjects) {
            if (projectIds.contains(p.id()) && !teamIds.contains(p.teamId())) projectRefs.add(new Scope.ProjectRef(p.id(), p.teamId()));
        }
        List<Scope.EnvironmentRef> remaining = environmentRefs.stream()
                .filter(e -> !projectIds.contains(e.projectId()) && !teamIds.contains(e.teamId())).distinct().toList();
        return Scope.of(teamIds, projectRefs, remaining);
    }

    private static ApiException noSuch(String field, String what) {
        return ApiException.badRequest("field '" + field + "' names no " + what + " you can see");
    }

    /** The wire's {@code scope} object; absent means all. Members' scopes are read the same way. */
    public static Request read(JsonInput scope) {
        return scope == null ? null : new Request(scope.optionalBoolean("all", false), ids(scope, "teams"),
                ids(scope, "projects"), ids(scope, "environments"));
    }

    private static List<String> ids(JsonInput scope, String field) {
        if (!scope.has(field)) return List.of();
        return scope.requiredArray(field, MAX_SCOPE_ENTRIES, e -> FieldRules.uuid(e.asString(), e.path()));
    }

    /** A scope as every answer names it (tokens, members, identities): ids sorted where the storage is a set. */
    public static TokenScope wire(Scope scope) {
        if (scope.isAll()) return new TokenScope(true, List.of(), List.of(), List.of());
        return new TokenScope(false, scope.teamIds().stream().sorted().toList(),
                scope.projectRefs().stream().map(Scope.ProjectRef::id).toList(),
                scope.environmentRefs().stream().map(Scope.EnvironmentRef::id).toList());
    }
}
