package dev.ekvault.server.ratelimit;

import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Migrations;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The exchange limit: counted in the database, so two nodes on one database share one count. */
abstract class SharedRateLimiterContract {
    private static final long WINDOW_0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    /** 15 seconds into a window, so it resets in 45 seconds. */
    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:15Z"));
    /** Two nodes: two connection pools on the same database. */
    private Database nodeA;
    private Database nodeB;

    abstract Backend backend();

    @BeforeEach
    void open() throws Exception {
        String url = backend().freshDatabaseUrl();
        String jdbc = url.isEmpty() ? "jdbc:sqlite:" + Files.createTempDirectory("ek-rl").resolve("ek.db") : url;
        nodeA = new Database(jdbc, "", "", 4);
        Migrations.apply(nodeA, clock);
        nodeB = new Database(jdbc, "", "", 4);
    }

    @AfterEach
    void close() {
        if (nodeA != null) nodeA.close();
        if (nodeB != null) nodeB.close();
    }

    @Test
    void allowsTheLimitThenRefuses() {
        SharedRateLimiter limiter = new SharedRateLimiter(nodeA, clock);
        for (int i = 1; i <= 10; i++) {
            RateLimit.Decision decision = limiter.hit("exchange:c1", 10);
            assertThat(decision.allowed()).as("hit %d", i).isTrue();
            assertThat(decision.remaining()).as("hit %d", i).isEqualTo(10 - i);
            assertThat(decision.limit()).isEqualTo(10);
            assertThat(decision.resetSeconds()).isEqualTo(45);
        }
        clock.advance(Duration.ofMillis(4_200));
        RateLimit.Decision refused = limiter.hit("exchange:c1", 10);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.resetSeconds()).isEqualTo(41);
        assertThat(refused.retryAfterSeconds()).isEqualTo(41);
        assertThat(windows("exchange:c1")).containsExactly(WINDOW_0 + ":11");
    }

    @Test
    void twoNodesShareOneCount() {
        SharedRateLimiter a = new SharedRateLimiter(nodeA, clock);
        SharedRateLimiter b = new SharedRateLimiter(nodeB, clock);
        for (int i = 0; i < 6; i++) assertThat(a.hit("exchange:c1", 10).allowed()).isTrue();
        for (int i = 0; i < 3; i++) assertThat(b.hit("exchange:c1", 10).allowed()).isTrue();
        RateLimit.Decision tenth = b.hit("exchange:c1", 10);
        assertThat(tenth.allowed()).isTrue();
        assertThat(tenth.remaining()).as("node B saw node A's six").isZero();
        assertThat(b.hit("exchange:c1", 10).allowed()).as("the 11th, on node B").isFalse();
        assertThat(a.hit("exchange:c1", 10).allowed()).as("the 12th, on node A").isFalse();
    }

    @Test
    void aNodeThatKnowsABucketIsSpentStopsWritingUntilTheWindowEnds() {
        SharedRateLimiter a = new SharedRateLimiter(nodeA, clock);
        SharedRateLimiter b = new SharedRateLimiter(nodeB, clock);
        for (int i = 0; i < 11; i++) a.hit("exchange:c1", 10);
        for (int i = 0; i < 5; i++) assertThat(a.hit("exchange:c1", 10).allowed()).isFalse();
        assertThat(windows("exchange:c1")).containsExactly(WINDOW_0 + ":11");
        assertThat(b.hit("exchange:c1", 10).allowed()).isFalse();
        assertThat(windows("exchange:c1")).as("node B had not seen it spent").containsExactly(WINDOW_0 + ":12");
        assertThat(a.hit("exchange:c1", 20).allowed()).as("a higher limit asks the database again").isTrue();
        clock.advance(Duration.ofSeconds(45));
        assertThat(a.hit("exchange:c1", 10).allowed()).isTrue();
    }

    @Test
    void concurrentHitsOnTwoNodesAllowExactlyTheLimit() throws Exception {
        SharedRateLimiter[] nodes = {new SharedRateLimiter(nodeA, clock), new SharedRateLimiter(nodeB, clock)};
        int threads = 8;
        int hitsPerThread = 6;
        AtomicInteger allowed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SharedRateLimiter node = nodes[t % 2];
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < hitsPerThread; i++) if (node.hit("exchange:c1", 10).allowed()) allowed.incrementAndGet();
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(allowed.get()).isEqualTo(10);
        assertThat(nodes[0].hit("exchange:c1", 10).allowed()).isFalse();
        assertThat(nodes[1].hit("exchange:c1", 10).allowed()).isFalse();
    }

    @Test
    void concurrentHitsBatchedTogetherEachGetTheirOwnCount() throws Exception {
        SharedRateLimiter limiter = new SharedRateLimiter(nodeA, clock);
        int threads = 16;
        int hitsPerThread = 40;
        Map<String, Set<Integer>> remaining = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String bucket = "exchange:c" + (t % 4);
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < hitsPerThread; i++) {
                        RateLimit.Decision d = limiter.hit(bucket, 199); // under BLOCK_FROM: every hit counted
                        assertThat(d.allowed()).isTrue();
                        assertThat(remaining.computeIfAbsent(bucket, k -> ConcurrentHashMap.newKeySet()).add(d.remaining()))
                                .as("each hit its own count").isTrue();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        int perBucket = threads / 4 * hitsPerThread;
        for (int b = 0; b < 4; b++) {
            assertThat(remaining.get("exchange:c" + b)).hasSize(perBucket);
            assertThat(windows("exchange:c" + b)).containsExactly(WINDOW_0 + ":" + perBucket);
        }
    }

    @Test
    void largeLimitsAreCountedInBlocksAndNeverExceededAcrossNodes() {
        SharedRateLimiter a = new SharedRateLimiter(nodeA, clock);
        SharedRateLimiter b = new SharedRateLimiter(nodeB, clock);
        int limit = 1_000; // blocks of 10
        for (int i = 0; i < 15; i++) assertThat(a.hit("exchange:big", limit).allowed()).isTrue();
        assertThat(windows("exchange:big")).as("two blocks claimed, one write each").containsExactly(WINDOW_0 + ":20");
        int allowed = 15;
        for (int i = 0; i < 1_200; i++) if ((i % 2 == 0 ? b : a).hit("exchange:big", limit).allowed()) allowed++;
        assertThat(allowed).as("never more than the limit, at most a block per node unused").isBetween(limit - 2 * 10, limit);
        clock.advance(Duration.ofSeconds(45));
        assertThat(a.hit("exchange:big", limit).allowed()).as("a new window").isTrue();
    }

    @Test
    void bucketsAreIndependent() {
        SharedRateLimiter limiter = new SharedRateLimiter(nodeA, clock);
        for (int i = 0; i < 3; i++) limiter.hit("exchange:c1", 2);
        assertThat(limiter.hit("exchange:c1", 2).allowed()).isFalse();
        RateLimit.Decision other = limiter.hit("exchange:c2", 2);
        assertThat(other.allowed()).isTrue();
        assertThat(other.remaining()).isEqualTo(1);
    }

    @Test
    void theNextWindowAllowsAgain() {
        SharedRateLimiter limiter = new SharedRateLimiter(nodeA, clock);
        for (int i = 0; i < 3; i++) limiter.hit("exchange:c1", 2);
        clock.advance(Duration.ofMillis(44_999));
        assertThat(limiter.hit("exchange:c1", 2).allowed()).as("a millisecond before the reset").isFalse();
        clock.advance(Duration.ofMillis(1));
        RateLimit.Decision fresh = limiter.hit("exchange:c1", 2);
        assertThat(fresh.allowed()).isTrue();
        assertThat(fresh.remaining()).isEqualTo(1);
        assertThat(fresh.resetSeconds()).isEqualTo(60);
        assertThat(windows("exchange:c1")).containsExactly(WINDOW_0 + ":3", (WINDOW_0 + 60_000) + ":1");
    }

    @Test
    void pruneDropsWindowsOlderThanTwoMinutes() {
        SharedRateLimiter limiter = new SharedRateLimiter(nodeA, clock);
        limiter.hit("exchange:c1", 10);
        limiter.hit("exchange:c2", 10);
        assertThat(limiter.prune()).isZero();
        clock.advance(Duration.ofMinutes(1));
        limiter.hit("exchange:c1", 10);
        assertThat(limiter.prune()).as("the previous window is kept").isZero();
        clock.advance(Duration.ofMinutes(1));
        limiter.hit("exchange:c1", 10);
        assertThat(limiter.prune()).as("both buckets' first window").isEqualTo(2);
        assertThat(windows("exchange:c1")).containsExactly((WINDOW_0 + 60_000) + ":1", (WINDOW_0 + 120_000) + ":1");
        assertThat(windows("exchange:c2")).isEmpty();
        clock.advance(Duration.ofMinutes(5));
        assertThat(new SharedRateLimiter(nodeB, clock).prune()).isEqualTo(2);
        assertThat(windows("exchange:c1")).isEmpty();
    }

    @Test
    void aLimitBelowOneIsRefused() {
        SharedRateLimiter limiter = new SharedRateLimiter(nodeA, clock);
        assertThatThrownBy(() -> limiter.hit("exchange:c1", 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A bucket's rows as {@code window_start:hits}, oldest first. */
    private List<String> windows(String bucket) {
        return nodeA.read(c -> Sql.list(c, "SELECT window_start, hits FROM rate_limit_window WHERE bucket = ? ORDER BY window_start",
                row -> row.getLong(1) + ":" + row.getInt(2), bucket));
    }
}
