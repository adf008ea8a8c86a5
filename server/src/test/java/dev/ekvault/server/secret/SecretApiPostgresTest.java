package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class SecretApiPostgresTest extends SecretApiContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
