package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A project's secrets page (pages/project.js, dotenv.js) in Chromium against the real server: the grid of keys ×
 * environments, values masked until revealed, copy without revealing, edit, rename, delete, personal overrides,
 * references, .env import, filtering, markup shown literally, values kept out of URL/storage/title, a 500 × 5 grid,
 * and what a read-only member scoped to one environment is offered. {@link SecretsPagePostgresTest} runs the same
 * tests on PostgreSQL.
 */
class SecretsPageTest extends WorkspacePagesBase {
    static final String MASK = "••••••••";

    /** The grid cell of {@code key} in {@code env} (its button). */
    WebElement cell(Browser b, String key, String env) {
        return b.waitUntil("the cell " + key + " in " + env, d -> {
            for (WebElement e : d.findElements(By.cssSelector("table.grid td button.cell"))) {
                String label = e.getDomAttribute("aria-label");
                if (label != null && (label.equals(key + " in " + env) || label.startsWith(key + " in " + env + ",")) && e.isDisplayed()) return e;
            }
            return null;
        });
    }

    /** The keys of the grid's rows, as shown. */
    List<String> rowKeys(Browser b) {
        List<String> keys = new ArrayList<>();
        for (WebElement th : b.driver().findElements(By.cssSelector("table.grid tbody tr:not([hidden]) th.key"))) keys.add(th.getText());
        return keys;
    }

    /** The dialog's value box textarea (name "shared" or "personal"). */
    WebElement valueArea(Browser b, String name) {
        return b.driver().findElement(By.cssSelector("dialog[open] textarea[name=" + name + "]"));
    }

