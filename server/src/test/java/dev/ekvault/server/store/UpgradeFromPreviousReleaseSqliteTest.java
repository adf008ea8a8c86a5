package dev.ekvault.server.store;

import java.nio.file.Files;
import java.nio.file.Path;

class UpgradeFromPreviousReleaseSqliteTest extends UpgradeFromPreviousReleaseContract {
    @Override
    String fixtureName() {
        return "previous-release";
    }

    /** The previous release's database file, as its data folder held it. */
    @Override
    String install(Path dataDir) throws Exception {
        Files.write(dataDir.resolve("ek.db"), fixture("previous-release.db"));
        return "";
    }
}
