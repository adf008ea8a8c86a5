package dev.ekvault.server.audit;

import dev.ekvault.server.testing.Backend;

class AuditSqliteTest extends AuditContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
