package dev.ekvault.server.store;

import dev.ekvault.server.testing.Await;
import dev.ekvault.server.testing.HeldTransaction;
import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The feed while the database cannot be asked (its one connection held elsewhere past the acquisition bound, which is
 * what an outage looks like to the pool): with no outage grace the stale node refuses ({@link ChangeFeed.Behind}, a
 * 503), with a grace it keeps trusting what it holds; once the database answers, both are current again by themselves.
 * The grace running out is shown on real processes ({@code it/DatabaseOutageTest}).
 */
class ChangeFeedOutageTest {
    @Test
    void aNodeWithAnOutageGraceKeepsAnsweringAndBothRecover(@TempDir Path dir) throws Exception {
        Database.Bounds quick = new Database.Bounds(Duration.ofMillis(250), Duration.ofSeconds(1));
        TestClock clock = new TestClock();
        try (Database db = new Database("jdbc:sqlite:" + dir.resolve("ek.db"), "", "", 1, quick);
             ChangeFeed strict = new ChangeFeed(db, clock, Duration.ofMillis(20), Duration.ofSeconds(300), Duration.ZERO);
             ChangeFeed lenient = new ChangeFeed(db, clock, Duration.ofMillis(20), Duration.ofSeconds(300), Duration.ofHours(1))) {
            Migrations.apply(db, clock);
            strict.skipToEnd();
            lenient.skipToEnd();
            strict.start();
            lenient.start();

            try (var outage = HeldTransaction.read(db)) {
                Await.until("the node with no grace refuses once stale", Duration.ofSeconds(10), Duration.ofMillis(20), () -> refuses(strict));
                assertThatCode(lenient::ensureCurrent).as("the node with a grace still answers from memory").doesNotThrowAnyException();
            }
            Await.until("both are current again once the database answers", Duration.ofSeconds(10), Duration.ofMillis(20),
                    () -> !refuses(strict) && !refuses(lenient));
            assertThat(refuses(strict)).isFalse();
        }
    }

    private static boolean refuses(ChangeFeed feed) {
        try {
            feed.ensureCurrent();
            return false;
        } catch (ChangeFeed.Behind e) {
            return true;
        }
    }
}
