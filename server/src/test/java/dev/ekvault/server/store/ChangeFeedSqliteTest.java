package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;

class ChangeFeedSqliteTest extends ChangeFeedContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
