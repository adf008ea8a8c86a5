package dev.ekvault.browser;

import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard without a mouse: Tab reaches every control in order with a visible focus ring, Enter submits and
 * opens, Escape closes a dialog, and no control behind an open dialog can take the focus.
 */
class KeyboardTest extends BrowserTest {
    private WebElement focused() {
        return (WebElement) browser.script("return document.activeElement;");
    }

    private String focusedName() {
        return (String) browser.script("""
                const el = document.activeElement;
                const label = el.closest('label');
                return (el.getAttribute('aria-label') || (label ? label.textContent : el.textContent) || '').replace(/\\s+/g, ' ').trim();""");
    }

    private void press(CharSequence key) {
        new Actions(browser.driver()).sendKeys(key).perform();
    }

    /** The focused element draws a ring: an outline that is not "none" and has a width. */
    private void assertFocusVisible() {
        String outline = (String) browser.script("const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth;");
        assertThat(outline).as("focus ring of " + focusedName()).doesNotStartWith("none").doesNotEndWith(" 0px");
    }

    @Test
    void signInAndOpenADialogWithTheKeyboardOnly() {
        server.invitePerson("kay@example.com", "admin", null);
        browser.open("/sign-in");
        browser.waitForText("h1", "Sign in to ek");
        // the page puts the caret in Email; Tab walks on to Password and the button
        assertThat(focusedName()).startsWith("Email");
        press("kay@example.com");
        press(Keys.TAB);
        assertThat(focusedName()).startsWith("Password");
        assertFocusVisible();
        press(TestServer.PASSWORD);
        press(Keys.TAB);
        assertThat(focusedName()).isEqualTo("Sign in");
        assertFocusVisible();
        press(Keys.ENTER);
        browser.waitForText("h1", "Projects");

        // the skip link is the page's first stop: shown when focused, it jumps to the view
        assertThat((String) browser.script("""
                return document.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])').textContent;"""))
                .isEqualTo("Skip to content");
        browser.script("document.querySelector('.skip').focus();");
        assertFocusVisible();
        assertThat((Boolean) browser.script("const r = document.activeElement.getBoundingClientRect(); return r.left >= 0 && r.top >= 0 && r.width > 0;"))
                .as("the focused skip link is on screen").isTrue();
        press(Keys.ENTER);
        browser.waitUntil("the view to take the focus", d -> "main".equals(browser.script("return document.activeElement.id;")));

        // Tab to "New project" and open it with Enter: the dialog takes the focus and keeps it
        for (int i = 0; i < 20 && !focusedName().equals("New project"); i++) press(Keys.TAB);
        assertThat(focusedName()).isEqualTo("New project");
        assertFocusVisible();
        press(Keys.ENTER);
        browser.waitFor("dialog[open]");
        for (int i = 0; i < 8; i++) {
            press(Keys.TAB);
            // past the last control the browser's own interface may take it (the document's body here); never the page
            assertThat((Boolean) browser.script(
                    "const a = document.activeElement; return a === document.body || !!a.closest('dialog[open]');"))
                    .as("focus stays in the dialog, at " + focusedName()).isTrue();
        }
        press(Keys.ESCAPE);
        browser.waitForHidden("dialog[open]");
        assertThat(focused().getTagName()).isNotEqualTo("dialog");
    }
}
