package dev.ekvault.server.share;

import dev.ekvault.server.testing.Backend;

class SharePostgresTest extends ShareContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }
}
