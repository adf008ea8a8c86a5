package dev.ekvault.server.secret;

import dev.ekvault.server.secret.SecretStore.SecretRow;
import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.wire.WireTime;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one owner of {@code secret_reminder}: a value's reminder (at most one per secret, environment and owner). Every
 * change is journalled as entity {@code secret-reminder} (its id), in the value's project and environment, on the
 * {@code SECRET} feed when the Secret wire shape shows it (so cached answers are dropped). The fields name the secret,
 * whose value it is and the schedule, never a value.
 */
public final class ReminderStore {
    public static final String ONE_TIME = "one_time";
    public static final String RECURRING = "recurring";

    /** {@code intervalDays} only on a recurring reminder; {@code emittedAt}: the occurrence already announced as due. */
    public record ReminderRow(String id, String workspaceId, String projectId, String secretId, String environmentId, String ownerId,
                              String type, Integer intervalDays, long nextAt, Long emittedAt, long createdAt, long updatedAt) {
        boolean personal() {
            return !SecretStore.SHARED.equals(ownerId);
        }
    }

    /** A reminder with the names a list shows (and the team a scope check needs). */
    public record Listed(ReminderRow row, String secretName, String projectName, String projectSlug, String teamId, String environmentName) {}

    private static final String COLUMNS = "r.id, r.workspace_id, r.project_id, r.secret_id, r.environment_id, r.owner_id, r.type, "
            + "r.interval_days, r.next_at, r.emitted_at, r.created_at, r.updated_at";

    /** The key a value's reminder is found by in {@link #ofProject}. */
    static String valueKey(String secretId, String environmentId, String ownerId) {
        return secretId + '\n' + environmentId + '\n' + ownerId;
    }

    public ReminderRow find(Connection c, String secretId, String environmentId, String ownerId) throws SQLException {
        return Sql.one(c, "SELECT " + COLUMNS + " FROM secret_reminder r WHERE r.secret_id = ? AND r.environment_id = ? AND r.owner_id = ?",
                ReminderStore::read, secretId, environmentId, ownerId);
    }

    public Listed byId(Connection c, String workspaceId, String id) throws SQLException {
        return Sql.one(c, LISTED + "WHERE r.workspace_id = ? AND r.id = ?", ReminderStore::readListed, workspaceId, id);
    }

    /** The reminders of a project's values owned by any of {@code owners}, by {@link #valueKey}. */
    public Map<String, ReminderRow> ofProject(Connection c, String projectId, Collection<String> owners) throws SQLException {
        return ofValues(c, "r.project_id", projectId, owners);
    }

    /** The reminders of one secret's values owned by any of {@code owners}, by {@link #valueKey}: a get's or an update's own. */
    public Map<String, ReminderRow> ofSecret(Connection c, String secretId, Collection<String> owners) throws SQLException {
        return ofValues(c, "r.secret_id", secretId, owners);
    }

    private static Map<String, ReminderRow> ofValues(Connection c, String column, String id, Collection<String> owners) throws SQLException {
        Map<String, ReminderRow> byValue = new HashMap<>();
        if (owners.isEmpty()) return byValue;
        List<Object> parameters = new ArrayList<>();
        parameters.add(id);
        parameters.addAll(owners);
        for (ReminderRow r : Sql.list(c, "SELECT " + COLUMNS + " FROM secret_reminder r WHERE " + column + " = ? AND r.owner_id IN ("
                + Sql.placeholders(owners.size()) + ")", ReminderStore::read, parameters.toArray())) {
            byValue.put(valueKey(r.secretId(), r.environmentId(), r.ownerId()), r);
        }
        return byValue;
    }

    private static final String LISTED = "SELECT " + COLUMNS + ", s.name, p.name, p.slug, p.team_id, e.name FROM secret_reminder r "
            + "JOIN secret s ON s.id = r.secret_id JOIN project p ON p.id = r.project_id JOIN environment e ON e.id = r.environment_id ";

