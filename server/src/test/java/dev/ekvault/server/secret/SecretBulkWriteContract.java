package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bulk writes a CI job can rely on (issue 14, part 5), over real HTTP: a bulk create that meets existing values names
 * every collision (message and {@code collisions}) and writes nothing; {@code "mode": "upsert"} creates and updates in
 * one transaction, each update a new version journaled as a PUT's; a refused upsert changes nothing; limits hold.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecretBulkWriteContract {
    abstract Backend backend();

    TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(backend(), "--limits-max-secrets-per-request=10");
    }

    @AfterAll
    void stop() {
        s.close();
    }

    /** A fresh project with environments a and b: K1 in a, K2 in a and b. */
    private record Fixture(String base, String a, String b) {}

    private Fixture fixture(String slug) {
        s.createProject(slug);
        String a = s.createEnvironment(slug, "alpha", false);
        String b = s.createEnvironment(slug, "beta", false);
        s.createSecrets(slug, List.of(a), Map.of("K1", "k1-alpha"));
        s.createSecrets(slug, List.of(a, b), Map.of("K2", "k2-both"));
        return new Fixture("/v1/workspace/acme/project/" + slug + "/secret", a, b);
    }

    private static String body(List<String> environments, Map<String, String> secrets, String mode) {
        List<String> items = new ArrayList<>();
        secrets.forEach((k, v) -> items.add("{\"key\":" + TestServer.quote(k) + ",\"value\":" + TestServer.quote(v) + "}"));
        return "{\"environments\":[" + String.join(",", environments.stream().map(TestServer::quote).toList()) + "],\"secrets\":["
                + String.join(",", items) + "]" + (mode == null ? "" : ",\"mode\":" + TestServer.quote(mode)) + "}";
    }

    private static Map<String, String> ordered(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) map.put(keysAndValues[i], keysAndValues[i + 1]);
        return map;
    }

    /** Every environment's shared values of the project, as key → environment id → value. */
    private Map<String, Map<String, String>> values(Fixture f) {
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        for (JsonNode secret : s.get(f.base, s.ownerToken).json()) {
            Map<String, String> byEnvironment = new LinkedHashMap<>();
            for (JsonNode v : secret.get("values")) byEnvironment.put(v.get("environmentId").asText(), v.get("value").asText());
            all.put(secret.get("name").asText(), byEnvironment);
        }
        return all;
    }

    @Test
    void aCollidingCreateNamesEveryCollisionAndWritesNothing() {
        Fixture f = fixture("collide-" + backend().name().toLowerCase());
        Map<String, Map<String, String>> before = values(f);
        HttpResult r = s.post(f.base, s.ownerToken, body(List.of(f.a, f.b), ordered("NEW1", "n1", "K1", "x", "K2", "y", "NEW2", "n2"), null));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.body()).as("message first").startsWith("{\"message\":");
        assertThat(r.message()).startsWith("3 secret values already exist: 'K1' in 'alpha', 'K2' in 'alpha', 'K2' in 'beta'")
                .contains("upsert");
        List<String> collisions = new ArrayList<>();
        for (JsonNode c : r.json().get("collisions")) {
            collisions.add(c.get("key").asText() + "@" + c.get("environmentId").asText() + "=" + c.get("environment").asText());
        }
        assertThat(collisions).containsExactly("K1@" + f.a + "=alpha", "K2@" + f.a + "=alpha", "K2@" + f.b + "=beta");
        assertThat(r.body()).doesNotContain("k1-alpha").doesNotContain("k2-both");
        assertThat(values(f)).as("nothing written").isEqualTo(before);
        assertThat(s.get(f.base + "/NEW1", s.ownerToken).status()).isEqualTo(404);

        // the control: the same request without the colliding keys goes through
        assertThat(s.post(f.base, s.ownerToken, body(List.of(f.a, f.b), ordered("NEW1", "n1", "NEW2", "n2"), "create")).status()).isEqualTo(201);
    }

    @Test
    void theMessageNamesTheFirstFewAndCountsTheRestWhileTheFieldListsThemAll() {
        Fixture f = fixture("many-" + backend().name().toLowerCase());
        Map<String, String> existing = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) existing.put("M" + i, "v" + i);
        s.createSecrets(f.base.split("/")[5], List.of(f.a, f.b), existing);
        HttpResult r = s.post(f.base, s.ownerToken, body(List.of(f.a, f.b), existing, null));
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json().get("collisions")).hasSize(8);
        assertThat(r.message()).startsWith("8 secret values already exist: 'M0' in 'alpha', 'M0' in 'beta', 'M1' in 'alpha', 'M1' in 'beta', "
                + "'M2' in 'alpha' and 3 more");
    }

    @Test
    void upsertCreatesTheNewAndUpdatesTheExistingInOneRequest() {
        Fixture f = fixture("upsert-" + backend().name().toLowerCase());
        String k1 = s.get(f.base + "/K1", s.ownerToken).json().get("id").asText();
        HttpResult r = s.post(f.base, s.ownerToken, body(List.of(f.a, f.b), ordered("K1", "k1-new", "K2", "k2-new", "K3", "k3"), "upsert"));
        assertThat(r.status()).as("%s", r).isEqualTo(201);
        assertThat(r.json()).hasSize(3);
        Map<String, Map<String, String>> after = values(f);
        assertThat(after.get("K1")).containsExactlyInAnyOrderEntriesOf(Map.of(f.a, "k1-new", f.b, "k1-new"));
        assertThat(after.get("K2")).containsExactlyInAnyOrderEntriesOf(Map.of(f.a, "k2-new", f.b, "k2-new"));
        assertThat(after.get("K3")).containsExactlyInAnyOrderEntriesOf(Map.of(f.a, "k3", f.b, "k3"));
        assertThat(s.get(f.base + "/K1", s.ownerToken).json().get("id").asText()).as("the same secret, not a new one").isEqualTo(k1);

        // each update is a new version, journaled as a PUT's would be; K1's first value in beta is a create
        JsonNode entries = s.get("/v1/workspace/acme/audit?entity=" + k1, s.ownerToken).json().get("entries");
        List<String> changes = new ArrayList<>();
        for (JsonNode e : entries) {
            if (!e.get("entityType").asText().equals("secret-value")) continue;
            changes.add(e.get("action").asText() + "@" + e.get("environmentId").asText() + " v" + e.get("after").get("version").asText());
        }
        assertThat(changes).contains("update@" + f.a + " v2", "create@" + f.b + " v1", "create@" + f.a + " v1");
        assertThat(entries.toString()).doesNotContain("k1-new");
    }

    @Test
    void anUpsertRefusedAnywhereChangesNothing() {
        Fixture f = fixture("refused-" + backend().name().toLowerCase());
        Map<String, Map<String, String>> before = values(f);
        String alphaOnly = s.createToken(s.ownerToken, "read-write", "{\"all\":false,\"environments\":[\"" + f.a + "\"]}");
        HttpResult refused = s.post(f.base, alphaOnly, body(List.of(f.a, f.b), ordered("NEW", "n", "K1", "changed"), "upsert"));
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.message()).contains("environments[1]");
        assertThat(values(f)).isEqualTo(before);

        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThat(s.post(f.base, readOnly, body(List.of(f.a), ordered("K1", "changed"), "upsert")).status()).isEqualTo(403);
        assertThat(values(f)).isEqualTo(before);

        // a value over the size limit late in the list: refused before anything is written
        HttpResult tooBig = s.post(f.base, s.ownerToken, body(List.of(f.a), ordered("K1", "changed", "BIG", "x".repeat(64 * 1024 + 1)), "upsert"));
        assertThat(tooBig.status()).isIn(400, 413);
        assertThat(values(f)).isEqualTo(before);

        // the control: within its scope the same token's upsert goes through
        HttpResult allowed = s.post(f.base, alphaOnly, body(List.of(f.a), ordered("NEW", "n", "K1", "changed"), "upsert"));
        assertThat(allowed.status()).isEqualTo(201);
        assertThat(values(f).get("K1")).containsEntry(f.a, "changed");
        assertThat(values(f).get("NEW")).containsOnlyKeys(f.a);
    }

    /**
     * New secrets get version-7 ids, in the order of their creation: ids in time order land together at the end of
     * every index keyed by them, where random ones each dirtied a page of their own (the bulk create's cost, issue 16).
     */
    @Test
    void newSecretsHaveIdsInTheOrderOfTheirCreation() {
        Fixture f = fixture("ordered-" + backend().name().toLowerCase());
        List<String> ids = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            s.clock.advance(java.time.Duration.ofMillis(5));
            HttpResult r = s.post(f.base, s.ownerToken, body(List.of(f.a, f.b), ordered("O" + round + "A", "a", "O" + round + "B", "b"), null));
            assertThat(r.status()).isEqualTo(201);
            List<String> created = new ArrayList<>();
            for (JsonNode secret : r.json()) created.add(secret.get("id").asText());
            assertThat(created).as("round %d", round).allSatisfy(id -> assertThat(java.util.UUID.fromString(id).version()).isEqualTo(7));
            if (!ids.isEmpty()) assertThat(created).allSatisfy(id -> assertThat(id).isGreaterThan(ids.getLast()));
            ids.addAll(created.stream().sorted().toList());
        }
        assertThat(ids).doesNotHaveDuplicates();
        for (String id : ids) assertThat(s.get(f.base + "/" + id, s.ownerToken).status()).isEqualTo(200);
    }

    @Test
    void limitsAndFieldsStillHoldInEitherMode() {
        Fixture f = fixture("limits-" + backend().name().toLowerCase());
        Map<String, String> eleven = new LinkedHashMap<>();
        for (int i = 0; i < 11; i++) eleven.put("L" + i, "v");
        HttpResult tooMany = s.post(f.base, s.ownerToken, body(List.of(f.a), eleven, "upsert"));
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.message()).contains("secrets");
        eleven.remove("L10");
        assertThat(s.post(f.base, s.ownerToken, body(List.of(f.a), eleven, "upsert")).status()).as("the control: ten").isEqualTo(201);

        HttpResult badMode = s.post(f.base, s.ownerToken, body(List.of(f.a), ordered("Z", "z"), "replace"));
        assertThat(badMode.status()).isEqualTo(400);
        assertThat(badMode.message()).contains("'mode'");
        HttpResult repeated = s.post(f.base, s.ownerToken, "{\"environments\":[\"" + f.a + "\"],\"mode\":\"upsert\",\"secrets\":["
                + "{\"key\":\"K1\",\"value\":\"1\"},{\"key\":\"K1\",\"value\":\"2\"}]}");
        assertThat(repeated.status()).isEqualTo(400);
        assertThat(repeated.message()).contains("secrets[1].key");
        assertThat(s.get(f.base + "/Z", s.ownerToken).status()).isEqualTo(404);
    }
}
