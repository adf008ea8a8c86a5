package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;

class MigrationsSqliteTest extends MigrationsContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
