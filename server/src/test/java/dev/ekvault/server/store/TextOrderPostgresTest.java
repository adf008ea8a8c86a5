package dev.ekvault.server.store;

import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.testing.TestPostgres;
import dev.ekvault.server.testing.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** On a PostgreSQL database whose default collation is a language's (ICU's en-US), not the cluster's C.UTF-8. */
class TextOrderPostgresTest extends TextOrderContract {
    @Override
    TestServer startServer() {
        try {
            return TestServer.start(TestPostgres.freshDatabase("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"),
                    Files.createTempDirectory("ek-test"), MasterKey.generateBase64());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
