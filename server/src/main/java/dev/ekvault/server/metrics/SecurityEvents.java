package dev.ekvault.server.metrics;

import dev.ekvault.server.audit.Actor;
import dev.ekvault.server.store.Journal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The security events an operator watches, each a line of its own on the {@code ek.security} logger once its write has
 * committed: sign-in, failed sign-in, lock-out, sign-out, credential rotation, revocation, member added, changed or
 * removed, password change. Read from the change journal after the commit, so a write that rolled back logs nothing
 * and no service knows this exists; the audit log holds the same changes in its chain.
 *
 * <p>A line names the event, the entity's id and kind, the workspace, and who acted (person, credential, client
 * address after trusted proxies, request id, from {@link Actor}). The journal's fields never hold a token, a hash or a
 * password, and only named fields are copied from them.
 */
final class SecurityEvents implements Journal.Subscriber {
    private static final Logger LOG = Logger.getLogger("ek.security");
    private final Consumer<String> counter;

    SecurityEvents(Consumer<String> counter) {
        this.counter = counter;
    }

    @Override
    public void afterWrite(List<Journal.Change> changes, boolean committed) {
        if (!committed) return;
        Actor actor = null;
        for (Journal.Change change : changes) {
            String event = event(change);
            if (event == null) continue;
            if (actor == null) actor = Actor.current();
            counter.accept(event);
            log(event, change, actor);
        }
    }

    /** The event a change is, or null for the changes that are not security events. */
    static String event(Journal.Change change) {
        String kind = change.after() == null ? null : (String) change.after().get("kind");
        return switch (change.entityType()) {
            case "credential" -> switch (change.action()) {
                case "create" -> "session".equals(kind) || "cli-login".equals(kind) ? "sign-in"
                        : change.after().containsKey("rotatedFrom") ? null : "credential-created"; // a rotation is logged once, as its old credential's
                case "rotate" -> "credential-rotation";
                case "revoke" -> "session".equals(kind) && change.entityId().equals(Actor.current().credentialId()) ? "sign-out" : "revocation";
                default -> null;
            };
            case "user" -> switch (change.action()) {
                // the failure that locks the account is the lock-out; an attempt while it is locked is one more failure
                case "sign-in-failed" -> change.after() != null && change.after().get("lockedUntil") != null
                        && change.after().get("whileLocked") == null ? "lock-out" : "sign-in-failed";
                case "password-change" -> "password-change";
                default -> null;
            };
            case "member" -> switch (change.action()) {
                case "create" -> "member-added";
                case "update" -> "member-changed";
                case "delete" -> "member-removed";
                default -> null;
            };
            default -> null;
        };
    }

    private static void log(String event, Journal.Change change, Actor actor) {
        if (!LOG.isLoggable(Level.INFO)) return;
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("event", event);
        fields.put("entityType", change.entityType());
        fields.put("entityId", change.entityId());
        if (change.workspaceId() != null && !change.workspaceId().isEmpty()) fields.put("workspaceId", change.workspaceId());
        copy(change.after(), fields, "kind", "role", "because", "failures", "lockedUntil", "rotatedFrom");
        if (change.before() != null && change.before().get("role") != null) fields.put("previousRole", change.before().get("role"));
        fields.put("actorUserId", actor.userId());
        fields.put("actorCredentialId", actor.credentialId());
        fields.put("client", actor.clientAddress());
        fields.put("requestId", actor.requestId());
        LogRecord record = new LogRecord(event.equals("lock-out") ? Level.WARNING : Level.INFO, "security event");
        record.setLoggerName(LOG.getName());
        record.setParameters(new Object[] {fields});
        LOG.log(record);
    }

    /** Only the named fields, so a field added to a change later is not logged before someone decides it may be. */
    private static void copy(Map<String, Object> from, Map<String, Object> to, String... names) {
        if (from == null) return;
        for (String name : names) {
            Object value = from.get(name);
            if (value != null) to.putIfAbsent(name, value);
        }
    }
}
