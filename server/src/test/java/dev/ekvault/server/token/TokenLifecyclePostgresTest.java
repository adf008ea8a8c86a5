package dev.ekvault.server.token;

import dev.ekvault.server.testing.Backend;

class TokenLifecyclePostgresTest extends TokenLifecycleContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
