package dev.ekvault.server.http;

import dev.ekvault.server.testing.Backend;

class LimitsPostgresTest extends LimitsContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
