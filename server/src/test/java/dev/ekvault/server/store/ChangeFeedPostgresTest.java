package dev.ekvault.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestPostgres;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where PostgreSQL lets commits come out of order: two nodes on one database, and transactions held open by the test on
 * a connection of its own (a writer stalled between its INSERT and its COMMIT). Every committed change is found, on every
 * node, whatever the order of commits, the length of the stall and the writers' clocks.
 */
class ChangeFeedPostgresTest extends ChangeFeedContract {
    @Override
    Backend backend() {
        return Backend.POSTGRESQL;
    }

    /** A writer stalled after its INSERT: the credential revoked and its change row taken, not yet committed. */
    private static Connection stalledRevocation(TestServer node, String credentialId) throws SQLException {
        Connection c = DriverManager.getConnection(node.config.database().url());
        c.setAutoCommit(false);
        Sql.update(c, "UPDATE credential SET revoked_at = ? WHERE id = ?", node.clock.millis(), credentialId);
        String workspaceId = Sql.one(c, "SELECT workspace_id FROM credential WHERE id = ?", r -> r.getString(1), credentialId);
        ChangeFeed.record(c, ChangeFeed.Kind.CREDENTIAL, workspaceId, credentialId);
        return c;
    }

    private static long seqOf(Connection c, String entityId) throws SQLException {
        return Sql.one(c, "SELECT MAX(seq) FROM change_log WHERE entity_id = ?", r -> r.getLong(1), entityId);
    }

    /** Issue 10: what a token minted dies with it on every node, the JWTs exchanged from its children included. */
    @Test
    void revokingATokenOnOneNodeStopsWhatItMintedOnTheOther() {
        try (TestServer a = TestServer.start(backend()); TestServer b = a.anotherNode(new TestClock())) {
            String parent = a.post("/v1/workspace/acme/tokens", a.ownerToken,
                    "{\"name\":\"parent\",\"permission\":\"read-write\",\"expiresIn\":\"30d\"}").json().get("token").asText();
            JsonNode parentRow = a.post("/v1/workspace/acme/tokens", a.ownerToken,
                    "{\"name\":\"sibling\",\"permission\":\"read\",\"expiresIn\":\"30d\"}").json();
            String sibling = parentRow.get("token").asText();
            HttpResult child = b.post("/v1/workspace/acme/tokens", parent, "{\"name\":\"child\",\"permission\":\"read\",\"expiresIn\":\"30d\"}");
            assertThat(child.status()).as(child.toString()).isEqualTo(201);
            String childToken = child.json().get("token").asText();
            String childJwt = exchange(b, childToken);
            await("node a knows the child", Duration.ofSeconds(5), () -> status(a, childToken) == 200);
            String parentId = null;
            for (JsonNode t : a.get("/v1/workspace/acme/tokens", a.ownerToken).json()) {
                if (t.get("name").asText().equals("parent")) parentId = t.get("id").asText();
            }
            assertThat(a.delete("/v1/workspace/acme/tokens/" + parentId, a.ownerToken).status()).isEqualTo(204);
            assertThat(status(a, childToken)).as("at once on the revoking node").isEqualTo(401);
            await("the child refused on the other node", Duration.ofSeconds(5), () -> status(b, childToken) == 401 && status(b, childJwt) == 401);
            assertThat(status(b, sibling)).as("control: not minted through it").isEqualTo(200);
        }
    }

