package dev.ekvault.server.audit;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.ekvault.server.store.Dialect;
import dev.ekvault.server.store.Sql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
 */
public final class AuditStore {
    private static final String COLUMNS = "workspace_id, seq, last_seq, first_id, min_at, max_at, hash, entries";
    /** The high bits of every audit lock key, so they never meet the migrations' advisory lock. */
    private static final long LOCK_SPACE = 0x6175_6469_0000_0000L; // "audi"
    /** Groups read per statement when paging or walking (a group holds at most a few hundred entries). */
    private static final int GROUPS_PER_READ = 16;
    /** The most entries one row holds (entry ids number them in 16 bits; a larger write's entries take several rows). */
    private static final int MAX_GROUP = 4_096;

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
     * Appends entries, in order, to their workspaces' chains inside the caller's transaction: each draft's seq, id,
     * prevHash and hash are ignored and set here. Each chain's head is locked and read once, and each workspace's
     * entries become one row (several past {@value #MAX_GROUP} entries): the first entry as its export line, each later
     * one as a compact line ({@link AuditEntry#compactLine}, what differs from the entry before). The entries of one
     * row repeat most of their fields: reads of the same secrets differ in the time and the request, a bulk create's in
     * the secret. Returns the stored entries.
     */
    public List<AuditEntry> append(Connection c, List<AuditEntry> drafts) throws SQLException {
        boolean postgres = Dialect.of(c) == Dialect.POSTGRESQL;
        Map<String, List<AuditEntry>> byWorkspace = new LinkedHashMap<>();
        for (AuditEntry draft : drafts) byWorkspace.computeIfAbsent(draft.workspaceId(), w -> new ArrayList<>()).add(draft);
        Map<String, Head> heads = new HashMap<>();
        // locks in a fixed order (sorted workspace ids): two transactions that touch the same two chains cannot deadlock
        for (String workspaceId : new TreeSet<>(byWorkspace.keySet())) {
            heads.put(workspaceId, postgres ? lockedHead(c, workspaceId) : head(c, workspaceId));
        }
        List<AuditEntry> stored = new ArrayList<>(drafts.size());
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
        Sql.batch(c, "INSERT INTO audit_block (" + COLUMNS + ") VALUES (" + Sql.placeholders(8) + ")", rows);
        return stored;
    }

    /** What {@link #appendAfterKnownHeads} did: the entries it stored, and the drafts of chains whose head had moved. */
    public record Appended(List<AuditEntry> stored, List<AuditEntry> stale) {}

    /**
     * On PostgreSQL, on a connection in autocommit mode ({@code Database.autocommitted}): appends the drafts of chains
     * whose heads the caller knows in one round trip instead of {@link #append}'s three (the lock with the head, the
     * insert, the commit). One message takes each chain's lock (sorted, as append does), then inserts each chain's row
     * only if the chain's newest row still has the hash the row was chained to. PostgreSQL runs the message as one
     * transaction, and each INSERT reads with a snapshot taken after the locks were granted ({@link #lockedHead} says
     * why that matters), so a row goes in only as the next of its chain, and no other node appends to that chain until
     * the message commits. A chain whose head moved (another node, or a write of this node, appended to it) gets
     * nothing: its drafts come back as stale, for {@link #append}. Every draft's chain must be in {@code known}, and each
     * chain's drafts must fit one row.
     */
    public Appended appendAfterKnownHeads(Connection c, List<AuditEntry> drafts, Map<String, Head> known) throws SQLException {
        Map<String, List<AuditEntry>> byWorkspace = new java.util.TreeMap<>();
        for (AuditEntry draft : drafts) byWorkspace.computeIfAbsent(draft.workspaceId(), w -> new ArrayList<>()).add(draft);
        StringBuilder sql = new StringBuilder();
        List<Object> parameters = new ArrayList<>();
        for (String workspaceId : byWorkspace.keySet()) {
            sql.append("SELECT pg_advisory_xact_lock(?); ");
            parameters.add(lockKey(workspaceId));
        }
        List<List<AuditEntry>> storedByChain = new ArrayList<>();
        for (Map.Entry<String, List<AuditEntry>> chain : byWorkspace.entrySet()) {
            Head head = known.get(chain.getKey());
            if (head == null || chain.getValue().size() > MAX_GROUP) throw new IllegalArgumentException("a chain not known, or more than a row");
            List<AuditEntry> stored = new ArrayList<>(chain.getValue().size());
            parameters.addAll(List.of(row(chain.getKey(), chain.getValue(), head, stored)));
            sql.append("INSERT INTO audit_block (" + COLUMNS + ") SELECT " + Sql.placeholders(8) + " WHERE (" + HEAD_HASH + ") = ?; ");
            parameters.add(chain.getKey());
            parameters.add(head.hash());
            storedByChain.add(stored);
        }
        List<AuditEntry> stored = new ArrayList<>(drafts.size());
        List<AuditEntry> stale = new ArrayList<>();
        try (var statement = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < parameters.size(); i++) Sql.bind(statement, i + 1, parameters.get(i));
            statement.execute(); // the first lock's result; the others follow, then each insert's count
            for (int i = 1; i < byWorkspace.size(); i++) statement.getMoreResults();
            int chain = 0;
            for (List<AuditEntry> chainDrafts : byWorkspace.values()) {
                statement.getMoreResults();
                if (statement.getUpdateCount() == 1) stored.addAll(storedByChain.get(chain));
                else stale.addAll(chainDrafts);
                chain++;
            }
        }
        return new Appended(stored, stale);
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
     * On PostgreSQL: takes the chain's lock, then reads its head, in one round trip instead of two, for every write and
     * every group of audited reads. A group's cost here is its round trips' socket calls: at 1,000 audited reads a
     * second the audit writer's CPU fell from 158-160 to 131-135 µs a read, the server's from 383-405 to 337-350
     * (bench/README, 2026-12-07 10:43). The head is still read after the lock is granted: PostgreSQL executes the
     * statements in order and the second takes its own snapshot (read committed), so it sees the group the previous
     * holder committed (a head read before the lock fails {@code AuditContract.twoNodesWritingAtOnceKeepOneChain}).
     */
    private static Head lockedHead(Connection c, String workspaceId) throws SQLException {
        try (var statement = c.prepareStatement("SELECT pg_advisory_xact_lock(?); " + HEAD)) {
            statement.setLong(1, lockKey(workspaceId));
            statement.setString(2, workspaceId);
            statement.execute();
            if (!statement.getMoreResults()) throw new SQLException("the chain's head was not answered after its lock");
            try (ResultSet r = statement.getResultSet()) {
                return r.next() ? new Head(workspaceId, r.getLong(1), r.getString(2)) : null;
            }
        }
    }

    /** The workspaces that have a chain ({@code ""} among them when anything belonged to none). */
    public List<String> chains(Connection c) throws SQLException {
        return Sql.list(c, "SELECT DISTINCT workspace_id FROM audit_block ORDER BY workspace_id", r -> r.getString(1));
    }

    private static Group read(ResultSet r) throws SQLException {
        return new Group(r.getString(1), r.getLong(2), r.getLong(3), r.getString(4), r.getLong(5), r.getLong(6), r.getString(7), r.getString(8));
    }
}
