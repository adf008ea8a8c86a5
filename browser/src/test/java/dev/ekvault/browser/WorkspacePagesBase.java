package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the workspace-tree and secrets page tests share: an admin of {@code acme} with a password (invited and accepted
 * through the API), signing in through the dashboard's sign-in page, projects built over HTTP, and the dialog.
 */
abstract class WorkspacePagesBase extends BrowserTest {
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** A fresh name for this server (each class shares one server across its tests). */
    static String unique(String prefix) {
        return prefix + SEQ.incrementAndGet();
    }

    /** A new admin of acme with {@link TestServer#PASSWORD}; returns the email. */
    String newAdmin() {
        String email = unique("admin") + "@example.com";
        server.invitePerson(email, "admin", null);
        return email;
    }

    /** Signs {@code email} in through the dashboard's sign-in page and lands on {@code next}. */
    void signIn(Browser b, String email, String next) {
        b.open("/sign-in?next=" + java.net.URLEncoder.encode(next, java.nio.charset.StandardCharsets.UTF_8));
        b.fill("Email", email).fill("Password", TestServer.PASSWORD).click("Sign in");
        b.waitUntil("the page after sign-in (" + next + ")", d -> d.getCurrentUrl().endsWith(next) && !b.bodyText().contains("Sign in to ek"));
    }

    /** Opens a project page and waits for its grid (or its empty-state). */
    void openProject(Browser b, String slug) {
        b.open("/w/acme/p/" + slug);
        waitForProject(b);
    }

    void waitForProject(Browser b) {
        b.waitUntil("the project page", d -> !d.findElements(By.cssSelector("main h1")).isEmpty()
                && (!d.findElements(By.cssSelector("table.grid")).isEmpty() || b.bodyText().contains("no environment yet")));
    }

    /** The open dialog. */
    WebElement dialog(Browser b) {
        return b.waitFor("dialog[open]");
    }

    /** Waits until no dialog is open. */
    void dialogClosed(Browser b) {
        b.waitUntil("the dialog to close", d -> d.findElements(By.cssSelector("dialog[open]")).isEmpty());
    }

    /** Clicks the button (by its visible text) inside the open dialog. */
    void clickInDialog(Browser b, String text) {
        WebElement button = b.waitUntil("a button \"" + text + "\" in the open dialog", d -> {
            for (WebElement e : d.findElements(By.cssSelector("dialog[open] button"))) {
                if (e.isDisplayed() && e.isEnabled() && e.getText().strip().equals(text)) return e;
            }
            return null;
        });
        button.click();
    }

    /** The open confirmation's text, then confirms it with {@code button}. */
    String confirm(Browser b, String button) {
        String text = dialog(b).getText();
        clickInDialog(b, button);
        dialogClosed(b);
        return text;
    }

    /** A project in the default team with the given environments (name, overrides?); returns [projectId, envIds…]. */
    List<String> project(String slug, Object... envs) {
        List<String> ids = new ArrayList<>();
        String id = server.createProject(slug);
        ids.add(id);
        for (int i = 0; i < envs.length; i += 2) ids.add(server.createEnvironment(id, (String) envs[i], (Boolean) envs[i + 1]));
        return ids;
    }

    JsonNode api(String path) {
        HttpResult r = server.get(path, server.ownerToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }
}
