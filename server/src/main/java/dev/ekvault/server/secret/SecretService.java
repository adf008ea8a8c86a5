package dev.ekvault.server.secret;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.api.DeletedSecret;
import dev.ekvault.api.Secret;
import dev.ekvault.api.SecretReminder;
import dev.ekvault.api.SecretValue;
import dev.ekvault.api.SecretVersion;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.audit.EventLog;
import dev.ekvault.server.store.Journal;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.crypto.Aad;
import dev.ekvault.server.crypto.DataKeys;
import dev.ekvault.server.workspace.EnvironmentStore;
import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.FieldRules;
import dev.ekvault.server.wire.JsonBytes;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.workspace.ProjectService;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.secret.SecretStore.SecretRow;
import dev.ekvault.server.secret.SecretStore.ValueRow;
import dev.ekvault.server.store.Database;
import dev.ekvault.server.store.Dialect;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Secrets and their values: one shared value per environment plus at most one personal override per person. Every
 * operation checks access before it looks anything up, seals values under the environment's data key with an AAD
 * that binds them to their row, and shows a caller only its own personal values.
 */
public final class SecretService {
    public record NewSecret(String key, String value, String type, String dataType) {}

    /**
     * One entry of an update's {@code values}; an empty value removes that value. {@code value} null: left as it is
     * (an entry that changes only its {@code reminder}); {@code reminder} null: left as it is.
     */
    public record ValueChange(String environmentId, String value, boolean isPersonal, ReminderService.Edit reminder) {
        public ValueChange(String environmentId, String value, boolean isPersonal) {
            this(environmentId, value, isPersonal, null);
        }
    }

    /** A null field is left as it is. */
    public record Update(String name, String note, String type, String dataType, List<ValueChange> values) {}

    private record Plain(ValueRow row, String value) {}

    private static String valueKey(ValueRow row) {
        return valueKey(row.environmentId(), row.ownerId());
    }

    private static String valueKey(String environmentId, String ownerId) {
        return environmentId + "\n" + ownerId;
    }

    private final Database database;
    private final SecretStore store;
    private final EnvironmentStore environments;
    private final ProjectService projects;
    private final DataKeys dataKeys;
    private final SecretRules rules;
    private final SecretCache cache;
    private final EventLog audit;
    private final Clock clock;
    /** How long a deleted secret can be restored before it is purged. */
    private final java.time.Duration deletedRetention;

    public SecretService(Database database, SecretStore store, EnvironmentStore environments, ProjectService projects,
                         DataKeys dataKeys, Config.Limits limits, SecretCache cache, EventLog audit, Clock clock,
                         java.time.Duration deletedRetention) {
        this.audit = audit;
        this.deletedRetention = deletedRetention;
        this.database = database;
        this.store = store;
        this.environments = environments;
        this.projects = projects;
        this.dataKeys = dataKeys;
        this.rules = new SecretRules(limits);
        this.cache = cache;
        this.clock = clock;
    }

    SecretRules rules() {
        return rules;
    }

    /**
     * The secrets with a value the caller can see in the chosen environment (or in any, when none is chosen).
     * A secret with no such value is not listed, so a narrow scope never learns the names used elsewhere.
     */
    public List<Secret> list(Caller caller, String workspaceRef, String projectRef, String environmentId, boolean resolve) {
        return list(caller, workspaceRef, projectRef, environmentId, resolve, null);
    }

    /**
     * {@link #list}, or with {@code at} the environment as it was then (point in time): each value's newest version
     * written by then, the secrets deleted since included, under their names of today (or at deletion).
     */
    public List<Secret> list(Caller caller, String workspaceRef, String projectRef, String environmentId, boolean resolve, Long at) {
        return list(caller, workspaceRef, projectRef, environmentId, resolve, at, null);
    }

    /** {@link #list}; for an export ({@link SecretExport}) its {@code VIEW} entry also names the format. */
    List<Secret> list(Caller caller, String workspaceRef, String projectRef, String environmentId, boolean resolve, Long at, String exportFormat) {
        Read read;
        if (at != null) {
            read = database.read(c -> {
                ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
                return new Read(project, views(c, caller, project, environmentId, resolve, secret -> true, at));
            });
        } else if (fromCache(caller, resolve)) {
            SecretCache.ProjectData data = cached(caller, workspaceRef, projectRef);
            read = new Read(data.project(), cachedViews(data, caller, environmentId, secret -> true));
        } else {
            read = database.read(c -> {
                ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
                return new Read(project, views(c, caller, project, environmentId, resolve, secret -> true));
            });
        }
        viewed(read, null, environmentId, resolve, at, exportFormat);
        return read.secrets();
    }

    /** What a read found, and in which project: its audit entry names both. */
    private record Read(ProjectRow project, List<Secret> secrets) {}

    /**
     * The read's {@code VIEW} entry, durable before the values go out: the secrets' names and the environments whose
     * values were returned, never a value. A read that returned no value reveals nothing and records nothing.
     */
    private void viewed(Read read, String secretId, String environmentId, boolean resolve, Long at) {
        viewed(read, secretId, environmentId, resolve, at, null);
    }

    private void viewed(Read read, String secretId, String environmentId, boolean resolve, Long at, String exportFormat) {
        if (read.secrets().isEmpty()) return;
        java.util.Set<String> environmentIds = new java.util.TreeSet<>();
        List<String> names = new ArrayList<>(read.secrets().size());
        for (Secret secret : read.secrets()) {
            names.add(secret.name());
            for (var value : secret.values()) environmentIds.add(value.environmentId());
        }
        audit.read(read.project().workspaceId(), secretId, read.project().id(), environmentId,
                Journal.fields("secrets", names, "environments", List.copyOf(environmentIds), "resolved", resolve ? Boolean.TRUE : null,
                        "asOf", at == null ? null : WireTime.format(at), "export", exportFormat));
    }

