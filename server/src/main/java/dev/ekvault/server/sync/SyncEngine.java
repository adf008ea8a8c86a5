package dev.ekvault.server.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.FailureStreak;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.sync.SyncStore.SyncRow;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.workspace.EnvironmentStore;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

/**
 * The sync engine. Driven by the change journal, never by polling the secrets: inside every write that changes a
 * shared value (or renames, deletes or restores a secret), the syncs of that environment (or project) are marked as
 * having a change, in the same transaction — so a committed change is never missed, even if the node dies at once.
 * Any node's worker then pushes a sync whose changes have settled for the coalescing window (many changes, one push),
 * holding a lease in the database so exactly one node pushes it; a node that dies mid-push loses its lease when it
 * expires and another node takes over. A failure backs off exponentially with jitter, or as long as the target's
 * rate-limit answer asks. What the target holds is known from the sealed state of the last push: each push carries
 * what changed and what was deleted since, and writes are idempotent, so a retry after a crash does no harm.
 */
public final class SyncEngine {
    private static final Logger LOG = Logger.getLogger(SyncEngine.class.getName());
    private final FailureStreak roundFailures = new FailureStreak(LOG, "the sync worker's round");

    /** Reads an environment's shared values, references resolved, with a caller's rights (the secrets feature's read). */
    @FunctionalInterface
    public interface ValueReader {
        Map<String, String> read(Caller caller, String workspaceId, String projectId, String environmentId);
    }

    /** The due, announced reminders of an environment's shared values, each with a stable id (the reminders feature's read). */
    @FunctionalInterface
    public interface DueReminders {
        Map<String, SyncTarget.Reminder> due(String environmentId);
    }

    /** The pushed state's entries for reminders delivered: a prefix no secret key can hold (keys are [A-Za-z0-9_-]). */
    static final String REMINDER_ENTRY = "reminder:";

    private final Database database;
    private final SyncStore store;
    private final Map<String, SyncTarget> targets;
    private final SyncSeal seal;
    private final SyncService service;
    private final ValueReader values;
    private final DueReminders reminders;
    private final WorkspaceStore workspaces;
    private final EnvironmentStore environments;
    private final ObjectMapper json;
    private final Clock clock;
    private final Config.Sync config;
    /** This node's name on a lease. */
    private final String node = UUID.randomUUID().toString();

    SyncEngine(Database database, SyncStore store, Map<String, SyncTarget> targets, SyncSeal seal, SyncService service, ValueReader values,
               DueReminders reminders, WorkspaceStore workspaces, EnvironmentStore environments, ObjectMapper json, Clock clock, Config.Sync config) {
        this.database = database;
        this.store = store;
        this.targets = targets;
        this.seal = seal;
        this.service = service;
        this.values = values;
        this.reminders = reminders;
        this.workspaces = workspaces;
        this.environments = environments;
        this.json = json;
        this.clock = clock;
        this.config = config;
    }

    /**
     * The journal's in-transaction subscriber: marks the syncs a write's changes concern. Personal overrides never sync.
     * A reminder announced as due on a shared value marks its environment's syncs too: the push delivers it.
     */
    void beforeCommit(Connection c, List<Journal.Change> changes) throws SQLException {
        Set<String> environmentIds = null;
        Set<String> projectIds = null;
        for (Journal.Change change : changes) {
            boolean dueReminder = change.entityType().equals("secret-reminder") && change.action().equals("due");
            if ((change.entityType().equals("secret-value") || dueReminder) && change.environmentId() != null) {
                if (change.after() != null && Boolean.TRUE.equals(change.after().get("personal"))) continue;
                if (environmentIds == null) environmentIds = new HashSet<>();
                environmentIds.add(change.environmentId());
            } else if (change.entityType().equals("secret") && change.projectId() != null && touchesEveryEnvironment(change)) {
                if (projectIds == null) projectIds = new HashSet<>();
                projectIds.add(change.projectId());
            }
        }
        if (environmentIds == null && projectIds == null) return;
        store.markChanged(c, environmentIds == null ? Set.of() : environmentIds, projectIds == null ? Set.of() : projectIds, clock.millis());
    }

    /**
     * A change of a secret itself that every environment's copy must follow: a rename, a delete, a restore. (A create
     * or a value change arrives as the values' own changes; an update that keeps the name changes nothing a target holds.)
     */
    private static boolean touchesEveryEnvironment(Journal.Change change) {
        return switch (change.action()) {
            case "delete", "restore" -> true;
            case "update" -> change.before() != null && change.after() != null
                    && !java.util.Objects.equals(change.before().get("name"), change.after().get("name"));
            default -> false;
        };
    }

    /** How many active syncs have changes not yet pushed, across every node (one count statement, for the metrics). */
    public long pending() {
        return database.read(store::pendingCount);
    }

    /** Pushes every sync that is due now; returns how many pushes succeeded. The worker calls it; so may a test. */
    public int runDue() {
        long now = clock.millis();
        List<String> due = database.read(c -> store.due(c, now, now - config.coalesce().toMillis(), 20));
        int pushed = 0;
        for (String id : due) if (pushOne(id)) pushed++;
        return pushed;
    }

