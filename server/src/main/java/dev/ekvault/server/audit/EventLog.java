package dev.ekvault.server.audit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.DatabaseUnavailable;
import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.FailureStreak;
import dev.ekvault.server.store.Journal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * Entries for the frequent events that change nothing — reads of secret values ({@code view}) and token exchanges —
 * group-committed. A request hands its entry to one writer thread and waits; the writer takes every entry that arrived
 * while the previous group was being written and appends them all in one transaction, so a burst costs one commit,
 * and an idle server answers after one small transaction. The request is answered only once its entry is durable;
 * if the entry cannot be written, the request fails (500) and returns nothing.
 *
 * <p>A request's (virtual) thread parks until its entry's group has committed, without a timeout of its own: a timed
 * park schedules and cancels a timer for every read, which cost more than the entry's share of the commit. Nothing
 * waits without a bound all the same: {@link #failOverdue} fails an entry still unwritten after {@value #WAIT_SECONDS} s.
 * (Answering from the writer's side instead, the request's thread ended and the answer written when the group commits,
 * measured dearer still: Jetty then finishes each exchange on a thread of its own pool.)
 */
public final class EventLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventLog.class.getName());
    private static final int MAX_GROUP = 512;
    /** The shortest time between the starts of two groups (pacing, not a clock of the domain: see writeGroups). */
    private static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A read waits this long for its entry before failing: the database is stalled, and the value must not go out. */
    private static final long WAIT_SECONDS = 10;

    /** An entry waiting for its group; one that {@code mayBeHeld} (an exchange) is held when the database cannot take it. */
    private record Pending(AuditEntry draft, CompletableFuture<Void> durable, long queuedMillis, boolean mayBeHeld) {}
    /**
     * Exchange entries the database could not take (it was unavailable: down, stalled, disk full), written first by the
     * next group that commits; the writer thread's own. An exchange is answered meanwhile, so SDK clients keep their
     * JWTs through an outage (issue 18); a read of values never is (its entry is durable before the value goes out).
     * Bounded: past {@value #MAX_HELD} held entries, exchanges are refused like reads.
     */
    private final List<AuditEntry> held = new ArrayList<>();
    private volatile int heldCount;
    static final int MAX_HELD = 10_000;
    private static final Pending[] NONE = new Pending[0];

    private final boolean recordReads;
    private final Database database;
    private final AuditStore store;
    private final AuditDevice device;
    private final Clock clock;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /**
     * The canonical text of the fields recently recorded: the same read (the same names of the same environment) and
     * every exchange repeat them, and sorting and writing them was a tenth of an audited read's own work. Keyed by the
     * fields themselves (callers never change a map or list once they have handed it over).
     */
    private final Cache<Map<String, Object>, String> canonicalFields = Caffeine.newBuilder().maximumSize(1_000).build();
    /**
     * What the group being written has stored so far, and the drafts it came from (by identity): on PostgreSQL each
     * chain of a group is a transaction of its own, and when one fails the others' entries are durable all the same —
     * their requests are answered, their entries go to the device, and an exchange among them is not held to be
     * written again.
     */
    private final List<AuditEntry> storedOfGroup = new ArrayList<>();
    private final java.util.Set<AuditEntry> draftsStored = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private Thread writer;
    private long lastGroup = System.nanoTime() - MIN_INTERVAL_NANOS;
    /** The group being written, for {@link #failOverdue} (the writer's own list is not safe to read from elsewhere). */
    private volatile Pending[] writing = NONE;
    private volatile boolean closed;
    private final FailureStreak groupFailures = new FailureStreak(LOG, "writing the audit entries of reads and exchanges");

    public EventLog(boolean recordReads, Database database, AuditStore store, AuditDevice device, Clock clock) {
        this.recordReads = recordReads;
        this.database = database;
        this.store = store;
        this.device = device;
        this.clock = clock;
    }

    /**
     * Records that this thread's actor read secret values, and returns once the entry is durable. {@code fields} name
     * what was read (secret names, environments), never a value. Nothing is recorded when reads are not audited.
     */
    public void read(String workspaceId, String entityId, String projectId, String environmentId, Map<String, Object> fields) {
        if (recordReads) record(Actor.current(), "view", "secret", workspaceId, entityId, projectId, environmentId, fields, false);
    }

    /**
     * A token exchange (an API token or a cluster token for a JWT), durable before the JWT goes out — unless the database
     * cannot take it (unavailable), when it is held in memory and written once the database is back ({@link #held}):
     * the exchanging credential is the actor, at the address the request came from; {@code reused} when the answer is a
     * JWT the credential was issued earlier, with {@code lifetimeSeconds} left.
     */
    public void exchanged(Caller caller, long lifetimeSeconds, boolean reused) {
        Actor request = Actor.current();
        record(new Actor(caller.userId(), caller.credentialId(), caller.kind().wire, request.clientAddress(), request.requestId()),
                "exchange", "credential", caller.workspaceId(), caller.credentialId(), null, null,
                Journal.fields("kind", caller.kind().wire, "jwtLifetimeSeconds", lifetimeSeconds, "reused", reused ? Boolean.TRUE : null), true);
    }

    private void record(Actor actor, String action, String entityType, String workspaceId, String entityId, String projectId,
                        String environmentId, Map<String, Object> fields, boolean mayBeHeld) {
        long now = clock.millis();
        AuditEntry draft = new AuditEntry(workspaceId, 0, null, now, actor.userId(), actor.credentialId(),
                actor.credentialKind(), actor.clientAddress(), actor.requestId(), action, entityType, entityId, projectId, environmentId,
                null, fields == null ? null : canonicalFields.get(fields, AuditLog::canonical), "success", null, null);
        Pending pending = new Pending(draft, new CompletableFuture<>(), now, mayBeHeld);
        if (closed) throw new IllegalStateException("the audit log is closed; the request is refused");
        queue.add(pending);
        try {
            pending.durable().get(); // bounded by failOverdue
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while its audit entry was written; the request is refused", e);
        } catch (ExecutionException e) {
            // the database could not take the entry (down, stalled past the bound, disk full): the request answers 503
            // or 507 like any other that needs the database (gateway/ApiHandler), not 500
            if (e.getCause() instanceof DatabaseUnavailable unavailable) throw unavailable;
            if (e.getCause() instanceof TimeoutException) {
                throw new DatabaseUnavailable(DatabaseUnavailable.Reason.UNREACHABLE, new java.sql.SQLTimeoutException("audit entry overdue"));
            }
            throw new IllegalStateException("the request's audit entry could not be written; the request is refused", e);
        }
    }

    /** How many entries wait to be written: queued, and in the group being written (a backlog that grows is a stalled database). */
    public int backlog() {
        return queue.size() + writing.length + heldCount;
    }

    /**
     * Fails every entry that has waited longer than {@value #WAIT_SECONDS} s (the database is stalled): its request is
     * refused rather than held. Run every second by the audit feature; an entry failed here may still be written later,
     * which records a read that was refused — never the other way round.
     */
    public void failOverdue() {
        long now = clock.millis();
        long limit = TimeUnit.SECONDS.toMillis(WAIT_SECONDS);
        for (Pending p : writing) if (now - p.queuedMillis() > limit) p.durable().completeExceptionally(new TimeoutException("audit entry overdue"));
        for (Pending p : queue) {
            if (now - p.queuedMillis() <= limit) break; // oldest first
            p.durable().completeExceptionally(new TimeoutException("audit entry overdue"));
        }
    }

    public void start() {
        writer = Thread.ofPlatform().daemon().name("ek-audit-views").start(this::writeGroups);
    }

    private void writeGroups() {
        List<Pending> group = new ArrayList<>();
        while (!closed || !queue.isEmpty()) {
            Pending first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (first != null) writeGroup(first, group);
        }
    }

    /**
     * Writes {@code first} and what queued behind it as one group, and answers their requests. A method of its own, not
     * the body of the writer's loop: a loop that never returns is compiled on the stack, and the JIT compiled and
     * discarded that compilation again and again half a minute into a load.
     */
    private void writeGroup(Pending first, List<Pending> group) {
        try {
            group.add(first);
            // groups start at most every MIN_INTERVAL: an entry that finds the writer idle for that long is written
            // at once (no added wait at a low rate); under load, the entries of that interval share one commit
            // instead of each waking the writer for a group of two or three. Also at 1,000 reads a second, where an entry
            // often waits up to the interval: starting a group at once whenever the one before held a single entry cut
            // the p50 by 0.2 ms but raised the p99 (3.6-8.8 ms against 3.5-3.9, a sync for nearly every read)
            long wait = lastGroup + MIN_INTERVAL_NANOS - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            lastGroup = System.nanoTime();
            queue.drainTo(group, MAX_GROUP - 1);
            writing = group.toArray(Pending[]::new);
            List<AuditEntry> drafts = new ArrayList<>(held.size() + group.size());
            drafts.addAll(held);
            for (Pending p : group) drafts.add(p.draft());
            List<AuditEntry> written = append(drafts);
            storedOfGroup.clear(); // all of it stored: what follows cannot leave a part of the group unwritten
            draftsStored.clear();
            groupFailures.succeeded();
            forgetHeld();
            group.forEach(p -> p.durable().complete(null));
            device.write(written);
        } catch (RuntimeException e) {
            groupFailures.failed(e); // those requests are refused (503 when the database is away), exchanges held
            boolean unavailable = DatabaseUnavailable.in(e) != null;
            held.removeIf(draftsStored::contains); // held exchanges of a chain that was stored: written, not to be again
            if (!storedOfGroup.isEmpty()) device.write(storedOfGroup);
            for (Pending p : group) {
                if (draftsStored.contains(p.draft())) {
                    p.durable().complete(null); // stored by the group's first step: durable
                } else if (unavailable && p.mayBeHeld() && held.size() < MAX_HELD) {
                    held.add(p.draft());
                    p.durable().complete(null);
                } else {
                    p.durable().completeExceptionally(e);
                }
            }
            heldCount = held.size();
        } catch (Error e) {
            LOG.warning("a group of " + group.size() + " audit entries was not written (" + e.getClass().getSimpleName()
                    + "); those requests are refused");
            group.forEach(p -> p.durable().completeExceptionally(e));
        } finally {
            group.clear();
            storedOfGroup.clear();
            draftsStored.clear();
            writing = NONE;
        }
    }

    /**
     * Appends a group's drafts (held exchanges first). On SQLite in one transaction. On PostgreSQL one transaction a
     * chain ({@link AuditStore#append}: one round trip when this node knows the chain's head), so a chain whose append
     * fails — its advisory lock held elsewhere past the statement timeout, say — fails its own entries only: the other
     * chains' are stored and their requests answered. Once the database is away, the chains left are not tried.
     */
    private List<AuditEntry> append(List<AuditEntry> drafts) {
        if (database.dialect() != Dialect.POSTGRESQL) return database.write(c -> store.append(c, drafts));
        Map<String, List<AuditEntry>> byChain = new java.util.LinkedHashMap<>();
        for (AuditEntry draft : drafts) byChain.computeIfAbsent(draft.workspaceId(), w -> new ArrayList<>()).add(draft);
        RuntimeException failure = null;
        for (List<AuditEntry> chain : byChain.values()) {
            try {
                storedOfGroup.addAll(database.write(c -> store.append(c, chain)));
                draftsStored.addAll(chain);
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                DatabaseUnavailable unavailable = DatabaseUnavailable.in(e);
                if (unavailable != null && unavailable.databaseAway()) break; // not one chain's timed-out lock
            }
        }
        if (failure != null) throw failure;
        return List.copyOf(storedOfGroup);
    }

    private void forgetHeld() {
        if (held.isEmpty()) return;
        LOG.info(held.size() + " exchange audit entries held while the database was unavailable are written");
        held.clear();
        heldCount = 0;
    }

    /** Writes what is queued, then stops; requests that need an entry after this are refused. */
    @Override
    public void close() {
        closed = true;
        if (writer == null) return;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // whatever the writer did not take in time is refused, not left waiting
        for (Pending p : queue) p.durable().completeExceptionally(new IllegalStateException("the audit log closed first"));
        if (heldCount > 0) LOG.warning(heldCount + " exchange audit entries held while the database was unavailable could not be written before shutdown");
    }
}
