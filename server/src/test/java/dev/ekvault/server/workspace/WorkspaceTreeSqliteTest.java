package dev.ekvault.server.workspace;

import dev.ekvault.server.testing.Backend;

class WorkspaceTreeSqliteTest extends WorkspaceTreeContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
