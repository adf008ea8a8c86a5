package dev.ekvault.server.sso;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Single sign-on against a real OpenID Connect provider in this JVM ({@link TestOidcProvider}), driven like a browser:
 * redirects are followed by hand and cookies carried. Covers who may sign in (members, invited people, the first
 * person, open sign-up, everyone else refused) and every way the flow can be forged or broken, each refused with no
 * session.
 */
abstract class SsoContract {
    abstract Backend backend();

    private final HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private TestOidcProvider provider;
    private final List<String> logged = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Held here: java.util.logging keeps loggers only weakly, and the handler must stay attached. */
    private final Logger ssoLogs = Logger.getLogger("dev.ekvault.server.sso");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (logged) {
                logged.add(record.getMessage());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void startProvider() throws Exception {
        provider = new TestOidcProvider();
        ssoLogs.addHandler(capture);
    }

    @AfterEach
    void stopProvider() {
        ssoLogs.removeHandler(capture);
        provider.close();
    }

    private TestServer start(String... flags) {
        TestServer s = TestServer.start(backend(), provider.flags(flags));
        provider.clock = s.clock;
        return s;
    }

    // ---- the browser ----

    /** What /start answered: the provider URL to go to and the sealed state cookie. */
    record Started(String location, String stateCookie, String setCookie) {}

    private HttpResponse<String> get(String url, String cookie) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (cookie != null) request.header("Cookie", cookie);
        try {
            return browser.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Started begin(TestServer s, String query) {
        HttpResponse<String> r = get(s.url("/v1/auth/sso/start" + query), null);
        assertThat(r.statusCode()).as("start: %s", r.body()).isEqualTo(302);
        String setCookie = r.headers().allValues("Set-Cookie").stream().filter(v -> v.startsWith("ek_sso=")).findFirst().orElseThrow();
        return new Started(r.headers().firstValue("Location").orElseThrow(), setCookie.substring("ek_sso=".length(), setCookie.indexOf(';')), setCookie);
    }

    /** The provider "logs in" its configured person and sends the browser back: the callback URL. */
    private String atProvider(Started started) {
        HttpResponse<String> r = get(started.location(), null);
        assertThat(r.statusCode()).as("authorize: %s", r.body()).isEqualTo(302);
        return r.headers().firstValue("Location").orElseThrow();
    }

    private HttpResponse<String> callback(String url, String stateCookie) {
        return get(url, stateCookie == null ? null : "ek_sso=" + stateCookie);
    }

    /** The whole flow as a browser runs it; the callback's answer. */
    private HttpResponse<String> signIn(TestServer s, String query) {
        Started started = begin(s, query);
        return callback(atProvider(started), started.stateCookie());
    }

    private static String sessionCookie(HttpResponse<String> r) {
        return r.headers().allValues("Set-Cookie").stream().filter(v -> v.startsWith("ek_session=") && !v.startsWith("ek_session=;"))
                .map(v -> v.substring("ek_session=".length(), v.indexOf(';'))).findFirst().orElse(null);
    }

    private HttpResult me(TestServer s, String session) {
        return s.send(s.request("/v1/me", null).header("Cookie", "ek_session=" + session).GET());
    }

    private static long sessions(TestServer s) {
        return s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM credential WHERE kind = 'session'", r -> r.getLong(1)));
    }

    private static JsonNode json(HttpResponse<String> r) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A refused callback: no session, and the browser sent back to the sign-in page with the kind of refusal (the
     * status the same failure has where the API answers it: 400 failed, 401 refused, 403 not invited, 503 unavailable).
     */
    private static void assertRefused(HttpResponse<String> r, int status, String why) {
        assertThat(sessionCookie(r)).as(why + ": no session cookie").isNull();
        String expected = switch (status) {
            case 400 -> "failed";
            case 401 -> "refused";
            case 403 -> "not-invited";
            default -> "unavailable";
        };
        assertThat(r.statusCode()).as(why + ": " + r.body()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).as(why).hasValue("/sign-in?sso=" + expected);
    }

    // ---- who may sign in ----

    @Test
    void aMemberSignsInAndGetsAWorkingSession() {
        try (TestServer s = start()) {
            TestServer.Session invited = s.invitePerson("dev@example.com", "developer", null);
            Started started = begin(s, "");
            assertThat(started.setCookie()).contains("Path=/v1/auth/sso").contains("HttpOnly").contains("SameSite=Lax").contains("Max-Age=600")
                    .doesNotContain("Secure");

            Map<String, String> asked = TestOidcProvider.parse(URI.create(started.location()).getRawQuery());
            assertThat(started.location()).startsWith(provider.issuer + "/authorize?");
            assertThat(asked).containsEntry("response_type", "code").containsEntry("client_id", TestOidcProvider.CLIENT_ID)
                    .containsEntry("redirect_uri", s.url("/v1/auth/sso/callback")).containsEntry("scope", "openid email profile")
                    .containsEntry("code_challenge_method", "S256");
            assertThat(asked.get("state")).hasSizeGreaterThanOrEqualTo(43);
            assertThat(asked.get("nonce")).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(asked.get("state"));
            assertThat(started.stateCookie()).doesNotContain(asked.get("state")).doesNotContain(asked.get("nonce"));

            HttpResponse<String> done = callback(atProvider(started), started.stateCookie());
            assertThat(done.statusCode()).as(done.body()).isEqualTo(303);
            assertThat(done.headers().firstValue("Location")).hasValue("/");
            assertThat(done.headers().allValues("Set-Cookie")).anySatisfy(v -> assertThat(v).startsWith("ek_sso=;").contains("Max-Age=0"));
            assertThat(done.headers().allValues("Set-Cookie")).anySatisfy(v -> assertThat(v).startsWith("ek_session=ek_sess_")
                    .contains("HttpOnly").contains("SameSite=Strict").contains("Path=/"));

            // the provider was strict about PKCE, so this success proves the verifier matched the challenge sent
            Map<String, String> redeemed = provider.tokenRequests.get(0);
            assertThat(redeemed.get("code_verifier")).hasSizeBetween(43, 128);
            assertThat(TestOidcProvider.sha256(redeemed.get("code_verifier"))).isEqualTo(asked.get("code_challenge"));
            assertThat(redeemed.get("redirect_uri")).isEqualTo(s.url("/v1/auth/sso/callback"));
            assertThat(provider.tokenAuthorizationHeaders.get(0)).startsWith("Basic ");
            assertThat(redeemed).doesNotContainKey("client_secret");

            HttpResult me = me(s, sessionCookie(done));
            assertThat(me.status()).isEqualTo(200);
            assertThat(me.json().get("email").asText()).isEqualTo("dev@example.com");
            assertThat(me.json().get("id").asText()).isEqualTo(invited.userId());
            assertThat(me(s, "ek_sess_" + "0".repeat(43)).status()).as("a made-up session is still refused").isEqualTo(401);
        }
    }

    /** The audit log names the person a single sign-on signed in, though the callback carries no credential. */
    @Test
    void theSessionASignInCreatesNamesThePersonInTheAuditLog() {
        try (TestServer s = start()) {
            TestServer.Session invited = s.invitePerson("dev@example.com", "developer", null);
            HttpResponse<String> done = signIn(s, "");
            assertThat(done.statusCode()).as(done.body()).isEqualTo(303);
            String session = sessionCookie(done);
            assertThat(session).isNotNull();
            String requestId = done.headers().firstValue("X-Request-Id").orElseThrow();

            HttpResult log = s.get("/v1/workspace/acme/audit?action=create", s.ownerToken);
            assertThat(log.status()).as(log.toString()).isEqualTo(200);
            List<JsonNode> ofTheCallback = new ArrayList<>();
            for (JsonNode e : log.json().get("entries")) if (e.get("requestId").asText().equals(requestId)) ofTheCallback.add(e);
            assertThat(ofTheCallback).as("the callback's new session").hasSize(1);
            JsonNode created = ofTheCallback.get(0);
            assertThat(created.get("entityType").asText()).isEqualTo("credential");
            assertThat(created.get("after").get("kind").asText()).isEqualTo("session");
            assertThat(created.get("actorUserId").asText()).isEqualTo(invited.userId());
            assertThat(created.get("clientAddress").asText()).isEqualTo("127.0.0.1");
            assertThat(log.body()).doesNotContain(session);

            // the control: a person nobody invited is refused, and no sign-in of theirs is on record
            String newest = log.json().get("entries").get(0).get("id").asText();
            provider.email = "stranger@example.com";
            assertRefused(signIn(s, ""), 403, "not invited");
            assertThat(s.get("/v1/workspace/acme/audit?action=create", s.ownerToken).json().get("entries").get(0).get("id").asText()).isEqualTo(newest);
        }
    }

    @Test
    void aReturnPathIsFollowedOnlyWhenItIsLocal() {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            HttpResponse<String> done = signIn(s, "?return=%2Fprojects%2Fweb%3Ftab%3Dsecrets");
            assertThat(done.statusCode()).isEqualTo(303);
            assertThat(done.headers().firstValue("Location")).hasValue("/projects/web?tab=secrets");
            for (String bad : List.of("https://evil.example/", "//evil.example/", "/\\evil.example", "evil", "/a\r\nX: y", "/" + "a".repeat(300))) {
                HttpResponse<String> r = get(s.url("/v1/auth/sso/start?return=" + java.net.URLEncoder.encode(bad, StandardCharsets.UTF_8)), null);
                assertThat(r.statusCode()).as(bad).isEqualTo(400);
                assertThat(r.headers().allValues("Set-Cookie")).as(bad).isEmpty();
            }
        }
    }

    @Test
    void theWorkspaceAskedForIsTheOneSignedInTo() {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            String acmeId = s.get("/v1/workspace", s.ownerToken).json().get(0).get("id").asText();
            HttpResponse<String> done = signIn(s, "?workspace=acme");
            assertThat(done.statusCode()).isEqualTo(303);
            HttpResult workspaces = s.send(s.request("/v1/workspace", null).header("Cookie", "ek_session=" + sessionCookie(done)).GET());
            assertThat(workspaces.json().get(0).get("id").asText()).isEqualTo(acmeId);
            assertRefused(signIn(s, "?workspace=elsewhere"), 403, "not a member of the workspace asked for");
        }
    }

