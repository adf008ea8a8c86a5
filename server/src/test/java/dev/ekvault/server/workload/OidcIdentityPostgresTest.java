package dev.ekvault.server.workload;

import dev.ekvault.server.testing.Backend;

class OidcIdentityPostgresTest extends OidcIdentityContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
