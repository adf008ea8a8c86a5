package dev.ekvault.server.platform;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up log line names each periodic job with its period: whole seconds in s, anything shorter in ms. */
class JobsTest {
    @Test
    void periodsUnderASecondAreNamedInMilliseconds() {
        try (Jobs jobs = new Jobs()) {
            jobs.service("feed", () -> {}, () -> {});
            jobs.every("database checkpoint", Duration.ofMillis(250), () -> {});
            jobs.every("purge", Duration.ofSeconds(60), () -> {});
            jobs.every("odd", Duration.ofMillis(1500), () -> {});
            assertThat(jobs.names()).containsExactly("feed", "database checkpoint every 250 ms", "purge every 60 s", "odd every 1500 ms");
        }
    }
}
