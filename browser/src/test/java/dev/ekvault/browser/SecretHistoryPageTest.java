package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A secret's history on the project page (pages/history.js) in Chromium against the real server: the versions of a
 * value with who and when, their values only on request, rollback with a confirmation, and restoring a deleted secret
 * from the "Recently deleted" panel.
 */
class SecretHistoryPageTest extends WorkspacePagesBase {

    private String sharedValue(String projectId, String environmentId, String key) {
        for (JsonNode s : api("/v1/workspace/acme/project/" + projectId + "/secret?environmentId=" + environmentId)) {
            if (s.get("name").asText().equals(key)) return s.get("values").get(0).get("value").asText();
        }
        return null;
    }

    private WebElement cell(String key, String env) {
        return browser.waitUntil("the cell " + key + " in " + env, d -> {
            for (WebElement e : d.findElements(By.cssSelector("table.grid td button.cell"))) {
                String label = e.getDomAttribute("aria-label");
                if (label != null && label.startsWith(key + " in " + env) && e.isDisplayed()) return e;
            }
            return null;
        });
    }

    @Test
    void theHistoryShowsEachVersionAndRollsBackToOne() {
        String admin = newAdmin();
        String slug = unique("hist-");
        List<String> ids = project(slug, "dev", false);
        String id = server.createSecrets(ids.get(0), List.of(ids.get(1)), Map.of("API_KEY", "first-value")).get(0).get("id").asText();
        for (String value : List.of("second-value", "third-value")) {
            server.put("/v1/workspace/acme/project/" + ids.get(0) + "/secret/" + id, server.ownerToken,
                    "{\"values\":[{\"environmentId\":\"" + ids.get(1) + "\",\"value\":" + TestServer.quote(value) + "}]}");
        }
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);

        cell("API_KEY", "dev").click();
        clickInDialog(browser, "History");
        browser.waitForText("History of API_KEY · dev");
        String text = dialog(browser).getText();
        assertThat(text).contains("v3").contains("v2").contains("v1").contains("API token");
        assertThat(browser.bodyText()).as("values stay hidden until asked for").doesNotContain("first-value").doesNotContain("third-value");
        browser.assertAccessible();

        clickInDialog(browser, "Show values");
        browser.waitForText("first-value");
        assertThat(dialog(browser).getText()).contains("second-value").contains("third-value").contains("recorded in the audit log");

        WorkspaceTreePageTest.clickNamed(browser, "Roll back to version 1");
        browser.waitUntil("the confirmation", d -> d.findElements(By.cssSelector("dialog[open]")).size() == 2);
        clickInDialog(browser, "Roll back to v1");
        browser.waitForText("#notices", "Rolled back to version 1.");
        dialogClosed(browser);
        browser.waitUntil("the API to hold version 1's value again", d -> "first-value".equals(sharedValue(ids.get(0), ids.get(1), "API_KEY")));
        JsonNode versions = api("/v1/workspace/acme/project/" + ids.get(0) + "/secret/" + id + "/versions");
        assertThat(versions.get(0).get("version").asLong()).as("a rollback is a new version").isEqualTo(4);
    }

    @Test
    void aDeletedSecretIsRestoredFromRecentlyDeleted() {
        String admin = newAdmin();
        String slug = unique("restore-");
        List<String> ids = project(slug, "dev", false);
        String id = server.createSecrets(ids.get(0), List.of(ids.get(1)), Map.of("OLD_KEY", "old-value", "KEPT", "kept")).get(0).get("id").asText();
        JsonNode all = api("/v1/workspace/acme/project/" + ids.get(0) + "/secret");
        for (JsonNode s : all) if (s.get("name").asText().equals("OLD_KEY")) id = s.get("id").asText();
        assertThat(server.delete("/v1/workspace/acme/project/" + ids.get(0) + "/secret/" + id, server.ownerToken).status()).isEqualTo(204);

        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);
        browser.waitForText("Recently deleted");
        browser.assertAccessible();
        WorkspaceTreePageTest.clickNamed(browser, "Restore OLD_KEY");
        browser.waitForText("#notices", "Restored OLD_KEY.");
        cell("OLD_KEY", "dev");
        assertThat(sharedValue(ids.get(0), ids.get(1), "OLD_KEY")).isEqualTo("old-value");
        browser.waitUntil("the panel gone", d -> !browser.bodyText().contains("Recently deleted"));
    }
}
