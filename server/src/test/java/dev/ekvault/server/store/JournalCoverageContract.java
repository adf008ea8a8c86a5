package dev.ekvault.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestIssuer;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every write route says what it changed through the journal (issue 11, for the audit log): one request per write,
 * over real HTTP, each checked for the (action, entity type) changes an in-transaction subscriber hears; and no change
 * ever carries a raw token, a secret value or a password. Run on each database by a one-line subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JournalCoverageContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final String SECRET_VALUE = "s3cr3t-value-do-not-journal";
    static final String SECRET_VALUE_2 = "s3cr3t-value-two-do-not-journal";
    static final String PERSONAL_VALUE = "s3cr3t-personal-do-not-journal";
    static final String NEW_PASSWORD = "a brand new passphrase 42";
    static final String SIGN_UP_PASSWORD = "sign-up passphrase for ada";
    static final String SHARE_PASSWORD = "share passphrase do-not-journal";

    TestServer s;
    TestIssuer cluster;
    final List<Journal.Change> heard = new CopyOnWriteArrayList<>();
    /** Every raw token, secret value and password the test used: none may show in a change. */
    final List<String> neverJournalled = new CopyOnWriteArrayList<>();

    @BeforeAll
    void start() {
        s = TestServer.start(backend(), "--oidc-allow-http-issuers=true", "--people-open-sign-up=true", "--sync-poll-millis=60000");
        cluster = TestIssuer.start(s.clock);
        s.server.database().journal().subscribeInTransaction((c, changes) -> heard.addAll(changes));
        neverJournalled.addAll(List.of(s.ownerToken, SECRET_VALUE, SECRET_VALUE_2, PERSONAL_VALUE, TestServer.PASSWORD, NEW_PASSWORD,
                SIGN_UP_PASSWORD, SHARE_PASSWORD));
    }

    @AfterAll
    void stop() {
        cluster.close();
        s.close();
    }

    /** One write: the request, the status it answers, and the changes it must journal. */
    record Step(String name, Supplier<HttpResult> request, int status, List<String> expected) {}

    static List<String> expect(String... actionSlashEntity) {
        return List.of(actionSlashEntity);
    }

    @Test
    void everyWriteRouteJournalsWhatItChanged() {
        Map<String, String> ids = new HashMap<>();
        Map<String, TestServer.Session> sessions = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        steps.add(new Step("create team", () -> s.post(WS + "/team", s.ownerToken, "{\"name\":\"journal-team\"}"), 201,
                expect("create/team")));
        steps.add(new Step("create project", () -> s.post(WS + "/project", s.ownerToken,
                "{\"name\":\"jp\",\"slug\":\"jp\",\"teamId\":\"" + s.defaultTeamId() + "\"}"), 201, expect("create/project")));
        steps.add(new Step("create environment", () -> remember(ids, "env", s.post(WS + "/project/jp/environment", s.ownerToken,
                "{\"name\":\"dev\",\"hasPersonalOverrides\":true}")), 201, expect("create/environment")));
        steps.add(new Step("create secrets", () -> {
            HttpResult r = s.post(WS + "/project/jp/secret", s.ownerToken, "{\"environments\":[\"" + ids.get("env") + "\"],\"secrets\":[{\"key\":\"API_KEY\","
                    + "\"value\":\"" + SECRET_VALUE + "\",\"type\":\"runtime\",\"dataType\":\"text\"}]}");
            if (r.status() == 201) ids.put("secret", r.json().get(0).get("id").asText());
            return r;
        }, 201, expect("create/secret", "create/secret-value")));
        steps.add(new Step("update a secret's value", () -> s.put(WS + "/project/jp/secret/" + ids.get("secret"), s.ownerToken,
                "{\"values\":[{\"environmentId\":\"" + ids.get("env") + "\",\"value\":\"" + SECRET_VALUE_2 + "\"}]}"), 200,
                expect("update/secret", "update/secret-value")));
        steps.add(new Step("upsert secrets (a bulk create with mode upsert)", () -> s.post(WS + "/project/jp/secret", s.ownerToken,
                "{\"mode\":\"upsert\",\"environments\":[\"" + ids.get("env") + "\"],\"secrets\":[{\"key\":\"API_KEY\",\"value\":\""
                        + SECRET_VALUE + "\"},{\"key\":\"UPSERTED_KEY\",\"value\":\"" + SECRET_VALUE_2 + "\"}]}"), 201,
                expect("update/secret", "update/secret-value", "create/secret", "create/secret-value")));
        // a value's reminder (issue 14): set, completed, cleared
        steps.add(new Step("set a value's reminder", () -> {
            HttpResult r = s.put(WS + "/project/jp/secret/" + ids.get("secret"), s.ownerToken, "{\"values\":[{\"environmentId\":\""
                    + ids.get("env") + "\",\"reminder\":{\"type\":\"recurring\",\"intervalDays\":30,\"nextReminderDate\":\""
                    + dev.ekvault.server.wire.WireTime.format(s.clock.millis() + 86_400_000L) + "\"}}]}");
            if (r.status() == 200) ids.put("reminder", r.json().get("values").get(0).get("reminder").get("id").asText());
            return r;
        }, 200, expect("update/secret", "create/secret-reminder")));
        steps.add(new Step("complete a reminder", () -> s.post(WS + "/reminders/" + ids.get("reminder") + "/complete", s.ownerToken, ""), 200,
                expect("complete/secret-reminder")));
        steps.add(new Step("clear a value's reminder", () -> s.put(WS + "/project/jp/secret/" + ids.get("secret"), s.ownerToken,
                "{\"values\":[{\"environmentId\":\"" + ids.get("env") + "\",\"reminder\":null}]}"), 200,
                expect("update/secret", "delete/secret-reminder")));
        // secret shares: create (its value read is a VIEW event, not a change), a wrong password, a view, a revoke
        steps.add(new Step("share a secret's value", () -> remember(ids, "share", s.post(WS + "/project/jp/secret-share", s.ownerToken,
                "{\"secretId\":\"" + ids.get("secret") + "\",\"environmentId\":\"" + ids.get("env") + "\",\"maxViews\":2,\"password\":\""
                        + SHARE_PASSWORD + "\"}")), 201, expect("create/secret-share")));
        steps.add(new Step("open a share with a wrong password", () -> {
            ids.put("shareToken", lastJson.get("token").asText());
            return s.post("/v1/share/" + ids.get("shareToken") + "/view", null, "{\"password\":\"not the share password\"}");
        }, 401, expect("refused/secret-share")));
        steps.add(new Step("open a share", () -> s.post("/v1/share/" + ids.get("shareToken") + "/view", null,
                "{\"password\":\"" + SHARE_PASSWORD + "\"}"), 200, expect("view/secret-share")));
        steps.add(new Step("revoke a share", () -> s.delete(WS + "/project/jp/secret-share/" + ids.get("share"), s.ownerToken), 204,
                expect("revoke/secret-share")));
        steps.add(new Step("create a token", () -> remember(ids, "token", s.post(WS + "/tokens", s.ownerToken,
                "{\"name\":\"jt\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"30d\"}")), 201, expect("create/credential")));
        steps.add(new Step("rotate the token", () -> remember(ids, "rotated", s.post(WS + "/tokens/" + ids.get("token") + "/rotate", s.ownerToken, "")),
                200, expect("rotate/credential", "create/credential")));
        steps.add(new Step("revoke the token", () -> s.delete(WS + "/tokens/" + ids.get("rotated"), s.ownerToken), 204, expect("revoke/credential")));
        steps.add(new Step("create a CLI token", () -> remember(ids, "cli", s.post(WS + "/tokens/cli", s.ownerToken,
                "{\"environmentId\":\"" + ids.get("env") + "\"}")), 200, expect("create/credential")));
        steps.add(new Step("create a workload identity", () -> remember(ids, "oidc", s.post(WS + "/oidc", s.ownerToken,
                "{\"name\":\"wl\",\"issuer\":\"" + cluster.issuer() + "\",\"audience\":\"ek\",\"subject\":\"system:serviceaccount:j:wl\","
                        + "\"permission\":\"read\"}")), 201, expect("create/credential", "create/workload-identity")));
        steps.add(new Step("update the workload identity", () -> s.put(WS + "/oidc/" + ids.get("oidc"), s.ownerToken, "{\"name\":\"wl2\"}"), 200,
                expect("update/credential", "update/workload-identity")));
        steps.add(new Step("delete the workload identity", () -> s.delete(WS + "/oidc/" + ids.get("oidc"), s.ownerToken), 204,
                expect("revoke/credential")));
        steps.add(new Step("invite a member", () -> remember(ids, "invite", s.post(WS + "/members", s.ownerToken,
                "{\"email\":\"jo@example.com\",\"role\":\"developer\"}")), 201, expect("create/invitation")));
        steps.add(new Step("accept the invitation", () -> {
            String url = lastJson.get("inviteUrl").asText();
            String token = url.substring(url.lastIndexOf('/') + 1);
            neverJournalled.add(token);
            HttpResult r = s.post("/v1/invites/" + token + "/accept", null, "{\"name\":\"jo\",\"password\":\"" + TestServer.PASSWORD + "\"}");
            if (r.status() == 200) sessions.put("jo", TestServer.session(r));
            return r;
        }, 200, expect("create/user", "create/member", "accept/invitation", "create/credential")));
        steps.add(new Step("set a personal override", () -> s.putAs(sessions.get("jo"), WS + "/project/jp/secret/" + ids.get("secret"),
                "{\"values\":[{\"environmentId\":\"" + ids.get("env") + "\",\"value\":\"" + PERSONAL_VALUE + "\",\"isPersonal\":true}]}"), 200,
                expect("update/secret", "create/secret-value")));
        steps.add(new Step("update the member", () -> s.put(WS + "/members/" + sessions.get("jo").userId(), s.ownerToken,
                "{\"role\":\"member\"}"), 200, expect("update/member")));
        steps.add(new Step("remove the member", () -> s.delete(WS + "/members/" + sessions.get("jo").userId(), s.ownerToken), 204,
                expect("delete/member", "revoke/credential", "delete/secret-value")));
        steps.add(new Step("revoke an invitation", () -> {
            HttpResult invite = s.post(WS + "/members", s.ownerToken, "{\"email\":\"al@example.com\",\"role\":\"member\"}");
            heard.clear(); // the invitation's own create was checked above
            return s.delete(WS + "/invites/" + invite.json().get("id").asText(), s.ownerToken);
        }, 204, expect("revoke/invitation")));
        steps.add(new Step("roll a value back", () -> s.post(WS + "/project/jp/secret/" + ids.get("secret") + "/rollback", s.ownerToken,
                "{\"environmentId\":\"" + ids.get("env") + "\",\"version\":1}"), 200, expect("update/secret-value")));
        steps.add(new Step("delete the secret", () -> s.delete(WS + "/project/jp/secret/" + ids.get("secret"), s.ownerToken), 204,
                expect("delete/secret")));
        steps.add(new Step("restore the deleted secret", () -> s.post(WS + "/project/jp/deleted-secret/" + ids.get("secret") + "/restore",
                s.ownerToken, ""), 200, expect("restore/secret", "create/secret-value")));
        steps.add(new Step("purge a deleted secret after its retention", () -> {
            s.delete(WS + "/project/jp/secret/" + ids.get("secret"), s.ownerToken);
            s.clock.advance(java.time.Duration.ofDays(31));
            heard.clear();
            s.server.secrets().purgeDeleted();
            return s.get(WS + "/project/jp/deleted-secret", s.ownerToken);
        }, 200, expect("purge/secret")));
        // a sync's setup and management (issue 15); the generated signing secret must never be journalled
        steps.add(new Step("begin a sync", () -> {
            HttpResult r = s.post("/v1/sync/webhook/start", s.ownerToken, "");
            if (r.status() == 201) ids.put("sync", r.json().get("syncConfigId").asText());
            return r;
        }, 201, expect("create/sync")));
        steps.add(new Step("a sync's auth step", () -> {
            HttpResult r = s.post("/v1/sync/webhook/flow?syncConfigId=" + ids.get("sync") + "&step=auth", s.ownerToken, "{}");
            if (r.status() == 200) neverJournalled.add(r.json().get("shownOnce").get("signingSecret").asText());
            return r;
        }, 200, expect("update/sync")));
        steps.add(new Step("a sync's target step", () -> s.post("/v1/sync/webhook/flow?syncConfigId=" + ids.get("sync") + "&step=target",
                s.ownerToken, "{\"url\":\"https://hooks.journal.example.com/ek\"}"), 200, expect("update/sync")));
        steps.add(new Step("a sync's mapping step", () -> s.post("/v1/sync/webhook/flow?syncConfigId=" + ids.get("sync") + "&step=mapping",
                s.ownerToken, "{\"environmentId\":\"" + ids.get("env") + "\"}"), 200, expect("update/sync")));
        steps.add(new Step("pause a sync", () -> s.post(WS + "/sync/" + ids.get("sync") + "/pause", s.ownerToken, ""), 200, expect("pause/sync")));
        steps.add(new Step("resume a sync", () -> s.post(WS + "/sync/" + ids.get("sync") + "/resume", s.ownerToken, ""), 200, expect("resume/sync")));
        steps.add(new Step("sync now", () -> s.post(WS + "/sync/" + ids.get("sync") + "/run", s.ownerToken, ""), 200, expect("run/sync")));
        steps.add(new Step("delete a sync", () -> s.delete(WS + "/sync/" + ids.get("sync"), s.ownerToken), 204, expect("delete/sync")));
        // the workspace tree's renames and deletes (fixtures made inside a step are heard too: containsAll tolerates them)
        steps.add(new Step("rename a team", () -> {
            ids.put("team", s.createTeam("tree-team"));
            return s.patch(WS + "/team/" + ids.get("team"), s.ownerToken, "{\"name\":\"tree-team-renamed\"}");
        }, 200, expect("update/team")));
        steps.add(new Step("rename a project", () -> {
            remember(ids, "tp", s.post(WS + "/project", s.ownerToken, "{\"name\":\"tp\",\"slug\":\"tp\",\"teamId\":\"" + ids.get("team") + "\"}"));
            return s.patch(WS + "/project/tp", s.ownerToken, "{\"name\":\"tp renamed\"}");
        }, 200, expect("update/project")));
        steps.add(new Step("switch an environment's personal overrides off", () -> {
            ids.put("tenv", s.createEnvironment("tp", "dev", true));
            ids.put("tsecret", s.createSecrets("tp", List.of(ids.get("tenv")), Map.of("TREE_KEY", SECRET_VALUE)).get(0).get("id").asText());
            TestServer.Session dev = s.invitePerson("tree-dev@example.com", "developer", null);
            HttpResult personal = s.putAs(dev, WS + "/project/tp/secret/" + ids.get("tsecret"),
                    "{\"values\":[{\"environmentId\":\"" + ids.get("tenv") + "\",\"value\":\"" + PERSONAL_VALUE + "\",\"isPersonal\":true}]}");
            assertThat(personal.status()).as(personal.toString()).isEqualTo(200);
            heard.clear();
            return s.patch(WS + "/project/tp/environment/" + ids.get("tenv"), s.ownerToken, "{\"hasPersonalOverrides\":false}");
        }, 200, expect("update/environment", "delete/secret-value")));
        steps.add(new Step("rotate an environment's data key", () -> s.post(WS + "/project/tp/environment/" + ids.get("tenv") + "/rotate-key",
                s.ownerToken, ""), 200, expect("rotate-key/environment")));
        steps.add(new Step("rename an environment", () -> s.patch(WS + "/project/tp/environment/" + ids.get("tenv"), s.ownerToken,
                "{\"name\":\"development\"}"), 200, expect("update/environment")));
        steps.add(new Step("delete an environment", () -> s.delete(WS + "/project/tp/environment/" + ids.get("tenv"), s.ownerToken), 204,
                expect("delete/environment", "delete/secret-value")));
        steps.add(new Step("delete a project", () -> s.delete(WS + "/project/tp", s.ownerToken), 204, expect("delete/project", "delete/secret")));
        steps.add(new Step("delete a team", () -> {
            s.post(WS + "/project", s.ownerToken, "{\"name\":\"tq\",\"slug\":\"tq\",\"teamId\":\"" + ids.get("team") + "\"}");
            s.createEnvironment("tq", "prod", false);
            heard.clear();
            return s.delete(WS + "/team/" + ids.get("team"), s.ownerToken);
        }, 204, expect("delete/team", "delete/project", "delete/environment")));
        steps.add(new Step("sign up", () -> s.post("/v1/auth/signup", null, "{\"email\":\"ada@example.com\",\"password\":\"" + SIGN_UP_PASSWORD
                + "\",\"name\":\"Ada\",\"workspace\":\"labs\"}"), 201,
                expect("create/user", "create/workspace", "create/member", "create/team", "create/credential")));
        steps.add(new Step("fail to sign in", () -> s.post("/v1/auth/login", null, "{\"email\":\"ada@example.com\",\"password\":\"wrong password!\"}"),
                401, expect("sign-in-failed/user")));
        steps.add(new Step("sign in", () -> {
            HttpResult r = s.post("/v1/auth/login", null, "{\"email\":\"ada@example.com\",\"password\":\"" + SIGN_UP_PASSWORD + "\"}");
            if (r.status() == 200) sessions.put("ada", TestServer.session(r));
            return r;
        }, 200, expect("create/credential", "sign-in-unlock/user")));
        steps.add(new Step("change the password", () -> s.putAs(sessions.get("ada"), "/v1/me/password",
                "{\"currentPassword\":\"" + SIGN_UP_PASSWORD + "\",\"newPassword\":\"" + NEW_PASSWORD + "\"}"), 204,
                expect("password-change/user", "revoke/credential")));
        steps.add(new Step("save preferences", () -> s.putAs(sessions.get("ada"), "/v1/me/preferences", "{\"theme\":\"dark\"}"), 200,
                expect("create/preferences")));
        steps.add(new Step("approve a device login", () -> {
            HttpResult code = s.post("/v1/auth/device/code", null, "{\"clientId\":\"enkryptify-cli\"}");
            neverJournalled.add(code.json().get("deviceCode").asText());
            heard.clear(); // starting the flow is its bookkeeping
            return s.postAs(sessions.get("ada"), "/v1/auth/device/approve", "{\"userCode\":\"" + code.json().get("userCode").asText() + "\"}");
        }, 204, expect("approve/device-login")));
        steps.add(new Step("sign out", () -> s.postAs(sessions.get("ada"), "/v1/auth/logout", ""), 204, expect("revoke/credential")));

        for (Step step : steps) {
            heard.clear();
            HttpResult r = step.request().get();
            assertThat(r.status()).as("%s: %s", step.name(), r).isEqualTo(step.status());
            if (r.body() != null && (r.body().startsWith("{") || r.body().startsWith("["))) {
                // the raw tokens the answers hand out (shown once) must never be journalled
                lastJson = r.json();
                for (String field : List.of("token", "accessToken")) {
                    if (lastJson.isObject() && lastJson.hasNonNull(field)) neverJournalled.add(lastJson.get(field).asText());
                }
            }
            r.headers().allValues("Set-Cookie").forEach(v -> {
                if (v.startsWith("ek_session=")) neverJournalled.add(v.substring("ek_session=".length(), v.indexOf(';')));
            });
            List<String> said = heard.stream().map(c -> c.action() + "/" + c.entityType()).toList();
            assertThat(said).as("%s journals", step.name()).containsAll(step.expected());
            assertThat(said).as("%s journals no transitional change", step.name()).doesNotContain("change/credential", "change/member",
                    "change/secret", "change/signing-key");
            all.addAll(heard);
        }

        // the details the audit log needs
        assertThat(find("rotate", "credential").after()).containsKey("replacedBy");
        assertThat(find("create", "credential", c -> c.after().containsKey("rotatedFrom"))).isNotNull();
        Journal.Change personal = find("create", "secret-value", c -> Boolean.TRUE.equals(c.after().get("personal")));
        assertThat(personal.after()).containsKey("owner").containsEntry("version", 1L);
        assertThat(personal.projectId()).isNotNull();
        assertThat(personal.kind()).isEqualTo(ChangeFeed.Kind.SECRET);
        assertThat(find("update", "member").before()).containsEntry("role", "developer");
        assertThat(find("update", "member").after()).containsEntry("role", "member");
        assertThat(find("create", "environment").kind()).isEqualTo(ChangeFeed.Kind.SECRET);
        assertThat(find("create", "environment").feedEntity()).isEqualTo(find("create", "environment").projectId());
        assertThat(find("create", "member").kind()).isEqualTo(ChangeFeed.Kind.MEMBER);
        assertThat(find("sign-in-failed", "user").after()).containsEntry("failures", 1);
        assertThat(find("create", "team").kind()).as("teams are cached nowhere").isNull();

        // every change became an audit entry, in its workspace's chain (the audit log subscribes to the same journal)
        java.util.Set<String> audited = new java.util.HashSet<>();
        s.server.database().read(c -> {
            dev.ekvault.server.audit.AuditStore store = new dev.ekvault.server.audit.AuditStore();
            for (String chain : store.chains(c)) {
                store.walk(c, chain, e -> audited.add(e.action() + " " + e.entityType() + " " + e.entityId()));
            }
            return null;
        });
        for (Journal.Change change : all) {
            assertThat(audited).as("the audit entry of %s", change).contains(change.action() + " " + change.entityType() + " " + change.entityId());
        }
        String export = s.get("/v1/workspace/acme/audit/export", s.ownerToken).body();

        // nothing secret in any change, ever
        assertThat(all).isNotEmpty();
        for (Journal.Change change : all) {
            String text = change.toString();
            for (String secret : neverJournalled) {
                if (secret.isEmpty()) continue; // a sign-out's cookie clears the session to ""
                assertThat(text).as("a change holds a token, value or password: %s", text).doesNotContain(secret);
                assertThat(export).as("the audit export holds a token, value or password").doesNotContain(secret);
            }
        }
    }

    @Test
    void aBulkWriteIsOneFeedRowForItsProjectNotOnePerValue() {
        s.createProject("bulk-feed");
        String env = s.createEnvironment("bulk-feed", "production", false);
        java.util.function.LongSupplier rows = () -> s.server.database().read(c ->
                Sql.one(c, "SELECT COUNT(*) FROM change_log WHERE kind = 'SECRET'", r -> r.getLong(1)));
        long before = rows.getAsLong();
        Map<String, String> many = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 20; i++) many.put("BULK_" + i, "v" + i);
        s.createSecrets("bulk-feed", List.of(env), many);
        assertThat(rows.getAsLong() - before).as("40 changes (20 secrets, 20 values), one project").isEqualTo(1);
    }

    private JsonNode lastJson;
    private final List<Journal.Change> all = new ArrayList<>();

    private HttpResult remember(Map<String, String> ids, String name, HttpResult r) {
        if (r.status() / 100 == 2 && r.body() != null && r.body().startsWith("{") && r.json().hasNonNull("id")) ids.put(name, r.json().get("id").asText());
        return r;
    }

    private Journal.Change find(String action, String entityType) {
        return find(action, entityType, c -> true);
    }

    private Journal.Change find(String action, String entityType, java.util.function.Predicate<Journal.Change> also) {
        for (Journal.Change c : all) {
            if (c.action().equals(action) && c.entityType().equals(entityType) && also.test(c)) return c;
        }
        throw new AssertionError("no " + action + " " + entityType + " among " + all);
    }
}
