package dev.ekvault.it;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * A small size-limited folder (a tmpfs mounted for the test) to run a database's files out of space, and a filler file
 * that takes the space and gives it back. Mounting needs root: where it is refused the test is skipped, saying so.
 */
final class SmallDisk implements AutoCloseable {
    final Path mount;

    private SmallDisk(Path mount) {
        this.mount = mount;
    }

    static SmallDisk mount(String prefix, int megabytes) throws Exception {
        Path mount = Files.createTempDirectory(prefix);
        Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String why = new String(mounting.getInputStream().readAllBytes());
        boolean mounted = mounting.waitFor(30, TimeUnit.SECONDS) && mounting.exitValue() == 0;
        if (!mounted) Files.deleteIfExists(mount);
        Assumptions.assumeTrue(mounted, "cannot mount a small tmpfs here (needs root): " + why.strip());
        return new SmallDisk(mount);
    }

    /**
     * Writes zeros to {@code filler} until the file system refuses, then gives back {@code headroomBytes} of it: what is
     * left free is the headroom plus what the database already holds in pages it has.
     */
    static void fill(Path filler, long headroomBytes) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) out.write(block);
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) throw e;
        }
        if (headroomBytes > 0) {
            try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.WRITE)) {
                channel.truncate(Math.max(0, channel.size() - headroomBytes));
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(mount);
    }
}
