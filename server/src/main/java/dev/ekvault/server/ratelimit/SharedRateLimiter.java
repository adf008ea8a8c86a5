package dev.ekvault.server.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.DatabaseUnavailable;
import dev.ekvault.server.store.Sql;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * Hits per bucket per one-minute window, counted in the database so that every node sharing it shares the count:
 * a limit of 10 is 10 across the cluster, not 10 per node.
 *
 * <p>Each hit is one atomic upsert that answers the new count ({@code INSERT ... ON CONFLICT DO UPDATE ...
 * RETURNING}, SQLite 3.35+ and PostgreSQL), so concurrent hits on any number of nodes are counted exactly once
 * each. Windows are aligned to the minute ({@code window_start} is epoch millis, a multiple of 60,000) by each
 * node's clock; nodes whose clocks disagree by a few seconds disagree on the boundary by as much.
 *
 * <p>Hits that arrive together share one transaction and one statement (group commit): each hit queues, the first to
 * take the flush lock writes everything queued as one multi-row upsert that adds each bucket's hits and answers its
 * new count, and the hits of one bucket in that batch get the consecutive counts below it, in the order they queued.
 * The count is as exact as one statement per hit was; a flood of exchanges pays a database write per batch, not per
 * hit (on the embedded SQLite, where every write waits for the one writer, that was the exchange's ceiling).
 *
 * <p>A limit of {@value #BLOCK_FROM} or more a minute is counted in blocks: a node claims a hundredth of the limit at
 * a time (one upsert adds the whole block) and hands those hits out from memory. The cluster still never allows more
 * than the limit, since every hit allowed was counted in the database first; what a node claimed but did not use
 * by the end of the window is lost to the other nodes, at most one block each (1% of the limit per node). Smaller
 * limits, the default 10 a minute among them, count every hit one by one, exactly as before.
 *
 * <p>Once a bucket is over its limit in a window, this node refuses further hits on it until the window ends
 * without writing to the database again: the shared count can only grow within a window, so the verdict cannot
 * change, and a flood on one bucket costs no database writes.
 */
public final class SharedRateLimiter {
    private static final Logger LOG = Logger.getLogger(SharedRateLimiter.class.getName());
    public static final Duration WINDOW = Duration.ofMinutes(1);
    private static final long WINDOW_MILLIS = WINDOW.toMillis();

    private static final String HIT_ROW = "(?, ?, ?)";
    private static final String HIT_CONFLICT = " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_window.hits + excluded.hits "
            + "RETURNING bucket, window_start, hits";
    /** Limits from here up are counted in blocks of a hundredth (see above). */
    static final int BLOCK_FROM = 200;
    /** Rows in one upsert at most (three parameters each). */
    private static final int MAX_BATCH = 300;
    private static final String PRUNE = "DELETE FROM rate_limit_window WHERE window_start < ?";

    private final Database database;
    private final Clock clock;
    /** Buckets known to be over their limit: the window they are over in and the count last seen there. */
    private final Cache<String, Exhausted> exhausted;

    private record Exhausted(long windowStart, int hits) {}

    /** Hits to count (one, or a block) waiting for the count they end at; written and read under {@link #flushLock}. */
    private static final class Pending {
        final String bucket;
        final long windowStart;
        final int hits;
        boolean done;
        int count;
        RuntimeException failure;

        Pending(String bucket, long windowStart, int hits) {
            this.bucket = bucket;
            this.windowStart = windowStart;
            this.hits = hits;
        }
    }

    /** A block claimed for one bucket: hits numbered {@code next..end} of its window are this node's to allow. */
    private static final class Lease {
        final ReentrantLock lock = new ReentrantLock();
        long windowStart = Long.MIN_VALUE;
        int next = 1;
        int end;
    }

    private final Cache<String, Lease> leases = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(WINDOW.multipliedBy(2)).build();

    private final ReentrantLock queueLock = new ReentrantLock();
    private List<Pending> queue = new ArrayList<>(); // guarded by queueLock
    private final ReentrantLock flushLock = new ReentrantLock();

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
        int block = limit >= BLOCK_FROM ? limit / 100 : 1;
        int hits;
        try {
            hits = block == 1 ? count(bucket, start, 1) : leased(bucket, start, block);
            if (failingSince != NOT_FAILING) recovered();
        } catch (DatabaseUnavailable e) {
            hits = countedHere(bucket, start, now, e);
        }
        if (hits > limit) {
            exhausted.put(bucket, new Exhausted(start, hits));
            return new RateLimit.Decision(false, limit, 0, reset);
        }
        return new RateLimit.Decision(true, limit, limit - hits, reset);
    }

    /**
     * The database cannot count this hit (down, stalled, its disk full): for up to {@link #TOLERANCE} from the first
     * such failure the hit is counted in this node's memory instead, per bucket and window, so clients keep
     * exchanging through an outage; past it the failure stands (503). Each node then allows up to the limit on its
     * own — a cluster of n nodes at most n times the limit for that while — and its memory counts are not added to
     * the shared ones when the database returns (the next window starts afresh anyway).
     */
    private int countedHere(String bucket, long windowStart, long now, DatabaseUnavailable failure) {
        long since = failingSince;
        if (since == NOT_FAILING) {
            synchronized (this) {
                if (failingSince == NOT_FAILING) {
                    failingSince = now;
                    LOG.warning("the shared rate limit cannot be written (" + failure.reason.name().toLowerCase(java.util.Locale.ROOT)
                            + "); counting in this node's memory for up to " + TOLERANCE.toSeconds() + " s");
                }
                since = failingSince;
            }
        }
        if (now - since > TOLERANCE.toMillis()) throw failure;
        LocalCount local = localCounts.get(bucket, k -> new LocalCount());
        synchronized (local) {
            if (local.windowStart != windowStart) {
                local.windowStart = windowStart;
                local.hits = 0;
            }
            return ++local.hits;
        }
    }

    private synchronized void recovered() {
        if (failingSince == NOT_FAILING) return;
        LOG.info("the shared rate limit is written again after " + (clock.millis() - failingSince) / 1000 + " s in memory");
        failingSince = NOT_FAILING;
        localCounts.invalidateAll();
    }

    /** How long a node counts hits in memory while the database cannot take them. */
    public static final Duration TOLERANCE = Duration.ofMinutes(1);
    private static final long NOT_FAILING = Long.MIN_VALUE;
    /** When the database first failed to count a hit in the current streak (the clock's millis), or NOT_FAILING. */
    private volatile long failingSince = NOT_FAILING;

    private static final class LocalCount {
        long windowStart = Long.MIN_VALUE;
        int hits;
    }

    private final Cache<String, LocalCount> localCounts = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(WINDOW.multipliedBy(2)).build();

    /** The number of one hit from this node's block for the bucket, claiming a new block when it is used up. */
    private int leased(String bucket, long windowStart, int block) {
        Lease lease = leases.get(bucket, k -> new Lease());
        lease.lock.lock();
        try {
            if (lease.windowStart != windowStart) {
                lease.windowStart = windowStart;
                lease.next = 1;
                lease.end = 0;
            }
            if (lease.next > lease.end) {
                int end = count(bucket, windowStart, block);
                lease.next = end - block + 1;
                lease.end = end;
            }
            return lease.next++;
        } finally {
            lease.lock.unlock();
        }
    }

    /**
     * Queues {@code hits} hits and returns the count they bring the bucket to, writing the queue (these hits and those
     * around them) if nobody else is.
     */
    private int count(String bucket, long windowStart, int hits) {
        Pending mine = new Pending(bucket, windowStart, hits);
        queueLock.lock();
        try {
            queue.add(mine);
        } finally {
            queueLock.unlock();
        }
        flushLock.lock();
        try {
            while (!mine.done) {
                List<Pending> batch;
                queueLock.lock();
                try {
                    batch = queue;
                    queue = new ArrayList<>();
                } finally {
                    queueLock.unlock();
                }
                for (int from = 0; from < batch.size(); from += MAX_BATCH) write(batch.subList(from, Math.min(batch.size(), from + MAX_BATCH)));
            }
            if (mine.failure != null) throw mine.failure;
            return mine.count;
        } finally {
            flushLock.unlock();
        }
    }

    /** One upsert for a batch: each bucket's hits added at once, and each hit given its own count. */
    private void write(List<Pending> batch) {
        Map<String, List<Pending>> byKey = new LinkedHashMap<>();
        for (Pending p : batch) byKey.computeIfAbsent(p.windowStart + "\n" + p.bucket, k -> new ArrayList<>()).add(p);
        List<Object> parameters = new ArrayList<>(byKey.size() * 3);
        for (List<Pending> hits : byKey.values()) {
            parameters.add(hits.get(0).bucket);
            parameters.add(hits.get(0).windowStart);
            parameters.add(hits.stream().mapToInt(p -> p.hits).sum());
        }
        String sql = "INSERT INTO rate_limit_window (bucket, window_start, hits) VALUES "
                + String.join(", ", Collections.nCopies(byKey.size(), HIT_ROW)) + HIT_CONFLICT;
        try {
            Map<String, Integer> totals = database.write(c -> {
                Map<String, Integer> rows = new HashMap<>();
                for (Object[] row : Sql.list(c, sql, r -> new Object[] {r.getString(1), r.getLong(2), r.getInt(3)}, parameters.toArray())) {
                    rows.put(row[1] + "\n" + row[0], (Integer) row[2]);
                }
                return rows;
            });
            for (Map.Entry<String, List<Pending>> entry : byKey.entrySet()) {
                Integer total = totals.get(entry.getKey());
                List<Pending> hits = entry.getValue();
                int end = total == null ? 0 : total; // the last in the queue ends at the total, each earlier one below the next
                for (int i = hits.size() - 1; i >= 0; i--) {
                    Pending p = hits.get(i);
                    if (total == null) p.failure = new IllegalStateException("the rate-limit upsert returned no row");
                    p.count = end;
                    end -= p.hits;
                    p.done = true;
                }
            }
        } catch (RuntimeException e) {
            for (Pending p : batch) {
                p.failure = e;
                p.done = true;
            }
        }
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
