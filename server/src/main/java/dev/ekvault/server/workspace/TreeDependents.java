package dev.ekvault.server.workspace;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Rows that features above the workspace tree keep under its nodes (a project's secrets, an environment's values and
 * personal overrides). The tree cannot call those features' stores (they are in higher layers), so each registers here
 * at install and is told, inside the deleting transaction and before the tree's own rows go, what is going.
 */
public final class TreeDependents {
    /**
     * What goes, in one project: the whole project ({@code wholeProject}: its secrets too) or some of its environments;
     * {@code personalOnly}: only the personal overrides in those environments (overrides were switched off).
     */
    public record Removal(String workspaceId, String projectId, List<String> environmentIds, boolean wholeProject, boolean personalOnly) {}

    @FunctionalInterface
    public interface Dependent {
        void removing(Connection c, Removal removal) throws SQLException;
    }

    private final List<Dependent> dependents = new CopyOnWriteArrayList<>();

    public void register(Dependent dependent) {
        dependents.add(dependent);
    }

    void removing(Connection c, Removal removal) throws SQLException {
        for (Dependent d : dependents) d.removing(c, removal);
    }
}
