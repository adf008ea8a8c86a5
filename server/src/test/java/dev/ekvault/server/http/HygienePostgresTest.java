package dev.ekvault.server.http;

import dev.ekvault.server.testing.Backend;

class HygienePostgresTest extends HygieneContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
