package dev.ekvault.server.crypto;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.StartFailure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Where the master key comes from: the {@code master-key} setting, the file named by {@code master-key-file}, or
 * (for the embedded default only) {@code <data-dir>/master.key}, generated with mode 0600 on the very first start.
 * A data folder that already holds a database but no key file is refused rather than given a new key, which would
 * make every stored value unreadable. The recovery commands ({@link #loadExisting}) never generate one: they work on a
 * database that exists, whose key must exist too.
 */
public final class MasterKeyFile {
    private static final Logger LOG = Logger.getLogger(MasterKeyFile.class.getName());
    public static final String DEFAULT_NAME = "master.key";

    private MasterKeyFile() {}

    /** The configured key; on the embedded default, the data folder's key file, generated on the very first start. */
    public static MasterKey load(Config config) {
        return load(config, true);
    }

    /** The configured key or the data folder's key file; never generates one. */
    public static MasterKey loadExisting(Config config) {
        return load(config, false);
    }

    /**
     * The keys a node can find now, for following a rotation: its configured key read again (a key file may have been
     * replaced since the start), then the {@code master-key-next-file} if it exists. Unreadable sources are skipped.
     */
    public static List<MasterKey> candidates(Config config) {
        List<MasterKey> keys = new ArrayList<>();
        try {
            keys.add(loadExisting(config));
        } catch (RuntimeException e) {
            LOG.warning("cannot read the configured master key again: " + e.getMessage());
        }
        next(config).ifPresent(keys::add);
        return keys;
    }

    /** The key in {@code master-key-next-file}, when that is set and the file exists. */
    public static Optional<MasterKey> next(Config config) {
        Path file = config.masterKeyNextFile();
        if (file == null || !Files.exists(file)) return Optional.empty();
        return Optional.of(read(file, "master-key-next-file"));
    }

    /** The new key of {@code rotate-master-key --new-key-file}: a file that must exist and hold a valid key. */
    public static MasterKey readNew(Path file) {
        if (!Files.isRegularFile(file)) throw new ConfigException("--new-key-file " + file + " is not a file");
        return read(file, "--new-key-file");
    }

    /**
     * After a rotation on the embedded default (the key is the data folder's {@code master.key}, no key setting), writes
     * the new key there: written beside it (0600) and moved over it in one step, so the file holds one key or the other.
     * Returns false (nothing written) when the key comes from a setting, which the operator changes.
     */
    public static boolean replaceDefault(Config config, Path newKeyFile) {
        if (config.masterKey().isPresent() || config.masterKeyFile() != null || !config.database().embedded()) return false;
        MasterKey key = readNew(newKeyFile);
        Path file = config.dataDir().resolve(DEFAULT_NAME);
        Path next = config.dataDir().resolve(DEFAULT_NAME + ".new");
        try {
            String base64 = Files.readString(newKeyFile, StandardCharsets.US_ASCII);
            Files.deleteIfExists(next);
            Files.createFile(next, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(next, base64.strip() + "\n", StandardCharsets.US_ASCII);
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            throw new ConfigException("the database was rotated to master key " + key.idHex() + " but " + file + " could not be replaced ("
                    + e.getClass().getSimpleName() + "): copy the new key file there before the next start");
        }
    }

    private static MasterKey load(Config config, boolean mayGenerate) {
        if (config.masterKey().isPresent()) return parse(config.masterKey().value(), "master-key");
        if (config.masterKeyFile() != null) return read(config.masterKeyFile(), "master-key-file");
        if (!config.database().embedded()) {
            throw new ConfigException("master-key (EK_MASTER_KEY) or master-key-file (EK_MASTER_KEY_FILE) is required with "
                    + "PostgreSQL: every node must use the same key");
        }
        Path file = config.dataDir().resolve(DEFAULT_NAME);
        if (Files.exists(file)) return read(file, "master key file");
        if (!mayGenerate || Files.exists(config.dataDir().resolve("ek.db"))) {
            throw new StartFailure(StartFailure.Reason.MASTER_KEY, "the data folder " + config.dataDir() + " holds a database but no "
                    + DEFAULT_NAME + "; restore the key from your backup (or set master-key) - a new key could not read the stored secrets");
        }
        return generate(file);
    }

    private static MasterKey generate(Path file) {
        String key = MasterKey.generateBase64();
        try {
            Files.createDirectories(file.getParent());
            Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
            Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
            Files.writeString(file, key + "\n", StandardCharsets.US_ASCII);
        } catch (FileAlreadyExistsException e) {
            return read(file, "master key file"); // another process created it first
        } catch (UnsupportedOperationException e) {
            throw new ConfigException("cannot create " + file + " with owner-only permissions on this file system; set master-key-file");
        } catch (IOException e) {
            throw new ConfigException("cannot create the master key file " + file + ": " + e.getClass().getSimpleName());
        }
        MasterKey masterKey = MasterKey.fromBase64(key);
        LOG.warning("generated a new master key " + masterKey.idHex() + " in " + file + " (mode 0600); back it up: without it "
                + "the stored secrets cannot be read");
        return masterKey;
    }

    private static MasterKey read(Path file, String setting) {
        try {
            warnIfReadableByOthers(file);
            return parse(Files.readString(file, StandardCharsets.US_ASCII), setting);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + setting + " " + file + ": " + e.getClass().getSimpleName());
        }
    }

    private static MasterKey parse(String text, String setting) {
        try {
            return MasterKey.fromBase64(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(setting + " is not valid: " + e.getMessage());
        }
    }

    private static void warnIfReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warning("the master key file " + file + " can be read by other users; chmod 600 it");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
