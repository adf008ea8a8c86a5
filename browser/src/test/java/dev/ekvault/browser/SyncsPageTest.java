package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Syncs page (issue 15): an admin sets a webhook sync up through the wizard the API's forms describe, against a
 * receiver in this JVM (a Standard Webhooks consumer: it checks the signature with the secret the wizard showed once),
 * sees it listed and pushing, pauses, resumes and deletes it; a developer is not offered the section.
 */
class SyncsPageTest extends DashboardPageTest {
    static final String WS = "/v1/workspace/acme";

    record Delivery(JsonNode body, boolean signatureValid) {}

    HttpServer receiver;
    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    volatile String secret;
    /** What the receiver answers: 204, or an outage's 503. */
    volatile int answer = 204;

    @Override
    protected String[] serverFlags() {
        // the receiver is plain http on loopback; the background worker stays out of the way: the test pushes
        return new String[] {"--sync-allow-http-targets=true", "--sync-poll-millis=60000", "--sync-coalesce-millis=500"};
    }

    @BeforeAll
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            String timestamp = exchange.getRequestHeaders().getFirst("webhook-timestamp");
            String signature = exchange.getRequestHeaders().getFirst("webhook-signature");
            boolean valid = secret != null && id != null && timestamp != null
                    && ("v1," + sign(secret, id + "." + timestamp + ".", body)).equals(signature);
            deliveries.add(new Delivery(new ObjectMapper().readTree(body), valid));
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterAll
    void stopReceiver() {
        if (receiver != null) receiver.stop(0);
    }

