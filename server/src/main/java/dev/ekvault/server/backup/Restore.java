package dev.ekvault.server.backup;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.StartFailure;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.crypto.MasterKeyFile;
import dev.ekvault.server.crypto.WrongMasterKeyException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Logger;

/**
 * {@code ek-server restore <file> [--force]}: puts a backup in place as the data folder's database. Everything that can
 * refuse does so before anything is written: the backup must be an SQLite file that passes its check and holds the
 * master-key check row, the configured master key must open that row, no node may be serving the folder (its
 * {@link DataFolderLock}, held throughout), and a folder that already holds a database is replaced only with
 * {@code --force}, the old database kept beside it as {@code ek.db.replaced-<UTC time>}. The backup file itself is only
 * read.
 */
public final class Restore {
    private static final Logger LOG = Logger.getLogger(Restore.class.getName());
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private Restore() {}

    public static void restore(Config config, Path backup, boolean force, Clock clock) {
        Backups.requireEmbedded(config, "restore");
        Path dir = config.dataDir();
        Path database = Backups.database(config);
        if (!Files.isRegularFile(backup)) {
            throw new StartFailure(StartFailure.Reason.NOT_FOUND, "there is no backup file " + backup);
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " is not a folder (a file is in its place)");
        }
        if (Files.isDirectory(dir)) {
            // an early answer for a live folder; the lock is taken again, and held, before anything is written
            DataFolderLock.acquire(dir, "stop it before restoring: a restore never replaces a live database").close();
            refuseExistingUnlessForced(database, force);
        }
        checkBackup(backup, masterKey(config));

        createFolder(dir);
        try (DataFolderLock lock = DataFolderLock.acquire(dir, "stop it before restoring: a restore never replaces a live database")) {
            refuseExistingUnlessForced(database, force);
            Path incoming = dir.resolve(Backups.DATABASE_FILE + ".restoring");
            try {
                Files.deleteIfExists(incoming); // left by a restore that was interrupted: never a database in use
                SqliteCopy.createOwnerOnly(incoming);
                try (InputStream in = Files.newInputStream(backup);
                     OutputStream out = Files.newOutputStream(incoming, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    in.transferTo(out); // into the owner-only file: a copy of the file would take the default permissions
                }
                SqliteCopy.sync(incoming);
                if (Files.exists(database)) {
                    Path kept = dir.resolve(Backups.DATABASE_FILE + ".replaced-" + STAMP.format(clock.instant()));
                    SqliteCopy.foldWriteAheadLog(database);
                    Files.move(database, kept);
                    LOG.warning("restore --force: the database that was in " + dir + " is kept as " + kept.getFileName());
                }
                SqliteCopy.removeLogs(database); // a log left beside no database would be applied to the restored one
                SqliteCopy.moveIntoPlace(incoming, database);
            } catch (IOException e) {
                throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "cannot write the database into " + dir + ": "
                        + e.getClass().getSimpleName() + " " + e.getMessage());
            } finally {
                SqliteCopy.deleteTemporary(incoming);
            }
        }
        LOG.info("restored " + backup + " into " + database + "; start the server with the same master key");
    }

    private static void refuseExistingUnlessForced(Path database, boolean force) {
        if (Files.exists(database) && !force) {
            throw new StartFailure(StartFailure.Reason.ALREADY_THERE, "the data folder already holds a database " + database
                    + "; restore replaces it only with --force (the old one is then kept beside it); nothing was changed");
        }
    }

    /**
     * The configured key, or the data folder's {@code master.key}; never a new one. A folder being restored into usually
     * has no key yet: say where the key goes rather than report it missing from a database.
     */
    private static MasterKey masterKey(Config config) {
        if (!config.masterKey().isPresent() && config.masterKeyFile() == null
                && !Files.exists(config.dataDir().resolve(MasterKeyFile.DEFAULT_NAME))) {
            throw new StartFailure(StartFailure.Reason.MASTER_KEY, "restore needs the master key the backup was made under, which a "
                    + "backup does not hold: copy it to " + config.dataDir().resolve(MasterKeyFile.DEFAULT_NAME)
                    + " (mode 0600) or set master-key-file; nothing was changed");
        }
        return MasterKeyFile.loadExisting(config);
    }

    /** The backup must be an ek-server database whose master-key check this key opens; read only, never changed. */
    private static void checkBackup(Path backup, MasterKey masterKey) {
        if (!SqliteCopy.looksLikeSqlite(backup)) {
            throw new StartFailure(StartFailure.Reason.DATABASE, "the file " + backup + " is not an SQLite database (not an ek-server "
                    + "backup); nothing was changed");
        }
        String problem = SqliteCopy.check(backup);
        if (problem != null) {
            throw new StartFailure(StartFailure.Reason.DATABASE, "the backup " + backup + " is damaged (" + problem + "); nothing was changed");
        }
        DataKeys keys = new DataKeys(masterKey, Clock.systemUTC());
        byte[] verifier;
        try (Connection c = SqliteCopy.openImmutable(backup)) {
            verifier = keys.readVerifier(c);
        } catch (SQLException e) {
            verifier = null;
        }
        if (verifier == null) {
            throw new StartFailure(StartFailure.Reason.DATABASE, "the backup " + backup + " holds no master-key check: it was not made "
                    + "from a started ek-server; nothing was changed");
        }
        try {
            keys.checkVerifier(verifier);
        } catch (WrongMasterKeyException e) {
            throw new StartFailure(StartFailure.Reason.MASTER_KEY, "the master key (id " + masterKey.idHex() + ") does not open the backup "
                    + backup + ": give the key it was made under (master-key-file); nothing was changed");
        }
    }

    private static void createFolder(Path dir) {
        if (Files.isDirectory(dir)) return;
        try {
            SqliteCopy.createOwnerOnlyFolder(dir);
        } catch (IOException e) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " cannot be created: "
                    + e.getClass().getSimpleName() + " " + e.getMessage());
        }
    }
}
