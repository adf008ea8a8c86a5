package dev.ekvault.server.sync;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.secret.SecretFeature;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sync engine and its wizard (issue 15) with the signed webhook target, against a receiver outside the server:
 * admins only, a scoped admin maps only its environments, the first push carries everything, changes in the
 * coalescing window become one push, deletes are said, personal overrides and other environments never travel, a
 * rate-limited answer is honoured and an outage caught up, a dead node's lease is taken over, pause and resume, "sync
 * now", the credential never comes back, and the due reminders of the environment's shared values are delivered once. The worker's own thread is slowed to a minute; the tests push with
 * {@code runDue()} after moving the clock, so what the receiver saw is known exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SyncContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final AtomicInteger SEQ = new AtomicInteger();

    TestServer s;
    SyncSteps steps;
    WebhookReceiver receiver;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(backend(), "--sync-allow-http-targets=true", "--sync-poll-millis=60000", "--sync-coalesce-millis=500",
                "--sync-lease-seconds=30", "--sync-max-backoff-seconds=60");
        steps = new SyncSteps(s, "webhook");
        receiver = new WebhookReceiver();
    }

    @AfterAll
    void stop() {
        receiver.close();
        s.close();
    }


    /** A webhook sync of {@code env} set up through the wizard with {@code token}; returns its id. */
    private String webhook(String token, String env, boolean sendValues) {
        HttpResult started = s.post("/v1/sync/webhook/start", token, "");
        assertThat(started.status()).as("%s", started).isEqualTo(201);
        String id = started.json().get("syncConfigId").asText();
        assertThat(started.json().get("next").asText()).isEqualTo("auth");
        HttpResult auth = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", token, "{}");
        assertThat(auth.status()).as("%s", auth).isEqualTo(200);
        String secret = auth.json().get("shownOnce").get("signingSecret").asText();
        assertThat(secret).startsWith("whsec_");
        receiver.secret(secret);
        HttpResult target = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=target", token,
                "{\"url\":\"" + receiver.url() + "\",\"sendValues\":" + sendValues + "}");
        assertThat(target.status()).as("%s", target).isEqualTo(200);
        HttpResult mapping = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping", token,
                "{\"environmentId\":\"" + env + "\",\"deleteMissing\":true}");
        assertThat(mapping.status()).as("%s", mapping).isEqualTo(200);
        assertThat(mapping.json().get("status").asText()).isEqualTo("active");
        assertThat(mapping.json().get("next").isNull()).isTrue();
        return id;
    }



    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }


    @Test
    void theFirstPushCarriesEveryKeySignedAndWithoutValues() {
        String[] p = steps.project(Map.of("DB_URL", "postgres://db", "API_KEY", "k-1"));
        int before = receiver.deliveries().size();
        String id = webhook(s.ownerToken, p[1], false);
        assertThat(s.server.syncEngine().runDue()).as("not before the coalescing window").isZero();
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(receiver.deliveries()).hasSize(before + 1);
        WebhookReceiver.Delivery d = receiver.last();
        assertThat(d.signatureValid()).as("Standard Webhooks signature").isTrue();
        assertThat(d.body().get("type").asText()).isEqualTo("secrets.changed");
        assertThat(texts(d.body().get("data").get("changed"))).containsExactly("API_KEY", "DB_URL");
        assertThat(d.body().get("data").get("environment").asText()).isEqualTo("production");
        assertThat(d.body().toString()).as("no values unless asked for").doesNotContain("postgres://db").doesNotContain("k-1");
        JsonNode status = steps.info(id);
        assertThat(status.get("lastSuccessAt").isNull()).isFalse();
        assertThat(status.get("pending").asBoolean()).isFalse();
        assertThat(status.get("lastError").isNull()).isTrue();
        assertThat(steps.settleAndPush()).as("nothing more to push").isZero();
    }

    @Test
    void changesInTheWindowAreOnePushAndDeletesAreSaid() {
        String[] p = steps.project(Map.of("A", "1", "B", "2", "C", "3"));
        webhook(s.ownerToken, p[1], true);
        steps.settleAndPush();
        int before = receiver.deliveries().size();
        steps.set(p[0], p[1], "A", "1b");
        steps.set(p[0], p[1], "B", "2b");
        s.clock.advance(Duration.ofMillis(100));
        steps.set(p[0], p[1], "A", "1c");
        JsonNode all = s.get(WS + "/project/" + p[0] + "/secret", s.ownerToken).json();
        for (JsonNode secret : all) {
            if (secret.get("name").asText().equals("C")) s.delete(WS + "/project/" + p[0] + "/secret/" + secret.get("id").asText(), s.ownerToken);
        }
        assertThat(s.server.syncEngine().runDue()).as("changes still settling").isZero();
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(receiver.deliveries()).as("one push for four changes").hasSize(before + 1);
        JsonNode data = receiver.last().body().get("data");
        assertThat(texts(data.get("changed"))).containsExactly("A", "B");
        assertThat(texts(data.get("deleted"))).containsExactly("C");
        assertThat(data.get("values").get("A").asText()).as("sendValues: the changed values, the newest").isEqualTo("1c");
        assertThat(data.get("values").has("C")).isFalse();
    }

    @Test
    void personalOverridesAndOtherEnvironmentsNeverTravel() {
        String[] p = steps.project(Map.of("SHARED_KEY", "shared"));
        String other = s.createEnvironment(p[0], "staging", false);
        s.createSecrets(p[0], List.of(other), Map.of("STAGING_ONLY", "staging-value"));
        String id = webhook(s.ownerToken, p[1], true);
        steps.settleAndPush();
        assertThat(receiver.last().body().toString()).doesNotContain("STAGING_ONLY").doesNotContain("staging-value");

        TestServer.Session dev = s.invitePerson("sync-dev" + SEQ.incrementAndGet() + "@example.com", "developer", null);
        String secretId = s.get(WS + "/project/" + p[0] + "/secret/SHARED_KEY", s.ownerToken).json().get("id").asText();
        HttpResult personal = s.putAs(dev, WS + "/project/" + p[0] + "/secret/" + secretId,
                "{\"values\":[{\"environmentId\":\"" + p[1] + "\",\"value\":\"my-own-override\",\"isPersonal\":true}]}");
        assertThat(personal.status()).isEqualTo(200);
        s.createSecrets(p[0], List.of(other), Map.of("STAGING_TWO", "x"));
        assertThat(steps.info(id).get("pending").asBoolean()).as("neither change concerns the sync").isFalse();
        int before = receiver.deliveries().size();
        assertThat(steps.settleAndPush()).isZero();
        assertThat(receiver.deliveries()).hasSize(before);
    }

    @Test
    void aRateLimitedAnswerIsHonouredAndAnOutageIsCaughtUp() {
        String[] p = steps.project(Map.of("K", "v1"));
        String id = webhook(s.ownerToken, p[1], false);
        receiver.answerNext(429, Map.of("Retry-After", "30"));
        int before = receiver.deliveries().size();
        assertThat(steps.settleAndPush()).isZero();
        JsonNode limited = steps.info(id);
        assertThat(limited.get("lastError").asText()).contains("429").contains("rate limited");
        assertThat(limited.get("pending").asBoolean()).isTrue();
        assertThat(java.time.Instant.parse(limited.get("nextAttemptAt").asText()).toEpochMilli() - s.clock.millis())
                .as("as long as Retry-After asks").isEqualTo(30_000);
        s.clock.advance(Duration.ofSeconds(20));
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(receiver.deliveries()).as("no call before Retry-After").hasSize(before + 1);

        // then an outage: two failures, each backing off further
        receiver.answerNext(503, Map.of());
        receiver.answerNext(503, Map.of());
        s.clock.advance(Duration.ofSeconds(11));
        assertThat(s.server.syncEngine().runDue()).isZero();
        JsonNode down = steps.info(id);
        assertThat(down.get("attempts").asInt()).isEqualTo(2);
        assertThat(down.get("lastError").asText()).contains("503");
        steps.set(p[0], p[1], "K", "v2"); // a change during the outage
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).isZero();
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.server.syncEngine().runDue()).as("caught up once the target is back").isEqualTo(1);
        JsonNode back = steps.info(id);
        assertThat(back.get("lastError").isNull()).isTrue();
        assertThat(back.get("attempts").asInt()).isZero();
        assertThat(back.get("pending").asBoolean()).isFalse();
        assertThat(receiver.last().signatureValid()).isTrue();
        assertThat(texts(receiver.last().body().get("data").get("changed"))).containsExactly("K");
        // the retries of one push carry one webhook-id, so a receiver can drop duplicates
        List<WebhookReceiver.Delivery> tries = receiver.deliveries().subList(before, receiver.deliveries().size());
        assertThat(tries.get(0).id()).isEqualTo(tries.get(1).id());
    }

    @Test
    void aNodeThatDiesMidPushIsTakenOverWhenItsLeaseEnds() {
        String[] p = steps.project(Map.of("LEASED", "x"));
        String id = webhook(s.ownerToken, p[1], false);
        s.clock.advance(Duration.ofSeconds(1));
        // another node took the sync and died holding it
        s.server.database().write(c -> Sql.update(c, "UPDATE sync_config SET lease_owner = 'a-dead-node', lease_until = ? WHERE id = ?",
                s.clock.millis() + 30_000, id));
        int before = receiver.deliveries().size();
        assertThat(s.server.syncEngine().runDue()).isZero();
        assertThat(receiver.deliveries()).as("nobody pushes a leased sync").hasSize(before);
        s.clock.advance(Duration.ofSeconds(31));
        assertThat(s.server.syncEngine().runDue()).isEqualTo(1);
        assertThat(texts(receiver.last().body().get("data").get("changed"))).containsExactly("LEASED");
    }

    @Test
    void pauseResumeAndSyncNow() {
        String[] p = steps.project(Map.of("P", "1"));
        String id = webhook(s.ownerToken, p[1], false);
        steps.settleAndPush();
        assertThat(s.post(WS + "/sync/" + id + "/pause", s.ownerToken, "").json().get("status").asText()).isEqualTo("paused");
        steps.set(p[0], p[1], "P", "2");
        int before = receiver.deliveries().size();
        assertThat(steps.settleAndPush()).isZero();
        assertThat(s.post(WS + "/sync/" + id + "/run", s.ownerToken, "").status()).as("a paused sync does not run").isEqualTo(409);
        assertThat(s.post(WS + "/sync/" + id + "/resume", s.ownerToken, "").json().get("status").asText()).isEqualTo("active");
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(texts(receiver.last().body().get("data").get("changed"))).as("what changed while paused").containsExactly("P");
        assertThat(receiver.deliveries()).hasSize(before + 1);

        steps.set(p[0], p[1], "P", "3");
        assertThat(s.post(WS + "/sync/" + id + "/run", s.ownerToken, "").status()).isEqualTo(200);
        assertThat(s.server.syncEngine().runDue()).as("sync now skips the coalescing wait").isEqualTo(1);
    }

    @Test
    void onlyAdminsManageSyncsAndAScopedAdminOnlyItsEnvironments() {
        String[] mine = steps.project(Map.of("X", "1"));
        String[] theirs = steps.project(Map.of("Y", "2"));
        String developer = s.createToken(s.ownerToken, "read-write", "{\"all\":true}");
        TestServer.Session dev = s.invitePerson("sync-developer" + SEQ.incrementAndGet() + "@example.com", "developer", null);
        assertThat(s.postAs(dev, "/v1/sync/webhook/start", "").status()).as("a developer").isEqualTo(403);
        assertThat(s.getAs(dev, WS + "/sync").status()).isEqualTo(403);
        assertThat(s.post("/v1/sync/webhook/start", s.createToken(s.ownerToken, "read", "{\"all\":true}"), "").status())
                .as("a read-only credential").isEqualTo(403);
        assertThat(s.post("/v1/sync/webhook/start", developer, "").status()).as("positive control: the owner's read-write token").isEqualTo(201);
        assertThat(s.post("/v1/sync/nonesuch/start", s.ownerToken, "").status()).isEqualTo(404);

        String projectId = s.get(WS + "/project/" + mine[0], s.ownerToken).json().get("id").asText();
        TestServer.Session scoped = s.invitePerson("sync-scoped" + SEQ.incrementAndGet() + "@example.com", "admin",
                "{\"all\":false,\"projects\":[\"" + projectId + "\"]}");
        String id = s.postAs(scoped, "/v1/sync/webhook/start", "").json().get("syncConfigId").asText();
        s.postAs(scoped, "/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", "{}");
        s.postAs(scoped, "/v1/sync/webhook/flow?syncConfigId=" + id + "&step=target", "{\"url\":\"" + receiver.url() + "\"}");
        JsonNode form = s.getAs(scoped, "/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping").json();
        List<String> offered = new ArrayList<>();
        form.get("fields").get(0).get("options").forEach(o -> offered.add(o.get("value").asText()));
        assertThat(offered).contains(mine[1]).doesNotContain(theirs[1]);
        assertThat(s.postAs(scoped, "/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping", "{\"environmentId\":\"" + theirs[1] + "\"}")
                .status()).as("outside its scope").isEqualTo(404);
        assertThat(s.postAs(scoped, "/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping", "{\"environmentId\":\"" + mine[1] + "\"}")
                .status()).as("positive control: inside it").isEqualTo(200);
        String ownersSync = webhook(s.ownerToken, theirs[1], false);
        List<String> listed = new ArrayList<>();
        s.getAs(scoped, WS + "/sync").json().forEach(n -> listed.add(n.get("id").asText()));
        assertThat(listed).contains(id).doesNotContain(ownersSync);
        assertThat(s.getAs(scoped, WS + "/sync/" + ownersSync).status()).isEqualTo(404);
    }

    @Test
    void wizardAnswersAreCheckedAndTheCredentialNeverComesBack() {
        String[] p = steps.project(Map.of());
        String id = s.post("/v1/sync/webhook/start", s.ownerToken, "").json().get("syncConfigId").asText();
        HttpResult early = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping", s.ownerToken, "{\"environmentId\":\"" + p[1] + "\"}");
        assertThat(early.status()).isEqualTo(409);
        HttpResult badSecret = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", s.ownerToken, "{\"signingSecret\":\"hunter2\"}");
        assertThat(badSecret.status()).isEqualTo(400);
        assertThat(badSecret.message()).contains("'signingSecret'").doesNotContain("hunter2");
        assertThat(s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=nope", s.ownerToken, "{}").message()).contains("'step'");
        assertThat(s.get("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", s.ownerToken).json().get("fields").get(0).get("name").asText())
                .isEqualTo("signingSecret");
        String mine = "whsec_" + java.util.Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
        HttpResult auth = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", s.ownerToken, "{\"signingSecret\":\"" + mine + "\"}");
        assertThat(auth.status()).isEqualTo(200);
        assertThat(auth.body()).as("a secret the person chose is not echoed").doesNotContain(mine);
        HttpResult badUrl = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=target", s.ownerToken, "{\"url\":\"ftp://example.com/x\"}");
        assertThat(badUrl.status()).isEqualTo(400);
        assertThat(badUrl.message()).contains("'url'");
        JsonNode shown = steps.info(id);
        assertThat(shown.get("hasCredential").asBoolean()).isTrue();
        assertThat(shown.toString()).doesNotContain(mine);
        String stored = s.server.database().read(c -> Sql.one(c, "SELECT credential FROM sync_config WHERE id = ?",
                r -> new String(r.getBytes(1), java.nio.charset.StandardCharsets.ISO_8859_1), id));
        assertThat(stored).as("sealed at rest").doesNotContain(mine).doesNotContain(mine.substring(6));
    }

    @Test
    void twoNodesSharingSyncsPushEachChangeOnce() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // one SQLite file has one writer process; the lease test above covers one node
        try (TestServer a = TestServer.start(backend(), "--sync-allow-http-targets=true", "--sync-poll-millis=60000");
             TestServer b = a.anotherNode(new dev.ekvault.server.testing.TestClock(a.clock.instant()), "--sync-allow-http-targets=true",
                     "--sync-poll-millis=60000");
             WebhookReceiver shared = new WebhookReceiver()) {
            a.createProject("shared");
            List<String> envs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String env = a.createEnvironment("shared", "env" + i, false);
                a.createSecrets("shared", List.of(env), Map.of("K" + i, "v" + i));
                envs.add(env);
            }
            String secret = null;
            for (String env : envs) {
                String id = a.post("/v1/sync/webhook/start", a.ownerToken, "").json().get("syncConfigId").asText();
                HttpResult auth = a.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=auth", a.ownerToken, "{\"signingSecret\":\""
                        + (secret == null ? "" : secret) + "\"}");
                if (secret == null) secret = auth.json().get("shownOnce").get("signingSecret").asText();
                a.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=target", a.ownerToken, "{\"url\":\"" + shared.url() + "\"}");
                assertThat(a.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=mapping", a.ownerToken,
                        "{\"environmentId\":\"" + env + "\"}").status()).isEqualTo(200);
            }
            shared.secret(secret);
            a.clock.advance(Duration.ofSeconds(1));
            b.clock.advance(Duration.ofSeconds(1));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<Integer>> runs = new ArrayList<>();
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                for (TestServer node : List.of(a, b, a, b)) {
                    runs.add(pool.submit(() -> {
                        go.await();
                        return node.server.syncEngine().runDue();
                    }));
                }
                go.countDown();
                int pushed = 0;
                for (var run : runs) pushed += run.get();
                assertThat(pushed).as("each sync pushed by exactly one node").isEqualTo(envs.size());
            } finally {
                pool.shutdownNow();
            }
            assertThat(shared.deliveries()).hasSize(envs.size());
            assertThat(shared.deliveries()).allMatch(WebhookReceiver.Delivery::signatureValid);
            // a change made on one node is pushed by the other
            b.createSecrets("shared", List.of(envs.get(0)), Map.of("FROM_B", "b"));
            a.clock.advance(Duration.ofSeconds(1));
            assertThat(a.server.syncEngine().runDue()).isEqualTo(1);
            assertThat(texts(shared.last().body().get("data").get("changed"))).containsExactly("FROM_B");
        }
    }

    @Test
    void aWebhookUrlsPathIsSealedLikeACredential() {
        String[] p = steps.project(Map.of("PATHED", "1"));
        String pathToken = "T0KEN-in-the-path-" + SEQ.incrementAndGet();
        String id = steps.begin();
        String secret = steps.step(id, "auth", "{}").json().get("shownOnce").get("signingSecret").asText();
        // nothing listens on port 1: the push fails, and its reason must not carry the path either
        assertThat(steps.step(id, "target", "{\"url\":\"http://127.0.0.1:1/hook/" + pathToken + "\"}").status()).isEqualTo(200);
        assertThat(steps.step(id, "mapping", "{\"environmentId\":\"" + p[1] + "\"}").status()).isEqualTo(200);
        assertThat(steps.settleAndPush()).isZero();
        JsonNode status = steps.info(id);
        assertThat(status.get("settings").get("host").asText()).isEqualTo("127.0.0.1");
        assertThat(status.get("lastError").asText()).contains("127.0.0.1");
        assertThat(status.toString()).doesNotContain(pathToken);
        assertThat(s.get(WS + "/audit/export", s.ownerToken).body()).doesNotContain(pathToken).doesNotContain(secret);
        String stored = s.server.database().read(c -> Sql.one(c, "SELECT credential FROM sync_config WHERE id = ?",
                r -> new String(r.getBytes(1), java.nio.charset.StandardCharsets.ISO_8859_1), id));
        assertThat(stored).as("sealed at rest").doesNotContain(pathToken);

        // positive control: the sealed URL is the one pushed to, with the signing secret kept from the auth step
        receiver.secret(secret);
        int before = receiver.deliveries().size();
        assertThat(steps.step(id, "target", "{\"url\":\"" + receiver.url() + "/" + pathToken + "\"}").status()).isEqualTo(200);
        s.clock.advance(Duration.ofMinutes(5));
        assertThat(steps.settleAndPush()).isEqualTo(1);
        assertThat(receiver.deliveries()).hasSize(before + 1);
        assertThat(receiver.last().signatureValid()).isTrue();
    }

    @Test
    void aSyncGoesWithItsEnvironment() {
        String[] p = steps.project(Map.of("GONE", "1"));
        String id = webhook(s.ownerToken, p[1], false);
        assertThat(s.delete(WS + "/project/" + p[0] + "/environment/" + p[1], s.ownerToken).status()).isEqualTo(204);
        assertThat(s.get(WS + "/sync/" + id, s.ownerToken).status()).isEqualTo(404);
    }
    /** The deliveries of one sync (other tests' syncs push too as the clock moves on). */
    private List<WebhookReceiver.Delivery> deliveriesOf(String syncId) {
        return receiver.deliveries().stream().filter(d -> d.body().path("data").path("syncId").asText().equals(syncId)).toList();
    }

    private void remind(TestServer.Session as, String slug, String env, String key, boolean personal, String reminderJson) {
        String secretId = s.get(WS + "/project/" + slug + "/secret/" + key, s.ownerToken).json().get("id").asText();
        String body = "{\"values\":[{\"environmentId\":\"" + env + "\"" + (personal ? ",\"isPersonal\":true,\"value\":\"mine\"" : "")
                + ",\"reminder\":" + reminderJson + "}]}";
        HttpResult r = as == null ? s.put(WS + "/project/" + slug + "/secret/" + secretId, s.ownerToken, body)
                : s.putAs(as, WS + "/project/" + slug + "/secret/" + secretId, body);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
    }

    private String at(long millis) {
        return dev.ekvault.server.wire.WireTime.format(millis);
    }

    @Test
    void dueRemindersOfTheEnvironmentsSharedValuesAreDeliveredOnce() {
        String[] p = steps.project(Map.of("ROTATE_ME", "r-1", "OTHER", "o-1"));
        String staging = s.createEnvironment(p[0], "staging", false);
        s.createSecrets(p[0], List.of(staging), Map.of("STAGING_KEY", "s-1"));
        String id = webhook(s.ownerToken, p[1], false);
        steps.settleAndPush();
        assertThat(deliveriesOf(id)).hasSize(1);
        assertThat(deliveriesOf(id).get(0).body().get("data").get("reminders")).as("none due yet").isEmpty();

        long hour = 3_600_000L;
        long due = s.clock.millis() + hour;
        remind(null, p[0], p[1], "ROTATE_ME", false, "{\"type\":\"one_time\",\"nextReminderDate\":\"" + at(due) + "\"}");
        remind(null, p[0], staging, "STAGING_KEY", false, "{\"type\":\"one_time\",\"nextReminderDate\":\"" + at(due) + "\"}");
        TestServer.Session dev = s.invitePerson("sync-rem" + SEQ.incrementAndGet() + "@example.com", "developer", null);
        remind(dev, p[0], p[1], "OTHER", true, "{\"type\":\"one_time\",\"nextReminderDate\":\"" + at(due) + "\"}");
        assertThat(steps.info(id).get("pending").asBoolean()).as("setting a reminder changes nothing the target holds").isFalse();

        s.clock.advance(Duration.ofHours(2));
        s.server.jobs().runNow(SecretFeature.REMINDER_JOB);
        assertThat(steps.info(id).get("pending").asBoolean()).as("the due announcement marks the environment's syncs").isTrue();
        steps.settleAndPush();
        assertThat(deliveriesOf(id)).hasSize(2);
        WebhookReceiver.Delivery d = deliveriesOf(id).get(1);
        assertThat(d.signatureValid()).isTrue();
        assertThat(d.body().get("type").asText()).as("nothing else changed").isEqualTo("reminders.due");
        JsonNode reminders = d.body().get("data").get("reminders");
        assertThat(reminders).hasSize(1);
        assertThat(reminders.get(0).get("key").asText()).isEqualTo("ROTATE_ME");
        assertThat(reminders.get(0).get("type").asText()).isEqualTo("one_time");
        assertThat(reminders.get(0).get("nextReminderDate").asText()).isEqualTo(at(due));
        assertThat(d.body().get("data").get("changed")).isEmpty();
        assertThat(d.body().toString()).as("another environment's and a personal reminder never travel; no value either")
                .doesNotContain("STAGING_KEY").doesNotContain("OTHER").doesNotContain("r-1");

        // delivered once: a later change does not carry it again while it stays due
        steps.set(p[0], p[1], "OTHER", "o-2");
        steps.settleAndPush();
        assertThat(deliveriesOf(id)).hasSize(3);
        assertThat(deliveriesOf(id).get(2).body().get("type").asText()).isEqualTo("secrets.changed");
        assertThat(deliveriesOf(id).get(2).body().get("data").get("reminders")).isEmpty();

        // a recurring one: each occurrence once, the next after it is completed and falls due again
        long first = s.clock.millis() + hour;
        remind(null, p[0], p[1], "OTHER", false, "{\"type\":\"recurring\",\"intervalDays\":1,\"nextReminderDate\":\"" + at(first) + "\"}");
        s.clock.advance(Duration.ofHours(2));
        s.server.jobs().runNow(SecretFeature.REMINDER_JOB);
        steps.settleAndPush();
        assertThat(deliveriesOf(id)).hasSize(4);
        JsonNode recurring = deliveriesOf(id).get(3).body().get("data").get("reminders");
        assertThat(recurring).hasSize(1);
        assertThat(recurring.get(0).get("key").asText()).isEqualTo("OTHER");
        assertThat(recurring.get(0).get("nextReminderDate").asText()).isEqualTo(at(first));
        String reminderId = s.get(WS + "/project/" + p[0] + "/secret/OTHER", s.ownerToken).json().get("values").findValue("reminder").get("id").asText();
        HttpResult completed = s.post(WS + "/reminders/" + reminderId + "/complete", s.ownerToken, "");
        assertThat(completed.status()).as("%s", completed).isEqualTo(200);
        s.clock.advance(Duration.ofDays(1));
        s.server.jobs().runNow(SecretFeature.REMINDER_JOB);
        steps.settleAndPush();
        assertThat(deliveriesOf(id)).hasSize(5);
        JsonNode next = deliveriesOf(id).get(4).body().get("data").get("reminders");
        assertThat(next).hasSize(1);
        assertThat(next.get(0).get("nextReminderDate").asText()).isEqualTo(at(first + 86_400_000L));
        steps.settleAndPush();
        assertThat(deliveriesOf(id)).as("nothing more").hasSize(5);
    }
}
