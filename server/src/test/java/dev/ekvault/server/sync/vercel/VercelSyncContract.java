package dev.ekvault.server.sync.vercel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.sync.SyncSteps;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Vercel target (issue 15) end to end: set up through the real wizard over HTTP, pushed by the real engine, into
 * {@link FakeVercel} (Vercel's REST API: Bearer token, teamId, paged lists, upsert, 429 with X-RateLimit-Reset).
 * Only the chosen Vercel target's variables are written; a variable shared with other targets loses only ours; a
 * retried push never duplicates; a bad token is reported and never echoed; other environments never travel.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class VercelSyncContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final String TOKEN = "vercel_tok_0123456789abcdef";
    static final AtomicInteger SEQ = new AtomicInteger();

    TestServer s;
    SyncSteps steps;
    FakeVercel vercel;

    @BeforeAll
    void startAll() throws Exception {
        s = TestServer.start(backend(), "--sync-allow-http-targets=true", "--sync-poll-millis=60000", "--sync-coalesce-millis=500",
                "--sync-lease-seconds=30", "--sync-max-backoff-seconds=60");
        steps = new SyncSteps(s, "vercel");
        vercel = new FakeVercel(TOKEN);
    }

    @AfterAll
    void stop() {
        vercel.close();
        s.close();
    }




    /** A Vercel sync of {@code env} into {@code project}'s {@code target}, set up through the wizard; returns its id. */
    private String sync(String env, FakeVercel.Project project, String target, String type, boolean deleteMissing) {
        String id = steps.begin();
        String team = project.teamId() == null ? "" : ",\"teamId\":\"" + project.teamId() + "\"";
        HttpResult auth = steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"" + vercel.url() + "\"" + team + "}");
        assertThat(auth.status()).as("%s", auth).isEqualTo(200);
        assertThat(auth.body()).doesNotContain(TOKEN);
        HttpResult where = steps.step(id, "target", "{\"project\":\"" + project.name() + "\",\"target\":\"" + target + "\""
                + (type == null ? "" : ",\"type\":\"" + type + "\"") + "}");
        assertThat(where.status()).as("%s", where).isEqualTo(200);
        HttpResult mapping = steps.step(id, "mapping", "{\"environmentId\":\"" + env + "\",\"deleteMissing\":" + deleteMissing + "}");
        assertThat(mapping.status()).as("%s", mapping).isEqualTo(200);
        assertThat(mapping.json().get("status").asText()).isEqualTo("active");
        return id;
    }





    @Test
    void createsUpdatesAndDeletesOnlyInTheChosenTarget() {
        FakeVercel.Project vp = vercel.project("web" + SEQ.incrementAndGet(), null);
        vercel.seed(vp, "A", "preview-a", null, "preview");
        vercel.seed(vp, "A", "branch-a", "feature-x", "preview");
        vercel.seed(vp, "HAND_MADE", "by-hand", null, "production");
        for (int i = 0; i < 5; i++) vercel.seed(vp, "FILL" + i, "f" + i, null, "development"); // more than one page
        String[] p = steps.project(Map.of("A", "1", "B", "2"));
        int before = vercel.requests().size();
        String id = sync(p[1], vp, "production", null, true);
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(steps.info(id).get("lastError").isNull()).as("%s", steps.info(id)).isTrue();
        assertThat(vercel.value(vp, "A", "production")).isEqualTo("1");
        assertThat(vercel.value(vp, "B", "production")).isEqualTo("2");
        assertThat(vercel.vars(vp, "A").stream().filter(v -> v.target.equals(List.of("production"))).findFirst().orElseThrow().type)
                .as("encrypted by default").isEqualTo("encrypted");
        assertThat(vercel.value(vp, "A", "preview")).as("another target's variable is left alone").isEqualTo("preview-a");
        assertThat(vercel.vars(vp, "A")).hasSize(3);
        assertThat(vercel.value(vp, "HAND_MADE", "production")).isEqualTo("by-hand");

        steps.set(p[0], p[1], "A", "1b");
        steps.remove(p[0], "B");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(vercel.value(vp, "A", "production")).isEqualTo("1b");
        assertThat(vercel.vars(vp, "A")).as("updated in place, not duplicated").hasSize(3);
        assertThat(vercel.vars(vp, "B")).as("deleted with deleteMissing").isEmpty();
        assertThat(vercel.value(vp, "HAND_MADE", "production")).as("a key never ours is not deleted").isEqualTo("by-hand");
        assertThat(vercel.value(vp, "A", "preview")).isEqualTo("preview-a");
        assertThat(steps.settleAndPush()).as("nothing more to push").isZero();

        List<FakeVercel.Request> calls = vercel.requests().subList(before, vercel.requests().size());
        assertThat(calls).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN));
        assertThat(calls).as("the list is followed past its first page")
                .anyMatch(r -> r.method().equals("GET") && r.path().endsWith("/env") && r.query().containsKey("until"));
        assertThat(calls).as("values are never asked for back").noneMatch(r -> r.query().containsKey("decrypt"));
        assertThat(calls).as("no team, no teamId").noneMatch(r -> r.query().containsKey("teamId"));
        assertThat(calls).as("the updated value went with a PATCH of the one variable")
                .anyMatch(r -> r.method().equals("PATCH") && r.body().contains("1b"));
    }

    @Test
    void withoutDeleteMissingADeletedKeyStaysInVercel() {
        FakeVercel.Project vp = vercel.project("keep" + SEQ.incrementAndGet(), null);
        String[] p = steps.project(Map.of("KEEP", "k", "GONE", "g"));
        sync(p[1], vp, "preview", null, false);
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(vercel.value(vp, "GONE", "preview")).isEqualTo("g");
        steps.remove(p[0], "GONE");
        steps.settleAndPush();
        assertThat(vercel.value(vp, "GONE", "preview")).isEqualTo("g");
        assertThat(vercel.requests()).noneMatch(r -> r.method().equals("DELETE") && r.path().contains(vp.id()));
    }

    @Test
    void aVariableSharedWithOtherTargetsLosesOnlyOurs() {
        FakeVercel.Project vp = vercel.project("shared" + SEQ.incrementAndGet(), null);
        vercel.seed(vp, "SHARED", "old", null, "production", "preview");
        String[] p = steps.project(Map.of("SHARED", "new", "LATER", "ours"));
        sync(p[1], vp, "production", null, true);
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(vercel.value(vp, "SHARED", "production")).isEqualTo("new");
        assertThat(vercel.value(vp, "SHARED", "preview")).as("the other target keeps its value").isEqualTo("old");
        assertThat(vercel.vars(vp, "SHARED")).hasSize(2);

        // someone in Vercel makes LATER one variable for production and development; then it is deleted here
        FakeVercel.Var ours = vercel.vars(vp, "LATER").get(0);
        synchronized (vercel) {
            ours.target = new java.util.ArrayList<>(List.of("production", "development"));
        }
        steps.remove(p[0], "LATER");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(vercel.value(vp, "LATER", "production")).isNull();
        assertThat(vercel.value(vp, "LATER", "development")).as("development keeps it").isEqualTo("ours");
    }

    @Test
    void aTeamProjectIsReachedWithItsTeamIdOnEveryCall() {
        FakeVercel.Project vp = vercel.project("team" + SEQ.incrementAndGet(), "team_acme");
        String[] p = steps.project(Map.of("T", "1"));
        String id = steps.begin();
        assertThat(steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"" + vercel.url() + "\"}").status()).isEqualTo(200);
        HttpResult noTeam = steps.step(id, "target", "{\"project\":\"" + vp.name() + "\",\"target\":\"production\"}");
        assertThat(noTeam.status()).isEqualTo(400);
        assertThat(noTeam.message()).contains("'project'").contains("teamId");
        HttpResult badTeam = steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"teamId\":\"team acme\",\"apiUrl\":\"" + vercel.url() + "\"}");
        assertThat(badTeam.status()).isEqualTo(400);
        assertThat(badTeam.message()).contains("'teamId'");

        int before = vercel.requests().size();
        sync(p[1], vp, "production", null, true);
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(vercel.value(vp, "T", "production")).isEqualTo("1");
        List<FakeVercel.Request> calls = vercel.requests().subList(before, vercel.requests().size());
        assertThat(calls).isNotEmpty().allSatisfy(r -> assertThat(r.query().get("teamId")).as("%s %s", r.method(), r.path()).isEqualTo("team_acme"));
    }

    @Test
    void aRateLimitIsHonouredAnOutageCaughtUpAndARetryNeverDuplicates() {
        FakeVercel.Project vp = vercel.project("limits" + SEQ.incrementAndGet(), null);
        String[] p = steps.project(Map.of("K", "v1"));
        String id = sync(p[1], vp, "production", null, true);
        vercel.answerNext(429, Map.of("X-RateLimit-Reset", Long.toString(System.currentTimeMillis() / 1000 + 30)));
        int before = vercel.requests().size();
        assertThat(steps.settleAndPush()).isZero();
        JsonNode limited = steps.info(id);
        assertThat(limited.get("lastError").asText()).contains("429").contains("rate limited");
        assertThat(limited.get("pending").asBoolean()).isTrue();
        assertThat(Instant.parse(limited.get("nextAttemptAt").asText()).toEpochMilli() - s.clock.millis())
                .as("until X-RateLimit-Reset").isBetween(27_000L, 31_000L);
        s.clock.advance(Duration.ofSeconds(20));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(vercel.requests()).as("no call before the reset").hasSize(before + 1);

        // an outage: the list works, the create lands but its answer is lost; then the API is down
        vercel.passNext();
        vercel.landThenFail();
        vercel.answerNext(503, Map.of());
        s.clock.advance(Duration.ofSeconds(11));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(steps.info(id).get("lastError").asText()).contains("502");
        assertThat(vercel.value(vp, "K", "production")).as("it did land").isEqualTo("v1");
        steps.set(p[0], p[1], "K", "v2"); // a change during the outage
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(steps.info(id).get("lastError").asText()).contains("503");
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).as("caught up once Vercel is back").isEqualTo(1);
        JsonNode back = steps.info(id);
        assertThat(back.get("lastError").isNull()).isTrue();
        assertThat(back.get("pending").asBoolean()).isFalse();
        assertThat(vercel.vars(vp, "K")).as("the retry did not make a second variable").hasSize(1);
        assertThat(vercel.value(vp, "K", "production")).isEqualTo("v2");
    }

    @Test
    void aBadTokenIsReportedAndNeverEchoed() {
        FakeVercel.Project vp = vercel.project("tok" + SEQ.incrementAndGet(), null);
        String[] p = steps.project(Map.of("S", "1"));
        String id = steps.begin();
        String wrong = "vercel_tok_wrong_99999999";
        HttpResult bad = steps.step(id, "auth", "{\"token\":\"" + wrong + "\",\"apiUrl\":\"" + vercel.url() + "\"}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.message()).contains("'token'").contains("403");
        assertThat(bad.body()).doesNotContain(wrong);
        HttpResult spaced = steps.step(id, "auth", "{\"token\":\"two words here\",\"apiUrl\":\"" + vercel.url() + "\"}");
        assertThat(spaced.status()).isEqualTo(400);
        assertThat(spaced.body()).doesNotContain("two words");
        assertThat(steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"" + vercel.url() + "\"}").status())
                .as("positive control: the right token").isEqualTo(200);

        String sync = sync(p[1], vp, "production", null, true);
        vercel.token("rotated_token_abcdefgh"); // the token was revoked in Vercel
        try {
            assertThat(steps.settleAndPush()).isZero();
            JsonNode status = steps.info(sync);
            assertThat(status.get("lastError").asText()).contains("refused the credential").contains("403");
            assertThat(status.toString()).doesNotContain(TOKEN);
            assertThat(vercel.value(vp, "S", "production")).isNull();
        } finally {
            vercel.token(TOKEN);
        }
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).as("positive control: the token works again").isEqualTo(1);
        assertThat(vercel.value(vp, "S", "production")).isEqualTo("1");
    }

    @Test
    void unmappedEnvironmentsAndPersonalOverridesAreNeverSent() {
        FakeVercel.Project vp = vercel.project("scope" + SEQ.incrementAndGet(), null);
        String[] p = steps.project(Map.of("SHARED_KEY", "shared"));
        String other = s.createEnvironment(p[0], "staging", false);
        s.createSecrets(p[0], List.of(other), Map.of("STAGING_ONLY", "staging-value"));
        TestServer.Session dev = s.invitePerson("vsync-dev" + SEQ.incrementAndGet() + "@example.com", "developer", null);
        String secretId = s.get(WS + "/project/" + p[0] + "/secret/SHARED_KEY", s.ownerToken).json().get("id").asText();
        assertThat(s.putAs(dev, WS + "/project/" + p[0] + "/secret/" + secretId,
                "{\"values\":[{\"environmentId\":\"" + p[1] + "\",\"value\":\"my-own-override\",\"isPersonal\":true}]}").status()).isEqualTo(200);
        int before = vercel.requests().size();
        sync(p[1], vp, "production", null, true);
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(vercel.value(vp, "SHARED_KEY", "production")).isEqualTo("shared");
        assertThat(vercel.requests().subList(before, vercel.requests().size()))
                .noneMatch(r -> r.body().contains("STAGING_ONLY") || r.body().contains("staging-value") || r.body().contains("my-own-override"));
        s.createSecrets(p[0], List.of(other), Map.of("STAGING_TWO", "x"));
        int after = vercel.requests().size();
        assertThat(steps.settleAndPush()).isZero();
        assertThat(vercel.requests()).hasSize(after);
    }

    @Test
    void theWizardChecksItsAnswersAndSensitiveVariablesAreMade() {
        FakeVercel.Project vp = vercel.project("wiz" + SEQ.incrementAndGet(), null);
        String[] p = steps.project(Map.of("SECRET_ONE", "s1"));
        String id = steps.begin();
        assertThat(steps.step(id, "target", "{\"project\":\"" + vp.name() + "\",\"target\":\"production\"}").status())
                .as("no target before auth").isEqualTo(409);
        assertThat(steps.step(id, "auth", "{\"apiUrl\":\"" + vercel.url() + "\"}").message()).contains("'token'");
        assertThat(steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"ftp://example.com\"}").message()).contains("'apiUrl'");
        // the token is checked with Vercel outside any transaction: a write elsewhere meanwhile is not held up
        String elsewhere = steps.project(Map.of())[0];
        vercel.duringNextCall(() -> s.createEnvironment(elsewhere, "written-meanwhile", false));
        assertThat(steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"" + vercel.url() + "\"}").status()).isEqualTo(200);
        assertThat(s.get(WS + "/project/" + elsewhere + "/environment", s.ownerToken).body()).contains("written-meanwhile");
        assertThat(s.get("/v1/sync/vercel/flow?syncConfigId=" + id + "&step=target", s.ownerToken).json().toString()).contains("production").contains("sensitive");
        assertThat(steps.step(id, "target", "{\"project\":\"" + vp.name() + "\",\"target\":\"staging\"}").message()).contains("'target'");
        assertThat(steps.step(id, "target", "{\"project\":\"" + vp.name() + "\",\"target\":\"production\",\"type\":\"plain\"}").message()).contains("'type'");
        assertThat(steps.step(id, "target", "{\"project\":\"" + vp.name() + "\",\"target\":\"development\",\"type\":\"sensitive\"}").message())
                .contains("'type'");
        assertThat(steps.step(id, "target", "{\"project\":\"no-such-project\",\"target\":\"production\"}").message()).contains("'project'");
        assertThat(steps.step(id, "target", "{\"project\":\"bad/name\",\"target\":\"production\"}").message()).contains("'project'");
        // the auth step answered again while Vercel is asked about the project: the target step must be sent again
        vercel.duringNextCall(() -> assertThat(steps.step(id, "auth", "{\"token\":\"" + TOKEN + "\",\"apiUrl\":\"" + vercel.url() + "\"}").status())
                .isEqualTo(200));
        HttpResult raced = steps.step(id, "target", "{\"project\":\"" + vp.name() + "\",\"target\":\"production\"}");
        assertThat(raced.status()).as("%s", raced).isEqualTo(409);
        HttpResult ok = steps.step(id, "target", "{\"project\":\"" + vp.name() + "\",\"target\":\"production\",\"type\":\"sensitive\"}");
        assertThat(ok.status()).as("%s", ok).isEqualTo(200);
        assertThat(steps.step(id, "mapping", "{\"environmentId\":\"" + p[1] + "\"}").status()).isEqualTo(200);
        assertThat(steps.info(id).toString()).as("the project is kept by id").contains(vp.id()).doesNotContain(TOKEN);
        assertThat(steps.info(id).get("sendValues").asBoolean()).as("the status says values are sent").isTrue();
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(vercel.value(vp, "SECRET_ONE", "production")).isEqualTo("s1");
        assertThat(vercel.vars(vp, "SECRET_ONE").get(0).type).isEqualTo("sensitive");
    }
}