    @Test
    void theFirstPersonOnAFreshInstallBecomesTheOwner() {
        try (TestServer s = TestServer.startUninitialised(backend(), provider.flags())) {
            provider.clock = s.clock;
            provider.email = "Founder@Example.com";
            provider.name = "Ada Founder";
            HttpResponse<String> done = signIn(s, "");
            assertThat(done.statusCode()).as(done.body()).isEqualTo(303);
            String session = sessionCookie(done);
            HttpResult me = me(s, session);
            assertThat(me.json().get("email").asText()).as("stored lower case").isEqualTo("founder@example.com");
            assertThat(me.json().get("name").asText()).isEqualTo("Ada Founder");
            JsonNode workspace = s.send(s.request("/v1/workspace", null).header("Cookie", "ek_session=" + session).GET()).json().get(0);
            assertThat(workspace.get("ownerId").asText()).isEqualTo(me.json().get("id").asText());
            assertThat(workspace.get("slug").asText()).isEqualTo("ada-founder");
            JsonNode members = s.send(s.request("/v1/workspace/ada-founder/members", null).header("Cookie", "ek_session=" + session).GET()).json();
            assertThat(members.get(0).get("role").asText()).isEqualTo("admin");
            assertThat(members.get(0).get("isOwner").asBoolean()).isTrue();
            String hash = s.server.database().read(c -> Sql.one(c, "SELECT password_hash FROM app_user WHERE email = 'founder@example.com'", r -> r.getString(1)));
            assertThat(hash).as("an SSO account has no password").isNull();
            assertThat(s.post("/v1/auth/login", null, "{\"email\":\"founder@example.com\",\"password\":\"anything at all here\"}").status())
                    .as("and so no password sign-in").isEqualTo(401);

            provider.email = "second@example.com";
            assertRefused(signIn(s, ""), 403, "after the first person, sign-up is by invitation");
        }
    }

