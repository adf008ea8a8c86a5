package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;

class DatabaseUnavailablePostgresTest extends DatabaseUnavailableContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
