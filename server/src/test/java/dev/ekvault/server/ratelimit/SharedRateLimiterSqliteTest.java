package dev.ekvault.server.ratelimit;

import dev.ekvault.server.testing.Backend;

class SharedRateLimiterSqliteTest extends SharedRateLimiterContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
