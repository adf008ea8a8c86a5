package dev.ekvault.server.oidc;

import dev.ekvault.server.testing.Backend;

class OidcIdentityPostgresTest extends OidcIdentityContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
