package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretBulkWritePostgresTest extends SecretBulkWriteContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
