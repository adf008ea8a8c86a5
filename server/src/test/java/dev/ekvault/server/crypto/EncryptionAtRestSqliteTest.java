package dev.ekvault.server.crypto;

import dev.ekvault.server.testing.Backend;

class EncryptionAtRestSqliteTest extends EncryptionAtRestContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
