package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretHistorySqliteTest extends SecretHistoryContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
