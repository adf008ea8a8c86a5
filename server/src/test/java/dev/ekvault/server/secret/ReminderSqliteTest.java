package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class ReminderSqliteTest extends ReminderContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
