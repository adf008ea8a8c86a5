package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.HttpResult;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Secret shares in the dashboard (pages/share.js): "Share" on a value in the project's cell dialog gives a link once;
 * the link opened in another browser (no session) uses no view until "Reveal", asks for the password, shows the
 * content once; the project's share list shows it and revokes. {@link SharePagePostgresTest} runs them on PostgreSQL.
 */
class SharePageTest extends WorkspacePagesBase {
    static final String VALUE = "hunter2-shared-through-the-page";

    private JsonNode shares(String slug) {
        return api("/v1/workspace/acme/project/" + slug + "/secret-share");
    }

    private WebElement cell(Browser b, String key, String env) {
        return b.waitUntil("the cell " + key + " in " + env, d -> {
            for (WebElement e : d.findElements(By.cssSelector("table.grid td button.cell"))) {
                String label = e.getDomAttribute("aria-label");
                if (label != null && label.startsWith(key + " in " + env) && e.isDisplayed()) return e;
            }
            return null;
        });
    }

    @Test
    void shareAValueAndOpenTheLinkElsewhereOnce() {
        String admin = newAdmin();
        String slug = unique("shared-");
        List<String> ids = project(slug, "prod", false);
        server.createSecrets(slug, List.of(ids.get(1)), Map.of("DB_PASSWORD", VALUE));
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);

        cell(browser, "DB_PASSWORD", "prod").click();
        dialog(browser);
        clickInDialog(browser, "Share");
        browser.waitUntil("the share dialog", d -> d.findElements(By.cssSelector("dialog[open]")).size() == 2);
        browser.fill("Views", "1");
        browser.fill("Password (optional)", "a shared passphrase");
        browser.assertAccessible();
        clickInDialog(browser, "Create link");
        WebElement linkField = browser.waitFor("dialog[open] input[name=link]");
        String link = linkField.getDomProperty("value");
        assertThat(link).contains("/share#ek_share_");
        assertThat(browser.bodyText()).contains("shown only once");
        browser.assertAccessible();
        clickInDialog(browser, "Done");
        browser.waitUntil("the link dialog to close", d -> d.findElements(By.cssSelector("dialog[open]")).size() == 1);
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);
        assertThat(shares(slug).get(0).get("hasPassword").asBoolean()).isTrue();

        // another browser, nobody signed in: loading the page uses no view
        Browser other = secondBrowser();
        other.open(link);
        other.waitForText("A shared secret");
        other.button("Reveal");
        assertThat(other.currentUrl()).as("the token leaves the address bar").doesNotContain("ek_share_");
        assertThat(other.bodyText()).doesNotContain(VALUE);
        assertThat(shares(slug).get(0).get("viewsUsed").asInt()).as("opening the page uses no view").isZero();
        other.assertAccessible();

        other.click("Reveal");
        other.waitForText("protected by a password");
        other.fill("Password", "not the passphrase");
        other.click("Reveal");
        other.waitForText("Wrong password");
        assertThat(shares(slug).get(0).get("viewsUsed").asInt()).as("a wrong password uses no view").isZero();
        other.fill("Password", "a shared passphrase");
        other.click("Reveal");
        WebElement content = other.waitFor("textarea[aria-label='Shared content']");
        assertThat(content.getDomProperty("value")).isEqualTo(VALUE);
        other.waitForText("This was the last view");
        other.assertAccessible();
        assertThat(shares(slug).get(0).get("status").asText()).isEqualTo("used-up");

        // the same link again: nothing left
        other.open(link);
        other.click("Reveal");
        other.waitForText("cannot be opened");
        assertThat(other.bodyText()).doesNotContain(VALUE);
    }

    @Test
    void theProjectsShareListShowsAndRevokes() {
        String admin = newAdmin();
        String slug = unique("listed-");
        project(slug, "prod", false);
        HttpResult created = server.post("/v1/workspace/acme/project/" + slug + "/secret-share", server.ownerToken,
                "{\"text\":\"a text for the list\",\"maxViews\":3}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asText();
        String token = created.json().get("token").asText();

        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);
        browser.driver().findElement(By.linkText("Shares")).click();
        browser.waitForText("Shares of ");
        WebElement row = browser.waitFor("tr[data-share='" + id + "']");
        assertThat(row.getText()).contains("Text").contains("Active").contains("0 of 3").contains("owner@example.com");
        assertThat(browser.bodyText()).doesNotContain("a text for the list").doesNotContain(token);
        browser.assertAccessible();

        row.findElement(By.cssSelector("button.danger")).click();
        confirm(browser, "Revoke");
        browser.waitUntil("the share shown as revoked",
                d -> d.findElement(By.cssSelector("tr[data-share='" + id + "']")).getText().contains("Revoked"));
        assertThat(server.post("/v1/share/" + token + "/view", null, "{}").status()).isEqualTo(404);
        assertThat(browser.driver().findElement(By.cssSelector("tr[data-share='" + id + "']")).findElements(By.cssSelector("button"))).isEmpty();
    }
}
