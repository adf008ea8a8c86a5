package dev.ekvault.server.dashboard;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The page {@code ek login} opens: served as HTML with a strict policy, its script from the same origin only. */
class DevicePageTest {
    @Test
    void thePageAndItsScriptAreServedWithAStrictPolicy() {
        try (TestServer s = TestServer.start(Backend.SQLITE)) {
            HttpResult page = s.get("/device?user_code=BCDF-GHJK", null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v ->
                    assertThat(v).contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe-inline"));
            assertThat(page.body()).contains("<script src=\"/dashboard/device.js\"></script>").doesNotContain("<script>");
            HttpResult script = s.get("/dashboard/device.js", null);
            assertThat(script.status()).isEqualTo(200);
            assertThat(script.body()).contains("/v1/auth/device/approve").contains("X-CSRF-Token");
            assertThat(s.get("/dashboard/ek.css", null).status()).isEqualTo(200);
        }
    }
}
