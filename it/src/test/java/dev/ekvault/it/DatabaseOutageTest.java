package dev.ekvault.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database taken away from a running node, as an operator would break it: PostgreSQL stopped under a stream of
 * reads and writes, and the network to it stalled (packets held, nothing closed). Each asserts what the client saw —
 * every answer within the configured bound, a 503 with {@code Retry-After} (never a 500, never a hang) or a correct
 * answer, an unknown token still 401, {@code /readyz} not ready — and that the node serves again by itself when the
 * database returns, with every write it acknowledged present. A throw-away PostgreSQL started by the test (initdb and
 * pg_ctl as user postgres, on a free port), never the machine's shared one. The disk-full case of the embedded store is
 * {@link DiskFullTest}; the paused node is {@code TwoNodeTest.aNodeResumingFromAPauseRefusesWhatWasRevokedDuringIt}.
 */
class DatabaseOutageTest {
    /** Small bounds, so the test is quick: a connection within 1 s, a statement within 2 s (the socket 3 s). */
    private static final Map<String, String> BOUNDS = Map.of("EK_DATABASE_ACQUIRE_TIMEOUT_MILLIS", "1000",
            "EK_DATABASE_STATEMENT_TIMEOUT_MILLIS", "2000", "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0", "EK_ACCESS_OUTAGE_GRACE_SECONDS", "60");
    /**
     * The longest any answer may take while the database is away: the bounds above (1 s for a connection, 3 s for a
     * stalled socket) plus a catch-up that waits for a stalled poll, and margin for a machine shared with other builds.
     */
    private static final Duration ANSWER_BOUND = Duration.ofSeconds(8);
    private static final String SECRETS = "/v1/workspace/acme/project/web/secret";
    private static final String UNKNOWN_TOKEN = "ek_live_" + "A".repeat(43);

