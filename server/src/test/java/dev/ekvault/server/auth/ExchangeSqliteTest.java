package dev.ekvault.server.auth;

import dev.ekvault.server.testing.Backend;

class ExchangeSqliteTest extends ExchangeContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
