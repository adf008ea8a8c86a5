package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebElement;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Audit log page (admins): the credential actions newest first, a filter by action, "Load more" past 50 entries,
 * the chain verified intact and then found broken at the row an operator changed in the database, and against a
 * notarised head, the export as JSON Lines; a non-admin is neither offered the page nor served it.
 */
class AuditPageTest extends DashboardPageTest {
    static final String PAGE = "/w/acme/audit";
    static final ObjectMapper JSON = new ObjectMapper();

    void openAsAdmin(TestServer on, String email) {
        signInAs(browser, on, email, "admin", null, PAGE);
        browser.waitForText("h1", "Audit log");
    }

    @SuppressWarnings("unchecked")
    List<String> actions() {
        return (List<String>) browser.script("return [...document.querySelectorAll('tbody tr td:nth-child(2)')].map(td => td.textContent)");
    }

    @SuppressWarnings("unchecked")
    List<Long> seqs() {
        return ((List<String>) browser.script("return [...document.querySelectorAll('tbody tr td:first-child .muted')].map(d => d.textContent)"))
                .stream().map(s -> Long.parseLong(s.substring(1))).toList();
    }

    int rows() {
        return ((Number) browser.script("return document.querySelectorAll('tbody tr').length")).intValue();
    }

    String idOf(HttpResult created) {
        assertThat(created.status()).as(created.toString()).isIn(200, 201);
        return created.json().get("id").asText();
    }

    @Test
    void theCredentialActionsAreListedNewestFirstAndTheFilterNarrowsThem() {
        String base = "/v1/workspace/acme/tokens";
        String body = "{\"name\":\"audited\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"30d\"}";
        HttpResult created = server.post(base, server.ownerToken, body);
        String token = created.json().get("token").asText();
        HttpResult exchanged = server.post("/v1/auth/exchange", token, "{}");
        assertThat(exchanged.status()).as(exchanged.toString()).isEqualTo(200);
        HttpResult rotated = server.post(base + "/" + idOf(created) + "/rotate", server.ownerToken, "{}");
        assertThat(server.delete(base + "/" + idOf(rotated), server.ownerToken).status()).isEqualTo(204);

        openAsAdmin(server, person("audra"));
        browser.waitFor("tbody tr");
        List<String> all = actions();
        // newest first: the revocation, then the rotation, the exchange, the creation (the sign-in's own entries are newer still)
        assertThat(all).containsSubsequence("revoke", "rotate", "exchange", "create");
        List<Long> seqs = seqs();
        assertThat(seqs).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        browser.assertAccessible();

        browser.fill("Action", "rotate").click("Filter");
        browser.waitUntil("only rotations listed", d -> !actions().isEmpty() && actions().stream().allMatch("rotate"::equals));
        assertThat(rows()).isLessThan(all.size());
        browser.fill("Action", "exchange").click("Filter");
        browser.waitUntil("only exchanges listed", d -> !actions().isEmpty() && actions().stream().allMatch("exchange"::equals));
        // who: the person by email (the owner's token made the exchange), then the kind of credential
        assertThat(browser.text("tbody tr td:nth-child(3)")).startsWith("owner@example.com").contains("static");
    }

    @Test
    void loadMorePagesPastFiftyEntries() {
        for (int i = 0; i < 55; i++) server.createToken(server.ownerToken, "read", "{\"all\":true}");
        openAsAdmin(server, person("paige"));
        browser.fill("Action", "create").click("Filter");
        browser.waitUntil("a first page of 50", d -> rows() == 50);
        List<Long> first = seqs();
        browser.click("Load more");
        browser.waitUntil("more than 50 rows", d -> rows() > 50);
        List<Long> all = seqs();
        assertThat(all).startsWith(first.toArray(Long[]::new)).doesNotHaveDuplicates().isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(all.size()).isGreaterThanOrEqualTo(55);
        assertThat(actions()).allMatch("create"::equals);
    }

    @Test
    void verifySaysIntactThenFindsTheRowChangedInTheDatabase() {
        try (TestServer t = TestServer.start(backend())) {
            browser.baseUrl(t.url(""));
            pinBrowserClock(t);
            for (int i = 0; i < 5; i++) t.createToken(t.ownerToken, "read", "{\"all\":true}");
            openAsAdmin(t, person("vera"));
            browser.waitFor("tbody tr");
            browser.click("Verify the chain");
            String intact = browser.waitForText("p[role=status]", "The chain is intact").getText();
            long checked = t.get("/v1/workspace/acme/audit/verify", t.ownerToken).json().get("checked").asLong();
            assertThat(intact).isEqualTo("The chain is intact: " + checked + " entries checked.");
            assertThat(checked).isGreaterThanOrEqualTo(5);
            browser.assertAccessible();

            if (backend() == Backend.POSTGRESQL) {
                t.runSql("ALTER TABLE audit_block DISABLE TRIGGER USER");
            } else {
                t.runSql("DROP TRIGGER audit_block_no_update");
                t.runSql("DROP TRIGGER audit_block_no_delete");
            }
            changeEntry(t, 3);
            browser.click("Verify the chain");
            String broken = browser.waitForText("p[role=status]", "broken").getText();
            assertThat(broken).startsWith("The chain is broken at entry 3: ").contains("changed").endsWith(". 2 entries matched before it.");
            browser.assertAccessible();
        }
    }

