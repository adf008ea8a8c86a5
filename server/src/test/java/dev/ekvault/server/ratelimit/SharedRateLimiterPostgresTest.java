package dev.ekvault.server.ratelimit;

import dev.ekvault.server.testing.Backend;

class SharedRateLimiterPostgresTest extends SharedRateLimiterContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
