package bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How long the disk takes to sync, measured beside a row whose every answer waits for one (a write's commit, an audited
 * read's entry): every 10 ms a 4 KB write to a file of its own in the server's file system, then {@code fdatasync}
 * ({@code force(false)}). On this machine's virtual disk such a sync takes 0.2-0.3 ms, and now and then 5-600 ms
 * with nothing else running; a stall holds up every commit in the kernel, however the server groups them, so a row's
 * p99 cannot be below the disk's own when the disk stalled for more than a percent of the row.
 */
final class DiskProbe implements AutoCloseable {
    record Result(int syncs, double p50Ms, double p99Ms, double maxMs, double seconds, long[] syncNanos) {
        /** The time spent in syncs that took longer than {@code thresholdMs}: how long the disk held commits back past it. */
        double stalledMs(double thresholdMs) {
            long threshold = (long) (thresholdMs * 1e6);
            long sum = 0;
            for (long n : syncNanos) if (n > threshold) sum += n;
            return sum / 1e6;
        }

        /** The share of the measured time the disk spent in syncs longer than {@code thresholdMs}. */
        double stalledShare(double thresholdMs) {
            return seconds <= 0 ? 0 : stalledMs(thresholdMs) / 1000.0 / seconds;
        }

        String summary(double thresholdMs) {
            return String.format(Locale.ROOT, "disk syncs (a probe's, every 10 ms): p50 %.2f ms, p99 %.1f ms, max %.0f ms; %.0f ms of %.0f s in syncs over %.0f ms",
                    p50Ms, p99Ms, maxMs, stalledMs(thresholdMs), seconds, thresholdMs);
        }
    }

    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int BLOCK = 4096;
    /** The probe rewrites the first MB of its file: after the first lap the file's size (its metadata) no longer changes. */
    private static final long SPAN = 1 << 20;

    private final Path file;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private volatile boolean running = true;
    private long[] syncs = new long[1024];
    private int count;
    private volatile IOException failure;
    private Result result;

    DiskProbe(Path directory) throws IOException {
        file = Files.createTempFile(directory, "disk-probe-", ".bin");
        thread = Thread.ofPlatform().daemon().name("bench-disk-probe").start(this::probe);
    }

    private void probe() {
        ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
        long position = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long next = System.nanoTime();
            while (running) {
                block.clear();
                channel.write(block, position);
                position = (position + BLOCK) % SPAN;
                long t0 = System.nanoTime();
                channel.force(false);
                record(System.nanoTime() - t0);
                next += PERIOD_NANOS;
                long wait = next - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
                else next = System.nanoTime(); // a stall: the next probe goes now, not a burst to catch up
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    private void record(long nanos) {
        if (count == syncs.length) syncs = Arrays.copyOf(syncs, count * 2);
        syncs[count++] = nanos;
    }

    Result result() {
        return result;
    }

    @Override
    public void close() throws IOException {
        running = false;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        Files.deleteIfExists(file);
        if (failure != null) throw failure;
        long[] all = Arrays.copyOf(syncs, count);
        long[] sorted = all.clone();
        Arrays.sort(sorted);
        result = new Result(count, FixedRate.pct(sorted, 50) / 1e6, FixedRate.pct(sorted, 99) / 1e6,
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6, seconds, all);
    }
}
