package dev.ekvault.server.auth;

import dev.ekvault.server.testing.Backend;

class ChangeFeedSqliteTest extends ChangeFeedContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
