package dev.ekvault.server.ratelimit;

import dev.ekvault.server.testing.TestClock;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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

class IpRateLimiterTest {
    /** 15 seconds into a minute, so the window resets in 45 seconds. */
    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:15Z"));

    @Test
    void allowsExactlyTheLimitThenRefusesWithRetryAfterMatchingTheWindow() {
        IpRateLimiter limiter = new IpRateLimiter(5, clock);
        for (int i = 1; i <= 5; i++) {
            RateLimit.Decision decision = limiter.check("203.0.113.7");
            assertThat(decision.allowed()).as("request %d", i).isTrue();
            assertThat(decision.limit()).isEqualTo(5);
            assertThat(decision.remaining()).as("request %d", i).isEqualTo(5 - i);
            assertThat(decision.resetSeconds()).isEqualTo(45);
        }
        clock.advance(Duration.ofSeconds(10));
        RateLimit.Decision refused = limiter.check("203.0.113.7");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.resetSeconds()).isEqualTo(35);
        assertThat(refused.retryAfterSeconds()).isEqualTo(35);
        assertThat(limiter.check("203.0.113.7").allowed()).as("still refused").isFalse();
    }

    @Test
    void resetIsRoundedUpAndNeverZeroInsideTheWindow() {
        TestClock late = new TestClock(Instant.parse("2026-01-01T00:00:59.500Z"));
        IpRateLimiter limiter = new IpRateLimiter(1, late);
        assertThat(limiter.check("198.51.100.1").resetSeconds()).isEqualTo(1);
        RateLimit.Decision refused = limiter.check("198.51.100.1");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);

        TestClock onTheBoundary = new TestClock(Instant.parse("2026-01-01T00:01:00Z"));
        assertThat(new IpRateLimiter(1, onTheBoundary).check("198.51.100.1").resetSeconds()).isEqualTo(60);
    }

    @Test
    void theNextWindowAllowsAgain() {
        IpRateLimiter limiter = new IpRateLimiter(2, clock);
        limiter.check("203.0.113.7");
        limiter.check("203.0.113.7");
        assertThat(limiter.check("203.0.113.7").allowed()).isFalse();
        clock.advance(Duration.ofSeconds(44));
        assertThat(limiter.check("203.0.113.7").allowed()).as("one second before the reset").isFalse();
        clock.advance(Duration.ofSeconds(1));
        RateLimit.Decision fresh = limiter.check("203.0.113.7");
        assertThat(fresh.allowed()).isTrue();
        assertThat(fresh.remaining()).isEqualTo(1);
        assertThat(fresh.resetSeconds()).isEqualTo(60);
    }

    @Test
    void addressesAreCountedSeparately() {
        IpRateLimiter limiter = new IpRateLimiter(1, clock);
        assertThat(limiter.check("203.0.113.7").allowed()).isTrue();
        assertThat(limiter.check("203.0.113.7").allowed()).isFalse();
        assertThat(limiter.check("203.0.113.8").allowed()).isTrue();
        assertThat(limiter.check("2001:db8::1").allowed()).isTrue();
        assertThat(limiter.check("2001:db8::1").allowed()).isFalse();
    }

    @Test
    void zeroTurnsItOff() {
        IpRateLimiter limiter = new IpRateLimiter(0, clock);
        assertThat(limiter.enabled()).isFalse();
        for (int i = 0; i < 1000; i++) assertThat(limiter.check("203.0.113.7").allowed()).isTrue();
        RateLimit.Decision decision = limiter.check("203.0.113.7");
        assertThat(decision).isEqualTo(RateLimit.Decision.UNLIMITED);
        HttpFields.Mutable headers = HttpFields.build();
        decision.writeHeaders(headers);
        assertThat(headers.size()).as("no headers when off").isZero();
        assertThat(limiter.trackedAddresses()).isZero();
        assertThat(new IpRateLimiter(1, clock).enabled()).isTrue();
    }

    @Test
    void writesTheRateLimitHeadersAndRetryAfterOnlyWhenRefused() {
        IpRateLimiter limiter = new IpRateLimiter(2, clock);
        HttpFields.Mutable first = HttpFields.build();
        limiter.check("203.0.113.7").writeHeaders(first);
        assertThat(first.get("RateLimit-Limit")).isEqualTo("2");
        assertThat(first.get("RateLimit-Remaining")).isEqualTo("1");
        assertThat(first.get("RateLimit-Reset")).isEqualTo("45");
        assertThat(first.get("Retry-After")).isNull();

        limiter.check("203.0.113.7");
        clock.advance(Duration.ofMillis(30_500));
        HttpFields.Mutable refused = HttpFields.build();
        refused.put("RateLimit-Remaining", "99"); // an earlier value is replaced, not repeated
        limiter.check("203.0.113.7").writeHeaders(refused);
        assertThat(refused.getValuesList("RateLimit-Remaining")).containsExactly("0");
        assertThat(refused.get("RateLimit-Limit")).isEqualTo("2");
        assertThat(refused.get("RateLimit-Reset")).isEqualTo("15");
        assertThat(refused.get("Retry-After")).isEqualTo("15");
    }

    @Test
    void retryAfterIsAtLeastOneSecond() {
        RateLimit.Decision refusedAtTheBoundary = new RateLimit.Decision(false, 10, 0, 0);
        HttpFields.Mutable headers = HttpFields.build();
        refusedAtTheBoundary.writeHeaders(headers);
        assertThat(headers.get("Retry-After")).isEqualTo("1");
        assertThatThrownBy(() -> new RateLimit.Decision(true, 10, 11, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RateLimit.Decision(false, 0, 0, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void windowsExpireAndTheTrackedAddressesAreBounded() {
        IpRateLimiter limiter = new IpRateLimiter(5, Duration.ofMinutes(1), 50, clock);
        for (int i = 0; i < 10; i++) limiter.check("10.0.0." + i);
        assertThat(limiter.trackedAddresses()).isEqualTo(10);
        clock.advance(Duration.ofSeconds(45));
        assertThat(limiter.trackedAddresses()).as("every window ended").isZero();

        for (int i = 0; i < 500; i++) limiter.check("10.0." + (i / 250) + "." + (i % 250));
        assertThat(limiter.trackedAddresses()).isLessThanOrEqualTo(50);
    }

    @Test
    void concurrentHitsNeverExceedTheLimitInOneWindow() throws Exception {
        int limit = 50;
        int threads = 8;
        int perThread = 100;
        IpRateLimiter limiter = new IpRateLimiter(limit, clock);
        AtomicInteger allowed = new AtomicInteger();
        Set<Integer> remainingSeen = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        RateLimit.Decision decision = limiter.check("203.0.113.7");
                        if (decision.allowed()) {
                            allowed.incrementAndGet();
                            remainingSeen.add(decision.remaining());
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(allowed.get()).isEqualTo(limit);
        assertThat(remainingSeen).as("each allowed request saw its own count").hasSize(limit);
        assertThat(limiter.check("203.0.113.8").allowed()).as("another address is untouched").isTrue();
    }
}
