package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.sso.TestOidcProvider;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Single sign-on from the dashboard and from the device page, in Chromium, against a real OpenID Connect provider in
 * this JVM ({@link TestOidcProvider}: discovery, authorization with PKCE, token, keys). The provider "logs in" the
 * person it is told to at once, so the browser goes there and straight back.
 */
@ExtendWith(BrowserExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SsoSignInTest {
    TestOidcProvider provider;
    TestServer server;

    @BeforeAll
    void start() throws Exception {
        provider = new TestOidcProvider();
        server = TestServer.start(Backend.SQLITE, provider.flags());
        provider.clock = server.clock;
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
        if (provider != null) provider.close();
    }

    /** The sign-in page's single sign-on link, once the page has asked the server whether it has one. */
    static WebElement ssoLink(Browser browser) {
        return browser.waitUntil("the single sign-on link",
                d -> d.findElements(By.partialLinkText("Sign in with")).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
    }

    @Test
    void theSignInPageOffersSingleSignOnAndItSignsTheMemberIn(Browser browser) {
        browser.baseUrl(server.url(""));
        provider.email = "owner@example.com";
        browser.open("/w/acme/credentials");
        browser.waitForText("h1", "Sign in to ek");
        ssoLink(browser).click();
        // back from the provider, signed in, on the page first asked for
        browser.waitForText("h1", "Credentials");
        assertThat(URI.create(browser.currentUrl()).getPath()).isEqualTo("/w/acme/credentials");
        browser.waitForText("owner@example.com");
        browser.assertAccessible();
    }

    @Test
    void aPersonTheServerDoesNotKnowIsRefusedWhileAMemberGetsIn(Browser browser) {
        browser.baseUrl(server.url(""));
        provider.email = "stranger@example.com";
        browser.open("/sign-in");
        ssoLink(browser).click();
        // back on the sign-in page, told why, and signed in nowhere
        browser.waitForText(".error", "ask an admin of the workspace for an invitation");
        assertThat(URI.create(browser.currentUrl()).getQuery()).isEqualTo("sso=not-invited");
        assertThat(browser.script("return fetch('/v1/me').then(r => r.status)")).isEqualTo(401L);

        // the control: a member of the workspace gets in the same way
        provider.email = "owner@example.com";
        ssoLink(browser).click();
        browser.waitForText("h1", "Projects");
    }

    @Test
    void theDevicePageOffersSingleSignOnAndComesBackToApprove(Browser browser) {
        browser.baseUrl(server.url(""));
        provider.email = "owner@example.com";
        HttpResult code = server.post("/v1/auth/device/code", null, "{\"clientId\":\"enkryptify-cli\"}");
        JsonNode c = code.json();
        URI complete = URI.create(c.get("verificationUriComplete").asText());
        browser.open(complete.getRawPath() + "?" + complete.getRawQuery());
        browser.waitFor("#sso");
        browser.driver().findElement(By.id("sso")).click();
        browser.waitForText("#who", "owner@example.com");
        assertThat(browser.valueOf("Code")).isEqualTo(c.get("userCode").asText());
        browser.click("Approve");
        browser.waitForText("#status", "Approved");
        server.clock.advance(Duration.ofSeconds(5));
        HttpResult token = server.post("/v1/auth/device/token", null,
                "{\"clientId\":\"enkryptify-cli\",\"deviceCode\":\"" + c.get("deviceCode").asText() + "\"}");
        assertThat(token.status()).as(token.toString()).isEqualTo(200);
        assertThat(server.get("/v1/me", token.json().get("accessToken").asText()).json().get("email").asText()).isEqualTo("owner@example.com");
    }
}
