package dev.ekvault.server.workspace;

import dev.ekvault.api.Environment;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.store.Database;

import java.time.Clock;
import java.util.List;
import java.util.regex.Pattern;

/** Environments of a project; each gets its own data key when it is created. */
public final class EnvironmentService {
    /** No dots: {@code ${env-name.KEY}} references split at the dot. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 _-]{0,63}");

    private final Database database;
    private final EnvironmentStore environments;
    private final ProjectService projects;
    private final DataKeys dataKeys;
    private final Clock clock;

    public EnvironmentService(Database database, EnvironmentStore environments, ProjectService projects, DataKeys dataKeys,
                              Clock clock) {
        this.database = database;
        this.environments = environments;
        this.projects = projects;
        this.dataKeys = dataKeys;
        this.clock = clock;
    }

    public List<Environment> list(Caller caller, String workspaceRef, String projectRef) {
        return database.read(c -> {
            ProjectStore.ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            return environments.listByProject(c, project.id()).stream()
                    .filter(e -> caller.scope().coversEnvironment(e.id(), e.projectId(), e.teamId()))
                    .map(EnvironmentService::view)
                    .toList();
        });
    }

    public Environment create(Caller caller, String workspaceRef, String projectRef, String name, boolean hasPersonalOverrides) {
        String envName = name.strip();
        if (!NAME.matcher(envName).matches()) {
            throw ApiException.badRequest("field 'name' must be 1 to 64 letters, digits, spaces, '_' or '-', starting with a letter or digit");
        }
        return database.write(c -> {
            ProjectStore.ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            caller.requireAdminWrite();
            if (!caller.scope().coversProject(project.id(), project.teamId())) {
                throw ApiException.forbidden("creating an environment needs access to its whole project");
            }
            if (environments.nameTaken(c, project.id(), envName)) {
                throw ApiException.conflict("an environment named '" + envName + "' already exists in this project");
            }
            EnvironmentStore.EnvironmentRow row = new EnvironmentStore.EnvironmentRow(FieldRules.newId(), project.workspaceId(),
                    project.id(), project.teamId(), envName, hasPersonalOverrides, clock.millis());
            environments.insert(c, row);
            dataKeys.createFor(c, row.workspaceId(), row.id());
            return view(row);
        });
    }

    static Environment view(EnvironmentStore.EnvironmentRow row) {
        return new Environment(row.id(), row.name(), row.hasPersonalOverrides());
    }
}
