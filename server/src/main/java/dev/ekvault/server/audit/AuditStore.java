package dev.ekvault.server.audit;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.ekvault.server.store.DatabaseUnavailable;
import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.DeferredWrites;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The {@code audit_block} table: append and read, nothing else (the database refuses UPDATE and DELETE as well). A
 * row is a group of one workspace's entries appended together — a write's transaction, or a group-commit of reads
 * and exchanges — so a group costs one insert however many entries it holds. The row holds its entries' export lines
 * (each entry's canonical form with its own hash, chained to the entry before), oldest first, and the columns that
 * find it: the first and last sequence numbers, the first entry's id (entry {@code i}'s id is derived from it, see
 * {@link AuditEntry#entryId}), the earliest and latest time, and the last hash (the chain's head after it).
 *
 * <p>Appending takes the workspace chain's head under a lock that lasts until the transaction ends — on PostgreSQL an
 * advisory transaction lock per workspace, on SQLite the single writer — so two nodes appending at once never fork the
 * chain: the second waits, then reads the first one's group as its head.
 *
 * <p>On PostgreSQL an instance is also this node's side of its chains ({@link #append} says how): one instance per
 * node, shared by every appender of the node.
 */
public final class AuditStore {
    private static final String COLUMNS = "workspace_id, seq, last_seq, first_id, min_at, max_at, hash, entries";
    /** The high bits of every audit lock key, so they never meet the migrations' advisory lock. */
    private static final long LOCK_SPACE = 0x6175_6469_0000_0000L; // "audi"
    /** Groups read per statement when paging or walking (a group holds at most a few hundred entries). */
    private static final int GROUPS_PER_READ = 16;
    /** The most entries one row holds (entry ids number them in 16 bits; a larger write's entries take several rows). */
    private static final int MAX_GROUP = 4_096;
    /** This node's chain locks on PostgreSQL, by a hash of the workspace id (two chains may share one: they then queue together here). */
    private static final int CHAIN_LOCKS = 64;
    /** The most chains whose committed head the node keeps (beyond, it forgets them all and learns them again). */
    private static final int MAX_KNOWN_HEADS = 10_000;
    /** PostgreSQL's not_null_violation: the head check of {@link #appendAfterCommittedHeads} found the head moved. */
    private static final String HEAD_MOVED = "23502";

    private final ReentrantLock[] chainLocks = new ReentrantLock[CHAIN_LOCKS];
    /** The head each chain had when this node's last append to it committed (PostgreSQL only). */
    private final Map<String, Head> committedHeads = new ConcurrentHashMap<>();
    private final Duration lockWait;

    /** Waits for a chain lock of this node at most as long as the database's statements may take ({@code lockWait}). */
    public AuditStore(Duration lockWait) {
        this.lockWait = lockWait;
        for (int i = 0; i < CHAIN_LOCKS; i++) chainLocks[i] = new ReentrantLock();
    }

    /** A store that waits for a chain lock of this node at most 5 s (the default statement timeout). */
    public AuditStore() {
        this(Duration.ofSeconds(5));
    }

    /** What the query route may filter on; null fields do not filter. */
    public record Filter(String actorUserId, String credentialId, String action, String entityId, String projectId,
                         String environmentId, Long from, Long to) {
        boolean matches(AuditEntry e) {
            return same(actorUserId, e.actorUserId()) && same(credentialId, e.credentialId()) && same(action, e.action())
                    && same(entityId, e.entityId()) && same(projectId, e.projectId()) && same(environmentId, e.environmentId())
                    && (from == null || e.at() >= from) && (to == null || e.at() < to);
        }

        private static boolean same(String wanted, String value) {
            return wanted == null || wanted.equals(value);
        }
    }

    /** A chain's newest entry: its workspace, sequence number and hash. */
    public record Head(String workspaceId, long seq, String hash) {}

    /** One stored group: its row's columns and its entries' lines ({@code \n} between them). */
    public record Group(String workspaceId, long seq, long lastSeq, String firstId, long minAt, long maxAt, String hash, String lines) {
        /** Its entries, oldest first; a line that does not read as an entry is an {@link IllegalArgumentException}. */
        public List<AuditEntry> entries() {
            List<AuditEntry> entries = new ArrayList<>();
            int from = 0;
            while (from <= lines.length()) {
                int end = lines.indexOf('\n', from);
                if (end < 0) end = lines.length();
                String line = lines.substring(from, end);
                entries.add(entries.isEmpty() ? AuditEntry.parse(line)
                        : AuditEntry.parse(line, entries.getLast(), entries.getFirst()));
                from = end + 1;
            }
            return entries;
        }

        /**
         * Null when the row's columns say what its entries say (they find the entries: a changed column would hide an
         * entry from a query or from its id), else what differs.
         */
        String columnsProblem(List<AuditEntry> entries) {
            AuditEntry first = entries.getFirst();
            AuditEntry last = entries.getLast();
            // the row's columns first: a tampered line may hold null anywhere
            if (first.seq() != seq || last.seq() != lastSeq || !firstId.equals(first.id()) || !hash.equals(last.hash())) {
                return "its group's row does not match its entries (sequence numbers, id or hash)";
            }
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (int i = 0; i < entries.size(); i++) {
                AuditEntry e = entries.get(i);
                if (!workspaceId.equals(e.workspaceId()) || !AuditEntry.entryId(firstId, i).equals(e.id())) {
                    return "its group's row does not match its entries (workspace or id)";
                }
                min = Math.min(min, e.at());
                max = Math.max(max, e.at());
            }
            return min == minAt && max == maxAt ? null : "its group's row does not match its entries (times)";
        }
    }

    /**
     * Appends entries, in order, to their workspaces' chains as the last work of the caller's transaction: each draft's
     * seq, id, prevHash and hash are ignored and set here. Each workspace's entries become one row (several past
     * {@value #MAX_GROUP} entries): the first entry as its export line, each later one as a compact line
     * ({@link AuditEntry#compactLine}, what differs from the entry before). The entries of one row repeat most of their
     * fields: reads of the same secrets differ in the time and the request, a bulk create's in the secret. Returns the
     * stored entries.
     *
     * <p>On SQLite the single writer is the chains' lock, and the caller's transaction commits later (with its group).
     *
     * <p>On PostgreSQL this also <em>commits the caller's transaction</em>, under this node's lock of each chain: the
     * node's own appenders of a chain queue for that lock rather than in PostgreSQL's queue for the chain's advisory
     * lock, and the one whose turn it is knows the head this node last committed. It then sends one message: a
     * savepoint, the advisory locks (sorted, so two transactions that touch the same two chains cannot deadlock), each
     * row inserted only as the next of its chain, and the COMMIT: one round trip while the chain is locked, where taking
     * the lock with the head, inserting and committing took three, each holding back every writer of the workspace on
     * every node. A chain whose head the node does not know takes two: the locks with the heads, then the rows with the
     * COMMIT. When another node appended meanwhile, the head check fails the message before its COMMIT, and the next
     * message rolls back to the savepoint before it takes the locks with the heads: three, as every append took before.
     */
    public List<AuditEntry> append(Connection c, List<AuditEntry> drafts) throws SQLException {
        return append(c, drafts, false);
    }

    /**
     * {@link #append} for a write's entries: on PostgreSQL its COMMIT does not wait for the log's sync under the chain's
     * lock ({@link #COMMIT_UNSYNCED}), and the call returns once the sync is done ({@link #awaitLogSynced}). A group of
     * reads' entries keeps the synced COMMIT: it holds no row lock another write waits for, and the wait's extra
     * transaction for every group cost PostgreSQL a tenth of a core at 1,000 audited reads a second.
     */
    public List<AuditEntry> appendOfWrite(Connection c, List<AuditEntry> drafts) throws SQLException {
        return append(c, drafts, true);
    }

    private List<AuditEntry> append(Connection c, List<AuditEntry> drafts, boolean unsynced) throws SQLException {
        Map<String, List<AuditEntry>> byWorkspace = new LinkedHashMap<>();
        for (AuditEntry draft : drafts) byWorkspace.computeIfAbsent(draft.workspaceId(), w -> new ArrayList<>()).add(draft);
        if (Dialect.of(c) != Dialect.POSTGRESQL) {
            Map<String, Head> heads = new HashMap<>();
            for (String workspaceId : byWorkspace.keySet()) heads.put(workspaceId, head(c, workspaceId));
            List<AuditEntry> stored = new ArrayList<>(drafts.size());
            Sql.batch(c, INSERT, rows(byWorkspace, heads, stored));
            return stored;
        }
        List<ReentrantLock> locked = lockChains(byWorkspace.keySet());
        boolean committed = false;
        List<AuditEntry> stored;
        try {
            // read once: another chain's append may clear the map meanwhile (past MAX_KNOWN_HEADS)
            Map<String, Head> knownHeads = new HashMap<>();
            for (Map.Entry<String, List<AuditEntry>> chain : byWorkspace.entrySet()) {
                Head head = chain.getValue().size() <= MAX_GROUP ? committedHeads.get(chain.getKey()) : null;
                if (head != null) knownHeads.put(chain.getKey(), head);
            }
            boolean known = knownHeads.size() == byWorkspace.size();
            stored = known ? appendAfterCommittedHeads(c, byWorkspace, knownHeads, unsynced) : null;
            if (stored == null) {
                Map<String, Head> heads = lockedHeads(c, byWorkspace.keySet(), known);
                stored = new ArrayList<>(drafts.size());
                insertAndCommit(c, rows(byWorkspace, heads, stored), unsynced);
            }
            committed = true;
            if (committedHeads.size() > MAX_KNOWN_HEADS) committedHeads.clear();
            for (AuditEntry e : stored) committedHeads.put(e.workspaceId(), new Head(e.workspaceId(), e.seq(), e.hash()));
        } finally {
            // a failed commit may have taken effect: the head is then unknown, and the next append reads it
            if (!committed) byWorkspace.keySet().forEach(committedHeads::remove);
            for (ReentrantLock lock : locked.reversed()) lock.unlock();
        }
        if (unsynced) awaitLogSynced(c);
        return stored;
    }

    /**
     * The COMMIT of an append on PostgreSQL, told not to wait for the sync of PostgreSQL's log: the chain's lock (and
     * the write's row locks) are let go as soon as the commit is in the log, not once the disk has it, so the next
     * appender of the chain no longer waits out every sync in turn (64 connections updating one workspace ran at
     * 250-330 a second, one sync after another). The append does not return before the sync all the same
     * ({@link #awaitLogSynced}): nothing is answered before it is durable. What another transaction may see meanwhile
     * is in the log before anything it then writes: an audited read of it is answered only once its own entry is
     * synced, which is later in the log; a crash before the sync loses this commit and everything that followed it
     * together, so the chain never has a gap.
     */
    private static final String COMMIT_UNSYNCED = "SET LOCAL synchronous_commit TO OFF; COMMIT";

    /**
     * Returns once PostgreSQL's log is synced past the commit just made on {@code c}: a transaction that has a
     * transaction id and has written to the log commits with a sync (the server's default), and a sync takes the whole
     * log up to it, this commit included. It writes the smallest record there is, a logical message (no table; nothing
     * replays it): with an id alone and no record, PostgreSQL commits without a sync (pg_walinspect showed the log
     * unsynced past the write when it was answered). Concurrent appenders share the syncs (PostgreSQL syncs everything
     * written so far for each waiter it finds behind).
     */
    private static void awaitLogSynced(Connection c) throws SQLException {
        try (var statement = c.prepareStatement("SELECT pg_current_xact_id(); SELECT pg_logical_emit_message(false, 'ek.synced', ''); COMMIT")) {
            statement.execute();
        }
    }

    private static final String INSERT = "INSERT INTO audit_block (" + COLUMNS + ") VALUES (" + Sql.placeholders(8) + ")";

    /** Each chain's rows, chained after its head in {@code heads}; the entries they hold added to {@code stored}. */
    private static List<Object[]> rows(Map<String, List<AuditEntry>> byWorkspace, Map<String, Head> heads, List<AuditEntry> stored) {
        List<Object[]> rows = new ArrayList<>(byWorkspace.size());
        for (Map.Entry<String, List<AuditEntry>> chain : byWorkspace.entrySet()) {
            Head head = heads.get(chain.getKey());
            List<AuditEntry> all = chain.getValue();
            for (int from = 0; from < all.size(); from += MAX_GROUP) {
                rows.add(row(chain.getKey(), all.subList(from, Math.min(from + MAX_GROUP, all.size())), head, stored));
                AuditEntry last = stored.getLast();
                head = new Head(chain.getKey(), last.seq(), last.hash());
            }
        }
        return rows;
    }

    /**
     * This node's locks of the chains, taken in a fixed order (by index) and each waited for no longer than a statement
     * may take: a write stuck behind a stalled append fails as busy (503), as it would waiting for the advisory lock.
     */
    private List<ReentrantLock> lockChains(java.util.Set<String> workspaceIds) {
        TreeSet<Integer> indexes = new TreeSet<>();
        for (String workspaceId : workspaceIds) indexes.add(Math.floorMod(workspaceId.hashCode(), CHAIN_LOCKS));
        List<ReentrantLock> locked = new ArrayList<>(indexes.size());
        try {
            for (int index : indexes) {
                ReentrantLock lock = chainLocks[index];
                if (!lock.tryLock(lockWait.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new DatabaseUnavailable(DatabaseUnavailable.Reason.BUSY, new SQLException("waited too long for an audit chain's lock"));
                }
                locked.add(lock);
            }
            return locked;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            for (ReentrantLock lock : locked.reversed()) lock.unlock();
            throw new DatabaseUnavailable(DatabaseUnavailable.Reason.BUSY, new SQLException("interrupted waiting for an audit chain's lock"));
        } catch (RuntimeException e) {
            for (ReentrantLock lock : locked.reversed()) lock.unlock();
            throw e;
        }
    }

    /**
     * The one-message append and commit of {@link #append}, when this node knows every chain's head and each chain's
     * drafts fit one row; null when a head moved (nothing stored; the transaction, failed, must roll back to its
     * savepoint). A row whose chain's newest hash is not the one it was chained to gets a null sequence number, which
     * the table refuses: the message fails there, before its COMMIT.
     */
    private static List<AuditEntry> appendAfterCommittedHeads(Connection c, Map<String, List<AuditEntry>> byWorkspace,
                                                             Map<String, Head> knownHeads, boolean unsynced) throws SQLException {
        // the write's queued statements first, before the savepoint: a head that moved rolls back to it and keeps them
        DeferredWrites.Queued queued = DeferredWrites.take(c);
        StringBuilder sql = new StringBuilder(queued == null ? "" : queued.sql()).append("SAVEPOINT ek_audit; ");
        List<Object> parameters = new ArrayList<>(queued == null ? List.of() : queued.parameters());
        for (String workspaceId : new TreeSet<>(byWorkspace.keySet())) {
            sql.append("SELECT pg_advisory_xact_lock(?); ");
            parameters.add(lockKey(workspaceId));
        }
        List<AuditEntry> stored = new ArrayList<>();
        for (Map.Entry<String, List<AuditEntry>> chain : byWorkspace.entrySet()) {
            Head head = knownHeads.get(chain.getKey());
            Object[] row = row(chain.getKey(), chain.getValue(), head, stored);
            sql.append("INSERT INTO audit_block (" + COLUMNS + ") SELECT ?, CASE WHEN (" + HEAD_HASH + ") = ? THEN ? END, "
                    + Sql.placeholders(6) + "; ");
            parameters.add(row[0]);
            parameters.add(chain.getKey());
            parameters.add(head.hash());
            parameters.addAll(Arrays.asList(row).subList(1, row.length));
        }
        sql.append(unsynced ? COMMIT_UNSYNCED : "COMMIT");
        try (var statement = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < parameters.size(); i++) Sql.bind(statement, i + 1, parameters.get(i));
            statement.execute();
        } catch (SQLException e) {
            if (!HEAD_MOVED.equals(e.getSQLState())) throw e;
            return null;
        }
        return stored;
    }

    /** The rows inserted and the transaction committed, in one message. */
    private static void insertAndCommit(Connection c, List<Object[]> rows, boolean unsynced) throws SQLException {
        DeferredWrites.Queued queued = DeferredWrites.take(c); // nothing, unless queued after the locks were taken
        String sql = (queued == null ? "" : queued.sql()) + (INSERT + "; ").repeat(rows.size()) + (unsynced ? COMMIT_UNSYNCED : "COMMIT");
        try (var statement = c.prepareStatement(sql)) {
            int index = 1;
            if (queued != null) for (Object value : queued.parameters()) Sql.bind(statement, index++, value);
            for (Object[] row : rows) for (Object value : row) Sql.bind(statement, index++, value);
            statement.execute();
        }
    }

    /**
     * One row: the drafts chained after {@code head} (null: the chain's first), each added to {@code stored}; the first
     * entry as its export line, the others as compact lines.
     */
    private static Object[] row(String workspaceId, List<AuditEntry> group, Head head, List<AuditEntry> stored) {
        long seq = head == null ? 0 : head.seq();
        String previous = head == null ? AuditEntry.GENESIS : head.hash();
        String firstId = AuditEntry.newGroupId(group.getFirst().at());
        StringBuilder lines = new StringBuilder(1024 + group.size() * 200);
        long minAt = Long.MAX_VALUE;
        long maxAt = Long.MIN_VALUE;
        AuditEntry last = null;
        for (int i = 0; i < group.size(); i++) {
            AuditEntry entry;
            if (i > 0) {
                entry = group.get(i).chainedEntry(++seq, AuditEntry.entryId(firstId, i), previous);
                lines.append('\n').append(entry.compactLine(last));
            } else {
                AuditEntry.Chained chained = group.get(i).chained(++seq, AuditEntry.entryId(firstId, i), previous);
                entry = chained.entry();
                lines.append(chained.line());
            }
            previous = entry.hash();
            minAt = Math.min(minAt, entry.at());
            maxAt = Math.max(maxAt, entry.at());
            stored.add(entry);
            last = entry;
        }
        return new Object[] {workspaceId, seq - group.size() + 1, seq, firstId, minAt, maxAt, previous, lines.toString()};
    }

    /**
     * Up to {@code limit} of a workspace's entries that match the filter, newest first, below sequence number
     * {@code before} (null: from the newest). Groups are read newest first; the database passes over those that
     * cannot hold a match (by time, and by the filtered fields' text), and each group's entries are matched here.
     */
    public List<AuditEntry> page(Connection c, String workspaceId, Filter f, Long before, int limit) throws SQLException {
        StringBuilder where = new StringBuilder(" WHERE workspace_id = ?");
        List<Object> parameters = new ArrayList<>(List.of(workspaceId));
        condition(where, parameters, "max_at >= ?", f.from());
        condition(where, parameters, "min_at < ?", f.to());
        contains(where, parameters, "actorUserId", f.actorUserId());
        contains(where, parameters, "credentialId", f.credentialId());
        contains(where, parameters, "action", f.action());
        contains(where, parameters, "entityId", f.entityId());
        contains(where, parameters, "projectId", f.projectId());
        contains(where, parameters, "environmentId", f.environmentId());
        String sql = "SELECT " + COLUMNS + " FROM audit_block" + where + " AND seq < ? ORDER BY seq DESC LIMIT " + GROUPS_PER_READ;
        List<AuditEntry> found = new ArrayList<>();
        long below = before == null ? Long.MAX_VALUE : before;
        while (found.size() < limit) {
            parameters.add(below);
            List<Group> groups = Sql.list(c, sql, AuditStore::read, parameters.toArray());
            parameters.removeLast();
            for (Group group : groups) {
                List<AuditEntry> entries = group.entries();
                for (int i = entries.size() - 1; i >= 0 && found.size() < limit; i--) {
                    AuditEntry e = entries.get(i);
                    if (e.seq() < below && f.matches(e)) found.add(e);
                }
                below = Math.min(below, group.seq());
            }
            if (groups.size() < GROUPS_PER_READ) break;
        }
        return found;
    }

    private static void condition(StringBuilder sql, List<Object> parameters, String condition, Object value) {
        if (value == null) return;
        sql.append(" AND ").append(condition);
        parameters.add(value);
    }

    /**
     * Passes over groups whose text cannot hold {@code "field":"value"}; only where the value's JSON form is its plain
     * text (an escaped form might be written differently), and as a coarse test: the entries are matched field by field.
     */
    private static void contains(StringBuilder sql, List<Object> parameters, String field, String value) {
        if (value == null || !new String(JsonStringEncoder.getInstance().quoteAsString(value)).equals(value)) return;
        String needle = "\"" + field + "\":\"" + value + "\"";
        condition(sql, parameters, "entries LIKE ? ESCAPE '!'", "%" + needle.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
    }

    /** One entry by its id, or null. */
    public AuditEntry one(Connection c, String workspaceId, String id) throws SQLException {
        String group = AuditEntry.groupId(id);
        for (Group g : Sql.list(c, "SELECT " + COLUMNS + " FROM audit_block WHERE workspace_id = ? AND first_id IN (?, ?)", AuditStore::read,
                workspaceId, id, group == null ? id : group)) {
            for (AuditEntry e : g.entries()) if (e.id().equals(id)) return e;
        }
        return null;
    }

    /** Every group of a workspace's chain in order, a few at a time (an export or a verification reads millions of entries). */
    public void walkGroups(Connection c, String workspaceId, Consumer<Group> each) throws SQLException {
        long after = Long.MIN_VALUE;
        while (true) {
            List<Group> batch = Sql.list(c, "SELECT " + COLUMNS + " FROM audit_block WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT "
                    + GROUPS_PER_READ, AuditStore::read, workspaceId, after);
            batch.forEach(each);
            if (batch.size() < GROUPS_PER_READ) return;
            after = batch.getLast().seq();
        }
    }

    /** Every entry of a workspace's chain in order. */
    public void walk(Connection c, String workspaceId, Consumer<AuditEntry> each) throws SQLException {
        walkGroups(c, workspaceId, group -> group.entries().forEach(each));
    }

    /** The newest entry's sequence number and hash, or null when the chain has none. */
    public Head head(Connection c, String workspaceId) throws SQLException {
        return Sql.one(c, HEAD, r -> new Head(workspaceId, r.getLong(1), r.getString(2)), workspaceId);
    }

    private static final String HEAD = "SELECT last_seq, hash FROM audit_block WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1";
    private static final String HEAD_HASH = "SELECT hash FROM audit_block WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1";

    /** A chain's advisory lock on PostgreSQL. */
    static long lockKey(String workspaceId) {
        return LOCK_SPACE | (workspaceId.hashCode() & 0xffff_ffffL);
    }

    /**
     * On PostgreSQL: takes the chains' locks (sorted: two transactions that touch the same two chains cannot deadlock),
     * then reads their heads, in one round trip, for an append whose chains' heads this node does not know (or another
     * node moved: {@code afterFailedCheck}, and the message first rolls the transaction back to the savepoint before
     * that check). The heads are read after the locks are granted: PostgreSQL executes the statements in order and
     * each later one takes its own snapshot (read committed), so it sees the group the previous holder committed (a
     * head read before the lock fails {@code AuditContract.twoNodesWritingAtOnceKeepOneChain}). A null head: a chain
     * with no entry yet.
     */
    private static Map<String, Head> lockedHeads(Connection c, java.util.Set<String> workspaceIds, boolean afterFailedCheck) throws SQLException {
        List<String> sorted = List.copyOf(new TreeSet<>(workspaceIds));
        // the write's queued statements ahead of the locks (after a failed check they went with that message)
        DeferredWrites.Queued queued = DeferredWrites.take(c);
        StringBuilder sql = new StringBuilder(afterFailedCheck ? "ROLLBACK TO SAVEPOINT ek_audit; " : "");
        if (queued != null) sql.append(queued.sql());
        sql.append("SELECT pg_advisory_xact_lock(?); ".repeat(sorted.size()));
        sql.append((HEAD + "; ").repeat(sorted.size()));
        Map<String, Head> heads = new HashMap<>();
        try (var statement = c.prepareStatement(sql.toString())) {
            int index = 1;
            if (queued != null) for (Object value : queued.parameters()) Sql.bind(statement, index++, value);
            for (String workspaceId : sorted) statement.setLong(index++, lockKey(workspaceId));
            for (String workspaceId : sorted) statement.setString(index++, workspaceId);
            boolean isResultSet = statement.execute();
            int resultSets = 0;
            while (isResultSet || statement.getUpdateCount() != -1) {
                if (isResultSet && resultSets++ >= sorted.size()) { // the locks' results come first
                    String workspaceId = sorted.get(resultSets - 1 - sorted.size());
                    try (ResultSet r = statement.getResultSet()) {
                        heads.put(workspaceId, r.next() ? new Head(workspaceId, r.getLong(1), r.getString(2)) : null);
                    }
                }
                isResultSet = statement.getMoreResults();
            }
        }
        if (heads.size() != sorted.size()) throw new SQLException("the chains' heads were not all answered after their locks");
        return heads;
    }

    /** The workspaces that have a chain ({@code ""} among them when anything belonged to none). */
    public List<String> chains(Connection c) throws SQLException {
        return Sql.list(c, "SELECT DISTINCT workspace_id FROM audit_block ORDER BY workspace_id", r -> r.getString(1));
    }

    private static Group read(ResultSet r) throws SQLException {
        return new Group(r.getString(1), r.getLong(2), r.getLong(3), r.getString(4), r.getLong(5), r.getLong(6), r.getString(7), r.getString(8));
    }
}
