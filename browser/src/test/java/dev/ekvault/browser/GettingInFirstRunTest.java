package dev.ekvault.browser;

import dev.ekvault.server.testing.HttpResult;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Getting in on a fresh install: the first visitor of {@code /} creates the first account and its workspace, signs out
 * and in again; once the install is taken, sign-up is by invitation. One story, one test: a fresh install is used up by
 * its first sign-up.
 */
class GettingInFirstRunTest extends BrowserTest {
    static final String EMAIL = "founder@example.com";
    static final String PASSWORD = "a long first password";

    @Override
    protected boolean initialised() {
        return false;
    }

    static void type(Browser b, String css, String value) {
        var field = b.waitFor(css);
        field.clear();
        field.sendKeys(value);
    }

    /** What GET /v1/me answers inside the page, with the page's own cookie: who is signed in there, as a status. */
    static long meStatus(Browser b) {
        return (Long) b.script("return fetch('/v1/me', {credentials: 'same-origin'}).then(r => r.status)");
    }

    @Test
    void theFirstVisitorCreatesTheWorkspaceSignsOutAndInAndThenSignUpIsByInvitation() {
        // a fresh install: the first visitor of / is sent to create the first account
        browser.open("/");
        browser.waitForText("h1", "Welcome: create the first account");
        assertThat(browser.currentUrl()).endsWith("/sign-up");
        browser.assertAccessible();

        browser.fill("Your name", "Frida Founder").fill("Email", EMAIL);
        type(browser, "input[name=password]", PASSWORD);
        type(browser, "input[name=workspace]", "foundry");
        browser.click("Create the workspace");

        // signed in, on the new workspace's Projects page
        browser.waitForText("h1", "Projects");
        assertThat(browser.currentUrl()).endsWith("/w/foundry");
        browser.waitForText("header", EMAIL);
        assertThat(meStatus(browser)).isEqualTo(200);
        browser.assertAccessible();

        // sign out: back at sign-in, and the cookie no longer signs anybody in
        browser.click("Sign out");
        browser.waitForText("h1", "Sign in to ek");
        assertThat(meStatus(browser)).isEqualTo(401);
        browser.assertAccessible();

        // a wrong password: the error, and nobody signed in
        browser.fill("Email", EMAIL).fill("Password", "not the password at all");
        browser.click("Sign in");
        browser.waitForText("[role=alert]", "Wrong email or password.");
        assertThat(browser.currentUrl()).contains("/sign-in");
        assertThat(meStatus(browser)).isEqualTo(401);

        // the positive control: the same form, the right password
        browser.fill("Email", EMAIL).fill("Password", PASSWORD);
        browser.click("Sign in");
        browser.waitForText("h1", "Projects");
        assertThat(browser.currentUrl()).endsWith("/w/foundry");
        assertThat(meStatus(browser)).isEqualTo(200);

        // the install is taken: a newcomer is told sign-up is by invitation, and the API refuses a second sign-up
        Browser newcomer = secondBrowser();
        newcomer.open("/sign-up");
        newcomer.waitForText("h1", "Sign-up is by invitation");
        assertThat(newcomer.driver().findElements(By.cssSelector("input[name=password]"))).isEmpty();
        newcomer.assertAccessible();
        newcomer.open("/");
        newcomer.waitForText("h1", "Sign in to ek"); // no longer sent to sign-up
        HttpResult second = server.post("/v1/auth/signup", null,
                "{\"email\":\"late@example.com\",\"password\":\"" + PASSWORD + "\",\"workspace\":\"late\"}");
        assertThat(second.status()).as(second.toString()).isIn(403, 409);
        HttpResult lateSignIn = server.post("/v1/auth/login", null, "{\"email\":\"late@example.com\",\"password\":\"" + PASSWORD + "\"}");
        assertThat(lateSignIn.status()).as(lateSignIn.toString()).isEqualTo(401);
        HttpResult founderSignIn = server.post("/v1/auth/login", null, "{\"email\":\"" + EMAIL + "\",\"password\":\"" + PASSWORD + "\"}");
        assertThat(founderSignIn.status()).as(founderSignIn.toString()).isEqualTo(200);
    }
}
