package dev.ekvault.server.token;

import dev.ekvault.server.testing.Backend;

class TokenLifecycleSqliteTest extends TokenLifecycleContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
