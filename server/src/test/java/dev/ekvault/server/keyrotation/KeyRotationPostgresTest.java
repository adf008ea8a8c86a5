package dev.ekvault.server.keyrotation;

import dev.ekvault.server.testing.Backend;

class KeyRotationPostgresTest extends KeyRotationContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
