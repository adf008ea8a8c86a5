package dev.ekvault.server.access;

import dev.ekvault.server.testing.Backend;

class PermissionsPostgresTest extends PermissionsContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
