package dev.ekvault.server.auth;

import dev.ekvault.server.testing.Backend;

class ExchangePostgresTest extends ExchangeContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
