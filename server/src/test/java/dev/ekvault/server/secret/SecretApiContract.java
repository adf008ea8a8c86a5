package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Await;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HeldTransaction;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.access.Credential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The secrets API of API.md §3, over real HTTP, run on each database by a one-line subclass. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecretApiContract {
    abstract Backend backend();

    TestServer s;
    String prod;
    String dev;
    static final String BASE = "/v1/workspace/acme/project/web/secret";

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", true);
        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("DB_HOST", "db.internal");
        secrets.put("DATABASE_URL", "postgres://${DB_HOST}/app");
        s.createSecrets("web", List.of(prod, dev), secrets);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private JsonNode byName(Iterable<JsonNode> list, String name) {
        for (JsonNode secret : list) if (secret.get("name").asText().equals(name)) return secret;
        return null;
    }

    private String valueIn(JsonNode secret, String environmentId, boolean personal) {
        for (JsonNode v : secret.get("values")) {
            if (v.get("environmentId").asText().equals(environmentId) && v.get("isPersonal").asBoolean() == personal) return v.get("value").asText();
        }
        return null;
    }

    @Test
    void listsWithEitherSpellingOfTheEnvironmentParameter() {
        for (String param : List.of("environmentId", "environment_id")) {
            HttpResult r = s.get(BASE + "?" + param + "=" + prod, s.ownerToken);
            assertThat(r.status()).isEqualTo(200);
            JsonNode db = byName(r.json(), "DB_HOST");
            assertThat(db.get("values")).hasSize(1);
            assertThat(valueIn(db, prod, false)).isEqualTo("db.internal");
            assertThat(db.get("type").asText()).isEqualTo("runtime");
            assertThat(db.get("dataType").asText()).isEqualTo("text");
            assertThat(db.get("createdAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        }
    }

    @Test
    void listWithoutEnvironmentShowsEveryEnvironment() {
        JsonNode db = byName(s.get(BASE, s.ownerToken).json(), "DB_HOST");
        assertThat(valueIn(db, prod, false)).isEqualTo("db.internal");
        assertThat(valueIn(db, dev, false)).isEqualTo("db.internal");
    }

    @Test
    void unknownEnvironmentFilterIsNotFound() {
        assertThat(s.get(BASE + "?environmentId=" + java.util.UUID.randomUUID(), s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void getsOneSecretByUrlEncodedKeyOrId() {
        HttpResult byKey = s.get(BASE + "/" + URLEncoder.encode("DATABASE_URL", StandardCharsets.UTF_8) + "?environmentId=" + prod, s.ownerToken);
        assertThat(byKey.status()).isEqualTo(200);
        assertThat(byKey.json().get("name").asText()).isEqualTo("DATABASE_URL");
        assertThat(valueIn(byKey.json(), prod, false)).isEqualTo("postgres://${DB_HOST}/app");
        HttpResult byId = s.get(BASE + "/" + byKey.json().get("id").asText(), s.ownerToken);
        assertThat(byId.json().get("name").asText()).isEqualTo("DATABASE_URL");
        HttpResult missing = s.get(BASE + "/NO_SUCH_KEY", s.ownerToken);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.message()).isEqualTo("secret not found");
    }

    @Test
    void resolveExpandsReferencesAndRawIsLeftAlone() {
        JsonNode resolved = s.get(BASE + "/DATABASE_URL?environmentId=" + prod + "&resolve=true", s.ownerToken).json();
        assertThat(valueIn(resolved, prod, false)).isEqualTo("postgres://db.internal/app");
        JsonNode raw = s.get(BASE + "/DATABASE_URL?environmentId=" + prod, s.ownerToken).json();
        assertThat(valueIn(raw, prod, false)).isEqualTo("postgres://${DB_HOST}/app");
    }

    @Test
    void resolveFollowsReferencesIntoAnotherEnvironmentByName() {
        s.createSecrets("web", List.of(prod), Map.of("FROM_DEV", "host=${dev.DB_HOST};x=${DB_HOST}"));
        JsonNode r = s.get(BASE + "/FROM_DEV?environmentId=" + prod + "&resolve=true", s.ownerToken).json();
        assertThat(valueIn(r, prod, false)).isEqualTo("host=db.internal;x=db.internal");
    }

    @Test
    void resolveFailsLoudlyOnAMissingReferenceAndOnACycle() {
        String project = "refs-" + backend().name().toLowerCase();
        s.createProject(project);
        String env = s.createEnvironment(project, "main", false);
        String base = "/v1/workspace/acme/project/" + project + "/secret";
        s.createSecrets(project, List.of(env), Map.of("BROKEN", "x${NOPE}y"));
        HttpResult missing = s.get(base + "?resolve=true", s.ownerToken);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.message()).contains("main.BROKEN").contains("${NOPE}");
        assertThat(s.get(base, s.ownerToken).status()).as("without resolve the raw value is returned").isEqualTo(200);

        s.delete(base + "/BROKEN", s.ownerToken);
        Map<String, String> cycle = new LinkedHashMap<>();
        cycle.put("A", "${B}");
        cycle.put("B", "${C}");
        cycle.put("C", "${A}");
        s.createSecrets(project, List.of(env), cycle);
        HttpResult looped = s.get(base + "/A?resolve=true", s.ownerToken);
        assertThat(looped.status()).isEqualTo(400);
        assertThat(looped.message()).contains("cycle").contains("main.A -> main.B -> main.C -> main.A");
    }

    /**
     * Each value under its cap, the answer as a whole not: 80 values that each expand a 60 KiB value would add 4.8 M
     * characters to one list answer, past References.MAX_ADDED_CHARACTERS; the list is a 400 naming the limit, while
     * one of them, or the list without resolve, is answered.
     */
    @Test
    void resolveBoundsTheWholeAnswer() {
        String project = "wide-" + backend().name().toLowerCase();
        s.createProject(project);
        String env = s.createEnvironment(project, "main", false);
        Map<String, String> wide = new LinkedHashMap<>();
        wide.put("BIG", "b".repeat(60 * 1024));
        for (int i = 0; i < 80; i++) wide.put("COPY_" + i, "${BIG}");
        s.createSecrets(project, List.of(env), wide);
        String base = "/v1/workspace/acme/project/" + project + "/secret";
        HttpResult whole = s.get(base + "?environmentId=" + env + "&resolve=true", s.ownerToken);
        assertThat(whole.status()).as("%s", whole).isEqualTo(400);
        assertThat(whole.message()).contains("resolve=true").contains(Integer.toString(References.MAX_ADDED_CHARACTERS));
        assertThat(s.get(base + "/COPY_1?environmentId=" + env + "&resolve=true", s.ownerToken).status()).isEqualTo(200);
        assertThat(s.get(base + "?environmentId=" + env, s.ownerToken).status()).isEqualTo(200);
    }

    @Test
    void resolveCapsExponentialExpansion() {
        String project = "bomb-" + backend().name().toLowerCase();
        s.createProject(project);
        String env = s.createEnvironment(project, "main", false);
        Map<String, String> bomb = new LinkedHashMap<>();
        bomb.put("L0", "x".repeat(1000));
        for (int i = 1; i <= 12; i++) bomb.put("L" + i, ("${L" + (i - 1) + "}").repeat(8));
        s.createSecrets(project, List.of(env), bomb);
        HttpResult r = s.get("/v1/workspace/acme/project/" + project + "/secret/L12?resolve=true", s.ownerToken);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.message()).contains("expands to more than");
    }

    @Test
    void bulkCreateAddsAnExistingKeyToANewEnvironmentButNotTwiceToOne() {
        String third = s.createEnvironment("web", "staging", false);
        assertThat(s.post(BASE, s.ownerToken, "{\"environments\":[\"" + third + "\"],\"secrets\":[{\"key\":\"DB_HOST\",\"value\":\"staging-db\"}]}")
                .status()).isEqualTo(201);
        JsonNode db = s.get(BASE + "/DB_HOST", s.ownerToken).json();
        assertThat(valueIn(db, third, false)).isEqualTo("staging-db");
        assertThat(valueIn(db, prod, false)).isEqualTo("db.internal");

        HttpResult again = s.post(BASE, s.ownerToken, "{\"environments\":[\"" + third + "\"],\"secrets\":[{\"key\":\"DB_HOST\",\"value\":\"other\"}]}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.message()).contains("DB_HOST").contains("staging");
        assertThat(valueIn(s.get(BASE + "/DB_HOST", s.ownerToken).json(), third, false)).isEqualTo("staging-db");
    }

    @Test
    void bulkCreateIsAllOrNothing() {
        HttpResult r = s.post(BASE, s.ownerToken, "{\"environments\":[\"" + prod + "\"],\"secrets\":["
                + "{\"key\":\"ATOMIC_ONE\",\"value\":\"1\"},{\"key\":\"DB_HOST\",\"value\":\"clash\"}]}");
        assertThat(r.status()).isEqualTo(409);
        assertThat(s.get(BASE + "/ATOMIC_ONE", s.ownerToken).status()).as("the first secret was rolled back").isEqualTo(404);
    }

    @Test
    void updateChangesValuesRenamesAndRemovesAnEmptyValue() {
        JsonNode created = s.createSecrets("web", List.of(prod, dev), Map.of("TO_UPDATE", "v1")).get(0);
        String id = created.get("id").asText();
        HttpResult updated = s.put(BASE + "/" + id, s.ownerToken, "{\"name\":\"UPDATED\",\"type\":\"runtime\",\"dataType\":\"text\",\"values\":["
                + "{\"environmentId\":\"" + prod + "\",\"value\":\"v2\",\"isPersonal\":false},"
                + "{\"environmentId\":\"" + dev + "\",\"value\":\"\",\"isPersonal\":false}]}");
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().get("name").asText()).isEqualTo("UPDATED");
        JsonNode after = s.get(BASE + "/UPDATED", s.ownerToken).json();
        assertThat(valueIn(after, prod, false)).isEqualTo("v2");
        assertThat(valueIn(after, dev, false)).as("an empty value removes it").isNull();
        assertThat(s.get(BASE + "/TO_UPDATE", s.ownerToken).status()).isEqualTo(404);

        HttpResult clash = s.put(BASE + "/" + id, s.ownerToken, "{\"name\":\"DB_HOST\"}");
        assertThat(clash.status()).isEqualTo(409);
        assertThat(s.put(BASE + "/" + java.util.UUID.randomUUID(), s.ownerToken, "{\"values\":[]}").status()).isEqualTo(404);
    }

    @Test
    void deleteRemovesTheSecretWithoutABodyOrContentType() {
        String id = s.createSecrets("web", List.of(prod), Map.of("TO_DELETE", "gone")).get(0).get("id").asText();
        HttpResult deleted = s.delete(BASE + "/" + id, s.ownerToken);
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(s.get(BASE + "/TO_DELETE", s.ownerToken).status()).isEqualTo(404);
        assertThat(s.delete(BASE + "/" + id, s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void anEmptyProjectListsAsAnEmptyArray() {
        String project = "empty-" + backend().name().toLowerCase();
        s.createProject(project);
        s.createEnvironment(project, "main", false);
        HttpResult r = s.get("/v1/workspace/acme/project/" + project + "/secret", s.ownerToken);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().isArray()).isTrue();
        assertThat(r.json()).isEmpty();
    }

    @Test
    void personalOverridesAreSeenOnlyByTheirPersonAndNeverByStaticTokens() {
        String alice = s.addPersonWithCredential("alice-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.CLI, Permission.READ_WRITE, Scope.ALL);
        String bob = s.addPersonWithCredential("bob-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.CLI, Permission.READ_WRITE, Scope.ALL);
        String id = s.createSecrets("web", List.of(dev, prod), Map.of("API_URL", "https://shared")).get(0).get("id").asText();

        HttpResult set = s.put(BASE + "/" + id, alice, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"http://localhost\",\"isPersonal\":true}]}");
        assertThat(set.status()).isEqualTo(200);

        JsonNode seenByAlice = s.get(BASE + "/API_URL?environmentId=" + dev, alice).json();
        assertThat(valueIn(seenByAlice, dev, true)).isEqualTo("http://localhost");
        assertThat(valueIn(seenByAlice, dev, false)).isEqualTo("https://shared");

        JsonNode seenByBob = s.get(BASE + "/API_URL?environmentId=" + dev, bob).json();
        assertThat(valueIn(seenByBob, dev, true)).isNull();
        assertThat(seenByBob.get("values")).hasSize(1);

        JsonNode seenByStatic = s.get(BASE + "/API_URL?environmentId=" + dev, s.ownerToken).json();
        assertThat(valueIn(seenByStatic, dev, true)).isNull();

        HttpResult onProd = s.put(BASE + "/" + id, alice, "{\"values\":[{\"environmentId\":\"" + prod + "\",\"value\":\"x\",\"isPersonal\":true}]}");
        assertThat(onProd.status()).isEqualTo(400);
        assertThat(onProd.message()).contains("values[0].isPersonal").contains("production");

        HttpResult fromStatic = s.put(BASE + "/" + id, s.ownerToken, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"x\",\"isPersonal\":true}]}");
        assertThat(fromStatic.status()).isEqualTo(403);
    }

    /**
     * A get and an update read only their own secret's rows: the answer holds that secret's values (the caller's own
     * personal one with the shared ones) and that value's reminder, never a neighbour's.
     */
    @Test
    void aGetOrAnUpdateAnswersItsOwnSecretsValuesAndRemindersOnly() {
        String dana = s.addPersonWithCredential("dana-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.CLI, Permission.READ_WRITE, Scope.ALL);
        JsonNode created = s.createSecrets("web", List.of(prod, dev), new LinkedHashMap<>(Map.of("OWN_A", "a-shared", "OWN_B", "b-shared")));
        String a = byName(created, "OWN_A").get("id").asText();
        String b = byName(created, "OWN_B").get("id").asText();
        String when = java.time.Instant.now().plus(java.time.Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        assertThat(s.put(BASE + "/" + b, dana, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"b-mine\",\"isPersonal\":true,"
                + "\"reminder\":{\"type\":\"one_time\",\"nextReminderDate\":\"" + when + "\"}}]}").status()).isEqualTo(200);

        HttpResult updated = s.put(BASE + "/" + a, dana, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"a-mine\",\"isPersonal\":true}]}");
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().get("name").asText()).isEqualTo("OWN_A");
        assertThat(updated.json().get("values")).hasSize(3);
        assertThat(valueIn(updated.json(), dev, true)).isEqualTo("a-mine");
        assertThat(valueIn(updated.json(), dev, false)).isEqualTo("a-shared");
        assertThat(valueIn(updated.json(), prod, false)).isEqualTo("a-shared");
        for (JsonNode v : updated.json().get("values")) assertThat(v.path("reminder").isMissingNode() || v.path("reminder").isNull()).isTrue();

        JsonNode gotB = s.get(BASE + "/OWN_B?environmentId=" + dev, dana).json();
        assertThat(gotB.get("values")).hasSize(2);
        assertThat(valueIn(gotB, dev, true)).isEqualTo("b-mine");
        assertThat(valueIn(gotB, dev, false)).isEqualTo("b-shared");
        for (JsonNode v : gotB.get("values")) {
            boolean personal = v.get("isPersonal").asBoolean();
            assertThat(v.path("reminder").path("nextReminderDate").isTextual()).as("only dana's value of OWN_B has the reminder").isEqualTo(personal);
        }
        // a static token sees the shared value only, without dana's reminder
        JsonNode gotByToken = s.get(BASE + "/" + b + "?environmentId=" + dev, s.ownerToken).json();
        assertThat(gotByToken.get("values")).hasSize(1);
        assertThat(valueIn(gotByToken, dev, false)).isEqualTo("b-shared");
    }

    @Test
    void personalValuesResolveAgainstTheirPersonsViewAndSharedOnesAgainstShared() {
        String carol = s.addPersonWithCredential("carol-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.CLI, Permission.READ_WRITE, Scope.ALL);
        String hostId = s.createSecrets("web", List.of(dev), Map.of("SVC_HOST", "svc.shared")).get(0).get("id").asText();
        s.createSecrets("web", List.of(dev), Map.of("SVC_URL", "https://${SVC_HOST}/"));
        s.put(BASE + "/" + hostId, carol, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"localhost\",\"isPersonal\":true}]}");
        String urlId = s.get(BASE + "/SVC_URL", carol).json().get("id").asText();
        s.put(BASE + "/" + urlId, carol, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"http://${SVC_HOST}:8080/\",\"isPersonal\":true}]}");

        JsonNode r = s.get(BASE + "/SVC_URL?environmentId=" + dev + "&resolve=true", carol).json();
        assertThat(valueIn(r, dev, true)).isEqualTo("http://localhost:8080/");
        assertThat(valueIn(r, dev, false)).isEqualTo("https://svc.shared/");
    }

    @Test
    void valuesComeBackInEnvironmentOrderWithSharedBeforePersonal() {
        JsonNode db = byName(s.get(BASE, s.ownerToken).json(), "DATABASE_URL");
        List<String> order = new ArrayList<>();
        for (JsonNode v : db.get("values")) order.add(v.get("environmentId").asText());
        List<String> environmentOrder = new ArrayList<>();
        for (JsonNode e : s.get("/v1/workspace/acme/project/web/environment", s.ownerToken).json()) {
            if (order.contains(e.get("id").asText())) environmentOrder.add(e.get("id").asText());
        }
        assertThat(order).containsExactlyElementsOf(environmentOrder).contains(prod, dev);
    }

    /**
     * A token's reads come from the node's memory (SecretCache), keyed by the project's slug as the client wrote it:
     * a new slug or a deleted project must answer as the database does, not as the memory remembers.
     */
    @Test
    void aReSluggedOrDeletedProjectIsReadAsTheDatabaseSaysFromMemoryToo() {
        s.createProject("moving");
        String env = s.createEnvironment("moving", "production", false);
        s.createSecrets("moving", List.of(env), Map.of("MOVING_KEY", "v1"));
        String reader = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThat(s.sharedValues("moving", env, reader)).containsEntry("MOVING_KEY", "v1");
        assertThat(s.get("/v1/workspace/acme/project/moving/secret/MOVING_KEY?environmentId=" + env, reader).status()).isEqualTo(200);

        assertThat(s.patch("/v1/workspace/acme/project/moving", s.ownerToken, "{\"slug\":\"moved\"}").status()).isEqualTo(200);
        assertThat(s.get("/v1/workspace/acme/project/moving/secret?environmentId=" + env, reader).status()).as("the old slug").isEqualTo(404);
        assertThat(s.get("/v1/workspace/acme/project/moving/secret/MOVING_KEY?environmentId=" + env, reader).status()).isEqualTo(404);
        assertThat(s.sharedValues("moved", env, reader)).as("the new slug").containsEntry("MOVING_KEY", "v1");

        assertThat(s.delete("/v1/workspace/acme/project/moved", s.ownerToken).status()).isIn(200, 204);
        assertThat(s.get("/v1/workspace/acme/project/moved/secret?environmentId=" + env, reader).status()).as("deleted").isEqualTo(404);
        assertThat(s.get("/v1/workspace/acme/project/moved/secret/MOVING_KEY?environmentId=" + env, reader).status()).isEqualTo(404);
    }

    /**
     * Several PostgreSQL nodes each read from memory: the node that wrote answers its write at once; another node
     * answers it after its next change-feed poll (here polled by hand; it would otherwise poll in a minute), never later.
     */
    @Test
    void anotherNodeSeesAWriteAfterOnePollAndTheWritingNodeAtOnce() {
        if (backend() != Backend.POSTGRESQL) return; // several nodes share a PostgreSQL database
        s.createProject("shared-reads");
        String env = s.createEnvironment("shared-reads", "production", false);
        String id = s.createSecrets("shared-reads", List.of(env), Map.of("READ_KEY", "before")).get(0).get("id").asText();
        String reader = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        try (TestServer b = s.anotherNode(s.clock, "--access-change-poll-millis=60000")) {
            assertThat(b.sharedValues("shared-reads", env, reader)).as("b loads the project").containsEntry("READ_KEY", "before");
            assertThat(s.sharedValues("shared-reads", env, reader)).containsEntry("READ_KEY", "before");

            assertThat(s.put("/v1/workspace/acme/project/shared-reads/secret/" + id, s.ownerToken,
                    "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"after\"}]}").status()).isEqualTo(200);
            assertThat(s.sharedValues("shared-reads", env, reader)).as("the writing node, at once").containsEntry("READ_KEY", "after");
            assertThat(s.get("/v1/workspace/acme/project/shared-reads/secret/READ_KEY?environmentId=" + env, reader).json().get("values")
                    .get(0).get("value").asText()).isEqualTo("after");

            b.server.changeFeed().poll();
            assertThat(b.sharedValues("shared-reads", env, reader)).as("b after one poll").containsEntry("READ_KEY", "after");
            assertThat(b.get("/v1/workspace/acme/project/shared-reads/secret/READ_KEY?environmentId=" + env, reader).json().get("values")
                    .get(0).get("value").asText()).isEqualTo("after");

            assertThat(s.delete("/v1/workspace/acme/project/shared-reads", s.ownerToken).status()).isIn(200, 204);
            b.server.changeFeed().poll();
            assertThat(b.get("/v1/workspace/acme/project/shared-reads/secret?environmentId=" + env, reader).status())
                    .as("a project deleted on another node").isEqualTo(404);
        }
    }

    /**
     * On PostgreSQL every transaction takes an environment's data keys before the secrets and values under it
     * (crypto/DataKeyStore.newestForSealing). An update that has read its environment's key therefore finishes before
     * that environment's deletion goes on, and the deletion then takes the new value with the rest. In the other order
     * (the secret's row, then the key) the deletion deleted the key under the waiting update, which then failed with
     * 500; and a deletion holding the values while the update held the key would deadlock.
     */
    @Test
    void anUpdateUnderWayWhenItsEnvironmentIsDeletedFinishesFirst() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // SQLite's single writer runs the two one after the other
        s.createProject("raced");
        String doomed = s.createEnvironment("raced", "doomed", false);
        String kept = s.createEnvironment("raced", "kept", false);
        String secretId = s.createSecrets("raced", List.of(doomed, kept), Map.of("RACED", "before")).get(0).get("id").asText();
        String secretPath = "/v1/workspace/acme/project/raced/secret/" + secretId;
        againstTheDeletionOf("raced", doomed, "the update", "SELECT id FROM secret WHERE id = ? FOR UPDATE", secretId,
                () -> s.put(secretPath, s.ownerToken, "{\"values\":[{\"environmentId\":\"" + doomed + "\",\"value\":\"after\"}]}"));
        keepsOnly("raced", "RACED", kept, "before");
    }

    /**
     * The same order for a restore: it reads its environments' data keys before it takes the deleted secret's row, so a
     * deletion of one of those environments waits for the restore to finish, and then deletes the restored value with
     * its environment. (Reading the keys after, the deletion went first and the restore found no data key: 500.)
     */
    @Test
    void aRestoreUnderWayWhenOneOfItsEnvironmentsIsDeletedFinishesFirst() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // SQLite's single writer runs the two one after the other
        s.createProject("revived");
        String doomed = s.createEnvironment("revived", "doomed", false);
        String kept = s.createEnvironment("revived", "kept", false);
        String secretId = s.createSecrets("revived", List.of(doomed, kept), Map.of("REVIVED", "before")).get(0).get("id").asText();
        assertThat(s.delete("/v1/workspace/acme/project/revived/secret/" + secretId, s.ownerToken).status()).isEqualTo(204);
        againstTheDeletionOf("revived", doomed, "the restore", "SELECT id FROM deleted_secret WHERE id = ? FOR UPDATE", secretId,
                () -> s.post("/v1/workspace/acme/project/revived/deleted-secret/" + secretId + "/restore", s.ownerToken, "{}"));
        keepsOnly("revived", "REVIVED", kept, "before");
    }

    /**
     * On PostgreSQL a write's audit append commits without waiting for the sync of PostgreSQL's log (so the chain's lock
     * is let go sooner), and the write is answered only once the log is synced past that commit all the same: the log's
     * synced position, read the moment the answer is in, is past where the log stood before the write; and, read with
     * pg_walinspect (PostgreSQL 15 and later), the write's COMMIT record ends at or before that position.
     * (PostgreSQL's own log writer syncs an unsynced commit within a few hundred milliseconds: without the wait, the
     * position read a moment after the answer is behind the record.)
     */
    @Test
    void aWriteIsAnsweredOnlyOnceItsCommitIsSyncedToPostgresLog() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // SQLite syncs its log at every commit (synchronous=FULL)
        s.createProject("durable");
        String env = s.createEnvironment("durable", "prod", false);
        String secretId = s.createSecrets("durable", List.of(env), Map.of("DURABLE", "before")).get(0).get("id").asText();
        try (java.sql.Connection look = java.sql.DriverManager.getConnection(s.config.database().url())) {
            // the embedded PostgreSQL the tests start without EK_TEST_POSTGRES_URL runs with synchronous_commit=off and
            // fsync=off: no commit there waits for a sync, so there is none to check
            if (!Sql.one(look, "SHOW synchronous_commit", r -> r.getString(1)).equals("on")) return;
            // pg_walinspect comes with PostgreSQL 15: on an older server only the first check below runs
            boolean walinspect = Sql.exists(look, "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_walinspect'");
            if (walinspect) Sql.update(look, "CREATE EXTENSION IF NOT EXISTS pg_walinspect");
            String from = Sql.one(look, "SELECT pg_current_wal_insert_lsn()::text", r -> r.getString(1));
            for (int i = 0; i < 5; i++) {
                HttpResult updated = s.put("/v1/workspace/acme/project/durable/secret/" + secretId, s.ownerToken,
                        "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"v" + i + "\"}]}");
                String flushed = Sql.one(look, "SELECT pg_current_wal_flush_lsn()::text", r -> r.getString(1));
                assertThat(updated.status()).isEqualTo(200);
                String xid = Sql.one(look, "SELECT xmin::text FROM secret WHERE id = ?", r -> r.getString(1), secretId);
                boolean pastTheStart = Sql.one(look, "SELECT ?::pg_lsn > ?::pg_lsn", r -> r.getBoolean(1), flushed, from);
                assertThat(pastTheStart).as("update %d: the log synced (to %s) past where it stood before the updates (%s)", i, flushed, from).isTrue();
                if (!walinspect) continue;
                // the log's records from before the first update up to where it was synced when this one was answered
                String commitEnd = Sql.one(look, "SELECT end_lsn::text FROM pg_get_wal_records_info_till_end_of_wal(?::pg_lsn) "
                        + "WHERE resource_manager = 'Transaction' AND record_type = 'COMMIT' AND xid::text = ? AND end_lsn <= ?::pg_lsn",
                        r -> r.getString(1), from, xid, flushed);
                assertThat(commitEnd).as("update %d: its COMMIT record was in the log synced (to %s) when it was answered", i, flushed).isNotNull();
            }
        }
    }

    /**
     * A write that PostgreSQL aborts to break a deadlock was rolled back whole: it answers 409 (a conflicting change at
     * the same time; retry), not 500, and the same write sent again succeeds. The deadlock is made by hand: a transaction
     * holds the secret's row, the update takes the data key (shared) and queues for the row, then the transaction asks
     * for the key exclusively. The update, waiting first, is the one PostgreSQL aborts.
     */
    @Test
    void aWriteAbortedByADeadlockAnswers409AndSucceedsWhenSentAgain() throws Exception {
        if (backend() != Backend.POSTGRESQL) return; // SQLite's single writer never deadlocks
        s.createProject("locked");
        String env = s.createEnvironment("locked", "prod", false);
        String secretId = s.createSecrets("locked", List.of(env), Map.of("LOCKED", "before")).get(0).get("id").asText();
        String secretPath = "/v1/workspace/acme/project/locked/secret/" + secretId;
        String body = "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"after\"}]}";
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        java.util.concurrent.Future<HttpResult> update;
        try (java.sql.Connection other = java.sql.DriverManager.getConnection(s.config.database().url())) {
            other.setAutoCommit(false);
            Sql.one(other, "SELECT id FROM secret WHERE id = ? FOR UPDATE", r -> r.getString(1), secretId);
            update = pool.submit(() -> s.put(secretPath, s.ownerToken, body));
            Await.until("the update holds the key and waits for the secret's row", java.time.Duration.ofSeconds(10),
                    java.time.Duration.ofMillis(5), () -> waitingForLocks() >= 1);
            // blocks until PostgreSQL (deadlock_timeout, 1 s by default) aborts the update, whose wait began first
            Sql.one(other, "SELECT key_id FROM data_key WHERE environment_id = ? ORDER BY key_id FOR UPDATE", r -> r.getString(1), env);
            other.rollback();
        } finally {
            pool.shutdown();
        }
        HttpResult aborted = update.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(aborted.status()).as("%s", aborted.body()).isEqualTo(409);
        assertThat(aborted.body()).contains("retry").doesNotContain("deadlock").doesNotContain("SELECT");
        assertThat(valueIn(s.get("/v1/workspace/acme/project/locked/secret/LOCKED", s.ownerToken).json(), env, false))
                .as("rolled back whole").isEqualTo("before");
        assertThat(s.put(secretPath, s.ownerToken, body).status()).as("sent again").isEqualTo(200);
        assertThat(valueIn(s.get("/v1/workspace/acme/project/locked/secret/LOCKED", s.ownerToken).json(), env, false)).isEqualTo("after");
    }

    /**
     * Races {@code request} with the deletion of environment {@code doomed}: a held transaction locks the row that
     * {@code lockSql} selects, the request is sent and queues for it, the deletion is sent and must queue too (behind
     * the data key the request holds), then the row is released: the request answers 200, then the deletion 204.
     */
    private void againstTheDeletionOf(String project, String doomed, String what, String lockSql, String rowId,
                                              java.util.concurrent.Callable<HttpResult> request) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        java.util.concurrent.Future<HttpResult> sent;
        java.util.concurrent.Future<HttpResult> deletion;
        try (HeldTransaction rowLocked = HeldTransaction.write(s.server.database(), c -> Sql.one(c, lockSql, r -> r.getString(1), rowId))) {
            sent = pool.submit(request);
            Await.until(what + " waits for the locked row", java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(5),
                    () -> waitingForLocks() >= 1);
            deletion = pool.submit(() -> s.delete("/v1/workspace/acme/project/" + project + "/environment/" + doomed, s.ownerToken));
            Await.until("the deletion waits for the key " + what + " holds", java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(5),
                    () -> waitingForLocks() >= 2);
        } finally {
            pool.shutdown();
        }
        HttpResult answer = sent.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer.status()).as("%s", answer.body()).isEqualTo(200);
        assertThat(deletion.get(10, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(204);
    }

    /** The secret {@code key} of {@code project} holds one value: {@code value} in environment {@code env}. */
    private void keepsOnly(String project, String key, String env, String value) {
        JsonNode secret = s.get("/v1/workspace/acme/project/" + project + "/secret/" + key, s.ownerToken).json();
        assertThat(secret.get("values")).as("%s", secret).hasSize(1);
        assertThat(valueIn(secret, env, false)).isEqualTo(value);
    }

    private long waitingForLocks() {
        return s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM pg_locks WHERE NOT granted", r -> r.getLong(1)));
    }
}
