package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** {@link SyncsPageTest} on PostgreSQL. */
class SyncsPagePostgresTest extends SyncsPageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
