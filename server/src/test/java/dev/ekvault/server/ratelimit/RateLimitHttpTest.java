package dev.ekvault.server.ratelimit;

import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-address limit across /v1, over real HTTP: headers, the 429, and who counts as the client. */
class RateLimitHttpTest {

    @Test
    void theSixthRequestInAMinuteIsRefusedWithRetryAfter() {
        try (TestServer s = TestServer.start(Backend.SQLITE, "--rate-limit-per-ip-per-minute=5")) {
            for (int i = 1; i <= 5; i++) {
                HttpResult r = s.get("/v1/workspace", s.ownerToken);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.headers().firstValue("RateLimit-Limit")).hasValue("5");
                assertThat(r.headers().firstValue("RateLimit-Remaining")).hasValue(Integer.toString(5 - i));
                assertThat(Long.parseLong(r.headers().firstValue("RateLimit-Reset").orElseThrow())).isBetween(1L, 60L);
            }
            HttpResult refused = s.get("/v1/workspace", "ek_live_not-even-a-real-token");
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.message()).contains("too many requests");
            assertThat(refused.headers().firstValue("RateLimit-Remaining")).hasValue("0");
            assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);

            assertThat(s.get("/healthz", null).status()).as("operations routes are outside /v1").isEqualTo(200);

            HttpResult spoofed = s.send(s.request("/v1/workspace", s.ownerToken).header("X-Forwarded-For", "203.0.113.9"));
            assertThat(spoofed.status()).as("X-Forwarded-For is ignored unless the peer is a trusted proxy").isEqualTo(429);

            s.clock.advance(java.time.Duration.ofMinutes(1));
            assertThat(s.get("/v1/workspace", s.ownerToken).status()).as("a new window").isEqualTo(200);
        }
    }

    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnAllowance() {
        try (TestServer s = TestServer.start(Backend.SQLITE, "--rate-limit-per-ip-per-minute=2", "--rate-limit-trusted-proxies=127.0.0.1")) {
            for (String client : new String[] {"198.51.100.1", "198.51.100.2"}) {
                for (int i = 0; i < 2; i++) {
                    assertThat(s.send(s.request("/v1/workspace", s.ownerToken).header("X-Forwarded-For", client)).status()).isEqualTo(200);
                }
                assertThat(s.send(s.request("/v1/workspace", s.ownerToken).header("X-Forwarded-For", client)).status()).isEqualTo(429);
            }
        }
    }

    @Test
    void aBadTrustedProxyEntryStopsTheStartNamingTheSetting() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServer.start(Backend.SQLITE, "--rate-limit-trusted-proxies=10.0.0.0/99"))
                .hasStackTraceContaining("rate-limit.trusted-proxies");
    }
}
