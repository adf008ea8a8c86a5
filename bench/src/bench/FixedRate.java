package bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator: requests go out on a fixed schedule (rate per second over all connections) whatever
 * the answers do, and each latency is measured from the moment its request was <em>due</em>, so a stall shows in
 * the percentiles instead of being hidden by the client waiting (no coordinated omission). Keep-alive HTTP/1.1 over
 * raw sockets, one request in flight per connection.
 */
final class FixedRate {
    record Result(long sent, long ok, long errors, double seconds, long p50Us, long p99Us, long p999Us, long maxUs) {}

    static Result run(int port, byte[] request, int ratePerSecond, double seconds, int connections) throws InterruptedException {
        long periodNanos = 1_000_000_000L / ratePerSecond;
        long total = (long) (ratePerSecond * seconds);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        AtomicLong errors = new AtomicLong();
        List<long[]> perConnection = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            long first = i;
            long[] latencies = new long[(int) (total / connections + 2)];
            perConnection.add(latencies);
            workers.add(Thread.ofPlatform().daemon().start(() -> {
                int n = 0;
                Socket socket = null;
                try {
                    for (long k = first; k < total; k += connections) {
                        long due = start + k * periodNanos;
                        long wait = due - System.nanoTime();
                        if (wait > 0) LockSupport.parkNanos(wait);
                        try {
                            if (socket == null) socket = connect(port);
                            int status = exchange(socket, request);
                            if (status != 200) errors.incrementAndGet();
                        } catch (IOException e) {
                            errors.incrementAndGet();
                            closeQuietly(socket);
                            socket = null;
                        }
                        latencies[n++] = (System.nanoTime() - due) / 1000;
                    }
                } finally {
                    closeQuietly(socket);
                    latencies[latencies.length - 1] = n; // count in the last slot
                }
            }));
        }
        for (Thread w : workers) w.join();
        double elapsed = (System.nanoTime() - start) / 1e9;
        int count = 0;
        for (long[] l : perConnection) count += (int) l[l.length - 1];
        long[] all = new long[count];
        int at = 0;
        for (long[] l : perConnection) {
            int n = (int) l[l.length - 1];
            System.arraycopy(l, 0, all, at, n);
            at += n;
        }
        Arrays.sort(all);
        return new Result(count, count - errors.get(), errors.get(), elapsed, pct(all, 50), pct(all, 99), pct(all, 99.9),
                all.length == 0 ? 0 : all[all.length - 1]);
    }

    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends one request and reads its whole answer; returns the status. */
    static int exchange(Socket socket, byte[] request) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] head = new byte[8192];
        int len = 0;
        int end = -1;
        while (end < 0) {
            int r = in.read(head, len, head.length - len);
            if (r < 0) throw new IOException("closed");
            len += r;
            end = indexOf(head, len);
            if (end < 0 && len == head.length) throw new IOException("header too long");
        }
        String headers = new String(head, 0, end, StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(headers.substring(9, 12));
        long contentLength = 0;
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                contentLength = Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        long remaining = contentLength - (len - end - 4);
        byte[] skip = new byte[8192];
        while (remaining > 0) {
            int r = in.read(skip, 0, (int) Math.min(skip.length, remaining));
            if (r < 0) throw new IOException("closed in body");
            remaining -= r;
        }
        return status;
    }

    private static int indexOf(byte[] b, int len) {
        for (int i = 0; i + 3 < len; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
        }
        return -1;
    }

    private static void closeQuietly(Socket s) {
        try {
            if (s != null) s.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
