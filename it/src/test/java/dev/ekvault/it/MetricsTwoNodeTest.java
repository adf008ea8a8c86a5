package dev.ekvault.it;

import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar as an operator runs it: two nodes on one PostgreSQL, each with its metrics port. A token revoked on A is
 * refused by B, and B's {@code /metrics} shows the revocation lag (the credential row's commit to its application on
 * B) within the bound and the refusal by its reason; B's log line of that refusal names the client and the reason,
 * and no output of either process holds the token.
 */
class MetricsTwoNodeTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String scrape(int port) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .header("Authorization", "Bearer scrape-it").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return r.body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The sum of the samples named {@code name} whose labels include {@code labels} (written as in the exposition). */
    private static double value(String exposition, String name, String... labels) {
        double sum = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{.*})? (\\S+)$").matcher(exposition);
        while (m.find()) {
            String found = m.group(1) == null ? "" : m.group(1);
            boolean all = true;
            for (String label : labels) all &= found.contains(label);
            if (all) sum += Double.parseDouble(m.group(2));
        }
        return sum;
    }

    @Test
    void revocationLagAndRefusalsAreScrapedFromTheOtherNode() {
        int metricsA = EkJar.freePort();
        int metricsB = EkJar.freePort();
        Map<String, String> env = Map.of("EK_DATABASE_URL", TestPostgres.freshDatabase(), "EK_MASTER_KEY", EkJar.newMasterKey(),
                "EK_RATE_LIMIT_PER_IP_PER_MINUTE", "0");
        Path dirA = EkJar.tempDir("ek-metrics-a");
        EkJar.Result init = EkJar.init(dirA, env);
        assertThat(init.exitCode()).as(init.stderr()).isZero();
        String owner = init.stdoutLines().get(0);
        try (EkJar.Server a = EkJar.serve(dirA, env, "--metrics-port=" + metricsA, "--metrics-token=scrape-it");
             EkJar.Server b = EkJar.serve(EkJar.tempDir("ek-metrics-b"), env, "--metrics-port=" + metricsB, "--metrics-token=scrape-it")) {
            EkJar.Reply created = new EkJar.Api(a, owner).post("/v1/workspace/acme/tokens",
                    "{\"name\":\"ci\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}");
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String token = created.json().get("token").asText();
            EkJar.Api onB = new EkJar.Api(b, token);
            assertThat(onB.get("/v1/workspace/acme/project").status()).as("the positive control on B").isEqualTo(200);
            double appliedBefore = value(scrape(metricsB), "ek_change_feed_lag_seconds_count", "kind=\"credential\"");

            assertThat(new EkJar.Api(a, owner).delete("/v1/workspace/acme/tokens/" + created.json().get("id").asText()).status()).isEqualTo(204);
            EkJar.awaitCondition("node B refuses the revoked token", Duration.ofSeconds(5),
                    () -> onB.get("/v1/workspace/acme/project").status() == 401);

            // a request is counted just after its answer is written: the last refusal may be a moment behind
            EkJar.awaitCondition("B's metrics count the refusal", Duration.ofSeconds(5),
                    () -> value(scrape(metricsB), "ek_auth_refusals_total", "reason=\"revoked\"") >= 1);
            String exposition = scrape(metricsB);
            double applied = value(exposition, "ek_change_feed_lag_seconds_count", "kind=\"credential\"");
            assertThat(applied).as("B applied the revocation's change row").isGreaterThan(appliedBefore);
            assertThat(value(exposition, "ek_change_feed_lag_seconds_bucket", "kind=\"credential\"", "le=\"2.0\""))
                    .as("every credential change reached B within two seconds of its commit").isEqualTo(applied);
            assertThat(value(exposition, "ek_auth_refusals_total", "reason=\"revoked\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(exposition, "ek_http_request_duration_seconds_count", "route=\"/v1/workspace/{ws}/project\"",
                    "status=\"401\"", "credential=\"none\"")).isGreaterThanOrEqualTo(1);
            assertThat(value(scrape(metricsA), "ek_security_events_total", "event=\"revocation\"")).as("A made the revocation").isEqualTo(1);
            assertThat(exposition).doesNotContain(token).doesNotContain(created.json().get("id").asText()).doesNotContain("acme");

            EkJar.awaitCondition("B logged the refusal", Duration.ofSeconds(5),
                    () -> b.stderr().contains("\"refusal\":\"revoked\""));
            String refused = b.stderrLines().stream().filter(l -> l.contains("\"refusal\":\"revoked\"")).findFirst().orElseThrow();
            assertThat(EkJar.jsonObject(refused).get("client").asText()).isEqualTo("127.0.0.1");
            for (EkJar.Server node : List.of(a, b)) {
                assertThat(node.stderr() + node.stdout()).as("no output holds the token or the scrape token")
                        .doesNotContain(token).doesNotContain(token.substring(8, 30)).doesNotContain("scrape-it");
            }
        }
    }
}
