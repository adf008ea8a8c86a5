package dev.ekvault.server.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.DatabaseUnavailable;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's in-memory copy of everything authentication needs: every credential (by token hash and by id, revoked
 * and expired ones included) and every membership. Loaded at start and kept current by the {@link ChangeFeed} (one
 * entity per change row, and all of it again as the feed's periodic backstop), so a request is authenticated without a
 * database read.
 *
 * <p>A token hash not in the snapshot may belong to a credential another node created a moment ago, before this node
 * polled: it is looked up once in the database; a miss is remembered briefly, so repeating a bad token stays cheap.
 * Such look-ups are rationed ({@value #MISS_LOOKUPS_PER_SECOND} a second): a flood of made-up tokens, each new, would
 * otherwise cost a database read apiece. Past the ration an unknown token is refused without one; the only token that
 * can be refused wrongly so is one another node created since this node's last change-feed poll, used here during a
 * flood, and it works from the next poll on (within {@code access.change-poll-millis}).
 *
 * <p><b>When the database cannot be asked</b> ({@link DatabaseUnavailable}), what is not in memory is unknown: a token,
 * credential or membership this node does not hold is refused with 401, never 500 or 503, and the failed look-up is
 * not remembered as a miss. That is right because this snapshot is current as of the feed's last successful poll (the
 * request got here only through {@link ChangeFeed#ensureCurrent}, within {@code access.outage-grace-seconds} of it):
 * a credential the database holds and this node does not was created since, and the only one refused wrongly so is
 * one created on another node in the last poll interval before the database went away; it works once it is back.
 */
public final class AccessSnapshot {
    private final Database database;
    private final CredentialStore credentials;
    private final WorkspaceStore workspaces;
    private final Map<String, Credential> byId = new ConcurrentHashMap<>();
    private final Map<String, String> idByHash = new ConcurrentHashMap<>();
    private final Map<String, WorkspaceStore.Member> members = new ConcurrentHashMap<>();
    private final Cache<String, Boolean> recentMisses;
    static final int MISS_LOOKUPS_PER_SECOND = 200;
    /** The current second (its low 20 bits) and the look-ups taken in it: {@code second << 44 | count}. */
    private final AtomicLong missLookups = new AtomicLong();

    public AccessSnapshot(Database database, CredentialStore credentials, WorkspaceStore workspaces, Duration missMemory) {
        this.database = database;
        this.credentials = credentials;
        this.workspaces = workspaces;
        this.recentMisses = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(missMemory).build();
    }

    /**
     * Loads every credential and membership, and forgets those no longer in the database: at start, and as the change
     * feed's backstop (which calls it after taking its position, so nothing committed meanwhile is lost).
     */
    public void loadAll() {
        Set<String> credentialIds = new HashSet<>();
        Set<String> memberKeys = new HashSet<>();
        database.read(c -> {
            for (CredentialStore.Stored stored : credentials.listAll(c)) {
                put(stored);
                credentialIds.add(stored.credential().id());
            }
            for (WorkspaceStore.Member member : workspaces.listMembers(c)) {
                String key = memberKey(member.workspaceId(), member.userId());
                members.put(key, member);
                memberKeys.add(key);
            }
            return null;
        });
        // one created elsewhere after the read and already looked up here is dropped too, and simply looked up again
        byId.keySet().retainAll(credentialIds);
        idByHash.values().retainAll(credentialIds);
        members.keySet().retainAll(memberKeys);
    }

    public Credential credentialByTokenHash(String tokenHash) {
        String knownId = idByHash.get(tokenHash);
        Credential known = knownId == null ? null : byId.get(knownId);
        if (known != null || recentMisses.getIfPresent(tokenHash) != null) return known;
        if (!mayLookUpMiss()) return null;
        CredentialStore.Stored stored;
        try {
            stored = database.read(c -> {
                CredentialStore.Stored found = credentials.findByTokenHash(c, tokenHash);
                if (found != null && workspaces.findMember(c, found.credential().workspaceId(), found.credential().createdBy()) instanceof WorkspaceStore.Member m) {
                    members.put(memberKey(m.workspaceId(), m.userId()), m);
                }
                return found;
            });
        } catch (DatabaseUnavailable e) {
            return null; // unknown, and not remembered as a miss (see the class comment)
        }
        if (stored == null) {
            recentMisses.put(tokenHash, Boolean.TRUE);
            return null;
        }
        put(stored);
        return stored.credential();
    }

    /** Takes one of this second's database look-ups for unknown token hashes, if any is left. */
    private boolean mayLookUpMiss() {
        long second = System.nanoTime() / 1_000_000_000L;
        while (true) {
            long current = missLookups.get();
            long count = current >>> 44 == (second & 0xFFFFF) ? current & 0xFFFFFFFFFFFL : 0;
            if (count >= MISS_LOOKUPS_PER_SECOND) return false;
            long next = (second & 0xFFFFF) << 44 | (count + 1);
            if (missLookups.compareAndSet(current, next)) return true;
        }
    }

    public Credential credentialById(String id) {
        return byId.get(id);
    }

    /**
     * A credential by id; one this node has not loaded — created on another node since this node's last change-feed
     * poll — is read once from the database, and a miss is remembered briefly. Only for ids that come from stored rows
     * or from a JWT our nodes signed, so no caller can make this read at will: a JWT exchanged on one node works on
     * every node on its first use.
     */
    public Credential credentialByIdReadingMisses(String id) {
        Credential known = byId.get(id);
        String missKey = "credential/" + id;
        if (known != null || recentMisses.getIfPresent(missKey) != null) return known;
        CredentialStore.Stored stored;
        try {
            stored = database.read(c -> credentials.findById(c, id));
        } catch (DatabaseUnavailable e) {
            return null;
        }
        if (stored == null) {
            recentMisses.put(missKey, Boolean.TRUE);
            return null;
        }
        put(stored);
        return stored.credential();
    }

    /**
     * A membership, from memory; one not in memory (added on another node a moment ago, before its change row was
     * polled) is looked up once, and a miss is remembered briefly like a token miss.
     */
    public WorkspaceStore.Member member(String workspaceId, String userId) {
        String key = memberKey(workspaceId, userId);
        WorkspaceStore.Member known = members.get(key);
        if (known != null || recentMisses.getIfPresent(key) != null) return known;
        WorkspaceStore.Member found;
        try {
            found = database.read(c -> workspaces.findMember(c, workspaceId, userId));
        } catch (DatabaseUnavailable e) {
            return null;
        }
        if (found == null) recentMisses.put(key, Boolean.TRUE);
        else members.put(key, found);
        return found;
    }

    /** Re-reads one credential (a change feed row said it changed); a deleted one disappears. */
    public void reloadCredential(String id) {
        CredentialStore.Stored stored = database.read(c -> credentials.findById(c, id));
        if (stored == null) {
            byId.remove(id);
            idByHash.values().remove(id);
        } else {
            put(stored);
        }
    }

    public void reloadMember(String workspaceId, String userId) {
        WorkspaceStore.Member member = database.read(c -> workspaces.findMember(c, workspaceId, userId));
        String key = memberKey(workspaceId, userId);
        if (member == null) {
            members.remove(key);
        } else {
            members.put(key, member);
            recentMisses.invalidate(key);
        }
    }

    private void put(CredentialStore.Stored stored) {
        byId.put(stored.credential().id(), stored.credential());
        if (stored.tokenHash() != null) { // workload identities have no token
            idByHash.put(stored.tokenHash(), stored.credential().id());
            recentMisses.invalidate(stored.tokenHash());
        }
    }

    private static String memberKey(String workspaceId, String userId) {
        return workspaceId + '/' + userId;
    }
}
