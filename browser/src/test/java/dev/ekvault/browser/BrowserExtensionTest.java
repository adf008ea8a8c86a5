package dev.ekvault.browser;

import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.Map;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The suite's own machinery: what one test leaves is gone in the next, the audit fails a bad page, screenshots. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserExtensionTest extends BrowserTest {

    @Test
    @Order(1)
    void aSignInLastsWithinATest() {
        server.invitePerson("keep@example.com", "developer", null);
        browser.open("/device");
        browser.fill("Email", "keep@example.com").fill("Password", TestServer.PASSWORD).click("Sign in");
        browser.waitForText("#who", "keep@example.com");
        browser.script("localStorage.setItem('left', 'behind'); sessionStorage.setItem('left', 'behind')");
        // the control for the next test: within one test the cookie and the storage stay
        browser.reload();
        browser.waitForText("#who", "keep@example.com");
        assertThat(browser.script("return localStorage.getItem('left') + sessionStorage.getItem('left')")).isEqualTo("behindbehind");
    }

    @Test
    @Order(2)
    void theNextTestStartsSignedOutWithEmptyStorage() {
        browser.open("/device");
        browser.waitFor("#sign-in");
        assertThat(browser.isVisible("#approve")).isFalse();
        assertThat(browser.script("return localStorage.getItem('left')")).isNull();
        assertThat(browser.script("return sessionStorage.getItem('left')")).isNull();
        assertThat(browser.driver().getWindowHandles()).hasSize(1);
    }

    @Test
    @Order(3)
    void theScreenshotOfTheTestBeforeWasSaved() {
        Path folder = Path.of(System.getProperty("ek.browser.screenshots", "target/screenshots"));
        assertThat(folder.resolve("BrowserExtensionTest-aSignInLastsWithinATest.png")).isNotEmptyFile();
        assertThat(folder.resolve("BrowserExtensionTest-theNextTestStartsSignedOutWithEmptyStorage.png")).exists();
    }

    @Test
    void theAuditFailsAPageWithSeriousViolationsAndNamesThem() {
        browser.open("/device");
        browser.waitFor("#sign-in");
        browser.assertAccessible(); // the control: the page as served passes
        // an image without alternative text and a field without a label, both of critical impact in axe
        browser.script("""
                const img = document.createElement('img'); img.src = '/nothing.png'; document.querySelector('main').appendChild(img);
                const input = document.createElement('input'); input.id = 'unlabelled'; document.querySelector('main').appendChild(input);""");
        assertThatThrownBy(browser::assertAccessible).isInstanceOf(AssertionError.class)
                .hasMessageContaining("image-alt (critical)").hasMessageContaining("#unlabelled").hasMessageContaining("label (critical)")
                .hasMessageContaining("see https://");
    }

    @Test
    void aFieldIsFoundByItsLabelAndAButtonByItsText() {
        browser.open("/device?user_code=ABCD-EFGH");
        browser.waitFor("#sign-in");
        assertThat(browser.field("Email").getDomProperty("name")).isEqualTo("email");
        assertThat(browser.field("Password").getDomProperty("type")).isEqualTo("password");
        assertThat(browser.button("Sign in").getDomProperty("type")).isEqualTo("submit");
        // a hidden control is not offered: the approve form waits for a sign-in
        assertThat(browser.visibleButtons()).containsExactly("Sign in");
        browser.fill("Email", "nobody@example.com").fill("Password", "wrong password here").click("Sign in");
        browser.waitForText("#status", "Wrong email or password.");
        assertThat(browser.visibleButtons()).containsExactly("Sign in");
    }

    @Test
    void chromiumIsLookedForWhereTheEnvironmentSaysElseWhereDebianPutsIt() {
        // the control: this machine's pair (the suite would not be running without it)
        assertThat(Chromium.find(System.getenv())).isInstanceOf(Chromium.Installed.class);
        Chromium.Found named = Chromium.find(Map.of("EK_CHROMIUM", "/nonexistent/chromium"));
        assertThat(named).isInstanceOf(Chromium.Missing.class);
        assertThat(((Chromium.Missing) named).why()).contains("EK_CHROMIUM=/nonexistent/chromium is not an executable file");
        String banner = BrowserExtension.banner(((Chromium.Missing) named).why());
        assertThat(banner).contains("BROWSER SUITE SKIPPED: no Chromium/chromedriver found; install Debian's chromium and chromium-driver")
                .contains("EK_CHROMIUM=/nonexistent/chromium").contains("EK_REQUIRE_BROWSER=1");
    }
}
