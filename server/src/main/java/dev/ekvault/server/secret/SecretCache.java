package dev.ekvault.server.secret;

import dev.ekvault.server.store.ChangeFeed;
import dev.ekvault.server.store.Journal;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.secret.SecretStore.SecretRow;
import dev.ekvault.server.secret.SecretStore.ValueRow;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rows a read of shared values needs, per project, in memory: the project, its environments, its secrets and
 * their shared values as ciphertext. It spares the hot read path (an API token or its JWT listing or getting secrets)
 * every database statement. The commonest read, one environment's list, is also kept as the JSON answer it makes
 * (at most {@link #MAX_ANSWER_BYTES} of them), so a repeated list neither decrypts nor serialises again: those
 * plaintexts live in this node's memory, beside the unwrapped data keys that open every value anyway.
 *
 * <p>Exact on the node that writes: every write to a project's secrets or environments, and every change to the
 * project itself (a new slug, its deletion), invalidates the project <em>after</em> its transaction committed and
 * before the write is answered, and a load that overlapped a write is not kept (a per-project generation is read
 * before the load and checked when it is stored). Writes made by another node reach this one through the change feed
 * ({@code SECRET} rows), so they are seen within one poll ({@code change-feed.poll-millis}); a node that fell behind
 * catches up before it authenticates anything. That is the bound a reader on another node may see an older value
 * for, the same as revocation's, on SQLite (another process on the same file) and on PostgreSQL alike: the cache is
 * on for both, so a PostgreSQL node reads from memory as the embedded store does.
 *
 * <p>A reference (slug or id) is kept once resolved; a load resolves it again in the same transaction, so a
 * re-slugged or deleted project (whose change drops its rows) is answered as the database answers it.
 */
public final class SecretCache {
    /**
     * Everything of one project that a shared-value read looks at; {@code sharedValues} by secret id; the shared
     * values' {@code reminders} by {@link ReminderStore#valueKey} (a reminder change is a {@code SECRET} change too).
     */
    record ProjectData(long load, ProjectRow project, List<EnvironmentRow> environments, List<SecretRow> secrets,
                       Map<String, List<ValueRow>> sharedValues, Map<String, dev.ekvault.api.SecretReminder> reminders) {}

    private final boolean enabled;
    private final Cache<String, ProjectData> projects;
    private final Cache<String, ProjectRow> references;
    /** Serialised list answers, by load and environment: a load replaced by a newer one is never asked for again. */
    private final Cache<String, Answer> answers;

    /** A serialised list answer and the names of the secrets it holds (what its read's audit entry names). */
    record Answer(byte[] json, List<String> names) {}
    private final Map<String, Long> generations = new ConcurrentHashMap<>();
    private final AtomicLong globalGeneration = new AtomicLong();
    private final AtomicLong loads = new AtomicLong();

    public SecretCache(boolean enabled) {
        this.enabled = enabled;
        this.projects = Caffeine.newBuilder().maximumWeight(MAX_PROJECT_BYTES).weigher((String k, ProjectData v) -> weight(v))
                .expireAfterAccess(Duration.ofMinutes(30)).recordStats().build();
        this.references = Caffeine.newBuilder().maximumSize(10_000).build();
        this.answers = Caffeine.newBuilder().maximumWeight(MAX_ANSWER_BYTES).weigher((String k, Answer v) -> v.json().length + 64 + 48 * v.names().size())
                .expireAfterAccess(Duration.ofMinutes(30)).recordStats().build();
    }

    /** Hits and misses of the projects' rows since start (a miss loads the project from the database). */
    public com.github.benmanes.caffeine.cache.stats.CacheStats rowStats() {
        return projects.stats();
    }

    /** Hits and misses of the serialised list answers since start (a miss serialises the list again). */
    public com.github.benmanes.caffeine.cache.stats.CacheStats answerStats() {
        return answers.stats();
    }

    /** The memory the serialised answers may take together. */
    static final long MAX_ANSWER_BYTES = 32L * 1024 * 1024;

    /**
     * The memory the projects' rows may take together, roughly: bounded by size, not by count, since one project of
     * 3,000 secrets holds as much as a hundred small ones (and the heap is a few hundred MB). The least used go first.
     */
    static final long MAX_PROJECT_BYTES = 64L * 1024 * 1024;

    /** A project's rows' approximate footprint: the ciphertexts and names, and a fixed cost per row for the rest. */
    static int weight(ProjectData data) {
        long bytes = 1_024L + 256L * data.environments().size();
        for (var secret : data.secrets()) bytes += 160 + 2L * secret.name().length() + (secret.note() == null ? 0 : 2L * secret.note().length());
        for (var values : data.sharedValues().values()) for (var value : values) bytes += 120 + value.ciphertext().length;
        bytes += 200L * data.reminders().size();
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    long nextLoad() {
        return loads.incrementAndGet();
    }

    Answer answer(ProjectData data, String environmentId) {
        return answers.getIfPresent(data.load() + "/" + environmentId);
    }

    void putAnswer(ProjectData data, String environmentId, Answer answer) {
        answers.put(data.load() + "/" + environmentId, answer);
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * Drops, after each write on this node, the projects whose secrets or environments it changed (the journal's
     * {@code SECRET} changes); other processes' writes arrive through the change feed.
     */
    public void follow(Journal journal) {
        journal.subscribe((changes, committed) -> {
            for (Journal.Change change : changes) if (change.kind() == ChangeFeed.Kind.SECRET) invalidate(change.feedEntity());
        });
    }

    /** A project's rows changed (its transaction has committed): drop them, and refuse any load that overlapped. */
    public void invalidate(String projectId) {
        if (projectId == null) return;
        generations.merge(projectId, 1L, Long::sum);
        projects.invalidate(projectId);
    }

    /** Anything may have changed (a rename, a deletion, a write behind the server's back). */
    public void invalidateAll() {
        globalGeneration.incrementAndGet();
        projects.invalidateAll();
        references.invalidateAll();
        answers.invalidateAll();
    }

    /** Read before loading a project, handed back to {@link #put}. */
    long[] generation(String projectId) {
        return new long[] {globalGeneration.get(), generations.getOrDefault(projectId, 0L)};
    }

    ProjectData get(String projectId) {
        return projects.getIfPresent(projectId);
    }

    /** Keeps a load unless the project changed since {@code generation} was read. */
    void put(String projectId, long[] generation, ProjectData data) {
        projects.asMap().compute(projectId, (id, old) ->
                generation[0] == globalGeneration.get() && generation[1] == generations.getOrDefault(projectId, 0L) ? data : old);
    }

    ProjectRow project(String workspaceId, String workspaceRef, String projectRef) {
        return references.getIfPresent(referenceKey(workspaceId, workspaceRef, projectRef));
    }

    void putProject(String workspaceId, String workspaceRef, String projectRef, ProjectRow project) {
        references.put(referenceKey(workspaceId, workspaceRef, projectRef), project);
    }

    /** A load under way: the generation it read, and its result when done. */
    private record Loading(long global, long project, CompletableFuture<ProjectData> result) {}

    private final Map<String, Loading> loading = new ConcurrentHashMap<>();

    /**
     * The load of this reference already under way under the same generation (its rows then hold every write this
     * caller could have seen answered), or null after registering {@code mine} as that load; {@link #loaded} ends it.
     */
    CompletableFuture<ProjectData> loading(String workspaceId, String workspaceRef, String projectRef, long[] generation,
                                           CompletableFuture<ProjectData> mine) {
        Loading current = loading.compute(referenceKey(workspaceId, workspaceRef, projectRef), (key, old) ->
                old != null && old.global() == generation[0] && old.project() == generation[1] ? old : new Loading(generation[0], generation[1], mine));
        return current.result() == mine ? null : current.result();
    }

    void loaded(String workspaceId, String workspaceRef, String projectRef, CompletableFuture<ProjectData> mine) {
        loading.computeIfPresent(referenceKey(workspaceId, workspaceRef, projectRef), (key, old) -> old.result() == mine ? null : old);
    }

    /** The reference no longer names a project the caller may see (re-slugged, deleted): resolve it again next time. */
    void forgetProject(String workspaceId, String workspaceRef, String projectRef) {
        references.invalidate(referenceKey(workspaceId, workspaceRef, projectRef));
    }

    private static String referenceKey(String workspaceId, String workspaceRef, String projectRef) {
        return workspaceId + '\n' + workspaceRef + '\n' + projectRef;
    }
}