    @Test
    void aChangeCommittedLongAfterAHigherNumberWasReadIsFoundOnEveryNode() throws Exception {
        try (TestServer a = TestServer.start(backend()); TestServer b = a.anotherNode(new TestClock())) {
            JsonNode late = createToken(a);
            String lateToken = late.get("token").asText();
            String lateJwt = exchange(a, lateToken);
            JsonNode later = createToken(a);
            String control = createToken(a).get("token").asText();
            assertThat(status(b, lateToken)).isEqualTo(200);
            assertThat(status(b, lateJwt)).isEqualTo(200);

            try (Connection stalled = stalledRevocation(a, late.get("id").asText())) {
                long lateSeq = seqOf(stalled, late.get("id").asText());
                // a later change, committed at once: both nodes read past the stalled one's number
                assertThat(a.delete("/v1/workspace/acme/tokens/" + later.get("id").asText(), a.ownerToken).status()).isEqualTo(204);
                await("node B refuses the token revoked later", BOUND, () -> status(b, later.get("token").asText()) == 401);
                try (Connection look = DriverManager.getConnection(a.config.database().url())) {
                    assertThat(seqOf(look, later.get("id").asText())).as("committed first, numbered after").isGreaterThan(lateSeq);
                }
                assertThat(status(b, lateToken)).as("not committed yet: still live").isEqualTo(200);

                // the stall outlasts the old five-second window on the nodes' clocks (which that window was read by);
                // the feed now re-reads the skipped number whatever the time, so no real waiting is needed
                a.clock.advance(Duration.ofMinutes(1));
                b.clock.advance(Duration.ofMinutes(1));
                stalled.commit();
            }
            for (TestServer node : new TestServer[] {a, b}) {
                await("every node refuses the late-committed revocation and its JWT", BOUND,
                        () -> status(node, lateToken) == 401 && status(node, lateJwt) == 401);
                assertThat(status(node, control)).as("positive control").isEqualTo(200);
            }
        }
    }

    @Test
    void aChangeCommittedWhileANodeStartsIsNotMissed() throws Exception {
        try (TestServer a = TestServer.start(backend())) {
            JsonNode late = createToken(a);
            String lateToken = late.get("token").asText();
            try (Connection stalled = stalledRevocation(a, late.get("id").asText())) {
                String control = createToken(a).get("token").asText(); // numbered after the stalled change, committed before B starts
                try (TestServer b = a.anotherNode(new TestClock())) {
                    assertThat(status(b, lateToken)).as("B loaded before the commit").isEqualTo(200);
                    stalled.commit();
                    await("node B refuses the revocation committed after its start", BOUND, () -> status(b, lateToken) == 401);
                    assertThat(status(b, control)).as("positive control").isEqualTo(200);
                }
            }
        }
    }

    /**
     * A plain TCP relay to PostgreSQL that the test can cut: every open connection is closed and new ones are closed as
     * soon as they arrive, as when the network to the database fails; {@link #restore} lets them through again.
     */
    static final class CuttableProxy implements AutoCloseable {
        private final java.net.ServerSocket server;
        private final java.util.Set<java.net.Socket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private volatile boolean cut;

