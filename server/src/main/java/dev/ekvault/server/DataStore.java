package dev.ekvault.server;

import dev.ekvault.server.backup.DataFolderLock;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.config.StartFailure;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.crypto.MasterKey;
import dev.ekvault.server.crypto.MasterKeyFile;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Migrations;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Clock;
import java.util.logging.Logger;

/**
 * The database and the master key that opens it, checked against the database's verifier before anything is written.
 * {@link #create} is how {@code serve} and {@code init} open it: the data folder, the master key and the database file
 * are made when missing. {@link #existing} is how the recovery commands open it: nothing is created, and a data folder
 * without its database or key is refused, so a mistyped {@code data-dir} cannot start an empty server's worth of state.
 */
final class DataStore {
    private static final Logger LOG = Logger.getLogger(DataStore.class.getName());
    static final String DATABASE_FILE = "ek.db";

    final Database database;
    final MasterKey masterKey;
    final DataKeys dataKeys;
    /** Held by a serving node on the embedded store ({@link #serving}); released by {@link #close}. */
    private DataFolderLock folderLock;

    private DataStore(Database database, MasterKey masterKey, DataKeys dataKeys) {
        this.database = database;
        this.masterKey = masterKey;
        this.dataKeys = dataKeys;
    }

    /** Opens the store, creating the data folder, master key and database on a first start; migrates it. */
    static DataStore create(Config config, Clock clock) {
        if (config.database().embedded()) createDataFolder(config.dataDir());
        MasterKey masterKey = MasterKeyFile.load(config); // before the pool creates an empty database file
        if (config.database().embedded()) createDatabaseFile(config.dataDir().resolve(DATABASE_FILE));
        return open(config, config.jdbcUrl(), masterKey, clock, false);
    }

    /**
     * {@link #create} for a serving node: on the embedded store it first takes the data folder's lock and holds it until
     * {@link #close}, so a second node or a restore on the same folder is refused before either touches the database.
     */
    static DataStore serving(Config config, Clock clock) {
        if (!config.database().embedded()) return create(config, clock);
        createDataFolder(config.dataDir());
        DataFolderLock lock = DataFolderLock.acquire(config.dataDir(), "two nodes on one SQLite folder would collide: stop the "
                + "other one, or give this one its own data-dir");
        try {
            DataStore store = create(config, clock);
            store.folderLock = lock;
            return store;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Opens a store that a server has already started on, creating nothing. On SQLite every transaction takes the write
     * lock when it begins ({@code BEGIN IMMEDIATE}): a running server shares the file, and a transaction that read first
     * would fail outright, not wait, if the server committed before it wrote.
     */
    static DataStore existing(Config config, Clock clock) {
        String url = config.jdbcUrl();
        if (config.database().embedded()) {
            Path dir = config.dataDir();
            if (!Files.exists(dir)) {
                throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " does not exist; set data-dir "
                        + "to the folder the server uses");
            }
            requireUsableFolder(dir);
            if (!Files.isRegularFile(dir.resolve(DATABASE_FILE))) {
                throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " holds no database " + DATABASE_FILE
                        + "; set data-dir to the folder the server uses");
            }
            url += "?transaction_mode=IMMEDIATE";
        }
        return open(config, url, MasterKeyFile.loadExisting(config), clock, true);
    }

