package dev.ekvault.server.share;

import dev.ekvault.server.testing.Backend;

class ShareSqliteTest extends ShareContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
