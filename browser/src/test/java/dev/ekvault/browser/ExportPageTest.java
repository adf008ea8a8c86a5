package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.support.ui.Select;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project page's Export (pages/export.js) in Chromium against the real server: the dialog (environment, format,
 * raw or resolved), the file handed to the browser as a Blob download with its name and type, its text exactly the
 * API's export, a re-import of the exported .env into another environment through the dashboard's Import giving back
 * the exact values (one upsert request), and the server's refusal shown in the dialog. {@link ExportPagePostgresTest}
 * runs the same tests on PostgreSQL.
 */
class ExportPageTest extends WorkspacePagesBase {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Awkward values: each must come back exactly after export and re-import. */
    static final Map<String, String> AWKWARD = new LinkedHashMap<>();

    static {
        AWKWARD.put("HOST", "dev.example.test");
        AWKWARD.put("URL", "https://${HOST}/x");
        AWKWARD.put("QUOTES", "it's \"awkward\" and 'single'");
        AWKWARD.put("MULTI", "line one\nline two\r\n\ttabbed");
        AWKWARD.put("DOLLARS", "$HOME costs $5 #not a comment");
        AWKWARD.put("BACKSLASH", "C:\\dir\\ \\\\share\\n ends \\");
        AWKWARD.put("UNICODE", "héllo ✓ 日本語 😀🔐");
        AWKWARD.put("SPACES", "  padded = yes  ");
        AWKWARD.put("YAMLISH", "0123");
    }

    /** Keeps the page from saving files: records each download's name and the last Blob it was made from. */
    static final String CAPTURE = """
            window.__downloads = [];
            const create = URL.createObjectURL;
            URL.createObjectURL = blob => { window.__blob = blob; return create.call(URL, blob); };
            HTMLAnchorElement.prototype.click = function () { window.__downloads.push(this.download); };""";

    record Download(String name, String type, String text) {}

    Download lastDownload(int count) {
        browser.waitUntil(count + " download(s)", d -> ((Number) browser.script("return window.__downloads.length")).intValue() == count);
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) browser.script(
                "return window.__blob.text().then(text => ({ name: window.__downloads.at(-1), type: window.__blob.type, text }))");
        return new Download((String) r.get("name"), (String) r.get("type"), (String) r.get("text"));
    }

    void export(String environment, String format, boolean resolved) {
        browser.click("Export");
        dialog(browser);
        new Select(browser.field("Environment")).selectByVisibleText(environment);
        browser.field(format).click();
        new Select(named("resolve")).selectByValue(Boolean.toString(resolved));
        clickInDialog(browser, "Download");
    }

    org.openqa.selenium.WebElement named(String name) {
        return browser.waitFor("dialog[open] [name=" + name + "]");
    }

    String apiExport(String prj, String env, String format, boolean resolve) {
        var r = server.get("/v1/workspace/acme/project/" + prj + "/secret/export?environmentId=" + env + "&format=" + format
                + (resolve ? "&resolve=true" : ""), server.ownerToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.body();
    }

    @Test
    void exportsEachFormatAsTheServerWritesItAndTheEnvFileReimportsExactly() throws Exception {
        String admin = newAdmin();
        String slug = unique("export-");
        List<String> ids = project(slug, "dev", false, "prod", false, "copy", false);
        String prj = ids.get(0), dev = ids.get(1), copy = ids.get(3);
        server.createSecrets(prj, List.of(dev), AWKWARD);
        server.createSecrets(prj, List.of(ids.get(2)), Map.of("PROD_ONLY", "p"));
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);
        browser.script(CAPTURE);

        browser.click("Export");
        dialog(browser);
        browser.assertAccessible();
        clickInDialog(browser, "Cancel");
        dialogClosed(browser);

        export("dev", ".env (dotenv)", false);
        browser.waitForText("#notices", "Exported dev as .env (dotenv).");
        dialogClosed(browser);
        Download dotenv = lastDownload(1);
        assertThat(dotenv.name()).isEqualTo(slug + "-dev.env");
        assertThat(dotenv.type()).startsWith("text/plain");
        assertThat(dotenv.text()).isEqualTo(apiExport(prj, dev, "dotenv", false)).contains("URL='https://${HOST}/x'");
        assertThat(browser.bodyText()).as("the values are not shown on the page").doesNotContain("awkward");

        export("dev", "JSON", true);
        browser.waitForText("#notices", "Exported dev (resolved) as JSON.");
        Download json = lastDownload(2);
        assertThat(json.name()).isEqualTo(slug + "-dev.json");
        assertThat(json.type()).isEqualTo("application/json");
        JsonNode resolved = JSON.readTree(json.text());
        assertThat(resolved.get("URL").asText()).isEqualTo("https://dev.example.test/x");
        assertThat(resolved.get("UNICODE").asText()).isEqualTo(AWKWARD.get("UNICODE"));

        export("prod", "YAML", false);
        browser.waitForText("#notices", "Exported prod as YAML.");
        Download yaml = lastDownload(3);
        assertThat(yaml.name()).isEqualTo(slug + "-prod.yaml");
        assertThat(yaml.text()).isEqualTo(apiExport(prj, ids.get(2), "yaml", false)).isEqualTo("\"PROD_ONLY\": \"p\"\n");

        // the exported .env, imported into "copy" through the dashboard's own Import: the exact values come back
        browser.click("Import .env");
        dialog(browser);
        browser.script("arguments[0].value = arguments[1]", named("text"), dotenv.text());
        browser.field("dev").click();
        browser.field("prod").click();
        clickInDialog(browser, "Import");
        browser.waitForText("#notices", "Imported " + AWKWARD.size() + " key(s): 0 new, " + AWKWARD.size() + " updated.");
        dialogClosed(browser);
        Map<String, String> copied = new LinkedHashMap<>();
        for (JsonNode s : api("/v1/workspace/acme/project/" + prj + "/secret?environmentId=" + copy)) {
            copied.put(s.get("name").asText(), s.get("values").get(0).get("value").asText());
        }
        assertThat(copied).containsExactlyInAnyOrderEntriesOf(AWKWARD);
    }

    @Test
    void aRefusedExportShowsTheServersMessageInTheDialog() {
        String admin = newAdmin();
        String slug = unique("broken-");
        List<String> ids = project(slug, "dev", false);
        server.createSecrets(ids.get(0), List.of(ids.get(1)), Map.of("BROKEN", "${NOWHERE}"));
        signIn(browser, admin, "/w/acme/p/" + slug);
        waitForProject(browser);
        browser.script(CAPTURE);

        export("dev", "JSON", true);
        browser.waitForText("dialog[open] p.error", "NOWHERE");
        assertThat(((Number) browser.script("return window.__downloads.length")).intValue()).as("nothing downloaded").isZero();
        // the control: raw, the same export goes through
        new Select(named("resolve")).selectByValue("false");
        clickInDialog(browser, "Download");
        browser.waitForText("#notices", "Exported dev as JSON.");
        assertThat(lastDownload(1).text()).isEqualTo("{\"BROKEN\":\"${NOWHERE}\"}");
    }
}
