package dev.ekvault.browser;

import org.openqa.selenium.Dimension;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the browser suite's Chromium and chromedriver are, and how one is started: Debian's {@code chromium} and
 * {@code chromium-driver} ({@code /usr/bin/chromium}, {@code /usr/bin/chromedriver}), or the files named by
 * {@code EK_CHROMIUM} and {@code EK_CHROMEDRIVER}. Both paths are given to Selenium, so its Selenium Manager (which
 * would download a driver or a browser) never runs. Headless, a fixed window, a throw-away profile.
 */
public record Chromium(Path browser, Path driver) {
    static final int WIDTH = 1280;
    static final int HEIGHT = 900;

    /** The installed pair, or why there is none (a sentence naming what is missing). */
    public sealed interface Found permits Installed, Missing {}

    public record Installed(Chromium chromium) implements Found {}

    public record Missing(String why) implements Found {}

    public static Found find() {
        return find(System.getenv());
    }

    static Found find(java.util.Map<String, String> env) {
        String browserEnv = env.get("EK_CHROMIUM");
        String driverEnv = env.get("EK_CHROMEDRIVER");
        List<String> missing = new ArrayList<>();
        Path browser = pick(browserEnv, "EK_CHROMIUM", List.of("/usr/bin/chromium", "/usr/bin/chromium-browser"), missing);
        Path driver = pick(driverEnv, "EK_CHROMEDRIVER", List.of("/usr/bin/chromedriver"), missing);
        if (!missing.isEmpty()) return new Missing(String.join("; ", missing));
        return new Installed(new Chromium(browser, driver));
    }

    private static Path pick(String configured, String variable, List<String> defaults, List<String> missing) {
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured.strip());
            if (Files.isExecutable(path)) return path;
            missing.add(variable + "=" + configured + " is not an executable file");
            return null;
        }
        for (String candidate : defaults) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) return path;
        }
        missing.add("no " + String.join(" or ", defaults) + " (and " + variable + " is not set)");
        return null;
    }

    /** A new headless Chromium with its own temporary profile, so two of them share no cookies or storage. */
    public ChromeDriver start() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser.toFile());
        List<String> args = new ArrayList<>(List.of("--headless=new", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + WIDTH + "," + HEIGHT, "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-component-update",
                "--disable-search-engine-choice-screen", "--password-store=basic", "--lang=en-US"));
        // Chromium's sandbox cannot start as root (CI runs as root); as another user it stays on
        if (isRoot()) args.add("--no-sandbox");
        options.addArguments(args);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(driver.toFile())
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().window().setSize(new Dimension(WIDTH, HEIGHT));
        return driver;
    }

    static boolean isRoot() {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
        } catch (Throwable notUnix) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    @Override
    public String toString() {
        return browser + " with " + driver;
    }

}
