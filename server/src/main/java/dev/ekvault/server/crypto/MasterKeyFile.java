package dev.ekvault.server.crypto;

import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigException;
import dev.ekvault.server.config.StartFailure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
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
