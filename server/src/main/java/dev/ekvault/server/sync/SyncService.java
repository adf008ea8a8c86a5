package dev.ekvault.server.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.api.SyncForm;
import dev.ekvault.api.SyncInfo;
import dev.ekvault.api.SyncProvider;
import dev.ekvault.api.SyncStep;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.sync.SyncStore.SyncRow;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.workspace.EnvironmentStore;
import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.workspace.ProjectStore;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.workspace.WorkspaceService;
import dev.ekvault.server.workspace.WorkspaceStore;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Setting syncs up (the wizard of {@code /v1/sync/{slug}/…}) and managing them. Admins only, as the documented role
 * table says, and within their scope: a scoped admin maps only environments it covers and sees only those syncs.
 */
public final class SyncService {
    private final Database database;
    private final SyncStore store;
    private final Map<String, SyncTarget> targets;
    private final SyncSeal seal;
    private final WorkspaceService workspaces;
    private final ProjectStore projects;
    private final EnvironmentStore environments;
    private final ObjectMapper json;
    private final Clock clock;
    private final int maxAnswerBytes;

    SyncService(Database database, SyncStore store, Map<String, SyncTarget> targets, SyncSeal seal, WorkspaceService workspaces,
                ProjectStore projects, EnvironmentStore environments, ObjectMapper json, Clock clock, int maxAnswerBytes) {
        this.database = database;
        this.store = store;
        this.targets = targets;
        this.seal = seal;
        this.workspaces = workspaces;
        this.projects = projects;
        this.environments = environments;
        this.json = json;
        this.clock = clock;
        this.maxAnswerBytes = maxAnswerBytes;
    }

    private static void requireAdmin(Caller caller) {
        if (!caller.isAdmin()) throw ApiException.forbidden("only workspace admins may manage syncs");
    }

    private SyncTarget target(String slug) {
        SyncTarget target = targets.get(slug);
        if (target == null) throw ApiException.notFound("sync provider '" + (slug.length() > 40 ? slug.substring(0, 40) : slug) + "'");
        return target;
    }

    /** The providers this server can sync to, in the order they were registered (the dashboard's choice of provider). */
    public List<SyncProvider> providers(Caller caller) {
        requireAdmin(caller);
        return targets.values().stream().map(t -> new SyncProvider(t.slug(), t.title())).toList();
    }

    /** Begins a sync's setup in the caller's workspace: a draft, whose id the next steps name. */
    public SyncStep start(Caller caller, String slug) {
        caller.requireAdminWrite();
        SyncTarget target = target(slug);
        long now = clock.millis();
        SyncRow draft = new SyncRow(FieldRules.newId(), caller.workspaceId(), target.slug(), target.title(), "draft", caller.userId(), now, now,
                null, null, null, null, true, false, 0, 0, null, 0, 0, null, null, null, null, null, null);
        database.write(c -> {
            store.insert(c, draft);
            return null;
        });
        return new SyncStep(draft.id(), "start", SyncTarget.STEPS.get(0), draft.status(), Map.of());
    }

    /** The form of one step. */
    public SyncForm form(Caller caller, String slug, String syncId, String step) {
        requireAdmin(caller);
        SyncTarget target = target(slug);
        int index = stepIndex(step);
        return database.read(c -> {
            SyncRow sync = findForSetup(c, caller, target, syncId);
            List<SyncTarget.Field> fields = step.equals("mapping") ? mappingFields(c, caller, sync) : target.form(step);
            String title = switch (step) {
                case "auth" -> "Connect to " + target.title();
                case "target" -> "Where in " + target.title();
                default -> "Which environment";
            };
            return new SyncForm(sync.id(), target.slug(), step, title, fields.stream().map(SyncService::wire).toList(), next(index));
        });
    }

