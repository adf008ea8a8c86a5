package dev.ekvault.server.metrics;

import dev.ekvault.server.testing.Backend;

class MetricsSqliteTest extends MetricsContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
