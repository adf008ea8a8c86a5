package dev.ekvault.server.http;

import dev.ekvault.server.testing.Backend;

class LimitsSqliteTest extends LimitsContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
