package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** {@link RemindersPageTest} on PostgreSQL. */
class RemindersPagePostgresTest extends RemindersPageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
