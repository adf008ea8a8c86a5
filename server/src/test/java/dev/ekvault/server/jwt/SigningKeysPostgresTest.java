package dev.ekvault.server.jwt;

import dev.ekvault.server.testing.Backend;

class SigningKeysPostgresTest extends SigningKeysContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
