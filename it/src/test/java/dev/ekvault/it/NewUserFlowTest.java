package dev.ekvault.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a new user does first, against the real jar: init, serve, and the workspace → team → project → environments
 * → secrets round trip over HTTP, on the embedded SQLite and on PostgreSQL with the same test body.
 */
class NewUserFlowTest {
    @TempDir
    Path work;

    @Test
    void onSqlite() {
        Map<String, String> env = Map.of("EK_DATA_DIR", work.resolve("data").toString());
        newUserFlow(env);
    }

    @Test
    void onPostgres() {
        Map<String, String> env = Map.of(
                "EK_DATA_DIR", work.resolve("data").toString(),
                "EK_DATABASE_URL", TestPostgres.freshDatabase(),
                "EK_MASTER_KEY", EkJar.newMasterKey());
        newUserFlow(env);
    }

    private void newUserFlow(Map<String, String> env) {
        EkJar.Result init = EkJar.init(work, env);
        assertThat(init.exitCode()).as("init; stderr:\n%s", init.stderr()).isEqualTo(0);
        assertThat(init.stdoutLines()).hasSize(1);
        String token = init.stdoutLines().get(0);
        assertThat(token).matches("^ek_live_[0-9A-Za-z]{43}$");

        try (EkJar.Server server = EkJar.serve(work, env)) {
            EkJar.Api api = new EkJar.Api(server, token);

            EkJar.Reply ready = api.get("/readyz");
            assertThat(ready.status()).as("readyz: %s", ready).isEqualTo(200);

            EkJar.Reply workspaces = api.get("/v1/workspace");
            assertThat(workspaces.status()).as("workspace list: %s", workspaces).isEqualTo(200);
            assertThat(workspaces.json()).hasSize(1);
            assertThat(workspaces.json().get(0).get("slug").asText()).isEqualTo("acme");

            EkJar.Reply teams = api.get("/v1/workspace/acme/team");
            assertThat(teams.status()).as("team list: %s", teams).isEqualTo(200);
            JsonNode defaultTeam = null;
            for (JsonNode team : teams.json()) if (team.get("name").asText().equals("Default")) defaultTeam = team;
            assertThat(defaultTeam).as("a team named Default in %s", teams.body()).isNotNull();
            String teamId = defaultTeam.get("id").asText();

            EkJar.Reply project = api.post("/v1/workspace/acme/project",
                    "{\"name\":\"Web\",\"slug\":\"web\",\"teamId\":" + EkJar.quote(teamId) + "}");
            assertThat(project.status()).as("create project: %s", project).isEqualTo(201);
            assertThat(project.json().get("slug").asText()).isEqualTo("web");

            String base = "/v1/workspace/acme/project/web";
            String production = createEnvironment(api, base, "production", false);
            String development = createEnvironment(api, base, "development", true);
            assertThat(production).isNotEqualTo(development);

            Map<String, String> secrets = new LinkedHashMap<>();
            secrets.put("DB_HOST", "db.internal");
            secrets.put("API-TOKEN_2", "tok with spaces & symbols / ü");
            EkJar.Reply created = api.post(base + "/secret", EkJar.bulkCreateBody(List.of(production, development), secrets));
            assertThat(created.status()).as("bulk create: %s", created).isEqualTo(201);

            for (String param : List.of("environmentId", "environment_id")) {
                for (String environment : List.of(production, development)) {
                    EkJar.Reply list = api.get(base + "/secret?" + param + "=" + EkJar.urlEncode(environment));
                    assertThat(list.status()).as("list by %s: %s", param, list).isEqualTo(200);
                    assertThat(valuesByName(list.json(), environment)).as("list by %s=%s", param, environment).isEqualTo(secrets);
                }
            }

            EkJar.Reply byKey = api.get(base + "/secret/" + EkJar.urlEncode("API-TOKEN_2") + "?environmentId=" + production);
            assertThat(byKey.status()).as("get by key: %s", byKey).isEqualTo(200);
            assertThat(byKey.json().get("name").asText()).isEqualTo("API-TOKEN_2");
            assertThat(valueIn(byKey.json(), production)).isEqualTo("tok with spaces & symbols / ü");
            String tokenSecretId = byKey.json().get("id").asText();

            EkJar.Reply dbHost = api.get(base + "/secret/DB_HOST");
            assertThat(dbHost.status()).as("get DB_HOST: %s", dbHost).isEqualTo(200);
            String dbHostId = dbHost.json().get("id").asText();

            EkJar.Reply updated = api.put(base + "/secret/" + dbHostId,
                    "{\"values\":[{\"environmentId\":" + EkJar.quote(production) + ",\"value\":\"db2.internal\",\"isPersonal\":false}]}");
            assertThat(updated.status()).as("update: %s", updated).isEqualTo(200);
            EkJar.Reply afterUpdate = api.get(base + "/secret/DB_HOST?environmentId=" + production);
            assertThat(valueIn(afterUpdate.json(), production)).isEqualTo("db2.internal");
            EkJar.Reply otherEnvironment = api.get(base + "/secret/DB_HOST?environmentId=" + development);
            assertThat(valueIn(otherEnvironment.json(), development)).as("the other environment keeps its value").isEqualTo("db.internal");

            EkJar.Reply deleted = api.delete(base + "/secret/" + tokenSecretId);
            assertThat(deleted.status()).as("delete: %s", deleted).isEqualTo(204);
            assertThat(deleted.body()).isEmpty();
            EkJar.Reply gone = api.get(base + "/secret/" + EkJar.urlEncode("API-TOKEN_2"));
            assertThat(gone.status()).as("get deleted: %s", gone).isEqualTo(404);
            EkJar.Reply remaining = api.get(base + "/secret?environmentId=" + production);
            assertThat(valuesByName(remaining.json(), production)).isEqualTo(Map.of("DB_HOST", "db2.internal"));

            EkJar.Reply badToken = new EkJar.Api(server, "ek_live_" + "A".repeat(43)).get("/v1/workspace");
            assertThat(badToken.status()).as("bad token: %s", badToken).isEqualTo(401);
            assertThat(badToken.json().get("message").isTextual()).as("401 body has a message: %s", badToken.body()).isTrue();
            assertThat(badToken.json().size()).as("401 body is {message}").isEqualTo(1);

            EkJar.Reply noToken = new EkJar.Api(server, null).get("/v1/workspace");
            assertThat(noToken.status()).as("no token: %s", noToken).isEqualTo(401);

            assertThat(server.process.isAlive()).isTrue();
        }
    }

