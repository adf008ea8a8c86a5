package dev.ekvault.server.http;

import dev.ekvault.server.testing.Backend;

class WirePostgresTest extends WireContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
