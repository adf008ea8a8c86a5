package dev.ekvault.server.workspace;

import dev.ekvault.api.Environment;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Journal;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Environments of a project; each gets its own data key when it is created. */
public final class EnvironmentService {
    /** No dots: {@code ${env-name.KEY}} references split at the dot. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 _-]{0,63}");

    private final Database database;
    private final EnvironmentStore environments;
    private final ProjectService projects;
    private final DataKeys dataKeys;
    private final TreeCascade cascade;
    private final Clock clock;

    public EnvironmentService(Database database, EnvironmentStore environments, ProjectService projects, DataKeys dataKeys, TreeCascade cascade,
                       Clock clock) {
        this.database = database;
        this.environments = environments;
        this.projects = projects;
        this.dataKeys = dataKeys;
        this.cascade = cascade;
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
        String envName = name(name);
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

    /**
     * Renames an environment or switches its personal overrides (a field left out keeps its value): an admin whose scope
     * covers the environment. Switching overrides off deletes the environment's personal overrides (journalled each):
     * they are never served again, and switching back on starts with none.
     */
    public Environment update(Caller caller, String workspaceRef, String projectRef, String environmentId, String name,
                              Boolean hasPersonalOverrides) {
        if (name == null && hasPersonalOverrides == null) throw ApiException.badRequest("field 'name' or 'hasPersonalOverrides' is required");
        String envName = name == null ? null : name(name);
        return database.write(c -> {
            EnvironmentStore.EnvironmentRow env = resolve(c, caller, workspaceRef, projectRef, environmentId);
            caller.requireAdminWrite();
            EnvironmentStore.EnvironmentRow updated = new EnvironmentStore.EnvironmentRow(env.id(), env.workspaceId(), env.projectId(),
                    env.teamId(), envName == null ? env.name() : envName,
                    hasPersonalOverrides == null ? env.hasPersonalOverrides() : hasPersonalOverrides, env.createdAt());
            if (!updated.name().equals(env.name()) && environments.nameTaken(c, env.projectId(), updated.name())) {
                throw ApiException.conflict("an environment named '" + updated.name() + "' already exists in this project");
            }
            if (env.hasPersonalOverrides() && !updated.hasPersonalOverrides()) cascade.deletePersonalOverrides(c, env);
            environments.update(c, env, updated);
            return view(updated);
        });
    }

    /** Deleting an environment, like creating one, needs an admin whose scope covers its whole project; its values, overrides and data key go. */
    public void delete(Caller caller, String workspaceRef, String projectRef, String environmentId) {
        database.write(c -> {
            EnvironmentStore.EnvironmentRow env = resolve(c, caller, workspaceRef, projectRef, environmentId);
            caller.requireAdminWrite();
            if (!caller.scope().coversProject(env.projectId(), env.teamId())) {
                throw ApiException.forbidden("deleting an environment needs access to its whole project");
            }
            cascade.deleteEnvironment(c, env);
            return null;
        });
    }

    /**
     * Rotates an environment's data key (an admin whose scope covers the environment): values written from now on are
     * sealed with the new key at once; the older ones stay readable and are re-encrypted in the background
     * ({@code keyrotation/DataKeyRotation}), which then retires the old key. Returns the new key's id.
     */
    public Map<String, Object> rotateKey(Caller caller, String workspaceRef, String projectRef, String environmentId) {
        return database.write(c -> {
            EnvironmentStore.EnvironmentRow env = resolve(c, caller, workspaceRef, projectRef, environmentId);
            caller.requireAdminWrite();
            int keyId = dataKeys.rotate(c, env.workspaceId(), env.id());
            Journal.changed(c, Journal.Change.of("rotate-key", "environment", env.workspaceId(), env.id()).in(env.projectId(), env.id())
                    .after(Journal.fields("keyId", keyId)));
            return Map.of("environmentId", env.id(), "keyId", keyId);
        });
    }

    /** The environment named by id in a path, in that project, if the caller's scope covers it (as the list shows it); 404 otherwise. */
    private EnvironmentStore.EnvironmentRow resolve(java.sql.Connection c, Caller caller, String workspaceRef, String projectRef,
                                                    String environmentId) throws java.sql.SQLException {
        ProjectStore.ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
        EnvironmentStore.EnvironmentRow env = FieldRules.isUuid(environmentId) ? environments.find(c, project.workspaceId(), environmentId) : null;
        if (env == null || !env.projectId().equals(project.id()) || !caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId())) {
            throw ApiException.notFound("environment");
        }
        return env;
    }

    private static String name(String name) {
        String envName = name.strip();
        if (!NAME.matcher(envName).matches()) {
            throw ApiException.badRequest("field 'name' must be 1 to 64 letters, digits, spaces, '_' or '-', starting with a letter or digit");
        }
        return envName;
    }

    static Environment view(EnvironmentStore.EnvironmentRow row) {
        return new Environment(row.id(), row.name(), row.hasPersonalOverrides());
    }
}
