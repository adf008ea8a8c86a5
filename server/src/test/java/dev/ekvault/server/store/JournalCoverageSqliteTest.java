package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;

class JournalCoverageSqliteTest extends JournalCoverageContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
