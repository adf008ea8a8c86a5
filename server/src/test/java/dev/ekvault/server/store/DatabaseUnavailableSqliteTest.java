package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;

class DatabaseUnavailableSqliteTest extends DatabaseUnavailableContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
