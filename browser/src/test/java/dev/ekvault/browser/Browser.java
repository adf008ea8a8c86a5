package dev.ekvault.browser;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One browser session as a page test drives it: a headless Chromium (started once per test class by
 * {@link BrowserExtension}) whose cookies and storage are wiped before every test. Elements are found the way a person
 * finds them: a field by its label, a button by its text. Every wait is a {@link WebDriverWait} on a condition (no
 * sleeps), {@link #TIMEOUT} at most.
 */
public final class Browser {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final ChromeDriver driver;
    private final Set<String> origins = new LinkedHashSet<>();
    private final java.util.function.Supplier<Browser> second;
    private String baseUrl;

    Browser(String name, ChromeDriver driver, java.util.function.Supplier<Browser> second) {
        this.name = name;
        this.driver = driver;
        this.second = second;
    }

    /** The underlying WebDriver, for what the helpers do not cover. */
    public WebDriver driver() {
        return driver;
    }

    /** Paths given to {@link #open} are resolved against this URL (e.g. {@code server.url("")}). */
    public Browser baseUrl(String url) {
        this.baseUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return this;
    }

    /** Opens a path on the base URL ({@code /device?user_code=…}) or an absolute URL, and waits for the page to load. */
    public Browser open(String pathOrUrl) {
        String url;
        if (pathOrUrl.startsWith("/")) {
            if (baseUrl == null) throw new IllegalStateException("no base URL: call baseUrl(server.url(\"\")) first");
            url = baseUrl + pathOrUrl;
        } else {
            url = pathOrUrl;
        }
        URI uri = URI.create(url);
        if (uri.getScheme() != null && uri.getScheme().startsWith("http")) origins.add(uri.getScheme() + "://" + uri.getAuthority());
        driver.get(url);
        waitUntil("the page at " + url + " to load", d -> "complete".equals(script("return document.readyState")));
        return this;
    }

    /** Reloads the current page. */
    public Browser reload() {
        driver.navigate().refresh();
        waitUntil("the page to reload", d -> "complete".equals(script("return document.readyState")));
        return this;
    }

    // ---- finding and waiting ----

    /** Waits until {@code condition} holds (not null, not false) and returns its value; fails naming {@code what}. */
    public <T> T waitUntil(String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(50))
                .ignoring(StaleElementReferenceException.class)
                .withMessage(() -> name + ": waited " + TIMEOUT.toSeconds() + " s for " + what + " on " + driver.getCurrentUrl()
                        + "; the page reads:\n" + safeText())
                .until(condition);
    }

    /** Waits for a visible element matching the CSS selector. */
    public WebElement waitFor(String css) {
        return waitUntil("a visible '" + css + "'", ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    /** Waits until no element matching the CSS selector is visible (absent or hidden). */
    public Browser waitForHidden(String css) {
        waitUntil("'" + css + "' to be hidden", ExpectedConditions.invisibilityOfElementLocated(By.cssSelector(css)));
        return this;
    }

    /** Waits until the visible text of the page contains {@code text}. */
    public Browser waitForText(String text) {
        waitUntil("the text \"" + text + "\"", d -> bodyText().contains(text));
        return this;
    }

    /** Waits until the element matching the CSS selector is visible and its text contains {@code text}; returns it. */
    public WebElement waitForText(String css, String text) {
        return waitUntil("'" + css + "' to show \"" + text + "\"", d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return found.stream().filter(e -> e.isDisplayed() && e.getText().contains(text)).findFirst().orElse(null);
        });
    }

    /**
     * Waits for the visible form control whose label is {@code label}: the text of its {@code <label>}, or of the
     * label's caption ({@code .label}: the dashboard's fields also hold a hint in their label), or its aria-label.
     */
    public WebElement field(String label) {
        return waitUntil("a visible field labelled \"" + label + "\"", d -> {
            Object found = script("""
                    const wanted = arguments[0];
                    const name = el => {
                      const copy = el.cloneNode(true);
                      copy.querySelectorAll('input,select,textarea,button').forEach(c => c.remove());
                      return copy.textContent.replace(/\\s+/g, ' ').trim();
                    };
                    for (const l of document.querySelectorAll('label')) {
                      const caption = l.querySelector(':scope > .label');
                      if ((name(l) === wanted || (caption && name(caption) === wanted)) && l.control) return l.control;
                    }
                    for (const el of document.querySelectorAll('[aria-label]')) {
                      if (el.getAttribute('aria-label').trim() === wanted) return el;
                    }
                    return null;""", label);
            return found instanceof WebElement e && e.isDisplayed() && e.isEnabled() ? e : null;
        });
    }

    /** Types {@code value} into the field labelled {@code label}, replacing what it held. */
    public Browser fill(String label, String value) {
        WebElement field = field(label);
        field.clear();
        field.sendKeys(value);
        return this;
    }

    /** The current value of the field labelled {@code label}. */
    public String valueOf(String label) {
        return field(label).getDomProperty("value");
    }

    /** Waits for the visible, enabled button whose text is {@code text} (a button, a submit input or role=button). */
    public WebElement button(String text) {
        return waitUntil("a visible, enabled button \"" + text + "\"", d -> {
            for (WebElement b : d.findElements(By.cssSelector("button, input[type=submit], input[type=button], [role=button]"))) {
                String label = b.getTagName().equals("input") ? b.getDomProperty("value") : b.getText();
                if (label != null && label.strip().equals(text) && b.isDisplayed() && b.isEnabled()) return b;
            }
            return null;
        });
    }

    /**
     * The texts of the buttons visible now, without waiting: for "what a person may not do is not offered", once the
     * page has settled (wait for something that shows it has first).
     */
    public List<String> visibleButtons() {
        return driver.findElements(By.cssSelector("button, input[type=submit], input[type=button], [role=button]")).stream()
                .filter(WebElement::isDisplayed)
                .map(b -> (b.getTagName().equals("input") ? b.getDomProperty("value") : b.getText()).strip())
                .toList();
    }

    /** Clicks the button whose text is {@code text}. */
    public Browser click(String buttonText) {
        button(buttonText).click();
        return this;
    }

    /** The visible text of the first element matching the CSS selector. */
    public String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    /** Whether an element matching the CSS selector is on the page and visible. */
    public boolean isVisible(String css) {
        try {
            return driver.findElement(By.cssSelector(css)).isDisplayed();
        } catch (NoSuchElementException absent) {
            return false;
        }
    }

    /** The visible text of the whole page. */
    public String bodyText() {
        return driver.findElement(By.tagName("body")).getText();
    }

    public String title() {
        return driver.getTitle();
    }

    public String currentUrl() {
        return driver.getCurrentUrl();
    }

    /** Runs script in the page (not subject to the page's Content-Security-Policy) and returns its result. */
    public Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** The axe-core audit of the current page: fails on any serious or critical violation. */
    public Browser assertAccessible() {
        Accessibility.assertNoSeriousViolations(this);
        return this;
    }

    /**
     * A second, independent browser (its own Chromium and profile: no cookie or storage shared with this one) for
     * "sign in as another person"; started on first use, one per test class, wiped before every test like this one.
     */
    public Browser second() {
        if (second == null) throw new IllegalStateException("this is already the second browser");
        return second.get();
    }

    // ---- lifecycle, used by BrowserExtension ----

    /** Saves a PNG of the current page. */
    public void screenshot(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Forgets everything the last test left: every cookie, the storage of every origin it opened, the cache, and its
     * tab (a new tab starts with an empty sessionStorage).
     */
    void reset() {
        driver.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        driver.executeCdpCommand("Network.clearBrowserCache", Map.of());
        for (String origin : origins) {
            driver.executeCdpCommand("Storage.clearDataForOrigin", Map.of("origin", origin, "storageTypes", "all"));
        }
        origins.clear();
        Set<String> handles = driver.getWindowHandles();
        driver.switchTo().newWindow(WindowType.TAB);
        String fresh = driver.getWindowHandle();
        for (String handle : handles) {
            driver.switchTo().window(handle);
            driver.close();
        }
        driver.switchTo().window(fresh);
        baseUrl = null;
    }

    void quit() {
        driver.quit();
    }

    private String safeText() {
        try {
            String text = bodyText();
            return text.length() > 2000 ? text.substring(0, 2000) + "…" : text;
        } catch (RuntimeException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
