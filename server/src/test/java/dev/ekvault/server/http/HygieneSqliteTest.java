package dev.ekvault.server.http;

import dev.ekvault.server.testing.Backend;

class HygieneSqliteTest extends HygieneContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
