package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class DashboardEntryPostgresTest extends DashboardEntryContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
