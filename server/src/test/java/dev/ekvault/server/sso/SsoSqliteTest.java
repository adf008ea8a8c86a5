package dev.ekvault.server.sso;

import dev.ekvault.server.testing.Backend;

class SsoSqliteTest extends SsoContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
