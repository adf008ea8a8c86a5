package dev.ekvault.server.store;


import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * How every node learns, within a poll interval, what another node changed: a write that changes a credential, a
 * membership, a signing key or a project's secrets appends a row to {@code change_log} in its own transaction, and every
 * node polls the table and hands each new row to the listener for its kind (which reloads that one entity).
 *
 * <p><b>Every committed row exactly once, whatever the commit order, the stall or the clocks.</b> Rows are read by
 * sequence number. On PostgreSQL a transaction that took number N can commit after N+1 has been read, so a number
 * skipped below the highest read is remembered as a gap and asked for again on every poll until its row appears.
 * A gap may never fill (a rolled-back transaction's number is gone for good), so one missing for
 * {@link #GAP_GIVE_UP_MILLIS} by the <em>database's</em> clock, or beyond {@link #MAX_GAPS} of them, is given up and a
 * full reload of every listener's state covers whatever it would have carried. No node's own clock takes part:
 * {@code at} is stamped by the database ({@link Dialect#nowMillis}), and only prunes old rows.
 *
 * <p><b>The backstop.</b> Every {@code fullReloadInterval} (by the injected clock), after a failed poll, after a poll that
 * finds the last success more than {@link #STALL_NANOS} old (a paused process, a database that was away), and after a
 * gap was given up, the registered reloaders reload everything (credentials and members, signing keys, cached secrets).
 * A reload runs under the same lock as a poll and after it, so the feed position it starts from is read before the
 * state it loads: a change committed meanwhile is read by the next poll, never overwritten by older state.
 *
 * <p><b>Never serving from a stale copy.</b> {@link #ensureCurrent} costs a volatile read and {@link System#nanoTime} on
 * every authenticated request; when the last successful poll began more than one interval ago (the poller was
 * paused, starved or failing) the request polls itself first, or gets {@link Behind} (503) when that cannot be done.
 * So a change committed at t is applied before any request this node authenticates after t + interval, whatever the
 * load: the interval is the revocation bound, not a typical delay. The poller runs every three quarters of it, so a
 * healthy node keeps that margin for its timer's jitter and requests rarely poll themselves (issue 18 measured the old
 * "one poll" bound exceeded under load, 290–697 ms). The monotonic clock keeps running while a process is stopped, so
 * the first request after SIGCONT catches up.
 */
public final class ChangeFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ChangeFeed.class.getName());
    /** How long a skipped number is waited for, by the database's clock, before a full reload stands in for it. */
    static final long GAP_GIVE_UP_MILLIS = 120_000;
    /** Gaps remembered at most (each is a parameter of every poll's query); the oldest beyond it are given up. */
    static final int MAX_GAPS = 500;
    /** Rows older than this (database clock) are deleted; far beyond the gap bound, so no awaited row is pruned. */
    private static final long RETENTION_MILLIS = 3_600_000;
    private static final long PRUNE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** A poll that finds the last success older than this was stalled: it is followed by a full reload. */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long a request waits for a catch-up another thread is running before it is answered 503. */
    private static final long CATCH_UP_WAIT_MILLIS = 5_000;

    /** {@code SECRET}: a project's secrets or environments changed (entity: the project id). */
    public enum Kind { CREDENTIAL, MEMBER, SIGNING_KEY, SECRET }

    /**
     * A row of the feed; {@code ageMillis} is how long ago it was committed when this node read it, in the database's
     * own time (its {@code at} against the database's clock in the same statement), so no node's clock takes part.
     */
    public record Change(long seq, Kind kind, String workspaceId, String entityId, long ageMillis) {}

    /**
     * Told after each row is applied on this node: its kind and the time from its commit to its application (the
     * revocation lag, for a credential or member row). The metrics set one.
     */
    @FunctionalInterface
    public interface LagObserver {
        void applied(Kind kind, long lagMillis);
    }

    private volatile LagObserver lagObserver = (kind, lagMillis) -> {};

    public void observeLag(LagObserver observer) {
        this.lagObserver = observer;
    }

    /** This node cannot bring its copy up to date (the database is unreachable): the request should be retried. */
    public static final class Behind extends RuntimeException {
        public static final long RETRY_AFTER_SECONDS = 1;

        Behind(Throwable cause) {
            super("this node cannot read the change feed", cause, false, false);
        }
    }

    private final Database database;
    private final Clock clock;
    private final long intervalNanos;
    private final long staleNanos;
    private final long fullReloadMillis;
    private final long gapGiveUpMillis;
    private final Map<Kind, Consumer<Change>> listeners = new EnumMap<>(Kind.class);
    private final List<Runnable> reloaders = new ArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private long highestSeq;
    /** Numbers skipped below {@link #highestSeq}, each with the database time it was first found missing. */
    private final TreeMap<Long, Long> gaps = new TreeMap<>();
    private boolean reloadDue;
    private long lastFullReloadMillis;
    private long lastPruneNanos;
    /** The last poll failed: a stale node answers 503 at once instead of queueing every request behind the database. */
    private volatile boolean failing;
    /**
     * The last poll failed because the database is unavailable ({@link DatabaseUnavailable}), not for another reason:
     * for {@link #outageGraceNanos} past the staleness bound requests are still authenticated from memory (see
     * {@link #ensureCurrent}).
     */
    private volatile boolean databaseUnavailable;
    private final long outageGraceNanos;
    /** Scheduled polls failed in a row, and when the first of them failed (guarded by lock). */
    private long failedPolls;
    private long failingSinceMillis;
    /** When the last successful poll began ({@link System#nanoTime}): this node has every change committed before it. */
    private volatile long currentAsOfNanos;
    private final java.util.function.LongSupplier monotonic;
    private ScheduledExecutorService poller;

    public ChangeFeed(Database database, Clock clock, Duration interval, Duration fullReloadInterval) {
        this(database, clock, interval, fullReloadInterval, Duration.ZERO);
    }

    public ChangeFeed(Database database, Clock clock, Duration interval, Duration fullReloadInterval, Duration outageGrace) {
        this(database, clock, interval, fullReloadInterval, outageGrace, GAP_GIVE_UP_MILLIS);
    }

    ChangeFeed(Database database, Clock clock, Duration interval, Duration fullReloadInterval, long gapGiveUpMillis) {
        this(database, clock, interval, fullReloadInterval, Duration.ZERO, gapGiveUpMillis);
    }

    private ChangeFeed(Database database, Clock clock, Duration interval, Duration fullReloadInterval, Duration outageGrace,
                       long gapGiveUpMillis) {
        this(database, clock, interval, fullReloadInterval, outageGrace, gapGiveUpMillis, System::nanoTime);
    }

    /**
     * {@code monotonic}: the clock of the staleness rule ({@link System#nanoTime} in a server: it keeps running while
     * the process is stopped); a test drives it to either side of the bound.
     */
    ChangeFeed(Database database, Clock clock, Duration interval, Duration fullReloadInterval, Duration outageGrace,
               long gapGiveUpMillis, java.util.function.LongSupplier monotonic) {
        this.monotonic = monotonic;
        this.database = database;
        this.outageGraceNanos = outageGrace.toNanos();
        this.clock = clock;
        this.intervalNanos = interval.toNanos();
        this.staleNanos = intervalNanos;
        this.fullReloadMillis = fullReloadInterval.toMillis();
        this.gapGiveUpMillis = gapGiveUpMillis;
        this.currentAsOfNanos = monotonic.getAsLong();
        this.lastPruneNanos = currentAsOfNanos - PRUNE_EVERY_NANOS; // the first poll prunes
    }

    /**
     * Appends a change inside the caller's transaction; it is seen by every node once that transaction commits. Its
     * time is the database's, not this node's. On PostgreSQL the row goes with the transaction's next statement
     * ({@link DeferredWrites}): nothing reads it back, and its number is the database's.
     */
    public static void record(Connection c, Kind kind, String workspaceId, String entityId) throws SQLException {
        DeferredWrites.add(c, "INSERT INTO change_log (kind, workspace_id, entity_id, at) VALUES (?, ?, ?, " + Dialect.of(c).nowMillis + ")",
                kind.name(), workspaceId, entityId);
    }

    public void listen(Kind kind, Consumer<Change> listener) {
        listeners.put(kind, listener);
    }

    /** Adds work that reloads a listener owner's whole state from the database (the backstop; see the class comment). */
    public void onFullReload(Runnable reloader) {
        reloaders.add(reloader);
    }

    /**
     * Takes the feed's current position; call it before the listeners' owners load their full state, so that anything
     * committed after that load began is read by a later poll. A number below the end may belong to a transaction
     * still open, which commits later: every number missing above the newest row older than the gap bound (at most
     * {@link #MAX_GAPS} below the end) starts out as a gap. One taken earlier than that is past the bound anyway, and
     * the periodic reload covers it.
     */
    public void skipToEnd() {
        lock.lock();
        try {
            long started = monotonic.getAsLong();
            database.read(c -> {
                long now = databaseNow(c);
                long end = Sql.one(c, "SELECT COALESCE(MAX(seq), 0) FROM change_log", r -> r.getLong(1));
                long settled = Sql.one(c, "SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE at < ?", r -> r.getLong(1), now - gapGiveUpMillis);
                highestSeq = Math.max(settled, end - MAX_GAPS);
                gaps.clear();
                absorb(Sql.list(c, "SELECT " + columns() + " FROM change_log WHERE seq > ? ORDER BY seq", ChangeFeed::change,
                        highestSeq), now); // already covered by the load that follows: only the gaps between them matter
                return null;
            });
            lastFullReloadMillis = clock.millis();
            currentAsOfNanos = started;
        } finally {
            lock.unlock();
        }
    }

    /** Polls on a timer from now on (after {@link #skipToEnd} and the owners' loads). */
    public void start() {
        // this node's own writes are applied as soon as they are over, so it never waits on itself; a change to secrets
        // needs no poll here (the secret cache hears of it from the journal itself)
        database.journal().subscribe((changes, committed) -> {
            if (changes.stream().anyMatch(change -> change.kind() != null && change.kind() != Kind.SECRET)) poll();
        });
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ek-change-feed");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, TimeUnit.NANOSECONDS.toMillis(intervalNanos) * 3 / 4); // the margin: see the class comment
        poller.scheduleWithFixedDelay(this::scheduledPoll, every, every, TimeUnit.MILLISECONDS);
    }

    /** Applies every change not yet applied; a node calls it right after its own writes so it never waits on itself. */
    public void poll() {
        lock.lock();
        try {
            refresh(false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns at once when this node's copy is current (the last successful poll began at most one interval ago);
     * otherwise catches up first, or throws {@link Behind} when it cannot within a few seconds.
     */
    public void ensureCurrent() {
        if (monotonic.getAsLong() - currentAsOfNanos <= staleNanos || withinOutageGrace()) return;
        catchUp();
    }

    /**
     * The feed fails because the database is unavailable, and the last successful poll is at most the outage grace
     * older than the staleness bound: the copy in memory is still trusted. With the database down nothing can be
     * written to it — a revocation included — by any node that reaches it the same way, so what this node holds stays
     * right; past the grace, or for a node that was merely paused (its feed did not fail), it must catch up first. The
     * price (README, "When the database is unavailable"): a node cut off from a database the other nodes still reach
     * honours what they revoke meanwhile for up to the grace.
     */
    private boolean withinOutageGrace() {
        return databaseUnavailable && monotonic.getAsLong() - currentAsOfNanos <= staleNanos + outageGraceNanos;
    }

    private void catchUp() {
        if (failing) throw new Behind(null);
        try {
            if (!lock.tryLock(CATCH_UP_WAIT_MILLIS, TimeUnit.MILLISECONDS)) throw new Behind(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Behind(e);
        }
        try {
            long now = monotonic.getAsLong();
            if (now - currentAsOfNanos <= staleNanos) return; // another thread caught up while this one waited
            if (failing) { // failed while this thread waited
                if (withinOutageGrace()) return;
                throw new Behind(null);
            }
            refresh(false);
        } catch (Behind e) {
            throw e;
        } catch (RuntimeException e) {
            if (withinOutageGrace()) return;
            throw new Behind(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes old rows. The only write of a poll, and not needed for it: a database that refuses writes (a full disk,
     * a read-only file) must not fail the poll, or every request would be answered 503 while reads still work.
     */
    private void prune() {
        try {
            database.write(c -> Sql.update(c, "DELETE FROM change_log WHERE at < " + database.dialect().nowMillis + " - ?", RETENTION_MILLIS));
        } catch (DatabaseUnavailable e) {
            LOG.warning("change feed: old rows not pruned (" + e.reason.name().toLowerCase(java.util.Locale.ROOT) + "); tried again in a minute");
        }
    }

    private void scheduledPoll() {
        lock.lock();
        try {
            refresh(true);
            if (failedPolls > 0) {
                LOG.info("change feed reading again after " + failedPolls + " failed polls in "
                        + (System.currentTimeMillis() - failingSinceMillis) / 1000 + " s; everything missed was applied");
                failedPolls = 0;
            }
        } catch (RuntimeException e) {
            // one line per failure streak, not one per poll (five a second during an outage)
            if (failedPolls++ == 0) {
                failingSinceMillis = System.currentTimeMillis();
                LOG.warning("change feed poll failed (" + (e instanceof DatabaseUnavailable u ? u.reason.message : e.getClass().getSimpleName())
                        + "); credentials held in memory are " + (databaseUnavailable && outageGraceNanos > 0
                        ? "still honoured for " + TimeUnit.NANOSECONDS.toSeconds(outageGraceNanos) + " s, then requests are answered 503"
                        : "not trusted: requests are answered 503") + " until it recovers");
            }
        } finally {
            lock.unlock();
        }
    }

    /** Reads and applies what is new, then reloads everything if that is due. Holds the lock. */
    private void refresh(boolean scheduled) {
        long started = monotonic.getAsLong();
        if (started - currentAsOfNanos > STALL_NANOS) reloadDue = true;
        try {
            applyNew();
            if (started - lastPruneNanos > PRUNE_EVERY_NANOS) {
                lastPruneNanos = started;
                prune();
            }
            long now = clock.millis();
            // a clock set back counts as due too, so the backstop never waits on a clock's mistake
            if (reloadDue || scheduled && (now - lastFullReloadMillis >= fullReloadMillis || now < lastFullReloadMillis)) {
                for (Runnable reloader : reloaders) reloader.run();
                reloadDue = false;
                lastFullReloadMillis = now;
            }
            currentAsOfNanos = started;
            failing = false;
            databaseUnavailable = false;
        } catch (RuntimeException e) {
            // whatever the failed poll had taken in but not applied is covered by the reload that follows
            reloadDue = true;
            failing = true;
            databaseUnavailable = e instanceof DatabaseUnavailable;
            throw e;
        }
    }

    private void applyNew() {
        long from = highestSeq;
        List<Long> missing = List.copyOf(gaps.keySet());
        List<Object> parameters = new ArrayList<>(missing.size() + 1);
        parameters.add(from);
        parameters.addAll(missing);
        String sql = "SELECT " + columns() + " FROM change_log WHERE seq > ?"
                + (missing.isEmpty() ? "" : " OR seq IN (" + Sql.placeholders(missing.size()) + ")") + " ORDER BY seq";
        List<Change> fresh = database.read(c -> {
            List<Change> rows = Sql.list(c, sql, ChangeFeed::change, parameters.toArray());
            // the database's time is needed only to date gaps; most polls have none
            Long now = missing.isEmpty() && !skipsAbove(rows, from) ? null : databaseNow(c);
            return absorb(rows, now);
        });
        long read = System.nanoTime();
        for (Change change : fresh) {
            Consumer<Change> listener = change.kind() == null ? null : listeners.get(change.kind());
            if (listener != null) listener.accept(change);
            if (change.kind() != null) {
                lagObserver.applied(change.kind(), Math.max(0, change.ageMillis()) + (System.nanoTime() - read) / 1_000_000);
            }
        }
    }

    /**
     * Takes rows read in seq order into the position: returns those not taken before (a row above the highest, or one
     * filling a gap), records the numbers skipped below them as gaps, and gives up gaps past their bound.
     */
    private List<Change> absorb(List<Change> rows, Long databaseNow) {
        List<Change> fresh = new ArrayList<>();
        for (Change change : rows) {
            long seq = change.seq();
            if (seq > highestSeq) {
                // a jump larger than the gap memory: remember the numbers nearest the top, the reload stands in for the rest
                if (seq - highestSeq - 1 > MAX_GAPS) reloadDue = true;
                for (long missing = Math.max(highestSeq + 1, seq - MAX_GAPS); missing < seq; missing++) gaps.put(missing, databaseNow);
                highestSeq = seq;
                fresh.add(change);
            } else if (gaps.remove(seq) != null) {
                fresh.add(change);
            }
        }
        while (gaps.size() > MAX_GAPS) {
            gaps.pollFirstEntry();
            reloadDue = true;
        }
        if (databaseNow == null) return fresh; // no gaps before or after these rows
        for (Iterator<Long> firstMissed = gaps.values().iterator(); firstMissed.hasNext(); ) {
            if (databaseNow - firstMissed.next() > gapGiveUpMillis) {
                firstMissed.remove();
                reloadDue = true;
            }
        }
        return fresh;
    }

    /** True when the rows above {@code from} skip a number (so gaps will be recorded and need dating). */
    private static boolean skipsAbove(List<Change> rows, long from) {
        long expected = from + 1;
        for (Change change : rows) {
            if (change.seq() < expected) continue;
            if (change.seq() != expected) return true;
            expected++;
        }
        return false;
    }

    private long databaseNow(Connection c) throws SQLException {
        return Sql.one(c, "SELECT " + database.dialect().nowMillis, r -> r.getLong(1));
    }

    /** What {@link #change} reads: the row, and its age by the database's clock at the read. */
    private String columns() {
        return "seq, kind, workspace_id, entity_id, " + database.dialect().nowMillis + " - at";
    }

    /** A row; a kind this version does not know (written by a newer one) has no listener and is passed over. */
    private static Change change(java.sql.ResultSet r) throws SQLException {
        String kind = r.getString(2);
        Kind known = null;
        for (Kind k : Kind.values()) if (k.name().equals(kind)) known = k;
        return new Change(r.getLong(1), known, r.getString(3), r.getString(4), r.getLong(5));
    }

    @Override
    public void close() {
        if (poller != null) poller.shutdownNow();
    }
}
