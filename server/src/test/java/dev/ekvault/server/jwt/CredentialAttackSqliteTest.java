package dev.ekvault.server.jwt;

import dev.ekvault.server.testing.Backend;

class CredentialAttackSqliteTest extends CredentialAttackContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
