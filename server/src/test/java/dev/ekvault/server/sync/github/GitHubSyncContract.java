package dev.ekvault.server.sync.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.sync.SyncSteps;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GitHub Actions target (issue 15) end to end: set up through the wizard over HTTP, pushed by the engine to an
 * in-process GitHub ({@link FakeGitHub}) that opens every sealed value with its own private key. Repository and
 * environment secrets, updates, deletes with and without deleteMissing, keys GitHub cannot name, its primary
 * (X-RateLimit-Reset) and secondary (Retry-After) rate limits, an outage and the catch-up, a refused token, the
 * wizard's checks, and nothing sent for environments the sync does not map.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GitHubSyncContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final String TOKEN = "github_pat_11AAAAAAA0testtokenvalue_abcdefghijklmnopqrstuvwxyz0123456789";
    static final AtomicInteger SEQ = new AtomicInteger();

    TestServer s;
    SyncSteps steps;
    FakeGitHub github;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(backend(), "--sync-allow-http-targets=true", "--sync-poll-millis=60000", "--sync-coalesce-millis=500",
                "--sync-lease-seconds=30", "--sync-max-backoff-seconds=60");
        steps = new SyncSteps(s, "github");
        github = new FakeGitHub(TOKEN);
    }

    @AfterAll
    void stop() {
        github.close();
        s.close();
    }


    /** A repository the fake knows, with these deployment environments. */
    private String repository(String... environments) {
        String repo = "acme-org/app" + SEQ.incrementAndGet();
        github.repository(repo, environments);
        return repo;
    }

    private String startAndAuth() {
        HttpResult started = s.post("/v1/sync/github/start", s.ownerToken, "");
        assertThat(started.status()).as("%s", started).isEqualTo(201);
        String id = started.json().get("syncConfigId").asText();
        HttpResult auth = steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"" + github.url() + "/\"}");
        assertThat(auth.status()).as("%s", auth).isEqualTo(200);
        assertThat(auth.body()).doesNotContain(TOKEN);
        return id;
    }


    /** A GitHub sync of {@code env} to {@code repo} (and {@code environment}, may be empty); returns its id. */
    private String sync(String env, String repo, String environment, boolean deleteMissing) {
        String id = startAndAuth();
        HttpResult target = steps.step(id, "target", "{\"repository\":\"" + repo + "\",\"environment\":\"" + environment + "\"}");
        assertThat(target.status()).as("%s", target).isEqualTo(200);
        HttpResult mapping = steps.step(id, "mapping", "{\"environmentId\":\"" + env + "\",\"deleteMissing\":" + deleteMissing + "}");
        assertThat(mapping.status()).as("%s", mapping).isEqualTo(200);
        assertThat(mapping.json().get("status").asText()).isEqualTo("active");
        return id;
    }





    private List<FakeGitHub.Call> callsSince(int mark) {
        return github.calls().subList(mark, github.calls().size());
    }

    private static List<String> described(List<FakeGitHub.Call> calls) {
        List<String> out = new ArrayList<>();
        for (FakeGitHub.Call c : calls) out.add(c.method() + " " + c.path());
        return out;
    }

    @Test
    void theFirstPushWritesEveryKeySealedForTheRepository() throws Exception {
        String[] p = steps.project(Map.of("DB_URL", "postgres://user:pässword@db/app", "api_key", "k-1", "EMPTYISH", " "));
        String repo = repository();
        String id = sync(p[1], repo, "", true);
        int mark = github.calls().size();
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(github.secrets(repo, "")).as("opened by GitHub's private key; names upper-cased")
                .isEqualTo(Map.of("DB_URL", "postgres://user:pässword@db/app", "API_KEY", "k-1", "EMPTYISH", " "));
        List<FakeGitHub.Call> calls = callsSince(mark);
        assertThat(described(calls)).containsExactly("GET /repos/" + repo + "/actions/secrets/public-key",
                "PUT /repos/" + repo + "/actions/secrets/API_KEY", "PUT /repos/" + repo + "/actions/secrets/DB_URL",
                "PUT /repos/" + repo + "/actions/secrets/EMPTYISH");
        assertThat(calls).as("Accept, X-GitHub-Api-Version, User-Agent on every call").allMatch(FakeGitHub.Call::headersOk);
        JsonNode status = steps.info(id);
        assertThat(status.get("lastError").isNull()).isTrue();
        assertThat(status.get("pending").asBoolean()).isFalse();
        assertThat(status.get("settings").get("repository").asText()).isEqualTo(repo);
        assertThat(status.toString()).doesNotContain(TOKEN);
        assertThat(steps.settleAndPush()).as("nothing more to push").isZero();

        // what a workflow author would list: the fake's paginated listing holds the three names
        HttpClient http = HttpClient.newHttpClient();
        List<String> listed = new ArrayList<>();
        String next = github.url() + "/repos/" + repo + "/actions/secrets?per_page=2";
        while (next != null) {
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(next)).header("Authorization", "Bearer " + TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            new ObjectMapper().readTree(page.body()).get("secrets").forEach(n -> listed.add(n.get("name").asText()));
            String link = page.headers().firstValue("Link").orElse("");
            next = link.contains("rel=\"next\"") ? link.substring(1, link.indexOf('>')) : null;
        }
        assertThat(listed).containsExactly("API_KEY", "DB_URL", "EMPTYISH");
    }

    @Test
    void updatesWriteOnlyWhatChangedAndDeletesFollowDeleteMissing() {
        String[] p = steps.project(Map.of("A", "1", "B", "2", "C", "3"));
        String repo = repository();
        sync(p[1], repo, "", true);
        steps.settleAndPush();
        github.putByHand(repo, "", "SET_BY_HAND", "x");
        int mark = github.calls().size();
        steps.set(p[0], p[1], "A", "1b");
        steps.remove(p[0], "C");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(described(callsSince(mark))).containsExactly("GET /repos/" + repo + "/actions/secrets/public-key",
                "PUT /repos/" + repo + "/actions/secrets/A", "DELETE /repos/" + repo + "/actions/secrets/C");
        assertThat(github.secrets(repo, "")).as("a secret this sync did not write stays").isEqualTo(Map.of("A", "1b", "B", "2", "SET_BY_HAND", "x"));

        // only a delete: no public key needed
        mark = github.calls().size();
        steps.remove(p[0], "B");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(described(callsSince(mark))).containsExactly("DELETE /repos/" + repo + "/actions/secrets/B");

        // without deleteMissing, a key removed here stays there
        String[] q = steps.project(Map.of("KEEP", "1", "ALSO", "2"));
        String other = repository();
        sync(q[1], other, "", false);
        steps.settleAndPush();
        steps.remove(q[0], "KEEP");
        mark = github.calls().size();
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(callsSince(mark)).isEmpty();
        assertThat(github.secrets(other, "")).isEqualTo(Map.of("KEEP", "1", "ALSO", "2"));
    }

    @Test
    void environmentSecretsGoToThatEnvironmentWithItsOwnKey() {
        String[] p = steps.project(Map.of("STAGE_KEY", "env-value"));
        String repo = repository("production", "qa/eu west");
        sync(p[1], repo, "qa/eu west", true);
        int mark = github.calls().size();
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(github.secrets(repo, "qa/eu west")).isEqualTo(Map.of("STAGE_KEY", "env-value"));
        assertThat(github.secrets(repo, "")).as("not the repository's").isEmpty();
        assertThat(github.secrets(repo, "production")).isEmpty();
        assertThat(described(callsSince(mark))).containsExactly("GET /repos/" + repo + "/environments/qa%2Feu%20west/secrets/public-key",
                "PUT /repos/" + repo + "/environments/qa%2Feu%20west/secrets/STAGE_KEY");
        steps.remove(p[0], "STAGE_KEY");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(github.secrets(repo, "qa/eu west")).isEmpty();
    }

    @Test
    void keysThatCannotBeGitHubNamesAreNamedInTheStatusAndTheRestLands() {
        String[] p = steps.project(Map.of("GOOD", "g", "my-key", "m", "GITHUB_TOKEN_X", "t", "9LIVES", "n", "Mixed", "a", "MIXED", "b"));
        String repo = repository();
        String id = sync(p[1], repo, "", true);
        assertThat(steps.settleAndPush()).isZero();
        assertThat(github.secrets(repo, "")).as("the rest is written").isEqualTo(Map.of("GOOD", "g"));
        JsonNode status = steps.info(id);
        assertThat(status.get("lastError").asText()).contains("5 cannot be GitHub secrets").contains("my-key").contains("GITHUB_TOKEN_X")
                .contains("9LIVES").contains("Mixed").contains("MIXED (same name as another key once upper-cased)").doesNotContain("GOOD");
        assertThat(status.get("lastError").asText()).as("names, never values").doesNotContain("\"m\"");
        steps.remove(p[0], "Mixed"); // the clash resolved: MIXED goes
        assertThat(status.get("pending").asBoolean()).as("not silently done").isTrue();
        // renamed away, the next push succeeds
        steps.remove(p[0], "my-key");
        steps.remove(p[0], "GITHUB_TOKEN_X");
        steps.remove(p[0], "9LIVES");
        steps.set(p[0], p[1], "MY_KEY", "m");
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isEqualTo(1);
        assertThat(github.secrets(repo, "")).isEqualTo(Map.of("GOOD", "g", "MY_KEY", "m", "MIXED", "b"));
        assertThat(steps.info(id).get("lastError").isNull()).isTrue();
        // GOOD renamed to good: the same GitHub name, written and not deleted after
        steps.remove(p[0], "GOOD");
        steps.set(p[0], p[1], "good", "g2");
        int mark = github.calls().size();
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(described(callsSince(mark))).containsExactly("GET /repos/" + repo + "/actions/secrets/public-key",
                "PUT /repos/" + repo + "/actions/secrets/GOOD");
        assertThat(github.secrets(repo, "")).isEqualTo(Map.of("GOOD", "g2", "MY_KEY", "m", "MIXED", "b"));
    }

    @Test
    void rateLimitsAreHonouredAndAnOutageIsCaughtUp() {
        String[] p = steps.project(Map.of("K", "v1"));
        String repo = repository();
        String id = sync(p[1], repo, "", true);
        s.clock.advance(Duration.ofSeconds(1));
        // the primary limit: 403 with X-RateLimit-Remaining 0 and the reset as epoch seconds
        long reset = s.clock.millis() / 1000 + 40;
        github.answerNext(403, Map.of("x-ratelimit-limit", "5000", "x-ratelimit-remaining", "0", "x-ratelimit-reset", Long.toString(reset)));
        assertThat(s.server.syncEngine().runDue()).isZero();
        JsonNode limited = steps.info(id);
        assertThat(limited.get("lastError").asText()).contains("403").contains("rate limited");
        assertThat(Instant.parse(limited.get("nextAttemptAt").asText()).toEpochMilli()).as("until the reset").isEqualTo(reset * 1000);
        int mark = github.calls().size();
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(callsSince(mark)).as("no call before the reset").isEmpty();

        // a secondary limit: 429 (or 403) with Retry-After
        s.clock.advance(Duration.ofSeconds(11));
        github.answerNext(429, Map.of("retry-after", "25"));
        assertThat(s.server.syncEngine().runDue()).isZero();
        JsonNode secondary = steps.info(id);
        assertThat(Instant.parse(secondary.get("nextAttemptAt").asText()).toEpochMilli() - s.clock.millis()).isEqualTo(25_000);

        // a secondary limit that names no wait: 403 "You have exceeded a secondary rate limit", at least a minute
        s.clock.advance(Duration.ofSeconds(26));
        github.answerNext(403, Map.of());
        assertThat(s.server.syncEngine().runDue()).isZero();
        JsonNode unnamed = steps.info(id);
        assertThat(unnamed.get("lastError").asText()).contains("403").contains("secondary rate limit");
        assertThat(Instant.parse(unnamed.get("nextAttemptAt").asText()).toEpochMilli() - s.clock.millis()).isEqualTo(60_000);
        s.clock.advance(Duration.ofSeconds(35));

        // an outage: 502s back off, a change meanwhile, then caught up
        github.answerNext(502, Map.of());
        github.answerNext(502, Map.of());
        s.clock.advance(Duration.ofSeconds(26));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(steps.info(id).get("lastError").asText()).contains("502");
        steps.set(p[0], p[1], "K", "v2");
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(github.secrets(repo, "")).isEmpty();
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).as("caught up once GitHub is back").isEqualTo(1);
        assertThat(github.secrets(repo, "")).isEqualTo(Map.of("K", "v2"));
        JsonNode back = steps.info(id);
        assertThat(back.get("lastError").isNull()).isTrue();
        assertThat(back.get("attempts").asInt()).isZero();
    }

    @Test
    void aRevokedTokenIsReportedAndNeverEchoed() {
        String[] p = steps.project(Map.of("R", "1"));
        String repo = repository();
        String id = sync(p[1], repo, "", true);
        github.token("github_pat_rotated_elsewhere_0000000000");
        try {
            assertThat(steps.settleAndPush()).isZero();
            JsonNode status = steps.info(id);
            assertThat(status.get("lastError").asText()).contains("401").contains("refused the credential").doesNotContain(TOKEN);
            assertThat(status.toString()).doesNotContain(TOKEN);
            HttpResult audit = s.get(WS + "/audit?limit=200", s.ownerToken);
            assertThat(audit.status()).isEqualTo(200);
            assertThat(audit.body()).doesNotContain(TOKEN);
        } finally {
            github.token(TOKEN);
        }
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).as("positive control: the right token again").isEqualTo(1);
        assertThat(github.secrets(repo, "")).isEqualTo(Map.of("R", "1"));
    }

    @Test
    void theWizardChecksTheTokenTheRepositoryAndTheEnvironment() {
        String[] p = steps.project(Map.of());
        String repo = repository("production");
        String id = s.post("/v1/sync/github/start", s.ownerToken, "").json().get("syncConfigId").asText();
        JsonNode authForm = s.get("/v1/sync/github/flow?syncConfigId=" + id + "&step=auth", s.ownerToken).json();
        assertThat(authForm.get("fields").get(0).get("name").asText()).isEqualTo("token");
        assertThat(authForm.get("fields").get(0).get("type").asText()).isEqualTo("secret");
        assertThat(steps.step(id, "target", "{\"repository\":\"" + repo + "\"}").status()).as("auth first").isEqualTo(409);
        String wrong = "ghp_wrongwrongwrongwrongwrongwrongwrong12";
        HttpResult refused = steps.step(id, "auth", "{\"token\":\"" + wrong + "\",\"apiUrl\":\"" + github.url() + "\"}");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.message()).contains("'token'").contains("401").doesNotContain(wrong);
        assertThat(steps.step(id, "auth", "{\"token\":\"has space in it\",\"apiUrl\":\"" + github.url() + "\"}").message()).contains("'token'");
        assertThat(steps.step(id, "auth", "{\"apiUrl\":\"" + github.url() + "\"}").message()).contains("'token'");
        HttpResult badUrl = steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"ftp://example.com\"}");
        assertThat(badUrl.status()).isEqualTo(400);
        assertThat(badUrl.message()).contains("'apiUrl'").doesNotContain(TOKEN);
        HttpResult auth = steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"" + github.url() + "\"}");
        assertThat(auth.status()).as("positive control").isEqualTo(200);
        assertThat(auth.body()).doesNotContain(TOKEN);

        assertThat(steps.step(id, "target", "{\"repository\":\"no-slash\"}").message()).contains("'repository'");
        assertThat(steps.step(id, "target", "{\"repository\":\"a/b/c\"}").message()).contains("'repository'");
        HttpResult missing = steps.step(id, "target", "{\"repository\":\"acme-org/does-not-exist\"}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.message()).contains("'repository'").contains("404");
        HttpResult noEnv = steps.step(id, "target", "{\"repository\":\"" + repo + "\",\"environment\":\"staging\"}");
        assertThat(noEnv.status()).isEqualTo(400);
        assertThat(noEnv.message()).contains("'environment'");
        assertThat(steps.step(id, "target", "{\"repository\":\"" + repo + "\",\"environment\":\"production\"}").status()).as("positive control").isEqualTo(200);
        assertThat(steps.step(id, "target", "{\"repository\":\"" + repo + "\"}").status()).isEqualTo(200);
        assertThat(steps.step(id, "mapping", "{\"environmentId\":\"" + p[1] + "\"}").status()).isEqualTo(200);
        JsonNode shown = steps.info(id);
        assertThat(shown.get("hasCredential").asBoolean()).isTrue();
        assertThat(shown.get("settings").get("apiUrl").asText()).isEqualTo(github.url());
        assertThat(shown.toString()).doesNotContain(TOKEN);
        String stored = s.server.database().read(c -> dev.ekvault.server.store.Sql.one(c, "SELECT credential FROM sync_config WHERE id = ?",
                r -> new String(r.getBytes(1), java.nio.charset.StandardCharsets.ISO_8859_1), id));
        assertThat(stored).as("sealed at rest").doesNotContain(TOKEN);
        assertThat(steps.settleAndPush()).as("its first push, so no other test sees it due").isEqualTo(1);
    }

    @Test
    void nothingIsSentForEnvironmentsTheSyncDoesNotMap() {
        String[] p = steps.project(Map.of("MAPPED", "m"));
        String other = s.createEnvironment(p[0], "staging", false);
        s.createSecrets(p[0], List.of(other), Map.of("STAGING_ONLY", "s"));
        String repo = repository();
        String id = sync(p[1], repo, "", true);
        steps.settleAndPush();
        assertThat(github.secrets(repo, "")).isEqualTo(Map.of("MAPPED", "m"));
        int mark = github.calls().size();
        s.createSecrets(p[0], List.of(other), Map.of("STAGING_TWO", "x"));
        assertThat(steps.info(id).get("pending").asBoolean()).isFalse();
        assertThat(steps.settleAndPush()).isZero();
        assertThat(callsSince(mark)).isEmpty();
    }
}
