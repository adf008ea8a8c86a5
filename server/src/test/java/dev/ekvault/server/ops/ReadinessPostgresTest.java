package dev.ekvault.server.ops;

import dev.ekvault.server.testing.Backend;

class ReadinessPostgresTest extends ReadinessContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
