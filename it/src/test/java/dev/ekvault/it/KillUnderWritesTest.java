package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kill -9} under a stream of writes, three times, on SQLite and on PostgreSQL: several clients create secrets
 * as fast as the server answers, each secret recorded only once its 201 arrived; the server is killed (SIGKILL, no
 * shutdown hook) while writes are in flight and restarted on the same data. At the end every acknowledged secret is
 * there with its value — a write is answered only after it has committed. (What a power loss does to the disk is not
 * something a test can do; SQLite's {@code synchronous=FULL} is what covers it, see the README.)
 */
class KillUnderWritesTest {
    private static final int WRITERS = 4;
    private static final int KILLS = 3;
    /** Writes acknowledged in each round before its kill: enough that the kill lands among writes in flight. */
    private static final int ACKNOWLEDGED_PER_ROUND = 40;
    private static final Duration ROUND_DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path work;

    @Test
    void everyAcknowledgedWriteSurvivesKillsOnSqlite() throws Exception {
        killThreeTimesUnderWrites(Map.of("EK_DATA_DIR", work.resolve("data").toString(), "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0"));
    }

    @Test
    void everyAcknowledgedWriteSurvivesKillsOnPostgres() throws Exception {
        killThreeTimesUnderWrites(Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY", EkJar.newMasterKey(),
                "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0"));
    }

    private void killThreeTimesUnderWrites(Map<String, String> env) throws Exception {
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as("init; stderr:\n%s", init.stderr()).isZero();
        String token = init.stdoutLines().get(0);
        AtomicReference<EkJar.Server> server = new AtomicReference<>(EkJar.serve(work, env));
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        try {
            EkJar.Api api = new EkJar.Api(server.get(), token);
            String team = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
            assertThat(api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(team) + "}")
                    .status()).isEqualTo(201);
            String environment = api.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\"}").json().get("id").asText();

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
                    for (int n = 0; !stop.get(); n++) {
                        String key = "K_" + writer + "_" + n;
                        String value = "value-" + writer + "-" + n + "-" + Long.toHexString(System.nanoTime());
                        if (create(http, server.get(), token, environment, key, value)) acknowledged.put(key, value);
                    }
                }));
            }

            for (int kill = 1; kill <= KILLS; kill++) {
                int before = acknowledged.size();
                EkJar.awaitCondition(ACKNOWLEDGED_PER_ROUND + " more writes acknowledged before kill " + kill, ROUND_DEADLINE,
                        () -> acknowledged.size() >= before + ACKNOWLEDGED_PER_ROUND);
                EkJar.Server killed = server.get();
                killed.process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, writes in flight
                assertThat(killed.process.waitFor(30, TimeUnit.SECONDS)).as("the killed server exited").isTrue();
                assertThat(killed.process.exitValue()).as("killed by SIGKILL").isEqualTo(137);
                server.set(EkJar.serve(work, env));
            }
            int last = acknowledged.size();
            EkJar.awaitCondition("writes acknowledged after the last restart", ROUND_DEADLINE, () -> acknowledged.size() > last);
            stop.set(true);
            for (Thread writer : writers) writer.join(Duration.ofSeconds(30));

            EkJar.Server after = server.get();
            EkJar.Reply list = new EkJar.Api(after, token).get("/v1/workspace/acme/project/web/secret?environmentId=" + environment);
            assertThat(list.status()).as("%s", list).isEqualTo(200);
            Map<String, String> stored = new HashMap<>();
            for (JsonNode secret : list.json()) stored.put(secret.get("name").asText(), secret.get("values").get(0).get("value").asText());
            System.out.println("[KillUnderWritesTest] " + env.keySet() + ": " + acknowledged.size() + " writes acknowledged across "
                    + KILLS + " kills, " + stored.size() + " stored");
            assertThat(acknowledged.size()).isGreaterThanOrEqualTo(KILLS * ACKNOWLEDGED_PER_ROUND);
            Map<String, String> missingOrWrong = new HashMap<>();
            acknowledged.forEach((key, value) -> {
                if (!value.equals(stored.get(key))) missingOrWrong.put(key, stored.get(key));
            });
            assertThat(missingOrWrong).as("acknowledged writes missing (null) or with another value after %d kills", KILLS).isEmpty();
        } finally {
            stop.set(true);
            for (Thread writer : writers) writer.join(Duration.ofSeconds(30));
            server.get().close();
        }
    }

    /** One secret created; true only when the server acknowledged it (201). A refused connection is the kill: retried. */
    private static boolean create(HttpClient http, EkJar.Server server, String token, String environment, String key, String value) {
        HttpRequest request = HttpRequest.newBuilder(server.uri("/v1/workspace/acme/project/web/secret"))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(EkJar.bulkCreateBody(List.of(environment), Map.of(key, value))))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 201;
        } catch (IOException e) {
            try {
                Thread.sleep(20); // the server is down (killed, restarting): try the next write shortly
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
