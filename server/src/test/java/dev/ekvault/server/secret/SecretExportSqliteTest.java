package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretExportSqliteTest extends SecretExportContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
