package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretExportPostgresTest extends SecretExportContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
