package dev.ekvault.browser;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a test class in a real headless Chromium: one Chromium per class (starting one takes about a second), wiped
 * clean before every test (cookies, storage, tab), a screenshot of the final page after every test, passed or failed,
 * at {@code browser/target/screenshots/<TestClass>-<method>.png}. Test methods (and {@code @BeforeEach} methods) get
 * the session as a {@link Browser} parameter; {@link Browser#second()} is an independent second session.
 *
 * <p>Without Chromium or chromedriver (see {@link Chromium#find()}) the class is skipped and a banner says so on
 * standard output, unless {@code EK_REQUIRE_BROWSER=1}: then every test of the class fails (CI sets it).
 */
public final class BrowserExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback, ParameterResolver {
    static final String BANNER_LINE = "BROWSER SUITE SKIPPED: no Chromium/chromedriver found; install Debian's chromium and chromium-driver";
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(BrowserExtension.class.getName());
    private static final AtomicBoolean BANNER_SHOWN = new AtomicBoolean();
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(BrowserExtension.class);

    /**
     * The browsers of one test class. The first Chromium starts in the background while the class's own
     * {@code @BeforeAll} (the server) runs: both take seconds.
     */
    private static final class Sessions {
        final Chromium chromium;
        final java.util.concurrent.CompletableFuture<Browser> starting;
        Browser second;
        boolean secondUsedInThisTest;

        Sessions(Chromium chromium) {
            this.chromium = chromium;
            this.starting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                long started = System.nanoTime();
                Browser browser = new Browser("browser", chromium.start(), this::second);
                LOG.info(() -> "Chromium started in " + (System.nanoTime() - started) / 1_000_000 + " ms: " + chromium);
                return browser;
            });
        }

        Browser first() {
            try {
                return starting.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw new IllegalStateException("Chromium did not start: " + chromium, e.getCause());
            }
        }

        Browser second() {
            if (second == null) second = new Browser("second browser", chromium.start(), null);
            secondUsedInThisTest = true;
            return second;
        }

        void quit() {
            try {
                first().quit();
            } finally {
                if (second != null) second.quit();
            }
        }
    }

    static boolean required() {
        return "1".equals(System.getenv("EK_REQUIRE_BROWSER"));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (!(Chromium.find() instanceof Chromium.Missing missing)) return ConditionEvaluationResult.enabled("Chromium found");
        if (required()) return ConditionEvaluationResult.enabled("EK_REQUIRE_BROWSER=1: the tests fail without Chromium");
        if (context.getTestMethod().isEmpty()) { // once per class; the banner once per run
            if (BANNER_SHOWN.compareAndSet(false, true)) {
                System.out.println(banner(missing.why()));
                leaveMarker(missing.why());
            }
            System.out.println(BANNER_LINE + " (" + context.getDisplayName() + ")");
        }
        return ConditionEvaluationResult.disabled(BANNER_LINE + " (" + missing.why() + ")");
    }

    /** {@code target/browser-suite-skipped.txt}: ./ek-test repeats the banner after Maven's summary when it finds it. */
    private static void leaveMarker(String why) {
        try {
            Path marker = Path.of(System.getProperty("ek.browser.skipped-marker", "target/browser-suite-skipped.txt"));
            java.nio.file.Files.createDirectories(marker.toAbsolutePath().getParent());
            java.nio.file.Files.writeString(marker, banner(why));
        } catch (java.io.IOException e) {
            System.out.println("browser suite: cannot write the skipped marker: " + e);
        }
    }

    static String banner(String why) {
        String bar = "#".repeat(110);
        return "\n" + bar + "\n#\n#   " + BANNER_LINE + "\n#   " + why
                + "\n#   (apt-get install chromium chromium-driver; or set EK_CHROMIUM and EK_CHROMEDRIVER."
                + " EK_REQUIRE_BROWSER=1 makes this a failure)\n#\n" + bar + "\n";
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        switch (Chromium.find()) {
            case Chromium.Installed installed -> context.getStore(NS).put(Sessions.class, new Sessions(installed.chromium()));
            case Chromium.Missing missing -> throw new AssertionError("EK_REQUIRE_BROWSER=1 but the browser suite cannot run: "
                    + missing.why() + ". Install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
                    + " or set EK_CHROMIUM and EK_CHROMEDRIVER.");
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Sessions sessions = context.getStore(NS).remove(Sessions.class, Sessions.class);
        if (sessions != null) sessions.quit();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Sessions sessions = sessions(context);
        sessions.first().reset();
        if (sessions.second != null) sessions.second.reset();
        sessions.secondUsedInThisTest = false;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Sessions sessions = sessions(context);
        String name = screenshotName(context);
        Path folder = Path.of(System.getProperty("ek.browser.screenshots", "target/screenshots"));
        shoot(sessions.first(), folder.resolve(name + ".png"));
        if (sessions.secondUsedInThisTest) shoot(sessions.second, folder.resolve(name + "-second.png"));
    }

    private static void shoot(Browser browser, Path file) {
        try {
            browser.screenshot(file);
        } catch (RuntimeException e) {
            // a browser that died cannot be photographed; the test's own outcome is what matters
            System.out.println("browser suite: no screenshot " + file + ": " + e);
        }
    }

    /** {@code <TestClass>-<method>}, and for a repeated or parameterised test the invocation's display name too. */
    static String screenshotName(ExtensionContext context) {
        String method = context.getRequiredTestMethod().getName();
        String display = context.getDisplayName();
        String name = context.getRequiredTestClass().getSimpleName() + "-" + method;
        if (!display.startsWith(method + "(")) name += "-" + display;
        return name.replaceAll("[^A-Za-z0-9._-]+", "_");
    }

    private static Sessions sessions(ExtensionContext context) {
        Sessions sessions = context.getStore(NS).get(Sessions.class, Sessions.class);
        if (sessions == null) throw new IllegalStateException("no browser: BrowserExtension's beforeAll did not run");
        return sessions;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Browser.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return sessions(context).first();
    }
}
