package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** {@link SharePageTest} on PostgreSQL ({@code EK_TEST_POSTGRES_URL}). */
class SharePagePostgresTest extends SharePageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