        CuttableProxy(int targetPort) throws java.io.IOException {
            server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        java.net.Socket client = server.accept();
                        if (cut) {
                            client.close();
                            continue;
                        }
                        java.net.Socket upstream = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), targetPort);
                        open.add(client);
                        open.add(upstream);
                        Thread.ofVirtual().start(() -> pump(client, upstream));
                        Thread.ofVirtual().start(() -> pump(upstream, client));
                    } catch (java.io.IOException e) {
                        // closed, or one connection failed: the server keeps accepting until closed
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private void pump(java.net.Socket from, java.net.Socket to) {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (java.io.IOException e) {
                // cut or closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        void cut() {
            cut = true;
            for (java.net.Socket socket : open) closeQuietly(socket);
            open.clear();
        }

        void restore() {
            cut = false;
        }

        private static void closeQuietly(java.net.Socket socket) {
            try {
                socket.close();
            } catch (java.io.IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws java.io.IOException {
            cut();
            server.close();
        }
    }

    @Test
    void aNodeCutOffFromTheDatabaseAnswers503WithRetryAfterAndRecovers() throws Exception {
        try (TestServer a = TestServer.start(backend())) {
            String token = createToken(a).get("token").asText();
            java.util.regex.Matcher target = java.util.regex.Pattern.compile("^jdbc:postgresql://[^:/]+:(\\d+)/").matcher(a.config.database().url());
            assertThat(target.find()).as(a.config.database().url()).isTrue();
            try (CuttableProxy proxy = new CuttableProxy(Integer.parseInt(target.group(1)));
                 // a grace of 2 s, not the default 30 (measured on the monotonic clock, not the injected one): with 30 the
                 // wait for the 503 took 30-40 s and ran past this test's bound on a loaded CI machine
                 TestServer b = a.anotherNode(new TestClock(), "--database-url="
                         + a.config.database().url().replaceFirst("//[^/]+/", "//127.0.0.1:" + proxy.port() + "/"),
                         "--access-outage-grace-seconds=2")) {
                assertThat(status(b, token)).isEqualTo(200);
                proxy.cut();
                await("node B, unable to poll, answers 503 with Retry-After", Duration.ofSeconds(40), () -> {
                    dev.ekvault.server.testing.HttpResult r = b.get(TEAMS, token);
                    return r.status() == 503 && r.headers().firstValue("Retry-After").orElse("").equals("1");
                });
                proxy.restore();
                await("node B serves again once the database is back", Duration.ofSeconds(40), () -> status(b, token) == 200);
            }
        }
    }

    @Test
    void aNumberLeftByARolledBackTransactionIsGivenUpAfterTheBoundAndAFullReloadStandsInForIt() throws Exception {
        try (dev.ekvault.server.store.Database db = new dev.ekvault.server.store.Database(TestPostgres.freshDatabase(), "", "", 2)) {
            dev.ekvault.server.store.Migrations.apply(db, new TestClock());
            java.util.concurrent.atomic.AtomicInteger reloads = new java.util.concurrent.atomic.AtomicInteger();
            java.util.List<String> applied = new java.util.concurrent.CopyOnWriteArrayList<>();
            ChangeFeed feed = new ChangeFeed(db, new TestClock(), Duration.ofMillis(200), Duration.ofSeconds(300), 1_000);
            feed.listen(ChangeFeed.Kind.CREDENTIAL, change -> applied.add(change.entityId()));
            feed.onFullReload(reloads::incrementAndGet);
            feed.skipToEnd();

            try {
                db.write(c -> {
                    ChangeFeed.record(c, ChangeFeed.Kind.CREDENTIAL, "w", "rolled-back");
                    Sql.one(c, "SELECT 1", r -> r.getInt(1)); // the row is queued (DeferredWrites): this sends it, and it takes its number
                    throw new IllegalStateException("roll back");
                });
            } catch (IllegalStateException expected) {
                // its number is gone for good
            }
            db.write(c -> {
                ChangeFeed.record(c, ChangeFeed.Kind.CREDENTIAL, "w", "after");
                return null;
            });
            feed.poll();
            assertThat(applied).containsExactly("after");
            assertThat(reloads).as("a gap younger than the bound is waited for").hasValue(0);
            await("the gap is given up after the bound (database time) and everything is reloaded", BOUND, () -> {
                feed.poll();
                return reloads.get() == 1;
            });
            feed.poll();
            assertThat(reloads).as("once: the gap is forgotten").hasValue(1);
            assertThat(applied).containsExactly("after");
        }
    }

    @Test
    void aWriterWhoseClockIsHoursBehindChangesNothing() throws Exception {
        TestClock hoursBehind = new TestClock(new TestClock().instant().minus(Duration.ofHours(3)));
        try (TestServer a = TestServer.start(backend()); TestServer slow = a.anotherNode(hoursBehind)) {
            JsonNode token = createToken(a);
            String value = token.get("token").asText();
            assertThat(status(a, value)).isEqualTo(200);
            assertThat(slow.delete("/v1/workspace/acme/tokens/" + token.get("id").asText(), slow.ownerToken).status()).isEqualTo(204);
            await("the other node refuses the token revoked by the node whose clock is behind", BOUND, () -> status(a, value) == 401);

            try (Connection c = DriverManager.getConnection(a.config.database().url())) {
                long at = Sql.one(c, "SELECT at FROM change_log WHERE entity_id = ? ORDER BY seq DESC LIMIT 1", r -> r.getLong(1),
                        token.get("id").asText());
                long databaseNow = Sql.one(c, "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)", r -> r.getLong(1));
                assertThat(databaseNow - at).as("stamped by the database, not by the writer (%s)", Instant.ofEpochMilli(at))
                        .isBetween(0L, 60_000L);
                assertThat(Math.abs(at - hoursBehind.millis())).isGreaterThan(Duration.ofHours(1).toMillis());
            }
        }
    }
}
