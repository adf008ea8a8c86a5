package dev.ekvault.server.backup;

import dev.ekvault.server.config.StartFailure;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The exclusive lock a serving node holds on its embedded data folder ({@code <data-dir>/ek.lock}) for as long as it
 * serves: a second {@code serve} on the same folder and a {@code restore} into it are refused instead of colliding with
 * a live database. An operating-system file lock, so it ends with the process however it ends (a {@code kill -9} leaves
 * no stale lock); the file itself stays, holding the pid of the last holder for the refusal's message. The recovery
 * commands and {@code backup} do not take it: they are meant to run beside a serving node.
 */
public final class DataFolderLock implements AutoCloseable {
    public static final String FILE = "ek.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataFolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the folder's lock, or refuses (exit code 6) naming the process that holds it. The folder must exist. */
    public static DataFolderLock acquire(Path dataDir, String whatFor) {
        Path file = dataDir.resolve(FILE);
        FileChannel channel;
        try {
            try {
                channel = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "cannot open the lock file " + file + ": " + e.getClass().getSimpleName());
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException sameProcess) {
            lock = null; // a node in this JVM holds it (tests run nodes in-process)
        } catch (IOException e) {
            close(channel);
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "cannot lock " + file + ": " + e.getClass().getSimpleName());
        }
        if (lock == null) {
            String holder = holder(channel);
            close(channel);
            throw new StartFailure(StartFailure.Reason.DATA_FOLDER, "an ek-server" + holder + " is serving the data folder " + dataDir
                    + "; " + whatFor);
        }
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        } catch (IOException e) {
            // only the refusal message's pid is lost; the lock holds
        }
        return new DataFolderLock(channel, lock);
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
            return pid.matches("[0-9]{1,10}") ? " (process " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was locked through it
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        close(channel);
    }
}
