package dev.ekvault.server.share;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.LogCapture;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.TestIssuer;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

/** Secret shares over real HTTP: create, list, revoke, the public view, and what never reaches the database or a log. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ShareContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final String SHARES = WS + "/project/web/secret-share";
    static final String VALUE = "share-canary-value-7f3a9";
    static final String PERSONAL = "share-canary-personal-2b8c1";

    TestServer s;
    TestIssuer cluster;
    String prod;
    String dev;
    String secretId;
    TestServer.Session developer;
    TestServer.Session otherDeveloper;
    TestServer.Session viewer;

    @BeforeAll
    void start() {
        s = TestServer.start(backend(), "--share-password-attempts=3", "--share-max-views=10", "--share-max-expiry-hours=48",
                "--oidc-allow-http-issuers=true");
        cluster = TestIssuer.start(s.clock);
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", true);
        JsonNode created = s.createSecrets("web", List.of(prod, dev), Map.of("API_KEY", VALUE));
        secretId = created.get(0).get("id").asText();
        developer = s.invitePerson("dev@example.com", "developer", null);
        otherDeveloper = s.invitePerson("dev2@example.com", "developer", null);
        viewer = s.invitePerson("viewer@example.com", "member", null);
        HttpResult personal = s.putAs(developer, WS + "/project/web/secret/" + secretId,
                "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"" + PERSONAL + "\",\"isPersonal\":true}]}");
        assertThat(personal.status()).as(personal.toString()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        cluster.close();
        s.close();
    }

    private HttpResult share(String token, String json) {
        return s.post(SHARES, token, json);
    }

    private HttpResult view(String shareToken, String password) {
        return s.post("/v1/share/" + shareToken + "/view", null, password == null ? "" : "{\"password\":" + TestServer.quote(password) + "}");
    }

    private String secretShare(String environmentId, int maxViews, String extra) {
        return "{\"secretId\":\"" + secretId + "\",\"environmentId\":\"" + environmentId + "\",\"maxViews\":" + maxViews + extra + "}";
    }

    private JsonNode listed(String token, String id) {
        for (JsonNode share : s.get(SHARES, token).json()) if (share.get("id").asText().equals(id)) return share;
        return null;
    }

    private byte[] storedCiphertext(String id) {
        return s.server.database().read(c -> Sql.one(c, "SELECT ciphertext FROM secret_share WHERE id = ?",
                r -> r.getBytes(1), id));
    }

    @Test
    void aSecretsValueIsSharedOnceThroughItsLink() {
        HttpResult created = share(s.ownerToken, secretShare(prod, 1, ""));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String token = created.json().get("token").asText();
        String id = created.json().get("id").asText();
        assertThat(token).matches("ek_share_[A-Za-z0-9_-]{43}");
        assertThat(created.json().get("url").asText()).endsWith("/share#" + token).startsWith("http");
        assertThat(created.json().get("secretName").asText()).isEqualTo("API_KEY");
        assertThat(created.json().get("hasPassword").asBoolean()).isFalse();
        // default expiry: 7 days, or the configured maximum (48 hours here) when that is shorter
        assertThat(java.time.Instant.parse(created.json().get("expiresAt").asText()))
                .isEqualTo(java.time.Instant.ofEpochMilli(s.clock.millis()).plus(Duration.ofHours(48)));

        JsonNode before = listed(s.ownerToken, id);
        assertThat(before.get("status").asText()).isEqualTo("active");
        assertThat(before.get("environmentName").asText()).isEqualTo("production");
        assertThat(before.get("viewsUsed").asInt()).isZero();
        assertThat(before.toString()).doesNotContain(VALUE).doesNotContain(token);

        HttpResult opened = view(token, null);
        assertThat(opened.status()).as(opened.toString()).isEqualTo(200);
        assertThat(opened.json().get("content").asText()).isEqualTo(VALUE);
        assertThat(opened.json().get("secretName").asText()).isEqualTo("API_KEY");
        assertThat(opened.json().get("remainingViews").asInt()).isZero();

        HttpResult again = view(token, null);
        assertThat(again.status()).isEqualTo(404);
        assertThat(again.message()).isEqualTo(ShareService.GONE);
        JsonNode after = listed(s.ownerToken, id);
        assertThat(after.get("status").asText()).isEqualTo("used-up");
        assertThat(after.get("viewsUsed").asInt()).isEqualTo(1);
        assertThat(after.get("lastViewedAt").isNull()).isFalse();
        assertThat(storedCiphertext(id)).as("the content of a used-up share is purged").isNull();
    }

    @Test
    void everyShareThatCannotBeOpenedGivesTheSameAnswer() {
        String unknown = "ek_share_" + "A".repeat(43);
        String malformed = "ek_share_short";
        // expired
        HttpResult expiring = share(s.ownerToken, "{\"text\":\"expiring text\",\"expiresIn\":\"1h\"}");
        String expiringId = expiring.json().get("id").asText();
        // revoked
        HttpResult revoked = share(s.ownerToken, "{\"text\":\"revoked text\"}");
        assertThat(s.delete(SHARES + "/" + revoked.json().get("id").asText(), s.ownerToken).status()).isEqualTo(204);
        assertThat(storedCiphertext(revoked.json().get("id").asText())).as("revoking purges").isNull();
        // used up
        HttpResult used = share(s.ownerToken, "{\"text\":\"used text\"}");
        assertThat(view(used.json().get("token").asText(), null).status()).isEqualTo(200);

        assertThat(storedCiphertext(expiringId)).isNotNull();
        s.clock.advance(Duration.ofHours(2));
        {
            List<HttpResult> answers = List.of(view(unknown, null), view(malformed, null), view(expiring.json().get("token").asText(), null),
                    view(revoked.json().get("token").asText(), null), view(used.json().get("token").asText(), null));
            for (HttpResult r : answers) {
                assertThat(r.status()).as(r.toString()).isEqualTo(404);
                assertThat(r.body()).isEqualTo(answers.get(0).body());
            }
            assertThat(storedCiphertext(expiringId)).as("an expired share's content is purged").isNull();
            assertThat(listed(s.ownerToken, expiringId).get("status").asText()).isEqualTo("expired");
            assertThat(listed(s.ownerToken, revoked.json().get("id").asText()).get("status").asText()).isEqualTo("revoked");
            assertThat(listed(s.ownerToken, revoked.json().get("id").asText()).get("revokedAt").isNull()).isFalse();
        }
    }

    @Test
    void aPasswordIsNeededAndWrongOnesUseNoViewAndAreLimited() {
        HttpResult created = share(s.ownerToken, "{\"text\":\"protected text\",\"maxViews\":3,\"password\":\"open sesame\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().get("hasPassword").asBoolean()).isTrue();
        String token = created.json().get("token").asText();
        String id = created.json().get("id").asText();

        HttpResult none = view(token, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.message()).contains("password");
        HttpResult wrong = view(token, "open barley");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(listed(s.ownerToken, id).get("viewsUsed").asInt()).as("refusals use no view").isZero();

        HttpResult right = view(token, "open sesame");
        assertThat(right.status()).as(right.toString()).isEqualTo(200);
        assertThat(right.json().get("content").asText()).isEqualTo("protected text");
        assertThat(right.json().get("remainingViews").asInt()).isEqualTo(2);

        // three wrong passwords in the window (one above, two here), then even the right one waits
        assertThat(view(token, "wrong 2").status()).isEqualTo(401);
        assertThat(view(token, "wrong 3").status()).isEqualTo(401);
        HttpResult limited = view(token, "open sesame");
        assertThat(limited.status()).as(limited.toString()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(listed(s.ownerToken, id).get("viewsUsed").asInt()).isEqualTo(1);
        s.clock.advance(Duration.ofMinutes(16));
        HttpResult later = view(token, "open sesame");
        assertThat(later.status()).as(later.toString()).isEqualTo(200);
        assertThat(later.json().get("remainingViews").asInt()).isEqualTo(1);
    }

    @Test
    void limitsOnEveryField() {
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("{\"text\":\"x\",\"expiresIn\":\"3d\"}", "expiresIn");
        bad.put("{\"text\":\"x\",\"expiresIn\":30}", "expiresIn");
        bad.put("{\"text\":\"x\",\"expiresIn\":\"5m\"}", "expiresIn");
        bad.put("{\"text\":\"x\",\"maxViews\":0}", "maxViews");
        bad.put("{\"text\":\"x\",\"maxViews\":11}", "maxViews");
        bad.put("{\"text\":\"x\",\"maxViews\":\"2\"}", "maxViews");
        bad.put("{\"text\":\"\"}", "text");
        bad.put("{}", "text");
        bad.put("{\"text\":\"x\",\"secretId\":\"" + secretId + "\",\"environmentId\":\"" + prod + "\"}", "text");
        bad.put("{\"secretId\":\"" + secretId + "\"}", "environmentId");
        bad.put("{\"secretId\":\"" + secretId + "\",\"environmentId\":\"nope\"}", "environmentId");
        bad.put("{\"text\":\"x\",\"password\":\"" + "p".repeat(257) + "\"}", "password");
        bad.put("{\"text\":\"" + "t".repeat(64 * 1024 + 1) + "\"}", "text");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            HttpResult r = share(s.ownerToken, e.getKey());
            assertThat(r.status()).as(e.getValue() + ": " + r).isEqualTo(400);
            assertThat(r.message()).contains(e.getValue());
        }
        // positive controls at the limits
        assertThat(share(s.ownerToken, "{\"text\":\"x\",\"expiresIn\":\"2d\",\"maxViews\":10}").status()).isEqualTo(201);
        assertThat(share(s.ownerToken, "{\"text\":\"x\",\"expiresIn\":60}").status()).isEqualTo(201);
        assertThat(share(s.ownerToken, "{\"key\":\"API_KEY\",\"environmentId\":\"" + prod + "\"}").status()).isEqualTo(201);
    }

    @Test
    void onlyCredentialsThatMayWriteShareAndOnlyWhatTheyMayRead() {
        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        String readWrite = s.createToken(s.ownerToken, "read-write", "{\"all\":true}");
        HttpResult refused = share(readOnly, secretShare(prod, 1, ""));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        assertThat(share(readWrite, secretShare(prod, 1, "")).status()).isEqualTo(201);
        // a viewer reads values but may not share them; a developer may
        HttpResult byViewer = s.postAs(viewer, SHARES, secretShare(prod, 1, ""));
        assertThat(byViewer.status()).as(byViewer.toString()).isEqualTo(403);
        assertThat(s.getAs(viewer, WS + "/project/web/secret/API_KEY?environmentId=" + prod).status()).isEqualTo(200);
        assertThat(s.postAs(developer, SHARES, secretShare(prod, 1, "")).status()).isEqualTo(201);
        // a CLI token (read-only by design, acting as its person) may not share either; the person's sign-in may
        String cli = s.addPersonWithCredential("cli@example.com", Role.DEVELOPER, Scope.ALL, Credential.Kind.CLI, Permission.READ, Scope.ALL);
        assertThat(share(cli, secretShare(prod, 1, "")).status()).isEqualTo(403);
        assertThat(s.get(WS + "/project/web/secret/API_KEY?environmentId=" + prod, cli).status()).as("it reads the value").isEqualTo(200);

        // scope: a token for production only cannot share the dev value (not found), but can share production's
        String prodOnly = s.createToken(s.ownerToken, "read-write", "{\"all\":false,\"environments\":[\"" + prod + "\"]}");
        assertThat(share(prodOnly, secretShare(dev, 1, "")).status()).isEqualTo(404);
        assertThat(share(prodOnly, secretShare(prod, 1, "")).status()).isEqualTo(201);

        // personal overrides: only the person's own, only through a credential that acts as the person
        HttpResult mine = s.postAs(developer, SHARES, secretShare(dev, 1, ",\"isPersonal\":true"));
        assertThat(mine.status()).as(mine.toString()).isEqualTo(201);
        assertThat(view(mine.json().get("token").asText(), null).json().get("content").asText()).isEqualTo(PERSONAL);
        HttpResult notTheirs = s.postAs(otherDeveloper, SHARES, secretShare(dev, 1, ",\"isPersonal\":true"));
        assertThat(notTheirs.status()).as(notTheirs.toString()).isEqualTo(404);
        assertThat(share(readWrite, secretShare(dev, 1, ",\"isPersonal\":true")).status()).isEqualTo(403);
        HttpResult shared = s.postAs(otherDeveloper, SHARES, secretShare(dev, 1, ""));
        assertThat(view(shared.json().get("token").asText(), null).json().get("content").asText()).isEqualTo(VALUE);
    }

    @Test
    void aWorkloadIdentityReadsValuesButDoesNotShareThem() {
        HttpResult identity = s.post(WS + "/oidc", s.ownerToken, "{\"name\":\"share-pod\",\"issuer\":\"" + cluster.issuer()
                + "\",\"audience\":\"ek\",\"subject\":\"system:serviceaccount:share:pod\",\"permission\":\"read-write\"}");
        assertThat(identity.status()).as(identity.toString()).isEqualTo(201);
        HttpResult exchanged = s.post("/v1/auth/oidc/exchange", null,
                "{\"workspaceId\":\"acme\",\"token\":\"" + cluster.token("share", "pod", "ek") + "\"}");
        assertThat(exchanged.status()).as(exchanged.toString()).isEqualTo(200);
        String jwt = exchanged.json().get("accessToken").asText();
        assertThat(s.get(WS + "/project/web/secret/API_KEY?environmentId=" + prod, jwt).status()).as("it reads the value").isEqualTo(200);
        HttpResult refused = share(jwt, secretShare(prod, 1, ""));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        assertThat(refused.message()).contains("workload identity");
    }

    @Test
    void aDeletedProjectTakesItsSharesWithIt() {
        s.createProject("gone");
        String env = s.createEnvironment("gone", "production", false);
        s.createSecrets("gone", List.of(env), Map.of("GONE_KEY", "gone value"));
        HttpResult created = s.post(WS + "/project/gone/secret-share", s.ownerToken,
                "{\"key\":\"GONE_KEY\",\"environmentId\":\"" + env + "\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String token = created.json().get("token").asText();
        assertThat(s.delete(WS + "/project/gone", s.ownerToken).status()).isEqualTo(204);
        assertThat(view(token, null).status()).isEqualTo(404);
        int left = s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM secret_share WHERE id = ?", r -> r.getInt(1),
                created.json().get("id").asText()));
        assertThat(left).isZero();
    }

    @Test
    void theCreatorAndAdminsSeeAndRevokeAShareOthersDoNot() {
        HttpResult created = s.postAs(developer, SHARES, "{\"text\":\"dev's text\",\"maxViews\":2}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asText();
        String token = created.json().get("token").asText();

        JsonNode own = null;
        for (JsonNode share : s.getAs(developer, SHARES).json()) if (share.get("id").asText().equals(id)) own = share;
        assertThat(own).as("the creator lists it").isNotNull();
        assertThat(own.get("createdByEmail").asText()).isEqualTo("dev@example.com");
        assertThat(listed(s.ownerToken, id)).as("an admin lists it").isNotNull();
        for (JsonNode share : s.getAs(otherDeveloper, SHARES).json()) assertThat(share.get("id").asText()).isNotEqualTo(id);
        assertThat(s.getAs(otherDeveloper, WS + "/project/web/secret-share/").status()).as("the trailing slash").isEqualTo(200);

        // another developer cannot revoke it (it does not exist for them); the creator can
        assertThat(s.deleteAs(otherDeveloper, SHARES + "/" + id).status()).isEqualTo(404);
        assertThat(view(token, null).status()).as("still open after the refused revoke").isEqualTo(200);
        assertThat(s.deleteAs(developer, SHARES + "/" + id).status()).isEqualTo(204);
        assertThat(view(token, null).status()).isEqualTo(404);

        // an admin revokes another's share
        HttpResult second = s.postAs(developer, SHARES, "{\"text\":\"dev's second text\"}");
        assertThat(s.delete(SHARES + "/" + second.json().get("id").asText(), s.ownerToken).status()).isEqualTo(204);
        assertThat(view(second.json().get("token").asText(), null).status()).isEqualTo(404);
        assertThat(s.delete(SHARES + "/" + second.json().get("id").asText(), s.ownerToken).status()).as("idempotent").isEqualTo(204);
        assertThat(s.delete(SHARES + "/" + java.util.UUID.randomUUID(), s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void fiftyConcurrentViewsOfAOneViewShareGiveExactlyOneContent() throws Exception {
        HttpResult created = share(s.ownerToken, "{\"text\":\"only once\",\"maxViews\":1}");
        String token = created.json().get("token").asText();
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<HttpResult>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return view(token, null);
                }));
            }
            go.countDown();
            int ok = 0;
            for (Future<HttpResult> answer : answers) {
                HttpResult r = answer.get();
                if (r.status() == 200) {
                    ok++;
                    assertThat(r.json().get("content").asText()).isEqualTo("only once");
                } else {
                    assertThat(r.status()).as(r.toString()).isEqualTo(404);
                }
            }
            assertThat(ok).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(listed(s.ownerToken, created.json().get("id").asText()).get("viewsUsed").asInt()).isEqualTo(1);
    }

    @Test
    void theDatabaseHoldsNeitherTheContentNorTheTokenNorThePassword() throws Exception {
        String text = "clear-text-canary-93e1d";
        String password = "password-canary-5c2";
        HttpResult created = share(s.ownerToken, "{\"text\":\"" + text + "\",\"maxViews\":2,\"password\":\"" + password + "\"}");
        String token = created.json().get("token").asText();
        HttpResult valueShare = share(s.ownerToken, secretShare(prod, 2, ""));
        String valueToken = valueShare.json().get("token").asText();
        assertThat(view(token, password).status()).isEqualTo(200);
        List<String> canaries = List.of(text, password, token, token.substring("ek_share_".length()), valueToken,
                valueToken.substring("ek_share_".length()));
        List<byte[]> cells = everyCell();
        for (String canary : canaries) {
            byte[] needle = canary.getBytes(StandardCharsets.UTF_8);
            assertThat(cells).as(canary).noneMatch(cell -> contains(cell, needle));
        }
        // positive control: the scan finds what is stored in clear (the shared secret's name, in the share's row)
        assertThat(cells).anyMatch(cell -> contains(cell, "API_KEY".getBytes(StandardCharsets.UTF_8)));
        if (backend() == Backend.SQLITE) {
            int files = 0;
            try (var paths = Files.list(s.config.dataDir())) {
                for (Path file : paths.toList()) {
                    if (!file.getFileName().toString().startsWith("ek.db")) continue;
                    byte[] bytes = Files.readAllBytes(file);
                    for (String canary : canaries) assertThat(contains(bytes, canary.getBytes(StandardCharsets.UTF_8))).as(file + " " + canary).isFalse();
                    files++;
                }
            }
            assertThat(files).isGreaterThanOrEqualTo(1);
        }
        // a ciphertext moved to another share's row does not open there
        String otherId = valueShare.json().get("id").asText();
        String thisId = created.json().get("id").asText();
        s.server.database().write(c -> {
            byte[] moved = Sql.one(c, "SELECT ciphertext FROM secret_share WHERE id = ?", r -> r.getBytes(1), thisId);
            Sql.update(c, "UPDATE secret_share SET ciphertext = ? WHERE id = ?", moved, otherId);
            return null;
        });
        assertThat(view(valueToken, null).status()).isEqualTo(500);
    }

    @Test
    void theViewIsAuditedWithoutAnActorAndTheTokenReachesNoLog() {
        LogCapture recorder = LogCapture.open();
        String token;
        String id;
        try {
            HttpResult created = share(s.ownerToken, secretShare(prod, 1, ",\"password\":\"audit me\""));
            token = created.json().get("token").asText();
            id = created.json().get("id").asText();
            assertThat(view(token, "not it").status()).isEqualTo(401);
            assertThat(view(token, "audit me").status()).isEqualTo(200);
            assertThat(view(token, "audit me").status()).isEqualTo(404);
        } finally {
            recorder.close();
        }
        List<String> routes = new ArrayList<>();
        for (LogRecord r : recorder.records()) {
            StringBuilder line = new StringBuilder(String.valueOf(r.getMessage()));
            if (r.getParameters() != null) for (Object p : r.getParameters()) line.append(' ').append(p);
            assertThat(line.toString()).doesNotContain(token).doesNotContain(token.substring("ek_share_".length())).doesNotContain(VALUE);
            if (r.getParameters() != null && r.getParameters().length > 0 && r.getParameters()[0] instanceof Map<?, ?> fields
                    && fields.get("route") != null) {
                routes.add(String.valueOf(fields.get("route")));
            }
        }
        assertThat(routes).as("the request log names the route template").contains("/v1/share/{token}/view");

        JsonNode entries = s.get(WS + "/audit?entity=" + id, s.ownerToken).json().get("entries");
        List<String> actions = new ArrayList<>();
        for (JsonNode e : entries) {
            actions.add(e.get("action").asText());
            assertThat(e.toString()).doesNotContain(token).doesNotContain(VALUE).doesNotContain("audit me");
            if (e.get("action").asText().equals("view")) {
                assertThat(e.path("actorUserId").isMissingNode() || e.get("actorUserId").isNull()).isTrue();
                assertThat(e.path("credentialId").isMissingNode() || e.get("credentialId").isNull()).isTrue();
                assertThat(e.get("clientAddress").asText()).isNotEmpty();
            }
        }
        assertThat(actions).contains("create", "refused", "view");
        // the share's own read of the value is a VIEW of the secret by the creator
        JsonNode reads = s.get(WS + "/audit?action=view&entity=" + secretId, s.ownerToken).json().get("entries");
        assertThat(reads.size()).isPositive();
    }

    private List<byte[]> everyCell() {
        return s.server.database().read(c -> {
            List<String> tables = new ArrayList<>();
            DatabaseMetaData meta = c.getMetaData();
            try (ResultSet r = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (r.next()) {
                    String schema = r.getString("TABLE_SCHEM");
                    if (schema == null || schema.equals("public") || schema.equals("main")) tables.add(r.getString("TABLE_NAME"));
                }
            }
            assertThat(tables).contains("secret_share");
            List<byte[]> cells = new ArrayList<>();
            for (String table : tables) {
                try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("SELECT * FROM " + table)) {
                    ResultSetMetaData columns = r.getMetaData();
                    while (r.next()) {
                        for (int i = 1; i <= columns.getColumnCount(); i++) {
                            byte[] bytes = r.getBytes(i);
                            if (bytes != null) cells.add(bytes);
                            String text = r.getString(i);
                            if (text != null) cells.add(text.getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
            }
            return cells;
        });
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }
}
