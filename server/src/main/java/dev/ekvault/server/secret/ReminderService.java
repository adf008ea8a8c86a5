package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.api.ReminderInfo;
import dev.ekvault.api.ReminderPage;
import dev.ekvault.api.SecretReminder;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.secret.ReminderStore.Listed;
import dev.ekvault.server.secret.ReminderStore.ReminderRow;
import dev.ekvault.server.secret.SecretStore.SecretRow;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.JsonInput;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.workspace.WorkspaceService;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reminders on secret values (issue 14, part 3). A value (shared, or a person's own override) may carry one:
 * {@code one_time}, or {@code recurring} every {@code intervalDays}. It is set or cleared through the secret's update
 * ({@code values[].reminder}, checked like the value: a writer, within scope, a personal one only on the caller's own
 * override); listed for the workspace (what the caller may see: environments in scope, its own personal ones); completed
 * (a one-time reminder goes, a recurring one moves to its next occurrence after now); and each due occurrence is
 * announced once, by whichever node's job claims it first ({@link #announceDue}): a journalled {@code due} change,
 * which the audit log keeps and a sync or webhook subscriber can deliver.
 */
public final class ReminderService {
    static final int MIN_INTERVAL_DAYS = 1;
    static final int MAX_INTERVAL_DAYS = 3650;
    /** How far ahead a reminder may be set: ten years. */
    static final long MAX_AHEAD_MILLIS = 3650L * 86_400_000L;
    public static final int DEFAULT_PAGE = 100;
    public static final int MAX_PAGE = 500;
    /** Rows a list reads per statement, and statements per request: a narrow scope in a big workspace stops there and pages on. */
    private static final int SCAN_BATCH = 200;
    private static final int MAX_SCAN_BATCHES = 20;
    /** Occurrences one run of the job announces (the next run takes the rest). */
    static final int ANNOUNCE_BATCH = 500;
    private static final Pattern CURSOR = Pattern.compile("(\\d{1,19})\\.([0-9a-f-]{36})");

    /** A values entry's {@code reminder}: a schedule to set, or {@link #CLEAR} for an explicit null. */
    public record Edit(String type, long nextAt, Integer intervalDays) {
        public static final Edit CLEAR = new Edit(null, 0, null);
    }

    private final Database database;
    private final ReminderStore store;
    private final WorkspaceService workspaces;
    private final Clock clock;

    public ReminderService(Database database, SecretStore secrets, WorkspaceService workspaces, Clock clock) {
        this.database = database;
        this.store = secrets.reminders;
        this.workspaces = workspaces;
        this.clock = clock;
    }

    /**
     * Reads a values entry's {@code reminder}: null when the entry has none (the reminder is left as it is),
     * {@link Edit#CLEAR} for an explicit null. An {@code id} sent back is ignored: the server names reminders.
     */
    public static Edit parse(JsonInput entry) {
        if (entry.isExplicitNull("reminder")) return Edit.CLEAR;
        JsonInput r = entry.optionalObject("reminder");
        if (r == null) return null;
        String type = r.requiredString("type");
        if (!type.equals(ReminderStore.ONE_TIME) && !type.equals(ReminderStore.RECURRING)) {
            throw ApiException.badRequest("field '" + r.pathOf("type") + "' must be 'one_time' or 'recurring'");
        }
        String date = r.requiredString("nextReminderDate");
        long nextAt;
        try {
            if (date.length() > 40) throw new DateTimeParseException("too long", "", 0);
            nextAt = Instant.parse(date).toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            throw ApiException.badRequest("field '" + r.pathOf("nextReminderDate") + "' must be an ISO-8601 time such as 2026-01-31T09:00:00.000Z");
        }
        JsonNode interval = r.optionalJson("intervalDays");
        Integer days = null;
        if (type.equals(ReminderStore.RECURRING)) {
            if (interval == null) throw ApiException.badRequest("field '" + r.pathOf("intervalDays") + "' is required for a recurring reminder");
            if (!interval.canConvertToInt() || !interval.isIntegralNumber() || interval.intValue() < MIN_INTERVAL_DAYS
                    || interval.intValue() > MAX_INTERVAL_DAYS) {
                throw ApiException.badRequest("field '" + r.pathOf("intervalDays") + "' must be a whole number of days from "
                        + MIN_INTERVAL_DAYS + " to " + MAX_INTERVAL_DAYS);
            }
            days = interval.intValue();
        } else if (interval != null) {
            throw ApiException.badRequest("field '" + r.pathOf("intervalDays") + "' applies to recurring reminders only");
        }
        return new Edit(type, nextAt, days);
    }

    /**
     * Applies a values entry's reminder to the value {@code (secret, environment, owner)}, inside the secret's update
     * (its access checks already made). Sending back the reminder the value has changes nothing, so a client that
     * echoes a Secret it read (an overdue reminder included) is not refused.
     */
    static void apply(Connection c, SecretStore secrets, ProjectRow project, SecretRow secret, EnvironmentRow env, String owner, Edit edit,
                      String field, long now) throws SQLException {
        ReminderStore store = secrets.reminders;
        if (secrets.version(c, secret.id(), env.id(), owner) == null) {
            throw ApiException.badRequest("field '" + field + "': this value does not exist, so it cannot carry a reminder (send 'value' too)");
        }
        if (edit == Edit.CLEAR) {
            store.clear(c, secret, env.id(), owner);
            return;
        }
        ReminderRow before = store.find(c, secret.id(), env.id(), owner);
        if (before != null && before.type().equals(edit.type()) && before.nextAt() == edit.nextAt()
                && java.util.Objects.equals(before.intervalDays(), edit.intervalDays())) {
            return;
        }
        if (edit.nextAt() <= now) throw ApiException.badRequest("field '" + field + ".nextReminderDate' must be in the future");
        if (edit.nextAt() > now + MAX_AHEAD_MILLIS) {
            throw ApiException.badRequest("field '" + field + ".nextReminderDate' must be at most " + MAX_INTERVAL_DAYS + " days ahead");
        }
        ReminderRow after = new ReminderRow(before == null ? FieldRules.newId() : before.id(), project.workspaceId(), project.id(), secret.id(),
                env.id(), owner, edit.type(), edit.intervalDays(), edit.nextAt(), null, before == null ? now : before.createdAt(), now);
        store.put(c, secret, before, after);
    }

    /** The reminders of a project's values owned by {@code owners}, in the wire shape, by {@link ReminderStore#valueKey}. */
    static Map<String, SecretReminder> ofProject(Connection c, SecretStore secrets, String projectId, Collection<String> owners)
            throws SQLException {
        Map<String, SecretReminder> wire = new HashMap<>();
        secrets.reminders.ofProject(c, projectId, owners).forEach((key, r) -> wire.put(key, wire(r)));
        return wire;
    }

    /** {@link #ofProject} for one secret's values only. */
    static Map<String, SecretReminder> ofSecret(Connection c, SecretStore secrets, String secretId, Collection<String> owners)
            throws SQLException {
        Map<String, SecretReminder> wire = new HashMap<>();
        secrets.reminders.ofSecret(c, secretId, owners).forEach((key, r) -> wire.put(key, wire(r)));
        return wire;
    }

    static SecretReminder wire(ReminderRow r) {
        return new SecretReminder(r.id(), r.type(), WireTime.format(r.nextAt()), r.intervalDays());
    }

    /**
     * The workspace's reminders the caller may see, soonest first: those of environments within its scope, personal ones
     * only its own (and only for a credential that acts for its person). {@code due}: only those at or before now.
     */
    public ReminderPage list(Caller caller, String workspaceRef, boolean due, String cursor, int limit) {
        Long afterAt = null;
        String afterId = null;
        if (cursor != null) {
            var m = CURSOR.matcher(cursor);
            if (!m.matches()) throw ApiException.badRequest("query 'cursor' is not a cursor this server gave");
            afterAt = Long.parseLong(m.group(1));
            afterId = m.group(2);
        }
        Long startAt = afterAt;
        String startId = afterId;
        return database.read(c -> {
            String workspaceId = workspaces.resolve(c, caller, workspaceRef).id();
            long now = clock.millis();
            List<ReminderInfo> found = new ArrayList<>();
            Long at = startAt;
            String id = startId;
            for (int batch = 0; batch < MAX_SCAN_BATCHES; batch++) {
                List<Listed> rows = store.page(c, workspaceId, due ? now : null, at, id, SCAN_BATCH);
                for (Listed l : rows) {
                    at = l.row().nextAt();
                    id = l.row().id();
                    if (!visible(caller, l)) continue;
                    found.add(info(l, now));
                    if (found.size() == limit) return new ReminderPage(found, at + "." + id);
                }
                if (rows.size() < SCAN_BATCH) return new ReminderPage(found, null);
            }
            return new ReminderPage(found, at + "." + id); // scanned enough for one request: the next page goes on from here
        });
    }

    /**
     * Completes a reminder: a one-time one is removed (null answer), a recurring one moves by whole intervals to its
     * first occurrence after now (a reminder overdue for months needs one completion, not one per missed interval).
     */
    public ReminderInfo complete(Caller caller, String workspaceRef, String reminderId) {
        caller.requireWrite();
        return database.write(c -> {
            String workspaceId = workspaces.resolve(c, caller, workspaceRef).id();
            Listed reminder = FieldRules.isUuid(reminderId) ? store.byId(c, workspaceId, reminderId.toLowerCase(java.util.Locale.ROOT)) : null;
            if (reminder == null || !visible(caller, reminder)) throw ApiException.notFound("reminder");
            long now = clock.millis();
            ReminderRow r = reminder.row();
            if (!r.type().equals(ReminderStore.RECURRING)) {
                store.complete(c, reminder, null, now);
                return null;
            }
            long next = nextOccurrence(r.nextAt(), r.intervalDays() * 86_400_000L, now);
            store.complete(c, reminder, next, now);
            return info(store.byId(c, workspaceId, r.id()), now);
        });
    }

    /** The occurrence after {@code nextAt} that is the first one later than {@code now}. */
    static long nextOccurrence(long nextAt, long interval, long now) {
        long steps = nextAt > now ? 1 : (now - nextAt) / interval + 1;
        return nextAt + steps * interval;
    }

    /**
     * The background job: announces every due occurrence not yet announced, each once across all nodes (see
     * {@link ReminderStore#announceDue}). Returns how many this run announced.
     */
    public int announceDue() {
        // a read first: most runs find nothing due and then take no write lock (SQLite) or write transaction
        long at = clock.millis();
        if (database.read(c -> store.dueUnannounced(c, at, 1)).isEmpty()) return 0;
        return database.write(c -> {
            long now = clock.millis();
            int announced = 0;
            for (Listed due : store.dueUnannounced(c, now, ANNOUNCE_BATCH)) if (store.announceDue(c, due, now)) announced++;
            return announced;
        });
    }

    /** At most this many due reminders are handed to a sync's push (the rest follow once these are completed). */
    public static final int MAX_DUE_PER_PUSH = 200;

    /**
     * The announced, not yet completed occurrences of an environment's shared values' reminders, for the sync engine
     * (a system read: the sync's own checks decide who set it up and what it may push).
     */
    public List<Listed> dueShared(String environmentId) {
        return database.read(c -> store.announcedShared(c, environmentId, MAX_DUE_PER_PUSH));
    }

    private static boolean visible(Caller caller, Listed l) {
        ReminderRow r = l.row();
        if (!caller.scope().coversEnvironment(r.environmentId(), r.projectId(), l.teamId())) return false;
        return !r.personal() || (caller.seesPersonalValues() && r.ownerId().equals(caller.userId()));
    }

    private static ReminderInfo info(Listed l, long now) {
        ReminderRow r = l.row();
        return new ReminderInfo(r.id(), r.type(), WireTime.format(r.nextAt()), r.intervalDays(), r.nextAt() <= now, r.secretId(),
                l.secretName(), r.projectId(), l.projectName(), l.projectSlug(), r.environmentId(), l.environmentName(), r.personal());
    }
}
