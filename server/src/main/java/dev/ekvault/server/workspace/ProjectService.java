package dev.ekvault.server.workspace;

import dev.ekvault.api.Project;
import dev.ekvault.api.TeamProjects;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.store.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** Projects, grouped by team when listed, addressed by slug or id. */
public final class ProjectService {
    private final Database database;
    private final ProjectStore projects;
    private final TeamStore teams;
    private final WorkspaceService workspaces;
    private final Clock clock;

    public ProjectService(Database database, ProjectStore projects, TeamStore teams, WorkspaceService workspaces, Clock clock) {
        this.database = database;
        this.projects = projects;
        this.teams = teams;
        this.workspaces = workspaces;
        this.clock = clock;
    }

    public List<TeamProjects> listByTeam(Caller caller, String workspaceRef) {
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            List<ProjectStore.ProjectRow> all = projects.list(c, ws.id());
            List<TeamProjects> result = new ArrayList<>();
            for (TeamStore.TeamRow team : teams.list(c, ws.id())) {
                if (!caller.scope().seesTeam(team.id())) continue;
                List<Project> visible = new ArrayList<>();
                for (ProjectStore.ProjectRow p : all) {
                    if (p.teamId().equals(team.id()) && caller.scope().seesProject(p.id(), p.teamId())) {
                        visible.add(new Project(p.id(), p.name(), p.slug()));
                    }
                }
                result.add(new TeamProjects(team.id(), team.name(), visible));
            }
            return result;
        });
    }

    public Project create(Caller caller, String workspaceRef, String name, String slug, String teamId) {
        caller.requireAdminWrite();
        String projectName = FieldRules.name(name, "name");
        String projectSlug = slug == null ? FieldRules.slugOf(projectName, "slug") : FieldRules.slug(slug, "slug");
        String team = FieldRules.uuid(teamId, "teamId");
        return database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            TeamStore.TeamRow teamRow = teams.find(c, ws.id(), team);
            if (teamRow == null || !caller.scope().seesTeam(team)) throw ApiException.badRequest("field 'teamId' names no team you can see");
            if (!caller.scope().coversTeam(team)) throw ApiException.forbidden("creating a project needs access to its whole team");
            if (projects.find(c, ws.id(), projectSlug) != null) throw ApiException.conflict("a project with slug '" + projectSlug + "' already exists");
            ProjectStore.ProjectRow row = new ProjectStore.ProjectRow(FieldRules.newId(), ws.id(), team, projectName, projectSlug, clock.millis());
            projects.insert(c, row);
            return new Project(row.id(), row.name(), row.slug());
        });
    }

    /** The project named by slug or id in a path, if the caller can see it; 404 otherwise. */
    public ProjectStore.ProjectRow resolve(Connection c, Caller caller, String workspaceRef, String projectRef) throws SQLException {
        WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
        ProjectStore.ProjectRow project = projects.find(c, ws.id(), projectRef);
        if (project == null || !caller.scope().seesProject(project.id(), project.teamId())) throw ApiException.notFound("project");
        return project;
    }
}