    /**
     * {@link #list} as the answer's body: for the hot path (one environment, shared values, unresolved), the JSON
     * serialised once per change of the project and kept; otherwise the list, serialised by the caller.
     */
    public Object listAnswer(Caller caller, String workspaceRef, String projectRef, String environmentId, boolean resolve, Long at,
                             ObjectMapper json) {
        if (at != null || !fromCache(caller, resolve) || environmentId == null || environmentId.isEmpty()) {
            return list(caller, workspaceRef, projectRef, environmentId, resolve, at);
        }
        SecretCache.ProjectData data = cached(caller, workspaceRef, projectRef);
        SecretCache.Answer answer = cache.answer(data, environmentId);
        if (answer != null) {
            // the same checks as a fresh list: the environment must be one the caller may see
            for (EnvironmentRow env : data.environments()) {
                if (env.id().equals(environmentId) && caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId())) {
                    if (!answer.names().isEmpty()) {
                        audit.read(data.project().workspaceId(), null, data.project().id(), environmentId,
                                Journal.fields("secrets", answer.names(), "environments", List.of(environmentId)));
                    }
                    return new JsonBytes(answer.json());
                }
            }
            throw ApiException.notFound("environment");
        }
        List<Secret> secrets = cachedViews(data, caller, environmentId, secret -> true);
        try {
            answer = new SecretCache.Answer(json.writeValueAsBytes(secrets), secrets.stream().map(Secret::name).toList());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a secret list", e);
        }
        cache.putAnswer(data, environmentId, answer);
        viewed(new Read(data.project(), secrets), null, environmentId, false, null);
        return new JsonBytes(answer.json());
    }

    /** One secret by key (or id), with the same filters as {@link #list}; 404 when the caller sees no value of it. */
    public Secret get(Caller caller, String workspaceRef, String projectRef, String key, String environmentId, boolean resolve, Long at) {
        Read read;
        if (at != null) {
            read = database.read(c -> {
                ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
                List<Secret> all = views(c, caller, project, environmentId, resolve, secret -> true, at);
                Secret found = all.stream().filter(s -> s.name().equals(key)).findFirst()
                        .orElseGet(() -> all.stream().filter(s -> s.id().equals(key)).findFirst().orElse(null));
                return new Read(project, found == null ? List.of() : List.of(found));
            });
        } else if (fromCache(caller, resolve)) {
            SecretCache.ProjectData data = cached(caller, workspaceRef, projectRef);
            SecretRow secret = null;
            for (SecretRow s : data.secrets()) {
                if (s.name().equals(key)) {
                    secret = s;
                    break;
                }
                if (secret == null && s.id().equals(key)) secret = s; // a name match wins over an id match, as in SecretStore.find
            }
            if (secret == null) throw ApiException.notFound("secret");
            String id = secret.id();
            read = new Read(data.project(), cachedViews(data, caller, environmentId, s -> s.id().equals(id)));
        } else {
            read = database.read(c -> {
                ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
                SecretRow secret = store.find(c, project.id(), key);
                if (secret == null) throw ApiException.notFound("secret");
                if (resolve) return new Read(project, views(c, caller, project, environmentId, true, s -> s.id().equals(secret.id())));
                Secret found = oneView(c, caller, project, visibleEnvironments(c, caller, project), environmentId, secret);
                return new Read(project, found == null ? List.of() : List.of(found));
            });
        }
        if (read.secrets().isEmpty()) throw ApiException.notFound("secret");
        Secret found = read.secrets().get(0);
        viewed(new Read(read.project(), List.of(found)), found.id(), environmentId, resolve, at);
        return found;
    }

    /**
     * What a bulk create does with a key that already has a shared value in a named environment: {@code CREATE} (the
     * default, what the CLI sends) refuses the whole request naming every such collision; {@code UPSERT} gives those
     * values a new version, in the same transaction as the new ones.
     */
    public enum Mode { CREATE, UPSERT }

    /** A key that already has a shared value in an environment a bulk create names (the 409's {@code collisions}). */
    public record Collision(String key, String environmentId, String environment) {}

    /** How many collisions a 409's message names; its {@code collisions} field lists them all. */
    static final int COLLISIONS_NAMED = 5;

    /** Creates secrets with a shared value in each named environment; needs write on every one of them. */
    public List<Secret> create(Caller caller, String workspaceRef, String projectRef, List<String> environmentIds, List<NewSecret> secrets) {
        return create(caller, workspaceRef, projectRef, environmentIds, secrets, Mode.CREATE);
    }

    /**
     * {@link #create}, or with {@link Mode#UPSERT} also a new version of each value that exists; all or nothing. An
     * upsert changes only the values of a secret that exists (its type and dataType stay), as a PUT of its values would.
     */
    public List<Secret> create(Caller caller, String workspaceRef, String projectRef, List<String> environmentIds, List<NewSecret> secrets,
                               Mode mode) {
        caller.requireWrite();
        if (environmentIds.isEmpty()) throw ApiException.badRequest("field 'environments' must name at least one environment");
        if (secrets.isEmpty()) throw ApiException.badRequest("field 'secrets' must hold at least one secret");
        Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < secrets.size(); i++) {
            Integer earlier = firstIndex.putIfAbsent(secrets.get(i).key(), i);
            if (earlier != null) throw ApiException.badRequest("field 'secrets[" + i + "].key' repeats 'secrets[" + earlier + "].key'");
        }
        long now = clock.millis();
        SecretStore.Author by = author(caller);
        // SQLite's writes take turns on its one writer, so there whatever needs no lock is done before the writer is taken:
        // the same reads in a read transaction (404 and 409 answered from them) and the new secrets' rows built and sealed.
        // Under the writer the reads are made again; if they find the same project, environments, names and data keys,
        // the rows are written as built, else built again there. PostgreSQL's writers do not take turns: it reads once.
        BulkTarget before = database.dialect() == Dialect.SQLITE
                ? database.read(c -> bulkTarget(c, caller, workspaceRef, projectRef, environmentIds, secrets, mode)) : null;
        FreshRows built = before == null ? null : freshRows(before, secrets, now);
        return database.write(c -> {
            BulkTarget target = bulkTarget(c, caller, workspaceRef, projectRef, environmentIds, secrets, mode);
            FreshRows rows = target.equals(before) ? built : freshRows(target, secrets, now);
            List<Secret> created = new ArrayList<>(rows.views());
            for (int i = 0; i < secrets.size(); i++) {
                SecretRow existing = target.named().get(secrets.get(i).key());
                if (existing == null) continue;
                // an upsert's existing secret: a new version of each value, in this transaction (its current version is read here)
                SecretRow secret = new SecretRow(existing.id(), existing.workspaceId(), existing.projectId(), existing.name(), existing.note(),
                        existing.type(), existing.dataType(), existing.createdAt(), now);
                store.update(c, existing, secret);
                List<Plain> values = new ArrayList<>(target.targets().size());
                for (EnvironmentRow env : target.targets()) {
                    values.add(writeValue(c, target.project(), secret, target.sealers().get(env.id()), env.id(), SecretStore.SHARED,
                            secrets.get(i).value(), now, by));
                }
                created.set(i, view(secret, values, target.visible(), null, false, Map.of()));
            }
            store.insertNew(c, rows.secrets(), rows.values(), by);
            return created;
        });
    }

    /**
     * What a bulk create writes into, as one transaction reads it: the project, the environments the caller sees and the
     * ones named (each once), the secrets that already have a named key, and the data key each named environment seals
     * with now (its id). Compared whole ({@code equals}) between the read before the writer and the one under it.
     */
    private record BulkTarget(ProjectRow project, Map<String, EnvironmentRow> visible, List<EnvironmentRow> targets,
                              Map<String, SecretRow> named, Map<String, DataKeys.Sealer> sealers) {}

    /** Reads a bulk create's {@link BulkTarget}; 404 for an environment the caller cannot see, 409 for a create that collides. */
    private BulkTarget bulkTarget(Connection c, Caller caller, String workspaceRef, String projectRef, List<String> environmentIds,
                                  List<NewSecret> secrets, Mode mode) throws SQLException {
        ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
        Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
        List<EnvironmentRow> targets = new ArrayList<>();
        for (int i = 0; i < environmentIds.size(); i++) {
            EnvironmentRow env = visible.get(environmentIds.get(i));
            if (env == null) throw ApiException.notFound("environment (environments[" + i + "])");
            if (!targets.contains(env)) targets.add(env);
        }
        // every collision first, before anything is written: a 409 names them all, and an upsert knows its updates
        List<String> keys = new ArrayList<>(secrets.size());
        for (NewSecret input : secrets) keys.add(input.key());
        Map<String, SecretRow> named = store.findByNames(c, project.id(), keys);
        List<Collision> collisions = new ArrayList<>();
        for (NewSecret input : secrets) {
            SecretRow secret = named.get(input.key());
            if (secret == null) continue;
            for (EnvironmentRow env : targets) {
                if (store.version(c, secret.id(), env.id(), SecretStore.SHARED) != null) {
                    collisions.add(new Collision(input.key(), env.id(), env.name()));
                }
            }
        }
        if (mode == Mode.CREATE && !collisions.isEmpty()) throw collisionError(collisions);
        // per request, not per secret: each environment's key is read once
        Map<String, DataKeys.Sealer> sealers = new HashMap<>();
        for (EnvironmentRow env : targets) sealers.put(env.id(), dataKeys.sealer(c, project.workspaceId(), env.id()));
        return new BulkTarget(project, visible, targets, named, sealers);
    }

    /**
     * The new secrets of a bulk create, built for {@code target}: their rows, their values sealed (version 1: a new
     * secret has no value and no history yet) and their views; an existing secret's place in {@code views} is null.
     */
    private record FreshRows(List<SecretRow> secrets, List<List<ValueRow>> values, List<Secret> views) {}

    private FreshRows freshRows(BulkTarget target, List<NewSecret> secrets, long now) {
        ProjectRow project = target.project();
        List<SecretRow> fresh = new ArrayList<>();
        List<List<ValueRow>> freshValues = new ArrayList<>();
        List<Secret> views = new ArrayList<>(secrets.size());
        for (NewSecret input : secrets) {
            if (target.named().containsKey(input.key())) {
                views.add(null);
                continue;
            }
            SecretRow secret = new SecretRow(FieldRules.newOrderedId(now), project.workspaceId(), project.id(), input.key(), "",
                    input.type(), input.dataType(), now, now);
            byte[] plain = input.value().getBytes(StandardCharsets.UTF_8);
            List<ValueRow> rows = new ArrayList<>(target.targets().size());
            List<Plain> values = new ArrayList<>(target.targets().size());
            for (EnvironmentRow env : target.targets()) {
                byte[] aad = Aad.secretValue(project.workspaceId(), project.id(), env.id(), secret.id(), 1, SecretStore.SHARED);
                ValueRow row = new ValueRow(secret.id(), env.id(), SecretStore.SHARED, 1, target.sealers().get(env.id()).seal(plain, aad), now);
                rows.add(row);
                values.add(new Plain(row, input.value()));
            }
            fresh.add(secret);
            freshValues.add(rows);
            views.add(view(secret, values, target.visible(), null, false, Map.of()));
        }
        return new FreshRows(fresh, freshValues, views);
    }

    /** The 409 of a bulk create: the first few collisions and their count in the message, every one in {@code collisions}. */
    private static ApiException collisionError(List<Collision> collisions) {
        List<String> named = new ArrayList<>();
        for (Collision collision : collisions.subList(0, Math.min(COLLISIONS_NAMED, collisions.size()))) {
            named.add("'" + collision.key() + "' in '" + collision.environment() + "'");
        }
        String more = collisions.size() > COLLISIONS_NAMED ? " and " + (collisions.size() - COLLISIONS_NAMED) + " more" : "";
        return ApiException.conflict((collisions.size() == 1 ? "1 secret value already exists: " : collisions.size() + " secret values already exist: ")
                + String.join(", ", named) + more + " (send \"mode\": \"upsert\" to update them)").with("collisions", collisions);
    }

    public Secret update(Caller caller, String workspaceRef, String projectRef, String secretRef, Update update) {
        caller.requireWrite();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < update.values().size(); i++) {
            ValueChange change = update.values().get(i);
            if (!seen.add(change.environmentId() + "/" + change.isPersonal())) {
                throw ApiException.badRequest("field 'values[" + i + "]' repeats an environment and isPersonal pair");
            }
        }
        return database.write(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
            SecretRow before = findVisible(c, caller, project, visible, secretRef);
            long now = clock.millis();
            String name = update.name() == null ? before.name() : update.name();
            if (!name.equals(before.name())) {
                requireEveryHoldingEnvironment(c, before, visible, "renaming");
                SecretRow clash = store.find(c, project.id(), name);
                if (clash != null && clash.name().equals(name)) throw ApiException.conflict("a secret named '" + name + "' already exists");
            }
            SecretRow secret = new SecretRow(before.id(), before.workspaceId(), before.projectId(), name,
                    update.note() == null ? before.note() : update.note(), update.type() == null ? before.type() : update.type(),
                    update.dataType() == null ? before.dataType() : update.dataType(), before.createdAt(), now);
            // the data keys before the secret's row lock (the UPDATE below), the order every transaction takes them in
            // (crypto/DataKeyStore.newestForSealing); it also keeps that round trip out of the time the lock is held, which
            // every other update of the secret waits for
            Map<String, DataKeys.Sealer> sealers = new HashMap<>();
            for (ValueChange change : update.values()) {
                EnvironmentRow env = visible.get(change.environmentId());
                if (env != null && change.value() != null && !change.value().isEmpty() && !sealers.containsKey(env.id())) {
                    sealers.put(env.id(), dataKeys.sealer(c, project.workspaceId(), env.id()));
                }
            }
            store.update(c, before, secret);
            // the secret's values the caller sees, read once under its row lock: the versions the writes follow, and
            // the answer (each change applied to it here, not read back)
            List<String> owners = owners(caller);
            Map<String, Plain> values = new LinkedHashMap<>();
            for (ValueRow row : store.valuesOf(c, secret.id(), visible.keySet(), owners)) values.put(valueKey(row), new Plain(row, null));
            for (int i = 0; i < update.values().size(); i++) {
                ValueChange change = update.values().get(i);
                EnvironmentRow env = visible.get(change.environmentId());
                if (env == null) throw ApiException.notFound("environment (values[" + i + "].environmentId)");
                String owner = owner(caller, env, change.isPersonal(), "values[" + i + "].isPersonal");
                String key = valueKey(env.id(), owner);
                Plain current = values.get(key);
                if (change.value() == null) { /* a reminder-only entry */ }
                else if (change.value().isEmpty()) {
                    store.deleteValue(c, secret, env.id(), owner, author(caller), now);
                    values.remove(key);
                } else {
                    values.put(key, writeValue(c, project, secret, sealers.get(env.id()), env.id(), owner, change.value(), now, author(caller),
                            current == null ? null : current.row().version()));
                }
                if (change.reminder() != null) {
                    ReminderService.apply(c, store, project, secret, env, owner, change.reminder(), "values[" + i + "].reminder", now);
                }
            }
            List<Plain> answer = new ArrayList<>(values.size());
            for (Plain p : values.values()) answer.add(p.value() != null ? p : new Plain(p.row(), open(c, project, p.row())));
            return view(secret, answer, visible, null, false, answer.isEmpty() ? Map.of() : ReminderService.ofSecret(c, store, secret.id(), owners));
        });
    }

    public void delete(Caller caller, String workspaceRef, String projectRef, String secretRef) {
        caller.requireWrite();
        database.write(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
            SecretRow secret = findVisible(c, caller, project, visible, secretRef);
            requireEveryHoldingEnvironment(c, secret, visible, "deleting");
            store.delete(c, secret, author(caller), clock.millis());
            return null;
        });
    }

    /** Whose value a change names: the shared one, or (isPersonal) the caller's own override where the environment allows one. */
    private static String owner(Caller caller, EnvironmentRow env, boolean personal, String field) {
        if (!personal) return SecretStore.SHARED;
        if (!caller.seesPersonalValues()) {
            throw ApiException.forbidden("this credential acts for no person, so it cannot hold personal values (" + field + ")");
        }
        if (!env.hasPersonalOverrides()) {
            throw ApiException.badRequest("field '" + field + "': environment '" + env.name() + "' does not allow personal overrides");
        }
        return caller.userId();
    }

    /** Who the history says made a change. */
    private static SecretStore.Author author(Caller caller) {
        return new SecretStore.Author(caller.userId(), caller.credentialId(), caller.kind().tableKind());
    }

    /**
     * A secret's history: the versions of its values the caller may see (its scope's environments; personal overrides
     * only the caller's own), newest first, for a live secret or one deleted and not yet purged. With
     * {@code includeValues} each version that holds a value carries it: a read of values, recorded before the answer.
     */
    public List<SecretVersion> versions(Caller caller, String workspaceRef, String projectRef, String secretRef, String environmentId,
                                        boolean includeValues) {
        record History(ProjectRow project, SecretRow secret, List<SecretVersion> versions) {}
        History history = database.read(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
            SecretRow secret = store.find(c, project.id(), secretRef);
            if (secret == null) {
                SecretStore.DeletedSecret deleted = FieldRules.isUuid(secretRef) ? store.findDeleted(c, project.id(), secretRef.toLowerCase(java.util.Locale.ROOT)) : null;
                if (deleted == null) throw ApiException.notFound("secret");
                secret = deleted.secret();
            }
            if (!caller.scope().coversProject(project.id(), project.teamId())
                    && store.environmentsWithHistory(c, secret.id()).stream().noneMatch(visible::containsKey)) {
                throw ApiException.notFound("secret");
            }
            List<SecretVersion> versions = new ArrayList<>();
            for (SecretStore.VersionRow v : store.versions(c, secret.id(), selected(visible, environmentId), owners(caller))) {
                String value = includeValues && !v.deleted() ? open(c, project, v.asValue()) : null;
                versions.add(new SecretVersion(v.version(), v.environmentId(), !SecretStore.SHARED.equals(v.ownerId()), v.deleted(), v.withSecret(),
                        WireTime.format(v.changedAt()), v.changedBy(), v.credentialId(), v.credentialKind(), value));
            }
            return new History(project, secret, versions);
        });
        if (includeValues) {
            Set<String> environmentIds = new java.util.TreeSet<>();
            List<Long> read = new ArrayList<>();
            for (SecretVersion v : history.versions()) {
                if (v.value() == null) continue;
                environmentIds.add(v.environmentId());
                read.add(v.version());
            }
            if (!read.isEmpty()) {
                audit.read(history.project().workspaceId(), history.secret().id(), history.project().id(), environmentId,
                        Journal.fields("secrets", List.of(history.secret().name()), "environments", List.copyOf(environmentIds), "versions", read));
            }
        }
        return history.versions();
    }

    /**
     * Writes an earlier version's value again, as a new version (history is never rewritten). The version must hold
     * a value; the caller needs write on the environment, and a personal version is only ever the caller's own.
     */
    public Secret rollback(Caller caller, String workspaceRef, String projectRef, String secretRef, String environmentId, long version,
                           boolean personal) {
        caller.requireWrite();
        return database.write(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
            SecretRow secret = findVisible(c, caller, project, visible, secretRef);
            EnvironmentRow env = visible.get(environmentId);
            if (env == null) throw ApiException.notFound("environment (environmentId)");
            String owner = owner(caller, env, personal, "isPersonal");
            SecretStore.VersionRow earlier = store.version(c, secret.id(), env.id(), owner, version);
            if (earlier == null) throw ApiException.notFound("version " + version + " of this value");
            if (earlier.deleted()) {
                throw ApiException.badRequest("field 'version': version " + version + " is the value's deletion; roll back to a version that holds a value");
            }
            writeValue(c, project, secret, dataKeys.sealer(c, project.workspaceId(), env.id()), env.id(), owner, open(c, project, earlier.asValue()),
                    clock.millis(), author(caller));
            return views(c, caller, project, null, false, s -> s.id().equals(secret.id()), null).get(0);
        });
    }

    /** The project's deleted secrets the caller may see, restorable until {@code purgeAt}. */
    public List<DeletedSecret> deleted(Caller caller, String workspaceRef, String projectRef) {
        return database.read(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
            boolean wholeProject = caller.scope().coversProject(project.id(), project.teamId());
            List<DeletedSecret> result = new ArrayList<>();
            for (SecretStore.DeletedSecret d : store.listDeleted(c, project.id())) {
                List<String> environmentIds = store.environmentsWithHistory(c, d.secret().id()).stream().filter(visible::containsKey).toList();
                if (environmentIds.isEmpty() && !wholeProject) continue;
                result.add(new DeletedSecret(d.secret().id(), d.secret().name(), WireTime.format(d.deletedAt()), d.deletedBy(), environmentIds,
                        WireTime.format(d.deletedAt() + deletedRetention.toMillis())));
            }
            return result;
        });
    }

    /**
     * Brings a deleted secret back with the values it had when it was deleted, each written again as a new version.
     * Needs write on every environment it held values in (as deleting it did), and its name must be free.
     */
    public Secret restore(Caller caller, String workspaceRef, String projectRef, String secretId) {
        caller.requireWrite();
        return database.write(c -> {
            ProjectRow project = projects.resolve(c, caller, workspaceRef, projectRef);
            Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
            SecretStore.DeletedSecret deleted = FieldRules.isUuid(secretId)
                    ? store.findDeleted(c, project.id(), secretId.toLowerCase(java.util.Locale.ROOT)) : null;
            List<String> environmentIds = deleted == null ? List.of() : store.environmentsWithHistory(c, deleted.secret().id());
            boolean wholeProject = caller.scope().coversProject(project.id(), project.teamId());
            if (deleted == null || (!wholeProject && environmentIds.stream().noneMatch(visible::containsKey))) {
                throw ApiException.notFound("deleted secret");
            }
            for (String env : environmentIds) {
                if (!visible.containsKey(env)) throw ApiException.forbidden("restoring this secret needs access to every environment that held a value of it");
            }
            SecretRow clash = store.find(c, project.id(), deleted.secret().name());
            if (clash != null && clash.name().equals(deleted.secret().name())) {
                throw ApiException.conflict("a secret named '" + deleted.secret().name() + "' exists again; rename or delete it before restoring this one");
            }
            long now = clock.millis();
            // the data keys before the deleted secret's row and the secret's, the order every transaction takes them in
            // (crypto/DataKeyStore.newestForSealing)
            Map<String, DataKeys.Sealer> sealers = new HashMap<>();
            for (String env : environmentIds) sealers.put(env, dataKeys.sealer(c, project.workspaceId(), env));
            store.restore(c, deleted, now);
            SecretRow secret = store.find(c, project.id(), deleted.secret().id());
            for (SecretStore.VersionRow last : store.latestVersions(c, secret.id())) {
                if (!last.withSecret()) continue; // deleted before its secret was: it stays deleted
                SecretStore.VersionRow held = store.version(c, secret.id(), last.environmentId(), last.ownerId(), last.version() - 1);
                if (held == null || held.deleted()) continue; // beyond the history kept
                writeValue(c, project, secret, sealers.get(last.environmentId()), last.environmentId(), last.ownerId(),
                        open(c, project, held.asValue()), now, author(caller));
            }
            return views(c, caller, project, null, false, s -> s.id().equals(secret.id()), null).stream().findFirst()
                    .orElseGet(() -> view(secret, List.of(), visible, null, false, Map.of()));
        });
    }

    /** Purges the secrets whose restore period is over, with their history; a background job runs it. */
    public int purgeDeleted() {
        return database.write(c -> store.purgeDeleted(c, clock.millis() - deletedRetention.toMillis()));
    }

    /** Shared values for a credential that sees no personal ones, unresolved: the hot path, served from memory. */
    private boolean fromCache(Caller caller, boolean resolve) {
        return cache.enabled() && !resolve && !caller.seesPersonalValues();
    }

    /**
     * The caller's project, from memory when it was loaded before and has not changed since. A load resolves the
     * reference again in the same transaction: a re-slugged or deleted project's change drops its rows, not the
     * references that named it, and such a reference must then answer as the database does.
     */
    private SecretCache.ProjectData cached(Caller caller, String workspaceRef, String projectRef) {
        ProjectRow remembered = cache.project(caller.workspaceId(), workspaceRef, projectRef);
        if (remembered == null) {
            // the generation must be read before the rows are, and it is the project's: resolve the reference first
            remembered = database.read(c -> projects.resolve(c, caller, workspaceRef, projectRef));
            cache.putProject(caller.workspaceId(), workspaceRef, projectRef, remembered);
        } else if (!caller.scope().seesProject(remembered.id(), remembered.teamId())) {
            throw ApiException.notFound("project"); // as ProjectService.resolve says it
        }
        SecretCache.ProjectData data = cache.get(remembered.id());
        if (data != null) return data;
        long[] generation = cache.generation(remembered.id());
        // one load at a time per reference and generation: a large project's readers, arriving together after a write,
        // wait for one load instead of each loading the same rows
        CompletableFuture<SecretCache.ProjectData> mine = new CompletableFuture<>();
        CompletableFuture<SecretCache.ProjectData> underWay = cache.loading(caller.workspaceId(), workspaceRef, projectRef, generation, mine);
        if (underWay != null) {
            try {
                return underWay.join();
            } catch (CompletionException | CancellationException loaderFailed) {
                return loadAndKeep(caller, workspaceRef, projectRef, remembered, generation); // the loader's failure may be its own
            }
        }
        try {
            data = loadAndKeep(caller, workspaceRef, projectRef, remembered, generation);
            mine.complete(data);
            return data;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            cache.loaded(caller.workspaceId(), workspaceRef, projectRef, mine);
        }
    }

    /** Loads the project a reference names, with the reference resolved again for the caller, and keeps it if nothing changed. */
    private SecretCache.ProjectData loadAndKeep(Caller caller, String workspaceRef, String projectRef, ProjectRow remembered, long[] generation) {
        SecretCache.ProjectData data;
        try {
            data = database.read(c -> load(c, projects.resolve(c, caller, workspaceRef, projectRef)));
        } catch (ApiException e) {
            cache.forgetProject(caller.workspaceId(), workspaceRef, projectRef);
            throw e;
        }
        ProjectRow project = data.project();
        if (!project.equals(remembered)) {
            cache.putProject(caller.workspaceId(), workspaceRef, projectRef, project);
            return data; // the generation read was another project's: this load is answered, not kept
        }
        cache.put(project.id(), generation, data);
        return data;
    }

    /** One project's rows as the cache keeps them, read in the caller's transaction. */
    private SecretCache.ProjectData load(Connection c, ProjectRow row) throws SQLException {
        List<EnvironmentRow> envs = environments.listByProject(c, row.id());
        List<String> envIds = envs.stream().map(EnvironmentRow::id).toList();
        Map<String, List<ValueRow>> shared = new HashMap<>();
        for (ValueRow value : store.values(c, row.id(), envIds, List.of(SecretStore.SHARED))) {
            dataKeys.load(c, row.workspaceId(), value.environmentId(), value.ciphertext());
            shared.computeIfAbsent(value.secretId(), k -> new ArrayList<>(envs.size())).add(value);
        }
        return new SecretCache.ProjectData(cache.nextLoad(), row, envs, store.listByProject(c, row.id()), shared,
                ReminderService.ofProject(c, store, row.id(), List.of(SecretStore.SHARED)));
    }

    /** {@link #views} over cached rows, for a caller that sees shared values only and wants them unresolved. */
    private List<Secret> cachedViews(SecretCache.ProjectData data, Caller caller, String environmentId, Predicate<SecretRow> wanted) {
        Map<String, EnvironmentRow> visible = new LinkedHashMap<>();
        for (EnvironmentRow env : data.environments()) {
            if (caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId())) visible.put(env.id(), env);
        }
        Collection<String> selected = selected(visible, environmentId);
        List<Secret> result = new ArrayList<>();
        for (SecretRow secret : data.secrets()) {
            if (!wanted.test(secret)) continue;
            List<Plain> values = null;
            for (ValueRow row : data.sharedValues().getOrDefault(secret.id(), List.of())) {
                if (!selected.contains(row.environmentId())) continue;
                if (values == null) values = new ArrayList<>(selected.size());
                values.add(new Plain(row, open(data.project(), row)));
            }
            if (values != null) result.add(view(secret, values, visible, null, false, data.reminders()));
        }
        return result;
    }

    /** Opens a value with its data key in memory (loaded with the rows); reads the key if it was not. */
    private String open(ProjectRow project, ValueRow row) {
        byte[] aad = Aad.secretValue(project.workspaceId(), project.id(), row.environmentId(), row.secretId(), row.version(), row.ownerId());
        byte[] plain = dataKeys.openLoaded(row.environmentId(), row.ciphertext(), aad);
        if (plain == null) plain = database.read(c -> dataKeys.open(c, project.workspaceId(), row.environmentId(), row.ciphertext(), aad));
        return new String(plain, StandardCharsets.UTF_8);
    }

    private SecretRow findVisible(Connection c, Caller caller, ProjectRow project, Map<String, EnvironmentRow> visible, String ref) throws SQLException {
        SecretRow secret = store.find(c, project.id(), ref);
        if (secret == null) throw ApiException.notFound("secret");
        if (caller.scope().coversProject(project.id(), project.teamId())) return secret;
        for (String env : store.environmentsWithValues(c, secret.id())) if (visible.containsKey(env)) return secret;
        throw ApiException.notFound("secret");
    }

    /** Renaming or deleting touches every environment's value, so the caller must be able to write them all. */
    private void requireEveryHoldingEnvironment(Connection c, SecretRow secret, Map<String, EnvironmentRow> visible, String what) throws SQLException {
        for (String env : store.environmentsWithValues(c, secret.id())) {
            if (!visible.containsKey(env)) throw ApiException.forbidden(what + " this secret needs access to every environment that holds a value of it");
        }
    }

    /** Writes a value's next version, sealed with {@code sealer}: the environment's newest data key, read in this transaction. */
    private Plain writeValue(Connection c, ProjectRow project, SecretRow secret, DataKeys.Sealer sealer, String environmentId, String owner,
                             String value, long now, SecretStore.Author by) throws SQLException {
        return writeValue(c, project, secret, sealer, environmentId, owner, value, now, by, store.version(c, secret.id(), environmentId, owner));
    }

    /** {@code current}: the value's version now, read by the caller in this transaction under the secret's row lock; null when it has none. */
    private Plain writeValue(Connection c, ProjectRow project, SecretRow secret, DataKeys.Sealer sealer, String environmentId, String owner,
                             String value, long now, SecretStore.Author by, Long current) throws SQLException {
        // the current version is the newest one; without one (never written, or deleted) the history says what comes next
        long version = current != null ? current + 1 : store.nextVersion(c, secret.id(), environmentId, owner);
        byte[] aad = Aad.secretValue(project.workspaceId(), project.id(), environmentId, secret.id(), version, owner);
        byte[] sealed = sealer.seal(value.getBytes(StandardCharsets.UTF_8), aad);
        ValueRow row = new ValueRow(secret.id(), environmentId, owner, version, sealed, now);
        if (current == null) store.insertValue(c, secret, row, by);
        else store.updateValue(c, secret, row, by);
        return new Plain(row, value);
    }

    private Map<String, EnvironmentRow> visibleEnvironments(Connection c, Caller caller, ProjectRow project) throws SQLException {
        Map<String, EnvironmentRow> visible = new LinkedHashMap<>();
        for (EnvironmentRow env : environments.listByProject(c, project.id())) {
            if (caller.scope().coversEnvironment(env.id(), env.projectId(), env.teamId())) visible.put(env.id(), env);
        }
        return visible;
    }

    /** The environments a read covers: the one asked for (404 when the caller may not see it), else all it may see. */
    private static Collection<String> selected(Map<String, EnvironmentRow> visible, String environmentId) {
        if (environmentId == null || environmentId.isEmpty()) return visible.keySet();
        if (!visible.containsKey(environmentId)) throw ApiException.notFound("environment");
        return List.of(environmentId);
    }

    /** Whose values a caller reads: the shared ones, and its person's own overrides where it acts as that person. */
    private static List<String> owners(Caller caller) {
        return caller.seesPersonalValues() ? List.of(SecretStore.SHARED, caller.userId()) : List.of(SecretStore.SHARED);
    }

    private List<Secret> views(Connection c, Caller caller, ProjectRow project, String environmentId, boolean resolve,
                               Predicate<SecretRow> wanted) throws SQLException {
        return views(c, caller, project, environmentId, resolve, wanted, null);
    }

    /**
     * {@link #views} of one secret as it is now, unresolved, reading only its own rows (its values and their reminders):
     * a get or an update costs the same in a project of 30 secrets or of 3,000. Null when the caller sees no value of it.
     */
    private Secret oneView(Connection c, Caller caller, ProjectRow project, Map<String, EnvironmentRow> visible, String environmentId,
                           SecretRow secret) throws SQLException {
        Collection<String> selected = selected(visible, environmentId);
        List<String> owners = owners(caller);
        List<Plain> values = new ArrayList<>();
        for (ValueRow row : store.valuesOf(c, secret.id(), selected, owners)) values.add(new Plain(row, open(c, project, row)));
        if (values.isEmpty()) return null;
        return view(secret, values, visible, null, false, ReminderService.ofSecret(c, store, secret.id(), owners));
    }

    /** The caller's view of a project's secrets, as they are now or ({@code at}) as they were then. */
    private List<Secret> views(Connection c, Caller caller, ProjectRow project, String environmentId, boolean resolve,
                               Predicate<SecretRow> wanted, Long at) throws SQLException {
        Map<String, EnvironmentRow> visible = visibleEnvironments(c, caller, project);
        Collection<String> selected = selected(visible, environmentId);
        List<String> owners = owners(caller);
        List<SecretRow> all = new ArrayList<>(store.listByProject(c, project.id()));
        if (at != null) {
            // a secret deleted since then was there then; one without a version by then is left out below
            for (SecretStore.DeletedSecret d : store.listDeleted(c, project.id())) all.add(d.secret());
            all.sort(java.util.Comparator.comparing(SecretRow::name));
        }
        List<SecretRow> secrets = all.stream().filter(wanted).toList();
        Set<String> wantedIds = new HashSet<>();
        for (SecretRow s : secrets) wantedIds.add(s.id());
        Map<String, String> namesById = new HashMap<>();
        if (resolve) for (SecretRow s : all) namesById.put(s.id(), s.name());

        Map<String, List<Plain>> bySecret = new HashMap<>();
        Collection<String> read = resolve ? visible.keySet() : selected;
        for (ValueRow row : at == null ? store.values(c, project.id(), read, owners) : store.valuesAt(c, project.id(), read, owners, at)) {
            if (!resolve && !wantedIds.contains(row.secretId())) continue;
            bySecret.computeIfAbsent(row.secretId(), k -> new ArrayList<>()).add(new Plain(row, open(c, project, row)));
        }
        References references = resolve ? references(visible, bySecret, namesById) : null;
        // a past state has no reminders: they are not versioned, and today's would mislead
        Map<String, SecretReminder> reminders = at != null ? Map.of() : ReminderService.ofProject(c, store, project.id(), owners);
        List<Secret> result = new ArrayList<>();
        for (SecretRow secret : secrets) {
            List<Plain> values = new ArrayList<>();
            for (Plain p : bySecret.getOrDefault(secret.id(), List.of())) if (selected.contains(p.row.environmentId())) values.add(p);
            if (!values.isEmpty()) result.add(view(secret, values, visible, references, resolve, reminders));
        }
        return result;
    }

    private String open(Connection c, ProjectRow project, ValueRow row) throws SQLException {
        byte[] aad = Aad.secretValue(project.workspaceId(), project.id(), row.environmentId(), row.secretId(), row.version(), row.ownerId());
        return new String(dataKeys.open(c, project.workspaceId(), row.environmentId(), row.ciphertext(), aad), StandardCharsets.UTF_8);
    }

    private References references(Map<String, EnvironmentRow> visible, Map<String, List<Plain>> bySecret, Map<String, String> namesById) {
        Map<String, References.EnvironmentValues> byEnvironment = new LinkedHashMap<>();
        for (EnvironmentRow env : visible.values()) {
            byEnvironment.put(env.id(), new References.EnvironmentValues(env.name(), new HashMap<>(), new HashMap<>()));
        }
        bySecret.forEach((secretId, plains) -> {
            for (Plain p : plains) {
                References.EnvironmentValues values = byEnvironment.get(p.row.environmentId());
                (SecretStore.SHARED.equals(p.row.ownerId()) ? values.shared() : values.personal()).put(namesById.get(secretId), p.value);
            }
        });
        return new References(byEnvironment, 4 * rules.limits.maxValueBytes());
    }

    /** {@code reminders}: the values' reminders by {@link ReminderStore#valueKey} (those the read loaded). */
    private static Secret view(SecretRow secret, List<Plain> values, Map<String, EnvironmentRow> order, References references, boolean resolve,
                               Map<String, SecretReminder> reminders) {
        List<String> environmentOrder = new ArrayList<>(order.keySet());
        List<Plain> sorted = new ArrayList<>(values);
        sorted.sort((a, b) -> {
            int byEnv = Integer.compare(environmentOrder.indexOf(a.row.environmentId()), environmentOrder.indexOf(b.row.environmentId()));
            return byEnv != 0 ? byEnv : Boolean.compare(!SecretStore.SHARED.equals(a.row.ownerId()), !SecretStore.SHARED.equals(b.row.ownerId()));
        });
        List<SecretValue> wire = new ArrayList<>(sorted.size());
        for (Plain p : sorted) {
            boolean personal = !SecretStore.SHARED.equals(p.row.ownerId());
            String value = resolve ? references.expand(p.row.environmentId(), secret.name(), personal, p.value) : p.value;
            wire.add(new SecretValue(p.row.environmentId(), value, personal,
                    reminders.get(ReminderStore.valueKey(secret.id(), p.row.environmentId(), p.row.ownerId()))));
        }
        return new Secret(secret.id(), secret.name(), secret.note(), secret.type(), secret.dataType(), wire,
                WireTime.format(secret.createdAt()), WireTime.format(secret.updatedAt()));
    }
}
