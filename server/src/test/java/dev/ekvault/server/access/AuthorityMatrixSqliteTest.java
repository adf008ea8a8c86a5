package dev.ekvault.server.access;

import dev.ekvault.server.testing.Backend;

class AuthorityMatrixSqliteTest extends AuthorityMatrixContract {
    @Override
    protected Backend backend() {
        return Backend.SQLITE;
    }
}