    private static DataStore open(Config config, String jdbcUrl, MasterKey masterKey, Clock clock, boolean mustExist) {
        Database database = connect(config, jdbcUrl);
        try {
            DataKeys probe = new DataKeys(masterKey, clock);
            byte[] verifier = database.read(c -> {
                try {
                    return probe.readVerifier(c);
                } catch (SQLException noSchemaYet) {
                    return null;
                }
            });
            masterKey = nextKeyIfRotated(config, masterKey, verifier);
            DataKeys dataKeys = new DataKeys(masterKey, clock);
            if (verifier == null && mustExist) {
                throw new StartFailure(StartFailure.Reason.NOT_FOUND, "the database has never been started by ek-server "
                        + "(no master-key check in it): nothing to recover; nothing was changed");
            }
            dataKeys.checkVerifier(verifier); // a wrong key stops here, before migrations write anything
            Migrations.apply(database, clock);
            dataKeys.verifyMasterKey(database);
            return new DataStore(database, masterKey, dataKeys);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    /**
     * The key to open with: the configured one, unless the database was rotated to the key in {@code master-key-next-file}
     * (a node restarted during a rotation, before its key setting was changed); a key that opens neither is refused by
     * the verifier check after this.
     */
    private static MasterKey nextKeyIfRotated(Config config, MasterKey configured, byte[] verifier) {
        if (verifier == null || DataKeys.opens(configured, verifier)) return configured;
        return MasterKeyFile.next(config).filter(next -> DataKeys.opens(next, verifier)).map(next -> {
            LOG.warning("the database was rotated to the master key " + next.idHex() + " of master-key-next-file; starting with it "
                    + "(make it the node's master-key-file)");
            return next;
        }).orElse(configured);
    }

    /** The pool checks a first connection when it is built: an unreachable database fails here, named, without a trace. */
    private static Database connect(Config config, String jdbcUrl) {
        try {
            return new Database(jdbcUrl, config.database().user(), config.database().password().value(), config.database().poolSize(),
                    new Database.Bounds(config.database().acquireTimeout(), config.database().statementTimeout()));
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            String where = config.database().embedded() ? config.dataDir().resolve(DATABASE_FILE).toString()
                    : ConfigLoader.maskUrl(config.database().url());
            throw new StartFailure(StartFailure.Reason.DATABASE, "cannot open the database " + where + ": "
                    + ConfigLoader.maskUrl(String.valueOf(root.getMessage())));
        }
    }

    /**
     * The data folder holds the master key and the database: created owner-only (0700), with a warning when an existing
     * folder lets others in. Whatever stands in the way is named as what it is, not as a failure to write the key.
     */
    private static void createDataFolder(Path dir) {
        if (Files.exists(dir)) {
            requireUsableFolder(dir);
            try {
                if (!Files.getPosixFilePermissions(dir).stream().allMatch(p -> p.name().startsWith("OWNER"))) {
                    LOG.warning("the data folder " + dir + " can be read by other users; chmod 700 it");
                }
            } catch (UnsupportedOperationException | IOException e) {
                // not a POSIX file system: the operator's folder permissions apply
            }
            return;
        }
        Path existing = dir.toAbsolutePath().getParent();
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing != null && !Files.isDirectory(existing)) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " cannot be created: " + existing.normalize()
                    + " is a file, not a folder");
        }
        try {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir); // not a POSIX file system: the operator's folder permissions apply
            }
        } catch (AccessDeniedException e) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " cannot be created: this user may not "
                    + "write to " + existing);
        } catch (IOException e) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " cannot be created: "
                    + e.getClass().getSimpleName() + " " + e.getMessage());
        }
    }

    /**
     * An existing data folder must be a folder this user can list, read and write (SQLite writes its journal beside the
     * database). Without this check an unreadable folder looked empty and surfaced as a failure to create the master key.
     */
    private static void requireUsableFolder(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " is not a folder (a file is in its place)");
        }
        if (!Files.isReadable(dir) || !Files.isWritable(dir) || !Files.isExecutable(dir)) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "the data folder " + dir + " is not readable/writable by this user ("
                    + System.getProperty("user.name") + ")");
        }
    }

    private static void createDatabaseFile(Path db) {
        try {
            if (!Files.exists(db)) Files.createFile(db, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
            // not POSIX, or another process made it first: SQLite opens it as it is
        } catch (IOException e) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "cannot create the database file " + db + ": "
                    + e.getClass().getSimpleName());
        }
    }

    void close() {
        database.close();
        if (folderLock != null) folderLock.close();
    }
}
