package dev.ekvault.server.workspace;

import dev.ekvault.api.Team;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.store.Database;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** Teams: the top of the tree under a workspace; scopes cascade from a team to its projects. */
public final class TeamService {
    private final Database database;
    private final TeamStore teams;
    private final ProjectStore projects;
    private final WorkspaceService workspaces;
    private final TreeCascade cascade;
    private final Clock clock;

    public TeamService(Database database, TeamStore teams, ProjectStore projects, WorkspaceService workspaces, TreeCascade cascade, Clock clock) {
        this.database = database;
        this.teams = teams;
        this.projects = projects;
        this.workspaces = workspaces;
        this.cascade = cascade;
        this.clock = clock;
    }

    /** The teams the caller can see, each with the number of its projects the caller can see. */
    public List<Team> list(Caller caller, String workspaceRef) {
        return database.read(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            List<ProjectStore.ProjectRow> allProjects = projects.list(c, ws.id());
            List<Team> result = new ArrayList<>();
            for (TeamStore.TeamRow team : teams.list(c, ws.id())) {
                if (!caller.scope().seesTeam(team.id())) continue;
                int count = (int) allProjects.stream()
                        .filter(p -> p.teamId().equals(team.id()) && caller.scope().seesProject(p.id(), p.teamId())).count();
                result.add(new Team(team.id(), team.name(), count, WireTime.format(team.createdAt())));
            }
            return result;
        });
    }

    public Team create(Caller caller, String workspaceRef, String name) {
        caller.requireAdminWrite();
        if (!caller.scope().isAll()) throw ApiException.forbidden("creating a team needs access to the whole workspace");
        String teamName = FieldRules.name(name, "name");
        return database.write(c -> {
            WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
            if (teams.nameTaken(c, ws.id(), teamName)) throw ApiException.conflict("a team named '" + teamName + "' already exists");
            TeamStore.TeamRow row = new TeamStore.TeamRow(FieldRules.newId(), ws.id(), teamName, clock.millis());
            teams.insert(c, row);
            return new Team(row.id(), row.name(), 0, WireTime.format(row.createdAt()));
        });
    }

    /** Renaming needs an admin whose scope covers the whole team (a scope inside it sees the team but may not rename it). */
    public Team rename(Caller caller, String workspaceRef, String teamId, String name) {
        String teamName = FieldRules.name(name, "name");
        return database.write(c -> {
            TeamStore.TeamRow team = resolve(c, caller, workspaceRef, teamId);
            caller.requireAdminWrite();
            if (!caller.scope().coversTeam(team.id())) throw ApiException.forbidden("renaming a team needs access to the whole team");
            if (!team.name().equals(teamName) && teams.nameTaken(c, team.workspaceId(), teamName)) {
                throw ApiException.conflict("a team named '" + teamName + "' already exists");
            }
            teams.rename(c, team, teamName);
            return new Team(team.id(), teamName, projects.listByTeam(c, team.id()).size(), WireTime.format(team.createdAt()));
        });
    }

    /** Deleting a team, like creating one, needs an admin with the whole workspace; everything under it goes. */
    public void delete(Caller caller, String workspaceRef, String teamId) {
        database.write(c -> {
            TeamStore.TeamRow team = resolve(c, caller, workspaceRef, teamId);
            caller.requireAdminWrite();
            if (!caller.scope().isAll()) throw ApiException.forbidden("deleting a team needs access to the whole workspace");
            cascade.deleteTeam(c, team);
            return null;
        });
    }

    /** The team named by id in a path, if the caller can see it; 404 otherwise. */
    private TeamStore.TeamRow resolve(java.sql.Connection c, Caller caller, String workspaceRef, String teamId) throws java.sql.SQLException {
        WorkspaceStore.WorkspaceRow ws = workspaces.resolve(c, caller, workspaceRef);
        TeamStore.TeamRow team = FieldRules.isUuid(teamId) ? teams.find(c, ws.id(), teamId) : null;
        if (team == null || !caller.scope().seesTeam(team.id())) throw ApiException.notFound("team");
        return team;
    }
}
