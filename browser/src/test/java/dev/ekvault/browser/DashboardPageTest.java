package dev.ekvault.browser;

import dev.ekvault.server.testing.TestServer;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.junit.jupiter.api.BeforeEach;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the Credentials and Audit log page tests share: signing a person in through the sign-in page, the browser's
 * clock pinned to the server's {@link dev.ekvault.server.testing.TestClock} (the pages compare expiry with
 * {@code Date.now()}; the test server's clock stands still in 2026-01-01 unless a test moves it), and finding rows
 * and dialogs.
 */
abstract class DashboardPageTest extends BrowserTest {
    private static final AtomicInteger PEOPLE = new AtomicInteger();

    /**
     * Every document the tab opens from now on sees {@code Date.now()} (and {@code new Date()}) as the server's clock
     * reads now, and so does the current one. Call again after {@code server.clock.advance(…)}.
     */
    void pinBrowserClock(TestServer on) {
        String js = """
                (() => {
                  if (!window.__ekRealDate) {
                    const Real = Date;
                    window.__ekRealDate = Real;
                    function PinnedDate(...args) {
                      if (!new.target) return new Real(window.__ekNow).toString();
                      return args.length ? new Real(...args) : new Real(window.__ekNow);
                    }
                    PinnedDate.prototype = Real.prototype;
                    PinnedDate.now = () => window.__ekNow;
                    PinnedDate.parse = Real.parse;
                    PinnedDate.UTC = Real.UTC;
                    window.Date = PinnedDate;
                  }
                  window.__ekNow = %d;
                })();""".formatted(on.clock.millis());
        ((ChromeDriver) browser.driver()).executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", js));
        browser.script(js);
    }

    @BeforeEach
    void pinClock() {
        pinBrowserClock(server);
    }

    /** A fresh address per call, so tests on the class's one server never meet each other's people. */
    static String person(String who) {
        return who + "-" + PEOPLE.incrementAndGet() + "@example.com";
    }

    /** Invites {@code email} with {@code role} (and scope) and signs them in through the sign-in page, landing on {@code path}. */
    void signInAs(Browser b, TestServer on, String email, String role, String scopeJson, String path) {
        on.invitePerson(email, role, scopeJson);
        b.open("/sign-in?next=" + path);
        b.fill("Email", email).fill("Password", TestServer.PASSWORD).click("Sign in");
    }

    /** The open dialog, once its title reads {@code title}. */
    WebElement dialog(String title) {
        return browser.waitUntil("a dialog \"" + title + "\"", d -> d.findElements(By.cssSelector("dialog[open]")).stream()
                .filter(e -> e.findElement(By.tagName("h2")).getText().equals(title)).findFirst().orElse(null));
    }

    /** Clicks the submit button of the open dialog titled {@code title} and waits until it has closed. */
    void submitDialog(String title) {
        WebElement dlg = dialog(title);
        dlg.findElement(By.cssSelector("button[type=submit]")).click();
        browser.waitUntil("the dialog \"" + title + "\" to close", d -> d.findElements(By.cssSelector("dialog[open] h2")).stream()
                .noneMatch(h -> h.getText().equals(title)));
    }
}
