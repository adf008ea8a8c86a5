package dev.ekvault.browser;

import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestIssuer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Credentials page as Enkryptify's documentation describes it: one table of API tokens and Kubernetes identities,
 * newest first; "Create credential" makes a token whose raw value is shown once, and the token is then used from
 * outside the browser (plain HTTP), rotated and revoked in the page.
 */
class CredentialsPageTest extends DashboardPageTest {
    static final String PAGE = "/w/acme/credentials";
    static final String SECRETS = "/v1/workspace/acme/project/%s/secret";
    String webProject;
    String webProd;
    String billingProd;

    @BeforeAll
    void tree() {
        webProject = server.createProject("web");
        webProd = server.createEnvironment("web", "web-prod", false);
        server.createProject("billing");
        billingProd = server.createEnvironment("billing", "billing-prod", false);
        server.createSecrets("web", List.of(webProd), Map.of("WEB_KEY", "w"));
        server.createSecrets("billing", List.of(billingProd), Map.of("BILLING_KEY", "b"));
    }

    HttpResult read(String token, String project, String env) {
        return server.get(SECRETS.formatted(project) + "?environmentId=" + env, token);
    }

    HttpResult write(String token, String project, String env, String key) {
        return server.post(SECRETS.formatted(project), token,
                "{\"environments\":[\"" + env + "\"],\"secrets\":[{\"key\":\"" + key + "\",\"value\":\"v\",\"type\":\"runtime\",\"dataType\":\"text\"}]}");
    }

    void openAs(String email, String role, String scopeJson) {
        signInAs(browser, server, email, role, scopeJson, PAGE);
        browser.waitForText("h1", "Credentials");
    }

    /** The visible text of the newest row whose name is {@code name}, once there is one. */
    String row(String name) {
        return browser.waitUntil("a credentials row named " + name, d -> (String) browser.script("""
                const row = [...document.querySelectorAll('table.credentials tbody tr')]
                  .find(tr => tr.querySelector('strong').textContent === arguments[0]);
                return row ? row.innerText : null;""", name));
    }

    /** The button of the newest row named {@code name} whose class is {@code cls} (Rotate: secondary, Revoke: danger). */
    WebElement rowButton(String name, String cls) {
        return browser.waitUntil("a " + cls + " button in the row " + name, d -> (WebElement) browser.script("""
                const row = [...document.querySelectorAll('table.credentials tbody tr')]
                  .find(tr => tr.querySelector('strong').textContent === arguments[0]);
                return row ? row.querySelector('td.row-actions button.' + arguments[1]) : null;""", name, cls));
    }

    /** Walks "Create credential" → API token → the form, submits, and returns the value shown once (dialog left open). */
    String createToken(String name, boolean readWrite, String scopeCheckbox, String expires) {
        browser.click("Create credential");
        dialog("Create credential");
        submitDialog("Create credential");
        dialog("Create an API token");
        browser.fill("Name", name);
        if (readWrite) browser.field("Read & write").click();
        if (scopeCheckbox != null) {
            browser.field("Only these teams, projects or environments:").click();
            browser.field(scopeCheckbox).click();
        }
        Select lifetime = new Select(browser.field("Expires after"));
        assertThat(lifetime.getOptions()).extracting(WebElement::getText)
                .containsExactly("24 hours", "5 days", "30 days", "60 days", "3 months", "6 months");
        lifetime.selectByVisibleText(expires);
        return submitAndReadToken();
    }

    /** Submits the open create form and returns the token the next dialog shows once (that dialog left open). */
    String submitAndReadToken() {
        submitDialog("Create an API token");
        dialog("Your new API token");
        String token = browser.valueOf("The token");
        assertThat(token).startsWith("ek_live_");
        return token;
    }

    /** Writes the pending credential uses now, as the server's batch does every few seconds of real time. */
    void flushCredentialUsage() {
        server.server.credentialUsage().flush();
    }

    Long storedLastUse(String credentialId) {
        return server.server.database().read(c -> dev.ekvault.server.store.Sql.one(c, "SELECT last_used_at FROM credential WHERE id = ?",
                r -> dev.ekvault.server.store.Sql.nullableLong(r, 1), credentialId));
    }

