package dev.ekvault.browser;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The base of a page test: the real server ({@link TestServer}: in this JVM, real HTTP, workspace {@code acme}, a
 * {@link dev.ekvault.server.testing.TestClock}) started once per class on {@link #backend()}, and {@link #browser}, a
 * headless Chromium wiped clean before every test and pointed at that server. A subclass that overrides
 * {@link #backend()} runs the same tests on PostgreSQL.
 *
 * <pre>{@code
 * class SignInPageTest extends BrowserTest {
 *     @Test
 *     void signsIn() {
 *         server.invitePerson("ana@example.com", "developer", null);
 *         browser.open("/device").fill("Email", "ana@example.com").fill("Password", TestServer.PASSWORD).click("Sign in");
 *         browser.waitForText("Signed in as ana@example.com");
 *         browser.assertAccessible();
 *     }
 * }
 * }</pre>
 */
@ExtendWith(BrowserExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BrowserTest {
    protected TestServer server;
    protected Browser browser;

    /** The database the class runs on; SQLite unless overridden. */
    protected Backend backend() {
        return Backend.SQLITE;
    }

    /**
     * Whether the class's server starts with workspace {@code acme} and its owner; a class that overrides this to
     * {@code false} gets a fresh install with no workspace at all ({@link TestServer#startUninitialised}): what the
     * first person to open the dashboard finds.
     */
    protected boolean initialised() {
        return true;
    }

    /** Extra command-line flags for the class's server (e.g. {@code --sync-allow-http-targets=true}); none unless overridden. */
    protected String[] serverFlags() {
        return new String[0];
    }

    @BeforeAll
    void startServer() {
        server = initialised() ? TestServer.start(backend(), serverFlags()) : TestServer.startUninitialised(backend(), serverFlags());
    }

    @AfterAll
    void stopServer() {
        if (server != null) server.close();
    }

    @BeforeEach
    void pointBrowserAtServer(Browser browser) {
        this.browser = browser.baseUrl(server.url(""));
    }

    /** A second, independent browser pointed at the same server: sign in there as another person. */
    protected Browser secondBrowser() {
        return browser.second().baseUrl(server.url(""));
    }
}
