package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretApiSqliteTest extends SecretApiContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
