package dev.ekvault.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Await;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HeldTransaction;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestClock;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The audit log (issue 12) over real HTTP: what a write and a refusal record, who may read it, query and pages,
 * verification and export, append-only storage, tampering found at the right entry, and one chain from two nodes.
 * Run on each database by a one-line subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AuditContract {
    abstract Backend backend();

    static final String AUDIT = "/v1/workspace/acme/audit";
    static final ObjectMapper JSON = new ObjectMapper();
    TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(backend(), "--rate-limit-trusted-proxies=127.0.0.1");
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private String ownerCredentialId(TestServer server) {
        for (JsonNode t : server.get("/v1/workspace/acme/tokens", server.ownerToken).json()) {
            if (t.get("isOwner").asBoolean()) return t.get("id").asText();
        }
        throw new AssertionError("no owner token listed");
    }

    private String ownerUserId(TestServer server) {
        for (JsonNode m : server.get("/v1/workspace/acme/members", server.ownerToken).json()) {
            if (m.get("email").asText().equals("owner@example.com")) return m.get("id").asText();
        }
        throw new AssertionError("no owner listed");
    }

    private List<JsonNode> entries(TestServer server, String query) {
        HttpResult r = server.get(AUDIT + (query.isEmpty() ? "" : "?" + query), server.ownerToken);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        List<JsonNode> entries = new ArrayList<>();
        r.json().get("entries").forEach(entries::add);
        return entries;
    }

    @Test
    void aWriteIsRecordedWithWhoFromWhereAndItsRequest() {
        HttpResult created = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"deploy\",\"permission\":\"read\",\"expiresIn\":\"30d\"}");
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().get("id").asText();
        String raw = created.json().get("token").asText();
        List<JsonNode> about = entries(s, "entity=" + id);
        assertThat(about).isNotEmpty();
        JsonNode entry = about.get(about.size() - 1);
        assertThat(entry.get("entityType").asText()).isEqualTo("credential");
        assertThat(entry.get("actorUserId").asText()).isEqualTo(ownerUserId(s));
        assertThat(entry.get("credentialId").asText()).isEqualTo(ownerCredentialId(s));
        assertThat(entry.get("credentialKind").asText()).isEqualTo("static");
        assertThat(entry.get("clientAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(entry.get("requestId").asText()).isEqualTo(created.headers().firstValue("X-Request-Id").orElseThrow());
        assertThat(entry.get("outcome").asText()).isEqualTo("success");
        assertThat(entry.get("at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(entry.toString()).doesNotContain(raw).doesNotContain(raw.substring(8));
        // one entry by its id: the same entry
        HttpResult one = s.get(AUDIT + "/" + entry.get("id").asText(), s.ownerToken);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().get("hash").asText()).isEqualTo(entry.get("hash").asText());
        assertThat(s.get(AUDIT + "/00000000-0000-0000-0000-000000000000", s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void aRefusedValidCredentialIsRecordedAndTheAllowedRequestBesideItIsNot() {
        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        String body = "{\"name\":\"x\",\"permission\":\"read\",\"expiresIn\":\"30d\"}";
        assertThat(s.post("/v1/workspace/acme/tokens", readOnly, body).status()).isEqualTo(403);
        assertThat(s.post("/v1/workspace/acme/tokens", s.ownerToken, body).status()).isEqualTo(201); // positive control
        List<JsonNode> refused = entries(s, "action=refused");
        assertThat(refused).isNotEmpty();
        JsonNode latest = refused.get(0);
        assertThat(latest.get("outcome").asText()).isEqualTo("refused");
        assertThat(latest.get("entityType").asText()).isEqualTo("request");
        assertThat(latest.get("after").get("route").asText()).isEqualTo("/v1/workspace/{ws}/tokens");
        assertThat(latest.get("after").get("method").asText()).isEqualTo("POST");
        assertThat(latest.get("credentialId").asText()).isNotEqualTo(ownerCredentialId(s));
        assertThat(latest.toString()).doesNotContain(readOnly);
    }

    @Test
    void anExchangeIsRecordedWithTheExchangingCredentialAsActor() {
        String token = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        HttpResult exchanged = s.post("/v1/auth/exchange", token, "{}");
        assertThat(exchanged.status()).isEqualTo(200);
        JsonNode latest = entries(s, "action=exchange").get(0);
        assertThat(latest.get("credentialKind").asText()).isEqualTo("static");
        assertThat(latest.get("entityId").asText()).isEqualTo(latest.get("credentialId").asText());
        assertThat(latest.toString()).doesNotContain(token).doesNotContain(exchanged.json().get("accessToken").asText());
    }

    @Test
    void aMembersFailedSignInsLockOutAndSignInAreInTheirWorkspacesLogWithWhoAndFromWhere() {
        TestServer.Session invited = s.invitePerson("sign-in-audit@example.com", "developer", null);
        String userId = invited.userId();
        String wrong = "{\"email\":\"sign-in-audit@example.com\",\"password\":\"not the password at all\"}";
        for (int i = 0; i < 5; i++) assertThat(s.post("/v1/auth/login", null, wrong).status()).isEqualTo(401);

        // the account is no workspace's, but the workspace it is a member of sees what befalls it
        List<JsonNode> failed = entries(s, "entity=" + userId + "&action=sign-in-failed");
        assertThat(failed).as("every failed sign-in, newest first").hasSize(5);
        assertThat(failed.get(0).get("outcome").asText()).isEqualTo("failure");
        assertThat(failed.get(0).get("clientAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(failed.get(0).get("after").get("lockedUntil").isNumber()).as("the fifth locks the account").isTrue();
        assertThat(failed.get(4).get("after").path("lockedUntil").isNumber()).as("the first does not").isFalse();
        assertThat(failed.get(0).hasNonNull("actorUserId")).as("nobody has proved who they are").isFalse();
        assertThat(failed.toString()).doesNotContain("not the password at all");

        // locked, even the right password is refused, and the attempt is still on record
        String right = "{\"email\":\"sign-in-audit@example.com\",\"password\":\"" + TestServer.PASSWORD + "\"}";
        assertThat(s.post("/v1/auth/login", null, right).status()).isEqualTo(401);
        JsonNode whileLocked = entries(s, "entity=" + userId + "&action=sign-in-failed").get(0);
        assertThat(whileLocked.get("after").get("whileLocked").asBoolean()).isTrue();
        assertThat(whileLocked.get("after").get("lockedUntil")).isEqualTo(failed.get(0).get("after").get("lockedUntil"));

        // more attempts during the same lock: the first from each address is recorded, the repeats only refused
        assertThat(s.post("/v1/auth/login", null, right).status()).isEqualTo(401);
        assertThat(s.send(s.request("/v1/auth/login", null).header("X-Forwarded-For", "203.0.113.7").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(wrong))).status()).isEqualTo(401);
        assertThat(s.send(s.request("/v1/auth/login", null).header("X-Forwarded-For", "203.0.113.7").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(wrong))).status()).isEqualTo(401);
        List<JsonNode> lockedAttempts = entries(s, "entity=" + userId + "&action=sign-in-failed").stream()
                .filter(e -> e.get("after").path("whileLocked").asBoolean()).toList();
        assertThat(lockedAttempts).extracting(e -> e.get("clientAddress").asText()).containsExactly("203.0.113.7", "127.0.0.1");

        // a sign-in names the person who signed in (positive control beside the refusals: the right password works)
        s.clock.advance(java.time.Duration.ofMinutes(2)); // past the lock (a minute after the fifth failure)
        HttpResult signedIn = s.post("/v1/auth/login", null, right);
        assertThat(signedIn.status()).isEqualTo(200);
        String requestId = signedIn.headers().firstValue("X-Request-Id").orElseThrow();
        List<JsonNode> ofTheSignIn = entries(s, "actor=" + userId).stream().filter(e -> e.get("requestId").asText().equals(requestId)).toList();
        assertThat(ofTheSignIn).extracting(e -> e.get("action").asText() + "/" + e.get("entityType").asText())
                .containsExactlyInAnyOrder("create/credential", "sign-in-unlock/user");
        assertThat(ofTheSignIn).allSatisfy(e -> assertThat(e.get("actorUserId").asText()).isEqualTo(userId));

        // the sign-out: the session ends itself, and says so
        String sessionId = ofTheSignIn.stream().filter(e -> e.get("entityType").asText().equals("credential")).findFirst().orElseThrow()
                .get("entityId").asText();
        assertThat(s.postAs(TestServer.session(signedIn), "/v1/auth/logout", "").status()).isEqualTo(204);
        JsonNode signOut = entries(s, "entity=" + sessionId + "&action=revoke").get(0);
        assertThat(signOut.get("after").get("because").asText()).isEqualTo("sign-out");
        assertThat(signOut.get("actorUserId").asText()).isEqualTo(userId);
        assertThat(signOut.get("credentialId").asText()).isEqualTo(sessionId);
        assertThat(s.get(AUDIT + "/verify", s.ownerToken).json().get("intact").asBoolean()).isTrue();
    }

    @Test
    void onlyAdminsReadTheLogAndAScopedAdminSeesOnlyTheirProjects() {
        String developer = s.addPersonWithCredential("dev-audit@example.com", Role.DEVELOPER, Scope.ALL, Credential.Kind.STATIC,
                Permission.READ_WRITE, Scope.ALL);
        assertThat(s.get(AUDIT, developer).status()).isEqualTo(403);
        assertThat(s.get(AUDIT, s.ownerToken).status()).isEqualTo(200); // positive control
        String project = s.createProject("audit-scoped");
        String scopedAdmin = s.addPersonWithCredential("scoped-admin@example.com", Role.ADMIN, Scope.ALL, Credential.Kind.STATIC,
                Permission.READ_WRITE, Scope.ALL);
        HttpResult narrowed = s.post("/v1/workspace/acme/tokens", scopedAdmin,
                "{\"name\":\"narrow\",\"permission\":\"read\",\"scope\":{\"projects\":[\"" + project + "\"]},\"expiresIn\":\"30d\"}");
        assertThat(narrowed.status()).isEqualTo(201);
        String narrow = narrowed.json().get("token").asText();
        HttpResult page = s.get(AUDIT + "?limit=200", narrow);
        assertThat(page.status()).isEqualTo(200);
        for (JsonNode e : page.json().get("entries")) assertThat(e.get("projectId").asText()).isEqualTo(project);
        // the whole chain is for admins who see the whole workspace
        assertThat(s.get(AUDIT + "/verify", narrow).status()).isEqualTo(403);
        assertThat(s.get(AUDIT + "/export", narrow).status()).isEqualTo(403);
        assertThat(s.get(AUDIT + "/verify", s.ownerToken).status()).isEqualTo(200);
    }

    @Test
    void pagesAreNewestFirstAndTheCursorLeavesNothingOutOrTwice() {
        for (int i = 0; i < 5; i++) s.createToken(s.ownerToken, "read", "{\"all\":true}");
        List<Long> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            HttpResult r = s.get(AUDIT + "?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), s.ownerToken);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("entries").size()).isLessThanOrEqualTo(3);
            r.json().get("entries").forEach(e -> seen.add(e.get("seq").asLong()));
            cursor = r.json().get("next").isNull() ? null : r.json().get("next").asText();
            pages++;
        } while (cursor != null && pages < 1000);
        assertThat(seen).isSortedAccordingTo((a, b) -> Long.compare(b, a)).doesNotHaveDuplicates();
        assertThat(seen.get(seen.size() - 1)).isEqualTo(1L);
        assertThat(seen.get(0)).isEqualTo((long) seen.size()); // consecutive: nothing left out
        assertThat(entries(s, "action=exchange&limit=200")).allSatisfy(e -> assertThat(e.get("action").asText()).isEqualTo("exchange"));
        assertThat(entries(s, "from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z")).isEmpty();
    }

    @Test
    void badQueriesNameTheirParameter() {
        for (Map.Entry<String, String> bad : Map.of("limit=0", "limit", "limit=201", "limit", "limit=x", "limit",
                "actor=nope", "actor", "cursor=-1", "cursor", "from=yesterday", "from", "action=DROP%20TABLE", "action",
                "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from").entrySet()) {
            HttpResult r = s.get(AUDIT + "?" + bad.getKey(), s.ownerToken);
            assertThat(r.status()).as(bad.getKey()).isEqualTo(400);
            assertThat(r.message()).as(bad.getKey()).contains("'" + bad.getValue() + "'");
        }
        // a notarised head for verify: both parts, each well-formed (the control: the chain's own head verifies)
        String hash = "ab".repeat(32);
        for (Map.Entry<String, String> bad : Map.of("seq=3", "hash", "hash=" + hash, "seq", "seq=0&hash=" + hash, "seq",
                "seq=x&hash=" + hash, "seq", "seq=3&hash=" + hash.toUpperCase(java.util.Locale.ROOT), "hash", "seq=3&hash=abc", "hash").entrySet()) {
            HttpResult r = s.get(AUDIT + "/verify?" + bad.getKey(), s.ownerToken);
            assertThat(r.status()).as(bad.getKey()).isEqualTo(400);
            assertThat(r.message()).as(bad.getKey()).contains("query '" + bad.getValue() + "'").doesNotContain(hash);
        }
        AuditLog.NotarisedHead head = head(s, workspaceId(s));
        assertThat(verify(s, head).get("intact").asBoolean()).isTrue();
    }

    @Test
    void theExportVerifiesWithNothingButSha256AndTheServerAgrees() throws Exception {
        s.createToken(s.ownerToken, "read", "{\"all\":true}");
        HttpResult export = s.get(AUDIT + "/export", s.ownerToken);
        assertThat(export.status()).isEqualTo(200);
        assertThat(export.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
        String previous = "0".repeat(64);
        int lines = 0;
        for (String line : export.body().split("\n")) {
            // what the README shows: strip the trailing hash field, SHA-256 the rest, compare; prevHash links the lines
            int at = line.lastIndexOf(",\"hash\":\"");
            String canonical = line.substring(0, at) + "}";
            String hash = line.substring(at + 9, line.length() - 2);
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8))))
                    .isEqualTo(hash);
            assertThat(JSON.readTree(line).get("prevHash").asText()).isEqualTo(previous);
            previous = hash;
            lines++;
        }
        JsonNode verified = s.get(AUDIT + "/verify", s.ownerToken).json();
        assertThat(verified.get("intact").asBoolean()).isTrue();
        assertThat(verified.get("checked").asLong()).isGreaterThanOrEqualTo(lines);
    }

    @Test
    void theDatabaseRefusesToChangeOrDeleteAnEntry() {
        s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThatThrownBy(() -> s.runSql("UPDATE audit_block SET entries = 'nothing' WHERE seq = 1")).hasStackTraceContaining("append-only");
        assertThatThrownBy(() -> s.runSql("DELETE FROM audit_block WHERE seq = 1")).hasStackTraceContaining("append-only");
        assertThat(s.get(AUDIT + "/verify", s.ownerToken).json().get("intact").asBoolean()).isTrue();
    }

    @Test
    void aWriteOfMoreEntriesThanARowHoldsTakesSeveralRowsAndStillVerifies() {
        AuditStore store = new AuditStore();
        List<AuditEntry> drafts = new ArrayList<>();
        for (int i = 0; i < 4_100; i++) {
            drafts.add(new AuditEntry("large-write", 0, null, 1_700_000_000_000L + i, null, null, "system", null, null, "create", "secret",
                    "s" + i, null, null, null, null, "success", null, null));
        }
        List<AuditEntry> stored = s.server.database().write(c -> store.append(c, drafts));
        s.server.database().read(c -> {
            long rows = Sql.one(c, "SELECT COUNT(*) FROM audit_block WHERE workspace_id = 'large-write'", r -> r.getLong(1));
            assertThat(rows).isEqualTo(2L);
            assertThat(stored.stream().map(AuditEntry::id).distinct().count()).isEqualTo(4_100L);
            assertThat(store.one(c, "large-write", stored.get(4_097).id())).isEqualTo(stored.get(4_097));
            AuditLog.Verification v = AuditLog.verify(c, store, "large-write", null);
            assertThat(v.intact()).isTrue();
            assertThat(v.checked()).isEqualTo(4_100);
            return null;
        });
    }

    // ---- reads of values (VIEW) ----

    @Test
    void aReadOfValuesIsRecordedWithWhatWasReadAndNeverTheValue() {
        s.createProject("audit-reads");
        String env = s.createEnvironment("audit-reads", "production", false);
        s.createSecrets("audit-reads", List.of(env), Map.of("API_KEY", "value-that-must-not-leak-1"));
        String base = "/v1/workspace/acme/project/audit-reads/secret";
        HttpResult listed = s.get(base + "?environmentId=" + env, s.ownerToken);
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.body()).contains("value-that-must-not-leak-1");
        JsonNode view = entries(s, "action=view&environment=" + env).get(0);
        assertThat(view.get("entityType").asText()).isEqualTo("secret");
        assertThat(view.get("after").get("secrets").toString()).isEqualTo("[\"API_KEY\"]");
        assertThat(view.get("after").get("environments").toString()).isEqualTo("[\"" + env + "\"]");
        assertThat(view.get("requestId").asText()).isEqualTo(listed.headers().firstValue("X-Request-Id").orElseThrow());
        // the same list again is served from memory on SQLite: still one entry per request
        HttpResult again = s.get(base + "?environmentId=" + env, s.ownerToken);
        assertThat(entries(s, "action=view&environment=" + env).get(0).get("requestId").asText())
                .isEqualTo(again.headers().firstValue("X-Request-Id").orElseThrow());
        HttpResult one = s.get(base + "/API_KEY?environmentId=" + env, s.ownerToken);
        assertThat(one.status()).isEqualTo(200);
        JsonNode got = entries(s, "action=view&environment=" + env).get(0);
        assertThat(got.get("entityId").asText()).isEqualTo(one.json().get("id").asText());
        assertThat(s.get(AUDIT + "/export", s.ownerToken).body()).doesNotContain("value-that-must-not-leak-1");
    }

    /** A project with one secret holding {@code value}; the path that lists it, read once successfully (the control). */
    private static String readableSecret(TestServer t, String value) {
        t.createProject("web");
        String env = t.createEnvironment("web", "production", false);
        t.createSecrets("web", List.of(env), Map.of("TOKEN", value));
        String path = "/v1/workspace/acme/project/web/secret?environmentId=" + env;
        assertThat(t.get(path, t.ownerToken).status()).isEqualTo(200);
        return path;
    }

    /**
     * The audit log appends after every other in-transaction subscriber, even one that subscribed after it: its append
     * takes the chain's lock until the commit (on PostgreSQL every writer of the workspace waits for it), so no other
     * subscriber's statements may run under it. A subscriber added once the server runs counts the workspace's audit
     * rows inside the write's transaction: none of that write's yet; after the commit, its row is there (the control).
     */
    @Test
    void theAuditAppendsAfterEveryOtherInTransactionSubscriber() {
        try (TestServer t = TestServer.start(backend())) {
            List<long[]> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            String[] workspace = new String[1];
            t.server.database().journal().subscribeInTransaction((c, changes) -> {
                Journal.Change team = changes.stream().filter(ch -> "team".equals(ch.entityType())).findFirst().orElse(null);
                if (team == null) return;
                workspace[0] = team.workspaceId();
                seen.add(new long[]{Sql.one(c, "SELECT COUNT(*) FROM audit_block WHERE workspace_id = ?", r -> r.getLong(1), team.workspaceId())});
            });
            assertThat(t.post("/v1/workspace/acme/team", t.ownerToken, "{\"name\":\"ordered-team\"}").status()).isEqualTo(201);
            assertThat(seen).hasSize(1);
            long after = auditRows(t, workspace[0]);
            assertThat(after).as("the write's audit row, committed with it").isGreaterThan(seen.getFirst()[0]);
            assertThat(seen.getFirst()[0]).as("inside the transaction, before the audit's append").isEqualTo(after - 1);
        }
    }

    private static long auditRows(TestServer t, String workspaceId) {
        return t.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM audit_block WHERE workspace_id = ?", r -> r.getLong(1), workspaceId));
    }

    @Test
    void aReadWhoseEntryCannotBeWrittenFailsAndReturnsNothing() {
        try (TestServer t = TestServer.start(backend())) {
            String path = readableSecret(t, "value-that-must-not-leak-2");
            t.runSql("ALTER TABLE audit_block RENAME TO audit_block_away");
            HttpResult refused = t.get(path, t.ownerToken);
            assertThat(refused.status()).isEqualTo(500);
            assertThat(refused.body()).doesNotContain("value-that-must-not-leak-2");
            t.runSql("ALTER TABLE audit_block_away RENAME TO audit_block");
            assertThat(t.get(path, t.ownerToken).status()).isEqualTo(200);
        }
    }

    /**
     * A read whose entry cannot be written in time (the database holds the audit table) is refused once the entry is
     * overdue (503: the database's fault), with nothing of the answer, instead of being held; reads work again once the
     * database does.
     */
    @Test
    void aReadWhoseEntryStallsIsRefusedOnceOverdue() throws Exception {
        try (TestServer t = TestServer.start(backend())) {
            String path = readableSecret(t, "value-that-must-not-leak-3");
            ExecutorService pool = Executors.newSingleThreadExecutor();
            // a transaction that holds the audit table: SQLite's single writer, PostgreSQL's table lock
            try (var held = HeldTransaction.write(t.server.database(), c -> {
                if (Dialect.of(c) == Dialect.POSTGRESQL) {
                    try (var st = c.createStatement()) {
                        st.execute("LOCK TABLE audit_block IN EXCLUSIVE MODE");
                    }
                }
            })) {
                Future<HttpResult> read = pool.submit(() -> t.get(path, t.ownerToken));
                Await.until("the read's entry waits", Duration.ofSeconds(10), Duration.ofMillis(10),
                        () -> t.server.auditEvents().backlog() > 0);
                t.server.jobs().runNow(AuditFeature.OVERDUE_JOB);
                assertThat(read.isDone()).as("not refused before it is overdue").isFalse();
                t.clock.advance(Duration.ofSeconds(11));
                t.server.jobs().runNow(AuditFeature.OVERDUE_JOB);
                HttpResult refused = read.get(10, TimeUnit.SECONDS);
                // a stalled database, not the request's fault nor a bug: 503 with Retry-After (store/DatabaseUnavailable)
                assertThat(refused.status()).as("%s", refused).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).isPresent();
                assertThat(refused.body()).doesNotContain("value-that-must-not-leak-3");
            } finally {
                pool.shutdownNow();
            }
            assertThat(t.get(path, t.ownerToken).status()).as("reads work again once the database does").isEqualTo(200);
        }
    }

    @Test
    void readsOffRecordNoViewEntries() {
        try (TestServer t = TestServer.start(backend(), "--audit-record-reads=false")) {
            t.createProject("web");
            String env = t.createEnvironment("web", "production", false);
            t.createSecrets("web", List.of(env), Map.of("TOKEN", "x"));
            assertThat(t.get("/v1/workspace/acme/project/web/secret?environmentId=" + env, t.ownerToken).status()).isEqualTo(200);
            assertThat(entries(t, "action=view")).isEmpty();
            assertThat(entries(t, "")).isNotEmpty(); // writes are still recorded
        }
    }

    // ---- outside the database: the device file and the logged head ----

    @Test
    void theDeviceFileHoldsEveryCommittedEntryAsTheExportDoes() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempDirectory("ek-audit").resolve("audit.jsonl");
        try (TestServer t = TestServer.start(backend(), "--audit-file=" + file)) {
            t.createToken(t.ownerToken, "read", "{\"all\":true}");
            assertThat(t.post("/v1/workspace/acme/tokens", t.createToken(t.ownerToken, "read", "{\"all\":true}"),
                    "{\"name\":\"x\",\"permission\":\"read\",\"expiresIn\":\"30d\"}").status()).isEqualTo(403);
            String export = t.get(AUDIT + "/export", t.ownerToken).body();
            List<String> device = java.nio.file.Files.readAllLines(file);
            for (String line : export.split("\n")) assertThat(device).contains(line);
            assertThat(java.nio.file.Files.getPosixFilePermissions(file).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        }
    }

    @Test
    void eachChainsHeadGoesToTheLog() {
        s.createToken(s.ownerToken, "read", "{\"all\":true}");
        List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(AuditLog.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        logger.addHandler(handler);
        try {
            new AuditLog(s.server.database(), new AuditStore(), AuditDevice.NONE, s.clock).logHeads();
        } finally {
            logger.removeHandler(handler);
        }
        String head = s.get(AUDIT + "?limit=1", s.ownerToken).json().get("entries").get(0).get("hash").asText();
        assertThat(logged).anySatisfy(r -> assertThat(r.getParameters()[0].toString()).contains("head").contains(head));
    }

    // ---- tampering, each on a server of its own: an operator with the database file and no scruples ----

    /**
     * A server whose acme chain has groups of one entry (five tokens, one transaction each) and, last, a group of
     * several (one request that creates four secrets), with its triggers off (what a tamperer does first).
     */
    private TestServer tampered() {
        TestServer t = TestServer.start(backend());
        for (int i = 0; i < 5; i++) t.createToken(t.ownerToken, "read", "{\"all\":true}");
        t.createProject("tamper");
        String env = t.createEnvironment("tamper", "production", false);
        t.createSecrets("tamper", List.of(env), Map.of("A", "1", "B", "2", "C", "3", "D", "4"));
        if (backend() == Backend.POSTGRESQL) {
            t.runSql("ALTER TABLE audit_block DISABLE TRIGGER USER");
        } else {
            t.runSql("DROP TRIGGER audit_block_no_update");
            t.runSql("DROP TRIGGER audit_block_no_delete");
        }
        assertThat(verify(t).get("intact").asBoolean()).isTrue(); // the control: untouched, it verifies
        return t;
    }

    private JsonNode verify(TestServer t) {
        HttpResult r = t.get(AUDIT + "/verify", t.ownerToken);
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }

    /** The verification against a head kept outside the database. */
    private JsonNode verify(TestServer t, AuditLog.NotarisedHead head) {
        HttpResult r = t.get(AUDIT + "/verify?seq=" + head.seq() + "&hash=" + head.hash(), t.ownerToken);
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.json();
    }

    /** The chain's head now, as the log's {@code "audit":"head"} line gives it (eachChainsHeadGoesToTheLog). */
    private static AuditLog.NotarisedHead head(TestServer t, String workspaceId) {
        AuditStore.Head head = t.server.database().read(c -> new AuditStore().head(c, workspaceId));
        return new AuditLog.NotarisedHead(head.seq(), head.hash());
    }

    private static List<AuditStore.Group> groups(TestServer t, String workspaceId) {
        List<AuditStore.Group> all = new ArrayList<>();
        t.server.database().read(c -> {
            new AuditStore().walkGroups(c, workspaceId, all::add);
            return null;
        });
        return all;
    }

    /** A group of one entry, past the first few (the bootstrap's). */
    private static AuditStore.Group single(List<AuditStore.Group> groups, int which) {
        return groups.stream().filter(g -> g.seq() == g.lastSeq() && g.seq() > 1).skip(which).findFirst().orElseThrow();
    }

    /** The last group: several entries. */
    private static AuditStore.Group several(List<AuditStore.Group> groups) {
        AuditStore.Group last = groups.getLast();
        assertThat(last.lastSeq() - last.seq()).as("the secrets' group holds several entries").isGreaterThanOrEqualTo(3);
        return last;
    }

    /** Rewrites a group's stored lines (a list of the export lines, oldest first, to edit in place). */
    private static void rewrite(TestServer t, AuditStore.Group group, java.util.function.Consumer<List<String>> edit) {
        List<String> lines = new ArrayList<>(List.of(group.lines().split("\n")));
        edit.accept(lines);
        t.runSql("UPDATE audit_block SET entries = " + literal(String.join("\n", lines)) + " WHERE workspace_id = '" + group.workspaceId()
                + "' AND seq = " + group.seq());
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private String workspaceId(TestServer t) {
        return t.server.database().read(c -> Sql.one(c, "SELECT id FROM workspace WHERE slug = 'acme'", r -> r.getString(1)));
    }

    /**
     * On a server of its own, edits the lines of the group of several entries and expects the chain to break at the
     * group's line {@code at}, where the group's original entry {@code found} now stands.
     */
    private void editedGroupBreaksAt(java.util.function.Consumer<List<String>> edit, int at, int found, String problem) {
        try (TestServer t = tampered()) {
            AuditStore.Group group = several(groups(t, workspaceId(t)));
            rewrite(t, group, edit);
            brokenAt(verify(t), group.seq() + at, group.entries().get(found).id(), problem);
        }
    }

    private static void brokenAt(JsonNode v, long seq, String id, String problem) {
        assertThat(v.get("intact").asBoolean()).as("%s", v).isFalse();
        assertThat(v.get("firstBadSeq").asLong()).as("%s", v).isEqualTo(seq);
        assertThat(v.get("checked").asLong()).as("%s", v).isEqualTo(seq - 1);
        if (id != null) assertThat(v.get("firstBadId").asText()).as("%s", v).isEqualTo(id);
        assertThat(v.get("problem").asText()).as("%s", v).contains(problem);
    }

    @Test
    void aChangedFieldIsFoundAtItsEntry() {
        try (TestServer t = tampered()) {
            AuditStore.Group one = single(groups(t, workspaceId(t)), 1);
            rewrite(t, one, lines -> lines.set(0, lines.getFirst().replace("\"clientAddress\":\"127.0.0.1\"", "\"clientAddress\":\"10.6.6.6\"")));
            brokenAt(verify(t), one.seq(), one.firstId(), "changed");
        }
        // the third entry of a group of several (stored compactly: it names only what differs from the entry before, so
        // the outcome it inherits is written into it)
        editedGroupBreaksAt(lines -> lines.set(2, lines.get(2).replace("\"hash\":\"", "\"outcome\":\"failure\",\"hash\":\"")), 2, 2,
                "changed");
        // fields set to null in the group's first line (the one that names them all): reported like any other change, not
        // a failure of the verification
        editedGroupBreaksAt(lines -> lines.set(0, lines.get(0).replaceFirst("\"prevHash\":\"[0-9a-f]+\"", "\"prevHash\":null")
                .replaceFirst("\"hash\":\"[0-9a-f]+\"", "\"hash\":null")), 0, 0, "previous hash");
    }

    @Test
    void aRemovedEntryIsFoundWhereItWas() {
        try (TestServer t = tampered()) {
            // a whole group's row
            List<AuditStore.Group> groups = groups(t, workspaceId(t));
            AuditStore.Group gone = single(groups, 1);
            AuditStore.Group next = groups.get(groups.indexOf(gone) + 1);
            t.runSql("DELETE FROM audit_block WHERE workspace_id = '" + gone.workspaceId() + "' AND seq = " + gone.seq());
            brokenAt(verify(t), gone.seq(), next.firstId(), "removed");
        }
        // one entry out of a group of several: the next one found in its place
        editedGroupBreaksAt(lines -> lines.remove(1), 1, 2, "removed");
    }

    @Test
    void aChainCutShortAtItsEndVerifiesAloneButNotAgainstItsNotarisedHead() {
        try (TestServer t = tampered()) {
            String ws = workspaceId(t);
            AuditLog.NotarisedHead kept = head(t, ws);
            assertThat(verify(t, kept).get("intact").asBoolean()).isTrue(); // the control: it reaches its head and holds its hash
            AuditStore.Group last = several(groups(t, ws));
            assertThat(last.lastSeq()).isEqualTo(kept.seq());
            t.runSql("DELETE FROM audit_block WHERE workspace_id = '" + ws + "' AND seq = " + last.seq());
            // what a chain cannot see by itself: its newest entries gone, what is left still links up
            JsonNode alone = verify(t);
            assertThat(alone.get("intact").asBoolean()).as("%s", alone).isTrue();
            assertThat(alone.get("checked").asLong()).isEqualTo(last.seq() - 1);
            JsonNode against = verify(t, kept);
            brokenAt(against, last.seq(), null, "ends at entry " + (last.seq() - 1) + ", before the notarised head " + kept.seq());
            assertThat(against.get("firstBadId").isNull()).as("no entry stands where the chain ends").isTrue();
        }
    }

    @Test
    void aTailRebuiltWithValidHashesVerifiesAloneButNotAgainstItsNotarisedHead() {
        try (TestServer t = tampered()) {
            String ws = workspaceId(t);
            AuditLog.NotarisedHead kept = head(t, ws);
            AuditStore.Group last = several(groups(t, ws));
            // the newest group's entries written again from another address, chained and hashed by the store itself: a
            // rewrite by someone who can write the database and has the code
            List<AuditEntry> forged = last.entries().stream().map(e -> new AuditEntry(e.workspaceId(), 0, null, e.at(), e.actorUserId(),
                    e.credentialId(), e.credentialKind(), "10.6.6.6", e.requestId(), e.action(), e.entityType(), e.entityId(), e.projectId(),
                    e.environmentId(), e.beforeJson(), e.afterJson(), e.outcome(), null, null)).toList();
            List<AuditEntry> rewritten = t.server.database().write(c -> {
                Sql.update(c, "DELETE FROM audit_block WHERE workspace_id = ? AND seq = ?", ws, last.seq());
                return new AuditStore().append(c, forged);
            });
            assertThat(rewritten.getLast().seq()).isEqualTo(kept.seq());
            JsonNode alone = verify(t);
            assertThat(alone.get("intact").asBoolean()).as("%s", alone).isTrue();
            assertThat(alone.get("checked").asLong()).isEqualTo(kept.seq());
            brokenAt(verify(t, kept), kept.seq(), rewritten.getLast().id(), "not the notarised head's");
        }
    }

    @Test
    void anInsertedEntryWithAValidHashIsFoundAtTheEntryAfterIt() {
        // a forged line, well-formed and chained to the entry before it, inside a group of several: it passes, and the
        // entry it pushed along is found one place late
        editedGroupBreaksAt(lines -> lines.add(1, forged(AuditEntry.parse(lines.getFirst())).line()), 2, 1, "sequence");
        try (TestServer t = tampered()) {
            // a forged group of its own: the later rows renumbered one up to make room for it
            String ws = workspaceId(t);
            List<AuditStore.Group> groups = groups(t, ws);
            AuditStore.Group at = single(groups, 2);
            AuditStore.Group before = groups.get(groups.indexOf(at) - 1);
            AuditEntry previous = before.entries().getLast();
            for (AuditStore.Group g : groups.reversed()) {
                if (g.seq() < at.seq()) break;
                t.runSql("UPDATE audit_block SET seq = " + (g.seq() + 1) + " WHERE workspace_id = '" + ws + "' AND seq = " + g.seq());
            }
            AuditEntry.Chained forged = forged(previous);
            t.runSql("INSERT INTO audit_block (workspace_id, seq, last_seq, first_id, min_at, max_at, hash, entries) VALUES ('" + ws + "', "
                    + at.seq() + ", " + at.seq() + ", '" + forged.entry().id() + "', " + forged.entry().at() + ", " + forged.entry().at() + ", '"
                    + forged.entry().hash() + "', " + literal(forged.line()) + ")");
            brokenAt(verify(t), at.seq() + 1, at.firstId(), "sequence");
        }
    }

    /** A well-formed entry that would follow {@code previous}: what a forger writes. */
    private static AuditEntry.Chained forged(AuditEntry previous) {
        return new AuditEntry(previous.workspaceId(), 0, null, previous.at(), null, null, "system", null, null, "delete", "credential",
                "nothing", null, null, null, null, "success", null, null)
                .chained(previous.seq() + 1, "11111111-1111-7111-8111-111111110000", previous.hash());
    }

    @Test
    void twoSwappedEntriesAreFoundAtTheFirst() {
        try (TestServer t = tampered()) {
            // two groups' rows trade places (their numbers and everything else)
            String ws = workspaceId(t);
            List<AuditStore.Group> groups = groups(t, ws);
            AuditStore.Group second = single(groups, 1);
            AuditStore.Group third = groups.get(groups.indexOf(second) + 1);
            assertThat(third.seq()).isEqualTo(third.lastSeq());
            t.runSql("UPDATE audit_block SET seq = -1 WHERE workspace_id = '" + ws + "' AND seq = " + second.seq());
            t.runSql("UPDATE audit_block SET seq = " + second.seq() + " WHERE workspace_id = '" + ws + "' AND seq = " + third.seq());
            t.runSql("UPDATE audit_block SET seq = " + third.seq() + " WHERE workspace_id = '" + ws + "' AND seq = -1");
            brokenAt(verify(t), second.seq(), third.firstId(), "sequence");
        }
        // two entries of one group trade places
        editedGroupBreaksAt(lines -> java.util.Collections.swap(lines, 1, 2), 1, 2, "sequence");
    }

    @Test
    void aRowWhoseColumnsNoLongerFindItsEntriesIsFound() {
        try (TestServer t = tampered()) {
            // the entries intact, the id that finds them changed: the one-entry route would no longer find them
            AuditStore.Group group = several(groups(t, workspaceId(t)));
            t.runSql("UPDATE audit_block SET first_id = '22222222-2222-7222-8222-222222220000' WHERE workspace_id = '" + group.workspaceId()
                    + "' AND seq = " + group.seq());
            brokenAt(verify(t), group.seq(), group.firstId(), "does not match its entries");
        }
    }

    /**
     * Eight reads at once while the audit table is held, so their entries are group-committed together: returns the
     * largest group of reads that holds them (two groups at most: the writer may have taken the first before it waited).
     */
    private static AuditStore.Group groupOfReads(TestServer t, String path) throws Exception {
        String ws = t.server.database().read(c -> Sql.one(c, "SELECT id FROM workspace WHERE slug = 'acme'", r -> r.getString(1)));
        long before = groups(t, ws).getLast().lastSeq();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpResult>> reads = new ArrayList<>();
            try (var held = HeldTransaction.write(t.server.database(), c -> {
                if (Dialect.of(c) == Dialect.POSTGRESQL) {
                    try (var st = c.createStatement()) {
                        st.execute("LOCK TABLE audit_block IN EXCLUSIVE MODE");
                    }
                }
            })) {
                for (int i = 0; i < 8; i++) reads.add(pool.submit(() -> t.get(path, t.ownerToken)));
                Await.until("the reads' entries wait", Duration.ofSeconds(10), Duration.ofMillis(5), () -> t.server.auditEvents().backlog() >= 8);
            }
            for (Future<HttpResult> read : reads) assertThat(read.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        } finally {
            pool.shutdownNow();
        }
        AuditStore.Group largest = groups(t, ws).stream().filter(g -> g.seq() > before)
                .max(java.util.Comparator.comparingLong(g -> g.lastSeq() - g.seq())).orElseThrow();
        assertThat(largest.lastSeq() - largest.seq()).as("a group of at least four reads").isGreaterThanOrEqualTo(3);
        return largest;
    }

    /**
     * A group of reads is stored compactly (each entry after the first holds what differs from the one before), and reads
     * back, verifies and exports as the full entries.
     */
    @Test
    void aGroupOfReadsIsStoredCompactlyAndReadsBackWhole() throws Exception {
        try (TestServer t = TestServer.start(backend())) {
            String path = readableSecret(t, "value-that-must-not-leak-4");
            AuditStore.Group group = groupOfReads(t, path);
            String[] lines = group.lines().split("\n");
            assertThat(lines[0]).startsWith("{\"workspaceId\":").contains("\"secrets\":[\"TOKEN\"]");
            for (int i = 1; i < lines.length; i++) {
                assertThat(lines[i]).startsWith("{\"seq\":").contains("\"requestId\":").doesNotContain("TOKEN").doesNotContain("\"projectId\"");
                assertThat(lines[i].length()).as(lines[i]).isLessThan(lines[0].length() / 3);
            }
            List<AuditEntry> entries = group.entries();
            assertThat(entries).extracting(AuditEntry::requestId).doesNotHaveDuplicates();
            for (AuditEntry e : entries) {
                JsonNode one = t.get(AUDIT + "/" + e.id(), t.ownerToken).json();
                assertThat(one.get("action").asText()).isEqualTo("view");
                assertThat(one.get("requestId").asText()).isEqualTo(e.requestId());
                assertThat(one.get("after").get("secrets").get(0).asText()).isEqualTo("TOKEN");
                assertThat(one.get("clientAddress").asText()).isEqualTo("127.0.0.1");
            }
            assertThat(verify(t).get("intact").asBoolean()).isTrue();
            // the query's filters find the entries whose fields a compact line inherits (the database's coarse test reads
            // the group's text, where each value is written once)
            List<String> found = entries(t, "action=view&credential=" + ownerCredentialId(t) + "&limit=200").stream()
                    .map(e -> e.get("id").asText()).toList();
            assertThat(found).containsAll(entries.stream().map(AuditEntry::id).toList());
            // the export holds each entry whole, hashed as its canonical form
            String exported = t.get(AUDIT + "/export", t.ownerToken).body();
            for (AuditEntry e : entries) {
                String line = exported.lines().filter(l -> l.contains("\"id\":\"" + e.id() + "\"")).findFirst().orElseThrow();
                assertThat(line).isEqualTo(e.exportLine()).contains("\"secrets\":[\"TOKEN\"]").doesNotContain("value-that-must-not-leak-4");
            }
        }
    }

    /**
     * A write's entries are one group stored compactly too (a bulk create of 50 secrets is about a hundred entries that
     * differ in little but the secret), and they read back, verify and export whole.
     */
    @Test
    void aWriteGroupIsStoredCompactlyAndReadsBackWhole() {
        try (TestServer t = TestServer.start(backend())) {
            t.createProject("bulk");
            String env = t.createEnvironment("bulk", "production", false);
            t.createSecrets("bulk", List.of(env), Map.of("ALPHA", "value-that-must-not-leak-5", "BRAVO", "value-that-must-not-leak-6",
                    "CHARLIE", "value-that-must-not-leak-7"));
            AuditStore.Group group = groups(t, workspaceId(t)).getLast();
            String[] lines = group.lines().split("\n");
            assertThat(lines).as("a create and a value for each secret").hasSize(6);
            assertThat(lines[0]).startsWith("{\"workspaceId\":");
            for (int i = 1; i < lines.length; i++) {
                assertThat(lines[i]).startsWith("{\"seq\":").doesNotContain("\"clientAddress\"").doesNotContain("\"workspaceId\"");
                assertThat(lines[i].length()).as(lines[i]).isLessThan(lines[0].length());
            }
            List<AuditEntry> entries = group.entries();
            assertThat(entries).extracting(AuditEntry::entityType).containsOnly("secret", "secret-value");
            for (AuditEntry e : entries) {
                JsonNode one = t.get(AUDIT + "/" + e.id(), t.ownerToken).json();
                assertThat(one.get("action").asText()).isEqualTo("create");
                assertThat(one.get("entityId").asText()).isEqualTo(e.entityId());
                assertThat(one.get("clientAddress").asText()).isEqualTo("127.0.0.1");
            }
            assertThat(entries.stream().filter(e -> e.entityType().equals("secret")).map(e -> e.afterJson()))
                    .anySatisfy(after -> assertThat(after).contains("\"name\":\"ALPHA\""))
                    .anySatisfy(after -> assertThat(after).contains("\"name\":\"CHARLIE\""));
            assertThat(verify(t).get("intact").asBoolean()).isTrue();
            String exported = t.get(AUDIT + "/export", t.ownerToken).body();
            for (AuditEntry e : entries) {
                String line = exported.lines().filter(l -> l.contains("\"id\":\"" + e.id() + "\"")).findFirst().orElseThrow();
                assertThat(line).isEqualTo(e.exportLine()).doesNotContain("value-that-must-not-leak");
            }
        }
    }

    /** On a server of its own with its triggers off, edits a group of reads' lines and expects the chain to break there. */
    private void editedReadsBreakAt(java.util.function.Consumer<List<String>> edit, int at, int found, String problem) throws Exception {
        try (TestServer t = tampered()) {
            AuditStore.Group group = groupOfReads(t, readableSecret(t, "value"));
            rewrite(t, group, edit);
            brokenAt(verify(t), group.seq() + at, group.entries().get(found).id(), problem);
        }
    }

    @Test
    void tamperingWithACompactGroupIsFoundAtItsEntry() throws Exception {
        // a field of a compact line
        editedReadsBreakAt(lines -> lines.set(2, lines.get(2).replaceFirst("\"requestId\":\"[^\"]*\"", "\"requestId\":\"forged\"")), 2, 2,
                "changed");
        // a field the later lines inherit, changed in the first line: found there
        editedReadsBreakAt(lines -> lines.set(0, lines.getFirst().replace("\"clientAddress\":\"127.0.0.1\"", "\"clientAddress\":\"10.6.6.6\"")),
                0, 0, "changed");
        // a field added to a compact line (it inherited it before)
        editedReadsBreakAt(lines -> lines.set(1, lines.get(1).replace("\"hash\"", "\"clientAddress\":\"10.6.6.6\",\"hash\"")), 1, 1,
                "changed");
        // a line removed, and two swapped: the entry found in its place is named
        editedReadsBreakAt(lines -> lines.remove(1), 1, 2, "removed");
        editedReadsBreakAt(lines -> java.util.Collections.swap(lines, 1, 2), 1, 2, "sequence");
        // the group's first line removed: a compact line cannot stand first (it names neither its id nor the hash before)
        try (TestServer t = tampered()) {
            AuditStore.Group group = groupOfReads(t, readableSecret(t, "value"));
            rewrite(t, group, lines -> lines.removeFirst());
            brokenAt(verify(t), group.seq(), group.firstId(), "does not read as entries");
        }
        // the first line's id, which the compact lines' ids derive from, set to null
        try (TestServer t = tampered()) {
            AuditStore.Group group = groupOfReads(t, readableSecret(t, "value"));
            rewrite(t, group, lines -> lines.set(0, lines.getFirst().replaceFirst("\"id\":\"[^\"]*\"", "\"id\":null")));
            brokenAt(verify(t), group.seq(), group.firstId(), "does not read as entries");
        }
    }

    @Test
    void twoNodesReadingAndWritingAtOnceKeepOneChain() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // one SQLite file has one writer process
        try (TestServer a = TestServer.start(backend()); TestServer b = a.anotherNode(new TestClock())) {
            a.createProject("both");
            String env = a.createEnvironment("both", "production", false);
            a.createSecrets("both", List.of(env), Map.of("SHARED", "1"));
            String list = "/v1/workspace/acme/project/both/secret?environmentId=" + env;
            long before = verify(a).get("checked").asLong();
            // each node's reads go in one round trip while the head it last wrote is still the chain's head, and in a
            // transaction that reads the head when the other node (or a write) moved it: interleaved, both happen often
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Integer>> requests = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                TestServer node = i % 2 == 0 ? a : b;
                boolean write = i % 25 == 0;
                requests.add(pool.submit(() -> {
                    if (!write) return node.get(list, a.ownerToken).status();
                    node.createToken(a.ownerToken, "read", "{\"all\":true}");
                    return 201;
                }));
            }
            for (Future<Integer> r : requests) assertThat(r.get()).isIn(200, 201);
            pool.shutdown();
            JsonNode v = verify(a);
            assertThat(v.get("intact").asBoolean()).as("%s", v).isTrue();
            assertThat(verify(b)).isEqualTo(v);
            // every read's entry is there, once: 384 reads (and 16 token creates of at least one entry each)
            long viewed = 0;
            String cursor = null;
            do {
                HttpResult page = a.get(AUDIT + "?action=view&environment=" + env + "&limit=200" + (cursor == null ? "" : "&cursor=" + cursor), a.ownerToken);
                viewed += page.json().get("entries").size();
                cursor = page.json().get("next").isNull() ? null : page.json().get("next").asText();
            } while (cursor != null);
            assertThat(viewed).isEqualTo(384);
            assertThat(v.get("checked").asLong()).isGreaterThanOrEqualTo(before + 400);
        }
    }

    /**
     * On PostgreSQL each chain of a group of reads and exchanges is a transaction of its own. When one chain's append
     * fails (its advisory lock held elsewhere past the statement timeout), the other chain's entries are stored all the
     * same: their reads are answered, and an exchange among them is not held to be written a second time; the failed
     * chain's exchange is held, answered, and written once, by the next group that stores its chain (even when that
     * group's other chain fails).
     */
    @Test
    void aGroupWhoseOtherChainFailsAnswersWhatItsOwnChainStored() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // SQLite appends a group in one transaction
        try (TestServer t = TestServer.start(backend(), "--database-statement-timeout-millis=3000")) {
            String read = readableSecret(t, "value-that-must-not-leak-5"); // its entry: acme's head is known to the writer
            String acme = workspaceId(t);
            String otherToken = t.createWorkspace("other", "other@example.com"); // a chain of its own
            String other = t.server.database().read(c -> Sql.one(c, "SELECT id FROM workspace WHERE slug = 'other'", r -> r.getString(1)));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            Future<HttpResult> first;
            Future<HttpResult> read1;
            Future<HttpResult> exchange1;
            Future<HttpResult> exchange2;
            HeldTransaction otherLocked;
            try (HeldTransaction acmeLocked = HeldTransaction.write(t.server.database(), c -> advisoryLock(c, acme))) {
                first = pool.submit(() -> t.get(read, t.ownerToken));
                Await.until("the first group waits for acme's lock", Duration.ofSeconds(10), Duration.ofMillis(5), () -> waitingForALock(t));
                // queued behind it, so the next group holds all three: the other workspace's exchange first (its chain is
                // tried first, and fails), then acme's read and exchange
                exchange2 = pool.submit(() -> t.post("/v1/auth/exchange", otherToken, "{}"));
                Await.until("the other workspace's exchange queues", Duration.ofSeconds(10), Duration.ofMillis(5),
                        () -> t.server.auditEvents().backlog() >= 2);
                read1 = pool.submit(() -> t.get(read, t.ownerToken));
                exchange1 = pool.submit(() -> t.post("/v1/auth/exchange", t.ownerToken, "{}"));
                Await.until("three entries queue", Duration.ofSeconds(10), Duration.ofMillis(5), () -> t.server.auditEvents().backlog() >= 4);
                // the other workspace's chain locked: the next group's transaction for it waits until its statement times out
                otherLocked = HeldTransaction.write(t.server.database(), c -> advisoryLock(c, other));
            }
            try {
                assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
                assertThat(read1.get(10, TimeUnit.SECONDS).status()).as("stored in its chain's transaction: answered").isEqualTo(200);
                assertThat(exchange1.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
                assertThat(exchange2.get(10, TimeUnit.SECONDS).status()).as("not stored, held: answered").isEqualTo(200);
            } finally {
                otherLocked.close();
                pool.shutdownNow();
            }
            // the held exchange is written by the next group, with a read of acme whose chain is now locked: the other
            // chain is stored (the held entry first), acme's fails, and the held exchange, stored, must not be held again
            try (HeldTransaction acmeLocked = HeldTransaction.write(t.server.database(), c -> advisoryLock(c, acme))) {
                HttpResult refused = t.get(read, t.ownerToken);
                assertThat(refused.status()).as("its chain's append timed out: %s", refused.body()).isEqualTo(503);
            }
            assertThat(t.server.auditEvents().backlog()).as("nothing held once the held exchange is stored").isZero();
            assertThat(t.get(read, t.ownerToken).status()).isEqualTo(200); // a group after it: writes no held entry again
            List<AuditEntry> acmeEntries = entriesOf(t, acme);
            for (Future<HttpResult> request : List.of(read1, exchange1)) {
                String requestId = request.get().headers().firstValue("X-Request-Id").orElseThrow();
                assertThat(acmeEntries).as("the entry of %s, once", requestId).filteredOn(e -> requestId.equals(e.requestId())).hasSize(1);
            }
            String exchanged = exchange2.get().headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(entriesOf(t, other)).filteredOn(e -> exchanged.equals(e.requestId())).hasSize(1);
            assertThat(verify(t).get("intact").asBoolean()).isTrue();
        }
    }

    /**
     * On PostgreSQL a node's writes of one chain queue for the node's own lock of it, and the one whose turn it is waits
     * for the chain's advisory lock. While another transaction holds that lock past the statement timeout, each write
     * fails with 503 in bounded time and leaves nothing; once the lock is free, the next write goes on (the long way:
     * the node no longer trusts the head it knew) and the chain is whole.
     */
    @Test
    void writesBehindAChainLockedElsewhereFailInBoundedTimeAndLeaveNothing() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // SQLite's chains are locked by its single writer
        try (TestServer t = TestServer.start(backend(), "--database-statement-timeout-millis=1000")) {
            String acme = workspaceId(t);
            t.createToken(t.ownerToken, "read", "{\"all\":true}"); // this node now knows acme's head
            java.util.function.Predicate<AuditEntry> tokenCreated = e -> e.action().equals("create") && e.entityType().equals("credential");
            long before = entriesOf(t, acme).stream().filter(tokenCreated).count();
            String token = "{\"name\":\"queued\",\"permission\":\"read\",\"expiresIn\":\"30d\"}";
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try (HeldTransaction acmeLocked = HeldTransaction.write(t.server.database(), c -> advisoryLock(c, acme))) {
                List<Future<HttpResult>> writes = new ArrayList<>();
                for (int i = 0; i < 3; i++) writes.add(pool.submit(() -> t.post("/v1/workspace/acme/tokens", t.ownerToken, token)));
                for (Future<HttpResult> write : writes) {
                    HttpResult refused = write.get(20, TimeUnit.SECONDS);
                    assertThat(refused.status()).as("%s", refused.body()).isEqualTo(503);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(t.post("/v1/workspace/acme/tokens", t.ownerToken, token).status()).as("the chain free again").isEqualTo(201);
            assertThat(entriesOf(t, acme)).filteredOn(tokenCreated).hasSize((int) before + 1);
            JsonNode tokens = t.get("/v1/workspace/acme/tokens", t.ownerToken).json();
            int queued = 0;
            for (JsonNode listed : tokens) if ("queued".equals(listed.path("name").asText())) queued++;
            assertThat(queued).as("tokens named 'queued': %s", tokens).isEqualTo(1);
            assertThat(verify(t).get("intact").asBoolean()).isTrue();
        }
    }

    private static void advisoryLock(java.sql.Connection c, String workspaceId) throws java.sql.SQLException {
        try (var statement = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            statement.setLong(1, AuditStore.lockKey(workspaceId));
            statement.execute();
        }
    }

    private static boolean waitingForALock(TestServer t) {
        return t.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                r -> r.getLong(1))) > 0;
    }

    private static List<AuditEntry> entriesOf(TestServer t, String workspaceId) {
        List<AuditEntry> all = new ArrayList<>();
        for (AuditStore.Group group : groups(t, workspaceId)) all.addAll(group.entries());
        return all;
    }

    @Test
    void twoNodesWritingAtOnceKeepOneChain() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // one SQLite file has one writer process
        try (TestServer a = TestServer.start(backend()); TestServer b = a.anotherNode(new TestClock())) {
            java.util.function.Predicate<AuditEntry> tokenCreated = e -> e.action().equals("create") && e.entityType().equals("credential");
            long before = entriesOf(a, workspaceId(a)).stream().filter(tokenCreated).count(); // the owner's, made at the start
            for (int i = 0; i < 6; i++) (i % 2 == 0 ? a : b).createToken(a.ownerToken, "read", "{\"all\":true}"); // in turn, then at once
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                TestServer node = i % 2 == 0 ? a : b;
                writes.add(pool.submit(() -> node.createToken(a.ownerToken, "read", "{\"all\":true}")));
            }
            for (Future<?> w : writes) w.get();
            pool.shutdown();
            assertThat(entriesOf(a, workspaceId(a))).as("every token created has its entry, once")
                    .filteredOn(tokenCreated).hasSize((int) before + 46);
            JsonNode v = verify(a);
            assertThat(v.get("intact").asBoolean()).isTrue();
            assertThat(v.get("checked").asLong()).isGreaterThanOrEqualTo(40);
            Map<String, Long> perSeq = new LinkedHashMap<>();
            a.server.database().read(c -> {
                perSeq.put("rows", Sql.one(c, "SELECT SUM(last_seq - seq + 1) FROM audit_block WHERE workspace_id = ?", r -> r.getLong(1),
                        workspaceId(a)));
                perSeq.put("max", Sql.one(c, "SELECT MAX(last_seq) FROM audit_block WHERE workspace_id = ?", r -> r.getLong(1), workspaceId(a)));
                return null;
            });
            assertThat(perSeq.get("rows")).isEqualTo(perSeq.get("max")); // no fork, no gap
            assertThat(a.server.database().dialect()).isEqualTo(Dialect.POSTGRESQL);
        }
    }
}