    /**
     * A workspace's reminders in date order after the cursor ({@code afterAt}, {@code afterId}; null from the start),
     * at most {@code limit}; {@code dueBy} (nullable) keeps those at or before it.
     */
    public List<Listed> page(Connection c, String workspaceId, Long dueBy, Long afterAt, String afterId, int limit) throws SQLException {
        List<Object> parameters = new ArrayList<>(List.of(workspaceId));
        StringBuilder where = new StringBuilder("WHERE r.workspace_id = ?");
        if (dueBy != null) {
            where.append(" AND r.next_at <= ?");
            parameters.add(dueBy);
        }
        if (afterAt != null) {
            where.append(" AND (r.next_at > ? OR (r.next_at = ? AND r.id > ?))");
            parameters.addAll(List.of(afterAt, afterAt, afterId));
        }
        parameters.add(limit);
        return Sql.list(c, LISTED + where + " ORDER BY r.next_at, r.id LIMIT ?", ReminderStore::readListed, parameters.toArray());
    }

    /** Reminders whose current occurrence is due at {@code now} and not yet announced, soonest first. */
    public List<Listed> dueUnannounced(Connection c, long now, int limit) throws SQLException {
        return Sql.list(c, LISTED + "WHERE r.next_at <= ? AND (r.emitted_at IS NULL OR r.emitted_at <> r.next_at) ORDER BY r.next_at, r.id LIMIT ?",
                ReminderStore::readListed, now, limit);
    }

    /**
     * The due occurrences of an environment's shared values' reminders that were announced and are not completed yet
     * (at most {@code limit}, soonest first): what a sync of that environment delivers. Personal ones never leave.
     */
    public List<Listed> announcedShared(Connection c, String environmentId, int limit) throws SQLException {
        return Sql.list(c, LISTED + "WHERE r.environment_id = ? AND r.owner_id = ? AND r.emitted_at = r.next_at ORDER BY r.next_at, r.id LIMIT ?",
                ReminderStore::readListed, environmentId, SecretStore.SHARED, limit);
    }

    /**
     * Announces a due occurrence once: the conditional update claims it (a node that lost the race, or a schedule that
     * moved meanwhile, updates nothing), and only the claim is journalled, as action {@code due}: the event a sync or
     * webhook subscriber delivers, and an audit entry by the system.
     */
    public boolean announceDue(Connection c, Listed due, long now) throws SQLException {
        ReminderRow r = due.row();
        int claimed = Sql.update(c, "UPDATE secret_reminder SET emitted_at = next_at WHERE id = ? AND next_at = ? AND next_at <= ? "
                + "AND (emitted_at IS NULL OR emitted_at <> next_at)", r.id(), r.nextAt(), now);
        if (claimed == 0) return false;
        Journal.changed(c, Journal.Change.of("due", "secret-reminder", r.workspaceId(), r.id()).in(r.projectId(), r.environmentId())
                .after(describe(r, due.secretName())));
        return true;
    }

    /** Sets a value's reminder: a new one, or {@code before}'s replaced (same id; a new schedule is announced afresh). */
    public void put(Connection c, SecretRow secret, ReminderRow before, ReminderRow after) throws SQLException {
        if (before == null) {
            Sql.update(c, "INSERT INTO secret_reminder (id, workspace_id, project_id, secret_id, environment_id, owner_id, type, interval_days, "
                    + "next_at, emitted_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)", after.id(), after.workspaceId(),
                    after.projectId(), after.secretId(), after.environmentId(), after.ownerId(), after.type(), after.intervalDays(), after.nextAt(),
                    after.createdAt(), after.updatedAt());
            journal(c, "create", null, after, secret.name());
        } else {
            reschedule(c, before, after, secret.name(), "update");
        }
    }

    /**
     * Completes a reminder: a one-time one is deleted; a recurring one moves to {@code nextAt} (its next occurrence
     * after now), announced afresh when that comes.
     */
    public void complete(Connection c, Listed reminder, Long nextAt, long now) throws SQLException {
        ReminderRow r = reminder.row();
        if (nextAt == null) {
            Sql.update(c, "DELETE FROM secret_reminder WHERE id = ?", r.id());
            journal(c, "complete", r, null, reminder.secretName());
        } else {
            ReminderRow after = new ReminderRow(r.id(), r.workspaceId(), r.projectId(), r.secretId(), r.environmentId(), r.ownerId(), r.type(),
                    r.intervalDays(), nextAt, null, r.createdAt(), now);
            reschedule(c, r, after, reminder.secretName(), "complete");
        }
    }

