package dev.ekvault.server.people;

import dev.ekvault.server.testing.Backend;

class DeviceFlowPostgresTest extends DeviceFlowContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
