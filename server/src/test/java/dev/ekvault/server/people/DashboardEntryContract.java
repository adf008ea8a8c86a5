package dev.ekvault.server.people;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the dashboard's entry pages read before anyone is signed in (issue 13): the sign-in options and an invitation's
 * preview. Both are public; neither reveals anything beyond what the page needs. Run on each database.
 */
abstract class DashboardEntryContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";

    @Test
    void theSignInOptionsOfAFreshInstallAndAfterIt() {
        try (TestServer fresh = TestServer.startUninitialised(backend())) {
            HttpResult r = fresh.get("/v1/auth/options", null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("firstRun").asBoolean()).isTrue();
            assertThat(r.json().get("openSignUp").asBoolean()).isFalse();
            assertThat(r.json().get("sso").get("enabled").asBoolean()).isFalse();
            assertThat(r.json().get("sso").has("label")).isFalse();
            HttpResult signUp = fresh.post("/v1/auth/signup", null, "{\"email\":\"first@example.com\",\"password\":\"" + TestServer.PASSWORD
                    + "\",\"name\":\"First\",\"workspace\":\"secret-name-ws\"}");
            assertThat(signUp.status()).as(signUp.toString()).isEqualTo(201);
            HttpResult after = fresh.get("/v1/auth/options", null);
            assertThat(after.json().get("firstRun").asBoolean()).as("the first sign-up created the workspace").isFalse();
            assertThat(after.body()).doesNotContain("secret-name-ws").doesNotContain("first@example.com");
            assertThat(after.json().size()).as("nothing but the three fields").isEqualTo(3);
        }
        try (TestServer open = TestServer.start(backend(), "--people-open-sign-up=true", "--sso-issuer=https://login.example.com",
                "--sso-client-id=ek-dashboard", "--http-public-url=http://127.0.0.1:1")) {
            JsonNode options = open.get("/v1/auth/options", null).json();
            assertThat(options.get("firstRun").asBoolean()).isFalse();
            assertThat(options.get("openSignUp").asBoolean()).isTrue();
            assertThat(options.get("sso").get("enabled").asBoolean()).isTrue();
            assertThat(options.get("sso").get("label").asText()).isEqualTo("login.example.com");
            assertThat(options.get("sso").get("startUrl").asText()).isEqualTo("/v1/auth/sso/start");
            assertThat(options.toString()).doesNotContain("acme").doesNotContain("ek-dashboard");
        }
    }

    @Test
    void anInvitationIsPreviewedInEachOfItsStates() {
        try (TestServer s = TestServer.start(backend())) {
            String pending = TestServer.inviteToken(s.post(WS + "/members", s.ownerToken, "{\"email\":\"New@Example.com\",\"role\":\"developer\"}"));
            HttpResult r = s.get("/v1/invites/" + pending, null);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            JsonNode p = r.json();
            assertThat(p.get("workspaceName").asText()).isNotBlank();
            assertThat(p.get("email").asText()).isEqualTo("new@example.com");
            assertThat(p.get("role").asText()).isEqualTo("developer");
            assertThat(p.get("status").asText()).isEqualTo("pending");
            assertThat(p.get("expiresAt").asText()).endsWith("Z");
            assertThat(p.get("accountExists").asBoolean()).as("nobody has this email yet: choose a password").isFalse();
            assertThat(r.body()).doesNotContain(pending);

            // a person with an account (in another workspace) is asked to sign in
            s.createWorkspace("other", "known@example.com");
            String known = TestServer.inviteToken(s.post(WS + "/members", s.ownerToken, "{\"email\":\"known@example.com\",\"role\":\"member\"}"));
            assertThat(s.get("/v1/invites/" + known, null).json().get("accountExists").asBoolean()).isTrue();

            String declined = TestServer.inviteToken(s.post(WS + "/members", s.ownerToken, "{\"email\":\"no@example.com\",\"role\":\"member\"}"));
            assertThat(s.post("/v1/invites/" + declined + "/decline", null, "").status()).isEqualTo(200);
            assertThat(s.get("/v1/invites/" + declined, null).json().get("status").asText()).isEqualTo("declined");

            assertThat(s.post("/v1/invites/" + pending + "/accept", null, "{\"password\":\"" + TestServer.PASSWORD + "\"}").status()).isEqualTo(200);
            JsonNode accepted = s.get("/v1/invites/" + pending, null).json();
            assertThat(accepted.get("status").asText()).isEqualTo("accepted");
            assertThat(accepted.get("accountExists").asBoolean()).isTrue();

            // withdrawn: gone, like an unknown token
            HttpResult withdrawnInvite = s.post(WS + "/members", s.ownerToken, "{\"email\":\"gone@example.com\",\"role\":\"member\"}");
            String withdrawn = TestServer.inviteToken(withdrawnInvite);
            assertThat(s.delete(WS + "/invites/" + withdrawnInvite.json().get("id").asText(), s.ownerToken).status()).isEqualTo(204);
            HttpResult gone = s.get("/v1/invites/" + withdrawn, null);
            assertThat(gone.status()).isEqualTo(404);
            HttpResult unknown = s.get("/v1/invites/" + withdrawn.substring(0, withdrawn.length() - 1) + (withdrawn.endsWith("A") ? "B" : "A"), null);
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.message()).isEqualTo(gone.message()).doesNotContain("gone@example.com");
            assertThat(s.get("/v1/invites/garbage", null).status()).isEqualTo(404);

            // expiry is read from the clock
            s.clock.advance(MemberService.INVITE_LIFETIME.plus(Duration.ofMinutes(1)));
            assertThat(s.get("/v1/invites/" + known, null).json().get("status").asText()).isEqualTo("expired");
            assertThat(s.post("/v1/invites/" + known + "/decline", null, "").status()).as("an expired one cannot be answered").isEqualTo(404);
        }
    }

    @Test
    void thePreviewIsRateLimitedPerAddressLikeAcceptAndDecline() {
        try (TestServer s = TestServer.start(backend(), "--rate-limit-per-ip-per-minute=5")) {
            int limited = 0;
            for (int i = 0; i < 8; i++) if (s.get("/v1/invites/garbage", null).status() == 429) limited++;
            assertThat(limited).isPositive();
            HttpResult r = s.get("/v1/invites/garbage", null);
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
        }
    }
}
