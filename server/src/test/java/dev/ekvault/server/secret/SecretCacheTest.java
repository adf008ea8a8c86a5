package dev.ekvault.server.secret;

import dev.ekvault.server.audit.AuditDevice;
import dev.ekvault.server.audit.AuditStore;
import dev.ekvault.server.audit.EventLog;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.api.Secret;
import dev.ekvault.api.SecretValue;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.access.Caller;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.workspace.EnvironmentService;
import dev.ekvault.server.workspace.EnvironmentStore.EnvironmentRow;
import dev.ekvault.server.wire.ApiException;
import dev.ekvault.server.wire.JsonBytes;
import dev.ekvault.server.workspace.ProjectService;
import dev.ekvault.server.workspace.ProjectStore.ProjectRow;
import dev.ekvault.server.testing.Await;
import dev.ekvault.server.testing.TestTree;
import dev.ekvault.server.workspace.WorkspaceService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ekvault.server.store.Database;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The read path's rows in memory: kept per project until that project is invalidated, a write's invalidation makes
 * the next read see it, a load that overlapped a write is not kept, and the memory it takes is bounded. Runs on the
 * real services and a SQLite database; a second service with its own cache stands for another process writing.
 */
class SecretCacheTest {
    private static final Config.Limits LIMITS = new Config.Limits(1 << 20, 32, 256, 64 * 1024, 100, 20, 5_000);

    @TempDir
    Path folder;
    private TestTree tree;
    private SecretCache cache;
    private SecretService secrets;
    private EnvironmentService environmentService;
    /** Writes as another process would: same database file, its own pool and cache, so this node's cache is not told. */
    private SecretService elsewhere;
    private Database otherProcess;
    private Caller caller;
    private String workspace;
    private ProjectRow web;
    private ProjectRow api;
    private EnvironmentRow webDev;
    private EnvironmentRow webProd;
    private EnvironmentRow apiDev;

    @BeforeEach
    void services() {
        tree = new TestTree(folder);
        cache = new SecretCache(true);
        cache.follow(tree.database.journal());
        secrets = service(tree.database, cache);
        otherProcess = new Database("jdbc:sqlite:" + folder.resolve("ek.db"), "", "", 2);
        elsewhere = service(otherProcess, new SecretCache(true));
        environmentService = new EnvironmentService(tree.database, tree.environments, projectService(tree.database), tree.dataKeys, cascade(), tree.clock);
        workspace = tree.workspace("acme");
        String team = tree.team(workspace, "one");
        web = tree.project(workspace, team, "web");
        api = tree.project(workspace, team, "api");
        webDev = tree.environment(web, "dev");
        webProd = tree.environment(web, "prod");
        apiDev = tree.environment(api, "dev");
        caller = tree.caller(workspace, Permission.READ_WRITE, Scope.ALL);
        create(web, webDev, "HOST", "v1");
        create(web, webProd, "HOST", "prod-v1");
        create(api, apiDev, "HOST", "api-v1");
    }

    @AfterEach
    void close() {
        otherProcess.close();
        tree.close();
    }

    private SecretService service(Database database, SecretCache secretCache) {
        return new SecretService(database, new SecretStore(100), tree.environments, projectService(database), tree.dataKeys, LIMITS,
                secretCache, new EventLog(false, database, new AuditStore(), AuditDevice.NONE, tree.clock), tree.clock,
                java.time.Duration.ofDays(30));
    }

    private ProjectService projectService(Database database) {
        return new ProjectService(database, tree.projects, tree.teams, new WorkspaceService(database, tree.workspaces), cascade(), tree.clock);
    }

    private dev.ekvault.server.workspace.TreeCascade cascade() {
        return new dev.ekvault.server.workspace.TreeCascade(tree.teams, tree.projects, tree.environments, tree.dataKeys,
                new dev.ekvault.server.workspace.TreeDependents());
    }

    private void create(ProjectRow project, EnvironmentRow env, String key, String value) {
        secrets.create(caller, "acme", project.slug(), List.of(env.id()), List.of(new SecretService.NewSecret(key, value, "runtime", "text")));
    }

    private static void setValue(SecretService service, Caller as, ProjectRow project, EnvironmentRow env, String key, String value) {
        service.update(as, "acme", project.slug(), key, new SecretService.Update(null, null, null, null,
                List.of(new SecretService.ValueChange(env.id(), value, false))));
    }

