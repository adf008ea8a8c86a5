package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class SignInPostgresTest extends SignInContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
