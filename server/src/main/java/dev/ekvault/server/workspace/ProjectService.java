package dev.ekvault.server.workspace;

import dev.ekvault.api.Project;
import dev.ekvault.api.ProjectDetail;
import dev.ekvault.api.TeamProjects;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
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
    private final TreeCascade cascade;
    private final Clock clock;

    public ProjectService(Database database, ProjectStore projects, TeamStore teams, WorkspaceService workspaces, TreeCascade cascade, Clock clock) {
        this.database = database;
        this.projects = projects;
        this.teams = teams;
        this.workspaces = workspaces;
        this.cascade = cascade;
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

    public ProjectDetail get(Caller caller, String workspaceRef, String projectRef) {
        return database.read(c -> detail(c, resolve(c, caller, workspaceRef, projectRef)));
    }

    /**
     * Renaming or re-slugging needs an admin whose scope covers the whole project; a field left out keeps its value.
     * Clients address projects by slug: a new slug changes the project's paths.
     */
    public ProjectDetail update(Caller caller, String workspaceRef, String projectRef, String name, String slug) {
        if (name == null && slug == null) throw ApiException.badRequest("field 'name' or 'slug' is required");
        String newName = name == null ? null : FieldRules.name(name, "name");
        String newSlug = slug == null ? null : FieldRules.slug(slug, "slug");
        return database.write(c -> {
            ProjectStore.ProjectRow project = resolve(c, caller, workspaceRef, projectRef);
            caller.requireAdminWrite();
            if (!caller.scope().coversProject(project.id(), project.teamId())) {
                throw ApiException.forbidden("changing a project needs access to the whole project");
            }
            ProjectStore.ProjectRow updated = new ProjectStore.ProjectRow(project.id(), project.workspaceId(), project.teamId(),
                    newName == null ? project.name() : newName, newSlug == null ? project.slug() : newSlug, project.createdAt());
            ProjectStore.ProjectRow holder = projects.find(c, project.workspaceId(), updated.slug());
            if (holder != null && !holder.id().equals(project.id())) {
                throw ApiException.conflict("a project with slug '" + updated.slug() + "' already exists");
            }
            projects.update(c, project, updated);
            return detail(c, updated);
        });
    }

    /** Deleting a project, like creating one, needs an admin whose scope covers its whole team; everything under it goes. */
    public void delete(Caller caller, String workspaceRef, String projectRef) {
        database.write(c -> {
            ProjectStore.ProjectRow project = resolve(c, caller, workspaceRef, projectRef);
            caller.requireAdminWrite();
            if (!caller.scope().coversTeam(project.teamId())) throw ApiException.forbidden("deleting a project needs access to its whole team");
            cascade.deleteProject(c, project);
            return null;
        });
    }

    private ProjectDetail detail(Connection c, ProjectStore.ProjectRow p) throws SQLException {
        TeamStore.TeamRow team = teams.find(c, p.workspaceId(), p.teamId());
        return new ProjectDetail(p.id(), p.name(), p.slug(), p.teamId(), team == null ? null : team.name(), WireTime.format(p.createdAt()));
    }

    /** The project named by slug or id in a path, if the caller can see it; 404 otherwise. */
    public ProjectStore.ProjectRow resolve(Connection c, Caller caller, String workspaceRef, String projectRef) throws SQLException {
        WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
        ProjectStore.ProjectRow project = projects.find(c, ws.id(), projectRef);
        if (project == null || !caller.scope().seesProject(project.id(), project.teamId())) throw ApiException.notFound("project");
        return project;
    }
}
