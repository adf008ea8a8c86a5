package dev.ekvault.server.sso;

import dev.ekvault.server.testing.Backend;

class SsoPostgresTest extends SsoContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
