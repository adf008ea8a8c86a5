package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The server's output is JSON lines, request lines carry the X-Request-Id, and no token or secret value leaks. */
class LoggingTest {
    private static final String SECRET_VALUE = "s3cr3t-VALUE-do-not-log";

    @TempDir
    Path work;

    @Test
    void everyLineIsJsonRequestIdsMatchAndNothingSecretIsLogged() {
        Path data = work.resolve("data");
        Map<String, String> env = Map.of("EK_DATA_DIR", data.toString());
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as("init; stderr:\n%s", init.stderr()).isEqualTo(0);
        String token = init.stdoutLines().get(0);
        assertThat(init.stderr()).doesNotContain(token).doesNotContain("Bearer");

        EkJar.Server server = EkJar.serve(work, env);
        String shareToken;
        EkJar.Api api = new EkJar.Api(server, token);
        EkJar.Api wrong = new EkJar.Api(server, "ek_live_" + "Z".repeat(43));
        try {
            String teamId = api.get("/v1/workspace/acme/team").json().get(0).get("id").asText();
            assertThat(api.post("/v1/workspace/acme/project", "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(teamId) + "}")
                    .status()).isEqualTo(201);
            String environment = api.post("/v1/workspace/acme/project/web/environment",
                    "{\"name\":\"production\",\"hasPersonalOverrides\":false}").json().get("id").asText();
            EkJar.Reply created = api.post("/v1/workspace/acme/project/web/secret",
                    EkJar.bulkCreateBody(List.of(environment), Map.of("PASSWORD", SECRET_VALUE)));
            assertThat(created.status()).as("%s", created).isEqualTo(201);
            EkJar.Reply read = api.get("/v1/workspace/acme/project/web/secret/PASSWORD?environmentId=" + environment);
            assertThat(read.body()).contains(SECRET_VALUE);
            // a secret share: its token is in the view's path, and the request line names the route template instead
            EkJar.Reply share = api.post("/v1/workspace/acme/project/web/secret-share",
                    "{\"key\":\"PASSWORD\",\"environmentId\":\"" + environment + "\"}");
            assertThat(share.status()).as("%s", share).isEqualTo(201);
            shareToken = share.json().get("token").asText();
            assertThat(api.post("/v1/share/" + shareToken + "/view", "{}").body()).contains(SECRET_VALUE);
            // a request that fails while handling the value: a malformed body that contains it
            EkJar.Reply malformed = api.post("/v1/workspace/acme/project/web/secret", "{\"secrets\":[{\"value\":\"" + SECRET_VALUE + "\"");
            assertThat(malformed.status()).isEqualTo(400);
            assertThat(wrong.get("/v1/workspace").status()).isEqualTo(401);
            assertThat(api.get("/v1/workspace/acme/project/web/secret/NOPE").status()).isEqualTo(404);
            assertThat(api.get("/healthz").status()).isEqualTo(200);
            // a request's line is written just after its response: wait for the last one before SIGTERM, as lines
            // written during shutdown are lost (see GracefulShutdownTest#theShutdownAndTheInFlightRequestAreLogged)
            String last = api.requestIds.get(api.requestIds.size() - 1);
            EkJar.awaitCondition("the last request's log line is written", Duration.ofSeconds(30),
                    () -> server.stderr().contains("\"requestId\":\"" + last + "\""));
        } finally {
            server.close();
        }
        assertThat(server.process.isAlive()).isFalse();

        List<String> received = new ArrayList<>(api.requestIds);
        received.addAll(wrong.requestIds);
        assertThat(received).as("every response carried X-Request-Id").hasSize(11);
        assertThat(server.probeRequestIds).as("the readiness probe's 200 carried X-Request-Id").isNotEmpty();
        received.addAll(server.probeRequestIds);
        assertThat(new HashSet<>(received)).as("request ids are distinct").hasSize(received.size());

        List<String> lines = server.stderrLines();
        assertThat(lines).isNotEmpty();
        Set<String> logged = new HashSet<>();
        for (String line : lines) {
            JsonNode json = EkJar.jsonObject(line);
            assertThat(json).as("stderr line is a JSON object: %s", line).isNotNull();
            if (!"ek.request".equals(json.path("logger").asText())) continue;
            String requestId = json.path("requestId").asText("");
            assertThat(received).as("request line's requestId is an X-Request-Id we received: %s", line).contains(requestId);
            assertThat(json.has("method") && json.has("route") && json.has("status") && json.has("durationMs"))
                    .as("request line fields: %s", line).isTrue();
            if (json.path("route").asText().startsWith("/v1/share/")) {
                assertThat(json.path("route").asText()).as("the share's route is logged as its template").isEqualTo("/v1/share/{token}/view");
            }
            logged.add(requestId);
        }
        assertThat(logged).as("every request we made has its log line").containsExactlyInAnyOrderElementsOf(received);

        for (String output : List.of(server.stdout(), server.stderr())) {
            assertThat(output).doesNotContain(token).doesNotContain(SECRET_VALUE).doesNotContain("Bearer")
                    .doesNotContain(shareToken).doesNotContain(shareToken.substring("ek_share_".length()));
        }
        assertThat(server.stdout()).as("serve writes nothing on stdout").isEmpty();
    }
}