    void assertNotExposed(String token) {
        assertThat(browser.currentUrl()).doesNotContain(token);
        assertThat(browser.title()).doesNotContain(token);
        assertThat((String) browser.script("return JSON.stringify(Object.assign({}, localStorage))")).doesNotContain(token);
        assertThat((String) browser.script("return JSON.stringify(Object.assign({}, sessionStorage))")).doesNotContain(token);
    }

    @Test
    void aTokenIsShownOnceUsedFromOutsideRotatedAndRevoked() {
        String admin = person("ada");
        openAs(admin, "admin", null);
        browser.waitFor("table.credentials tbody tr");
        browser.assertAccessible();

        String token = createToken("ci-deploy", true, null, "30 days");
        WebElement shown = dialog("Your new API token");
        assertThat(shown.getText()).contains("Copy it now: this is the only time it is shown.").contains("Read & write");
        assertThat(browser.visibleButtons()).contains("Copy token", "Done");
        browser.assertAccessible();
        assertNotExposed(token);
        submitDialog("Your new API token");

        String listed = row("ci-deploy");
        assertThat(listed).contains("API token").contains(admin).contains("Read & write").contains("Full workspace")
                .contains("next month").contains("Never used").contains(token.substring(0, 12)).doesNotContain(token);
        assertThat(browser.bodyText()).doesNotContain(token);
        assertNotExposed(token);
        browser.assertAccessible();

        // used from outside the browser two hours later; the page, an hour after that, says so
        server.clock.advance(Duration.ofHours(2));
        assertThat(read(token, "web", webProd).status()).isEqualTo(200);
        server.clock.advance(Duration.ofHours(1));
        pinBrowserClock(server);
        browser.reload();
        assertThat(row("ci-deploy")).contains("1 hour ago").doesNotContain("Never used");
        // the use, kept in memory so far, reaches the database in the next batch; the page then reads the stored value
        String id = server.get("/v1/workspace/acme/credentials", server.ownerToken).json().findParents("name").stream()
                .filter(c -> c.get("name").asText().equals("ci-deploy")).findFirst().orElseThrow().get("id").asText();
        long usedAt = server.clock.millis() - Duration.ofHours(1).toMillis();
        flushCredentialUsage();
        assertThat(storedLastUse(id)).isEqualTo(usedAt);
        browser.reload();
        assertThat(row("ci-deploy")).contains("1 hour ago");

        // rotate: a new value shown once; the old one is refused, the new one accepted
        rowButton("ci-deploy", "secondary").click();
        submitDialog("Rotate ci-deploy?");
        dialog("The new value of ci-deploy");
        String rotated = browser.valueOf("The token");
        assertThat(rotated).startsWith("ek_live_").isNotEqualTo(token);
        assertNotExposed(rotated);
        submitDialog("The new value of ci-deploy");
        assertThat(read(token, "web", webProd).status()).isEqualTo(401);
        assertThat(read(rotated, "web", webProd).status()).isEqualTo(200);
        browser.waitUntil("the rotated row and the revoked one", d -> browser.bodyText().contains("Revoked"));
        assertThat(row("ci-deploy")).contains(rotated.substring(0, 12)).doesNotContain("Revoked");

        // revoke, confirmed: refused from then on
        rowButton("ci-deploy", "danger").click();
        WebElement confirm = dialog("Revoke ci-deploy?");
        assertThat(confirm.getText()).contains("cannot be undone");
        submitDialog("Revoke ci-deploy?");
        browser.waitForText("ci-deploy revoked.");
        assertThat(read(rotated, "web", webProd).status()).isEqualTo(401);
        browser.waitUntil("no active ci-deploy row left", d -> !row("ci-deploy").contains(rotated.substring(0, 12)) || row("ci-deploy").contains("Revoked"));
        assertThat(row("ci-deploy")).contains("Revoked");
        assertThat((Number) browser.script("""
                return [...document.querySelectorAll('table.credentials tbody tr')]
                  .filter(tr => tr.querySelector('strong').textContent === 'ci-deploy')
                  .reduce((n, tr) => n + tr.querySelectorAll('td.row-actions button').length, 0);""")).as("no action on a revoked token").isEqualTo(0L);
    }

