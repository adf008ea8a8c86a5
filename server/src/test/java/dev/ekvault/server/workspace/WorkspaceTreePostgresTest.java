package dev.ekvault.server.workspace;

import dev.ekvault.server.testing.Backend;

class WorkspaceTreePostgresTest extends WorkspaceTreeContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
