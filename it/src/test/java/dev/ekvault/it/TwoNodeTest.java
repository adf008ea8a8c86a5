package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two server processes on one PostgreSQL, as behind a load balancer: a token revoked on one node, and every JWT
 * exchanged from it, is refused by the other within about a second (awaited, not slept), and the exchange limit of
 * ten a minute is one allowance shared by both nodes.
 */
class TwoNodeTest {
    /** How long the other node may take: the change feed polls every 200 ms; the rest is margin for a busy CI. */
    private static final Duration REVOCATION_BOUND = Duration.ofSeconds(2);

    private record Cluster(EkJar.Server a, EkJar.Server b, String ownerToken, String secrets) implements AutoCloseable {
        @Override
        public void close() {
            a.close();
            b.close();
        }
    }

    private static Cluster cluster() {
        return cluster(Map.of());
    }

    private static Cluster cluster(Map<String, String> extraEnv) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY",
                EkJar.newMasterKey(), "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0"));
        env.putAll(extraEnv);
        Path dirA = EkJar.tempDir("ek-node-a");
        EkJar.Result init = EkJar.init(dirA, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String owner = init.stdoutLines().get(0);
        EkJar.Server a = EkJar.serve(dirA, env);
        EkJar.Server b;
        try {
            b = EkJar.serve(EkJar.tempDir("ek-node-b"), env);
        } catch (RuntimeException | Error e) {
            a.close();
            throw e;
        }
        EkJar.Api api = new EkJar.Api(a, owner);
        String team = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
        api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(team) + "}");
        String env1 = api.post("/v1/workspace/acme/project/web/environment", "{\"name\":\"production\"}").json().get("id").asText();
        api.post("/v1/workspace/acme/project/web/secret", EkJar.bulkCreateBody(List.of(env1), Map.of("KEY", "value")));
        return new Cluster(a, b, owner, "/v1/workspace/acme/project/web/secret");
    }

    private static JsonNode createToken(EkJar.Server node, String owner) {
        EkJar.Reply r = new EkJar.Api(node, owner).post("/v1/workspace/acme/tokens",
                "{\"name\":\"ci\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    private static EkJar.Reply exchange(EkJar.Server node, String token) {
        return new EkJar.Api(node, token).send(new EkJar.Api(node, token).builder("/v1/auth/exchange")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()));
    }

    @Test
    void aTokenRevokedOnOneNodeAndItsJwtsStopOnTheOtherWithinTheBound() {
        try (Cluster c = cluster()) {
            JsonNode created = createToken(c.a(), c.ownerToken());
            String token = created.get("token").asText();
            EkJar.Api tokenOnB = new EkJar.Api(c.b(), token);
            assertThat(tokenOnB.get(c.secrets()).status()).as("a token made on A works on B at once").isEqualTo(200);
            String jwt = exchange(c.a(), token).json().get("accessToken").asText();
            EkJar.Api jwtOnB = new EkJar.Api(c.b(), jwt);
            assertThat(jwtOnB.get(c.secrets()).status()).as("a JWT signed by A is accepted by B").isEqualTo(200);

            assertThat(new EkJar.Api(c.a(), c.ownerToken()).delete("/v1/workspace/acme/tokens/" + created.get("id").asText()).status()).isEqualTo(204);
            long revokedAt = System.nanoTime();
            EkJar.awaitCondition("node B refuses the revoked token and its JWT", REVOCATION_BOUND,
                    () -> tokenOnB.get(c.secrets()).status() == 401 && jwtOnB.get(c.secrets()).status() == 401);
            System.out.printf("revocation reached the other node in %d ms%n", (System.nanoTime() - revokedAt) / 1_000_000);
            assertThat(new EkJar.Api(c.b(), c.ownerToken()).get(c.secrets()).status()).as("positive control").isEqualTo(200);
        }
    }

    /**
     * A node stopped (SIGSTOP, as a long GC pause or a frozen VM would) while a token is revoked elsewhere: the requests
     * waiting for it when it resumes (SIGCONT) are answered after it caught up, never from the copy it had when it
     * stopped. The pause is longer than two poll intervals and than the old five-second window.
     */
    @Test
    void aNodeResumingFromAPauseRefusesWhatWasRevokedDuringIt() throws Exception {
        try (Cluster c = cluster()) {
            JsonNode created = createToken(c.a(), c.ownerToken());
            String token = created.get("token").asText();
            String jwt = exchange(c.a(), token).json().get("accessToken").asText();
            String control = createToken(c.a(), c.ownerToken()).get("token").asText();
            for (String t : List.of(token, jwt, control)) assertThat(new EkJar.Api(c.b(), t).get(c.secrets()).status()).isEqualTo(200);

            signal("STOP", c.b());
            try {
                assertThat(new EkJar.Api(c.a(), c.ownerToken()).delete("/v1/workspace/acme/tokens/" + created.get("id").asText()).status())
                        .isEqualTo(204);
                java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
                java.util.function.Function<String, java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> sent =
                        t -> client.sendAsync(HttpRequest.newBuilder(c.b().uri(c.secrets())).header("Authorization", "Bearer " + t)
                                .timeout(Duration.ofSeconds(60)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                // queued in the stopped node's socket: the first requests it reads when it resumes
                var revokedToken = sent.apply(token);
                var revokedJwt = sent.apply(jwt);
                var stillLive = sent.apply(control);
                // the pause itself, not a wait for an outcome: it must outlast two poll intervals (400 ms), which is what makes
                // the resumed node stale; the node is a separate process on the real clock, so no injected clock can stand in
                Thread.sleep(1_000);
                signal("CONT", c.b());
                assertThat(revokedToken.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).as("revoked token").isEqualTo(401);
                assertThat(revokedJwt.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).as("its JWT").isEqualTo(401);
                assertThat(stillLive.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).as("positive control").isEqualTo(200);
            } finally {
                signal("CONT", c.b());
            }
        }
    }

    private static void signal(String name, EkJar.Server node) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(node.process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -" + name).isZero();
    }

    @Test
    void aRotationOnOneNodeKillsTheOldValueOnTheOther() {
        try (Cluster c = cluster()) {
            JsonNode created = createToken(c.b(), c.ownerToken());
            String old = created.get("token").asText();
            EkJar.Api oldOnA = new EkJar.Api(c.a(), old);
            assertThat(oldOnA.get(c.secrets()).status()).isEqualTo(200);
            EkJar.Reply rotated = new EkJar.Api(c.b(), c.ownerToken()).post("/v1/workspace/acme/tokens/" + created.get("id").asText() + "/rotate", "");
            assertThat(rotated.status()).isEqualTo(200);
            EkJar.awaitCondition("node A refuses the rotated-away value", REVOCATION_BOUND, () -> oldOnA.get(c.secrets()).status() == 401);
            assertThat(new EkJar.Api(c.a(), rotated.json().get("token").asText()).get(c.secrets()).status()).isEqualTo(200);
        }
    }

    @Test
    void aMemberRemovedOnOneNodeIsSignedOutOnTheOther() {
        try (Cluster c = cluster()) {
            EkJar.Api ownerOnA = new EkJar.Api(c.a(), c.ownerToken());
            EkJar.Reply invite = ownerOnA.post("/v1/workspace/acme/members", "{\"email\":\"dev@example.com\",\"role\":\"developer\"}");
            assertThat(invite.status()).as(invite.toString()).isEqualTo(201);
            String url = invite.json().get("inviteUrl").asText();
            EkJar.Reply accepted = new EkJar.Api(c.a(), null).post("/v1/invites/" + url.substring(url.lastIndexOf('/') + 1) + "/accept",
                    "{\"password\":\"correct horse battery staple\"}");
            assertThat(accepted.status()).as(accepted.toString()).isEqualTo(200);
            String setCookie = accepted.headers().firstValue("Set-Cookie").orElseThrow();
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));
            EkJar.Api personOnB = new EkJar.Api(c.b(), null);
            java.util.function.IntSupplier meOnB = () -> personOnB.send(personOnB.builder("/v1/me").header("Cookie", cookie).GET()).status();
            assertThat(meOnB.getAsInt()).as("the session made on A works on B").isEqualTo(200);

            String userId = accepted.json().get("id").asText();
            assertThat(ownerOnA.delete("/v1/workspace/acme/members/" + userId).status()).isEqualTo(204);
            EkJar.awaitCondition("node B refuses the removed member's session", REVOCATION_BOUND, () -> meOnB.getAsInt() == 401);
        }
    }

    @Test
    void theExchangeAllowanceIsSharedByTheNodesAndBadGuessesDoNotSpendIt() {
        // one new JWT a minute per token: a node that already issued one answers it again, uncounted; a node that has
        // none must sign one, which the allowance another node spent refuses
        try (Cluster c = cluster(Map.of("EK_RATE_LIMIT_EXCHANGES_PER_TOKEN_PER_MINUTE", "1"))) {
            String token = createToken(c.a(), c.ownerToken()).get("token").asText();
            for (int i = 0; i < 20; i++) assertThat(exchange(i % 2 == 0 ? c.a() : c.b(), "ek_live_" + "Z".repeat(43)).status()).isEqualTo(401);
            EkJar.Reply first = exchange(c.a(), token);
            assertThat(first.status()).as("%s", first).isEqualTo(200);
            EkJar.Reply refused = exchange(c.b(), token);
            assertThat(refused.status()).as("the allowance node a spent").isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            EkJar.Reply again = exchange(c.a(), token);
            assertThat(again.status()).as("node a answers its JWT again").isEqualTo(200);
            assertThat(again.json().get("accessToken").asText()).isEqualTo(first.json().get("accessToken").asText());
        }
    }
}
