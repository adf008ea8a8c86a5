package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** {@link ExportPageTest} on PostgreSQL ({@code EK_TEST_POSTGRES_URL}). */
class ExportPagePostgresTest extends ExportPageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
