package dev.ekvault.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.openqa.selenium.JavascriptExecutor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The accessibility audit: axe-core ({@code org.webjars.npm:axe-core}, on the test classpath) injected into the
 * current page with WebDriver's executeScript, which the page's Content-Security-Policy does not govern (a
 * {@code script-src 'self'} page runs it; {@code DevicePageTest} holds that), then {@code axe.run()} on the document.
 */
public final class Accessibility {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FAILING = List.of("serious", "critical");
    private static volatile String source;

    private Accessibility() {}

    /** One rule the page breaks, as axe reports it. */
    public record Violation(String rule, String impact, String help, String helpUrl, List<String> targets) {
        @Override
        public String toString() {
            return rule + " (" + impact + "): " + help + "\n      at " + String.join("\n      at ", targets) + "\n      see " + helpUrl;
        }
    }

    /** Every violation axe finds on the current page, whatever its impact. */
    public static List<Violation> audit(Browser browser) {
        JavascriptExecutor js = (JavascriptExecutor) browser.driver();
        if (!Boolean.TRUE.equals(js.executeScript("return typeof window.axe === 'object'"))) js.executeScript(axeSource());
        browser.driver().manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        Object answer = js.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(JSON.stringify(r.violations)))
                   .catch(e => done('axe failed: ' + e));""");
        String text = String.valueOf(answer);
        if (!text.startsWith("[")) throw new AssertionError(text);
        List<Violation> violations = new ArrayList<>();
        try {
            for (JsonNode v : JSON.readTree(text)) {
                List<String> targets = new ArrayList<>();
                for (JsonNode node : v.path("nodes")) targets.add(node.path("target").toString());
                violations.add(new Violation(v.path("id").asText(), v.path("impact").asText(), v.path("help").asText(),
                        v.path("helpUrl").asText(), targets));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return violations;
    }

    /** Fails, listing them, when the current page has a violation of serious or critical impact. */
    public static void assertNoSeriousViolations(Browser browser) {
        List<Violation> serious = audit(browser).stream().filter(v -> FAILING.contains(v.impact())).toList();
        if (!serious.isEmpty()) {
            StringBuilder message = new StringBuilder("axe-core found " + serious.size() + " serious or critical accessibility violation(s) on "
                    + browser.currentUrl() + ":");
            for (Violation v : serious) message.append("\n  - ").append(v);
            throw new AssertionError(message.toString());
        }
    }

    /** axe.min.js from the WebJar, whichever version the pom pins. */
    static String axeSource() {
        if (source == null) {
            ClassLoader loader = Accessibility.class.getClassLoader();
            try (InputStream props = loader.getResourceAsStream("META-INF/maven/org.webjars.npm/axe-core/pom.properties")) {
                if (props == null) throw new IllegalStateException("the axe-core WebJar is not on the test classpath");
                Properties p = new Properties();
                p.load(props);
                String path = "META-INF/resources/webjars/axe-core/" + p.getProperty("version") + "/axe.min.js";
                try (InputStream in = loader.getResourceAsStream(path)) {
                    if (in == null) throw new IllegalStateException(path + " is missing from the axe-core WebJar");
                    source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return source;
    }
}
