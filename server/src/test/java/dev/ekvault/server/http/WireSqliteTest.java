package dev.ekvault.server.http;

import dev.ekvault.server.testing.Backend;

class WireSqliteTest extends WireContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
