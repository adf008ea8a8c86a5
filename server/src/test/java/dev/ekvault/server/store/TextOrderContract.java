package dev.ekvault.server.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.Permission;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
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
 * Lists ordered by a name answer in the same order on every database: byte by byte (code point order), as SQLite's
 * BINARY collation orders text, whatever PostgreSQL's default collation is. The names mix case, {@code _} and {@code -},
 * which a language's collation orders otherwise (it sorts {@code ab} between {@code A_A} and {@code A_C}, byte order puts
 * it after both). Run by a subclass per database; on PostgreSQL on a database whose default collation is ICU's en-US.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TextOrderContract {
    /** A server on a fresh store of the database under test. */
    abstract TestServer startServer();

    /** Secret keys, teams' and projects' and environments' names, in no order; each list must come back byte-ordered. */
    static final List<String> KEYS = List.of("ab", "A_C", "a-b", "AB", "A_A", "_x", "Zed", "aB", "A-Z", "b");
    static final List<String> NAMES = List.of("ab", "A c", "a-b", "AB", "A a", "Zed", "aB", "b", "Éclair", "eclair");
    /** Environment names are ASCII letters, digits, spaces, {@code _} and {@code -}. */
    static final List<String> ENVIRONMENT_NAMES = List.of("ab", "A c", "a-b", "AB", "A_a", "Zed", "aB", "b", "A_c", "eclair");

    TestServer s;

    @BeforeAll
    void start() {
        s = startServer();
    }

    @AfterAll
    void stop() {
        s.close();
    }

    static List<String> byteOrder(List<String> names) {
        List<String> sorted = new ArrayList<>(names);
        // code point order is UTF-8's byte order; these names have no character past U+FFFF, so String's order is it
        sorted.sort(String::compareTo);
        return sorted;
    }

    static List<String> names(JsonNode list, String field) {
        List<String> names = new ArrayList<>();
        for (JsonNode item : list) names.add(item.get(field).asText());
        return names;
    }

    @Test
    void secretsAreListedInByteOrderOfTheirKeys() {
        s.createProject("keys");
        String env = s.createEnvironment("keys", "production", false);
        Map<String, String> secrets = new LinkedHashMap<>();
        for (String key : KEYS) secrets.put(key, "value of " + key);
        s.createSecrets("keys", List.of(env), secrets);

        HttpResult list = s.get("/v1/workspace/acme/project/keys/secret?environmentId=" + env, s.ownerToken);
        assertThat(list.status()).isEqualTo(200);
        assertThat(names(list.json(), "name")).isEqualTo(byteOrder(KEYS)).isNotEqualTo(KEYS);
    }

    @Test
    void environmentsMadeAtOneMomentAreListedInByteOrderOfTheirNames() {
        s.createProject("envs"); // the test clock stands still: every environment has the same creation time
        for (String name : ENVIRONMENT_NAMES) s.createEnvironment("envs", name, false);

        HttpResult list = s.get("/v1/workspace/acme/project/envs/environment", s.ownerToken);
        assertThat(list.status()).isEqualTo(200);
        assertThat(names(list.json(), "name")).isEqualTo(byteOrder(ENVIRONMENT_NAMES));
    }

    @Test
    void teamsAndTheirProjectsAreListedInByteOrderOfTheirNames() {
        String defaultTeam = s.defaultTeamId();
        List<String> teamNames = new ArrayList<>();
        for (String name : NAMES) {
            s.createTeam("team " + name);
            teamNames.add("team " + name);
        }
        for (int i = 0; i < NAMES.size(); i++) {
            HttpResult project = s.post("/v1/workspace/acme/project", s.ownerToken,
                    "{\"name\":" + TestServer.quote(NAMES.get(i)) + ",\"slug\":\"order-" + i + "\",\"teamId\":\"" + defaultTeam + "\"}");
            assertThat(project.status()).as(project.toString()).isEqualTo(201);
        }

        HttpResult teams = s.get("/v1/workspace/acme/team", s.ownerToken);
        assertThat(teams.status()).isEqualTo(200);
        List<String> listed = names(teams.json(), "name");
        listed.removeIf(name -> !name.startsWith("team "));
        assertThat(listed).isEqualTo(byteOrder(teamNames));

        HttpResult projects = s.get("/v1/workspace/acme/project", s.ownerToken);
        assertThat(projects.status()).isEqualTo(200);
        List<String> inDefaultTeam = null;
        for (JsonNode team : projects.json()) if (team.get("id").asText().equals(defaultTeam)) inDefaultTeam = names(team.get("projects"), "name");
        assertThat(inDefaultTeam).isNotNull();
        inDefaultTeam.removeIf(name -> !NAMES.contains(name));
        assertThat(inDefaultTeam).isEqualTo(byteOrder(NAMES));
    }

    @Test
    void membersWhoJoinedAtOneMomentAreListedInByteOrderOfTheirEmails() {
        // '.' and '_' sort before letters byte by byte; a language's collation passes over them first
        List<String> emails = List.of("ab@example.com", "a_c@example.com", "a.a@example.com", "aa@example.com");
        for (String email : emails) {
            s.addPersonWithCredential(email, Role.MEMBER, Scope.ALL, Credential.Kind.STATIC, Permission.READ, Scope.ALL);
        }

        HttpResult list = s.get("/v1/workspace/acme/members", s.ownerToken);
        assertThat(list.status()).isEqualTo(200);
        List<String> listed = names(list.json(), "email");
        listed.removeIf(email -> !emails.contains(email));
        assertThat(listed).isEqualTo(byteOrder(emails));
    }
}
