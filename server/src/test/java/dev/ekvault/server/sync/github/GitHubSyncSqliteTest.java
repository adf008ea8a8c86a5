package dev.ekvault.server.sync.github;

import dev.ekvault.server.testing.Backend;

class GitHubSyncSqliteTest extends GitHubSyncContract {
    @Override
    Backend backend() {
        return Backend.SQLITE;
    }
}