    @Test
    void cancellingTheRevocationLeavesTheTokenWorking() {
        openAs(person("cal"), "admin", null);
        String token = createToken("keep-me", false, null, "24 hours");
        submitDialog("Your new API token");
        rowButton("keep-me", "danger").click();
        dialog("Revoke keep-me?").findElement(By.xpath(".//button[normalize-space()='Cancel']")).click();
        browser.waitUntil("the confirmation to close", d -> d.findElements(By.cssSelector("dialog[open]")).isEmpty());
        assertThat(read(token, "web", webProd).status()).isEqualTo(200);
        assertThat(row("keep-me")).contains("Read").contains("tomorrow").doesNotContain("Revoked");
    }

    @Test
    void theTableIsNewestFirst() {
        openAs(person("nia"), "admin", null);
        createToken("older-one", false, null, "5 days");
        submitDialog("Your new API token");
        server.clock.advance(Duration.ofMinutes(1));
        pinBrowserClock(server);
        createToken("newer-one", false, null, "6 months");
        submitDialog("Your new API token");
        row("newer-one");
        @SuppressWarnings("unchecked")
        List<String> names = (List<String>) browser.script(
                "return [...document.querySelectorAll('table.credentials tbody tr strong')].map(s => s.textContent)");
        assertThat(names).containsSubsequence("newer-one", "older-one");
        assertThat(row("newer-one")).contains("in 6 months");
        assertThat(row("older-one")).contains("in 5 days");
    }

    @Test
    void aTokenScopedWithThePickerReadsInsideItsScopeAndIsRefusedOutside() {
        openAs(person("sam"), "admin", null);
        browser.click("Create credential");
        submitDialog("Create credential");
        dialog("Create an API token");
        browser.fill("Name", "web-only");
        browser.field("Only these teams, projects or environments:").click();
        browser.assertAccessible();
        // the picker refuses an empty choice and says why
        dialog("Create an API token").findElement(By.cssSelector("button[type=submit]")).click();
        browser.waitForText("dialog[open] .error", "Choose at least one team, project or environment");
        browser.field("Project web").click();
        String token = submitAndReadToken();
        submitDialog("Your new API token");
        assertThat(row("web-only")).contains("project web");

        assertThat(read(token, "web", webProd).status()).isEqualTo(200);
        HttpResult outside = read(token, "billing", billingProd);
        assertThat(outside.status()).as(outside.toString()).isIn(403, 404);
    }

    @Test
    void aKubernetesIdentityIsAddedListedAndRevoked() throws Exception {
        String jwks;
        try (TestIssuer cluster = TestIssuer.start(server.clock)) {
            jwks = cluster.jwksJson();
        }
        String admin = person("kim");
        openAs(admin, "admin", null);
        browser.click("Create credential");
        dialog("Create credential");
        browser.assertAccessible();
        browser.field("Kubernetes identity — pods sign in with their service-account token, nothing to store").click();
        submitDialog("Create credential");
        dialog("Add a Kubernetes identity");
        browser.fill("Name", "payments-pods");
        browser.fill("Issuer", "https://kubernetes.payments.example");
        browser.fill("Audience", "ek");
        browser.fill("Subject", "system:serviceaccount:payments:*");
        browser.field("Read & write").click();
        browser.field("Only these teams, projects or environments:").click();
        browser.field("web-prod").click();
        browser.fill("Public keys (JWKS, optional)", jwks);
        browser.assertAccessible();
        submitDialog("Add a Kubernetes identity");
        browser.waitForText("Kubernetes identity added.");

        String listed = row("payments-pods");
        assertThat(listed).contains("Kubernetes identity").contains(admin).contains("Read & write").contains("web / web-prod")
                .contains("Never used");
        HttpResult api = server.get("/v1/workspace/acme/oidc", server.ownerToken);
        assertThat(api.body()).contains("system:serviceaccount:payments:*").contains("https://kubernetes.payments.example");
        assertThat(rowButton("payments-pods", "danger")).isNotNull();
        assertThat((Boolean) browser.script("""
                const row = [...document.querySelectorAll('table.credentials tbody tr')].find(tr => tr.querySelector('strong').textContent === 'payments-pods');
                return !!row.querySelector('button.secondary');""")).as("identities do not rotate").isFalse();
        browser.assertAccessible();

        rowButton("payments-pods", "danger").click();
        submitDialog("Revoke payments-pods?");
        browser.waitForText("payments-pods revoked.");
        browser.waitUntil("the identity to leave the table or show revoked", d -> !browser.bodyText().contains("payments-pods")
                || row("payments-pods").contains("Revoked"));
        assertThat(server.get("/v1/workspace/acme/oidc", server.ownerToken).body()).doesNotContain("payments-pods");
    }

