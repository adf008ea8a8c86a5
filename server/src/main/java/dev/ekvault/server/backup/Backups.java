package dev.ekvault.server.backup;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.StartFailure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * {@code ek-server backup <file>}: a consistent copy of the embedded database, taken while a node serves it (see
 * {@link SqliteCopy} for how it keeps out of the writer's way). The master key is not in it: a backup is only
 * ciphertext, and keeping the key apart means a stolen backup opens nothing.
 */
public final class Backups {
    private static final Logger LOG = Logger.getLogger(Backups.class.getName());
    static final String DATABASE_FILE = "ek.db";

    private Backups() {}

    /** Copies the configured data folder's database to {@code target}, which must not exist yet. */
    public static void backup(Config config, Path target) {
        requireEmbedded(config, "backup");
        Path database = database(config);
        if (!Files.isRegularFile(database)) {
            throw new StartFailure(StartFailure.Reason.NOT_FOUND, "the data folder " + config.dataDir() + " holds no database "
                    + DATABASE_FILE + "; set data-dir to the folder the server uses");
        }
        if (Files.exists(target)) {
            throw new ConfigException("the backup file " + target + " is already there; name a new file (a backup never overwrites one)");
        }
        Path folder = target.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new ConfigException("the folder of the backup file " + target + " does not exist");
        }
        SqliteCopy.snapshot(database, target);
        LOG.info("backed up " + database + " to " + target + "; it opens only with this data folder's master key, which "
                + "the backup does not hold: back the key up separately");
    }

    static Path database(Config config) {
        return config.dataDir().resolve(DATABASE_FILE);
    }

    /** Backup and restore copy the embedded store; PostgreSQL has its own tools, which the README shows. */
    static void requireEmbedded(Config config, String command) {
        if (!config.database().embedded()) {
            throw new ConfigException(command + " copies the embedded SQLite store; with database.url set, use pg_dump and "
                    + "pg_restore (README, \"Backup and restore\")");
        }
    }
}