    /** Takes one step's answers; the mapping step finishes the setup and asks for the first push. */
    public SyncStep submit(Caller caller, String slug, String syncId, String step, Map<String, String> answers) {
        caller.requireAdminWrite();
        SyncTarget target = target(slug);
        int index = stepIndex(step);
        for (Map.Entry<String, String> answer : answers.entrySet()) {
            if (answer.getValue().getBytes(StandardCharsets.UTF_8).length > maxAnswerBytes) {
                throw ApiException.badRequest("field '" + answer.getKey() + "' is larger than " + maxAnswerBytes + " bytes");
            }
        }
        Map<String, String> shownOnce = new LinkedHashMap<>();
        // a target checks its answers with its API (a token, a project): outside any transaction, so that no write
        // lock is held across a network call; the write below refuses the answer if the setup changed meanwhile
        record Seen(SyncRow row, Map<String, String> settings, String credential) {}
        Seen seen = step.equals("mapping") ? null : database.read(c -> {
            SyncRow row = findForSetup(c, caller, target, syncId);
            return new Seen(row, settings(row), row.credential() == null ? null
                    : new String(seal.open(row.id(), "credential", row.credential()), StandardCharsets.UTF_8));
        });
        SyncTarget.Accepted checked = seen == null ? null : target.accept(step, answers, seen.settings(), seen.credential());
        SyncRow after = database.write(c -> {
            SyncRow sync = findForSetup(c, caller, target, syncId);
            if (seen != null && (!java.util.Objects.equals(sync.settings(), seen.row().settings())
                    || !java.util.Arrays.equals(sync.credential(), seen.row().credential()))) {
                throw ApiException.conflict("the sync's setup changed meanwhile; send this step again");
            }
            Map<String, String> settings = settings(sync);
            long now = clock.millis();
            SyncRow next;
            if (step.equals("mapping")) {
                if (sync.credential() == null || sync.settings() == null) {
                    throw ApiException.conflict("finish the 'auth' and 'target' steps of this sync first");
                }
                String environmentId = answers.get("environmentId");
                if (environmentId == null || environmentId.isEmpty()) throw ApiException.badRequest("field 'environmentId' is required");
                EnvironmentRow env = FieldRules.isUuid(environmentId)
                        ? environments.find(c, caller.workspaceId(), FieldRules.uuid(environmentId, "environmentId")) : null;
                if (env == null || !caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId())) {
                    throw ApiException.notFound("environment (environmentId)");
                }
                String name = answers.getOrDefault("name", "").strip();
                if (name.length() > 64) throw ApiException.badRequest("field 'name' must be at most 64 characters");
                boolean deleteMissing = bool(answers, "deleteMissing", true);
                next = new SyncRow(sync.id(), sync.workspaceId(), sync.provider(), name.isEmpty() ? sync.name() : name, "active", sync.createdBy(),
                        sync.createdAt(), now, sync.credential(), sync.settings(), env.projectId(), env.id(), deleteMissing, sync.sendValues(),
                        sync.changeSeq() + 1, sync.pushedSeq(), now, 0, 0, sync.lastSuccessAt(), sync.lastError(), sync.lastErrorAt(),
                        sync.leaseOwner(), sync.leaseUntil(), sync.pushedState());
            } else {
                SyncTarget.Accepted accepted = checked;
                settings.putAll(accepted.settings());
                shownOnce.putAll(accepted.shownOnce());
                byte[] credential = accepted.credential() == null ? sync.credential()
                        : seal.seal(sync.id(), "credential", accepted.credential().getBytes(StandardCharsets.UTF_8));
                boolean sendValues = Boolean.parseBoolean(settings.getOrDefault("sendValues", String.valueOf(sync.sendValues())));
                // a change of how or where to push, once set up, is pushed again in full
                boolean active = sync.status().equals("active");
                next = new SyncRow(sync.id(), sync.workspaceId(), sync.provider(), sync.name(), sync.status(), sync.createdBy(), sync.createdAt(), now,
                        credential, write(settings), sync.projectId(), sync.environmentId(), sync.deleteMissing(), sendValues,
                        active ? sync.changeSeq() + 1 : sync.changeSeq(), sync.pushedSeq(), active ? Long.valueOf(now) : sync.pendingSince(),
                        0, 0, sync.lastSuccessAt(), sync.lastError(), sync.lastErrorAt(), sync.leaseOwner(), sync.leaseUntil(),
                        active ? null : sync.pushedState());
            }
            store.updateSetup(c, sync, next);
            return next;
        });
        return new SyncStep(after.id(), step, next(index), after.status(), shownOnce);
    }

    public List<SyncInfo> list(Caller caller, String workspaceRef) {
        requireAdmin(caller);
        return database.read(c -> {
            String workspaceId = workspaces.resolve(c, caller, workspaceRef).id();
            List<SyncInfo> result = new ArrayList<>();
            for (SyncRow s : store.list(c, workspaceId)) if (visible(c, caller, s)) result.add(info(s));
            return result;
        });
    }

    public SyncInfo get(Caller caller, String workspaceRef, String id) {
        requireAdmin(caller);
        return database.read(c -> info(findVisible(c, caller, workspaceRef, id)));
    }

    public SyncInfo pause(Caller caller, String workspaceRef, String id) {
        return change(caller, workspaceRef, id, (c, s) -> store.setStatus(c, s, "paused", clock.millis()));
    }

    public SyncInfo resume(Caller caller, String workspaceRef, String id) {
        return change(caller, workspaceRef, id, (c, s) -> store.setStatus(c, s, "active", clock.millis()));
    }

    public SyncInfo runNow(Caller caller, String workspaceRef, String id) {
        return change(caller, workspaceRef, id, (c, s) -> {
            if (!s.status().equals("active")) throw ApiException.conflict("this sync is " + s.status() + "; only an active sync runs");
            store.requestRun(c, s);
        });
    }

    public void delete(Caller caller, String workspaceRef, String id) {
        caller.requireAdminWrite();
        database.write(c -> {
            store.delete(c, findVisible(c, caller, workspaceRef, id), null);
            return null;
        });
    }

    private interface Change {
        void apply(Connection c, SyncRow sync) throws SQLException;
    }

    private SyncInfo change(Caller caller, String workspaceRef, String id, Change change) {
        caller.requireAdminWrite();
        return database.write(c -> {
            SyncRow sync = findVisible(c, caller, workspaceRef, id);
            if (sync.status().equals("draft")) throw ApiException.conflict("this sync is not set up yet; finish its wizard first");
            change.apply(c, sync);
            return info(store.find(c, sync.id()));
        });
    }

    private SyncRow findVisible(Connection c, Caller caller, String workspaceRef, String id) throws SQLException {
        String workspaceId = workspaces.resolve(c, caller, workspaceRef).id();
        SyncRow sync = FieldRules.isUuid(id) ? store.find(c, workspaceId, id.toLowerCase(java.util.Locale.ROOT)) : null;
        if (sync == null || !visible(c, caller, sync)) throw ApiException.notFound("sync");
        return sync;
    }

    /** The wizard's draft (or set-up sync) of the caller's workspace, of this provider, that the caller may see. */
    private SyncRow findForSetup(Connection c, Caller caller, SyncTarget target, String syncId) throws SQLException {
        if (syncId == null) throw ApiException.badRequest("query 'syncConfigId' is required");
        SyncRow sync = FieldRules.isUuid(syncId) ? store.find(c, caller.workspaceId(), syncId.toLowerCase(java.util.Locale.ROOT)) : null;
        if (sync == null || !sync.provider().equals(target.slug()) || !visible(c, caller, sync)) throw ApiException.notFound("sync");
        return sync;
    }

    /** A sync of an environment the caller's scope covers; a draft (no environment yet) its creator or a whole-workspace admin. */
    private boolean visible(Connection c, Caller caller, SyncRow s) throws SQLException {
        if (s.environmentId() == null) return caller.scope().isAll() || s.createdBy().equals(caller.userId());
        EnvironmentRow env = environments.find(c, s.workspaceId(), s.environmentId());
        return env != null && caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId());
    }

    private List<SyncTarget.Field> mappingFields(Connection c, Caller caller, SyncRow sync) throws SQLException {
        List<SyncTarget.Option> options = new ArrayList<>();
        for (ProjectRow project : projects.list(c, caller.workspaceId())) {
            for (EnvironmentRow env : environments.listByProject(c, project.id())) {
                if (caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId())) {
                    options.add(new SyncTarget.Option(env.id(), project.name() + " / " + env.name()));
                }
            }
        }
        return List.of(
                new SyncTarget.Field("environmentId", "Environment to sync", "select", true,
                        "Its shared values (references resolved) are pushed; personal overrides never are.", options),
                SyncTarget.Field.of("deleteMissing", "Delete keys there that are deleted here", "boolean", false,
                        "On by default: a key removed from the environment is removed from the target.").startingWith("true"),
                SyncTarget.Field.of("name", "Name", "text", false, "How this sync is listed (default: the provider's name)."));
    }

    private static SyncForm.Field wire(SyncTarget.Field f) {
        return new SyncForm.Field(f.name(), f.label(), f.type(), f.required(), f.hint(),
                f.options() == null ? null : f.options().stream().map(o -> new SyncForm.Option(o.value(), o.label())).toList(), f.value());
    }

    private static int stepIndex(String step) {
        int index = step == null ? -1 : SyncTarget.STEPS.indexOf(step);
        if (index < 0) throw ApiException.badRequest("query 'step' must be one of " + String.join(", ", SyncTarget.STEPS));
        return index;
    }

    private static String next(int index) {
        return index + 1 < SyncTarget.STEPS.size() ? SyncTarget.STEPS.get(index + 1) : null;
    }

    static boolean bool(Map<String, String> answers, String name, boolean fallback) {
        String value = answers.get(name);
        if (value == null || value.isEmpty()) return fallback;
        if (!value.equals("true") && !value.equals("false")) throw ApiException.badRequest("field '" + name + "' must be true or false");
        return Boolean.parseBoolean(value);
    }

    Map<String, String> settings(SyncRow s) {
        if (s.settings() == null) return new TreeMap<>();
        try {
            return new TreeMap<>(json.readValue(s.settings(), new TypeReference<Map<String, String>>() {}));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a sync's settings are not readable", e);
        }
    }

    private String write(Map<String, String> settings) {
        try {
            return json.writeValueAsString(new TreeMap<>(settings));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private SyncInfo info(SyncRow s) {
        return new SyncInfo(s.id(), s.provider(), s.name(), s.status(), s.projectId(), s.environmentId(), settings(s), s.deleteMissing(), s.sendValues(),
                s.credential() != null, s.createdBy(), WireTime.format(s.createdAt()), WireTime.format(s.updatedAt()),
                WireTime.formatNullable(s.lastSuccessAt()), s.lastError(), WireTime.formatNullable(s.lastErrorAt()), s.changeSeq() > s.pushedSeq(),
                s.nextAttemptAt() == 0 ? null : WireTime.format(s.nextAttemptAt()), s.attempts());
    }
}