    private void reschedule(Connection c, ReminderRow before, ReminderRow after, String secretName, String action) throws SQLException {
        Sql.update(c, "UPDATE secret_reminder SET type = ?, interval_days = ?, next_at = ?, emitted_at = NULL, updated_at = ? WHERE id = ?",
                after.type(), after.intervalDays(), after.nextAt(), after.updatedAt(), before.id());
        journal(c, action, before, after, secretName);
    }

    /** Clears a value's reminder, if it has one (an explicit {@code reminder: null}). */
    public void clear(Connection c, SecretRow secret, String environmentId, String ownerId) throws SQLException {
        ReminderRow before = find(c, secret.id(), environmentId, ownerId);
        if (before == null) return;
        Sql.update(c, "DELETE FROM secret_reminder WHERE id = ?", before.id());
        journal(c, "delete", before, null, secret.name());
    }

    // The value (or the secret, environment or owner) goes: its reminders go with it, each said, with why.

    void deleteOfValue(Connection c, SecretRow secret, String environmentId, String ownerId) throws SQLException {
        ReminderRow r = find(c, secret.id(), environmentId, ownerId);
        if (r != null) deleteAll(c, List.of(r), secret.name(), "value-deleted");
    }

    void deleteOfSecret(Connection c, SecretRow secret) throws SQLException {
        deleteAll(c, Sql.list(c, "SELECT " + COLUMNS + " FROM secret_reminder r WHERE r.secret_id = ?", ReminderStore::read, secret.id()),
                secret.name(), "secret-deleted");
    }

    void deleteInEnvironment(Connection c, String environmentId, boolean personalOnly, String because) throws SQLException {
        for (Listed l : Sql.list(c, LISTED + "WHERE r.environment_id = ?" + (personalOnly ? " AND r.owner_id <> ''" : ""),
                ReminderStore::readListed, environmentId)) {
            deleteAll(c, List.of(l.row()), l.secretName(), because);
        }
    }

    void deleteOfOwner(Connection c, String workspaceId, String ownerId) throws SQLException {
        for (Listed l : Sql.list(c, LISTED + "WHERE r.workspace_id = ? AND r.owner_id = ?", ReminderStore::readListed, workspaceId, ownerId)) {
            deleteAll(c, List.of(l.row()), l.secretName(), "member-removed");
        }
    }

    private void deleteAll(Connection c, List<ReminderRow> rows, String secretName, String because) throws SQLException {
        for (ReminderRow r : rows) {
            Sql.update(c, "DELETE FROM secret_reminder WHERE id = ?", r.id());
            Journal.Change change = Journal.Change.of("delete", "secret-reminder", r.workspaceId(), r.id()).feed(ChangeFeed.Kind.SECRET)
                    .in(r.projectId(), r.environmentId()).before(describe(r, secretName));
            Journal.changed(c, change.after(Journal.fields("because", because)));
        }
    }

    private static void journal(Connection c, String action, ReminderRow before, ReminderRow after, String secretName) throws SQLException {
        ReminderRow any = after != null ? after : before;
        Journal.changed(c, Journal.Change.of(action, "secret-reminder", any.workspaceId(), any.id()).feed(ChangeFeed.Kind.SECRET)
                .in(any.projectId(), any.environmentId())
                .before(before == null ? null : describe(before, secretName)).after(after == null ? null : describe(after, secretName)));
    }

    /** The schedule and whose value it is: never the value. */
    private static Map<String, Object> describe(ReminderRow r, String secretName) {
        return Journal.fields("secret", secretName, "secretId", r.secretId(), "personal", r.personal() ? true : null,
                "owner", r.personal() ? r.ownerId() : null, "type", r.type(), "nextReminderDate", WireTime.format(r.nextAt()),
                "intervalDays", r.intervalDays());
    }

    private static ReminderRow read(ResultSet r) throws SQLException {
        int interval = r.getInt(8);
        Integer intervalDays = r.wasNull() ? null : interval;
        return new ReminderRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getString(7),
                intervalDays, r.getLong(9), Sql.nullableLong(r, 10), r.getLong(11), r.getLong(12));
    }

    private static Listed readListed(ResultSet r) throws SQLException {
        return new Listed(read(r), r.getString(13), r.getString(14), r.getString(15), r.getString(16), r.getString(17));
    }
}
