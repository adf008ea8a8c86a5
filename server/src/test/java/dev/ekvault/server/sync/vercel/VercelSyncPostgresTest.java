package dev.ekvault.server.sync.vercel;

import dev.ekvault.server.testing.Backend;

class VercelSyncPostgresTest extends VercelSyncContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
