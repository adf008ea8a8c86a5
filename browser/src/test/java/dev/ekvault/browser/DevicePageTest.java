package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ek login}'s approval page, {@code /device}, in Chromium: the CLI's half of the device flow over plain HTTP,
 * the person's half in the browser.
 */
class DevicePageTest extends BrowserTest {

    /** What {@code ek login} holds after {@code POST /v1/auth/device/code}. */
    record Login(String deviceCode, String userCode, String pathToOpen) {}

    Login startLogin() {
        HttpResult r = server.post("/v1/auth/device/code", null, "{\"clientId\":\"enkryptify-cli\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode code = r.json();
        // the page the CLI tells the person to open, on this test server (its host is whatever the request named)
        URI complete = URI.create(code.get("verificationUriComplete").asText());
        assertThat(complete.getPath()).isEqualTo("/device");
        return new Login(code.get("deviceCode").asText(), code.get("userCode").asText(), complete.getRawPath() + "?" + complete.getRawQuery());
    }

    HttpResult poll(Login login) {
        return server.post("/v1/auth/device/token", null,
                "{\"clientId\":\"enkryptify-cli\",\"deviceCode\":\"" + login.deviceCode() + "\"}");
    }

    void signIn(Browser b, String email, String password) {
        b.fill("Email", email).fill("Password", password).click("Sign in");
    }

    @Test
    void aPersonApprovesALoginAndTheCliGetsATokenThatTheApiAccepts() {
        server.invitePerson("ana@example.com", "developer", null);
        Login login = startLogin();
        assertThat(poll(login).json().get("error").asText()).isEqualTo("authorization_pending");

        browser.open(login.pathToOpen());
        browser.waitFor("#sign-in");
        assertThat(browser.isVisible("#approve")).isFalse();
        signIn(browser, "ana@example.com", TestServer.PASSWORD);
        browser.waitForText("#who", "ana@example.com");
        assertThat(browser.valueOf("Code")).isEqualTo(login.userCode());
        browser.click("Approve");
        browser.waitForText("#status", "Approved: go back to your terminal.");

        server.clock.advance(Duration.ofSeconds(5)); // the CLI's polling interval
        HttpResult token = poll(login);
        assertThat(token.status()).as(token.toString()).isEqualTo(200);
        String accessToken = token.json().get("accessToken").asText();
        HttpResult me = server.get("/v1/me", accessToken);
        assertThat(me.status()).as(me.toString()).isEqualTo(200);
        assertThat(me.json().get("email").asText()).isEqualTo("ana@example.com");
        // the control: the API refuses a token it did not issue
        assertThat(server.get("/v1/me", accessToken + "x").status()).isEqualTo(401);
    }

    @Test
    void aDeniedLoginYieldsAccessDenied() {
        server.invitePerson("dan@example.com", "developer", null);
        Login login = startLogin();
        browser.open(login.pathToOpen());
        signIn(browser, "dan@example.com", TestServer.PASSWORD);
        browser.waitForText("#who", "dan@example.com");
        browser.click("Deny");
        browser.waitForText("#status", "Denied.");

        HttpResult answer = poll(login);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
        assertThat(answer.json().get("error").asText()).isEqualTo("access_denied");
        assertThat(answer.json().has("accessToken")).isFalse();
    }

    @Test
    void aWrongPasswordShowsTheErrorAndApprovesNothingWhileTheRightOneWorks() {
        server.invitePerson("wes@example.com", "developer", null);
        Login login = startLogin();
        browser.open(login.pathToOpen());
        signIn(browser, "wes@example.com", "not the password at all");
        browser.waitForText("#status", "Wrong email or password.");
        assertThat(browser.isVisible("#approve")).isFalse();
        assertThat(poll(login).json().get("error").asText()).isEqualTo("authorization_pending");

        // the positive control: the same page, the right password
        signIn(browser, "wes@example.com", TestServer.PASSWORD);
        browser.waitForText("#who", "wes@example.com");
        assertThat(browser.text("#status")).isEmpty();
        browser.click("Approve");
        browser.waitForText("#status", "Approved");
        server.clock.advance(Duration.ofSeconds(5));
        HttpResult token = poll(login);
        assertThat(token.status()).as(token.toString()).isEqualTo(200);
        assertThat(server.get("/v1/me", token.json().get("accessToken").asText()).json().get("email").asText()).isEqualTo("wes@example.com");
    }

    @Test
    void twoPeopleInTwoBrowsersEachApproveTheirOwnLogin() {
        server.invitePerson("first@example.com", "developer", null);
        server.invitePerson("second@example.com", "developer", null);
        Login one = startLogin();
        Login two = startLogin();

        browser.open(one.pathToOpen());
        signIn(browser, "first@example.com", TestServer.PASSWORD);
        browser.waitForText("#who", "first@example.com");

        // the second browser shares no cookie with the first: it is asked to sign in
        Browser other = secondBrowser();
        other.open(two.pathToOpen());
        other.waitFor("#sign-in");
        signIn(other, "second@example.com", TestServer.PASSWORD);
        other.waitForText("#who", "second@example.com");

        browser.click("Approve");
        browser.waitForText("#status", "Approved");
        other.click("Approve");
        other.waitForText("#status", "Approved");

        server.clock.advance(Duration.ofSeconds(5));
        assertThat(server.get("/v1/me", poll(one).json().get("accessToken").asText()).json().get("email").asText()).isEqualTo("first@example.com");
        assertThat(server.get("/v1/me", poll(two).json().get("accessToken").asText()).json().get("email").asText()).isEqualTo("second@example.com");
    }

    @Test
    void thePagePassesTheAccessibilityAuditSignedOutAndSignedIn() {
        server.invitePerson("ally@example.com", "developer", null);
        Login login = startLogin();
        browser.open(login.pathToOpen());
        browser.waitFor("#sign-in");
        browser.assertAccessible();
        signIn(browser, "ally@example.com", TestServer.PASSWORD);
        browser.waitForText("#who", "ally@example.com");
        browser.assertAccessible();
    }

    @Test
    void theAuditRunsUnderTheStrictContentSecurityPolicyThatBlocksInlineScript() {
        browser.open("/device");
        browser.waitFor("#sign-in"); // device.js ran: 'self' scripts load
        // the page's policy is in force: an inline script added to the page does not run…
        browser.script("""
                window.__inlineRan = false;
                const s = document.createElement('script');
                s.textContent = 'window.__inlineRan = true';
                document.head.appendChild(s);""");
        assertThat(browser.script("return window.__inlineRan")).isEqualTo(false);
        // …while the same assignment through WebDriver does (the control), and so does axe, injected the same way
        browser.script("window.__inlineRan = true");
        assertThat(browser.script("return window.__inlineRan")).isEqualTo(true);
        assertThat(Accessibility.audit(browser)).isNotNull();
        assertThat(browser.script("return typeof axe.run")).isEqualTo("function");
    }

    @Test
    void thePageAndItsAssetsCarryTheSecurityHeaders() {
        for (String path : new String[] {"/device", "/dashboard/device.js", "/dashboard/ek.css"}) {
            HttpResult r = server.get(path, null);
            assertThat(r.status()).as(path).isEqualTo(200);
            String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
            assertThat(csp).as(path).contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
            assertThat(r.headers().firstValue("Referrer-Policy")).as(path).contains("no-referrer");
        }
        // and the browser got the same page: it is the sign-in form, not an error
        browser.open("/device");
        browser.waitFor("#sign-in");
        assertThat(browser.title()).isEqualTo("ek — approve a login");
    }
}
