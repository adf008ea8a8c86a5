package dev.ekvault.server.access;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a credential may do: read cannot write, a scope sees only its part of the tree (404 elsewhere), a bulk write
 * needs every environment it names, a credential never exceeds its creator, and every request is the credential
 * intersected with the creator's CURRENT role and scope. Each refusal has a positive control beside it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PermissionsContract {
    abstract Backend backend();

    TestServer s;
    String webId;
    String prod;
    String dev;
    String apiProd;
    static final String WEB = "/v1/workspace/acme/project/web";
    static final String API = "/v1/workspace/acme/project/api";

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        webId = s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", false);
        s.createProject("api");
        apiProd = s.createEnvironment("api", "production", false);
        s.createSecrets("web", List.of(prod, dev), Map.of("SHARED_KEY", "both"));
        s.createSecrets("web", List.of(dev), Map.of("DEV_ONLY", "dev-value"));
        s.createSecrets("api", List.of(apiProd), Map.of("API_KEY", "api-value"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private String envScope(String... ids) {
        List<String> quoted = new ArrayList<>();
        for (String id : ids) quoted.add("\"" + id + "\"");
        return "{\"all\":false,\"environments\":[" + String.join(",", quoted) + "]}";
    }

    private String createBody(String key, String... environments) {
        List<String> quoted = new ArrayList<>();
        for (String id : environments) quoted.add("\"" + id + "\"");
        return "{\"environments\":[" + String.join(",", quoted) + "],\"secrets\":[{\"key\":\"" + key + "\",\"value\":\"v\"}]}";
    }

    @Test
    void aReadTokenReadsButCannotWrite() {
        String read = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThat(s.get(WEB + "/secret", read).status()).isEqualTo(200);
        String id = s.get(WEB + "/secret/SHARED_KEY", read).json().get("id").asText();

        assertThat(s.post(WEB + "/secret", read, createBody("BY_READER", prod)).status()).isEqualTo(403);
        assertThat(s.put(WEB + "/secret/" + id, read, "{\"values\":[]}").status()).isEqualTo(403);
        assertThat(s.delete(WEB + "/secret/" + id, read).status()).isEqualTo(403);
        assertThat(s.post("/v1/workspace/acme/project", read, "{\"name\":\"x\",\"teamId\":\"" + s.defaultTeamId() + "\"}").status()).isEqualTo(403);
        assertThat(s.post(WEB + "/environment", read, "{\"name\":\"qa\"}").status()).isEqualTo(403);
        assertThat(s.post("/v1/workspace/acme/tokens", read, "{\"name\":\"n\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").status())
                .as("a read token cannot mint more credentials").isEqualTo(403);

        String write = s.createToken(s.ownerToken, "read-write", "{\"all\":true}");
        assertThat(s.post(WEB + "/secret", write, createBody("BY_WRITER", prod)).status()).as("positive control").isEqualTo(201);
    }

    @Test
    void anEnvironmentScopedTokenSeesOnlyItsEnvironment() {
        String token = s.createToken(s.ownerToken, "read", envScope(prod));

        JsonNode environments = s.get(WEB + "/environment", token).json();
        assertThat(environments).hasSize(1);
        assertThat(environments.get(0).get("id").asText()).isEqualTo(prod);

        JsonNode secrets = s.get(WEB + "/secret", token).json();
        assertThat(secrets).extracting(n -> n.get("name").asText()).contains("SHARED_KEY").doesNotContain("DEV_ONLY");
        for (JsonNode secret : secrets) for (JsonNode v : secret.get("values")) assertThat(v.get("environmentId").asText()).isEqualTo(prod);

        assertThat(s.get(WEB + "/secret?environmentId=" + dev, token).status()).isEqualTo(404);
        assertThat(s.get(WEB + "/secret/DEV_ONLY", token).status()).isEqualTo(404);
        assertThat(s.get(API + "/environment", token).status()).as("another project").isEqualTo(404);
        assertThat(s.get(API + "/secret", token).status()).isEqualTo(404);

        JsonNode projects = s.get("/v1/workspace/acme/project", token).json();
        List<String> slugs = new ArrayList<>();
        for (JsonNode team : projects) for (JsonNode p : team.get("projects")) slugs.add(p.get("slug").asText());
        assertThat(slugs).containsExactly("web");
        assertThat(s.get("/v1/workspace/acme/team", token).json().get(0).get("projectCount").asInt()).isEqualTo(1);

        assertThat(s.get(WEB + "/secret?environmentId=" + prod, s.ownerToken).status()).as("positive control").isEqualTo(200);
        assertThat(s.get(WEB + "/secret/DEV_ONLY", s.ownerToken).status()).as("positive control").isEqualTo(200);
    }

    @Test
    void aBulkCreateNeedsWriteOnEveryEnvironmentItNames() {
        String token = s.createToken(s.ownerToken, "read-write", envScope(prod));
        HttpResult both = s.post(WEB + "/secret", token, createBody("BOTH_ENVS", prod, dev));
        assertThat(both.status()).isEqualTo(404);
        assertThat(s.get(WEB + "/secret/BOTH_ENVS", s.ownerToken).status()).as("nothing was written").isEqualTo(404);

        assertThat(s.post(WEB + "/secret", token, createBody("PROD_ONLY", prod)).status()).isEqualTo(201);
    }

    @Test
    void renamingOrDeletingASecretNeedsEveryEnvironmentThatHoldsIt() {
        String token = s.createToken(s.ownerToken, "read-write", envScope(prod));
        String id = s.createSecrets("web", List.of(prod, dev), Map.of("SPANS_BOTH", "x")).get(0).get("id").asText();
        assertThat(s.delete(WEB + "/secret/" + id, token).status()).isEqualTo(403);
        assertThat(s.put(WEB + "/secret/" + id, token, "{\"name\":\"RENAMED\"}").status()).isEqualTo(403);
        assertThat(s.put(WEB + "/secret/" + id, token, "{\"values\":[{\"environmentId\":\"" + prod + "\",\"value\":\"y\",\"isPersonal\":false}]}")
                .status()).as("its own environment's value may change").isEqualTo(200);
        assertThat(s.put(WEB + "/secret/" + id, token, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"y\",\"isPersonal\":false}]}")
                .status()).isEqualTo(404);
        assertThat(s.delete(WEB + "/secret/" + id, s.ownerToken).status()).as("positive control").isEqualTo(204);
    }

    @Test
    void aProjectScopeCascadesToEnvironmentsCreatedLater() {
        String token = s.createToken(s.ownerToken, "read", "{\"all\":false,\"projects\":[\"" + webId + "\"]}");
        String later = s.createEnvironment("web", "later", false);
        s.createSecrets("web", List.of(later), Map.of("LATER_KEY", "l"));
        assertThat(s.get(WEB + "/secret/LATER_KEY?environmentId=" + later, token).status()).isEqualTo(200);
        assertThat(s.get(API + "/secret", token).status()).isEqualTo(404);
    }

    @Test
    void aTeamScopeCascadesToItsProjects() {
        String token = s.createToken(s.ownerToken, "read", "{\"all\":false,\"teams\":[\"" + s.defaultTeamId() + "\"]}");
        assertThat(s.get(API + "/secret/API_KEY", token).status()).isEqualTo(200);
        assertThat(s.get(WEB + "/secret/DEV_ONLY", token).status()).isEqualTo(200);
    }

    @Test
    void aCredentialCannotReachBeyondItsCreator() {
        String scoped = s.createToken(s.ownerToken, "read-write", envScope(prod));
        HttpResult wider = s.post("/v1/workspace/acme/tokens", scoped,
                "{\"name\":\"wider\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}");
        assertThat(wider.status()).isEqualTo(403);
        assertThat(wider.message()).contains("scope");
        HttpResult outside = s.post("/v1/workspace/acme/tokens", scoped,
                "{\"name\":\"outside\",\"permission\":\"read\",\"scope\":" + envScope(dev) + ",\"expiresIn\":\"24h\"}");
        assertThat(outside.status()).isEqualTo(400);
        assertThat(outside.message()).contains("scope.environments[0]");
        HttpResult inside = s.post("/v1/workspace/acme/tokens", scoped,
                "{\"name\":\"inside\",\"permission\":\"read\",\"scope\":" + envScope(prod) + ",\"expiresIn\":\"24h\"}");
        assertThat(inside.status()).as("positive control").isEqualTo(201);
    }

    @Test
    void everyRequestIsIntersectedWithTheCreatorsCurrentRoleAndScope() {
        String email = "dana-" + backend() + "@example.com";
        String token = s.addPersonWithCredential(email, Role.DEVELOPER, Scope.ALL, Credential.Kind.STATIC, Permission.READ_WRITE, Scope.ALL);
        assertThat(s.post(WEB + "/secret", token, createBody("DANA_ONE", prod)).status()).isEqualTo(201);

        s.changeMember(email, Role.MEMBER, Scope.ALL);
        assertThat(s.post(WEB + "/secret", token, createBody("DANA_TWO", prod)).status()).as("demoted to read-only").isEqualTo(403);
        assertThat(s.get(WEB + "/secret/DANA_ONE", token).status()).isEqualTo(200);

        s.changeMember(email, Role.DEVELOPER, Scope.of(List.of(), List.of(), List.of(new Scope.EnvironmentRef(dev, webId, s.defaultTeamId()))));
        assertThat(s.get(WEB + "/secret/DANA_ONE", token).status()).as("scope narrowed to dev").isEqualTo(404);
        assertThat(s.get(WEB + "/secret/DEV_ONLY", token).status()).isEqualTo(200);

        s.removeMember(email);
        assertThat(s.get(WEB + "/secret/DEV_ONLY", token).status()).as("removed creator stops the credential").isEqualTo(401);
    }

    @Test
    void anExpiredTokenIsUnauthorizedNotForbidden() {
        HttpResult created = s.post("/v1/workspace/acme/tokens", s.ownerToken,
                "{\"name\":\"short\",\"permission\":\"read\",\"scope\":{\"all\":true},\"expiresIn\":\"24h\"}");
        String token = created.json().get("token").asText();
        assertThat(s.get(WEB + "/secret", token).status()).isEqualTo(200);
        s.clock.advance(Duration.ofHours(24).plusSeconds(1));
        HttpResult expired = s.get(WEB + "/secret", token);
        assertThat(expired.status()).isEqualTo(401);
        assertThat(s.get(WEB + "/secret", s.ownerToken).status()).as("the 6-month owner token still works").isEqualTo(200);
    }

    @Test
    void anotherWorkspaceIsNotFound() {
        assertThat(s.get("/v1/workspace/someone-else/team", s.ownerToken).status()).isEqualTo(404);
        assertThat(s.get("/v1/workspace/" + java.util.UUID.randomUUID() + "/project", s.ownerToken).status()).isEqualTo(404);
    }
}
