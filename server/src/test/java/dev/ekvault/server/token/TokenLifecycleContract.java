package dev.ekvault.server.token;

import dev.ekvault.server.access.Credential;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.store.Sql;
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

/** The API token lifecycle of API.md §5 and §6: create, list, rotate, revoke, CLI tokens, the credentials table. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TokenLifecycleContract {
    abstract Backend backend();

    TestServer s;
    String prod;
    String dev;
    static final String TOKENS = "/v1/workspace/acme/tokens";
    static final String SECRETS = "/v1/workspace/acme/project/web/secret";

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", true);
        s.createSecrets("web", List.of(prod, dev), Map.of("KEY", "value"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private JsonNode create(String name, String permission, String scope, String expiresIn) {
        HttpResult r = s.post(TOKENS, s.ownerToken, "{\"name\":\"" + name + "\",\"permission\":\"" + permission + "\",\"scope\":" + scope
                + ",\"expiresIn\":\"" + expiresIn + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    private JsonNode listed(String id) {
        for (JsonNode t : s.get(TOKENS, s.ownerToken).json()) if (t.get("id").asText().equals(id)) return t;
        return null;
    }

    @Test
    void theRawValueAppearsOnceAndListsShowOnlyItsPrefix() {
        JsonNode created = create("ci-deploy", "read", "{\"all\":true}", "30d");
        String token = created.get("token").asText();
        assertThat(token).matches("ek_live_[0-9A-Za-z]{43}");
        assertThat(created.get("prefix").asText()).isEqualTo(token.substring(0, 12));
        assertThat(created.get("permission").asText()).isEqualTo("read");
        assertThat(created.get("scope").get("all").asBoolean()).isTrue();
        assertThat(created.get("expiresAt").asText()).isEqualTo("2026-01-31T00:00:00.000Z");

        HttpResult list = s.get(TOKENS, s.ownerToken);
        assertThat(list.body()).doesNotContain(token);
        JsonNode row = listed(created.get("id").asText());
        assertThat(row.get("name").asText()).isEqualTo("ci-deploy");
        assertThat(row.get("type").asText()).isEqualTo("static");
        assertThat(row.get("isOwner").asBoolean()).isFalse();
        assertThat(row.get("createdAt").asText()).isEqualTo("2026-01-01T00:00:00.000Z");
        assertThat(row.get("revokedAt").isNull()).isTrue();
        assertThat(row.get("lastUsedAt").isNull()).isTrue();
        assertThat(row.has("createdById")).isTrue();
    }

    @Test
    void validationNamesTheField() {
        assertThat(s.post(TOKENS, s.ownerToken, "{\"name\":\"\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").message()).contains("name");
        assertThat(s.post(TOKENS, s.ownerToken, "{\"name\":\"n\",\"permission\":\"admin\",\"expiresIn\":\"24h\"}").message()).contains("permission");
        assertThat(s.post(TOKENS, s.ownerToken, "{\"name\":\"n\",\"permission\":\"read\",\"expiresIn\":\"7d\"}").message()).contains("expiresIn");
        assertThat(s.post(TOKENS, s.ownerToken, "{\"name\":\"" + "x".repeat(65) + "\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").status()).isEqualTo(400);
        assertThat(s.post(TOKENS, s.ownerToken, "{\"name\":\"" + "x".repeat(64) + "\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").status()).isEqualTo(201);
    }

    @Test
    void lastUseIsKeptWithoutADatabaseWritePerRequest() {
        JsonNode created = create("used", "read", "{\"all\":true}", "24h");
        String id = created.get("id").asText();
        s.clock.advance(Duration.ofMinutes(5));
        assertThat(s.get(SECRETS, created.get("token").asText()).status()).isEqualTo(200);
        Long stored = s.server.database().read(c -> Sql.one(c, "SELECT last_used_at FROM credential WHERE id = ?", r -> Sql.nullableLong(r, 1), id));
        assertThat(stored).as("not written on the request").isNull();
        assertThat(listed(id).get("lastUsedAt").asText()).isEqualTo("2026-01-01T00:05:00.000Z");
        s.clock.advance(Duration.ofMinutes(-5));
    }

    @Test
    void rotationGivesANewValueWithTheSameSettingsAndKillsTheOldOne() {
        String scope = "{\"all\":false,\"environments\":[\"" + prod + "\"]}";
        JsonNode created = create("rotate-me", "read", scope, "5d");
        String old = created.get("token").asText();
        assertThat(s.get(SECRETS + "?environmentId=" + prod, old).status()).isEqualTo(200);

        HttpResult rotated = s.post(TOKENS + "/" + created.get("id").asText() + "/rotate", s.ownerToken, "");
        assertThat(rotated.status()).isEqualTo(200);
        String fresh = rotated.json().get("token").asText();
        assertThat(fresh).isNotEqualTo(old).startsWith("ek_live_");
        assertThat(rotated.json().get("name").asText()).isEqualTo("rotate-me");
        assertThat(rotated.json().get("permission").asText()).isEqualTo("read");
        assertThat(rotated.json().get("scope").get("environments").get(0).asText()).isEqualTo(prod);

        assertThat(s.get(SECRETS + "?environmentId=" + prod, old).status()).as("old value dead at once").isEqualTo(401);
        assertThat(s.get(SECRETS + "?environmentId=" + prod, fresh).status()).isEqualTo(200);
        assertThat(s.get(SECRETS + "?environmentId=" + dev, fresh).status()).as("same scope").isEqualTo(404);
        assertThat(listed(created.get("id").asText()).get("revokedAt").isNull()).isFalse();
        assertThat(s.post(TOKENS + "/" + created.get("id").asText() + "/rotate", s.ownerToken, "").status())
                .as("a rotated-away token cannot rotate again").isEqualTo(409);
    }

    @Test
    void revocationIsImmediateAndFinal() {
        JsonNode created = create("revoke-me", "read", "{\"all\":true}", "24h");
        String token = created.get("token").asText();
        assertThat(s.get(SECRETS, token).status()).isEqualTo(200);
        assertThat(s.delete(TOKENS + "/" + created.get("id").asText(), s.ownerToken).status()).isEqualTo(204);
        assertThat(s.get(SECRETS, token).status()).isEqualTo(401);
        assertThat(s.delete(TOKENS + "/" + created.get("id").asText(), s.ownerToken).status()).isEqualTo(204);
        assertThat(s.delete(TOKENS + "/" + java.util.UUID.randomUUID(), s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void onlyTheCreatorOrAnAdminManagesAToken() {
        String developer = s.addPersonWithCredential("dev-" + backend() + "@example.com", Role.DEVELOPER, Scope.ALL,
                Credential.Kind.STATIC, Permission.READ_WRITE, Scope.ALL);
        JsonNode own = s.post(TOKENS, developer, "{\"name\":\"mine\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").json();
        JsonNode owners = create("owners", "read", "{\"all\":true}", "24h");

        List<String> seen = new ArrayList<>();
        for (JsonNode t : s.get(TOKENS, developer).json()) seen.add(t.get("id").asText());
        assertThat(seen).contains(own.get("id").asText()).doesNotContain(owners.get("id").asText());
        assertThat(s.delete(TOKENS + "/" + owners.get("id").asText(), developer).status()).isEqualTo(404);
        assertThat(s.get(SECRETS, owners.get("token").asText()).status()).isEqualTo(200);
        assertThat(s.delete(TOKENS + "/" + own.get("id").asText(), s.ownerToken).status()).as("an admin may").isEqualTo(204);
    }

    @Test
    void aMemberCreatesOnlyReadCredentials() {
        String member = s.addPersonWithCredential("member-" + backend() + "@example.com", Role.MEMBER, Scope.ALL,
                Credential.Kind.STATIC, Permission.READ_WRITE, Scope.ALL);
        // the member's own token is read-write on paper, but the member role caps it at read: it cannot mint
        assertThat(s.post(TOKENS, member, "{\"name\":\"rw\",\"permission\":\"read-write\",\"expiresIn\":\"24h\"}").status()).isEqualTo(403);
    }

    @Test
    void cliTokensAreReadOnlyForOneEnvironmentForEightHours() {
        HttpResult r = s.post(TOKENS + "/cli", s.ownerToken, "{\"environmentId\":\"" + dev + "\"}");
        assertThat(r.status()).isEqualTo(200);
        String cli = r.json().get("token").asText();
        assertThat(cli).startsWith("ek_live_");
        assertThat(s.get(SECRETS + "?environmentId=" + dev, cli).status()).isEqualTo(200);
        assertThat(s.get(SECRETS + "?environmentId=" + prod, cli).status()).isEqualTo(404);
        assertThat(s.post(SECRETS, cli, "{\"environments\":[\"" + dev + "\"],\"secrets\":[{\"key\":\"X\",\"value\":\"y\"}]}").status()).isEqualTo(403);
        assertThat(s.post(TOKENS + "/cli", cli, "{\"environmentId\":\"" + dev + "\"}").status()).as("a CLI token cannot renew itself").isEqualTo(403);
        assertThat(s.post(TOKENS, cli, "{\"name\":\"n\",\"permission\":\"read\",\"expiresIn\":\"24h\"}").status()).isEqualTo(403);
        assertThat(s.get(TOKENS, s.ownerToken).body()).contains("\"type\":\"cli\"");
        assertThat(s.post(TOKENS + "/cli", s.ownerToken, "{\"environmentId\":\"" + java.util.UUID.randomUUID() + "\"}").status()).isEqualTo(404);

        s.clock.advance(Duration.ofHours(8).plusSeconds(1));
        try {
            assertThat(s.get(SECRETS + "?environmentId=" + dev, cli).status()).isEqualTo(401);
        } finally {
            s.clock.advance(Duration.ofHours(-8).minusSeconds(1));
        }
    }

    @Test
    void theCredentialsTableListsEveryKindNewestFirstWithItsCreator() {
        s.clock.advance(Duration.ofSeconds(1));
        create("older", "read", "{\"all\":true}", "24h");
        s.clock.advance(Duration.ofSeconds(1));
        s.post(TOKENS + "/cli", s.ownerToken, "{\"environmentId\":\"" + dev + "\"}");
        JsonNode table = s.get("/v1/workspace/acme/credentials", s.ownerToken).json();
        assertThat(table.size()).isGreaterThanOrEqualTo(3);
        List<String> createdAt = new ArrayList<>();
        for (JsonNode row : table) createdAt.add(row.get("createdAt").asText());
        assertThat(createdAt).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(table.get(0).get("kind").asText()).isEqualTo("cli-token");
        assertThat(table.get(1).get("kind").asText()).isEqualTo("api-token");
        assertThat(table.get(1).get("name").asText()).isEqualTo("older");
        assertThat(table.get(0).get("createdByEmail").asText()).isEqualTo("owner@example.com");
        assertThat(s.get("/v1/workspace/acme/credentials", s.ownerToken).body()).doesNotContain(s.ownerToken);
    }
}
