package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.wire.WireTime;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reminders in the dashboard (issue 14, part 3): a value's dialog sets and clears its reminder (the grid marks the
 * value), and the Reminders page lists due and upcoming reminders and completes them.
 */
class RemindersPageTest extends DashboardPageTest {
    static final String WS = "/v1/workspace/acme";
    static final long DAY = 86_400_000L;

    String project(String slug, String... keys) {
        server.createProject(slug);
        String prod = server.createEnvironment(slug, "prod", false);
        Map<String, String> secrets = new java.util.LinkedHashMap<>();
        for (String k : keys) secrets.put(k, "value-of-" + k);
        server.createSecrets(slug, List.of(prod), secrets);
        return prod;
    }

    JsonNode reminderOf(String slug, String key) {
        HttpResult r = server.get(WS + "/project/" + slug + "/secret/" + key, server.ownerToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("values").get(0).get("reminder");
    }

    WebElement cell(String key, String env) {
        return browser.waitUntil("the cell " + key + " in " + env, d -> {
            for (WebElement e : d.findElements(By.cssSelector("table.grid td button.cell"))) {
                String label = e.getDomAttribute("aria-label");
                if (label != null && (label.equals(key + " in " + env) || label.startsWith(key + " in " + env + ",")) && e.isDisplayed()) return e;
            }
            return null;
        });
    }

    /** Sets a form control's value as a person would (the change and input events fire). */
    void set(String label, String value) {
        browser.script("const el = arguments[0]; el.value = arguments[1]; el.dispatchEvent(new Event('input', {bubbles: true}));"
                + " el.dispatchEvent(new Event('change', {bubbles: true}));", browser.field(label), value);
    }

    @Test
    void aValuesDialogSetsAndClearsItsReminder() {
        project("remdlg", "API_KEY");
        signInAs(browser, server, person("rita"), "developer", null, "/w/acme/p/remdlg");
        cell("API_KEY", "prod").click();
        dialog("API_KEY · prod");
        set("Reminder", "recurring");
        set("Remind me on", "2026-03-01T09:00");
        browser.fill("Repeat every (days)", "30");
        browser.assertAccessible();
        submitDialog("API_KEY · prod");

        browser.waitUntil("the grid marks the value", d -> cell("API_KEY", "prod").getText().contains("reminder"));
        JsonNode reminder = reminderOf("remdlg", "API_KEY");
        assertThat(reminder.get("type").asText()).isEqualTo("recurring");
        assertThat(reminder.get("intervalDays").asInt()).isEqualTo(30);
        assertThat(reminder.get("nextReminderDate").asText()).startsWith("2026-0");
        assertThat(server.get(WS + "/project/remdlg/secret/API_KEY", server.ownerToken).json().get("values").get(0).get("value").asText())
                .as("the value is untouched").isEqualTo("value-of-API_KEY");

        cell("API_KEY", "prod").click();
        dialog("API_KEY · prod");
        assertThat(browser.valueOf("Reminder")).isEqualTo("recurring");
        assertThat(browser.valueOf("Repeat every (days)")).isEqualTo("30");
        set("Reminder", "");
        submitDialog("API_KEY · prod");
        browser.waitUntil("the mark gone", d -> !cell("API_KEY", "prod").getText().contains("reminder"));
        assertThat(reminderOf("remdlg", "API_KEY")).isNull();
    }

    @Test
    void theRemindersPageListsDueAndUpcomingAndCompletesThem() {
        String prod = project("rempage", "A_KEY", "B_KEY");
        long now = server.clock.millis();
        for (var e : Map.of("A_KEY", "{\"type\":\"one_time\",\"nextReminderDate\":\"" + WireTime.format(now + 3_600_000L) + "\"}",
                "B_KEY", "{\"type\":\"recurring\",\"intervalDays\":7,\"nextReminderDate\":\"" + WireTime.format(now + 2 * DAY) + "\"}").entrySet()) {
            HttpResult r = server.put(WS + "/project/rempage/secret/" + e.getKey(), server.ownerToken,
                    "{\"values\":[{\"environmentId\":\"" + prod + "\",\"reminder\":" + e.getValue() + "}]}");
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
        server.clock.advance(Duration.ofHours(2)); // A is due, B upcoming
        pinBrowserClock(server);
        signInAs(browser, server, person("cora"), "developer", null, "/w/acme/reminders");
        browser.waitForText("h1", "Reminders");
        browser.waitUntil("both listed", d -> rowText("A_KEY") != null && rowText("B_KEY") != null);
        assertThat(rowText("A_KEY")).contains("due").contains("once").contains("rempage").contains("prod");
        assertThat(rowText("B_KEY")).contains("upcoming").contains("every 7 day(s)");
        browser.assertAccessible();

        browser.driver().findElement(By.cssSelector("input[name=due]")).click();
        browser.waitUntil("only the due one", d -> rowText("B_KEY") == null && rowText("A_KEY") != null);
        completeRow("A_KEY");
        browser.waitUntil("A completed", d -> rowText("A_KEY") == null);
        assertThat(reminderOf("rempage", "A_KEY")).isNull();

        browser.driver().findElement(By.cssSelector("input[name=due]")).click();
        browser.waitUntil("B listed again", d -> rowText("B_KEY") != null);
        completeRow("B_KEY");
        browser.waitUntil("B moved on by its interval", d -> reminderOf("rempage", "B_KEY").get("nextReminderDate").asText()
                .equals(WireTime.format(now + 9 * DAY)));
        browser.waitForText("Next reminder");
    }

    /** The text of the row of {@code key} in the reminders table, or null. */
    String rowText(String key) {
        return (String) browser.script("for (const tr of document.querySelectorAll('table.reminders tbody tr'))"
                + " if (tr.querySelector('th code') && tr.querySelector('th code').textContent === arguments[0]) return tr.textContent; return null;", key);
    }

    void completeRow(String key) {
        browser.script("for (const tr of document.querySelectorAll('table.reminders tbody tr'))"
                + " if (tr.querySelector('th code').textContent === arguments[0]) tr.querySelector('button').click();", key);
    }
}
