package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class DashboardEntrySqliteTest extends DashboardEntryContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
