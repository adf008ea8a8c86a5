package dev.ekvault.server.people;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ek login}: the RFC 8628 device flow as the CLI drives it, and every way it can end. */
abstract class DeviceFlowContract {
    abstract Backend backend();

    private static JsonNode start(TestServer s) {
        HttpResult r = s.post("/v1/auth/device/code", null, "{\"clientId\":\"enkryptify-cli\"}");
        assertThat(r.status()).isEqualTo(200);
        return r.json();
    }

    private static HttpResult poll(TestServer s, String deviceCode) {
        return s.post("/v1/auth/device/token", null, "{\"clientId\":\"enkryptify-cli\",\"deviceCode\":\"" + deviceCode + "\"}");
    }

    @Test
    void theCliLogsInListsSecretsAndLogsOut() {
        try (TestServer s = TestServer.start(backend())) {
            s.createProject("web");
            String env = s.createEnvironment("web", "dev", true);
            s.createSecrets("web", List.of(env), Map.of("KEY", "value"));
            TestServer.Session person = s.invitePerson("dev@example.com", "developer", null);

            JsonNode code = start(s);
            assertThat(code.get("userCode").asText()).matches("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}");
            assertThat(code.get("verificationUriComplete").asText()).endsWith("/device?user_code=" + code.get("userCode").asText());
            assertThat(code.get("expiresIn").asInt()).isEqualTo(600);
            assertThat(code.get("interval").asInt()).isEqualTo(5);
            String deviceCode = code.get("deviceCode").asText();

            HttpResult pending = poll(s, deviceCode);
            assertThat(pending.status()).isEqualTo(400);
            assertThat(pending.json().get("error").asText()).isEqualTo("authorization_pending");

            String typed = code.get("userCode").asText().toLowerCase().replace("-", " ");
            assertThat(s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + typed + "\",\"action\":\"approve\"}").status()).isEqualTo(204);
            s.clock.advance(Duration.ofSeconds(5));
            HttpResult granted = poll(s, deviceCode);
            assertThat(granted.status()).as(granted.toString()).isEqualTo(200);
            assertThat(granted.json().get("tokenType").asText()).isEqualTo("Bearer");
            assertThat(granted.json().get("expiresIn").asInt()).isEqualTo(8 * 3600);
            String login = granted.json().get("accessToken").asText();

            assertThat(s.get("/v1/me", login).json().get("email").asText()).isEqualTo("dev@example.com");
            assertThat(s.get("/v1/workspace/acme/project/web/secret?environmentId=" + env, login).json().get(0).get("name").asText()).isEqualTo("KEY");
            s.clock.advance(Duration.ofSeconds(5));
            assertThat(poll(s, deviceCode).json().get("error").asText()).as("used once").isEqualTo("invalid_grant");

            assertThat(s.post("/v1/auth/cli/logout", login, "{}").status()).isEqualTo(204);
            assertThat(s.get("/v1/me", login).status()).isEqualTo(401);

            JsonNode again = start(s);
            s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + again.get("userCode").asText() + "\"}");
            String second = poll(s, again.get("deviceCode").asText()).json().get("accessToken").asText();
            s.clock.advance(Duration.ofHours(8).plusSeconds(1));
            assertThat(s.get("/v1/me", second).status()).as("eight hours").isEqualTo(401);
        }
    }

    /**
     * The audit log tells who let a device in and whose login it got: the approval names the person at the browser,
     * and the login the CLI's poll receives names that person too, though the poll itself carries no credential.
     */
    @Test
    void theApprovalTheLoginAndItsLogoutNameThePersonInTheAuditLog() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session person = s.invitePerson("dev@example.com", "developer", null);
            JsonNode code = start(s);
            String userCode = code.get("userCode").asText();
            assertThat(s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + userCode + "\"}").status()).isEqualTo(204);
            s.clock.advance(Duration.ofSeconds(5));
            HttpResult granted = poll(s, code.get("deviceCode").asText());
            assertThat(granted.status()).as(granted.toString()).isEqualTo(200);
            String login = granted.json().get("accessToken").asText();
            String pollRequest = granted.headers().firstValue("X-Request-Id").orElseThrow();

            JsonNode approval = audit(s, "action=approve&entity=" + userCode).get(0);
            assertThat(approval.get("entityType").asText()).isEqualTo("device-login");
            assertThat(approval.get("actorUserId").asText()).isEqualTo(person.userId());
            assertThat(approval.get("after").get("userId").asText()).isEqualTo(person.userId());

            List<JsonNode> ofThePoll = audit(s, "action=create").stream().filter(e -> e.get("requestId").asText().equals(pollRequest)).toList();
            assertThat(ofThePoll).as("the login the poll received").hasSize(1);
            JsonNode created = ofThePoll.get(0);
            assertThat(created.get("entityType").asText()).isEqualTo("credential");
            assertThat(created.get("actorUserId").asText()).as("the person, though the poll carried no credential").isEqualTo(person.userId());
            assertThat(created.get("after").get("kind").asText()).isEqualTo("cli-login");
            assertThat(created.toString()).doesNotContain(login).doesNotContain(code.get("deviceCode").asText());

            assertThat(s.post("/v1/auth/cli/logout", login, "{}").status()).isEqualTo(204);
            JsonNode logout = audit(s, "action=revoke&entity=" + created.get("entityId").asText()).get(0);
            assertThat(logout.get("actorUserId").asText()).isEqualTo(person.userId());
            assertThat(logout.get("after").get("because").asText()).isEqualTo("sign-out");

            // the control: a denial is on record as the person's too, and yields no login
            JsonNode denied = start(s);
            s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + denied.get("userCode").asText() + "\",\"action\":\"deny\"}");
            JsonNode denial = audit(s, "action=deny&entity=" + denied.get("userCode").asText()).get(0);
            assertThat(denial.get("actorUserId").asText()).isEqualTo(person.userId());
            s.clock.advance(Duration.ofSeconds(5));
            assertThat(poll(s, denied.get("deviceCode").asText()).json().get("error").asText()).isEqualTo("access_denied");
            assertThat(s.get("/v1/workspace/acme/audit/verify", s.ownerToken).json().get("intact").asBoolean()).isTrue();
        }
    }

    private static List<JsonNode> audit(TestServer s, String query) {
        HttpResult r = s.get("/v1/workspace/acme/audit?" + query, s.ownerToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<JsonNode> entries = new java.util.ArrayList<>();
        r.json().get("entries").forEach(entries::add);
        assertThat(entries).as("entries for %s", query).isNotEmpty();
        return entries;
    }

    @Test
    void aDeniedExpiredOrHurriedLoginSaysSo() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session person = s.invitePerson("dev@example.com", "developer", null);
            JsonNode denied = start(s);
            s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + denied.get("userCode").asText() + "\",\"action\":\"deny\"}");
            assertThat(poll(s, denied.get("deviceCode").asText()).json().get("error").asText()).isEqualTo("access_denied");

            JsonNode hurried = start(s);
            assertThat(poll(s, hurried.get("deviceCode").asText()).json().get("error").asText()).isEqualTo("authorization_pending");
            assertThat(poll(s, hurried.get("deviceCode").asText()).json().get("error").asText()).as("polled within the interval").isEqualTo("slow_down");

            JsonNode expired = start(s);
            s.clock.advance(Duration.ofMinutes(10));
            assertThat(poll(s, expired.get("deviceCode").asText()).json().get("error").asText()).isEqualTo("expired_token");
            assertThat(s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + expired.get("userCode").asText() + "\"}").status())
                    .as("an expired code cannot be approved").isEqualTo(404);

            assertThat(poll(s, "made-up-device-code").json().get("error").asText()).isEqualTo("invalid_grant");
            assertThat(s.post("/v1/auth/device/code", null, "{}").message()).contains("clientId");
        }
    }

    /**
     * A client polling at its interval through nodes whose clocks differ (here the next node's clock is 3 s behind the
     * last one's, so by node clocks only 2 s passed) is not told to slow down, since by the database's clock, which every
     * node shares, 5 s did pass; a poll too soon by both clocks still is.
     */
    @Test
    void aPollAtTheIntervalThroughNodesWithSkewedClocksIsNeverSlowDown() {
        try (TestServer s = TestServer.start(backend())) {
            JsonNode code = start(s);
            String deviceCode = code.get("deviceCode").asText();
            assertThat(poll(s, deviceCode).json().get("error").asText()).isEqualTo("authorization_pending");
            s.clock.advance(Duration.ofSeconds(2)); // 5 s of the client's waiting, on a clock 3 s behind
            s.runSql("UPDATE device_code SET last_polled_db_at = last_polled_db_at - 5000"); // 5 s of the database's time
            assertThat(poll(s, deviceCode).json().get("error").asText()).as("at its interval").isEqualTo("authorization_pending");
            assertThat(poll(s, deviceCode).json().get("error").asText()).as("the control: too soon by both clocks").isEqualTo("slow_down");
        }
    }

    @Test
    void onlyASignedInPersonApprovesAndGuessingIsCut() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session person = s.invitePerson("dev@example.com", "developer", null);
            JsonNode code = start(s);
            assertThat(s.post("/v1/auth/device/approve", s.ownerToken, "{\"userCode\":\"" + code.get("userCode").asText() + "\"}").status())
                    .as("an API token is not a person at a browser").isEqualTo(403);
            for (int i = 0; i < 5; i++) {
                assertThat(s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"BBBB-BBBB\"}").status()).isEqualTo(404);
            }
            assertThat(s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + code.get("userCode").asText() + "\"}").status())
                    .as("after five wrong codes even the right one waits").isEqualTo(429);
            s.clock.advance(Duration.ofMinutes(1).plusSeconds(1));
            assertThat(s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + code.get("userCode").asText() + "\"}").status()).isEqualTo(204);
        }
    }
}
