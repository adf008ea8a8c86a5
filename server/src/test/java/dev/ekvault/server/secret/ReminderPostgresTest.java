package dev.ekvault.server.secret;

import dev.ekvault.server.testing.Backend;

class ReminderPostgresTest extends ReminderContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
