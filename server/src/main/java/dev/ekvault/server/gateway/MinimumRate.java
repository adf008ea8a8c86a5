package dev.ekvault.server.gateway;

import dev.ekvault.server.config.Config;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A request body that must average at least {@code bytesPerSecond} once it has taken longer than
 * {@link Config.Http#MIN_RATE_GRACE}: the idle timeout alone lets a client that sends one byte just before each
 * timeout hold a request (and its thread and buffers) for as long as it likes. Judged after each read, from the first
 * read on; a read that blocks is the idle timeout's business.
 */
final class MinimumRate extends FilterInputStream {
    /** The body arrived too slowly; the gateway answers 400 naming the setting. */
    static final class TooSlow extends IOException {
        TooSlow() {
            super("request body below the minimum data rate", null);
        }
    }

    private static final long GRACE_NANOS = Config.Http.MIN_RATE_GRACE.toNanos();

    private final long bytesPerSecond;
    private final long started = System.nanoTime();
    private long received;

    MinimumRate(InputStream in, int bytesPerSecond) {
        super(in);
        this.bytesPerSecond = bytesPerSecond;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) counted(1);
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) counted(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        if (skipped > 0) counted(skipped);
        return skipped;
    }

    private void counted(long bytes) throws TooSlow {
        received += bytes;
        if (bytesPerSecond == 0) return;
        long elapsed = System.nanoTime() - started;
        if (elapsed > GRACE_NANOS && received * 1_000_000_000.0 / elapsed < bytesPerSecond) throw new TooSlow();
    }
}
