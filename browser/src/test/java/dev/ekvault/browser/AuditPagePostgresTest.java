package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** {@link AuditPageTest} on PostgreSQL. */
class AuditPagePostgresTest extends AuditPageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
