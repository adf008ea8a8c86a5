package dev.ekvault.server.jwt;

import dev.ekvault.server.testing.Backend;

class CredentialAttackPostgresTest extends CredentialAttackContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