    private static String createEnvironment(EkJar.Api api, String base, String name, boolean personal) {
        EkJar.Reply r = api.post(base + "/environment", "{\"name\":" + EkJar.quote(name) + ",\"hasPersonalOverrides\":" + personal + "}");
        assertThat(r.status()).as("create environment %s: %s", name, r).isEqualTo(201);
        String id = r.json().path("id").asText("");
        assertThat(id).isNotEmpty();
        return id;
    }

    /** name → the shared value in {@code environmentId}, failing if any value belongs to another environment. */
    private static Map<String, String> valuesByName(JsonNode list, String environmentId) {
        assertThat(list.isArray()).as("a JSON array: %s", list).isTrue();
        Map<String, String> result = new HashMap<>();
        for (JsonNode secret : list) {
            List<String> seen = new ArrayList<>();
            for (JsonNode value : secret.get("values")) {
                assertThat(value.get("environmentId").asText()).isEqualTo(environmentId);
                assertThat(value.get("isPersonal").asBoolean()).isFalse();
                seen.add(value.get("value").asText());
            }
            assertThat(seen).as("values of %s", secret.get("name")).hasSize(1);
            result.put(secret.get("name").asText(), seen.get(0));
        }
        return result;
    }

    private static String valueIn(JsonNode secret, String environmentId) {
        for (JsonNode value : secret.get("values")) {
            if (value.get("environmentId").asText().equals(environmentId) && !value.get("isPersonal").asBoolean()) {
                return value.get("value").asText();
            }
        }
        return null;
    }
}
