package dev.ekvault.browser;

import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Steps the dashboard's getting-in and members stories share: signing in through the page, finding a field by the
 * caption of a dashboard {@code field()} (whose label also holds a hint), reading a table row, asking the API from
 * inside the page with the page's own cookie.
 */
final class Pages {
    private Pages() {}

    /** Picks the option whose text starts with {@code text} in the select captioned {@code caption}. */
    static void choose(Browser b, String caption, String text) {
        WebElement select = b.field(caption);
        for (WebElement o : select.findElements(By.tagName("option"))) {
            if (o.getText().startsWith(text)) {
                o.click();
                return;
            }
        }
        throw new AssertionError("no option \"" + text + "\" in " + caption);
    }

    /** Signs in at /sign-in and waits for the page it leads to (the Projects page unless {@code next} says otherwise). */
    static void signIn(Browser b, String email, String password) {
        b.open("/sign-in");
        b.waitForText("h1", "Sign in to ek");
        b.fill("Email", email).fill("Password", password).click("Sign in");
        b.waitUntil("to leave the sign-in page", d -> !d.getCurrentUrl().contains("/sign-in"));
    }

    /** The status of GET {@code path} sent from the page with its own cookie. */
    static long statusInPage(Browser b, String path) {
        return (Long) b.script("return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.status)", path);
    }

    /** The visible table row that mentions {@code text}. */
    static WebElement row(Browser b, String text) {
        return b.waitUntil("a table row showing \"" + text + "\"", d -> d.findElements(By.cssSelector("tbody tr")).stream()
                .filter(r -> r.isDisplayed() && r.getText().contains(text)).findFirst().orElse(null));
    }

    /** Waits until no table row mentions {@code text}. */
    static void noRow(Browser b, String text) {
        b.waitUntil("no table row showing \"" + text + "\"", d -> d.findElements(By.cssSelector("tbody tr")).stream()
                .noneMatch(r -> r.getText().contains(text)));
    }

    /** Clicks the button in {@code row} whose visible text starts with {@code text}. */
    static void clickIn(WebElement row, String text) {
        for (WebElement button : row.findElements(By.tagName("button"))) {
            if (button.getText().strip().startsWith(text)) {
                button.click();
                return;
            }
        }
        throw new AssertionError("no button \"" + text + "\" in the row " + row.getText());
    }

    /** Invites {@code email} with the owner's token and returns the invitation's token. */
    static String invite(TestServer server, String workspace, String bearer, String email, String role) {
        HttpResult r = server.post("/v1/workspace/" + workspace + "/members", bearer,
                "{\"email\":" + TestServer.quote(email) + ",\"role\":\"" + role + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return TestServer.inviteToken(r);
    }

    /** Invites and accepts with a chosen name and {@link TestServer#PASSWORD}: a person with an account. */
    static TestServer.Session person(TestServer server, String email, String name, String role) {
        String token = invite(server, "acme", server.ownerToken, email, role);
        HttpResult accepted = server.post("/v1/invites/" + token + "/accept", null,
                "{\"name\":" + TestServer.quote(name) + ",\"password\":" + TestServer.quote(TestServer.PASSWORD) + "}");
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(200);
        return TestServer.session(accepted);
    }
}
