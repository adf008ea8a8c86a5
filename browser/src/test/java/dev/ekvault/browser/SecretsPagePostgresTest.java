package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** {@link SecretsPageTest} on PostgreSQL ({@code EK_TEST_POSTGRES_URL}). */
class SecretsPagePostgresTest extends SecretsPageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
