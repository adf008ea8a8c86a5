package bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The soak's revocation probe (issue 18): across two nodes on one PostgreSQL, while the soak loads them, every
 * {@link #EVERY_MS} it creates an API token on the first node, uses it on the second (noting whether the first try is
 * answered 200: issue 16 says a token made on one node works on every node at once), exchanges it there for a JWT,
 * revokes it on the first node and, from the moment the revoke is acknowledged, polls the second node with the token
 * and with the JWT (each on its own connection, in a tight loop) until each is refused with 401. The latencies say how
 * long a revoked credential is still honoured by a node other than the one that revoked it under load. A node
 * whose last successful change-feed poll began more than one interval ago catches up before it authenticates
 * ({@code ChangeFeed}), so no request sent more than 200 ms after the revoke committed is honoured, however starved
 * the poller: the soak's goal ({@link Soak#REVOCATION_BOUND_MS}).
 *
 * <p>It stays cheap beside the soak's thousands of reads a second: one token a cycle, and the polls last only until the
 * refusal (a few hundred requests a cycle at most). It only measures while {@link #interval} is set, so the gaps
 * between intervals (the full collections in the middle and at the end) are not in its figures.
 */
final class RevocationProbe implements AutoCloseable {
    static final int EVERY_MS = 2000;
    /** A credential still honoured this long after its revoke was acknowledged is counted as never refused. */
    static final long GIVE_UP_MS = 10_000;
    /** A new token not yet honoured on the other node is retried this long before the cycle is counted as failed. */
    static final long USABLE_WITHIN_MS = 5_000;

    /**
     * One cycle: the interval it ran in, whether the token worked on the first try, and for the token and the JWT the
     * ms from the revoke's acknowledgement to the refusal (-1: never) and to the sending of the last request that was
     * still honoured (0 when the first was refused). The second says how long the node honoured the revoked credential
     * without the answers' own latency, which under a load that queues requests is most of the first.
     */
    record Result(int interval, boolean firstTryOk, double tokenMs, double jwtMs, double tokenHonouredMs, double jwtHonouredMs) {}

    /** One credential's polls after the revoke: ms to the refusal (-1: never) and to the last honoured request's sending. */
    private record Refusal(double refusedMs, double lastHonouredMs) {}

    private final Bench bench;
    private final String workspaceUrl;
    private final int otherPort;
    private final String readPath;
    private final String ownerToken;
    private final List<Result> results = new ArrayList<>();
    /** Cycles that could not be run (the create, the exchange or the revoke failed), with what failed. */
    private final List<String> failures = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    /** The soak's interval now loading the nodes; 0 between intervals, when the probe waits. */
    volatile int interval;

    /**
     * @param firstPort the node the tokens are made and revoked on
     * @param otherPort the node they are used and refused on
     * @param readPath  an authenticated GET every read token may do (the soak's list)
     */
    RevocationProbe(Bench bench, int firstPort, int otherPort, String readPath, String ownerToken) {
        this.bench = bench;
        this.workspaceUrl = "http://127.0.0.1:" + firstPort + "/v1/workspace/" + Bench.WS;
        this.otherPort = otherPort;
        this.readPath = readPath;
        this.ownerToken = ownerToken;
        this.thread = Thread.ofPlatform().daemon().name("revocation-probe").start(this::loop);
    }

    private void loop() {
        int n = 0;
        long next = System.nanoTime();
        while (running) {
            int now = interval;
            if (now == 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                next = System.nanoTime();
                continue;
            }
            try {
                Result r = cycle(now, ++n);
                synchronized (this) {
                    results.add(r);
                }
            } catch (Exception e) {
                synchronized (this) {
                    failures.add("interval " + now + ": " + e.getMessage());
                }
            }
            next += TimeUnit.MILLISECONDS.toNanos(EVERY_MS);
            long wait = next - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            else next = System.nanoTime();
        }
    }

    private Result cycle(int interval, int n) throws Exception {
        JsonNode made = bench.call("POST", workspaceUrl + "/tokens", ownerToken, Map.of("name", "soak-probe-" + n, "permission", "read",
                "scope", Map.of("all", true), "expiresIn", "24h"));
        String id = made.get("id").asText();
        String token = made.get("token").asText();
        boolean firstTryOk = statusOnOther(token) == 200;
        long usableBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(USABLE_WITHIN_MS);
        // not honoured at once is what is measured; the cycle still goes on to the revocation once it is
        while (!firstTryOk && statusOnOther(token) != 200) {
            if (System.nanoTime() > usableBy) throw new IllegalStateException("a new token was not honoured on the other node within " + USABLE_WITHIN_MS + " ms");
            Thread.sleep(20);
        }
        // the polls' connections are open and used before the revoke, so no connect is in the latency
        try (Socket tokenSocket = FixedRate.connect(otherPort); Socket jwtSocket = FixedRate.connect(otherPort)) {
            byte[] withToken = request(token);
            if (FixedRate.exchange(tokenSocket, withToken) != 200) throw new IllegalStateException("the token was not honoured before the revoke");
            String jwt = bench.call("POST", "http://127.0.0.1:" + otherPort + "/v1/auth/exchange", token, null).get("accessToken").asText();
            byte[] withJwt = request(jwt);
            if (FixedRate.exchange(jwtSocket, withJwt) != 200) throw new IllegalStateException("the JWT was not honoured before the revoke");
            bench.call("DELETE", workspaceUrl + "/tokens/" + id, ownerToken, null);
            long acknowledged = System.nanoTime();
            // both at once, each on its own connection: one polling after the other would add its requests to the other's latency
            CompletableFuture<Refusal> jwtRefused = CompletableFuture.supplyAsync(() -> refusal(jwtSocket, withJwt, acknowledged),
                    command -> Thread.ofPlatform().daemon().name("revocation-probe-jwt").start(command));
            Refusal tokenRefused = refusal(tokenSocket, withToken, acknowledged);
            Refusal jwtRefusal = jwtRefused.get();
            return new Result(interval, firstTryOk, tokenRefused.refusedMs(), jwtRefusal.refusedMs(), tokenRefused.lastHonouredMs(),
                    jwtRefusal.lastHonouredMs());
        }
    }

    private int statusOnOther(String credential) throws IOException, InterruptedException {
        return bench.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + otherPort + readPath))
                .timeout(java.time.Duration.ofSeconds(10)).header("Authorization", "Bearer " + credential).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private byte[] request(String credential) {
        return ("GET " + readPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + credential + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Polls without a pause until the answer is 401 (another answer, a 503, is polled past). */
    private static Refusal refusal(Socket socket, byte[] request, long since) {
        long deadline = since + TimeUnit.MILLISECONDS.toNanos(GIVE_UP_MS);
        long lastHonoured = since;
        try {
            while (true) {
                long sent = System.nanoTime();
                int status = FixedRate.exchange(socket, request);
                if (status == 401) return new Refusal((System.nanoTime() - since) / 1e6, (lastHonoured - since) / 1e6);
                if (status == 200) lastHonoured = sent;
                if (System.nanoTime() > deadline) break;
            }
        } catch (IOException e) {
            // counted as never refused: the connection was lost before an answer said so
        }
        return new Refusal(-1, (lastHonoured - since) / 1e6);
    }


    synchronized List<Result> results() {
        return List.copyOf(results);
    }

    synchronized List<String> failures() {
        return List.copyOf(failures);
    }

    /** Stops after the cycle under way (so its result is counted), waiting for it at most as long as a cycle may take. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(GIVE_UP_MS + USABLE_WITHIN_MS + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The latencies that ended in a refusal, in µs, sorted. */
    private static long[] refusedUs(List<Double> latencies) {
        return latencies.stream().mapToDouble(Double::doubleValue).filter(ms -> ms >= 0).mapToLong(ms -> Math.round(ms * 1000)).sorted().toArray();
    }

    /** "n probes: median, p99 and max" of the latencies that ended in a refusal, and how many never did. */
    static String summary(List<Double> latencies) {
        long[] us = refusedUs(latencies);
        long never = latencies.size() - us.length;
        if (us.length == 0) return latencies.size() + " probes, none refused";
        return String.format(Locale.ROOT, "%d probes: median %.0f ms, p99 %.0f ms, max %.0f ms%s", latencies.size(), FixedRate.pct(us, 50) / 1000.0,
                FixedRate.pct(us, 99) / 1000.0, us[us.length - 1] / 1000.0,
                never == 0 ? "" : "; " + never + " never refused within " + GIVE_UP_MS + " ms");
    }

    /** "median / max" in ms for a table cell; "never" for the max when one was not refused, "–" with no probe. */
    static String medianAndMax(List<Double> latencies) {
        if (latencies.isEmpty()) return "–";
        long[] us = refusedUs(latencies);
        String median = us.length == 0 ? "–" : String.format(Locale.ROOT, "%.0f", FixedRate.pct(us, 50) / 1000.0);
        double worst = worst(latencies);
        return median + " / " + (Double.isInfinite(worst) ? "never" : String.format(Locale.ROOT, "%.0f", worst));
    }

    /** A latency for the report: whole ms, "never" for one not refused within {@link #GIVE_UP_MS}. */
    static String ms(double latency) {
        if (Double.isNaN(latency)) return "–";
        return Double.isInfinite(latency) ? "never" : String.format(Locale.ROOT, "%.0f ms", latency);
    }

    /** The largest latency, or +∞ when one was never refused (so a bound check fails), NaN when there is none. */
    static double worst(List<Double> latencies) {
        if (latencies.isEmpty()) return Double.NaN;
        return latencies.stream().mapToDouble(ms -> ms < 0 ? Double.POSITIVE_INFINITY : ms).max().orElse(Double.NaN);
    }
}
