package dev.ekvault.server.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests per client address per fixed window, counted in this node's memory.
 *
 * <p>Windows are aligned to the clock (for one minute: each minute of the epoch), so {@code RateLimit-Reset} is the
 * time to the next boundary. A window is an {@link AtomicInteger} in a bounded Caffeine cache: a check is one cache
 * read and one atomic increment, holding no lock beyond the cache's own per-entry one when a window is replaced.
 * Entries expire when their window ends; past {@code maxTrackedAddresses} the least useful ones are evicted (an
 * evicted address simply starts counting again).
 */
public final class IpRateLimiter {
    public static final int DEFAULT_MAX_TRACKED_ADDRESSES = 100_000;

    private final int limit;
    private final long windowMillis;
    private final Clock clock;
    private final Cache<String, Window> windows;
    private final ConcurrentMap<String, Window> map;

    /** One client's count in the window starting at {@code start} (epoch millis). */
    private record Window(long start, AtomicInteger hits) {}

    /** {@code perMinute} requests per client per minute, 0 for no limit; at most 100,000 addresses tracked. */
    public IpRateLimiter(int perMinute, Clock clock) {
        this(perMinute, Duration.ofMinutes(1), DEFAULT_MAX_TRACKED_ADDRESSES, clock);
    }

    public IpRateLimiter(int limit, Duration window, int maxTrackedAddresses, Clock clock) {
        if (limit < 0) throw new IllegalArgumentException("limit must not be negative");
        if (window.toMillis() < 1) throw new IllegalArgumentException("window must be at least a millisecond");
        if (maxTrackedAddresses < 1) throw new IllegalArgumentException("maxTrackedAddresses must be positive");
        this.limit = limit;
        this.windowMillis = window.toMillis();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.windows = Caffeine.newBuilder()
                .maximumSize(maxTrackedAddresses)
                // expiry in the limiter's own time, so it follows the injected clock
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .expireAfter(new UntilWindowEnds())
                .build();
        this.map = windows.asMap();
    }

    /** False when the limit is 0: every check is allowed and no headers should be sent. */
    public boolean enabled() {
        return limit > 0;
    }

    public int limit() {
        return limit;
    }

    /** Counts one request from {@code clientAddress} (as answered by {@link ClientAddress}) and judges it. */
    public RateLimit.Decision check(String clientAddress) {
        Objects.requireNonNull(clientAddress, "clientAddress");
        if (limit == 0) return RateLimit.Decision.UNLIMITED;
        long now = clock.millis();
        long start = Math.floorDiv(now, windowMillis) * windowMillis;
        Window window = map.get(clientAddress);
        if (window == null || window.start() < start) {
            // a window newer than ours (another thread read the clock later) is kept: counting there is conservative
            window = map.compute(clientAddress, (address, old) -> old != null && old.start() >= start ? old : new Window(start, new AtomicInteger()));
        }
        // stop counting one past the limit, so a flood cannot overflow the counter
        int hits = window.hits().updateAndGet(h -> h > limit ? h : h + 1);
        long reset = RateLimit.secondsUntil(window.start() + windowMillis, now);
        return hits <= limit
                ? new RateLimit.Decision(true, limit, limit - hits, reset)
                : new RateLimit.Decision(false, limit, 0, reset);
    }

    /** How many addresses are tracked now, after dropping expired windows; for metrics and tests. */
    public long trackedAddresses() {
        windows.cleanUp();
        return windows.estimatedSize();
    }

    private final class UntilWindowEnds implements Expiry<String, Window> {
        @Override
        public long expireAfterCreate(String address, Window window, long currentTime) {
            long nowMillis = TimeUnit.NANOSECONDS.toMillis(currentTime);
            return TimeUnit.MILLISECONDS.toNanos(Math.max(1, window.start() + windowMillis - nowMillis));
        }

        @Override
        public long expireAfterUpdate(String address, Window window, long currentTime, long currentDuration) {
            return expireAfterCreate(address, window, currentTime);
        }

        @Override
        public long expireAfterRead(String address, Window window, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}
