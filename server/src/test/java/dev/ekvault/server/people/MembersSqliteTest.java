package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class MembersSqliteTest extends MembersContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
