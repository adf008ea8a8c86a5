package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretHistoryPostgresTest extends SecretHistoryContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
