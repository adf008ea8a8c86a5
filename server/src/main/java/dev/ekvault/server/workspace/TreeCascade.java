package dev.ekvault.server.workspace;

import dev.ekvault.server.crypto.DataKeys;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A node of the tree deleted with everything under it, inside the caller's transaction, leaves first: the features'
 * rows under it ({@link TreeDependents}: secrets, values, personal overrides), each environment's data keys, the
 * environments, the projects, the team. Every row-owning store journals what it deletes.
 */
public final class TreeCascade {
    private final TeamStore teams;
    private final ProjectStore projects;
    private final EnvironmentStore environments;
    private final DataKeys dataKeys;
    private final TreeDependents dependents;

    public TreeCascade(TeamStore teams, ProjectStore projects, EnvironmentStore environments, DataKeys dataKeys, TreeDependents dependents) {
        this.teams = teams;
        this.projects = projects;
        this.environments = environments;
        this.dataKeys = dataKeys;
        this.dependents = dependents;
    }

    void deleteTeam(Connection c, TeamStore.TeamRow team) throws SQLException {
        for (ProjectStore.ProjectRow p : projects.listByTeam(c, team.id())) deleteProject(c, p);
        teams.delete(c, team);
    }

    void deleteProject(Connection c, ProjectStore.ProjectRow project) throws SQLException {
        List<EnvironmentStore.EnvironmentRow> envs = environments.listByProject(c, project.id());
        List<String> envIds = envs.stream().map(EnvironmentStore.EnvironmentRow::id).toList();
        // the keys first, as every transaction takes them (crypto/DataKeyStore.newestForSealing)
        dataKeys.lockForDeletion(c, envIds);
        dependents.removing(c, new TreeDependents.Removal(project.workspaceId(), project.id(), envIds, true, false));
        for (EnvironmentStore.EnvironmentRow e : envs) deleteEnvironmentRow(c, e);
        projects.delete(c, project);
    }

    void deleteEnvironment(Connection c, EnvironmentStore.EnvironmentRow e) throws SQLException {
        dataKeys.lockForDeletion(c, List.of(e.id()));
        dependents.removing(c, new TreeDependents.Removal(e.workspaceId(), e.projectId(), List.of(e.id()), false, false));
        deleteEnvironmentRow(c, e);
    }

    /** Overrides switched off: the environment's personal overrides are deleted (never served again, nor revived). */
    void deletePersonalOverrides(Connection c, EnvironmentStore.EnvironmentRow e) throws SQLException {
        dependents.removing(c, new TreeDependents.Removal(e.workspaceId(), e.projectId(), List.of(e.id()), false, true));
    }

    private void deleteEnvironmentRow(Connection c, EnvironmentStore.EnvironmentRow e) throws SQLException {
        dataKeys.deleteFor(c, e.id());
        environments.delete(c, e);
    }
}
