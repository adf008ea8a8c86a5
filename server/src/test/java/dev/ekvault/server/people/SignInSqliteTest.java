package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class SignInSqliteTest extends SignInContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
