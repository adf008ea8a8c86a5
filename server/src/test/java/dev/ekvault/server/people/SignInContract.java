package dev.ekvault.server.people;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** People signing in: the first sign-up, passwords, the lock, the cookie session and its CSRF guard, /v1/me. */
abstract class SignInContract {
    abstract Backend backend();

    static final String PASSWORD = "a long enough passphrase";

    private static String signUpBody(String email, String workspace) {
        return "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\",\"name\":\"Ada\",\"workspace\":\"" + workspace + "\"}";
    }

    @Test
    void theFirstPersonCreatesTheWorkspaceAndAfterThatSignUpIsByInvitation() {
        try (TestServer s = TestServer.startUninitialised(backend())) {
            HttpResult first = s.post("/v1/auth/signup", null, signUpBody("ada@example.com", "labs"));
            assertThat(first.status()).as(first.toString()).isEqualTo(201);
            TestServer.Session ada = TestServer.session(first);
            JsonNode workspaces = s.getAs(ada, "/v1/workspace").json();
            assertThat(workspaces.get(0).get("slug").asText()).isEqualTo("labs");
            assertThat(workspaces.get(0).get("ownerId").asText()).isEqualTo(ada.userId());
            assertThat(s.getAs(ada, "/v1/workspace/labs/team").json().get(0).get("name").asText()).isEqualTo("Default");

            HttpResult second = s.post("/v1/auth/signup", null, signUpBody("eve@example.com", "eve"));
            assertThat(second.status()).isEqualTo(403);
            assertThat(second.message()).contains("invitation");
        }
    }

    @Test
    void openSignUpLetsAnyoneStartTheirOwnWorkspace() {
        try (TestServer s = TestServer.start(backend(), "--people-open-sign-up=true")) {
            HttpResult r = s.post("/v1/auth/signup", null, signUpBody("bo@example.com", "bo-space"));
            assertThat(r.status()).isEqualTo(201);
            assertThat(s.getAs(TestServer.session(r), "/v1/workspace").json().get(0).get("slug").asText()).isEqualTo("bo-space");
            assertThat(s.get("/v1/workspace/bo-space/team", s.ownerToken).status()).as("the other workspace is not visible").isEqualTo(404);
            // an existing email is not revealed: with its password it is that person asking for another workspace ...
            HttpResult again = s.post("/v1/auth/signup", null, signUpBody("bo@example.com", "again"));
            assertThat(again.status()).as(again.toString()).isEqualTo(201);
            assertThat(again.json().get("id").asText()).isEqualTo(r.json().get("id").asText());
            // ... and without it, the answer of a failed sign-in, counted like one
            HttpResult wrong = s.post("/v1/auth/signup", null, signUpBody("bo@example.com", "third").replace(PASSWORD, "not the password at all"));
            HttpResult signInWrong = s.post("/v1/auth/login", null, "{\"email\":\"bo@example.com\",\"password\":\"not the password at all\"}");
            assertThat(wrong.status()).isEqualTo(401);
            assertThat(wrong.body()).isEqualTo(signInWrong.body());
            int thirds = s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM workspace WHERE slug = 'third'", x -> x.getInt(1)));
            assertThat(thirds).as("nothing was created").isZero();
        }
    }

    @Test
    void passwordsAreStoredAsArgon2idAndSignInFailuresLookAlike() {
        try (TestServer s = TestServer.startUninitialised(backend())) {
            s.post("/v1/auth/signup", null, signUpBody("ada@example.com", "labs"));
            String stored = s.server.database().read(c -> Sql.one(c, "SELECT password_hash FROM app_user WHERE email = 'ada@example.com'", r -> r.getString(1)));
            assertThat(stored).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").doesNotContain(PASSWORD);

            HttpResult wrongPassword = s.post("/v1/auth/login", null, "{\"email\":\"ada@example.com\",\"password\":\"not the passphrase\"}");
            HttpResult unknownEmail = s.post("/v1/auth/login", null, "{\"email\":\"nobody@example.com\",\"password\":\"not the passphrase\"}");
            assertThat(wrongPassword.status()).isEqualTo(401);
            assertThat(unknownEmail.status()).isEqualTo(401);
            assertThat(wrongPassword.body()).isEqualTo(unknownEmail.body());
            assertThat(s.post("/v1/auth/signup", null, "{\"email\":\"x@example.com\",\"password\":\"short\"}").message()).contains("password");
        }
    }