    @Test
    void anUnknownPersonIsRefusedUnlessSignUpIsOpen() {
        try (TestServer s = start()) {
            provider.email = "stranger@example.com";
            long before = sessions(s);
            assertRefused(signIn(s, ""), 403, "no account, no invitation");
            assertThat(sessions(s)).isEqualTo(before);
            long accounts = s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM app_user WHERE email = 'stranger@example.com'",
                    r -> r.getLong(1)));
            assertThat(accounts).as("no account was made").isZero();
            assertThat(logged).anySatisfy(m -> assertThat(m).contains("single sign-on refused").contains("by invitation"));
        }
        try (TestServer s = start("--people-open-sign-up=true")) {
            provider.email = "stranger@example.com";
            provider.name = "Acme";
            HttpResponse<String> done = signIn(s, "");
            assertThat(done.statusCode()).as(done.body()).isEqualTo(303);
            JsonNode own = s.send(s.request("/v1/workspace", null).header("Cookie", "ek_session=" + sessionCookie(done)).GET()).json();
            assertThat(own).hasSize(1);
            assertThat(own.get(0).get("slug").asText()).as("'acme' is taken: a suffix makes it free").matches("acme-[0-9a-f]{6}");
            assertThat(s.get("/v1/workspace/" + own.get(0).get("slug").asText() + "/team", s.ownerToken).status())
                    .as("the owner of acme cannot see it").isEqualTo(404);
        }
    }

    @Test
    void anOpenInvitationIsAcceptedForTheVerifiedEmail() {
        try (TestServer s = start()) {
            HttpResult invite = s.post("/v1/workspace/acme/members", s.ownerToken, "{\"email\":\"new@example.com\",\"role\":\"member\"}");
            assertThat(invite.status()).isEqualTo(201);
            provider.email = "new@example.com";
            HttpResponse<String> done = signIn(s, "");
            assertThat(done.statusCode()).as(done.body()).isEqualTo(303);
            assertThat(me(s, sessionCookie(done)).json().get("email").asText()).isEqualTo("new@example.com");
            JsonNode list = s.get("/v1/workspace/acme/members", s.ownerToken).json();
            List<String> statuses = new ArrayList<>();
            for (JsonNode row : list) if (row.get("email").asText().equals("new@example.com")) statuses.add(row.get("status").asText() + "/" + row.get("role").asText());
            assertThat(statuses).containsExactly("account_created/member");

            HttpResponse<String> again = signIn(s, "");
            assertThat(again.statusCode()).as("now simply a member").isEqualTo(303);
        }
    }

    // ---- the browser's half, forged or stale ----

    @Test
    void aMissingWrongOrTamperedStateIsRefused() {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            long before = sessions(s);

            Started started = begin(s, "");
            String back = atProvider(started);
            assertRefused(callback(back, null), 400, "no state cookie");

            started = begin(s, "");
            back = atProvider(started);
            String state = TestOidcProvider.parse(URI.create(back).getRawQuery()).get("state");
            assertRefused(callback(back.replace("state=" + state, "state=" + "A".repeat(43)), started.stateCookie()), 400, "wrong state");

            started = begin(s, "");
            back = atProvider(started);
            assertRefused(callback(back.replaceAll("&state=[^&]*", ""), started.stateCookie()), 400, "no state parameter");

            started = begin(s, "");
            back = atProvider(started);
            String cookie = started.stateCookie();
            int middle = cookie.length() / 2;
            String flipped = cookie.substring(0, middle) + (cookie.charAt(middle) == 'A' ? 'B' : 'A') + cookie.substring(middle + 1);
            assertRefused(callback(back, flipped), 400, "a tampered state cookie");
            assertRefused(callback(back, "not!base64"), 400, "a garbage state cookie");
            assertRefused(callback(back, "A".repeat(5000)), 400, "an oversized state cookie");

            Started other = begin(s, "");
            String otherBack = atProvider(other);
            assertRefused(callback(otherBack, started.stateCookie()), 400, "another sign-in's cookie (login CSRF)");

            assertThat(sessions(s)).isEqualTo(before);
            assertThat(provider.tokenRequests).as("nothing forged reached the provider's token endpoint").isEmpty();
        }
    }

    @Test
    void aStateOlderThanTenMinutesIsRefused() {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            Started started = begin(s, "");
            String back = atProvider(started);
            s.clock.advance(Duration.ofMinutes(11));
            assertRefused(callback(back, started.stateCookie()), 400, "expired state");
            assertThat(provider.tokenRequests).isEmpty();

            Started fresh = begin(s, "");
            s.clock.advance(Duration.ofMinutes(9));
            assertThat(callback(atProvider(fresh), fresh.stateCookie()).statusCode()).as("nine minutes is within the lifetime").isEqualTo(303);
        }
    }

    @Test
    void aReplayedCodeIsRefused() {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            Started started = begin(s, "");
            String back = atProvider(started);
            assertThat(callback(back, started.stateCookie()).statusCode()).isEqualTo(303);
            long after = sessions(s);
            // the browser lost the cookie; an attacker who kept both the URL and the cookie tries again
            assertRefused(callback(back, started.stateCookie()), 401, "a code redeemed before");
            assertThat(sessions(s)).isEqualTo(after);
            assertThat(logged).anySatisfy(m -> assertThat(m).contains("invalid_grant"));
        }
    }

    @Test
    void theProviderIsStrictAboutPkceAndTheServerMeetsIt() throws Exception {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            // the provider itself: a wrong verifier is refused, the right one accepted (so its strictness is real)
            String verifier = "v".repeat(43);
            String redirect = s.url("/v1/auth/sso/callback");
            HttpClient client = HttpClient.newHttpClient();
            String auth = "Basic " + java.util.Base64.getEncoder().encodeToString((TestOidcProvider.CLIENT_ID + ":" + TestOidcProvider.CLIENT_SECRET)
                    .getBytes(StandardCharsets.UTF_8));
            for (String sent : List.of("w".repeat(43), verifier)) {
                String code = provider.codeFor(TestOidcProvider.sha256(verifier), redirect);
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(provider.issuer + "/token")).header("Authorization", auth)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("grant_type=authorization_code&code=" + code + "&redirect_uri="
                                + java.net.URLEncoder.encode(redirect, StandardCharsets.UTF_8) + "&code_verifier=" + sent)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("verifier %s", sent.charAt(0)).isEqualTo(sent.equals(verifier) ? 200 : 400);
            }
            // the server: when the challenge the provider holds is not the one our verifier makes, the sign-in fails
            provider.forgetChallenge = true;
            assertRefused(signIn(s, ""), 401, "verifier does not match the challenge");
            provider.forgetChallenge = false;
            assertThat(signIn(s, "").statusCode()).isEqualTo(303);
        }
    }

    @Test
    void clientSecretPostIsUsedWhenItIsAllTheProviderOffers() {
        provider.authMethod = "client_secret_post";
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            assertThat(signIn(s, "").statusCode()).isEqualTo(303);
            assertThat(provider.tokenAuthorizationHeaders).containsExactly("");
            assertThat(provider.tokenRequests.get(0)).containsEntry("client_id", TestOidcProvider.CLIENT_ID)
                    .containsEntry("client_secret", TestOidcProvider.CLIENT_SECRET);
        }
    }

    @Test
    void theProvidersErrorAndAMixedUpIssuerAreRefused() {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            Started started = begin(s, "");
            String state = TestOidcProvider.parse(URI.create(started.location()).getRawQuery()).get("state");
            assertRefused(callback(s.url("/v1/auth/sso/callback?error=access_denied&state=" + state), started.stateCookie()), 400, "the person declined");

            started = begin(s, "");
            String back = atProvider(started);
            assertRefused(callback(back + "&iss=" + java.net.URLEncoder.encode("https://other.example", StandardCharsets.UTF_8), started.stateCookie()),
                    400, "RFC 9207 iss of another provider");
            assertThat(provider.tokenRequests).isEmpty();
        }
    }

    // ---- the provider's half, forged or broken ----

    @Test
    void everyBadIdTokenIsRefusedWithoutASession() {
        // each case names the rule that must be the one to refuse it (read from the log), so no case passes by accident
        record Case(String why, UnaryOperator<JWTClaimsSet.Builder> tamper, TestOidcProvider.Signing signing, Object emailVerified, String rule) {}
        List<Case> cases = List.of(
                new Case("wrong nonce", b -> b.claim("nonce", "a-nonce-of-another-sign-in"), TestOidcProvider.Signing.RS256, true, "nonce is not the one"),
                new Case("no nonce", b -> b.claim("nonce", null), TestOidcProvider.Signing.RS256, true, "nonce is not the one"),
                new Case("wrong audience", b -> b.audience("another-client"), TestOidcProvider.Signing.RS256, true, "aud does not hold"),
                new Case("several audiences, no azp", b -> b.audience(List.of(TestOidcProvider.CLIENT_ID, "another-client")),
                        TestOidcProvider.Signing.RS256, true, "several audiences and no azp"),
                new Case("azp of another client", b -> b.claim("azp", "another-client"), TestOidcProvider.Signing.RS256, true, "azp is not our client id"),
                new Case("wrong issuer", b -> b.issuer("https://evil.example"), TestOidcProvider.Signing.RS256, true, "iss is not the configured issuer"),
                new Case("expired", b -> b.issueTime(new Date(provider.clock.millis() - 600_000)).expirationTime(new Date(provider.clock.millis() - 61_000)),
                        TestOidcProvider.Signing.RS256, true, "has expired"),
                new Case("issued in the future", b -> b.issueTime(new Date(provider.clock.millis() + 120_000))
                        .expirationTime(new Date(provider.clock.millis() + 600_000)), TestOidcProvider.Signing.RS256, true, "issued in the future"),
                new Case("alg none", UnaryOperator.identity(), TestOidcProvider.Signing.NONE, true, "not a signed JWT"),
                new Case("HS256 keyed with the client secret", UnaryOperator.identity(), TestOidcProvider.Signing.HS256_WITH_CLIENT_SECRET, true, "alg 'HS256'"),
                new Case("signed by another key under the provider's kid", UnaryOperator.identity(), TestOidcProvider.Signing.ANOTHER_KEY_SAME_KID, true,
                        "signature does not verify"),
                new Case("a kid the provider does not publish", UnaryOperator.identity(), TestOidcProvider.Signing.UNKNOWN_KID, true,
                        "names a key the provider does not publish"),
                new Case("email_verified false", UnaryOperator.identity(), TestOidcProvider.Signing.RS256, false, "not verified this email"),
                new Case("email_verified absent", UnaryOperator.identity(), TestOidcProvider.Signing.RS256, null, "not verified this email"),
                new Case("email_verified the string false", UnaryOperator.identity(), TestOidcProvider.Signing.RS256, "false", "not verified this email"),
                new Case("no email", b -> b.claim("email", null), TestOidcProvider.Signing.RS256, true, "has no email"));
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            long before = sessions(s);
            for (Case c : cases) {
                provider.tamper = c.tamper();
                provider.signing = c.signing();
                provider.emailVerified = c.emailVerified();
                int seen = logged.size();
                assertRefused(signIn(s, ""), 401, c.why());
                synchronized (logged) {
                    assertThat(logged.subList(seen, logged.size())).as(c.why()).anySatisfy(m -> assertThat(m).contains(c.rule()));
                }
            }
            assertThat(sessions(s)).as("not one session was made").isEqualTo(before);
            assertThat(provider.tokenRequests).as("each case reached the token endpoint").hasSize(cases.size());

            provider.tamper = UnaryOperator.identity();
            provider.signing = TestOidcProvider.Signing.RS256;
            provider.emailVerified = "true";
            assertThat(signIn(s, "").statusCode()).as("a good token after all that (email_verified as the string true)").isEqualTo(303);
        }
    }

    @Test
    void aDiscoveryDocumentNamingAnotherIssuerIsNotUsed() {
        provider.discoveryIssuer = "https://someone-else.example";
        try (TestServer s = start()) {
            HttpResponse<String> r = get(s.url("/v1/auth/sso/start"), null);
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(json(r).path("message").asText()).isEqualTo(SsoRoutes.UNAVAILABLE);
            assertThat(r.headers().allValues("Set-Cookie")).isEmpty();
            assertThat(provider.authorizeRequests).isEmpty();
        }
    }

    @Test
    void logsSayWhyButNeverHoldCodesTokensOrTheSecret() {
        try (TestServer s = start()) {
            s.invitePerson("dev@example.com", "developer", null);
            Started started = begin(s, "");
            String back = atProvider(started);
            String code = TestOidcProvider.parse(URI.create(back).getRawQuery()).get("code");
            provider.tamper = b -> b.claim("nonce", "another");
            assertRefused(callback(back, started.stateCookie()), 401, "wrong nonce");
            List<String> lines;
            synchronized (logged) {
                lines = List.copyOf(logged);
            }
            assertThat(lines).anySatisfy(m -> assertThat(m).contains("nonce"));
            for (String line : lines) {
                assertThat(line).doesNotContain(code).doesNotContain(TestOidcProvider.CLIENT_SECRET).doesNotContain(started.stateCookie())
                        .doesNotContain("eyJ");
            }
        }
    }

    @Test
    void withoutConfigurationTheRoutesAreNotFound() {
        try (TestServer s = TestServer.start(backend())) {
            assertThat(s.get("/v1/auth/sso/start", null).status()).isEqualTo(404);
            assertThat(s.get("/v1/auth/sso/callback?code=x&state=y", null).status()).isEqualTo(404);
            assertThat(s.get("/v1/auth/sso/start", null).message()).isEqualTo("single sign-on not found");
        }
    }
}