    /** Every value the API (owner's token) holds for a key: environmentId → value (shared only). */
    Map<String, String> sharedValues(String projectId, String key) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode s : api("/v1/workspace/acme/project/" + projectId + "/secret")) {
            if (!s.get("name").asText().equals(key)) continue;
            for (JsonNode v : s.get("values")) if (!v.path("isPersonal").asBoolean()) out.put(v.get("environmentId").asText(), v.get("value").asText());
        }
        return out;
    }

    List<String> apiKeys(String projectId) {
        List<String> out = new ArrayList<>();
        api("/v1/workspace/acme/project/" + projectId + "/secret").forEach(s -> out.add(s.get("name").asText()));
        return out;
    }

    void typeInto(WebElement field, String text) {
        field.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        field.sendKeys(text);
    }

    /**
     * The visible buttons' texts without their visually hidden part ("Rename" of "Rename KEY": WebDriver's text
     * includes clipped text on its own line).
     */
    static List<String> offered(Browser b) {
        return b.visibleButtons().stream().map(t -> t.split("\n")[0].strip()).toList();
    }

    /** A control of the open dialog by its name attribute (fields with a hint: the hint is part of the label's text). */
    static WebElement named(Browser b, String name) {
        return b.waitFor("dialog[open] [name=" + name + "]");
    }

    /** Secret values must appear in none of these. */
    void assertNotInUrlStorageOrTitle(Browser b, String... values) {
        String url = b.currentUrl();
        String title = b.title();
        String storage = (String) b.script("""
                const dump = s => { const o = {}; for (let i = 0; i < s.length; i++) { const k = s.key(i); o[k] = s.getItem(k); } return JSON.stringify(o); };
                return dump(localStorage) + '|' + dump(sessionStorage) + '|' + document.cookie + '|' + history.state;""");
        for (String v : values) {
            assertThat(url).as("the URL").doesNotContain(v);
            assertThat(title).as("the title").doesNotContain(v);
            assertThat(storage).as("local/session storage, cookies, history state").doesNotContain(v);
        }
    }

    @Test
    void addRevealEditRenameAndDeleteASecret() {
        String admin = newAdmin();
        String slug = unique("app-");
        List<String> ids = project(slug, "dev", false, "prod", false);
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);
        browser.waitForText("No secrets yet.");

        browser.click("Add secret");
        typeInto(named(browser, "key"), "API_URL");
        browser.fill("Value", "https://api.example.test/v1");
        clickInDialog(browser, "Add");
        dialogClosed(browser);
        cell(browser, "API_URL", "dev");
        assertThat(sharedValues(ids.get(0), "API_URL")).containsEntry(ids.get(1), "https://api.example.test/v1").containsEntry(ids.get(2), "https://api.example.test/v1");

        // masked in the grid
        assertThat(cell(browser, "API_URL", "dev").getText()).isEqualTo(MASK);
        assertThat(browser.bodyText()).doesNotContain("https://api.example.test/v1");
        // "Show values" shows them, unticking hides them again
        browser.field("Show values").click();
        browser.waitUntil("the value shown", d -> cell(browser, "API_URL", "prod").getText().equals("https://api.example.test/v1"));
        assertNotInUrlStorageOrTitle(browser, "https://api.example.test/v1", "api.example.test");
        browser.field("Show values").click();
        browser.waitUntil("the value masked", d -> cell(browser, "API_URL", "prod").getText().equals(MASK));

        // the cell's dialog: hidden until Reveal, then edited
        cell(browser, "API_URL", "dev").click();
        dialog(browser);
        assertThat(valueArea(browser, "shared").isDisplayed()).isFalse();
        assertThat(dialog(browser).getText()).doesNotContain("https://api.example.test/v1").contains(MASK);
        clickInDialog(browser, "Reveal / edit");
        browser.waitUntil("the value revealed", d -> valueArea(browser, "shared").isDisplayed());
        assertThat(valueArea(browser, "shared").getDomProperty("value")).isEqualTo("https://api.example.test/v1");
        assertNotInUrlStorageOrTitle(browser, "https://api.example.test/v1", "api.example.test");
        typeInto(valueArea(browser, "shared"), "https://dev.example.test/v2");
        clickInDialog(browser, "Save");
        dialogClosed(browser);
        browser.waitUntil("the API to hold the new dev value",
                d -> "https://dev.example.test/v2".equals(sharedValues(ids.get(0), "API_URL").get(ids.get(1))));
        assertThat(sharedValues(ids.get(0), "API_URL").get(ids.get(2))).as("prod untouched").isEqualTo("https://api.example.test/v1");
        assertNotInUrlStorageOrTitle(browser, "https://dev.example.test/v2", "dev.example.test");

        // rename the key
        WorkspaceTreePageTest.clickNamed(browser, "Rename API_URL");
        browser.fill("Key", "SERVICE_URL");
        clickInDialog(browser, "Rename");
        dialogClosed(browser);
        cell(browser, "SERVICE_URL", "dev");
        assertThat(apiKeys(ids.get(0))).containsExactly("SERVICE_URL");
        assertThat(sharedValues(ids.get(0), "SERVICE_URL").get(ids.get(1))).isEqualTo("https://dev.example.test/v2");

        // delete it: the confirmation says where its values are; cancelling keeps it
        WorkspaceTreePageTest.clickNamed(browser, "Delete SERVICE_URL");
        assertThat(dialog(browser).getText()).contains("Delete SERVICE_URL?").contains("dev, prod").contains("personal overrides");
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);
        assertThat(apiKeys(ids.get(0))).containsExactly("SERVICE_URL");
        WorkspaceTreePageTest.clickNamed(browser, "Delete SERVICE_URL");
        confirm(browser, "Delete secret");
        browser.waitForText("No secrets yet.");
        assertThat(apiKeys(ids.get(0))).isEmpty();
    }

    @Test
    void copyPutsTheValueOnTheClipboardWithoutShowingIt() {
        String admin = newAdmin();
        String slug = unique("copy-");
        List<String> ids = project(slug, "dev", false);
        server.createSecrets(ids.get(0), List.of(ids.get(1)), Map.of("TOKEN", "s3cr3t-copied-value"));
        ((ChromeDriver) browser.driver()).executeCdpCommand("Browser.grantPermissions", Map.of(
                "origin", server.url(""), "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);
        browser.script("navigator.clipboard.writeText('before')");

        cell(browser, "TOKEN", "dev").click();
        clickInDialog(browser, "Copy");
        browser.waitForText("#notices", "Value in dev copied to the clipboard.");
        assertThat(valueArea(browser, "shared").isDisplayed()).as("still hidden").isFalse();
        assertThat(browser.bodyText()).doesNotContain("s3cr3t-copied-value");
        Object clipboard = browser.script("return navigator.clipboard.readText()");
        assertThat(clipboard).isEqualTo("s3cr3t-copied-value");
        assertNotInUrlStorageOrTitle(browser, "s3cr3t-copied-value");
        browser.assertAccessible(); // the cell dialog, masked
        clickInDialog(browser, "Reveal / edit");
        browser.waitUntil("revealed", d -> valueArea(browser, "shared").isDisplayed());
        browser.assertAccessible(); // the cell dialog, revealed
    }

    @Test
    void aPersonalOverrideIsMarkedAndOnlyItsOwnerSeesIt() {
        String admin = newAdmin();
        String slug = unique("ovr-");
        List<String> ids = project(slug, "dev", true, "prod", false);
        String prj = ids.get(0), dev = ids.get(1);
        server.createSecrets(prj, List.of(dev, ids.get(2)), Map.of("DB_HOST", "db.shared.internal"));
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);

        // prod does not allow overrides: its dialog has no personal box (the control)
        cell(browser, "DB_HOST", "prod").click();
        dialog(browser);
        assertThat(browser.driver().findElements(By.cssSelector("dialog[open] textarea[name=personal]"))).isEmpty();
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);

        cell(browser, "DB_HOST", "dev").click();
        assertThat(dialog(browser).getText()).contains("My personal override").contains("(none)");
        List<WebElement> reveals = browser.driver().findElements(By.xpath("//dialog[@open]//button[normalize-space()='Reveal / edit']"));
        assertThat(reveals).hasSize(2);
        reveals.get(1).click();
        browser.waitUntil("the override box", d -> valueArea(browser, "personal").isDisplayed());
        valueArea(browser, "personal").sendKeys("localhost");
        clickInDialog(browser, "Save");
        dialogClosed(browser);

        WebElement marked = browser.waitUntil("the cell marked personal", d -> {
            WebElement c = cell(browser, "DB_HOST", "dev");
            return c.getText().contains("personal") ? c : null;
        });
        assertThat(marked.getDomAttribute("aria-label")).isEqualTo("DB_HOST in dev, personal override");
        assertThat(cell(browser, "DB_HOST", "prod").getText()).doesNotContain("personal");
        browser.field("Show values").click();
        browser.waitUntil("the override shown", d -> cell(browser, "DB_HOST", "dev").getText().startsWith("localhost"));
        assertThat(cell(browser, "DB_HOST", "prod").getText()).isEqualTo("db.shared.internal");

        // over plain HTTP: an API token sees the shared value, the person's session the override
        String path = "/v1/workspace/acme/project/" + prj + "/secret/DB_HOST?environmentId=" + dev;
        HttpResult byToken = server.get(path, server.ownerToken);
        assertThat(byToken.status()).as(byToken.toString()).isEqualTo(200);
        assertThat(valueIn(byToken.json(), dev)).isEqualTo("db.shared.internal");
        HttpResult bySession = server.getAs(server.signIn(admin, TestServer.PASSWORD), path);
        assertThat(bySession.status()).as(bySession.toString()).isEqualTo(200);
        assertThat(valueIn(bySession.json(), dev)).isEqualTo("localhost");
    }

    /** The value a secret shows in an environment: the personal override if there is one, else the shared value. */
    static String valueIn(JsonNode secret, String env) {
        String shared = null;
        for (JsonNode v : secret.get("values")) {
            if (!v.get("environmentId").asText().equals(env)) continue;
            if (v.path("isPersonal").asBoolean()) return v.get("value").asText();
            shared = v.get("value").asText();
        }
        return shared;
    }

    @Test
    void referencesShowRawAndResolveOnDemandWithAClearErrorWhenTheyCannot() {
        String admin = newAdmin();
        String slug = unique("refs-");
        List<String> ids = project(slug, "dev", false, "prod", false);
        String prj = ids.get(0), dev = ids.get(1), prod = ids.get(2);
        server.createSecrets(prj, List.of(dev), Map.of("HOST", "dev.example.test"));
        server.createSecrets(prj, List.of(prod), Map.of("HOST", "prod.example.test"));
        server.createSecrets(prj, List.of(dev), Map.of("URL", "https://${HOST}/api", "PROD_URL", "https://${prod.HOST}/api"));
        HttpResult broken = server.post("/v1/workspace/acme/project/" + prj + "/secret", server.ownerToken,
                "{\"environments\":[\"" + dev + "\"],\"secrets\":[{\"key\":\"BROKEN\",\"value\":\"${NOWHERE}\",\"type\":\"runtime\",\"dataType\":\"text\"}]}");
        assertThat(broken.status()).as(broken.toString()).isEqualTo(201);
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);

        browser.field("Show values").click();
        browser.waitUntil("raw references in the grid", d -> cell(browser, "URL", "dev").getText().equals("https://${HOST}/api"));
        assertThat(cell(browser, "PROD_URL", "dev").getText()).isEqualTo("https://${prod.HOST}/api");

        cell(browser, "URL", "dev").click();
        clickInDialog(browser, "Show resolved value");
        browser.waitForText("dialog[open] output.resolved", "https://dev.example.test/api");
        assertThat(valueArea(browser, "shared").getDomProperty("value")).as("the value itself stays raw").isEqualTo("https://${HOST}/api");
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);

        cell(browser, "PROD_URL", "dev").click();
        clickInDialog(browser, "Show resolved value");
        browser.waitForText("dialog[open] output.resolved", "https://prod.example.test/api");
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);

        cell(browser, "BROKEN", "dev").click();
        clickInDialog(browser, "Show resolved value");
        WebElement error = browser.waitForText("dialog[open] output.resolved", "Cannot resolve");
        assertThat(error.getText()).contains("NOWHERE");
        assertThat(error.getDomAttribute("class")).contains("error");
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);

        // a plain value offers no resolution (the control)
        cell(browser, "HOST", "dev").click();
        dialog(browser);
        assertThat(browser.visibleButtons()).doesNotContain("Show resolved value").contains("Reveal / edit");
    }

    @Test
    void aPastedDotenvImportsEveryKeyAndTheFilterNarrowsTheGrid() {
        String admin = newAdmin();
        String slug = unique("env-");
        List<String> ids = project(slug, "dev", false, "prod", false);
        String prj = ids.get(0), dev = ids.get(1), prod = ids.get(2);
        server.createSecrets(prj, List.of(dev, prod), Map.of("EXISTING", "old"));
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);

        browser.click("Import .env");
        String dotenv = String.join("\n",
                "# database settings",
                "export EXPORTED=yes",
                "DOUBLE=\"double # not a comment\"",
                "SINGLE='single $value'",
                "PLAIN=plain # trailing comment",
                "MULTI=\"line one",
                "line two\\nline three\"",
                "",
                "EXISTING=new");
        named(browser, "text").sendKeys(dotenv);
        clickInDialog(browser, "Import");
        browser.waitForText("#notices", "Imported 6 key(s): 5 new, 1 updated.");
        dialogClosed(browser);
        browser.waitUntil("6 rows", d -> rowKeys(browser).size() == 6);
        assertThat(rowKeys(browser)).containsExactlyInAnyOrder("EXISTING", "EXPORTED", "DOUBLE", "SINGLE", "PLAIN", "MULTI");

        Map<String, String> expected = Map.of("EXPORTED", "yes", "DOUBLE", "double # not a comment", "SINGLE", "single $value",
                "PLAIN", "plain", "MULTI", "line one\nline two\nline three", "EXISTING", "new");
        expected.forEach((k, v) -> {
            assertThat(sharedValues(prj, k).get(dev)).as(k + " in dev").isEqualTo(v);
            assertThat(sharedValues(prj, k).get(prod)).as(k + " in prod").isEqualTo(v);
        });

        // filter by key
        WebElement filter = browser.field("Filter");
        filter.sendKeys("ult");
        browser.waitUntil("one row", d -> rowKeys(browser).equals(List.of("MULTI")));
        browser.waitForText("main [role=status]", "1 of 6 secret(s)");
        typeInto(filter, "E");
        browser.waitUntil("the rows with an e, any case", d -> rowKeys(browser).size() == 4 && !rowKeys(browser).contains("PLAIN"));
        typeInto(filter, "nothing-matches");
        browser.waitUntil("no row", d -> rowKeys(browser).isEmpty());
        filter.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        browser.waitUntil("every row again", d -> rowKeys(browser).size() == 6);
        browser.assertAccessible();
    }

    static final String IMG = "<img src=x onerror=window.__pwned=1>";
    static final String BOLD = "<b>bold</b>";

    @Test
    void markupInAValueOrAProjectNameShowsLiterally() {
        String admin = newAdmin();
        String slug = unique("markup-");
        HttpResult created = server.post("/v1/workspace/acme/project", server.ownerToken,
                "{\"name\":" + TestServer.quote(IMG + " " + BOLD) + ",\"slug\":\"" + slug + "\",\"teamId\":\"" + server.defaultTeamId() + "\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String prj = created.json().get("id").asText();
        String dev = server.createEnvironment(prj, "dev", false);
        server.createSecrets(prj, List.of(dev), Map.of("HTML", IMG + " " + BOLD));

        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);
        assertThat(browser.text("main h1")).isEqualTo(IMG + " " + BOLD);
        assertThat(browser.driver().findElements(By.cssSelector("main img, main h1 b, table.grid b"))).isEmpty();
        browser.field("Show values").click();
        browser.waitUntil("the literal value", d -> cell(browser, "HTML", "dev").getText().equals(IMG + " " + BOLD));
        cell(browser, "HTML", "dev").click();
        clickInDialog(browser, "Reveal / edit");
        browser.waitUntil("revealed", d -> valueArea(browser, "shared").isDisplayed());
        assertThat(valueArea(browser, "shared").getDomProperty("value")).isEqualTo(IMG + " " + BOLD);
        assertThat(browser.driver().findElements(By.cssSelector("dialog img, dialog b"))).isEmpty();
        clickInDialog(browser, "Cancel");

        // the tree shows the name literally too
        browser.open("/w/acme");
        WebElement card = browser.waitForText("main li.card", slug);
        assertThat(card.getText()).contains(IMG + " " + BOLD);
        assertThat(browser.driver().findElements(By.cssSelector("main img, main li.card b"))).isEmpty();
        assertThat(browser.script("return typeof window.__pwned")).isEqualTo("undefined");
        // the control: the same text parsed as HTML does make elements (so the checks above could fail)
        browser.script("document.querySelector('main').insertAdjacentHTML('beforeend', arguments[0])", IMG + " " + BOLD);
        assertThat(browser.driver().findElements(By.cssSelector("main img"))).hasSize(1);
        assertThat(browser.driver().findElements(By.cssSelector("main > b"))).hasSize(1);
    }

    @Test
    void aReadOnlyMemberScopedToOneEnvironmentSeesOnlyItAndIsOfferedNoChange() {
        String admin = newAdmin();
        String slug = unique("ro-");
        List<String> ids = project(slug, "dev", false, "prod", false);
        String prj = ids.get(0), dev = ids.get(1), prod = ids.get(2);
        server.createSecrets(prj, List.of(dev, prod), Map.of("KEY_ONE", "one-value", "KEY_TWO", "two-value"));
        String member = unique("reader") + "@example.com";
        server.invitePerson(member, "member", "{\"all\":false,\"teams\":[],\"projects\":[],\"environments\":[\"" + dev + "\"]}");
        List<String> changes = List.of("Add secret", "Import .env", "Rename", "Delete", "New environment", "Rename project", "Delete project");

        // the control: the admin is offered every change and sees both columns
        Browser other = secondBrowser();
        signIn(other, admin, "/w/acme/p/" + slug);
        waitForProject(other);
        cell(other, "KEY_ONE", "prod");
        assertThat(offered(other)).containsAll(changes);

        signIn(browser, member, "/w/acme/p/" + slug);
        waitForProject(browser);
        cell(browser, "KEY_ONE", "dev");
        List<String> headers = new ArrayList<>();
        browser.driver().findElements(By.cssSelector("table.grid thead th")).forEach(th -> headers.add(th.getText()));
        assertThat(headers).contains("dev").doesNotContain("prod");
        assertThat(browser.driver().findElements(By.cssSelector("button.cell[aria-label*=' in prod']"))).isEmpty();
        assertThat(offered(browser)).doesNotContainAnyElementsOf(changes).contains("Sign out");

        // the cell offers Reveal and Close, not edit or Save
        cell(browser, "KEY_ONE", "dev").click();
        dialog(browser);
        assertThat(browser.visibleButtons()).contains("Reveal", "Copy", "Close").doesNotContain("Reveal / edit", "Save");
        assertThat(offered(browser).stream().filter("Close"::equals)).as("one Close button").hasSize(1);
        clickInDialog(browser, "Reveal");
        browser.waitUntil("revealed", d -> valueArea(browser, "shared").isDisplayed());
        assertThat(valueArea(browser, "shared").getDomProperty("value")).isEqualTo("one-value");
        assertThat(valueArea(browser, "shared").getDomAttribute("readonly")).isNotNull();
        browser.assertAccessible();
    }

    @Test
    void aProjectWith500KeysAndFiveEnvironmentsRendersAndFilters() {
        String admin = newAdmin();
        String slug = unique("big-");
        List<String> ids = project(slug, "dev", false, "test", false, "staging", false, "prod", false, "demo", false);
        String prj = ids.get(0);
        List<String> envs = ids.subList(1, 6);
        for (int batch = 0; batch < 5; batch++) {
            Map<String, String> secrets = new LinkedHashMap<>();
            for (int i = 0; i < 100; i++) {
                int n = batch * 100 + i;
                secrets.put(String.format("KEY_%03d", n), "value-" + n + "-" + "x".repeat(20));
            }
            server.createSecrets(prj, envs, secrets);
        }
        assertThat(api("/v1/workspace/acme/project/" + prj + "/secret").size()).isEqualTo(500);

        signIn(browser, admin, "/w/acme");
        browser.waitForText("main li.card", slug);
        // time from the click on the project's link to the 500th row in the grid, measured in the page
        browser.script("""
                window.__gridDone = null;
                window.__t0 = performance.now();
                new MutationObserver((list, obs) => {
                  if (document.querySelectorAll('table.grid tbody tr').length >= 500) { window.__gridDone = performance.now(); obs.disconnect(); }
                }).observe(document.body, { childList: true, subtree: true });
                document.querySelector('a.card-title[href$="/p/' + arguments[0] + '"]').click();""", slug);
        browser.waitUntil("500 rows", d -> ((Number) browser.script("return document.querySelectorAll('table.grid tbody tr').length")).intValue() == 500);
        double load = ((Number) browser.script("return window.__gridDone - window.__t0")).doubleValue();
        // of which the API answer with the 500 x 5 values (the server's part)
        double fetch = ((Number) browser.script("const e = performance.getEntriesByType('resource')"
                + ".filter(r => r.name.includes('/project/') && r.name.endsWith('/secret')).pop(); return e ? e.responseEnd - e.startTime : -1;")).doubleValue();
        assertThat(browser.driver().findElements(By.cssSelector("table.grid tbody button.cell"))).hasSize(2500);

        // redraws measured synchronously in the page (drawRows runs inside the input/change handler)
        double filter = timed("const f = document.querySelector('main input[type=search]'); f.value = 'KEY_04'; f.dispatchEvent(new Event('input'));");
        assertThat(rowKeys(browser)).hasSize(10).allMatch(k -> k.startsWith("KEY_04"));
        double unfilter = timed("const f = document.querySelector('main input[type=search]'); f.value = ''; f.dispatchEvent(new Event('input'));");
        assertThat(rowKeys(browser)).hasSize(500);
        double reveal = timed("document.querySelector('main .toolbar input[type=checkbox]').click();");
        assertThat(cell(browser, "KEY_499", "demo").getText()).isEqualTo("value-499-" + "x".repeat(20));
        System.out.printf("grid 500x5 rendered in %.0f ms (link click to 500th row, %s; of which GET .../secret %.0f ms); filter to 10 rows %.1f ms; clear filter (500 rows) %.1f ms;"
                + " Show values (500 rows) %.1f ms%n", load, backend(), fetch, filter, unfilter, reveal);

        // typing in the filter as a person does narrows too
        WebElement f = browser.field("Filter");
        typeInto(f, "KEY_12");
        browser.waitUntil("10 rows", d -> rowKeys(browser).size() == 10);
        browser.waitForText("main [role=status]", "10 of 500 secret(s)");
    }

    double timed(String js) {
        return ((Number) browser.script("const t0 = performance.now(); " + js + " return performance.now() - t0;")).doubleValue();
    }
}
