package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;

class JournalCoveragePostgresTest extends JournalCoverageContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
