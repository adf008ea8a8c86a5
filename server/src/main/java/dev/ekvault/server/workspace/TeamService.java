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
    private final Clock clock;

    public TeamService(Database database, TeamStore teams, ProjectStore projects, WorkspaceService workspaces, Clock clock) {
        this.database = database;
        this.teams = teams;
        this.projects = projects;
        this.workspaces = workspaces;
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
}
