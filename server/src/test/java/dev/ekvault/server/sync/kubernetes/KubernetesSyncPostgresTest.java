package dev.ekvault.server.sync.kubernetes;

import dev.ekvault.server.testing.Backend;

class KubernetesSyncPostgresTest extends KubernetesSyncContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
