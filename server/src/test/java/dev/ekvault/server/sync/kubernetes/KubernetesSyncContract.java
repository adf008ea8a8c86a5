package dev.ekvault.server.sync.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.sync.SyncSteps;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestCa;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes Secret target (issue 15) end to end: set up through the real wizard over HTTP, pushed by the engine
 * against a fake kube-apiserver over HTTPS whose certificate a CA made for the test signs, so the CA bundle given in
 * the wizard is what TLS really trusts. Creates, replaces with resourceVersion (and survives a 409), removes or keeps
 * keys as the sync says, never touches a Secret ek does not manage, reports a wrong CA and a refused token in the
 * sync's status without echoing the token, honours a 429's Retry-After and catches up after an outage.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KubernetesSyncContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.service-account-token.signature";
    static final AtomicInteger SEQ = new AtomicInteger();

    TestServer s;
    SyncSteps steps;
    TestCa ca;
    FakeKubeApi kube;

    @BeforeAll
    void start() throws Exception {
        ca = TestCa.get();
        kube = new FakeKubeApi(ca, TOKEN);
        kube.namespace("apps");
        s = TestServer.start(backend(), "--sync-allow-http-targets=true", "--sync-poll-millis=60000", "--sync-coalesce-millis=500",
                "--sync-lease-seconds=30", "--sync-max-backoff-seconds=60");
        steps = new SyncSteps(s, "kubernetes");
    }

    /** Each test counts its own pushes: the syncs earlier tests left (some failing on purpose) are paused. */
    @BeforeEach
    void quiet() {
        for (JsonNode sync : s.get(WS + "/sync", s.ownerToken).json()) {
            if (sync.get("status").asText().equals("active")) {
                assertThat(s.post(WS + "/sync/" + sync.get("id").asText() + "/pause", s.ownerToken, "").status()).isEqualTo(200);
            }
        }
    }

    @AfterAll
    void stop() {
        kube.close();
        s.close();
    }



    private static String auth(String server, String token, String caBundle) {
        return "{\"server\":" + TestServer.quote(server) + ",\"token\":" + TestServer.quote(token) + ",\"caBundle\":" + TestServer.quote(caBundle) + "}";
    }


    /** A sync of {@code env} into apps/{@code name}, set up through the wizard; returns its id. */
    private String sync(String env, String name, boolean deleteMissing) {
        String id = steps.begin();
        HttpResult auth = steps.step(id, "auth", auth(kube.url(), TOKEN, ca.caPem));
        assertThat(auth.status()).as("%s", auth).isEqualTo(200);
        assertThat(auth.body()).doesNotContain(TOKEN);
        HttpResult target = steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"" + name + "\"}");
        assertThat(target.status()).as("%s", target).isEqualTo(200);
        HttpResult mapping = steps.step(id, "mapping", "{\"environmentId\":\"" + env + "\",\"deleteMissing\":" + deleteMissing + "}");
        assertThat(mapping.status()).as("%s", mapping).isEqualTo(200);
        assertThat(mapping.json().get("status").asText()).isEqualTo("active");
        return id;
    }





    private long writes(String name) {
        return kube.calls().stream().filter(c -> !c.method().equals("GET") && c.path().contains("/secrets")
                && (c.path().endsWith("/" + name) || c.method().equals("POST"))).count();
    }

    @Test
    void createsTheSecretThenReplacesItAndRemovesDeletedKeys() {
        String[] p = steps.project(Map.of("DB_URL", "postgres://db", "API_KEY", "k-1"));
        String name = "web-" + SEQ.incrementAndGet();
        String id = sync(p[1], name, true);
        assertThat(steps.settleAndPush()).isEqualTo(1);
        ObjectNode created = kube.secret("apps", name);
        assertThat(created).as("created with POST").isNotNull();
        assertThat(created.get("type").asText()).isEqualTo("Opaque");
        assertThat(created.get("metadata").get("labels").get("app.kubernetes.io/managed-by").asText()).isEqualTo("ek");
        assertThat(created.get("metadata").get("annotations").get("ekvault.dev/sync-id").asText()).isEqualTo(id);
        assertThat(kube.data("apps", name)).isEqualTo(Map.of("DB_URL", "postgres://db", "API_KEY", "k-1"));
        assertThat(kube.calls()).anySatisfy(c -> {
            assertThat(c.method()).isEqualTo("POST");
            assertThat(c.path()).isEqualTo("/api/v1/namespaces/apps/secrets");
            assertThat(c.contentType()).isEqualTo("application/json");
        });
        String firstVersion = created.get("metadata").get("resourceVersion").asText();
        assertThat(steps.info(id).get("lastError").isNull()).isTrue();

        // someone adds a label and a key of their own with kubectl: the label stays, the key goes (deleteMissing)
        ObjectNode edited = kube.secret("apps", name);
        ((ObjectNode) edited.get("metadata").get("labels")).put("team", "payments");
        ((ObjectNode) edited.get("data")).put("HAND_MADE", "eA==");
        kube.put("apps", edited);
        steps.set(p[0], p[1], "API_KEY", "k-2 ünïcode");
        steps.remove(p[0], "DB_URL");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        ObjectNode replaced = kube.secret("apps", name);
        assertThat(kube.data("apps", name)).as("exactly the environment's values").isEqualTo(Map.of("API_KEY", "k-2 ünïcode"));
        assertThat(replaced.get("metadata").get("labels").get("team").asText()).isEqualTo("payments");
        assertThat(replaced.get("metadata").get("resourceVersion").asText()).isNotEqualTo(firstVersion);
        assertThat(kube.calls().get(kube.calls().size() - 1).method()).as("replaced with PUT").isEqualTo("PUT");
        assertThat(steps.info(id).get("lastError").isNull()).isTrue();
        assertThat(steps.settleAndPush()).as("nothing more to push").isZero();
    }

    @Test
    void withoutDeleteMissingKeysStay() {
        String[] p = steps.project(Map.of("KEEP_ME", "1", "OTHER", "2"));
        String name = "keep-" + SEQ.incrementAndGet();
        sync(p[1], name, false);
        steps.settleAndPush();
        steps.remove(p[0], "KEEP_ME");
        steps.set(p[0], p[1], "OTHER", "3");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(kube.data("apps", name)).isEqualTo(Map.of("KEEP_ME", "1", "OTHER", "3"));

        // another environment of the project is not this sync's: nothing is sent
        String staging = s.createEnvironment(p[0], "staging", false);
        s.createSecrets(p[0], List.of(staging), Map.of("STAGING_ONLY", "s"));
        int calls = kube.calls().size();
        assertThat(steps.settleAndPush()).isZero();
        assertThat(kube.calls()).hasSize(calls);
        assertThat(kube.data("apps", name)).doesNotContainKey("STAGING_ONLY");
    }

    @Test
    void aSecretEkDoesNotManageIsNeverOverwritten() {
        ObjectNode theirs = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        String name = "theirs-" + SEQ.incrementAndGet();
        theirs.putObject("metadata").put("name", name).putObject("labels").put("app.kubernetes.io/managed-by", "helm");
        theirs.put("type", "Opaque");
        theirs.putObject("data").put("PASSWORD", "c2VjcmV0");
        kube.put("apps", theirs);
        String[] p = steps.project(Map.of("X", "1"));
        String id = steps.begin();
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, ca.caPem)).status()).isEqualTo(200);
        HttpResult refused = steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"" + name + "\"}");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.message()).contains("'secretName'").contains("not managed by ek");
        String free = "free-" + SEQ.incrementAndGet();
        assertThat(steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"" + free + "\"}").status())
                .as("positive control: a name not taken").isEqualTo(200);
        assertThat(steps.step(id, "mapping", "{\"environmentId\":\"" + p[1] + "\"}").status()).isEqualTo(200);

        // and at push time: the Secret was replaced by someone else's meanwhile
        ObjectNode taken = theirs.deepCopy();
        ((ObjectNode) taken.get("metadata")).put("name", free);
        kube.put("apps", taken);
        long before = writes(free);
        assertThat(steps.settleAndPush()).isZero();
        assertThat(writes(free)).as("nothing written").isEqualTo(before);
        assertThat(steps.info(id).get("lastError").asText()).contains("not managed by ek").contains("apps/" + free);
        assertThat(kube.data("apps", free)).isEqualTo(Map.of("PASSWORD", "secret"));
    }

    @Test
    void theCaBundleIsWhatTlsTrusts() {
        String[] p = steps.project(Map.of("TLS_KEY", "v"));
        String id = steps.begin();
        HttpResult garbage = steps.step(id, "auth", auth(kube.url(), TOKEN, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----"));
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(garbage.message()).contains("'caBundle'");
        HttpResult key = steps.step(id, "auth", auth(kube.url(), TOKEN, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"));
        assertThat(key.message()).contains("'caBundle'").doesNotContain("AAAA");
        // the system trust store does not know the test CA, nor does another CA
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, "")).status()).isEqualTo(200);
        HttpResult system = steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"tls\"}");
        assertThat(system.status()).isEqualTo(400);
        assertThat(system.message()).contains("'caBundle'").contains("TLS");
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, ca.otherCaPem)).status()).isEqualTo(200);
        HttpResult other = steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"tls\"}");
        assertThat(other.status()).isEqualTo(400);
        assertThat(other.message()).contains("'caBundle'");
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, ca.otherCaPem + ca.caPem)).status()).isEqualTo(200);
        assertThat(steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"tls-" + SEQ.incrementAndGet() + "\"}").status())
                .as("positive control: a bundle holding the cluster's CA").isEqualTo(200);
        assertThat(steps.step(id, "mapping", "{\"environmentId\":\"" + p[1] + "\"}").status()).isEqualTo(200);
        assertThat(steps.settleAndPush()).isEqualTo(1);

        // the cluster's CA is later given wrong: every push fails TLS, and the status says so
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, ca.otherCaPem)).status()).isEqualTo(200);
        assertThat(steps.settleAndPush()).isZero();
        JsonNode failed = steps.info(id);
        assertThat(failed.get("lastError").asText()).contains("TLS").contains("CA bundle").doesNotContain(TOKEN);
        assertThat(failed.get("pending").asBoolean()).isTrue();
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, ca.caPem)).status()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).as("caught up with the right CA").isEqualTo(1);
        assertThat(steps.info(id).get("lastError").isNull()).isTrue();
    }

    @Test
    void aRefusedTokenIsReportedNeverEchoed() {
        String[] p = steps.project(Map.of("T", "1"));
        String id = steps.begin();
        assertThat(steps.step(id, "auth", auth(kube.url(), "wrong-token-123", ca.caPem)).status()).isEqualTo(200);
        HttpResult wrong = steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"t\"}");
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.message()).contains("'token'").contains("401").doesNotContain("wrong-token-123");
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, ca.caPem)).status()).isEqualTo(200);
        HttpResult noNamespace = steps.step(id, "target", "{\"namespace\":\"nowhere\",\"secretName\":\"t\"}");
        assertThat(noNamespace.status()).isEqualTo(400);
        assertThat(noNamespace.message()).contains("'namespace'");
        String name = "t-" + SEQ.incrementAndGet();
        assertThat(steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"" + name + "\"}").status()).isEqualTo(200);
        assertThat(steps.step(id, "mapping", "{\"environmentId\":\"" + p[1] + "\"}").status()).isEqualTo(200);
        assertThat(steps.settleAndPush()).isEqualTo(1);

        kube.token("rotated"); // the service account's token was revoked
        steps.set(p[0], p[1], "T", "2");
        assertThat(steps.settleAndPush()).isZero();
        JsonNode status = steps.info(id);
        assertThat(status.get("lastError").asText()).contains("401").doesNotContain(TOKEN);
        assertThat(status.toString()).doesNotContain(TOKEN);
        kube.token(TOKEN);
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isEqualTo(1);
        assertThat(kube.data("apps", name)).isEqualTo(Map.of("T", "2"));
    }

    @Test
    void aRateLimitIsHonouredAndAnOutageCaughtUp() {
        String[] p = steps.project(Map.of("R", "1"));
        String name = "rate-" + SEQ.incrementAndGet();
        String id = sync(p[1], name, true);
        kube.answerNext(429, Map.of("Retry-After", "30"));
        assertThat(steps.settleAndPush()).isZero();
        JsonNode limited = steps.info(id);
        assertThat(limited.get("lastError").asText()).contains("429");
        assertThat(Instant.parse(limited.get("nextAttemptAt").asText()).toEpochMilli() - s.clock.millis())
                .as("as long as Retry-After asks").isEqualTo(30_000);
        s.clock.advance(Duration.ofSeconds(20));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(kube.secret("apps", name)).isNull();

        kube.answerNext(503, Map.of());
        kube.answerNext(500, Map.of());
        s.clock.advance(Duration.ofSeconds(11));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(steps.info(id).get("attempts").asInt()).isEqualTo(2);
        assertThat(steps.info(id).get("lastError").asText()).contains("503");
        steps.set(p[0], p[1], "R", "2"); // changed during the outage
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(steps.info(id).get("lastError").asText()).contains("500");
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).as("caught up").isEqualTo(1);
        assertThat(kube.data("apps", name)).isEqualTo(Map.of("R", "2"));
        JsonNode back = steps.info(id);
        assertThat(back.get("lastError").isNull()).isTrue();
        assertThat(back.get("attempts").asInt()).isZero();
    }

    @Test
    void aWriteThatLostARaceIsRetriedOnceWithTheNewVersion() {
        String[] p = steps.project(Map.of("C", "1"));
        String name = "race-" + SEQ.incrementAndGet();
        String id = sync(p[1], name, true);
        steps.settleAndPush();
        kube.raceNextPuts(1);
        steps.set(p[0], p[1], "C", "2");
        assertThat(steps.settleAndPush()).as("409, read again, PUT again").isEqualTo(1);
        assertThat(kube.data("apps", name)).isEqualTo(Map.of("C", "2"));

        kube.raceNextPuts(2);
        steps.set(p[0], p[1], "C", "3");
        assertThat(steps.settleAndPush()).isZero();
        assertThat(steps.info(id).get("lastError").asText()).contains("409");
        assertThat(kube.data("apps", name)).isEqualTo(Map.of("C", "2"));
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isEqualTo(1);
        assertThat(kube.data("apps", name)).isEqualTo(Map.of("C", "3"));
    }

    @Test
    void aNamespaceThatIsGoneOrAForbiddenWriteIsSaid() {
        kube.namespace("short-lived");
        String[] p = steps.project(Map.of("N", "1"));
        String id = steps.begin();
        assertThat(steps.step(id, "auth", auth(kube.url(), TOKEN, ca.caPem)).status()).isEqualTo(200);
        assertThat(steps.step(id, "target", "{\"namespace\":\"short-lived\",\"secretName\":\"n\"}").status()).isEqualTo(200);
        assertThat(steps.step(id, "mapping", "{\"environmentId\":\"" + p[1] + "\"}").status()).isEqualTo(200);
        kube.dropNamespace("short-lived");
        assertThat(steps.settleAndPush()).isZero();
        assertThat(steps.info(id).get("lastError").asText()).contains("namespace 'short-lived' does not exist");
        kube.namespace("short-lived");
        kube.answerNext(404, Map.of()); // the GET
        kube.answerNext(403, Map.of()); // the POST: the role lost "create"
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(steps.info(id).get("lastError").asText()).contains("403").doesNotContain(TOKEN);
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isEqualTo(1);
        assertThat(kube.data("short-lived", "n")).isEqualTo(Map.of("N", "1"));
    }

    @Test
    void wizardAnswersAreChecked() {
        String id = steps.begin();
        assertThat(s.get("/v1/sync/kubernetes/flow?syncConfigId=" + id + "&step=auth", s.ownerToken).json().get("fields").toString())
                .contains("server").contains("token").contains("caBundle").contains("textarea");
        assertThat(steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"x\"}").status()).as("auth first").isEqualTo(409);
        assertThat(steps.step(id, "auth", auth("ftp://example.com", TOKEN, "")).message()).contains("'server'");
        assertThat(steps.step(id, "auth", auth(kube.url() + "?x=1", TOKEN, "")).message()).contains("'server'");
        HttpResult spaced = steps.step(id, "auth", auth(kube.url(), "a token\r\nX-Evil: 1", ""));
        assertThat(spaced.message()).contains("'token'").doesNotContain("X-Evil");
        assertThat(steps.step(id, "auth", "{\"server\":" + TestServer.quote(kube.url()) + "}").message()).contains("'token'");
        assertThat(steps.step(id, "auth", auth(kube.url() + "/", TOKEN, ca.caPem)).status()).isEqualTo(200);
        assertThat(steps.info(id).get("settings").get("server").asText()).as("trailing slash dropped").isEqualTo(kube.url());
        assertThat(steps.info(id).toString()).doesNotContain(TOKEN);
        assertThat(steps.step(id, "target", "{\"namespace\":\"Apps\",\"secretName\":\"x\"}").message()).contains("'namespace'");
        assertThat(steps.step(id, "target", "{\"namespace\":\"" + "a".repeat(64) + "\",\"secretName\":\"x\"}").message()).contains("'namespace'");
        assertThat(steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"under_score\"}").message()).contains("'secretName'");
        assertThat(steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"-x\"}").message()).contains("'secretName'");
        assertThat(steps.step(id, "target", "{\"namespace\":\"apps\",\"secretName\":\"my.app-config\"}").status()).isEqualTo(200);
        assertThat(steps.info(id).get("settings").get("secretName").asText()).isEqualTo("my.app-config");
    }
}
