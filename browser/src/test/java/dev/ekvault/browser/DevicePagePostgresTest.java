package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;

/** The device page's tests on PostgreSQL ({@code EK_TEST_POSTGRES_URL}, else an embedded one). */
class DevicePagePostgresTest extends DevicePageTest {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
