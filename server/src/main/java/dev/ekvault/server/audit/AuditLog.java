package dev.ekvault.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.workspace.UserStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The audit log's writer. It subscribes to the change journal inside the transaction, so every change a write says it
 * made becomes an entry that commits or rolls back with the write, with the thread's {@link Actor}. Events that are
 * not a write of their own (a refused request, a token exchange) are journaled as audit-only changes by
 * {@link #event}, in a transaction of their own.
 */
public final class AuditLog implements Journal.InTransaction, Journal.Subscriber {
    /** Sorted keys: the stored before/after text is canonical, so the chain can be checked from the stored text alone. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());
    /** The entries this thread's transaction appended, for the device once it commits. */
    private static final ThreadLocal<List<AuditEntry>> APPENDED = new ThreadLocal<>();

    private final Database database;
    private final AuditStore store;
    private final AuditDevice device;
    private final Clock clock;
    private final UserStore users = new UserStore();

    public AuditLog(Database database, AuditStore store, AuditDevice device, Clock clock) {
        this.database = database;
        this.store = store;
        this.device = device;
        this.clock = clock;
    }

    /**
     * The audit log of a command that opens the store to make its one write ({@code init}, {@code set-password},
     * {@code owner-token}, {@code rotate-jwt-key}): its changes are entries like any other, by the operator at the
     * machine (the operating-system user in the client-address column, the command as the request).
     */
    public static void forCommand(Database database, Clock clock, String command) {
        AuditLog log = new AuditLog(database, new AuditStore(), AuditDevice.NONE, clock);
        database.journal().subscribeInTransactionLast(log);
        database.journal().subscribe(log);
        Actor.set(new Actor(null, null, "operator", "local user " + System.getProperty("user.name"), command));
    }

    /** After the transaction: its entries go to the device if it committed (a rolled-back entry never existed). */
    @Override
    public void afterWrite(List<Journal.Change> changes, boolean committed) {
        List<AuditEntry> written = APPENDED.get(); // null for the many writes with no entry (no allocation for them)
        if (written == null) return;
        APPENDED.remove();
        if (committed) device.write(written);
    }

    /**
     * Logs each chain's head (workspace, sequence number, hash) so that a log system outside the database holds a
     * notarised point: a chain rewritten from its start would no longer reach a logged head.
     */
    public void logHeads() {
        List<AuditStore.Head> heads = database.read(c -> {
            List<AuditStore.Head> found = new ArrayList<>();
            for (String chain : store.chains(c)) found.add(store.head(c, chain));
            return found;
        });
        for (AuditStore.Head head : heads) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("audit", "head");
            line.put("workspaceId", head.workspaceId());
            line.put("seq", head.seq());
            line.put("hash", head.hash());
            LOG.log(Level.INFO, "audit chain head", line);
        }
    }

    @Override
    public void beforeCommit(Connection c, List<Journal.Change> changes) throws SQLException {
        Actor actor = Actor.current();
        long now = clock.millis();
        List<AuditEntry> drafts = new ArrayList<>(changes.size());
        for (Journal.Change change : changes) {
            if (change.action() == null) continue;
            String workspaceId = change.workspaceId() == null ? "" : change.workspaceId();
            String before = canonical(change.before());
            String after = canonical(change.after());
            drafts.add(draft(workspaceId, now, actor, change, before, after));
            if (workspaceId.isEmpty() && "user".equals(change.entityType()) && change.entityId() != null) {
                // a person's account belongs to no workspace (its chain is ""), but each workspace they are a member of
                // must see what happens to it — a failed sign-in, a lock-out, a new password: the entry goes to each of
                // those chains too (as of this transaction, so a sign-up's account is in the workspace it creates)
                for (String member : users.workspaceIds(c, change.entityId())) drafts.add(draft(member, now, actor, change, before, after));
            }
        }
        if (drafts.isEmpty()) return;
        List<AuditEntry> appended = APPENDED.get();
        if (appended == null) APPENDED.set(appended = new ArrayList<>());
        // the transaction's last work (the journal runs this subscriber last); on PostgreSQL it also commits
        appended.addAll(store.appendOfWrite(c, drafts));
    }

    private static AuditEntry draft(String workspaceId, long now, Actor actor, Journal.Change change, String before, String after) {
        return new AuditEntry(workspaceId, 0, null, now, actor.userId(), actor.credentialId(), actor.credentialKind(),
                actor.clientAddress(), actor.requestId(), change.action(), change.entityType(), change.entityId(), change.projectId(),
                change.environmentId(), before, after, outcome(change.action()), null, null);
    }

    /** Failures are entries too; what the action names decides the outcome column. */
    static String outcome(String action) {
        return action.equals("refused") ? "refused" : action.endsWith("-failed") ? "failure" : "success";
    }

    /** Records something that happened outside a write (its own transaction), with this thread's actor. */
    public void event(Journal.Change change) {
        database.write(c -> {
            Journal.changed(c, change);
            return null;
        });
    }

    static String canonical(Map<String, Object> fields) {
        if (fields == null) return null;
        String flat = flatCanonical(fields);
        if (flat != null) return flat;
        try {
            return CANONICAL.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("audit fields must be plain JSON values", e);
        }
    }

    /**
     * {@link #canonical} written by hand, exactly as the mapper writes it (keys in {@code String} order, no spaces, text
     * escaped by Jackson's own encoder), for the common fields: text, booleans, whole numbers, nulls and lists of text.
     * Null for anything else, which the mapper writes. A bulk create's hundred entries are built under the database's
     * writer, and the mapper (a sorted copy of each map, a generator each) was a fifth of the audit's cost there.
     */
    static String flatCanonical(Map<String, Object> fields) {
        String[] keys = fields.keySet().toArray(new String[0]);
        for (String key : keys) if (key == null) return null;
        java.util.Arrays.sort(keys);
        StringBuilder out = new StringBuilder(32 * keys.length + 2).append('{');
        for (int i = 0; i < keys.length; i++) {
            if (i > 0) out.append(',');
            AuditEntry.quoted(out, keys[i]).append(':');
            Object value = fields.get(keys[i]);
            if (value instanceof java.util.List<?> list) {
                out.append('[');
                for (int j = 0; j < list.size(); j++) {
                    if (j > 0) out.append(',');
                    if (!scalar(out, list.get(j))) return null;
                }
                out.append(']');
            } else if (!scalar(out, value)) {
                return null;
            }
        }
        return out.append('}').toString();
    }

    /** Writes text, a boolean, a whole number or null; false (nothing usable written) for anything else. */
    private static boolean scalar(StringBuilder out, Object value) {
        switch (value) {
            case null -> out.append("null");
            case String text -> AuditEntry.quoted(out, text);
            case Boolean b -> out.append(b.booleanValue());
            case Integer n -> out.append(n.intValue());
            case Long n -> out.append(n.longValue());
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * A chain's verification: how many entries matched, and where the chain first breaks — the sequence number due
     * there and the id of the entry found in its place (both null when every entry matched).
     */
    public record Verification(String workspaceId, long checked, Long firstBadSeq, String firstBadId, String problem) {
        public boolean intact() {
            return firstBadSeq == null;
        }
    }

    /**
     * A chain's head as {@link #logHeads} logged it and a log system outside the database kept: the entry numbered
     * {@code seq} had hash {@code hash}. A chain verifies on its own from its first entry, so a chain cut short at its
     * end, or rebuilt from its start by someone who can write the database, still verifies; against a head kept
     * elsewhere it does not.
     */
    public record NotarisedHead(long seq, String hash) {
        private static final java.util.regex.Pattern SEQ = java.util.regex.Pattern.compile("[1-9][0-9]{0,17}");
        private static final java.util.regex.Pattern HASH = java.util.regex.Pattern.compile("[0-9a-f]{64}");

        /**
         * The head named by text (a query's or a command line's), null when neither part is given; an
         * {@link IllegalArgumentException} naming the part ({@code 'seq'} or {@code 'hash'}) that is missing or malformed.
         */
        public static NotarisedHead parse(String seq, String hash) {
            if (seq == null && hash == null) return null;
            if (seq == null || !SEQ.matcher(seq).matches()) {
                throw new IllegalArgumentException("'seq' must be the notarised head's sequence number (a whole number from 1)");
            }
            if (hash == null || !HASH.matcher(hash).matches()) {
                throw new IllegalArgumentException("'hash' must be the notarised head's hash (64 lowercase hexadecimal digits)");
            }
            return new NotarisedHead(Long.parseLong(seq), hash);
        }
    }

    /**
     * Walks a workspace's chain from its first entry: each must carry the next sequence number (a gap is a removed entry,
     * a repeat an inserted one), the previous entry's hash, and the hash its content gives (an edited field); each
     * stored group must read as entries and its row's columns must match them. The first place that fails is reported
     * (the sequence number due there, so {@code checked} is one less); the walk stops there. When {@code notarised} is
     * given, the chain must also reach that head and hold its hash there: a chain that ends before it lost its newest
     * entries (reported where it ends, with no entry found there), and an entry there with another hash belongs to a
     * chain rewritten up to it.
     */
    public static Verification verify(Connection c, AuditStore store, String workspaceId, NotarisedHead notarised) throws SQLException {
        ChainWalk walk = new ChainWalk(workspaceId, notarised);
        store.walkGroups(c, workspaceId, walk::check);
        return walk.result();
    }

    /** The state of one verification as it walks a chain's groups in order. */
    private static final class ChainWalk {
        private final String workspaceId;
        private final NotarisedHead notarised;
        private long due = 1;
        private String previous = AuditEntry.GENESIS;
        private Verification bad;

        ChainWalk(String workspaceId, NotarisedHead notarised) {
            this.workspaceId = workspaceId;
            this.notarised = notarised;
        }

        void check(AuditStore.Group group) {
            if (bad != null) return;
            List<AuditEntry> entries;
            try {
                entries = group.entries();
            } catch (IllegalArgumentException e) {
                fail(group.firstId(), "its group's stored text does not read as entries (the row was changed)");
                return;
            }
            for (AuditEntry entry : entries) {
                String problem = entry.seq() != due ? "sequence " + entry.seq() + " where " + due + " was due (an entry was removed or inserted)"
                        : !previous.equals(entry.prevHash()) ? "its previous hash is not the hash of the entry before it (entries were removed, inserted or reordered)"
                        : !entry.computeHash().equals(entry.hash()) ? "its content does not give its hash (the entry was changed)"
                        : notarised != null && entry.seq() == notarised.seq() && !notarised.hash().equals(entry.hash())
                        ? "its hash is not the notarised head's (the chain was rewritten up to here)"
                        : null;
                if (problem != null) {
                    fail(entry.id(), problem);
                    return;
                }
                due++;
                previous = entry.hash();
            }
            // every entry matched: the row's own columns must find them (reported at the group's first entry)
            String problem = group.columnsProblem(entries);
            if (problem != null) {
                due -= entries.size();
                fail(entries.getFirst().id(), problem);
            }
        }

        private void fail(String id, String problem) {
            bad = new Verification(workspaceId, due - 1, due, id, problem);
        }

        Verification result() {
            if (bad == null && notarised != null && due <= notarised.seq()) {
                // no entry stands where the chain ends: firstBadId stays null
                fail(null, "the chain ends at entry " + (due - 1) + ", before the notarised head " + notarised.seq()
                        + " (its newest entries were removed)");
            }
            return bad != null ? bad : new Verification(workspaceId, due - 1, null, null, null);
        }
    }

    public AuditStore store() {
        return store;
    }
}
