package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretBulkWriteSqliteTest extends SecretBulkWriteContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
