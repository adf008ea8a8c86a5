package dev.ekvault.server.access;

import dev.ekvault.server.testing.Backend;

class PermissionsSqliteTest extends PermissionsContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