    @Test
    void aReadOnlyMemberIsOfferedReadOnlyAndTheirTokenReadsButCannotWrite() {
        openAs(person("mo"), "member", null);
        browser.click("Create credential");
        // a member may not add workload identities (admins only): no choice of kind, straight to the token form
        WebElement form = dialog("Create an API token");
        assertThat(browser.bodyText()).doesNotContain("Kubernetes identity");
        assertThat(form.getText()).contains("Read").doesNotContain("Read & write").contains("Your role allows read-only credentials.");
        assertThat(form.findElements(By.cssSelector("input[name=permission]"))).hasSize(1);
        browser.fill("Name", "member-read");
        String token = submitAndReadToken();
        submitDialog("Your new API token");
        assertThat(row("member-read")).contains("Read");

        assertThat(read(token, "web", webProd).status()).isEqualTo(200);
        HttpResult refused = write(token, "web", webProd, "FROM_MEMBER");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        // the positive control: an admin's read-write token, made the same way, writes
        String admin = person("adm");
        Browser other = secondBrowser();
        signInAs(other, server, admin, "admin", null, PAGE);
        other.waitForText("h1", "Credentials");
        other.click("Create credential");
        other.button("Continue").click();
        other.fill("Name", "admin-write");
        other.field("Read & write").click();
        other.button("Create token").click();
        String adminToken = other.waitUntil("the shown-once token", d -> {
            String v = other.valueOf("The token");
            return v != null && v.startsWith("ek_live_") ? v : null;
        });
        HttpResult written = write(adminToken, "web", webProd, "FROM_ADMIN");
        assertThat(written.status()).as(written.toString()).isEqualTo(201);
    }

    @Test
    void aDeveloperScopedToOneProjectIsOfferedOnlyWhatTheySee() {
        openAs(person("dev"), "developer", "{\"all\":false,\"projects\":[\"" + webProject + "\"]}");
        browser.click("Create credential");
        WebElement form = dialog("Create an API token");
        assertThat(form.getText()).contains("Read & write");
        browser.field("Only these teams, projects or environments:");
        String offered = form.findElement(By.cssSelector("fieldset.scope")).getText();
        assertThat(offered).contains("Project web").contains("web-prod").doesNotContain("billing");
        assertThat(offered).as("a scoped person cannot make a full-workspace credential").doesNotContain("Full workspace");
        @SuppressWarnings("unchecked")
        List<String> choosable = (List<String>) browser.script("""
                return [...document.querySelectorAll('dialog[open] fieldset.scope input[type=checkbox]')]
                  .filter(b => b.offsetParent !== null && !b.disabled).map(b => b.closest('label').textContent.trim());""");
        assertThat(choosable).as("the team above their project is not theirs to give").containsExactly("Project web", "web-prod");
        browser.assertAccessible();
        browser.field("Project web").click();
        browser.fill("Name", "dev-web");
        String token = submitAndReadToken();
        submitDialog("Your new API token");
        assertThat(row("dev-web")).contains("project web").contains("Read");
        assertThat(read(token, "web", webProd).status()).isEqualTo(200);
        HttpResult outside = read(token, "billing", billingProd);
        assertThat(outside.status()).as(outside.toString()).isIn(403, 404);
    }

    @Test
    void aNameHoldingMarkupShowsLiterallyAndRunsNothing() {
        String name = "<img src=x onerror=window.__pwned=1>";
        openAs(person("xss"), "admin", null);
        String token = createToken(name, false, null, "24 hours");
        assertThat(dialog("Your new API token").getText()).contains(name);
        assertThat(browser.driver().findElements(By.cssSelector("dialog img"))).isEmpty();
        submitDialog("Your new API token");
        assertThat(row(name)).contains(name);
        assertThat(browser.driver().findElements(By.cssSelector("table.credentials img"))).isEmpty();
        rowButton(name, "danger").click();
        assertThat(dialog("Revoke " + name + "?").getText()).contains(name);
        dialog("Revoke " + name + "?").findElement(By.xpath(".//button[normalize-space()='Cancel']")).click();
        browser.reload();
        assertThat(row(name)).contains(name);
        assertThat(browser.script("return typeof window.__pwned")).isEqualTo("undefined");
        assertNotExposed(token);
    }
}
