package dev.ekvault.server.sync.vercel;

import dev.ekvault.server.testing.Backend;

class VercelSyncSqliteTest extends VercelSyncContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
