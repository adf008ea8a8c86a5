package dev.ekvault.server.crypto;

import dev.ekvault.server.testing.Backend;

class EncryptionAtRestPostgresTest extends EncryptionAtRestContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