    /** The shared value of {@code key} in {@code env} as this node's cached read path answers it. */
    private String read(ProjectRow project, EnvironmentRow env, String key) {
        return secrets.get(caller, "acme", project.slug(), key, env.id(), false, null).values().get(0).value();
    }

    private List<String> listed(ProjectRow project, EnvironmentRow env) {
        return secrets.list(caller, "acme", project.slug(), env.id(), false).stream()
                .map(s -> s.name() + "=" + s.values().get(0).value()).toList();
    }

    private String answer(Caller as, ProjectRow project, EnvironmentRow env) {
        Object body = secrets.listAnswer(as, "acme", project.slug(), env.id(), false, null, tree.json);
        assertThat(body).as("the hot path answers with kept JSON").isInstanceOf(JsonBytes.class);
        return new String(((JsonBytes) body).bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aLoadedProjectIsReadFromMemoryUntilItIsInvalidated() {
        assertThat(read(web, webDev, "HOST")).isEqualTo("v1");
        setValue(elsewhere, caller, web, webDev, "HOST", "v2");
        assertThat(read(web, webDev, "HOST")).as("kept: the other process's write has not been announced").isEqualTo("v1");
        cache.invalidate(web.id()); // what the change feed does for a SECRET row
        assertThat(read(web, webDev, "HOST")).isEqualTo("v2");
    }

    @Test
    void invalidationIsPerProject() {
        read(web, webDev, "HOST");
        read(api, apiDev, "HOST");
        setValue(elsewhere, caller, web, webDev, "HOST", "v2");
        setValue(elsewhere, caller, api, apiDev, "HOST", "api-v2");
        cache.invalidate(web.id());
        assertThat(read(web, webDev, "HOST")).isEqualTo("v2");
        assertThat(read(api, apiDev, "HOST")).as("another project's rows stay").isEqualTo("api-v1");
        cache.invalidate(null); // a write that failed before it knew its project: nothing to drop, no failure
        assertThat(read(api, apiDev, "HOST")).isEqualTo("api-v1");
    }

    /**
     * Readers arriving while a project loads wait for that load rather than load it again, but only a load that read
     * the same generation: one started before a write the reader saw answered would miss that write.
     */
    @Test
    void aLoadUnderWayIsJoinedOnlyUnderTheSameGeneration() {
        long[] before = cache.generation(web.id());
        var first = new java.util.concurrent.CompletableFuture<SecretCache.ProjectData>();
        assertThat(cache.loading(workspace, "acme", "web", before, first)).as("no load under way: this one registers").isNull();
        var second = new java.util.concurrent.CompletableFuture<SecretCache.ProjectData>();
        assertThat(cache.loading(workspace, "acme", "web", cache.generation(web.id()), second)).as("the same generation joins").isSameAs(first);
        assertThat(cache.loading(workspace, "acme", web.id(), cache.generation(web.id()), second)).as("another reference loads its own").isNull();
        cache.loaded(workspace, "acme", web.id(), second);

        cache.invalidate(web.id()); // a write committed after the first load read its generation
        var third = new java.util.concurrent.CompletableFuture<SecretCache.ProjectData>();
        assertThat(cache.loading(workspace, "acme", "web", cache.generation(web.id()), third)).as("a newer generation never joins").isNull();
        cache.loaded(workspace, "acme", "web", first); // the older load ending does not end the newer one's registration
        var fourth = new java.util.concurrent.CompletableFuture<SecretCache.ProjectData>();
        assertThat(cache.loading(workspace, "acme", "web", cache.generation(web.id()), fourth)).isSameAs(third);
        cache.loaded(workspace, "acme", "web", third);
        assertThat(cache.loading(workspace, "acme", "web", cache.generation(web.id()), fourth)).as("ended: the next one registers").isNull();
        cache.loaded(workspace, "acme", "web", fourth);
    }

    @Test
    void invalidateAllDropsEveryProjectAndTheResolvedReferences() {
        read(web, webDev, "HOST");
        read(api, apiDev, "HOST");
        assertThat(cache.project(workspace, "acme", "web")).isEqualTo(web);
        setValue(elsewhere, caller, web, webDev, "HOST", "v2");
        setValue(elsewhere, caller, api, apiDev, "HOST", "api-v2");
        cache.invalidateAll();
        assertThat(cache.project(workspace, "acme", "web")).isNull();
        assertThat(read(web, webDev, "HOST")).isEqualTo("v2");
        assertThat(read(api, apiDev, "HOST")).isEqualTo("api-v2");
    }

    @Test
    void everyWriteThroughTheServiceIsSeenByTheNextReadOfEachKind() {
        assertThat(answer(caller, web, webDev)).contains("\"v1\"");
        assertThat(listed(web, webDev)).containsExactly("HOST=v1");

        setValue(secrets, caller, web, webDev, "HOST", "v2");
        assertThat(read(web, webDev, "HOST")).isEqualTo("v2");
        assertThat(listed(web, webDev)).containsExactly("HOST=v2");
        assertThat(answer(caller, web, webDev)).as("the kept JSON answer of the older load is not served").contains("\"v2\"").doesNotContain("\"v1\"");

        create(web, webDev, "PORT", "5432");
        assertThat(listed(web, webDev)).containsExactly("HOST=v2", "PORT=5432");
        assertThat(answer(caller, web, webDev)).contains("PORT");

        secrets.delete(caller, "acme", "web", "PORT");
        assertThat(listed(web, webDev)).containsExactly("HOST=v2");
        assertThatThrownBy(() -> read(web, webDev, "PORT")).isInstanceOf(ApiException.class).hasMessage("secret not found");
        assertThat(answer(caller, web, webDev)).doesNotContain("PORT");
    }

    @Test
    void aNewEnvironmentIsSeenByTheNextRead() {
        assertThat(listed(web, webDev)).containsExactly("HOST=v1"); // loads web with two environments
        String staging = environmentService.create(caller, "acme", "web", "staging", false).id();
        secrets.create(caller, "acme", "web", List.of(staging), List.of(new SecretService.NewSecret("HOST", "staging-v1", "runtime", "text")));
        List<Secret> all = secrets.list(caller, "acme", "web", null, false);
        assertThat(all).singleElement().satisfies(s -> assertThat(s.values()).extracting(SecretValue::value)
                .containsExactly("v1", "prod-v1", "staging-v1"));
    }

    @Test
    void aKeptAnswerIsGivenOnlyToCallersWhoseScopeCoversTheEnvironment() {
        answer(caller, web, webDev); // kept for web's dev
        Caller prodOnly = tree.caller(workspace, Permission.READ, Scope.of(List.of(), List.of(),
                List.of(new Scope.EnvironmentRef(webProd.id(), web.id(), web.teamId()))));
        assertThatThrownBy(() -> secrets.listAnswer(prodOnly, "acme", "web", webDev.id(), false, null, tree.json))
                .isInstanceOf(ApiException.class).hasMessage("environment not found");
        assertThat(answer(prodOnly, web, webProd)).contains("prod-v1").doesNotContain("\"v1\"");
        Caller apiOnly = tree.caller(workspace, Permission.READ, Scope.of(List.of(), List.of(new Scope.ProjectRef(api.id(), api.teamId())), List.of()));
        assertThatThrownBy(() -> secrets.listAnswer(apiOnly, "acme", "web", webDev.id(), false, null, tree.json))
                .as("a project resolved for another caller is not shown to one who cannot see it")
                .isInstanceOf(ApiException.class).hasMessage("project not found");
    }

    @Test
    void aLoadThatOverlappedAnInvalidationIsNotKept() {
        SecretCache.ProjectData data = loadedRows(web);
        long[] before = cache.generation(web.id());
        cache.invalidate(web.id()); // a write committed while the load was reading
        cache.put(web.id(), before, data);
        assertThat(cache.get(web.id())).isNull();

        long[] beforeAll = cache.generation(web.id());
        cache.invalidateAll();
        cache.put(web.id(), beforeAll, data);
        assertThat(cache.get(web.id())).isNull();

        cache.put(web.id(), cache.generation(web.id()), data);
        assertThat(cache.get(web.id())).as("a load with nothing in between is kept").isSameAs(data);
        cache.put(api.id(), cache.generation(api.id()), loadedRows(api));
        cache.invalidate(web.id());
        assertThat(cache.get(api.id())).isNotNull();
    }

    private SecretCache.ProjectData loadedRows(ProjectRow project) {
        return new SecretCache.ProjectData(cache.nextLoad(), project, List.of(), List.of(), Map.of(), Map.of());
    }

    /** The projects' rows are bounded by their size, not their count: a large project weighs what its values do. */
    @Test
    void aProjectWeighsWhatItsRowsHold() {
        List<SecretStore.SecretRow> secrets = new java.util.ArrayList<>();
        Map<String, List<SecretStore.ValueRow>> values = new java.util.HashMap<>();
        for (int i = 0; i < 3_000; i++) {
            String id = "secret-" + i;
            secrets.add(new SecretStore.SecretRow(id, workspace, web.id(), "KEY_" + i, null, "secret", "string", 0, 0));
            values.put(id, List.of(new SecretStore.ValueRow(id, webDev.id(), SecretStore.SHARED, 1, new byte[100], 0)));
        }
        int large = SecretCache.weight(new SecretCache.ProjectData(1, web, List.of(webDev), secrets, values, Map.of()));
        int empty = SecretCache.weight(loadedRows(web));
        assertThat(large).as("3,000 values of 100 bytes").isGreaterThan(3_000 * 100).isGreaterThan(100 * empty);
        assertThat((long) large * 300).as("a few hundred such projects fill the bound").isGreaterThan(SecretCache.MAX_PROJECT_BYTES);
    }

    @Test
    void listAnswersAreKeptPerLoadAndEnvironment() {
        SecretCache.ProjectData first = loadedRows(web);
        SecretCache.ProjectData second = loadedRows(web);
        SecretCache.Answer json = new SecretCache.Answer("[]".getBytes(StandardCharsets.UTF_8), List.of());
        cache.putAnswer(first, webDev.id(), json);
        assertThat(cache.answer(first, webDev.id())).isSameAs(json);
        assertThat(cache.answer(first, webProd.id())).isNull();
        assertThat(cache.answer(second, webDev.id())).as("a newer load of the project").isNull();
        cache.invalidateAll();
        assertThat(cache.answer(first, webDev.id())).isNull();
    }

    @Test
    void theKeptAnswersAndProjectsAreBounded() {
        SecretCache.ProjectData data = loadedRows(web);
        int answers = (int) (SecretCache.MAX_ANSWER_BYTES / (1 << 20)) + 8;
        for (int i = 0; i < answers; i++) cache.putAnswer(data, "env-" + i, new SecretCache.Answer(new byte[1 << 20], List.of()));
        Await.until("the answers fit their byte budget", Duration.ofSeconds(20), Duration.ofMillis(20), () ->
                IntStream.range(0, answers).filter(i -> cache.answer(data, "env-" + i) != null).count() * (1 << 20)
                        <= SecretCache.MAX_ANSWER_BYTES);

        // projects of about 1 MB of values each: no more are kept than the bytes allow
        SecretCache.ProjectData megabyte = new SecretCache.ProjectData(cache.nextLoad(), web, List.of(webDev),
                List.of(new SecretStore.SecretRow("s", workspace, web.id(), "BIG", null, "secret", "string", 0, 0)),
                Map.of("s", List.of(new SecretStore.ValueRow("s", webDev.id(), SecretStore.SHARED, 1, new byte[1 << 20], 0))), Map.of());
        int projects = (int) (SecretCache.MAX_PROJECT_BYTES / (1 << 20)) + 8;
        for (int i = 0; i < projects; i++) cache.put("p" + i, cache.generation("p" + i), megabyte);
        Await.until("the projects fit their byte budget", Duration.ofSeconds(20), Duration.ofMillis(20), () ->
                IntStream.range(0, projects).filter(i -> cache.get("p" + i) != null).count() * SecretCache.weight(megabyte)
                        <= SecretCache.MAX_PROJECT_BYTES);
    }

    @Test
    void aDisabledCacheReadsTheDatabaseEveryTime() {
        SecretService uncached = service(tree.database, new SecretCache(false));
        assertThat(uncached.get(caller, "acme", "web", "HOST", webDev.id(), false, null).values().get(0).value()).isEqualTo("v1");
        setValue(elsewhere, caller, web, webDev, "HOST", "v2");
        assertThat(uncached.get(caller, "acme", "web", "HOST", webDev.id(), false, null).values().get(0).value()).isEqualTo("v2");
        assertThat(uncached.listAnswer(caller, "acme", "web", webDev.id(), false, null, tree.json)).as("no kept JSON").isInstanceOf(List.class);
    }

    @Test
    void resolvedReadsBypassTheCache() {
        read(web, webDev, "HOST");
        setValue(elsewhere, caller, web, webDev, "HOST", "v2");
        assertThat(secrets.get(caller, "acme", "web", "HOST", webDev.id(), true, null).values().get(0).value()).isEqualTo("v2");
        assertThat(read(web, webDev, "HOST")).as("while the unresolved read is still served from memory").isEqualTo("v1");
    }
}
