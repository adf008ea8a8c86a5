package dev.ekvault.server.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Sql;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Hits per bucket per one-minute window, counted in the database so that every node sharing it shares the count:
 * a limit of 10 is 10 across the cluster, not 10 per node.
 *
 * <p>Each hit is one atomic upsert that answers the new count ({@code INSERT ... ON CONFLICT DO UPDATE ...
 * RETURNING}, SQLite 3.35+ and PostgreSQL), so concurrent hits on any number of nodes are counted exactly once
 * each. Windows are aligned to the minute ({@code window_start} is epoch millis, a multiple of 60,000) by each
 * node's clock; nodes whose clocks disagree by a few seconds disagree on the boundary by as much.
 *
 * <p>Once a bucket is over its limit in a window, this node refuses further hits on it until the window ends
 * without writing to the database again: the shared count can only grow within a window, so the verdict cannot
 * change, and a flood on one bucket costs no database writes.
 */
public final class SharedRateLimiter {
    public static final Duration WINDOW = Duration.ofMinutes(1);
    private static final long WINDOW_MILLIS = WINDOW.toMillis();

    private static final String HIT = "INSERT INTO rate_limit_window (bucket, window_start, hits) VALUES (?, ?, 1) "
            + "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_window.hits + 1 RETURNING hits";
    private static final String PRUNE = "DELETE FROM rate_limit_window WHERE window_start < ?";

    private final Database database;
    private final Clock clock;
    /** Buckets known to be over their limit: the window they are over in and the count last seen there. */
    private final Cache<String, Exhausted> exhausted;

    private record Exhausted(long windowStart, int hits) {}

    public SharedRateLimiter(Database database, Clock clock) {
        this.database = Objects.requireNonNull(database, "database");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.exhausted = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(WINDOW).build();
    }

    /**
     * Counts one hit on {@code bucket} in the current window; allowed while the window's count is at most
     * {@code limit}.
     *
     * @throws dev.ekvault.server.store.StoreException when the database fails
     */
    public RateLimit.Decision hit(String bucket, int limit) {
        Objects.requireNonNull(bucket, "bucket");
        if (limit < 1) throw new IllegalArgumentException("limit must be positive");
        long now = clock.millis();
        long start = windowStart(now);
        long reset = RateLimit.secondsUntil(start + WINDOW_MILLIS, now);
        Exhausted known = exhausted.getIfPresent(bucket);
        if (known != null && known.windowStart() == start && known.hits() >= limit) {
            return new RateLimit.Decision(false, limit, 0, reset);
        }
        Integer hits = database.write(c -> Sql.one(c, HIT, row -> row.getInt(1), bucket, start));
        if (hits == null) throw new IllegalStateException("the rate-limit upsert returned no row");
        if (hits > limit) {
            exhausted.put(bucket, new Exhausted(start, hits));
            return new RateLimit.Decision(false, limit, 0, reset);
        }
        return new RateLimit.Decision(true, limit, limit - hits, reset);
    }

    /**
     * Deletes the windows that ended more than a minute ago (every window older than two minutes), keeping the
     * current and the previous one; answers how many rows went. Safe to run on every node at any time.
     */
    public int prune() {
        long cutoff = windowStart(clock.millis()) - WINDOW_MILLIS;
        return database.write(c -> Sql.update(c, PRUNE, cutoff));
    }

    private static long windowStart(long millis) {
        return Math.floorDiv(millis, WINDOW_MILLIS) * WINDOW_MILLIS;
    }
}
