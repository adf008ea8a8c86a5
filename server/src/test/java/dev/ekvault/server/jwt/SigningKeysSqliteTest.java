package dev.ekvault.server.jwt;

import dev.ekvault.server.testing.Backend;

class SigningKeysSqliteTest extends SigningKeysContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
