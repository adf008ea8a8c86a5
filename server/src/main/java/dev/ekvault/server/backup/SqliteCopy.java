package dev.ekvault.server.backup;

import dev.ekvault.server.config.StartFailure;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Copies of the embedded SQLite database. A copy is made with {@code VACUUM INTO} rather than the online backup API
 * ({@code backup to} in the xerial driver): {@code VACUUM INTO} reads the whole database in one read transaction, so
 * the copy is one consistent snapshot, and in WAL mode a reader never blocks the serving node's writer nor waits for
 * it; the backup API instead copies page batches and starts over whenever another connection writes in between, so
 * under a steady stream of writes it may never finish. The copy is also compacted and in rollback-journal mode: one
 * self-contained file, with no {@code -wal} beside it to forget.
 */
final class SqliteCopy {
    private static final int BUSY_TIMEOUT_MILLIS = 10_000;

    private SqliteCopy() {}

    /**
     * Writes a consistent copy of {@code database} to {@code target} atomically: into a temporary file beside the target
     * (owner-only), synced to disk and checked, then renamed into place; a failure leaves no partial file behind.
     */
    static void snapshot(Path database, Path target) {
        Path folder = target.toAbsolutePath().getParent();
        Path partial = folder.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
        try {
            createOwnerOnly(partial); // VACUUM INTO accepts an empty file, which keeps our permissions
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath());
                 Statement pragma = c.createStatement()) {
                pragma.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
                pragma.close(); // VACUUM refuses to run while another statement of its connection is open
                try (PreparedStatement vacuum = c.prepareStatement("VACUUM INTO ?")) {
                    vacuum.setString(1, partial.toString());
                    vacuum.execute();
                }
            }
            sync(partial);
            String problem = check(partial);
            if (problem != null) throw new IllegalStateException("the copy did not pass SQLite's check: " + problem);
            moveIntoPlace(partial, target);
        } catch (SQLException e) {
            throw new StartFailure(StartFailure.Reason.DATABASE, "cannot copy the database " + database + ": " + e.getMessage());
        } catch (IOException e) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "cannot write the backup " + target + ": "
                    + e.getClass().getSimpleName() + " " + e.getMessage());
        } finally {
            deleteTemporary(partial);
        }
    }

    /** Renames a finished file to its final name in one step (where the file system can) and syncs the folder's entry. */
    static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
        sync(to.toAbsolutePath().getParent());
    }

    /** Removes a temporary file if it is still there; one that cannot be removed is named as temporary and reused or removed later. */
    static void deleteTemporary(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // see above
        }
    }

    /** Creates a folder (and its parents) owner-only (0700) where the file system has POSIX permissions. */
    static void createOwnerOnlyFolder(Path dir) throws IOException {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(dir);
        }
    }

    /**
     * A read-only connection to a copy that nothing else writes ({@code immutable}: SQLite takes no lock and creates no
     * {@code -wal} or {@code -shm} beside it), so checking a backup never changes it.
     */
    static Connection openImmutable(Path file) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:file:" + file.toAbsolutePath() + "?mode=ro&immutable=1");
    }

    /** Null when the file is an SQLite database that passes {@code PRAGMA quick_check}; else what is wrong. */
    static String check(Path file) {
        try (Connection c = openImmutable(file); Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA quick_check")) {
            String first = r.next() ? r.getString(1) : "no answer";
            return "ok".equals(first) ? null : first;
        } catch (SQLException e) {
            return e.getMessage();
        }
    }

    /** Creates an empty owner-only (0600) file; refuses one that is there. */
    static void createOwnerOnly(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
    }

    /** Forces a file (or a folder's entries, where the platform allows opening one) to disk. */
    static void sync(Path path) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // a folder cannot be opened on every platform; the rename is still atomic, only its durability is the OS's
        }
    }

    /** Whether {@code file} begins with SQLite's header. */
    static boolean looksLikeSqlite(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] header = in.readNBytes(16);
            return new String(header, java.nio.charset.StandardCharsets.ISO_8859_1).equals("SQLite format 3\0");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A database about to be replaced may have committed pages in its {@code -wal}: checkpointing and closing it (the
     * caller holds the folder's lock, so no node has it open) puts them into the file and removes the log, so the file
     * kept is whole and no stale log is left for SQLite to apply to the database that takes its place.
     */
    static void foldWriteAheadLog(Path database) throws IOException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath()); Statement s = c.createStatement()) {
            s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (SQLException e) {
            throw new IOException("cannot checkpoint the database being replaced: " + e.getMessage());
        }
        removeLogs(database);
    }

    /** Deletes the {@code -wal}, {@code -shm} and {@code -journal} files of {@code database}, which must not be open. */
    static void removeLogs(Path database) throws IOException {
        for (String suffix : new String[] {"-wal", "-shm", "-journal"}) {
            Files.deleteIfExists(database.resolveSibling(database.getFileName() + suffix));
        }
    }
}
