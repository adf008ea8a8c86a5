package dev.ekvault.server.store;

import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The revocation bound under any load (README, "Revocation bound"): a node whose poller never runs — starved, paused —
 * still applies a change before it authenticates a request made more than one interval after its last poll began, and
 * not before (the copy is current within the interval). The feed's monotonic clock is driven to either side of it.
 */
class ChangeFeedBoundTest {
    private static final long INTERVAL_NANOS = Duration.ofMillis(200).toNanos();

    @Test
    void aStarvedNodeCatchesUpOnceItsLastPollIsOneIntervalOld(@TempDir Path dir) throws Exception {
        TestClock clock = new TestClock();
        AtomicLong now = new AtomicLong(1_000_000_000L);
        List<String> applied = new CopyOnWriteArrayList<>();
        Database.Bounds bounds = new Database.Bounds(Duration.ofSeconds(1), Duration.ofSeconds(1));
        try (Database db = new Database("jdbc:sqlite:" + dir.resolve("ek.db"), "", "", 2, bounds);
             ChangeFeed feed = new ChangeFeed(db, clock, Duration.ofNanos(INTERVAL_NANOS), Duration.ofSeconds(300), Duration.ZERO,
                     ChangeFeed.GAP_GIVE_UP_MILLIS, now::get)) {
            Migrations.apply(db, clock);
            feed.listen(ChangeFeed.Kind.CREDENTIAL, change -> applied.add(change.entityId()));
            long asOf = now.get();
            feed.skipToEnd(); // the last successful read of the feed began at asOf; the poller is never started
            revoke(db, "credential-1");

            now.set(asOf + INTERVAL_NANOS);
            feed.ensureCurrent();
            assertThat(applied).as("within the interval the copy is current: no read of the feed").isEmpty();

            now.set(asOf + INTERVAL_NANOS + 1);
            feed.ensureCurrent();
            assertThat(applied).as("past one interval the request reads the feed first").containsExactly("credential-1");

            // the catch-up's own start is the new mark: the same rule from there
            long caughtUpAt = now.get();
            revoke(db, "credential-2");
            now.set(caughtUpAt + INTERVAL_NANOS);
            feed.ensureCurrent();
            assertThat(applied).containsExactly("credential-1");
            now.set(caughtUpAt + INTERVAL_NANOS + 1);
            feed.ensureCurrent();
            assertThat(applied).containsExactly("credential-1", "credential-2");
        }
    }

    private static void revoke(Database db, String credentialId) {
        db.write(c -> {
            ChangeFeed.record(c, ChangeFeed.Kind.CREDENTIAL, "workspace", credentialId);
            return null;
        });
    }
}