    String receiverUrl() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    }

    static String sign(String whsec, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(whsec.substring("whsec_".length())), "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text of the syncs table's row named {@code name}, or null. */
    String rowText(String name) {
        return (String) browser.script("for (const tr of document.querySelectorAll('table.syncs tbody tr'))"
                + " if (tr.querySelector('th strong').textContent === arguments[0]) return tr.textContent; return null;", name);
    }

    /** The text of cell {@code index} (0: the name) of the row named {@code name}, or null. */
    String cell(String name, int index) {
        return (String) browser.script("for (const tr of document.querySelectorAll('table.syncs tbody tr'))"
                + " if (tr.querySelector('th strong').textContent === arguments[0]) return tr.children[arguments[1]].textContent; return null;",
                name, index);
    }

    /** Clicks the button of row {@code name} whose visible text is {@code text}. */
    void clickInRow(String name, String text) {
        WebElement button = browser.waitUntil("the button " + text + " of " + name, d -> {
            for (WebElement tr : d.findElements(By.cssSelector("table.syncs tbody tr"))) {
                if (!tr.findElement(By.cssSelector("th strong")).getText().equals(name)) continue;
                for (WebElement b : tr.findElements(By.tagName("button"))) {
                    // the button's name ends with the sync's (visually hidden): "Pause Receiver"
                    String label = b.getText().replaceAll("\\s+", " ").strip();
                    if ((label.equals(text) || label.equals(text + " " + name)) && b.isEnabled()) return b;
                }
            }
            return null;
        });
        button.click();
    }

    void refresh() {
        browser.click("Refresh");
    }

    /** Lets changes settle past the coalescing window and pushes what is due, as the worker would. */
    int push() {
        server.clock.advance(Duration.ofSeconds(1));
        pinBrowserClock(server);
        return server.server.syncEngine().runDue();
    }

    @Test
    void anAdminSetsUpAWebhookSyncSeesItPushAndPausesResumesAndDeletesIt() {
        server.createProject("syncweb");
        String prod = server.createEnvironment("syncweb", "production", false);
        server.createSecrets("syncweb", List.of(prod), Map.of("API_KEY", "one"));
        signInAs(browser, server, person("ada"), "admin", null, "/w/acme/syncs");
        browser.waitForText("h1", "Syncs");
        assertThat(browser.driver().findElements(By.cssSelector("nav a[href='/w/acme/syncs']"))).as("an admin is offered the section").hasSize(1);

        browser.click("Add a sync");
        WebElement choose = dialog("Add a sync");
        assertThat(choose.getText()).contains("Webhook");
        browser.assertAccessible();
        submitDialog("Add a sync");

        dialog("Connect to Webhook");
        WebElement secretInput = browser.field("Signing secret (optional)");
        assertThat(secretInput.getDomAttribute("type")).isEqualTo("password");
        assertThat(secretInput.getDomAttribute("autocomplete")).isEqualTo("off");
        browser.assertAccessible();
        submitDialog("Connect to Webhook"); // empty: the server makes one and shows it once

        WebElement once = dialog("Copy it now");
        assertThat(once.getText()).contains("only time it is shown");
        secret = once.findElement(By.cssSelector("input[data-shown-once=signingSecret]")).getDomProperty("value");
        assertThat(secret).startsWith("whsec_");
        assertThat(once.findElements(By.tagName("button")).stream().map(WebElement::getText).toList()).contains("Copy signing secret");
        submitDialog("Copy it now");

        WebElement where = dialog("Where in Webhook");
        browser.fill("Webhook URL", "ftp://hooks.example.com/in");
        where.findElement(By.cssSelector("button[type=submit]")).click();
        browser.waitUntil("the refusal next to the form", d -> where.findElement(By.cssSelector("p.error")).getText().contains("field 'url'"));
        assertThat(browser.field("Webhook URL").getDomAttribute("aria-invalid")).as("the field the API named is marked").isEqualTo("true");
        browser.fill("Webhook URL", receiverUrl());
        browser.field("Send the changed values").click();
        submitDialog("Where in Webhook");

        dialog("Which environment");
        assertThat(browser.field("Delete keys there that are deleted here").isSelected()).as("on by default, as the form says").isTrue();
        new Select(browser.field("Environment to sync")).selectByVisibleText("syncweb / production");
        browser.fill("Name (optional)", "Receiver");
        browser.assertAccessible();
        submitDialog("Which environment");

        browser.waitUntil("the sync listed as active", d -> cell("Receiver", 2) != null && cell("Receiver", 2).startsWith("active"));
        assertThat(cell("Receiver", 2)).as("its first push is pending").contains("changes pending");
        assertThat(rowText("Receiver")).contains("Webhook");
        assertThat(cell("Receiver", 1)).isEqualTo("syncweb / production");
        assertThat(cell("Receiver", 3)).isEqualTo("never");
        browser.assertAccessible();

        // the first push: everything the environment holds, signed with the secret shown once
        assertThat(push()).isEqualTo(1);
        assertThat(deliveries).hasSize(1);
        assertThat(deliveries.get(0).signatureValid()).isTrue();
        assertThat(deliveries.get(0).body().get("data").get("values").get("API_KEY").asText()).isEqualTo("one");
        refresh();
        browser.waitUntil("the last success shown", d -> cell("Receiver", 3) != null && !cell("Receiver", 3).contains("never"));
        assertThat(cell("Receiver", 4)).as("no error").isEqualTo("—");

        // a change is pending until it is pushed
        JsonNode secretRow = server.get(WS + "/project/syncweb/secret/API_KEY", server.ownerToken).json();
        set(prod, secretRow.get("id").asText(), "two");
        refresh();
        browser.waitUntil("pending shown", d -> cell("Receiver", 2).contains("changes pending"));
        assertThat(push()).isEqualTo(1);
        assertThat(deliveries).hasSize(2);
        assertThat(deliveries.get(1).body().get("data").get("changed").get(0).asText()).isEqualTo("API_KEY");
        assertThat(deliveries.get(1).body().get("data").get("values").get("API_KEY").asText()).isEqualTo("two");
        refresh();
        browser.waitUntil("nothing pending", d -> cell("Receiver", 2).contains("up to date"));

        // an outage: the reason and the next attempt are shown; once it is over, the catch-up clears them
        set(prod, secretRow.get("id").asText(), "three");
        answer = 503;
        assertThat(push()).isZero();
        refresh();
        browser.waitUntil("the error and its reason", d -> cell("Receiver", 4) != null && cell("Receiver", 4).contains("the target answered 503"));
        assertThat(cell("Receiver", 2)).contains("changes pending");
        assertThat(cell("Receiver", 4)).contains("Next attempt").contains("after 1 failed attempt(s)");
        browser.assertAccessible();
        answer = 204;
        server.clock.advance(Duration.ofMinutes(2)); // past the backoff
        assertThat(push()).isEqualTo(1);
        assertThat(deliveries.get(deliveries.size() - 1).body().get("data").get("values").get("API_KEY").asText()).isEqualTo("three");
        refresh();
        browser.waitUntil("the error cleared", d -> "—".equals(cell("Receiver", 4)) && cell("Receiver", 2).contains("up to date"));
        int delivered = deliveries.size();

        clickInRow("Receiver", "Pause");
        browser.waitUntil("paused", d -> cell("Receiver", 2).startsWith("paused"));
        assertThat(server.get(WS + "/sync", server.ownerToken).json().get(0).get("status").asText()).isEqualTo("paused");
        clickInRow("Receiver", "Resume");
        browser.waitUntil("active again", d -> cell("Receiver", 2).startsWith("active"));
        clickInRow("Receiver", "Sync now");
        browser.waitForText("Push requested: Receiver.");
        assertThat(push()).as("sync now runs without a change").isEqualTo(1);
        assertThat(deliveries).as("nothing changed, so nothing is sent").hasSize(delivered);

        clickInRow("Receiver", "Delete");
        String asked = confirmIn("Delete the sync Receiver?", "Delete sync");
        assertThat(asked).contains("credential is erased");
        browser.waitUntil("the sync gone", d -> rowText("Receiver") == null);
        assertThat(server.get(WS + "/sync", server.ownerToken).json()).isEmpty();
    }

    @Test
    void aDraftLeftInTheWizardIsContinuedOrDeletedFromTheList() {
        HttpResult started = server.post("/v1/sync/webhook/start", server.ownerToken, "");
        assertThat(started.status()).as(started.toString()).isEqualTo(201);
        String id = started.json().get("syncConfigId").asText();
        signInAs(browser, server, person("dora"), "admin", null, "/w/acme/syncs");
        browser.waitUntil("the draft listed", d -> cell("Webhook", 2) != null && cell("Webhook", 2).startsWith("draft"));
        assertThat(cell("Webhook", 1)).isEqualTo("not chosen yet");
        clickInRow("Webhook", "Continue setup");
        dialog("Connect to Webhook");
        clickInDialog("Cancel");
        browser.waitForText("The sync is kept as a draft");
        assertThat(server.get(WS + "/sync/" + id, server.ownerToken).json().get("status").asText()).isEqualTo("draft");
        clickInRow("Webhook", "Delete");
        confirmIn("Delete the sync Webhook?", "Delete sync");
        browser.waitUntil("the draft gone", d -> rowText("Webhook") == null);
        assertThat(server.get(WS + "/sync/" + id, server.ownerToken).status()).isEqualTo(404);
    }

    /** Clicks the button (by its visible text) inside the open dialog. */
    void clickInDialog(String text) {
        browser.waitUntil("a button \"" + text + "\" in the open dialog", d -> {
            for (WebElement e : d.findElements(By.cssSelector("dialog[open] button"))) {
                if (e.isDisplayed() && e.getText().strip().equals(text)) return e;
            }
            return null;
        }).click();
    }

    @Test
    void aDeveloperIsNotOfferedTheSection() {
        signInAs(browser, server, person("dev"), "developer", null, "/w/acme/reminders");
        browser.waitForText("h1", "Reminders");
        assertThat(browser.driver().findElements(By.cssSelector("nav a[href='/w/acme/syncs']"))).isEmpty();
        assertThat(browser.driver().findElements(By.cssSelector("nav a[href='/w/acme/reminders']"))).as("the navigation is there").hasSize(1);
        browser.open("/w/acme/syncs");
        browser.waitForText("Only workspace admins manage syncs.");
        assertThat(browser.visibleButtons()).doesNotContain("Add a sync");
    }

    /** Changes the value of a secret of syncweb over the API. */
    void set(String environmentId, String secretId, String value) {
        HttpResult r = server.put(WS + "/project/syncweb/secret/" + secretId, server.ownerToken,
                "{\"values\":[{\"environmentId\":\"" + environmentId + "\",\"value\":" + TestServer.quote(value) + "}]}");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    /** Confirms the open dialog titled {@code title} with {@code button}; returns its text. */
    String confirmIn(String title, String button) {
        WebElement dlg = dialog(title);
        String text = dlg.getText();
        for (WebElement b : dlg.findElements(By.tagName("button"))) {
            if (b.getText().strip().equals(button)) {
                b.click();
                break;
            }
        }
        browser.waitUntil("the confirmation to close", d -> d.findElements(By.cssSelector("dialog[open]")).isEmpty());
        return text;
    }
}
