package dev.ekvault.server.sync;

import dev.ekvault.server.testing.Backend;

class SyncSqliteTest extends SyncContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
