package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** {@link CredentialsPageTest} on PostgreSQL. */
class CredentialsPagePostgresTest extends CredentialsPageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
