package dev.ekvault.server.access;

import dev.ekvault.server.testing.Backend;

class AuthorityMatrixPostgresTest extends AuthorityMatrixContract {
    @Override
    protected Backend backend() {
        return Backend.POSTGRESQL;
    }
}
