package dev.ekvault.server.keyrotation;

import dev.ekvault.server.testing.Backend;

class KeyRotationSqliteTest extends KeyRotationContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