    @Test
    void verifyAgainstANotarisedHeadHoldsItAndFindsAChainThatEndsBeforeIt() {
        try (TestServer t = TestServer.start(backend())) {
            browser.baseUrl(t.url(""));
            pinBrowserClock(t);
            for (int i = 0; i < 3; i++) t.createToken(t.ownerToken, "read", "{\"all\":true}");
            openAsAdmin(t, person("nora"));
            browser.waitFor("tbody tr");
            // the head as the log gave it: the newest entry's sequence number and hash
            JsonNode newest = t.get("/v1/workspace/acme/audit?limit=1", t.ownerToken).json().get("entries").get(0);
            long seq = newest.get("seq").asLong();
            browser.driver().findElement(By.cssSelector("details.notarised summary")).click();
            browser.fill("Sequence number", Long.toString(seq)).fill("Hash", newest.get("hash").asText()).click("Verify against this head");
            String holds = browser.waitForText("p[role=status]", "notarised head").getText();
            assertThat(holds).startsWith("The chain is intact: ").endsWith(" entries checked, and it holds the notarised head #" + seq + ".");
            browser.assertAccessible();

            // a head the chain never reached: what a chain cut short at its end looks like against a head kept elsewhere
            long beyond = seq + 1_000;
            browser.fill("Sequence number", Long.toString(beyond)).click("Verify against this head");
            String broken = browser.waitForText("p[role=status]", "broken").getText();
            assertThat(broken).startsWith("The chain is broken at entry ").contains("before the notarised head " + beyond);

            // the chain alone, from the button at the top, with the head's fields still filled
            browser.click("Verify the chain");
            assertThat(browser.waitForText("p[role=status]", "intact").getText()).endsWith(" entries checked.");

            browser.fill("Hash", "not a hash").click("Verify against this head");
            assertThat(browser.waitForText("p[role=status]", "'hash'").getText()).contains("hash").doesNotContain("not a hash");
        }
    }

    /**
     * Changes entry {@code seq}'s outcome in the database, as a tamperer would: its line inside the stored group of
     * entries it was appended with (a group is one row, its entries one line each).
     */
    static void changeEntry(TestServer t, long seq) {
        String[] block = t.server.database().read(c -> dev.ekvault.server.store.Sql.one(c,
                "SELECT seq, entries FROM audit_block WHERE workspace_id = (SELECT id FROM workspace WHERE slug = 'acme') AND seq <= ? AND last_seq >= ?",
                r -> new String[] {r.getString(1), r.getString(2)}, seq, seq));
        String[] lines = block[1].split("\n");
        int at = (int) (seq - Long.parseLong(block[0]));
        assertThat(lines[at]).contains("\"seq\":" + seq + ",");
        // a group's first line names every field; a later one only what differs from the entry before (it inherits the
        // outcome): either way the entry's outcome becomes a failure
        lines[at] = lines[at].contains("\"outcome\":\"success\"") ? lines[at].replace("\"outcome\":\"success\"", "\"outcome\":\"failure\"")
                : lines[at].replace("\"hash\":\"", "\"outcome\":\"failure\",\"hash\":\"");
        t.runSql("UPDATE audit_block SET entries = '" + String.join("\n", lines).replace("'", "''") + "' WHERE workspace_id = "
                + "(SELECT id FROM workspace WHERE slug = 'acme') AND seq = " + block[0]);
    }

    @Test
    void theExportLinkServesJsonLinesToTheSignedInAdmin() throws Exception {
        server.createToken(server.ownerToken, "read", "{\"all\":true}");
        openAsAdmin(server, person("exa"));
        WebElement link = browser.driver().findElement(By.linkText("Export (JSON Lines)"));
        String href = link.getDomProperty("href");
        assertThat(href).isEqualTo(server.url("/v1/workspace/acme/audit/export"));
        assertThat(link.getDomAttribute("download")).isEqualTo("audit-acme.jsonl");
        Cookie session = browser.driver().manage().getCookieNamed("ek_session");
        HttpResult export = server.send(server.request("/v1/workspace/acme/audit/export", null).header("Cookie", "ek_session=" + session.getValue()).GET());
        assertThat(export.status()).as(export.toString()).isEqualTo(200);
        String[] lines = export.body().strip().split("\n");
        assertThat(lines.length).isGreaterThanOrEqualTo(1);
        for (String line : lines) {
            JsonNode entry = JSON.readTree(line);
            assertThat(entry.has("seq")).isTrue();
            assertThat(entry.has("hash")).isTrue();
        }
        // the control: the same request without the cookie is refused
        assertThat(server.get("/v1/workspace/acme/audit/export", null).status()).isEqualTo(401);
    }

    @Test
    void aNonAdminIsNotOfferedTheAuditLogAndThePageIsRefused() {
        signInAs(browser, server, person("devi"), "developer", null, "/w/acme/credentials");
        browser.waitForText("h1", "Credentials");
        assertThat(browser.driver().findElements(By.linkText("Audit log"))).isEmpty();
        assertThat(browser.driver().findElements(By.linkText("Credentials"))).isNotEmpty();
        browser.open(PAGE);
        browser.waitForText("h1", "Audit log");
        String error = browser.waitUntil("the refusal", d -> {
            List<WebElement> alerts = d.findElements(By.cssSelector("main .error[role=alert]"));
            return alerts.stream().map(WebElement::getText).filter(s -> !s.isBlank()).findFirst().orElse(null);
        });
        assertThat(error).isNotBlank();
        assertThat(browser.driver().findElements(By.cssSelector("tbody tr"))).isEmpty();

        // the positive control: an admin in another browser is offered the link and sees entries
        Browser other = secondBrowser();
        signInAs(other, server, person("adele"), "admin", null, "/w/acme/credentials");
        other.waitForText("h1", "Credentials");
        other.driver().findElement(By.linkText("Audit log")).click();
        other.waitForText("h1", "Audit log");
        other.waitFor("tbody tr");
    }
}