    @Test
    void repeatedFailuresLockTheAccountForAGrowingTime() {
        try (TestServer s = TestServer.startUninitialised(backend())) {
            s.post("/v1/auth/signup", null, signUpBody("ada@example.com", "labs"));
            String wrong = "{\"email\":\"ada@example.com\",\"password\":\"wrong wrong wrong\"}";
            String right = "{\"email\":\"ada@example.com\",\"password\":\"" + PASSWORD + "\"}";
            for (int i = 0; i < 5; i++) assertThat(s.post("/v1/auth/login", null, wrong).status()).isEqualTo(401);
            assertThat(s.post("/v1/auth/login", null, right).status()).as("locked: even the right password is refused").isEqualTo(401);
            s.clock.advance(Duration.ofMinutes(1).plusSeconds(1));
            assertThat(s.post("/v1/auth/login", null, right).status()).as("the lock has passed").isEqualTo(200);
            for (int i = 0; i < 5; i++) s.post("/v1/auth/login", null, wrong);
            assertThat(s.post("/v1/auth/login", null, right).status()).as("a success reset the count, so five more lock again").isEqualTo(401);
        }
    }

    @Test
    void theSessionIsAnHttpOnlyCookieGuardedAgainstCrossSiteRequests() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session dev = s.invitePerson("dev@example.com", "developer", null);
            HttpResult login = s.post("/v1/auth/login", null, "{\"email\":\"dev@example.com\",\"password\":\"" + TestServer.PASSWORD + "\"}");
            String cookie = login.headers().allValues("Set-Cookie").get(0);
            assertThat(cookie).startsWith("ek_session=ek_sess_").contains("HttpOnly").contains("SameSite=Strict").contains("Path=/");
            assertThat(login.body()).doesNotContain(cookie.substring("ek_session=".length(), cookie.indexOf(';')));

            JsonNode me = s.getAs(dev, "/v1/me").json();
            assertThat(me.get("email").asText()).isEqualTo("dev@example.com");
            assertThat(me.get("id").asText()).isEqualTo(dev.userId());
            assertThat(me.get("csrfToken").asText()).as("a reloaded dashboard learns its CSRF token").isEqualTo(dev.csrf());
            assertThat(s.get("/v1/me", s.ownerToken).json().has("csrfToken")).as("not for a Bearer token").isFalse();

            s.createProject("web");
            String env = s.createEnvironment("web", "dev", true);
            String body = "{\"environments\":[\"" + env + "\"],\"secrets\":[{\"key\":\"K\",\"value\":\"v\"}]}";
            HttpResult noCsrf = s.send(dev.on(s.request("/v1/workspace/acme/project/web/secret", null), false)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
            assertThat(noCsrf.status()).as("a cookie alone cannot change anything").isEqualTo(403);
            HttpResult wrongCsrf = s.send(new TestServer.Session(dev.cookie(), "forged", dev.userId())
                    .on(s.request("/v1/workspace/acme/project/web/secret", null), true)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
            assertThat(wrongCsrf.status()).isEqualTo(403);
            assertThat(s.postAs(dev, "/v1/workspace/acme/project/web/secret", body).status()).as("with the CSRF token").isEqualTo(201);
        }
    }

