package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node killed (SIGKILL) in the middle of a push, with real server processes on one PostgreSQL: the webhook holds the
 * first delivery unanswered, the node making it is killed, and the other node takes the sync over once the dead node's
 * lease ends, delivering the same push (the same webhook-id) with every change made before the kill.
 */
class SyncTakeoverTest {

    @Test
    void aPushInterruptedByAKilledNodeIsCompletedByTheOther() throws Exception {
        Map<String, String> env = Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY", EkJar.newMasterKey(),
                "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0", "EK_SYNC_ALLOW_HTTP_TARGETS", "true", "EK_SYNC_POLL_MILLIS", "100",
                "EK_SYNC_COALESCE_MILLIS", "100", "EK_SYNC_LEASE_SECONDS", "3", "EK_SYNC_FETCH_TIMEOUT_MILLIS", "60000");
        List<JsonNode> bodies = new CopyOnWriteArrayList<>();
        List<String> ids = new CopyOnWriteArrayList<>();
        CountDownLatch firstArrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService handlers = Executors.newCachedThreadPool();
        receiver.setExecutor(handlers);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            bodies.add(EkJar.JSON.readTree(body));
            ids.add(exchange.getRequestHeaders().getFirst("webhook-id"));
            if (bodies.size() == 1) {
                firstArrived.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS); // the first delivery is never answered: its node dies meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        Path dirA = EkJar.tempDir("ek-sync-a");
        EkJar.Result init = EkJar.init(dirA, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String owner = init.stdoutLines().get(0);
        try (EkJar.Server a = EkJar.serve(dirA, env)) {
            EkJar.Api api = new EkJar.Api(a, owner);
            String team = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
            api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(team) + "}");
            String production = api.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\"}").json().get("id").asText();
            api.post("/v1/workspace/acme/project/web/secret", EkJar.bulkCreateBody(List.of(production), Map.of("ONE", "1", "TWO", "2")));
            String id = api.post("/v1/sync/webhook/start", "").json().get("syncConfigId").asText();
            assertThat(api.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", "{}").status()).isEqualTo(200);
            assertThat(api.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=target",
                    "{\"url\":\"http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook\"}").status()).isEqualTo(200);
            assertThat(api.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping", "{\"environmentId\":\"" + production + "\"}")
                    .status()).isEqualTo(200);

            assertThat(firstArrived.await(30, TimeUnit.SECONDS)).as("node A began the push").isTrue();
            a.process.destroyForcibly();
            assertThat(a.process.waitFor(20, TimeUnit.SECONDS)).isTrue();

            try (EkJar.Server b = EkJar.serve(EkJar.tempDir("ek-sync-b"), env)) {
                EkJar.awaitCondition("node B delivers the push node A died in", Duration.ofSeconds(30), () -> bodies.size() >= 2);
                assertThat(ids.get(1)).as("the same push, so a receiver can drop a duplicate").isEqualTo(ids.get(0));
                List<String> changed = new java.util.ArrayList<>();
                bodies.get(1).get("data").get("changed").forEach(n -> changed.add(n.asText()));
                assertThat(changed).containsExactly("ONE", "TWO");
                EkJar.Api onB = new EkJar.Api(b, owner);
                EkJar.awaitCondition("the sync's status says it succeeded", Duration.ofSeconds(10),
                        () -> !onB.get("/v1/workspace/acme/sync/" + id).json().get("lastSuccessAt").isNull());
                JsonNode status = onB.get("/v1/workspace/acme/sync/" + id).json();
                assertThat(status.get("pending").asBoolean()).isFalse();
            }
        } finally {
            release.countDown();
            receiver.stop(0);
            handlers.shutdownNow();
        }
    }
}
