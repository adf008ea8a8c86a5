package dev.ekvault.server.sync.kubernetes;

import dev.ekvault.server.testing.Backend;

class KubernetesSyncSqliteTest extends KubernetesSyncContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
