package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class MembersPostgresTest extends MembersContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
