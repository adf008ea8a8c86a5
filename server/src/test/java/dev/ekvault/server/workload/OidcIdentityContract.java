package dev.ekvault.server.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestIssuer;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.access.Credential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.ekvault.server.workload.OidcTesting.AUDIENCE;
import static dev.ekvault.server.workload.OidcTesting.JSON;
import static dev.ekvault.server.workload.OidcTesting.OIDC;
import static dev.ekvault.server.workload.OidcTesting.SECRETS;
import static dev.ekvault.server.workload.OidcTesting.accessToken;
import static dev.ekvault.server.workload.OidcTesting.exchange;
import static dev.ekvault.server.workload.OidcTesting.identity;
import static dev.ekvault.server.workload.OidcTesting.refused;
import static dev.ekvault.server.workload.OidcTesting.register;
import static dev.ekvault.server.workload.OidcTesting.subjectOf;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Workload identities over real HTTP on each database: management (admins only, never beyond the creator), the
 * exchange of a cluster token from a real (in-JVM) OIDC issuer, revocation, updates, the credentials table, and
 * isolation between workspaces. Each test uses its own namespace, so identities of one never match another's tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OidcIdentityContract {
    abstract Backend backend();

    TestServer s;
    TestIssuer cluster;
    String projectId;
    String teamId;
    String prod;
    String dev;

    @BeforeAll
    void start() {
        s = TestServer.start(backend(), "--oidc-allow-http-issuers=true");
        cluster = TestIssuer.start(s.clock);
        projectId = s.createProject("web");
        teamId = s.defaultTeamId();
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", false);
        s.createSecrets("web", List.of(prod, dev), Map.of("KEY", "value"));
    }

    @AfterAll
    void stop() {
        if (cluster != null) cluster.close();
        if (s != null) s.close();
    }

    private ObjectNode body(String name, String subject) {
        return identity(name, cluster.issuer(), subject);
    }

    private ObjectNode scopeOf(String environmentId) {
        ObjectNode scope = JSON.createObjectNode().put("all", false);
        scope.putArray("environments").add(environmentId);
        return scope;
    }

    private static List<String> ids(JsonNode list) {
        List<String> ids = new ArrayList<>();
        for (JsonNode item : list) ids.add(item.get("id").asText());
        return ids;
    }

    private HttpResult writeSecret(String jwt, String key) {
        return s.post(SECRETS, jwt, "{\"environments\":[\"" + prod + "\"],\"secrets\":[{\"key\":\"" + key + "\",\"value\":\"v\"}]}");
    }

    @Test
    void anAdminRegistersListsUpdatesAndDeletesAnIdentity() {
        s.clock.advance(Duration.ofSeconds(1));
        JsonNode created = register(s, body("payments-api", "system:serviceaccount:crud:api").set("scope", scopeOf(prod)));
        String id = created.get("id").asText();
        assertThat(created.get("name").asText()).isEqualTo("payments-api");
        assertThat(created.get("issuer").asText()).isEqualTo(cluster.issuer());
        assertThat(created.get("audience").asText()).isEqualTo(AUDIENCE);
        assertThat(created.get("subject").asText()).isEqualTo("system:serviceaccount:crud:api");
        assertThat(created.get("permission").asText()).isEqualTo("read");
        assertThat(created.get("scope").get("all").asBoolean()).isFalse();
        assertThat(created.get("scope").get("environments").get(0).asText()).isEqualTo(prod);
        assertThat(created.get("jwks").isNull()).isTrue();
        assertThat(created.get("createdById").asText()).isEqualTo(s.get("/v1/workspace", s.ownerToken).json().get(0).get("ownerId").asText());
        assertThat(created.get("lastUsedAt").isNull()).isTrue();

        s.clock.advance(Duration.ofSeconds(1));
        String newer = register(s, body("newer", "system:serviceaccount:crud:*")).get("id").asText();
        List<String> listed = ids(s.get(OIDC, s.ownerToken).json());
        assertThat(listed).as("newest first").containsSubsequence(newer, id);

        s.clock.advance(Duration.ofSeconds(1));
        HttpResult updated = s.put(OIDC + "/" + id, s.ownerToken, "{\"name\":\"renamed\",\"subject\":\"system:serviceaccount:crud:api2\"}");
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        assertThat(updated.json().get("id").asText()).as("an update keeps the id").isEqualTo(id);
        assertThat(updated.json().get("name").asText()).isEqualTo("renamed");
        assertThat(updated.json().get("subject").asText()).isEqualTo("system:serviceaccount:crud:api2");
        assertThat(updated.json().get("audience").asText()).as("unchanged").isEqualTo(AUDIENCE);
        assertThat(updated.json().get("scope").get("environments").get(0).asText()).as("unchanged").isEqualTo(prod);
        assertThat(updated.json().get("updatedAt").asText()).isGreaterThan(updated.json().get("createdAt").asText());

        assertThat(s.delete(OIDC + "/" + id, s.ownerToken).status()).isEqualTo(204);
        assertThat(ids(s.get(OIDC, s.ownerToken).json())).doesNotContain(id).contains(newer);
        assertThat(s.put(OIDC + "/" + id, s.ownerToken, "{\"name\":\"again\"}").status()).as("a deleted identity is gone").isEqualTo(404);
        assertThat(s.delete(OIDC + "/" + id, s.ownerToken).status()).as("deleting twice").isEqualTo(204);
        assertThat(s.delete(OIDC + "/" + UUID.randomUUID(), s.ownerToken).status()).isEqualTo(404);
        String tokenId = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"not-an-identity\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").json().get("id").asText();
        assertThat(s.delete(OIDC + "/" + tokenId, s.ownerToken).status()).as("an API token is not an identity").isEqualTo(404);
        assertThat(s.put(OIDC + "/" + tokenId, s.ownerToken, "{\"name\":\"x\"}").status()).isEqualTo(404);
        assertThat(s.delete("/v1/workspace/acme/tokens/" + newer, s.ownerToken).status()).as("nor an identity a token").isEqualTo(404);
    }

    @Test
    void everyFieldIsCheckedAndEachRefusalNamesIt() {
        Map<ObjectNode, String> cases = new LinkedHashMap<>();
        String subject = "system:serviceaccount:valid:api";
        cases.put(body("", subject), "name");
        cases.put(body("x".repeat(65), subject), "name");
        cases.put((ObjectNode) body("n", subject).without("name"), "name");
        for (String issuer : List.of("not a url", "ftp://cluster.example", "https://cluster.example/?x=1", "https://user@cluster.example",
                "https://cluster.example/#f", "https://", "https://cluster.example/" + "p".repeat(500))) {
            cases.put(identity("n", issuer, subject), "issuer");
        }
        cases.put(body("n", subject).put("audience", ""), "audience");
        cases.put(body("n", subject).put("audience", "a".repeat(257)), "audience");
        cases.put(body("n", subject).put("audience", "a\u0001b"), "audience");
        for (String bad : List.of("alice", "system:serviceaccount:ns", "system:serviceaccount:NS:api", "system:serviceaccount:ns:a*",
                "system:serviceaccount:*:*", "system:serviceaccount:ns:api:extra", "system:serviceaccount::api", "system:serviceaccounts:ns")) {
            cases.put(body("n", bad), "subject");
        }
        cases.put(body("n", subject).put("permission", "admin"), "permission");
        cases.put(body("n", subject).put("jwks", "{\"keys\":[]}"), "jwks");
        cases.put((ObjectNode) body("n", subject).set("jwks", JSON.createObjectNode().putArray("keys")), "jwks");
        cases.put((ObjectNode) body("n", subject).set("jwks", parse("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQ\"}]}")), "jwks.keys[0]");
        TestIssuer.Key rsa = TestIssuer.newKey("RS256");
        String privateJwk = new com.nimbusds.jose.jwk.RSAKey.Builder((java.security.interfaces.RSAPublicKey) rsa.pair().getPublic())
                .privateKey(rsa.pair().getPrivate()).keyID("p").build().toJSONString();
        cases.put((ObjectNode) body("n", subject).set("jwks", parse("{\"keys\":[" + privateJwk + "]}")), "jwks.keys[0]");
        ObjectNode noKid = (ObjectNode) parse(rsa.jwk().toJSONString());
        noKid.remove("kid");
        cases.put((ObjectNode) body("n", subject).set("jwks", JSON.createObjectNode().set("keys", JSON.createArrayNode().add(noKid))), "jwks.keys[0]");
        ObjectNode huge = JSON.createObjectNode();
        for (int i = 0; i < 200; i++) huge.withArray("keys").add(((ObjectNode) parse(rsa.jwk().toJSONString())).put("kid", "k" + i));
        cases.put((ObjectNode) body("n", subject).set("jwks", huge), "jwks");
        cases.put((ObjectNode) body("n", subject).set("scope", scopeOf(UUID.randomUUID().toString())), "scope.environments[0]");
        for (Map.Entry<ObjectNode, String> c : cases.entrySet()) {
            HttpResult r = s.post(OIDC, s.ownerToken, c.getKey().toString());
            assertThat(r.status()).as(c.getKey() + " → " + r).isEqualTo(400);
            assertThat(r.message()).as(c.getKey().toString()).contains("'" + c.getValue() + "'");
        }
        assertThat(s.post(OIDC, s.ownerToken, body("x".repeat(64), subject).put("audience", "a".repeat(256)).toString()).status())
                .as("the limits themselves are allowed").isEqualTo(201);
        assertThat(s.post(OIDC, s.ownerToken, identity("n", "https://cluster.example/" + "p".repeat(488), subject).toString()).status())
                .as("an issuer of 512 characters").isEqualTo(201);
    }

    @Test
    void onlyAWritingAdminManagesIdentitiesAndNoWorkloadOrCliCredentialMints() {
        String id = register(s, body("guarded", "system:serviceaccount:guard:api").put("permission", "read-write")).get("id").asText();
        String developer = s.addPersonWithCredential("dev-oidc-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.STATIC, Permission.READ_WRITE, Scope.ALL);
        String readOnlyAdmin = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        String cli = s.post("/v1/workspace/acme/tokens/cli", s.ownerToken, "{\"environmentId\":\"" + prod + "\"}").json().get("token").asText();
        String workload = accessToken(s, cluster.token("guard", "api", AUDIENCE));
        String newIdentity = body("sneaky", "system:serviceaccount:guard:other").toString();
        for (Map.Entry<String, String> who : Map.of("developer", developer, "read-only admin token", readOnlyAdmin, "CLI token", cli,
                "workload identity", workload).entrySet()) {
            assertThat(s.post(OIDC, who.getValue(), newIdentity).status()).as(who.getKey() + " creates").isEqualTo(403);
            assertThat(s.put(OIDC + "/" + id, who.getValue(), "{\"permission\":\"read-write\"}").status()).as(who.getKey() + " updates").isEqualTo(403);
            assertThat(s.delete(OIDC + "/" + id, who.getValue()).status()).as(who.getKey() + " deletes").isEqualTo(403);
        }
        assertThat(s.get(OIDC, developer).status()).as("a developer lists").isEqualTo(403);
        // a credential that may not manage credentials does not list them either (access/CredentialAuthority)
        assertThat(s.get(OIDC, readOnlyAdmin).status()).as("a read-only token, even an admin's, lists no identities").isEqualTo(403);
        assertThat(s.get(OIDC, s.ownerToken).status()).as("control: a read-write admin token lists them").isEqualTo(200);
        assertThat(s.post("/v1/workspace/acme/tokens", workload, "{\"name\":\"n\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").status())
                .as("a workload identity mints no API token").isEqualTo(403);
        String someToken = s.post("/v1/workspace/acme/tokens", s.ownerToken, "{\"name\":\"r\",\"permission\":\"read\",\"expiresIn\":\"24h\"}")
                .json().get("id").asText();
        assertThat(s.post("/v1/workspace/acme/tokens/" + someToken + "/rotate", workload, "").status())
                .as("nor a new value by rotation").isEqualTo(403);
        assertThat(s.get(SECRETS, workload).status()).as("the identity itself still works").isEqualTo(200);
    }

    @Test
    void anIdentityNeverExceedsItsCreatorThenOrLater() {
        String email = "narrow-admin-" + backend() + "@example.com";
        Scope prodOnly = Scope.of(List.of(), List.of(), List.of(new Scope.EnvironmentRef(prod, projectId, teamId)));
        String admin = s.addPersonWithCredential(email, Role.ADMIN, prodOnly, Credential.Kind.STATIC, Permission.READ_WRITE, prodOnly);
        HttpResult wide = s.post(OIDC, admin, body("wide", "system:serviceaccount:narrow:api").put("permission", "read-write").toString());
        assertThat(wide.status()).as(wide.toString()).isEqualTo(403);
        assertThat(wide.message()).contains("scope");
        HttpResult elsewhere = s.post(OIDC, admin, body("dev", "system:serviceaccount:narrow:api").set("scope", scopeOf(dev)).toString());
        assertThat(elsewhere.status()).as("an environment the creator cannot see").isEqualTo(400);
        register(s, admin, "acme", body("narrow", "system:serviceaccount:narrow:api").put("permission", "read-write").set("scope", scopeOf(prod)));

        String jwt = accessToken(s, cluster.token("narrow", "api", AUDIENCE));
        assertThat(s.get(SECRETS + "?environmentId=" + prod, jwt).status()).isEqualTo(200);
        assertThat(s.get(SECRETS + "?environmentId=" + dev, jwt).status()).isEqualTo(404);
        assertThat(writeSecret(jwt, "NARROW_1").status()).isEqualTo(201);

        s.changeMember(email, Role.MEMBER, prodOnly);
        assertThat(writeSecret(jwt, "NARROW_2").status()).as("the creator's new role caps the JWT at once").isEqualTo(403);
        assertThat(s.get(SECRETS + "?environmentId=" + prod, jwt).status()).isEqualTo(200);

        s.removeMember(email);
        refused("the creator removed: the JWT", s.get(SECRETS + "?environmentId=" + prod, jwt));
        refused("the creator removed: a new exchange", exchange(s, "acme", cluster.token("narrow", "api", AUDIENCE)));
    }

    @Test
    void theExchangeGivesAFifteenMinuteJwtWithTheIdentitysRights() {
        String id = register(s, body("shop", "system:serviceaccount:shop:api").set("scope", scopeOf(prod))).get("id").asText();
        String workspaceId = s.get("/v1/workspace", s.ownerToken).json().get(0).get("id").asText();
        String first = null;
        for (String workspace : List.of("acme", workspaceId)) {
            HttpResult r = exchange(s, workspace, cluster.token("shop", "api", AUDIENCE));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            assertThat(r.json().size()).isEqualTo(3);
            assertThat(r.json().get("expiresIn").asInt()).isEqualTo(900);
            assertThat(r.json().get("tokenType").asText()).isEqualTo("Bearer");
            String jwt = r.json().get("accessToken").asText();
            if (first == null) {
                assertThat(r.headers().firstValue("RateLimit-Limit")).hasValue("10");
                first = jwt;
            } else {
                assertThat(jwt).as("the identity's recent JWT, answered again").isEqualTo(first);
            }
            assertThat(subjectOf(jwt)).as("the JWT is the identity's").isEqualTo(id);
            assertThat(s.get(SECRETS + "?environmentId=" + prod, jwt).status()).isEqualTo(200);
            assertThat(s.get(SECRETS + "?environmentId=" + dev, jwt).status()).isEqualTo(404);
            assertThat(writeSecret(jwt, "SHOP").status()).as("read-only").isEqualTo(403);
        }
        HttpResult noWorkspace = s.post(OidcTesting.EXCHANGE, null, "{\"token\":\"" + cluster.token("shop", "api", AUDIENCE) + "\"}");
        assertThat(noWorkspace.status()).isEqualTo(400);
        assertThat(noWorkspace.message()).contains("'workspaceId'");
        refused("no token", s.post(OidcTesting.EXCHANGE, null, "{\"workspaceId\":\"acme\"}"));
        assertThat(s.post(OidcTesting.EXCHANGE, null, "{\"token\":42,\"workspaceId\":\"acme\"}").status()).isEqualTo(400);
        refused("unknown workspace", exchange(s, "no-such-workspace", cluster.token("shop", "api", AUDIENCE)));
        refused("unknown workspace id", exchange(s, UUID.randomUUID().toString(), cluster.token("shop", "api", AUDIENCE)));
    }

    @Test
    void deletingAnIdentityStopsItsJwtsAndItsExchangeAtOnce() {
        String id = register(s, body("doomed", "system:serviceaccount:doomed:api")).get("id").asText();
        String jwt = accessToken(s, cluster.token("doomed", "api", AUDIENCE));
        assertThat(s.get(SECRETS, jwt).status()).isEqualTo(200);
        assertThat(s.delete(OIDC + "/" + id, s.ownerToken).status()).isEqualTo(204);
        refused("the JWT of a deleted identity", s.get(SECRETS, jwt));
        refused("a new exchange", exchange(s, "acme", cluster.token("doomed", "api", AUDIENCE)));
    }

    @Test
    void anUpdateKeepsTheIdAndAppliesAtOnce() {
        String id = register(s, body("changing", "system:serviceaccount:upd:a")).get("id").asText();
        String jwt = accessToken(s, cluster.token("upd", "a", AUDIENCE));
        assertThat(writeSecret(jwt, "UPD_1").status()).isEqualTo(403);
        assertThat(s.put(OIDC + "/" + id, s.ownerToken, "{\"permission\":\"read-write\"}").status()).isEqualTo(200);
        assertThat(writeSecret(jwt, "UPD_2").status()).as("the JWT already issued gains the new right").isEqualTo(201);

        assertThat(s.put(OIDC + "/" + id, s.ownerToken, "{\"subject\":\"system:serviceaccount:upd:b\"}").status()).isEqualTo(200);
        refused("the old service account", exchange(s, "acme", cluster.token("upd", "a", AUDIENCE)));
        assertThat(subjectOf(accessToken(s, cluster.token("upd", "b", AUDIENCE)))).isEqualTo(id);

        assertThat(s.put(OIDC + "/" + id, s.ownerToken, "{\"audience\":\"vault.example\"}").status()).isEqualTo(200);
        refused("the old audience", exchange(s, "acme", cluster.token("upd", "b", AUDIENCE)));
        assertThat(subjectOf(accessToken(s, cluster.token("upd", "b", "vault.example")))).isEqualTo(id);

        HttpResult beyond = s.put(OIDC + "/" + id, s.ownerToken, "{\"scope\":{\"all\":false,\"environments\":[\"" + UUID.randomUUID() + "\"]}}");
        assertThat(beyond.status()).isEqualTo(400);
        assertThat(beyond.message()).contains("'scope.environments[0]'");
        assertThat(s.put(OIDC + "/" + id, s.ownerToken, "{\"subject\":\"nope\"}").status()).isEqualTo(400);
    }

    @Test
    void identitiesAppearInTheCredentialsTableBesideTokensNewestFirst() {
        s.clock.advance(Duration.ofSeconds(1));
        s.post("/v1/workspace/acme/tokens", s.ownerToken, "{\"name\":\"table-token\",\"permission\":\"read\",\"expiresIn\":\"24h\"}");
        s.clock.advance(Duration.ofSeconds(1));
        String id = register(s, body("table-identity", "system:serviceaccount:table:api")).get("id").asText();

        JsonNode table = s.get("/v1/workspace/acme/credentials", s.ownerToken).json();
        List<String> createdAt = new ArrayList<>();
        for (JsonNode row : table) createdAt.add(row.get("createdAt").asText());
        assertThat(createdAt).isSortedAccordingTo(Comparator.reverseOrder());
        JsonNode row = table.get(0);
        assertThat(row.get("id").asText()).isEqualTo(id);
        assertThat(row.get("kind").asText()).isEqualTo("kubernetes");
        assertThat(row.get("name").asText()).isEqualTo("table-identity");
        assertThat(row.get("permission").asText()).isEqualTo("read");
        assertThat(row.get("createdByEmail").asText()).isEqualTo("owner@example.com");
        assertThat(row.get("prefix").isNull()).isTrue();
        String ownerTokenExpiry = null;
        for (JsonNode t : s.get("/v1/workspace/acme/tokens", s.ownerToken).json()) {
            if (t.get("isOwner").asBoolean()) ownerTokenExpiry = t.get("expiresAt").asText();
        }
        assertThat(row.get("expiresAt").asText()).as("registered through the owner's API token: ends with it").isEqualTo(ownerTokenExpiry);
        assertThat(row.get("lastUsedAt").isNull()).isTrue();
        assertThat(table.get(1).get("name").asText()).isEqualTo("table-token");
        assertThat(table.get(1).get("kind").asText()).isEqualTo("api-token");
        assertThat(ids(s.get("/v1/workspace/acme/tokens", s.ownerToken).json())).as("not an API token").doesNotContain(id);

        s.clock.advance(Duration.ofSeconds(5));
        String jwt = accessToken(s, cluster.token("table", "api", AUDIENCE));
        assertThat(s.get(SECRETS, jwt).status()).isEqualTo(200);
        JsonNode used = find(s.get("/v1/workspace/acme/credentials", s.ownerToken).json(), id);
        assertThat(used.get("lastUsedAt").asText()).isEqualTo(WireTime.format(s.clock.millis()));
        assertThat(find(s.get(OIDC, s.ownerToken).json(), id).get("lastUsedAt").asText()).isEqualTo(used.get("lastUsedAt").asText());

        s.delete(OIDC + "/" + id, s.ownerToken);
        assertThat(find(s.get("/v1/workspace/acme/credentials", s.ownerToken).json(), id).get("revokedAt").isNull()).isFalse();
    }

    private static JsonNode find(JsonNode list, String id) {
        for (JsonNode item : list) if (item.get("id").asText().equals(id)) return item;
        throw new AssertionError(id + " not in " + list);
    }

    @Test
    void anotherWorkspacesIdentityServesOnlyThatWorkspace() {
        String globex = s.createWorkspace("globex-" + backend().name().toLowerCase(), "owner-" + backend() + "@globex.example");
        String slug = "globex-" + backend().name().toLowerCase();
        String theirs = register(s, globex, slug, body("theirs", "system:serviceaccount:shared:api")).get("id").asText();
        String token = cluster.token("shared", "api", AUDIENCE);

        refused("their identity, our workspace", exchange(s, "acme", token));
        String jwt = accessToken(s, slug, token);
        assertThat(subjectOf(jwt)).isEqualTo(theirs);
        assertThat(s.get(SECRETS, jwt).status()).as("their JWT in our workspace").isEqualTo(404);
        assertThat(s.get("/v1/workspace/" + slug + "/oidc", s.ownerToken).status()).isEqualTo(404);
        assertThat(ids(s.get(OIDC, s.ownerToken).json())).doesNotContain(theirs);
        assertThat(s.delete(OIDC + "/" + theirs, s.ownerToken).status()).isEqualTo(404);
        assertThat(s.put(OIDC + "/" + theirs, s.ownerToken, "{\"name\":\"mine\"}").status()).isEqualTo(404);
        assertThat(accessToken(s, slug, cluster.token("shared", "api", AUDIENCE))).as("still theirs, untouched").isNotBlank();
    }

    @Test
    void aNamespaceWildcardYieldsToAnExactSubjectAndTheNewestWins() {
        String wildcard = register(s, body("namespace", "system:serviceaccount:pref:*")).get("id").asText();
        s.clock.advance(Duration.ofSeconds(1));
        String exact = register(s, body("exact", "system:serviceaccount:pref:api")).get("id").asText();
        assertThat(subjectOf(accessToken(s, cluster.token("pref", "api", AUDIENCE)))).isEqualTo(exact);
        assertThat(subjectOf(accessToken(s, cluster.token("pref", "worker", AUDIENCE)))).isEqualTo(wildcard);
        refused("another namespace", exchange(s, "acme", cluster.token("prefx", "api", AUDIENCE)));
        s.clock.advance(Duration.ofSeconds(1));
        String newer = register(s, body("exact-newer", "system:serviceaccount:pref:api")).get("id").asText();
        assertThat(subjectOf(accessToken(s, cluster.token("pref", "api", AUDIENCE)))).isEqualTo(newer);
        s.clock.advance(Duration.ofSeconds(1));
        register(s, body("namespace-newer", "system:serviceaccount:pref:*"));
        assertThat(subjectOf(accessToken(s, cluster.token("pref", "api", AUDIENCE)))).as("a newer wildcard still yields").isEqualTo(newer);
    }

    /**
     * A pod that exchanges on every request gets its identity's recent JWT again, uncounted, while it has half its life
     * left; then a new one, counted (the limit's refusal itself is the same code as the API token's: ExchangeContract).
     */
    @Test
    void theExchangeAnswersTheRecentJwtAndCountsOnlyNewOnes() {
        register(s, body("limited", "system:serviceaccount:limit:api"));
        HttpResult first = exchange(s, "acme", cluster.token("limit", "api", AUDIENCE));
        assertThat(first.headers().firstValue("RateLimit-Remaining")).hasValue("9");
        String jwt = first.json().get("accessToken").asText();
        for (int i = 1; i <= 12; i++) {
            HttpResult r = exchange(s, "acme", cluster.token("limit", "api", AUDIENCE));
            assertThat(r.status()).as("exchange " + i).isEqualTo(200);
            assertThat(r.json().get("accessToken").asText()).isEqualTo(jwt);
        }
        s.clock.advance(Duration.ofSeconds(451));
        try {
            HttpResult fresh = exchange(s, "acme", cluster.token("limit", "api", AUDIENCE));
            assertThat(fresh.status()).isEqualTo(200);
            assertThat(fresh.json().get("accessToken").asText()).isNotEqualTo(jwt);
            assertThat(fresh.headers().firstValue("RateLimit-Remaining")).as("a new JWT counts").isPresent();
        } finally {
            s.clock.advance(Duration.ofSeconds(-451));
        }
        register(s, body("unlimited", "system:serviceaccount:limit2:api"));
        assertThat(exchange(s, "acme", cluster.token("limit2", "api", AUDIENCE)).status()).as("another identity").isEqualTo(200);
    }

    @Test
    void aPastedKeySetIsUsedWithoutFetchingAnything() {
        try (TestIssuer airgapped = TestIssuer.start(s.clock, "/airgapped")) {
            airgapped.mode(TestIssuer.Mode.NOT_FOUND);
            ObjectNode request = identity("airgapped", airgapped.issuer(), "system:serviceaccount:air:api");
            request.set("jwks", parse(airgapped.jwksJson()));
            JsonNode created = register(s, request);
            assertThat(created.get("jwks").get("keys").get(0).get("kid").asText()).isEqualTo(airgapped.signingKey().kid());
            assertThat(created.get("jwks").get("keys").get(0).has("d")).isFalse();

            assertThat(subjectOf(accessToken(s, airgapped.token("air", "api", AUDIENCE)))).isEqualTo(created.get("id").asText());
            TestIssuer.Key forger = TestIssuer.newKey("RS256");
            refused("signed by another key under the pasted kid", exchange(s, "acme",
                    TestIssuer.sign(TestIssuer.header(airgapped.signingKey()), airgapped.claims("air", "api", AUDIENCE), forger)));
            assertThat(airgapped.discoveryRequests() + airgapped.jwksRequests()).as("nothing fetched").isZero();

            assertThat(s.put(OIDC + "/" + created.get("id").asText(), s.ownerToken, "{\"jwks\":null}").status()).isEqualTo(200);
            HttpResult unreachable = exchange(s, "acme", airgapped.token("air", "api", AUDIENCE));
            assertThat(unreachable.status()).as("back to discovery, which answers 404").isEqualTo(503);
            assertThat(airgapped.discoveryRequests()).isEqualTo(1);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
