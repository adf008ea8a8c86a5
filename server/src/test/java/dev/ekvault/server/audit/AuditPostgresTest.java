package dev.ekvault.server.audit;

import dev.ekvault.server.testing.Backend;

class AuditPostgresTest extends AuditContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
