package dev.ekvault.server.ratelimit;

import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.DatabaseUnavailable;
import dev.ekvault.server.store.Migrations;
import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The exchange limit while its table cannot be written (here: SQLite told {@code query_only}, as a full disk or a
 * read-only file would refuse): hits are counted in this node's memory for {@link SharedRateLimiter#TOLERANCE} from the
 * first failure — the limit still holds — and after that the failure stands; once the database takes writes again the
 * shared count is used again.
 */
class SharedRateLimiterOutageTest {
    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:05Z"));

    @Test
    void countsInMemoryForABoundedTimeWhenTheDatabaseRefusesWrites() throws Exception {
        Path file = Files.createTempDirectory("ek-rl-outage").resolve("ek.db");
        try (Database db = new Database("jdbc:sqlite:" + file, "", "", 1)) { // one connection: the one made read-only
            Migrations.apply(db, clock);
            SharedRateLimiter shared = new SharedRateLimiter(db, clock);
            assertThat(shared.hit("exchange:c0", 3).allowed()).as("positive control: the shared count works").isTrue();
            db.read(c -> {
                try (var statement = c.createStatement()) {
                    statement.execute("PRAGMA query_only = 1"); // writes refused as on a read-only file
                }
                return null;
            });
            SharedRateLimiter limiter = new SharedRateLimiter(db, clock);
            for (int i = 1; i <= 3; i++) {
                RateLimit.Decision d = limiter.hit("exchange:c1", 3);
                assertThat(d.allowed()).as("hit %d counted in memory", i).isTrue();
                assertThat(d.remaining()).isEqualTo(3 - i);
            }
            assertThat(limiter.hit("exchange:c1", 3).allowed()).as("the limit holds in memory too").isFalse();
            assertThat(limiter.hit("exchange:c2", 3).allowed()).as("another bucket has its own count").isTrue();

            clock.advance(SharedRateLimiter.TOLERANCE.minusSeconds(1));
            assertThat(limiter.hit("exchange:c1", 3).allowed()).as("a new window, still within the tolerance").isTrue();
            clock.advance(Duration.ofSeconds(2));
            assertThatThrownBy(() -> limiter.hit("exchange:c1", 3)).as("past the tolerance the failure stands")
                    .isInstanceOfSatisfying(DatabaseUnavailable.class, e -> assertThat(e.reason).isEqualTo(DatabaseUnavailable.Reason.READ_ONLY));
        }
    }
}
