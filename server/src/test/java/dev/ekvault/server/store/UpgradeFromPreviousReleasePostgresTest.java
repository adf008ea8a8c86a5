package dev.ekvault.server.store;

import dev.ekvault.server.testing.PostgresTools;
import dev.ekvault.server.testing.TestPostgres;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs where {@code pg_restore} is installed: the previous release's database is its dump, restored as the README says. */
class UpgradeFromPreviousReleasePostgresTest extends UpgradeFromPreviousReleaseContract {
    @Override
    String fixtureName() {
        return "previous-release-postgres";
    }

    @Override
    String install(Path dataDir) throws Exception {
        assumeTrue(PostgresTools.installed("pg_restore"), "pg_restore is not installed here");
        Path dump = dataDir.resolve("previous-release-postgres.dump");
        Files.write(dump, fixture("previous-release-postgres.dump"));
        String url = TestPostgres.freshDatabase();
        PostgresTools.restore(PostgresTools.of(url), dump);
        return url;
    }
}
