package dev.ekvault.server.workload;

import dev.ekvault.server.testing.Backend;

class OidcIdentitySqliteTest extends OidcIdentityContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