    @Test
    void aSessionActsAsItsPersonWithPersonalOverrides() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session dev = s.invitePerson("dev@example.com", "developer", null);
            s.createProject("web");
            String env = s.createEnvironment("web", "dev", true);
            String id = s.createSecrets("web", List.of(env), Map.of("API_URL", "https://shared")).get(0).get("id").asText();
            HttpResult mine = s.putAs(dev, "/v1/workspace/acme/project/web/secret/" + id,
                    "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"http://localhost\",\"isPersonal\":true}]}");
            assertThat(mine.status()).isEqualTo(200);
            assertThat(s.getAs(dev, "/v1/workspace/acme/project/web/secret/API_URL").body()).contains("http://localhost");
            assertThat(s.get("/v1/workspace/acme/project/web/secret/API_URL", s.ownerToken).body()).doesNotContain("http://localhost");
        }
    }

    /** Finding 2 of issue 10: the invitation link was a way to guess an existing account's password past its lock. */
    @Test
    void invitationAcceptCannotGuessAPasswordPastTheSignInLock() {
        try (TestServer s = TestServer.start(backend())) {
            s.invitePerson("ada@example.com", "developer", null);
            String beta = s.createWorkspace("beta", "beta-owner@example.com");
            String right = "{\"email\":\"ada@example.com\",\"password\":\"" + TestServer.PASSWORD + "\"}";
            String link = inviteLink(s, beta, "beta", "ada@example.com");
            for (int i = 0; i < 5; i++) {
                HttpResult guess = s.post("/v1/invites/" + link + "/accept", null, "{\"password\":\"guess number " + i + " wrong\"}");
                assertThat(guess.status()).as(guess.toString()).isEqualTo(401);
            }
            HttpResult locked = s.post("/v1/invites/" + link + "/accept", null, "{\"password\":\"" + TestServer.PASSWORD + "\"}");
            assertThat(locked.status()).as("locked: even the right password is refused").isEqualTo(401);
            assertThat(s.post("/v1/auth/login", null, right).status()).as("the same lock as sign-in").isEqualTo(401);
            s.clock.advance(Duration.ofMinutes(1).plusSeconds(1));
            HttpResult accepted = s.post("/v1/invites/" + link + "/accept", null, "{\"password\":\"" + TestServer.PASSWORD + "\"}");
            assertThat(accepted.status()).as("control, once the lock has passed: " + accepted).isEqualTo(200);
        }
    }

    @Test
    void invitationAcceptAnswersTheSameForANewAndAnExistingAccount() {
        try (TestServer s = TestServer.start(backend())) {
            s.invitePerson("ada@example.com", "developer", null);
            String beta = s.createWorkspace("beta", "beta-owner@example.com");
            String existing = inviteLink(s, beta, "beta", "ada@example.com");
            String fresh = inviteLink(s, beta, "beta", "new-person@example.com");
            HttpResult shortExisting = s.post("/v1/invites/" + existing + "/accept", null, "{\"password\":\"short\"}");
            HttpResult shortFresh = s.post("/v1/invites/" + fresh + "/accept", null, "{\"password\":\"short\"}");
            assertThat(shortExisting.status()).isEqualTo(400);
            assertThat(shortExisting.body()).isEqualTo(shortFresh.body());
            HttpResult none = s.post("/v1/invites/" + existing + "/accept", null, "{}");
            assertThat(none.status()).isEqualTo(400);
            assertThat(none.body()).isEqualTo(s.post("/v1/invites/" + fresh + "/accept", null, "{}").body());
            // controls: both accept with a fitting password
            assertThat(s.post("/v1/invites/" + existing + "/accept", null, "{\"password\":\"" + TestServer.PASSWORD + "\"}").status()).isEqualTo(200);
            assertThat(s.post("/v1/invites/" + fresh + "/accept", null, "{\"password\":\"a brand new password\"}").status()).isEqualTo(200);
        }
    }

    private static String inviteLink(TestServer s, String ownerToken, String workspace, String email) {
        return TestServer.inviteToken(s.post("/v1/workspace/" + workspace + "/members", ownerToken,
                "{\"email\":\"" + email + "\",\"role\":\"member\"}"));
    }

    /** Finding 6 of issue 10: a signed-in person can change their password. */
    @Test
    void changingThePasswordNeedsTheCurrentOneAndEndsEveryOtherSignIn() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session first = s.invitePerson("dev@example.com", "developer", null);
            TestServer.Session other = s.signIn("dev@example.com", TestServer.PASSWORD);
            String apiToken = s.postAs(first, "/v1/workspace/acme/tokens",
                    "{\"name\":\"kept\",\"permission\":\"read\",\"expiresIn\":\"30d\"}").json().get("token").asText();
            String change = "{\"currentPassword\":\"%s\",\"newPassword\":\"a new and longer password\"}";
            HttpResult wrong = s.putAs(first, "/v1/me/password", change.formatted("not my password at all"));
            assertThat(wrong.status()).as(wrong.toString()).isEqualTo(403);
            assertThat(wrong.message()).contains("currentPassword");
            assertThat(s.putAs(first, "/v1/me/password", "{\"currentPassword\":\"" + TestServer.PASSWORD + "\",\"newPassword\":\"short\"}").status())
                    .isEqualTo(400);
            assertThat(s.put("/v1/me/password", apiToken, change.formatted(TestServer.PASSWORD)).status()).as("not a sign-in").isEqualTo(403);
            assertThat(s.getAs(other, "/v1/me").status()).isEqualTo(200);

            assertThat(s.putAs(first, "/v1/me/password", change.formatted(TestServer.PASSWORD)).status()).isEqualTo(204);
            assertThat(s.getAs(first, "/v1/me").status()).as("the sign-in that changed it stays").isEqualTo(200);
            assertThat(s.getAs(other, "/v1/me").status()).as("every other sign-in ends").isEqualTo(401);
            assertThat(s.get("/v1/workspace", apiToken).status()).as("API tokens are the person's, not the sign-in's").isEqualTo(200);
            assertThat(s.post("/v1/auth/login", null, "{\"email\":\"dev@example.com\",\"password\":\"" + TestServer.PASSWORD + "\"}").status())
                    .isEqualTo(401);
            assertThat(s.post("/v1/auth/login", null, "{\"email\":\"dev@example.com\",\"password\":\"a new and longer password\"}").status())
                    .isEqualTo(200);
        }
    }

    @Test
    void signOutEndsTheSessionAndOtherSessionsCanBeEndedFromTheList() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session first = s.invitePerson("dev@example.com", "developer", null);
            TestServer.Session second = s.signIn("dev@example.com", TestServer.PASSWORD);
            JsonNode sessions = s.getAs(second, "/v1/me/sessions").json();
            assertThat(sessions).hasSize(2);
            String firstId = null;
            for (JsonNode row : sessions) if (!row.get("current").asBoolean()) firstId = row.get("id").asText();
            assertThat(s.deleteAs(second, "/v1/me/sessions/" + firstId).status()).isEqualTo(204);
            assertThat(s.getAs(first, "/v1/me").status()).isEqualTo(401);
            assertThat(s.getAs(second, "/v1/me").status()).isEqualTo(200);

            HttpResult out = s.postAs(second, "/v1/auth/logout", "");
            assertThat(out.status()).isEqualTo(204);
            assertThat(out.headers().allValues("Set-Cookie").get(0)).contains("Max-Age=0");
            assertThat(s.getAs(second, "/v1/me").status()).isEqualTo(401);
            assertThat(s.post("/v1/auth/logout", s.ownerToken, "").status()).as("an API token is not a sign-in").isEqualTo(400);
        }
    }

    @Test
    void preferencesRoundTripWithinTheirLimit() {
        try (TestServer s = TestServer.start(backend())) {
            TestServer.Session dev = s.invitePerson("dev@example.com", "developer", null);
            assertThat(s.getAs(dev, "/v1/me/preferences").json().size()).isZero();
            assertThat(s.putAs(dev, "/v1/me/preferences", "{\"theme\":\"dark\",\"pinned\":[\"web\"]}").status()).isEqualTo(200);
            assertThat(s.getAs(dev, "/v1/me/preferences").json().get("theme").asText()).isEqualTo("dark");
            assertThat(s.putAs(dev, "/v1/me/preferences", "{\"big\":\"" + "x".repeat(17_000) + "\"}").status()).isEqualTo(400);
            assertThat(s.getAs(dev, "/v1/me/preferences").json().get("theme").asText()).as("unchanged by the refused write").isEqualTo("dark");
        }
    }
}
