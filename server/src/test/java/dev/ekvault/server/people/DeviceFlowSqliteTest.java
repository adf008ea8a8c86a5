package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class DeviceFlowSqliteTest extends DeviceFlowContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
