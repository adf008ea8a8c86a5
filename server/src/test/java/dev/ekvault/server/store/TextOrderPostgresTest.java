package dev.ekvault.server.store;

import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.testing.TestPostgres;
import dev.ekvault.server.testing.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * On a PostgreSQL database whose default collation is a language's (ICU's en-US), not the cluster's C.UTF-8. The
 * embedded PostgreSQL the tests start when {@code EK_TEST_POSTGRES_URL} is unset predates ICU databases (15): there the
 * lists are checked on its default database, and {@code MigrationsContract} checks the columns' collation itself.
 */
class TextOrderPostgresTest extends TextOrderContract {
    @Override
    TestServer startServer() {
        String url;
        try {
            url = TestPostgres.freshDatabase("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
        } catch (IllegalStateException e) {
            if (System.getenv("EK_TEST_POSTGRES_URL") != null) throw e; // CI's PostgreSQL must take it
            url = TestPostgres.freshDatabase();
        }
        try {
            return TestServer.start(url, Files.createTempDirectory("ek-test"), MasterKey.generateBase64());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
