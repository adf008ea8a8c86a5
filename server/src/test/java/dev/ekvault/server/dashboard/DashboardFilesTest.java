package dev.ekvault.server.dashboard;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard as files over HTTP: one page for every dashboard path, assets under a content version with long
 * caching, the security headers, and the rules the issue sets for the files themselves (size budget, no inline
 * script or style, nothing rendered as HTML). The pages' behaviour is tested in a real browser (module browser/).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardFilesTest {
    TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(Backend.SQLITE);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void everyDashboardPathAnswersThePageWithTheStrictHeaders() {
        for (String path : List.of("/", "/sign-in", "/sign-up", "/invite/abc", "/account", "/w/acme", "/w/acme/credentials", "/w/acme/p/web")) {
            HttpResult page = s.get(path, null);
            assertThat(page.status()).as(path).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).as(path).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("Cache-Control")).as(path).hasValue("no-cache");
            assertThat(page.headers().firstValue("Content-Security-Policy")).as(path).hasValueSatisfying(v -> assertThat(v)
                    .contains("default-src 'none'").contains("script-src 'self'").contains("style-src 'self'")
                    .contains("frame-ancestors 'none'").doesNotContain("unsafe"));
            assertThat(page.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(page.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
        }
        // a path outside the dashboard's stays the API's JSON 404
        HttpResult other = s.get("/nothing/here/at/all", null);
        assertThat(other.status()).isEqualTo(404);
        assertThat(other.body()).startsWith("{");
    }

    @Test
    void assetsAreServedUnderTheBuildsVersionAndCachedForAYear() {
        String page = s.get("/", null).body();
        Matcher m = Pattern.compile("/assets/([0-9a-f]{16})/app\\.js").matcher(page);
        assertThat(m.find()).as("the page names its script under a version").isTrue();
        String version = m.group(1);
        assertThat(version).isEqualTo(DashboardRoutes.version(DashboardRoutes.readAll()));
        for (String asset : List.of("app.js", "ek.css", "pages/project.js", "pages/credentials.js")) {
            HttpResult r = s.get("/assets/" + version + "/" + asset, null);
            assertThat(r.status()).as(asset).isEqualTo(200);
            assertThat(r.headers().firstValue("Cache-Control")).as(asset).hasValue("public, max-age=31536000, immutable");
            assertThat(r.headers().firstValue("Content-Type")).as(asset).hasValueSatisfying(v ->
                    assertThat(v).startsWith(asset.endsWith(".css") ? "text/css" : "text/javascript"));
        }
        // another build's version, a file that does not exist, and the html (served only as the page) are 404s
        assertThat(s.get("/assets/0000000000000000/app.js", null).status()).isEqualTo(404);
        assertThat(s.get("/assets/" + version + "/nope.js", null).status()).isEqualTo(404);
        assertThat(s.get("/assets/" + version + "/index.html", null).status()).isEqualTo(404);
        assertThat(s.get("/assets/" + version + "/../openapi.json", null).status()).isIn(400, 404);
    }

    @Test
    void theFilesKeepTheBudgetAndTheRules() {
        Map<String, byte[]> files = DashboardRoutes.readAll();
        long scriptAndStyle = 0;
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String name = file.getKey();
            String text = new String(file.getValue(), StandardCharsets.UTF_8);
            if (name.endsWith(".js") || name.endsWith(".css")) scriptAndStyle += file.getValue().length;
            if (name.endsWith(".js")) {
                // everything the API returns is set as text: no HTML parsing of strings anywhere
                for (String banned : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                        "localStorage", "sessionStorage")) {
                    if (text.contains(banned)) problems.add(name + " uses " + banned);
                }
            }
            if (name.endsWith(".html")) {
                if (Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>").matcher(text).find()) problems.add(name + " has an inline script");
                if (text.contains("style=") || text.contains("<style")) problems.add(name + " has an inline style");
                if (Pattern.compile("\\son[a-z]+=").matcher(text).find()) problems.add(name + " has an inline event handler");
            }
        }
        assertThat(problems).isEmpty();
        assertThat(scriptAndStyle).as("all JavaScript and CSS of the dashboard, bytes").isLessThan(200 * 1024);
    }
}
