package dev.ekvault.server.sync.github;

import dev.ekvault.server.testing.Backend;

class GitHubSyncPostgresTest extends GitHubSyncContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
