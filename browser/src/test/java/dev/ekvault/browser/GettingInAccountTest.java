package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "My account" and the device page for a person already signed in to the dashboard: sessions (end another one),
 * password change, the light/dark preference, and a name holding markup shown literally.
 */
class GettingInAccountTest extends BrowserTest {

    void openAccount() {
        browser.open("/account");
        browser.waitForText("h1", "My account");
        Pages.row(browser, "this browser");
    }

    @Test
    void endingAnotherSignInSignsItOutOverPlainHttpWhileThisOneStays() {
        TestServer.Session other = server.invitePerson("sam@example.com", "developer", null); // the sign-in of the invitation
        Pages.signIn(browser, "sam@example.com", TestServer.PASSWORD);
        openAccount();
        browser.waitUntil("two sign-ins listed", d -> d.findElements(By.cssSelector("tbody tr")).size() == 2);
        browser.assertAccessible();
        assertThat(server.getAs(other, "/v1/me").status()).isEqualTo(200); // the control: it works until ended

        browser.click("End");
        browser.waitForText("dialog h2", "End this sign-in?");
        browser.click("End sign-in");
        browser.waitUntil("one sign-in listed", d -> d.findElements(By.cssSelector("tbody tr")).size() == 1);
        assertThat(browser.text("tbody")).contains("this browser");

        HttpResult ended = server.getAs(other, "/v1/me");
        assertThat(ended.status()).as(ended.toString()).isEqualTo(401);
        // this browser is still signed in
        assertThat(Pages.statusInPage(browser, "/v1/me")).isEqualTo(200);
        browser.reload();
        browser.waitForText("h1", "My account");
    }

    @Test
    void aWrongCurrentPasswordIsRefusedAndTheNewOneSignsIn() {
        server.invitePerson("pia@example.com", "developer", null);
        String newPassword = "a brand new passphrase";
        Pages.signIn(browser, "pia@example.com", TestServer.PASSWORD);
        openAccount();

        browser.fill("Current password", "not my password at all");
        browser.fill("New password", newPassword);
        browser.fill("New password again", newPassword);
        browser.click("Change password");
        browser.waitForText("[role=alert]", "The current password is wrong.");
        // refused: the old password still signs in, the new one does not
        assertThat(server.post("/v1/auth/login", null, login("pia@example.com", TestServer.PASSWORD)).status()).isEqualTo(200);
        assertThat(server.post("/v1/auth/login", null, login("pia@example.com", newPassword)).status()).isEqualTo(401);

        browser.fill("Current password", TestServer.PASSWORD);
        browser.click("Change password");
        browser.waitForText("#notices", "Password changed");
        assertThat(browser.text("section form [role=alert]")).isEmpty();
        assertThat(server.post("/v1/auth/login", null, login("pia@example.com", TestServer.PASSWORD)).status()).isEqualTo(401);

        // the new one signs in through the page
        browser.click("Sign out");
        browser.waitForText("h1", "Sign in to ek");
        Pages.signIn(browser, "pia@example.com", newPassword);
        browser.waitForText("h1", "Projects");
    }

    static String login(String email, String password) {
        return "{\"email\":" + TestServer.quote(email) + ",\"password\":" + TestServer.quote(password) + "}";
    }

    String theme() {
        return (String) browser.script("return document.documentElement.dataset.theme || 'system'");
    }

    @Test
    void theThemePreferencePersistsAcrossReloadsAndBothThemesPassTheAudit() {
        server.invitePerson("tia@example.com", "developer", null);
        Pages.signIn(browser, "tia@example.com", TestServer.PASSWORD);
        openAccount();
        assertThat(theme()).isEqualTo("system");

        Pages.choose(browser, "Appearance", "Dark");
        browser.waitForText("#notices", "Preference saved.");
        assertThat(theme()).isEqualTo("dark");
        browser.reload();
        browser.waitForText("h1", "My account");
        browser.waitUntil("the dark theme after the reload", d -> theme().equals("dark"));
        assertThat(browser.field("Appearance").getDomProperty("value")).isEqualTo("dark");
        browser.assertAccessible();
        browser.open("/w/acme");
        browser.waitForText("h1", "Projects");
        browser.waitUntil("the dark theme on another page", d -> theme().equals("dark"));
        browser.assertAccessible();

        openAccount();
        Pages.choose(browser, "Appearance", "Light");
        browser.waitForText("#notices", "Preference saved.");
        browser.reload();
        browser.waitForText("h1", "My account");
        browser.waitUntil("the light theme after the reload", d -> theme().equals("light"));
        browser.assertAccessible();

        // the preference is the person's, kept on the server: another browser of the same person gets it too
        Browser other = secondBrowser();
        Pages.signIn(other, "tia@example.com", TestServer.PASSWORD);
        other.waitUntil("the light theme in another browser",
                d -> "light".equals(other.script("return document.documentElement.dataset.theme")));
    }

    @Test
    void aNameHoldingMarkupShowsLiterallyOnTheAccountPage() {
        String name = "<img src=x onerror=alert(1)>";
        Pages.person(server, "mark@example.com", name, "developer");
        Pages.signIn(browser, "mark@example.com", TestServer.PASSWORD);
        openAccount();
        browser.waitForText("main", name + " · mark@example.com");
        assertThat(browser.driver().findElements(By.cssSelector("main img, header img"))).isEmpty();
        browser.assertAccessible();
        // a developer's navigation does not offer the admin sections, on this page either
        assertThat(browser.text("nav")).contains("Projects", "Credentials").doesNotContain("Members", "Audit log");
    }

    @Test
    void theDevicePageApprovesForAPersonAlreadySignedInWithoutAskingForAPassword() {
        server.invitePerson("dee@example.com", "developer", null);
        HttpResult code = server.post("/v1/auth/device/code", null, "{\"clientId\":\"enkryptify-cli\"}");
        assertThat(code.status()).as(code.toString()).isEqualTo(200);
        URI complete = URI.create(code.json().get("verificationUriComplete").asText());
        String deviceCode = code.json().get("deviceCode").asText();
        String poll = "{\"clientId\":\"enkryptify-cli\",\"deviceCode\":\"" + deviceCode + "\"}";

        Pages.signIn(browser, "dee@example.com", TestServer.PASSWORD);
        browser.waitForText("h1", "Projects");
        browser.open(complete.getRawPath() + "?" + complete.getRawQuery());
        browser.waitForText("Signed in as dee@example.com");
        browser.waitForText("#who", "dee@example.com");
        assertThat(browser.valueOf("Code")).isEqualTo(code.json().get("userCode").asText());
        assertThat(browser.isVisible("#sign-in")).isFalse();
        assertThat(browser.driver().findElements(By.cssSelector("input[type=password]")).stream().anyMatch(e -> e.isDisplayed())).isFalse();
        browser.assertAccessible();
        assertThat(server.post("/v1/auth/device/token", null, poll).json().get("error").asText()).isEqualTo("authorization_pending");

        browser.click("Approve");
        browser.waitForText("#status", "Approved");
        server.clock.advance(Duration.ofSeconds(5));
        HttpResult token = server.post("/v1/auth/device/token", null, poll);
        assertThat(token.status()).as(token.toString()).isEqualTo(200);
        JsonNode me = server.get("/v1/me", token.json().get("accessToken").asText()).json();
        assertThat(me.get("email").asText()).isEqualTo("dee@example.com");
    }
}
