package dev.ekvault.server.store;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestServer;

class TextOrderSqliteTest extends TextOrderContract {
    @Override
    TestServer startServer() {
        return TestServer.start(Backend.SQLITE);
    }
}
