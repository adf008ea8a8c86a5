package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;

class MigrationsPostgresTest extends MigrationsContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