    @Test
    void postgresStoppedAndStartedUnderLoad() throws Exception {
        try (ThrowAwayPostgres pg = ThrowAwayPostgres.start(); Node node = Node.on(pg.url(pg.port));
             EkJar.Server other = EkJar.serve(EkJar.tempDir("ek-outage-b"), node.env)) {
            try (Stream stream = new Stream(node)) {
                stream.awaitAcknowledged(5);
                pg.stop();
                stream.clear();
                // every answer during the outage: fast, and a 503 with Retry-After or a correct answer
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (System.nanoTime() < until) {
                    EkJar.Reply readyz = node.timed(node.anonymous.builder("/readyz").GET());
                    assertThat(readyz.status()).as("/readyz while PostgreSQL is stopped: %s", readyz).isEqualTo(503);
                    EkJar.Reply unknown = node.timed(new EkJar.Api(node.server, UNKNOWN_TOKEN).builder(SECRETS).GET());
                    assertThat(unknown.status()).as("an unknown token is refused as unknown, not blamed on the outage: %s", unknown).isEqualTo(401);
                    // what the node answers from memory it keeps answering
                    assertThat(node.timed(node.anonymous.builder("/healthz").GET()).status()).isEqualTo(200);
                    assertThat(node.timed(node.anonymous.builder("/.well-known/jwks.json").GET()).status()).isEqualTo(200);
                    // the owner's token is still authenticated from memory (access.outage-grace-seconds): the 503 is the
                    // database's, for the read itself, not a refusal of the credential
                    EkJar.Reply known = node.timed(node.owner.builder("/v1/workspace/acme/tokens").GET());
                    assertThat(known.status()).as(known.toString()).isEqualTo(503);
                    assertThat(known.json().get("message").asText()).isEqualTo("the database is unavailable; retry later");
                    Thread.sleep(200);
                }
                stream.assertAllAnswersFastAndRight("PostgreSQL stopped");
                assertThat(stream.unavailable.get()).as("writes were answered 503 during the outage").isPositive();
                EkJar.Reply write = node.timed(node.owner.builder(SECRETS).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(node.secretBody("OUTAGE_WRITE"))));
                assertThat(write.status()).as(write.toString()).isEqualTo(503);
                assertThat(write.headers().firstValue("Retry-After")).isPresent();
                assertThat(write.json().get("message").asText()).isEqualTo("the database is unavailable; retry later");

                pg.startAgain();
                stream.clear();
                EkJar.awaitCondition("the node writes again with no restart", Duration.ofSeconds(30),
                        () -> stream.acknowledgedSinceClear() >= 3);
                assertThat(node.timed(node.anonymous.builder("/readyz").GET()).status()).isEqualTo(200);
            }
            node.assertEveryAcknowledgedKeyPresent();
            EkJar.awaitCondition("the feed logs its recovery once", Duration.ofSeconds(10),
                    () -> node.server.stderr().contains("change feed reading again after"));
            assertThat(node.server.stderr().split("change feed poll failed", -1).length - 1)
                    .as("one line for the feed's failure streak, not one per poll").isEqualTo(1);
            // the node's change feed resumed by itself: a token made and revoked on the other node is honoured, then refused
            EkJar.Reply created = new EkJar.Api(other, node.ownerToken).post("/v1/workspace/acme/tokens",
                    "{\"name\":\"after\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}");
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            EkJar.Api fresh = new EkJar.Api(node.server, created.json().get("token").asText());
            assertThat(fresh.get(SECRETS + "?environment=" + node.environment).status()).isEqualTo(200);
            assertThat(new EkJar.Api(other, node.ownerToken).delete("/v1/workspace/acme/tokens/" + created.json().get("id").asText()).status())
                    .isEqualTo(204);
            EkJar.awaitCondition("the recovered node applies the other node's revocation", Duration.ofSeconds(2),
                    () -> fresh.get(SECRETS + "?environment=" + node.environment).status() == 401);
            assertNoStackTracePerRequest(node.server);
        }
    }

    @Test
    void aStalledConnectionIsAnswered503WithinTheBoundAndRecovers() throws Exception {
        try (ThrowAwayPostgres pg = ThrowAwayPostgres.start(); StallingProxy proxy = new StallingProxy(pg.port);
             Node node = Node.on(pg.url(proxy.port()), Map.of("EK_ACCESS_OUTAGE_GRACE_SECONDS", "2"))) {
            try (Stream stream = new Stream(node)) {
                stream.awaitAcknowledged(5);
                proxy.stall();
                stream.clear();
                // the stream runs into the stall (each of its answers is checked below), and past access.outage-grace-seconds
                // (2 s here) the node no longer vouches for the credentials it holds
                EkJar.awaitCondition("the stream's requests are answered 503 during the stall", Duration.ofSeconds(30),
                        () -> stream.unavailable.get() >= 2);
                EkJar.awaitCondition("past the outage grace the node stops vouching for what it holds", Duration.ofSeconds(30), () -> {
                    EkJar.Reply known = node.timed(node.owner.builder("/v1/workspace/acme/tokens").GET());
                    return known.status() == 503 && known.json().path("message").asText().equals("this node cannot check credentials right now; retry");
                });
                EkJar.Reply write = node.timed(node.owner.builder(SECRETS).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(node.secretBody("STALLED_WRITE"))));
                assertThat(write.status()).as(write.toString()).isEqualTo(503);
                assertThat(write.headers().firstValue("Retry-After")).isPresent();
                stream.assertAllAnswersFastAndRight("the connection stalled");
                assertThat(stream.unavailable.get()).as("answers during the stall were 503").isPositive();

                proxy.release();
                stream.clear();
                EkJar.awaitCondition("the node writes again once the network is released", Duration.ofSeconds(30),
                        () -> stream.acknowledgedSinceClear() >= 3);
            }
            node.assertEveryAcknowledgedKeyPresent();
        }
    }

    /**
     * A failed request is a line per 10 s, never a stack trace: the only traces allowed are the pool's own warning as it
     * drops a connection the server ended, at most one per pooled connection (database.pool-size, 10).
     */
    static void assertNoStackTracePerRequest(EkJar.Server server) {
        List<String> traced = server.stderrLines().stream().filter(line -> line.contains("\\tat ")).toList();
        assertThat(traced).as("stack traces in the log").hasSizeLessThanOrEqualTo(10)
                .allMatch(line -> line.contains("\"logger\":\"com.zaxxer.hikari.pool.ProxyConnection\""));
    }

    // ---- the node and the load ----

    /** One serving node on the given PostgreSQL, initialised with a project "web" and one environment. */
    static final class Node implements AutoCloseable {
        final EkJar.Server server;
        final EkJar.Api owner;
        final EkJar.Api anonymous;
        final String environment;
        final String ownerToken;
        /** The settings it was started with, for another node on the same database. */
        final Map<String, String> env;
        final List<String> acknowledged = new CopyOnWriteArrayList<>();

        private Node(EkJar.Server server, String ownerToken, String environment, Map<String, String> env) {
            this.server = server;
            this.ownerToken = ownerToken;
            this.env = env;
            this.owner = new EkJar.Api(server, ownerToken);
            this.anonymous = new EkJar.Api(server, null);
            this.environment = environment;
        }

        static Node on(String databaseUrl) {
            return on(databaseUrl, Map.of());
        }

        static Node on(String databaseUrl, Map<String, String> settings) {
            Map<String, String> env = new HashMap<>(BOUNDS);
            env.putAll(settings);
            env.put("EK_DATABASE_URL", databaseUrl);
            env.put("EK_MASTER_KEY", EkJar.newMasterKey());
            Path dir = EkJar.tempDir("ek-outage");
            EkJar.Result init = EkJar.init(dir, env);
            assertThat(init.exitCode()).as(init.stderr()).isZero();
            String ownerToken = init.stdoutLines().get(0);
            EkJar.Server server = EkJar.serve(dir, env);
            String environment = EkJar.webProduction(new EkJar.Api(server, ownerToken));
            return new Node(server, ownerToken, environment, env);
        }

        String secretBody(String key) {
            return EkJar.bulkCreateBody(List.of(environment), Map.of(key, "value-of-" + key));
        }

        /** Sends, and fails the test if the answer took longer than {@link #ANSWER_BOUND}. */
        EkJar.Reply timed(HttpRequest.Builder request) {
            long started = System.nanoTime();
            EkJar.Reply reply = owner.send(request.timeout(Duration.ofSeconds(30)));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(took).as("answer %s took %s", reply, took).isLessThan(ANSWER_BOUND);
            return reply;
        }

        /** Every write the node answered 201 is there with its value, read back once the database is back. */
        void assertEveryAcknowledgedKeyPresent() {
            EkJar.Reply list = owner.get(SECRETS + "?environment=" + environment);
            assertThat(list.status()).as(list.toString()).isEqualTo(200);
            assertThat(acknowledged).isNotEmpty();
            for (String key : acknowledged) {
                assertThat(list.body()).as("acknowledged key %s", key).contains("\"" + key + "\"").contains("value-of-" + key);
            }
        }

        @Override
        public void close() {
            server.close();
        }
    }

    /** A writer and a reader against the node until closed; every answer is recorded with how long it took. */
    static final class Stream implements AutoCloseable {
        private record Answer(String what, int status, boolean retryAfter, String message, long millis) {}

        private final Node node;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        private final AtomicInteger sequence = new AtomicInteger();
        private final AtomicInteger sinceClear = new AtomicInteger();
        final AtomicInteger unavailable = new AtomicInteger();
        private final List<Thread> threads = new ArrayList<>();

        Stream(Node node) {
            this.node = node;
            threads.add(Thread.ofPlatform().name("outage-writer").start(() -> loop(true)));
            threads.add(Thread.ofPlatform().name("outage-reader").start(() -> loop(false)));
        }

        private void loop(boolean write) {
            while (running.get()) {
                String key = "K" + sequence.incrementAndGet();
                HttpRequest.Builder request = write
                        ? node.owner.builder(SECRETS).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(node.secretBody(key)))
                        : node.owner.builder(SECRETS + "?environment=" + node.environment).GET();
                long started = System.nanoTime();
                EkJar.Reply reply;
                try {
                    reply = node.owner.send(request.timeout(Duration.ofSeconds(30)));
                } catch (RuntimeException e) {
                    answers.add(new Answer(write ? "write" : "read", -1, false, e.toString(), (System.nanoTime() - started) / 1_000_000));
                    continue;
                }
                long millis = (System.nanoTime() - started) / 1_000_000;
                String message = reply.status() >= 400 ? reply.json().path("message").asText() : null;
                answers.add(new Answer(write ? "write" : "read", reply.status(), reply.headers().firstValue("Retry-After").isPresent(), message, millis));
                if (write && reply.status() == 201) {
                    node.acknowledged.add(key);
                    sinceClear.incrementAndGet();
                }
                if (reply.status() == 503) unavailable.incrementAndGet();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void awaitAcknowledged(int n) {
            EkJar.awaitCondition(n + " writes acknowledged", Duration.ofSeconds(30), () -> node.acknowledged.size() >= n);
        }

        void clear() {
            answers.clear();
            sinceClear.set(0);
            unavailable.set(0);
        }

        int acknowledgedSinceClear() {
            return sinceClear.get();
        }

        /** Each answer since the last clear: within the bound, and a 503 with Retry-After and the fixed message, or a success. */
        void assertAllAnswersFastAndRight(String fault) {
            List<Answer> seen = List.copyOf(answers);
            assertThat(seen).as("answers while " + fault).isNotEmpty();
            long slowest = 0;
            for (Answer a : seen) {
                slowest = Math.max(slowest, a.millis());
                assertThat(a.millis()).as("%s while %s took too long: %s", a.what(), fault, a).isLessThan(ANSWER_BOUND.toMillis());
                if (a.status() == 503) {
                    assertThat(a.retryAfter()).as("a 503 has Retry-After: %s", a).isTrue();
                    assertThat(a.message()).as("one clear message, no SQL: %s", a).isIn("the database is unavailable; retry later",
                            "this node cannot check credentials right now; retry");
                } else {
                    assertThat(a.status()).as("%s while %s: a 503 or a right answer, never a 500 or a refusal: %s", a.what(), fault, a)
                            .isIn(200, 201);
                }
            }
            System.out.printf("%s: %d answers, %d were 503, slowest %d ms%n", fault, seen.size(),
                    seen.stream().filter(a -> a.status() == 503).count(), slowest);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(40));
        }
    }

    // ---- the stalling proxy ----

    /**
     * A TCP proxy to PostgreSQL that can stall: while stalled it forwards nothing either way and opens nothing new,
     * but closes nothing either (a network that holds packets); released, it forwards what it held and goes on.
     */
    static final class StallingProxy implements AutoCloseable {
        private final ServerSocket listener;
        private final int target;
        private volatile boolean stalled;
        private volatile boolean closed;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        StallingProxy(int target) throws IOException {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().name("proxy-accept").start(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        synchronized void stall() {
            stalled = true;
        }

        synchronized void release() {
            stalled = false;
            notifyAll();
        }

        private void accept() {
            while (!closed) {
                try {
                    Socket client = listener.accept();
                    sockets.add(client);
                    Thread.ofPlatform().daemon().start(() -> connect(client));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void connect(Socket client) {
            try {
                holdWhileStalled();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(server);
                Thread.ofPlatform().daemon().start(() -> pump(client, server));
                pump(server, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }

        private void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    holdWhileStalled(); // what was read is held, not dropped
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away: close both
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        /** Waits until released (or closed): woken by {@link #release}, not polling. */
        private synchronized void holdWhileStalled() {
            while (stalled && !closed) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private static void closeQuietly(Socket socket) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing: nothing to do
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
            try {
                listener.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sockets.forEach(StallingProxy::closeQuietly);
        }
    }
}