    private boolean pushOne(String id) {
        long now = clock.millis();
        if (!database.write(c -> store.acquire(c, id, node, now, now + config.lease().toMillis()))) return false; // another node has it
        SyncRow sync = database.read(c -> store.find(c, id));
        if (sync == null) return false;
        long seq = sync.changeSeq();
        try {
            SyncTarget target = targets.get(sync.provider());
            if (target == null) throw new SyncTarget.Failure("this server has no '" + sync.provider() + "' provider", null);
            Map<String, String> current = read(sync);
            Map<String, String> before = state(sync);
            Map<String, String> after = new TreeMap<>();
            Set<String> changed = new TreeSet<>();
            for (Map.Entry<String, String> e : current.entrySet()) {
                String hash = hash(e.getValue());
                after.put(e.getKey(), hash);
                if (!hash.equals(before.get(e.getKey()))) changed.add(e.getKey());
            }
            Set<String> deleted = new TreeSet<>();
            for (String key : before.keySet()) if (!key.startsWith(REMINDER_ENTRY) && !current.containsKey(key)) deleted.add(key);
            // due reminders: an occurrence not delivered yet goes with this push; the state keeps the ones still due
            // (a completed one drops out, so its next occurrence is delivered afresh)
            List<SyncTarget.Reminder> dueNow = new ArrayList<>();
            for (Map.Entry<String, SyncTarget.Reminder> e : reminders.due(sync.environmentId()).entrySet()) {
                SyncTarget.Reminder reminder = e.getValue();
                if (!current.containsKey(reminder.key())) continue; // a value the sync does not push (a reference that did not resolve)
                String entry = REMINDER_ENTRY + e.getKey();
                after.put(entry, reminder.nextReminderDate());
                if (!reminder.nextReminderDate().equals(before.get(entry))) dueNow.add(reminder);
            }
            if (!changed.isEmpty() || !deleted.isEmpty() || !dueNow.isEmpty() || sync.pushedState() == null) {
                String environmentName = database.read(c -> {
                    EnvironmentStore.EnvironmentRow env = environments.find(c, sync.workspaceId(), sync.environmentId());
                    return env == null ? "" : env.name();
                });
                target.push(new SyncTarget.Push(sync.id(), sync.id() + ":" + seq, service.settings(sync), credential(sync), environmentName,
                        current, changed, deleted, sync.sendValues(), sync.deleteMissing(), clock.millis(), List.copyOf(dueNow)));
            }
            byte[] sealed = seal.seal(sync.id(), "state", json.writeValueAsBytes(after));
            return database.write(c -> store.succeeded(c, sync, node, seq, sealed, clock.millis(), Journal.fields("provider", sync.provider(),
                    "changed", List.copyOf(changed), "deleted", sync.deleteMissing() ? List.copyOf(deleted) : null, "keys", current.size(),
                    "reminders", dueNow.isEmpty() ? null : dueNow.stream().map(SyncTarget.Reminder::key).toList())));
        } catch (SyncTarget.Failure failure) {
            failed(sync, failure.getMessage(), failure.retryAfterMillis());
        } catch (ApiException e) {
            failed(sync, e.getMessage(), null); // the read refused: a reference that does not resolve, access lost
        } catch (RuntimeException | JsonProcessingException e) {
            // by its kind only: a message or a trace might hold what the push carried
            LOG.warning("sync " + sync.id() + " failed (" + e.getClass().getSimpleName() + ")");
            failed(sync, "internal error (" + e.getClass().getSimpleName() + ")", null);
        }
        return false;
    }

    private void failed(SyncRow sync, String reason, Long retryAfterMillis) {
        int attempts = sync.attempts() + 1;
        long delay = retryAfterMillis != null ? Math.max(retryAfterMillis, 1000) : backoff(attempts);
        long now = clock.millis();
        database.write(c -> {
            store.failed(c, sync, node, attempts, now + delay, reason, now);
            return null;
        });
    }

    /** Exponential from one second, capped, with jitter (half to all of it) so that many syncs do not retry in step. */
    private long backoff(int attempts) {
        long ceiling = Math.min(config.maxBackoff().toMillis(), 1000L << Math.min(attempts - 1, 20));
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }

    /** The environment's values with the rights of the admin who set the sync up, as they are now (role and scope). */
    private Map<String, String> read(SyncRow sync) throws SyncTarget.Failure {
        WorkspaceStore.Member member = database.read(c -> workspaces.findMember(c, sync.workspaceId(), sync.createdBy()));
        if (member == null) throw new SyncTarget.Failure("the admin who set this sync up is no longer a member of the workspace", null);
        Credential acting = new Credential(sync.id(), sync.workspaceId(), Credential.Kind.STATIC, "sync " + sync.name(), "", Permission.READ,
                member.scope(), false, sync.createdBy(), sync.createdAt(), null, null, null, null);
        Caller caller = new Caller(sync.workspaceId(), sync.createdBy(), acting, member.role(), Permission.READ, member.scope());
        return values.read(caller, sync.workspaceId(), sync.projectId(), sync.environmentId());
    }

    private String credential(SyncRow sync) {
        return sync.credential() == null ? null : new String(seal.open(sync.id(), "credential", sync.credential()), StandardCharsets.UTF_8);
    }

    private Map<String, String> state(SyncRow sync) {
        if (sync.pushedState() == null) return Map.of();
        try {
            return json.readValue(seal.open(sync.id(), "state", sync.pushedState()), new TypeReference<Map<String, String>>() {});
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a sync's pushed state is not readable", e);
        }
    }

    private static String hash(String value) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Worker loop body: never throws (a failure is logged by kind and the next round tries again). */
    void tick() {
        try {
            runDue();
            roundFailures.succeeded();
        } catch (RuntimeException e) {
            roundFailures.failed(e);
        }
    }
}
