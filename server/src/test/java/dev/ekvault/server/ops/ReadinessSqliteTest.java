package dev.ekvault.server.ops;

import dev.ekvault.server.testing.Backend;

class ReadinessSqliteTest extends ReadinessContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
