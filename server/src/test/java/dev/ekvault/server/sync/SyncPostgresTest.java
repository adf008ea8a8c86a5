package dev.ekvault.server.sync;

import dev.ekvault.server.testing.Backend;

class SyncPostgresTest extends SyncContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
