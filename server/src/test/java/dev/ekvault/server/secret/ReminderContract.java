package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.wire.WireTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reminders on secret values (issue 14, part 3) over real HTTP: set and cleared through the secret's update, shown in
 * the Secret wire shape, listed for the workspace within the caller's rights, completed, and each due occurrence
 * announced once by the job (also by two nodes at once). Run on each database by a one-line subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ReminderContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final long DAY = 86_400_000L;

    TestServer s;
    /** The "due" changes committed, as the after-commit subscribers (a sync, a webhook) hear them. */
    final List<Journal.Change> announced = new CopyOnWriteArrayList<>();
    final AtomicInteger projects = new AtomicInteger();

    /** One project with a shared-only environment, one allowing overrides, and a secret with a value in both. */
    record Tree(String slug, String projectId, String prod, String dev, String secretId) {
        String secretPath() {
            return WS + "/project/" + slug + "/secret/" + secretId;
        }
    }

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.server.database().journal().subscribe((changes, committed) -> {
            if (!committed) return;
            for (Journal.Change c : changes) if (c.action().equals("due") && c.entityType().equals("secret-reminder")) announced.add(c);
        });
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @BeforeEach
    void clearHeard() {
        runJob(s); // whatever an earlier test left due is announced now, not in the next test's counts
        announced.clear();
    }

    Tree tree() {
        String slug = "rp" + projects.incrementAndGet();
        String projectId = s.createProject(slug);
        String prod = s.createEnvironment(slug, "production", false);
        String dev = s.createEnvironment(slug, "dev", true);
        String secretId = s.createSecrets(slug, List.of(prod, dev), Map.of("API_KEY", "value-1")).get(0).get("id").asText();
        return new Tree(slug, projectId, prod, dev, secretId);
    }

    static String iso(long millis) {
        return WireTime.format(millis);
    }

    static String oneTime(long at) {
        return "{\"type\":\"one_time\",\"nextReminderDate\":\"" + iso(at) + "\"}";
    }

    static String recurring(long at, int days) {
        return "{\"type\":\"recurring\",\"nextReminderDate\":\"" + iso(at) + "\",\"intervalDays\":" + days + "}";
    }

    HttpResult setReminder(String token, Tree t, String environmentId, String reminderJson) {
        return s.put(t.secretPath(), token, "{\"values\":[{\"environmentId\":\"" + environmentId + "\",\"reminder\":" + reminderJson + "}]}");
    }

    static JsonNode value(JsonNode secret, String environmentId, boolean personal) {
        for (JsonNode v : secret.get("values")) {
            if (v.get("environmentId").asText().equals(environmentId) && v.get("isPersonal").asBoolean() == personal) return v;
        }
        return null;
    }

    JsonNode secretAs(String token, Tree t) {
        HttpResult r = s.get(WS + "/project/" + t.slug() + "/secret/API_KEY", token);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.json();
    }

    List<JsonNode> listed(HttpResult page, Tree t) {
        assertThat(page.status()).as("%s", page).isEqualTo(200);
        List<JsonNode> mine = new ArrayList<>();
        for (JsonNode r : page.json().get("reminders")) if (r.get("projectId").asText().equals(t.projectId())) mine.add(r);
        return mine;
    }

    /** The announcements of this test's project (earlier tests' reminders fall due too as the clock moves). */
    List<Journal.Change> announcedIn(Tree t) {
        return announced.stream().filter(c -> t.projectId().equals(c.projectId())).toList();
    }

    static void runJob(TestServer node) {
        node.server.jobs().runNow(SecretFeature.REMINDER_JOB);
    }

    long rows(String where) {
        return s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM secret_reminder WHERE " + where, r -> r.getLong(1)));
    }

    @Test
    void aReminderIsSetThroughTheUpdateAndTheSecretShowsIt() {
        Tree t = tree();
        long at = s.clock.millis() + 2 * DAY;
        // with the value, as the CLI sends entries, plus a reminder
        HttpResult r = s.put(t.secretPath(), s.ownerToken, "{\"values\":[{\"environmentId\":\"" + t.prod() + "\",\"value\":\"value-2\","
                + "\"reminder\":" + oneTime(at) + "}]}");
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        JsonNode reminder = value(r.json(), t.prod(), false).get("reminder");
        assertThat(reminder.get("type").asText()).isEqualTo("one_time");
        assertThat(reminder.get("nextReminderDate").asText()).isEqualTo(iso(at));
        assertThat(reminder.get("id").asText()).matches("[0-9a-f-]{36}");
        assertThat(reminder.has("intervalDays")).as("absent on a one-time reminder").isFalse();
        // a value without a reminder has no key at all (the SDKs' older shape)
        assertThat(value(r.json(), t.dev(), false).has("reminder")).isFalse();

        // every read path shows it: the owner's token (on SQLite the cached path), a read token's list, a session
        String reader = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThat(value(secretAs(reader, t), t.prod(), false).get("reminder").get("id").asText()).isEqualTo(reminder.get("id").asText());
        HttpResult list = s.get(WS + "/project/" + t.slug() + "/secret?environmentId=" + t.prod(), reader);
        assertThat(value(list.json().get(0), t.prod(), false).get("reminder").get("nextReminderDate").asText()).isEqualTo(iso(at));
        assertThat(value(secretAs(s.ownerToken, t), t.prod(), false).get("value").asText()).isEqualTo("value-2");

        // a reminder-only entry changes the schedule and keeps the value and the reminder's id
        long later = at + DAY;
        r = setReminder(s.ownerToken, t, t.prod(), recurring(later, 30));
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        JsonNode changed = value(r.json(), t.prod(), false);
        assertThat(changed.get("value").asText()).isEqualTo("value-2");
        assertThat(changed.get("reminder").get("id").asText()).isEqualTo(reminder.get("id").asText());
        assertThat(changed.get("reminder").get("type").asText()).isEqualTo("recurring");
        assertThat(changed.get("reminder").get("intervalDays").asInt()).isEqualTo(30);
        assertThat(value(secretAs(reader, t), t.prod(), false).get("reminder").get("type").asText()).as("the cache dropped").isEqualTo("recurring");

        // sending back what was read (an echo of the Secret) changes nothing, even once the date has passed
        s.clock.advance(Duration.ofDays(4));
        r = s.put(t.secretPath(), s.ownerToken, "{\"values\":[" + value(secretAs(s.ownerToken, t), t.prod(), false) + "]}");
        assertThat(r.status()).as("an echoed overdue reminder: %s", r).isEqualTo(200);

        // null clears it
        r = setReminder(s.ownerToken, t, t.prod(), "null");
        assertThat(r.status()).isEqualTo(200);
        assertThat(value(r.json(), t.prod(), false).has("reminder")).isFalse();
        assertThat(value(secretAs(reader, t), t.prod(), false).has("reminder")).isFalse();
        assertThat(rows("secret_id = '" + t.secretId() + "'")).isZero();
    }

    @Test
    void badRemindersAreRefusedNamingTheField() {
        Tree t = tree();
        long now = s.clock.millis();
        Map<String, String> bad = Map.of(
                "{\"type\":\"weekly\",\"nextReminderDate\":\"" + iso(now + DAY) + "\"}", "values[0].reminder.type",
                "{\"type\":\"one_time\",\"nextReminderDate\":\"tomorrow\"}", "values[0].reminder.nextReminderDate",
                "{\"type\":\"one_time\"}", "values[0].reminder.nextReminderDate",
                oneTime(now - 1000), "values[0].reminder.nextReminderDate",
                oneTime(now + 3651 * DAY), "values[0].reminder.nextReminderDate",
                "{\"type\":\"recurring\",\"nextReminderDate\":\"" + iso(now + DAY) + "\"}", "values[0].reminder.intervalDays",
                recurring(now + DAY, 0), "values[0].reminder.intervalDays",
                "{\"type\":\"recurring\",\"nextReminderDate\":\"" + iso(now + DAY) + "\",\"intervalDays\":1.5}", "values[0].reminder.intervalDays",
                "{\"type\":\"one_time\",\"nextReminderDate\":\"" + iso(now + DAY) + "\",\"intervalDays\":3}", "values[0].reminder.intervalDays",
                "\"soon\"", "values[0].reminder");
        bad.forEach((reminder, field) -> {
            HttpResult r = setReminder(s.ownerToken, t, t.prod(), reminder);
            assertThat(r.status()).as("%s: %s", reminder, r).isEqualTo(400);
            assertThat(r.message()).as(reminder).contains("'" + field + "'");
        });
        // a value that does not exist cannot carry one (the personal override of dev was never set)
        HttpResult r = s.put(t.secretPath(), s.ownerToken, "{\"values\":[{\"environmentId\":\"" + t.prod() + "\",\"value\":\"\"},"
                + "{\"environmentId\":\"" + t.dev() + "\",\"reminder\":" + oneTime(now + DAY) + "}]}");
        assertThat(r.status()).as("the positive control: %s", r).isEqualTo(200);
        r = setReminder(s.ownerToken, t, t.prod(), oneTime(now + DAY));
        assertThat(r.status()).as("%s", r).isEqualTo(400);
        assertThat(r.message()).contains("values[0].reminder");
        // an entry with neither a value nor a reminder still needs its value
        r = s.put(t.secretPath(), s.ownerToken, "{\"values\":[{\"environmentId\":\"" + t.dev() + "\"}]}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.message()).contains("values[0].value");
        assertThat(rows("secret_id = '" + t.secretId() + "'")).isEqualTo(1);
    }

    @Test
    void onlyWritersWithinScopeSetThemAndPersonalOnesAreTheCallersOwn() {
        Tree t = tree();
        long at = s.clock.millis() + DAY;
        String reader = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        HttpResult r = setReminder(reader, t, t.prod(), oneTime(at));
        assertThat(r.status()).as("a read-only token: %s", r).isEqualTo(403);
        String devOnly = s.createToken(s.ownerToken, "read-write", "{\"all\":false,\"environments\":[\"" + t.dev() + "\"]}");
        r = setReminder(devOnly, t, t.prod(), oneTime(at));
        assertThat(r.status()).as("outside its scope: %s", r).isEqualTo(404);
        r = setReminder(devOnly, t, t.dev(), oneTime(at));
        assertThat(r.status()).as("the positive control, inside its scope: %s", r).isEqualTo(200);

        // a person's reminder on their own override: only they see it, in the secret and in the list
        TestServer.Session ada = s.invitePerson("ada" + t.slug() + "@example.com", "developer", null);
        TestServer.Session bob = s.invitePerson("bob" + t.slug() + "@example.com", "developer", null);
        r = s.putAs(ada, t.secretPath(), "{\"values\":[{\"environmentId\":\"" + t.dev() + "\",\"value\":\"ada-own\",\"isPersonal\":true,"
                + "\"reminder\":" + recurring(at, 7) + "}]}");
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(value(r.json(), t.dev(), true).get("reminder").get("intervalDays").asInt()).isEqualTo(7);
        JsonNode adaSees = s.getAs(ada, WS + "/project/" + t.slug() + "/secret/API_KEY").json();
        assertThat(value(adaSees, t.dev(), true).has("reminder")).isTrue();
        assertThat(value(adaSees, t.dev(), false).has("reminder")).as("the shared value's own reminder").isTrue();
        JsonNode bobSees = s.getAs(bob, WS + "/project/" + t.slug() + "/secret/API_KEY").json();
        assertThat(value(bobSees, t.dev(), true)).isNull();
        assertThat(listed(s.getAs(ada, WS + "/reminders"), t)).hasSize(2);
        assertThat(listed(s.getAs(bob, WS + "/reminders"), t)).as("bob sees the shared one only").hasSize(1)
                .allSatisfy(item -> assertThat(item.get("isPersonal").asBoolean()).isFalse());
        assertThat(listed(s.get(WS + "/reminders", s.ownerToken), t)).as("an API token sees shared values only").hasSize(1);
        // bob cannot complete ada's (404, as if absent); ada can
        String adaReminder = listed(s.getAs(ada, WS + "/reminders"), t).stream().filter(i -> i.get("isPersonal").asBoolean())
                .findFirst().orElseThrow().get("id").asText();
        assertThat(s.postAs(bob, WS + "/reminders/" + adaReminder + "/complete", "").status()).isEqualTo(404);
        assertThat(s.postAs(ada, WS + "/reminders/" + adaReminder + "/complete", "").status()).isEqualTo(200);

        // a scoped reader lists only its environments' reminders, and completes nothing
        String prodReader = s.createToken(s.ownerToken, "read", "{\"all\":false,\"environments\":[\"" + t.prod() + "\"]}");
        assertThat(listed(s.get(WS + "/reminders", prodReader), t)).isEmpty();
        String devReader = s.createToken(s.ownerToken, "read", "{\"all\":false,\"environments\":[\"" + t.dev() + "\"]}");
        List<JsonNode> seen = listed(s.get(WS + "/reminders", devReader), t);
        assertThat(seen).hasSize(1);
        String shared = seen.get(0).get("id").asText();
        assertThat(s.post(WS + "/reminders/" + shared + "/complete", devReader, "").status()).as("a reader completes nothing").isEqualTo(403);
        assertThat(s.post(WS + "/reminders/" + shared + "/complete", devOnly, "").status()).as("the positive control").isEqualTo(204);
        assertThat(s.get(WS + "/reminders", s.ownerToken.substring(0, 20)).status()).isEqualTo(401);
    }

    @Test
    void theListShowsDueOrAllInDateOrderInPages() {
        Tree t = tree();
        long now = s.clock.millis();
        // a second and third secret, so that the project has three reminders
        s.createSecrets(t.slug(), List.of(t.prod()), Map.of("B_KEY", "b", "C_KEY", "c"));
        setReminder(s.ownerToken, t, t.prod(), oneTime(now + 3 * DAY));
        for (var entry : Map.of("B_KEY", now + DAY, "C_KEY", now + 2 * DAY).entrySet()) {
            HttpResult r = s.put(WS + "/project/" + t.slug() + "/secret/" + entry.getKey(), s.ownerToken,
                    "{\"values\":[{\"environmentId\":\"" + t.prod() + "\",\"reminder\":" + oneTime(entry.getValue()) + "}]}");
            assertThat(r.status()).as("%s", r).isEqualTo(200);
        }
        assertThat(listed(s.get(WS + "/reminders?due=true", s.ownerToken), t)).isEmpty();
        List<JsonNode> all = listed(s.get(WS + "/reminders", s.ownerToken), t);
        assertThat(all).extracting(n -> n.get("secretName").asText()).containsExactly("B_KEY", "C_KEY", "API_KEY");
        JsonNode first = all.get(0);
        assertThat(first.get("projectSlug").asText()).isEqualTo(t.slug());
        assertThat(first.get("environmentName").asText()).isEqualTo("production");
        assertThat(first.get("environmentId").asText()).isEqualTo(t.prod());
        assertThat(first.get("due").asBoolean()).isFalse();

        s.clock.advance(Duration.ofDays(2)); // B and C are due now (C exactly at now)
        List<JsonNode> due = listed(s.get(WS + "/reminders?due=true", s.ownerToken), t);
        assertThat(due).extracting(n -> n.get("secretName").asText()).containsExactly("B_KEY", "C_KEY");
        assertThat(due).allSatisfy(n -> assertThat(n.get("due").asBoolean()).isTrue());

        // pages of one, following the cursor, give the same order (other projects' reminders may be between)
        List<String> names = new ArrayList<>();
        String cursor = null;
        for (int i = 0; i < 100; i++) {
            HttpResult page = s.get(WS + "/reminders?limit=1" + (cursor == null ? "" : "&cursor=" + cursor), s.ownerToken);
            assertThat(page.json().get("reminders").size()).isLessThanOrEqualTo(1);
            listed(page, t).forEach(n -> names.add(n.get("secretName").asText()));
            if (page.json().get("next").isNull()) break;
            cursor = page.json().get("next").asText();
        }
        assertThat(names).containsExactly("B_KEY", "C_KEY", "API_KEY");
        assertThat(s.get(WS + "/reminders?limit=0", s.ownerToken).status()).isEqualTo(400);
        assertThat(s.get(WS + "/reminders?limit=501", s.ownerToken).message()).contains("'limit'");
        assertThat(s.get(WS + "/reminders?cursor=x", s.ownerToken).message()).contains("'cursor'");
        assertThat(s.get("/v1/workspace/other/reminders", s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void completingRemovesAOneTimeReminderAndMovesARecurringOnePastNow() {
        Tree t = tree();
        long start = s.clock.millis() + DAY;
        setReminder(s.ownerToken, t, t.prod(), oneTime(start));
        setReminder(s.ownerToken, t, t.dev(), recurring(start, 1));
        s.clock.advance(Duration.ofHours(24 + 3 * 24 + 12)); // the recurring one is 3.5 intervals overdue
        List<JsonNode> due = listed(s.get(WS + "/reminders?due=true", s.ownerToken), t);
        assertThat(due).hasSize(2);
        String oneTimeId = due.stream().filter(n -> n.get("type").asText().equals("one_time")).findFirst().orElseThrow().get("id").asText();
        String recurringId = due.stream().filter(n -> n.get("type").asText().equals("recurring")).findFirst().orElseThrow().get("id").asText();

        assertThat(s.post(WS + "/reminders/" + oneTimeId + "/complete", s.ownerToken, "").status()).isEqualTo(204);
        assertThat(s.post(WS + "/reminders/" + oneTimeId + "/complete", s.ownerToken, "").status()).as("gone").isEqualTo(404);
        assertThat(value(secretAs(s.ownerToken, t), t.prod(), false).has("reminder")).isFalse();

        HttpResult done = s.post(WS + "/reminders/" + recurringId + "/complete", s.ownerToken, "");
        assertThat(done.status()).as("%s", done).isEqualTo(200);
        assertThat(done.json().get("nextReminderDate").asText()).as("one completion skips every missed interval").isEqualTo(iso(start + 4 * DAY));
        assertThat(done.json().get("due").asBoolean()).isFalse();
        assertThat(value(secretAs(s.ownerToken, t), t.dev(), false).get("reminder").get("nextReminderDate").asText()).isEqualTo(iso(start + 4 * DAY));
        // completed early, it moves one interval on
        done = s.post(WS + "/reminders/" + recurringId + "/complete", s.ownerToken, "");
        assertThat(done.json().get("nextReminderDate").asText()).isEqualTo(iso(start + 5 * DAY));
        assertThat(s.post(WS + "/reminders/not-an-id/complete", s.ownerToken, "").status()).isEqualTo(404);
    }

    @Test
    void eachDueOccurrenceIsAnnouncedOnceAndARecurringOneAgainAfterItsNextDate() throws Exception {
        Tree t = tree();
        long start = s.clock.millis() + DAY;
        setReminder(s.ownerToken, t, t.prod(), recurring(start, 2));
        runJob(s);
        assertThat(announcedIn(t)).as("nothing before it is due").isEmpty();
        s.clock.advance(Duration.ofDays(1));
        // two runs at once on this node (each its own transaction): one announcement
        twoAtOnce(() -> runJob(s), () -> runJob(s));
        runJob(s);
        assertThat(announcedIn(t)).hasSize(1);
        Journal.Change due = announcedIn(t).get(0);
        assertThat(due.projectId()).isEqualTo(t.projectId());
        assertThat(due.environmentId()).isEqualTo(t.prod());
        assertThat(due.after()).containsEntry("secret", "API_KEY").containsEntry("type", "recurring")
                .containsEntry("nextReminderDate", iso(start)).containsEntry("secretId", t.secretId());
        String id = due.entityId();

        // completed, it is announced again when its next date comes, not before
        assertThat(s.post(WS + "/reminders/" + id + "/complete", s.ownerToken, "").status()).isEqualTo(200);
        runJob(s);
        assertThat(announcedIn(t)).hasSize(1);
        s.clock.advance(Duration.ofDays(2));
        runJob(s);
        runJob(s);
        assertThat(announcedIn(t)).hasSize(2);
        assertThat(announcedIn(t).get(1).after()).containsEntry("nextReminderDate", iso(start + 2 * DAY));

        // the announcement is an audit entry by the system
        HttpResult audit = s.get(WS + "/audit?action=due&entity=" + id, s.ownerToken);
        assertThat(audit.status()).as("%s", audit).isEqualTo(200);
        assertThat(audit.json().get("entries")).hasSize(2);
        assertThat(audit.json().get("entries").get(0).toString()).contains("system").doesNotContain("value-1");
    }

    @Test
    void aValueOrSecretThatGoesTakesItsRemindersWithIt() {
        Tree t = tree();
        long at = s.clock.millis() + DAY;
        setReminder(s.ownerToken, t, t.prod(), oneTime(at));
        setReminder(s.ownerToken, t, t.dev(), oneTime(at));
        assertThat(rows("secret_id = '" + t.secretId() + "'")).isEqualTo(2);
        HttpResult r = s.put(t.secretPath(), s.ownerToken, "{\"values\":[{\"environmentId\":\"" + t.prod() + "\",\"value\":\"\"}]}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(rows("secret_id = '" + t.secretId() + "'")).as("the deleted value's reminder").isEqualTo(1);
        // a value set again starts without one
        s.put(t.secretPath(), s.ownerToken, "{\"values\":[{\"environmentId\":\"" + t.prod() + "\",\"value\":\"again\"}]}");
        assertThat(value(secretAs(s.ownerToken, t), t.prod(), false).has("reminder")).isFalse();
        assertThat(s.delete(t.secretPath(), s.ownerToken).status()).isEqualTo(204);
        assertThat(rows("secret_id = '" + t.secretId() + "'")).isZero();

        // an environment deleted with its values takes their reminders
        Tree u = tree();
        setReminder(s.ownerToken, u, u.dev(), oneTime(at));
        assertThat(s.delete(WS + "/project/" + u.slug() + "/environment/" + u.dev(), s.ownerToken).status()).isEqualTo(204);
        assertThat(rows("environment_id = '" + u.dev() + "'")).isZero();
    }

    @Test
    void twoNodesAnnounceAnOccurrenceOnce() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // one SQLite file has one writer process (the same-node race is above)
        try (TestServer a = TestServer.start(backend()); TestServer b = a.anotherNode(new TestClock())) {
            List<Journal.Change> heard = new CopyOnWriteArrayList<>();
            for (TestServer node : List.of(a, b)) {
                node.server.database().journal().subscribe((changes, committed) -> {
                    if (committed) changes.stream().filter(c -> c.action().equals("due")).forEach(heard::add);
                });
            }
            a.createProject("web");
            String env = a.createEnvironment("web", "prod", false);
            String secretId = a.createSecrets("web", List.of(env), Map.of("K", "v")).get(0).get("id").asText();
            for (int i = 0; i < 20; i++) {
                a.createSecrets("web", List.of(env), Map.of("K" + i, "v"));
                HttpResult r = a.put(WS + "/project/web/secret/K" + i, a.ownerToken, "{\"values\":[{\"environmentId\":\"" + env
                        + "\",\"reminder\":" + oneTime(a.clock.millis() + DAY) + "}]}");
                assertThat(r.status()).as("%s", r).isEqualTo(200);
            }
            assertThat(secretId).isNotNull();
            a.clock.advance(Duration.ofDays(2));
            b.clock.advance(Duration.ofDays(2));
            twoAtOnce(() -> runJob(a), () -> runJob(b));
            twoAtOnce(() -> runJob(a), () -> runJob(b));
            assertThat(heard).hasSize(20);
            assertThat(heard.stream().map(Journal.Change::entityId).distinct().count()).isEqualTo(20);
        }
    }

    private static void twoAtOnce(Runnable first, Runnable second) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CyclicBarrier barrier = new CyclicBarrier(2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (Runnable run : List.of(first, second)) {
                runs.add(pool.submit(() -> {
                    barrier.await();
                    run.run();
                    return null;
                }));
            }
            for (Future<?> f : runs) f.get();
        } finally {
            pool.shutdown();
        }
    }
}
