package dev.ekvault.server.metrics;

import dev.ekvault.server.testing.Backend;

class MetricsPostgresTest extends MetricsContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
