package dev.ekvault.server.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.testing.TestServer.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The workspace tree's renames and deletes over real HTTP (issue 13): shapes, validation naming the field, 404s, who may
 * (each refusal beside an allowed caller making the same request), cascades that leave no orphan row, personal overrides
 * switched off, and credentials scoped to what was deleted. Run on each database by a one-line subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WorkspaceTreeContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    TestServer s;
    final AtomicInteger counter = new AtomicInteger();

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private String unique(String prefix) {
        return prefix + "-" + counter.incrementAndGet();
    }

    private String project(String teamId) {
        String slug = unique("p");
        HttpResult r = s.post(WS + "/project", s.ownerToken, "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\",\"teamId\":\"" + teamId + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return slug;
    }

    private String projectId(String slug) {
        return s.get(WS + "/project/" + slug, s.ownerToken).json().get("id").asText();
    }

    private long count(String sql, Object... args) {
        return s.server.database().read(c -> Sql.one(c, sql, r -> r.getLong(1), args));
    }

    /** A 400 whose message names the field. */
    private static void assertBadField(HttpResult r, String quotedField) {
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.message()).contains(quotedField);
    }

    private static String scope(String kind, String id) {
        return "{\"all\":false,\"" + kind + "\":[\"" + id + "\"]}";
    }

    // ---- teams ----

    @Test
    void aTeamIsRenamedAndValidated() {
        String team = s.createTeam(unique("t"));
        project(team);
        HttpResult renamed = s.patch(WS + "/team/" + team, s.ownerToken, "{\"name\":\"Platform\"}");
        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(renamed.json().get("id").asText()).isEqualTo(team);
        assertThat(renamed.json().get("name").asText()).isEqualTo("Platform");
        assertThat(renamed.json().get("projectCount").asInt()).isEqualTo(1);
        assertThat(s.get(WS + "/team", s.ownerToken).body()).contains("\"Platform\"");
        // the same name again is no conflict; another team's is
        assertThat(s.patch(WS + "/team/" + team, s.ownerToken, "{\"name\":\"Platform\"}").status()).isEqualTo(200);
        HttpResult taken = s.patch(WS + "/team/" + s.createTeam("Taken"), s.ownerToken, "{\"name\":\"Platform\"}");
        assertThat(taken.status()).isEqualTo(409);

        assertBadField(s.patch(WS + "/team/" + team, s.ownerToken, "{}"), "'name'");
        assertBadField(s.patch(WS + "/team/" + team, s.ownerToken, "{\"name\":\"\"}"), "'name'");
        assertThat(s.patch(WS + "/team/" + java.util.UUID.randomUUID(), s.ownerToken, "{\"name\":\"x\"}").status()).isEqualTo(404);
        assertThat(s.patch(WS + "/team/not-a-uuid", s.ownerToken, "{\"name\":\"x\"}").status()).isEqualTo(404);
        assertThat(s.delete(WS + "/team/" + java.util.UUID.randomUUID(), s.ownerToken).status()).isEqualTo(404);
        assertThat(s.patch("/v1/workspace/nope/team/" + team, s.ownerToken, "{\"name\":\"x\"}").status()).isEqualTo(404);
    }

    @Test
    void whoMayRenameOrDeleteATeam() {
        String team = s.createTeam(unique("t"));
        String prj = project(team);
        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        String readWrite = s.createToken(s.ownerToken, "read-write", "{\"all\":true}");
        assertThat(s.patch(WS + "/team/" + team, readOnly, "{\"name\":\"ro\"}").status()).isEqualTo(403);
        assertThat(s.patch(WS + "/team/" + team, readWrite, "{\"name\":\"rw-" + team + "\"}").status()).isEqualTo(200);

        Session developer = s.invitePerson(unique("dev") + "@tree.example.com", "developer", null);
        assertThat(s.patchAs(developer, WS + "/team/" + team, "{\"name\":\"dev\"}").status()).isEqualTo(403);
        assertThat(s.deleteAs(developer, WS + "/team/" + team).status()).isEqualTo(403);

        // an admin scoped to the team renames it but may not delete it (deleting, like creating, needs the whole workspace)
        Session teamAdmin = s.invitePerson(unique("ta") + "@tree.example.com", "admin", scope("teams", team));
        assertThat(s.patchAs(teamAdmin, WS + "/team/" + team, "{\"name\":\"by-team-admin-" + team + "\"}").status()).isEqualTo(200);
        assertThat(s.deleteAs(teamAdmin, WS + "/team/" + team).status()).isEqualTo(403);
        // an admin scoped to a project of the team sees the team but renames nothing outside its scope
        Session projectAdmin = s.invitePerson(unique("pa") + "@tree.example.com", "admin", scope("projects", projectId(prj)));
        assertThat(s.patchAs(projectAdmin, WS + "/team/" + team, "{\"name\":\"nope\"}").status()).isEqualTo(403);
        // a team outside a scoped admin's scope is not even there
        String other = s.createTeam(unique("t"));
        assertThat(s.patchAs(teamAdmin, WS + "/team/" + other, "{\"name\":\"nope\"}").status()).isEqualTo(404);
        assertThat(s.deleteAs(teamAdmin, WS + "/team/" + other).status()).isEqualTo(404);
        // the positive control of the refused deletes
        assertThat(s.delete(WS + "/team/" + team, readOnly).status()).isEqualTo(403);
        assertThat(s.delete(WS + "/team/" + team, readWrite).status()).isEqualTo(204);
        assertThat(s.get(WS + "/team", s.ownerToken).body()).doesNotContain(team);
    }

    // ---- projects ----

    @Test
    void aProjectIsReadRenamedAndReSlugged() {
        String team = s.defaultTeamId();
        String slug = project(team);
        HttpResult one = s.get(WS + "/project/" + slug, s.ownerToken);
        assertThat(one.status()).isEqualTo(200);
        JsonNode p = one.json();
        assertThat(p.get("slug").asText()).isEqualTo(slug);
        assertThat(p.get("name").asText()).isEqualTo(slug);
        assertThat(p.get("teamId").asText()).isEqualTo(team);
        assertThat(p.get("teamName").asText()).isNotBlank();
        assertThat(p.get("createdAt").asText()).endsWith("Z");
        assertThat(s.get(WS + "/project/" + p.get("id").asText(), s.ownerToken).status()).as("by id").isEqualTo(200);

        String newSlug = unique("renamed");
        HttpResult updated = s.patch(WS + "/project/" + slug, s.ownerToken, "{\"name\":\"Renamed\",\"slug\":\"" + newSlug + "\"}");
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        assertThat(updated.json().get("name").asText()).isEqualTo("Renamed");
        assertThat(updated.json().get("slug").asText()).isEqualTo(newSlug);
        assertThat(s.get(WS + "/project/" + slug, s.ownerToken).status()).as("the old slug").isEqualTo(404);
        assertThat(s.patch(WS + "/project/" + newSlug, s.ownerToken, "{\"name\":\"Only the name\"}").json().get("slug").asText()).isEqualTo(newSlug);

        HttpResult taken = s.patch(WS + "/project/" + newSlug, s.ownerToken, "{\"slug\":\"" + project(team) + "\"}");
        assertThat(taken.status()).isEqualTo(409);
        assertBadField(s.patch(WS + "/project/" + newSlug, s.ownerToken, "{\"slug\":\"Not A Slug!\"}"), "'slug'");
        assertBadField(s.patch(WS + "/project/" + newSlug, s.ownerToken, "{\"name\":42}"), "'name'");
        HttpResult nothing = s.patch(WS + "/project/" + newSlug, s.ownerToken, "{}");
        assertThat(nothing.status()).isEqualTo(400);
        assertThat(nothing.message()).contains("'name'").contains("'slug'");
        assertThat(s.get(WS + "/project/nope", s.ownerToken).status()).isEqualTo(404);
        assertThat(s.patch(WS + "/project/nope", s.ownerToken, "{\"name\":\"x\"}").status()).isEqualTo(404);
        assertThat(s.delete(WS + "/project/nope", s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void whoMayChangeOrDeleteAProject() {
        String team = s.defaultTeamId();
        String slug = project(team);
        String id = projectId(slug);
        String env = s.createEnvironment(slug, "dev", false);
        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThat(s.get(WS + "/project/" + slug, readOnly).status()).isEqualTo(200);
        assertThat(s.patch(WS + "/project/" + slug, readOnly, "{\"name\":\"ro\"}").status()).isEqualTo(403);
        assertThat(s.delete(WS + "/project/" + slug, readOnly).status()).isEqualTo(403);

        Session member = s.invitePerson(unique("m") + "@tree.example.com", "member", null);
        assertThat(s.getAs(member, WS + "/project/" + slug).status()).isEqualTo(200);
        assertThat(s.patchAs(member, WS + "/project/" + slug, "{\"name\":\"m\"}").status()).isEqualTo(403);

        // scoped to one environment: sees the project, changes nothing of it
        Session envAdmin = s.invitePerson(unique("ea") + "@tree.example.com", "admin", scope("environments", env));
        assertThat(s.getAs(envAdmin, WS + "/project/" + slug).status()).isEqualTo(200);
        assertThat(s.patchAs(envAdmin, WS + "/project/" + slug, "{\"name\":\"e\"}").status()).isEqualTo(403);
        // scoped to the project: renames it, may not delete it (that needs its whole team, as creating does)
        Session projectAdmin = s.invitePerson(unique("pa") + "@tree.example.com", "admin", scope("projects", id));
        assertThat(s.patchAs(projectAdmin, WS + "/project/" + slug, "{\"name\":\"by project admin\"}").status()).isEqualTo(200);
        assertThat(s.deleteAs(projectAdmin, WS + "/project/" + slug).status()).isEqualTo(403);
        String outside = project(team);
        assertThat(s.getAs(projectAdmin, WS + "/project/" + outside).status()).as("outside its scope").isEqualTo(404);
        assertThat(s.patchAs(projectAdmin, WS + "/project/" + outside, "{\"name\":\"x\"}").status()).isEqualTo(404);
        // scoped to the team: deletes it
        Session teamAdmin = s.invitePerson(unique("ta") + "@tree.example.com", "admin", scope("teams", team));
        assertThat(s.deleteAs(teamAdmin, WS + "/project/" + slug).status()).isEqualTo(204);
        assertThat(s.get(WS + "/project/" + slug, s.ownerToken).status()).isEqualTo(404);
    }

    // ---- environments ----

    @Test
    void anEnvironmentIsRenamedAndItsOverridesSwitched() {
        String slug = project(s.defaultTeamId());
        String env = s.createEnvironment(slug, "dev", false);
        String base = WS + "/project/" + slug + "/environment/";
        HttpResult renamed = s.patch(base + env, s.ownerToken, "{\"name\":\"development\"}");
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(renamed.json().get("name").asText()).isEqualTo("development");
        assertThat(renamed.json().get("hasPersonalOverrides").asBoolean()).isFalse();
        HttpResult on = s.patch(base + env, s.ownerToken, "{\"hasPersonalOverrides\":true}");
        assertThat(on.json().get("hasPersonalOverrides").asBoolean()).isTrue();
        assertThat(on.json().get("name").asText()).isEqualTo("development");
        JsonNode listed = s.get(WS + "/project/" + slug + "/environment", s.ownerToken).json().get(0);
        assertThat(listed.get("hasPersonalOverrides").asBoolean()).as("the list answers hasPersonalOverrides").isTrue();

        s.createEnvironment(slug, "prod", false);
        assertThat(s.patch(base + env, s.ownerToken, "{\"name\":\"prod\"}").status()).isEqualTo(409);
        assertBadField(s.patch(base + env, s.ownerToken, "{\"name\":\"a.b\"}"), "'name'");
        assertBadField(s.patch(base + env, s.ownerToken, "{\"hasPersonalOverrides\":\"no\"}"), "'hasPersonalOverrides'");
        assertThat(s.patch(base + env, s.ownerToken, "{}").status()).isEqualTo(400);
        assertThat(s.patch(base + java.util.UUID.randomUUID(), s.ownerToken, "{\"name\":\"x\"}").status()).isEqualTo(404);
        // an environment of another project is not found under this one
        String otherSlug = project(s.defaultTeamId());
        String otherEnv = s.createEnvironment(otherSlug, "dev", false);
        assertThat(s.patch(base + otherEnv, s.ownerToken, "{\"name\":\"x\"}").status()).isEqualTo(404);
        assertThat(s.delete(base + otherEnv, s.ownerToken).status()).isEqualTo(404);
    }

    @Test
    void switchingOverridesOffDeletesThemAndKeepsSharedValues() {
        String slug = project(s.defaultTeamId());
        String env = s.createEnvironment(slug, "dev", true);
        String secretId = s.createSecrets(slug, List.of(env), Map.of("API_URL", "shared")).get(0).get("id").asText();
        Session dev = s.invitePerson(unique("ov") + "@tree.example.com", "developer", null);
        HttpResult personal = s.putAs(dev, WS + "/project/" + slug + "/secret/" + secretId,
                "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"mine\",\"isPersonal\":true}]}");
        assertThat(personal.status()).as(personal.toString()).isEqualTo(200);
        assertThat(s.getAs(dev, WS + "/project/" + slug + "/secret/API_URL?environmentId=" + env).body()).contains("\"mine\"");
        assertThat(count("SELECT COUNT(*) FROM secret_value WHERE environment_id = ? AND owner_id <> ''", env)).isEqualTo(1);

        assertThat(s.patch(WS + "/project/" + slug + "/environment/" + env, s.ownerToken, "{\"hasPersonalOverrides\":false}").status()).isEqualTo(200);
        assertThat(count("SELECT COUNT(*) FROM secret_value WHERE environment_id = ? AND owner_id <> ''", env)).as("overrides deleted").isZero();
        assertThat(count("SELECT COUNT(*) FROM secret_value WHERE environment_id = ? AND owner_id = ''", env)).as("shared value kept").isEqualTo(1);
        String seen = s.getAs(dev, WS + "/project/" + slug + "/secret/API_URL?environmentId=" + env).body();
        assertThat(seen).contains("\"shared\"").doesNotContain("\"mine\"");
        // switched back on, it starts with none
        s.patch(WS + "/project/" + slug + "/environment/" + env, s.ownerToken, "{\"hasPersonalOverrides\":true}");
        assertThat(s.getAs(dev, WS + "/project/" + slug + "/secret/API_URL?environmentId=" + env).body()).doesNotContain("\"mine\"");
        // the audit log has the deletion
        assertThat(s.get(WS + "/audit/export", s.ownerToken).body()).contains("overrides-switched-off");
    }

    @Test
    void whoMayChangeOrDeleteAnEnvironment() {
        String team = s.defaultTeamId();
        String slug = project(team);
        String env = s.createEnvironment(slug, "dev", false);
        String sibling = s.createEnvironment(slug, "prod", false);
        String base = WS + "/project/" + slug + "/environment/";
        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThat(s.patch(base + env, readOnly, "{\"name\":\"ro\"}").status()).isEqualTo(403);
        assertThat(s.delete(base + env, readOnly).status()).isEqualTo(403);
        Session developer = s.invitePerson(unique("d") + "@tree.example.com", "developer", null);
        assertThat(s.patchAs(developer, base + env, "{\"name\":\"d\"}").status()).isEqualTo(403);

        // an admin token scoped to the environment renames it but may not delete it (needs the whole project)
        String envToken = s.createToken(s.ownerToken, "read-write", scope("environments", env));
        assertThat(s.patch(base + env, envToken, "{\"name\":\"by-env-token\"}").status()).isEqualTo(200);
        assertThat(s.delete(base + env, envToken).status()).isEqualTo(403);
        assertThat(s.patch(base + sibling, envToken, "{\"name\":\"x\"}").status()).as("a sibling outside its scope").isEqualTo(404);
        // scoped to the project: deletes it
        String projectToken = s.createToken(s.ownerToken, "read-write", scope("projects", projectId(slug)));
        assertThat(s.delete(base + env, projectToken).status()).isEqualTo(204);
        assertThat(s.delete(base + env, projectToken).status()).as("gone").isEqualTo(404);
    }

    // ---- cascades ----

    @Test
    void deletingAnEnvironmentLeavesNoOrphanAndItsScopedTokenSeesNothing() {
        String slug = project(s.defaultTeamId());
        String env = s.createEnvironment(slug, "dev", true);
        String kept = s.createEnvironment(slug, "prod", false);
        s.createSecrets(slug, List.of(env, kept), Map.of("A", "a-value", "B", "b-value"));
        String scoped = s.createToken(s.ownerToken, "read", scope("environments", env));
        assertThat(s.get(WS + "/project/" + slug + "/secret?environmentId=" + env, scoped).json().size()).isEqualTo(2);
        assertThat(count("SELECT COUNT(*) FROM data_key WHERE environment_id = ?", env)).isEqualTo(1);

        assertThat(s.delete(WS + "/project/" + slug + "/environment/" + env, s.ownerToken).status()).isEqualTo(204);
        assertThat(count("SELECT COUNT(*) FROM environment WHERE id = ?", env)).isZero();
        assertThat(count("SELECT COUNT(*) FROM secret_value WHERE environment_id = ?", env)).isZero();
        assertThat(count("SELECT COUNT(*) FROM data_key WHERE environment_id = ?", env)).isZero();
        // the secrets stay with their other environment's values
        JsonNode all = s.get(WS + "/project/" + slug + "/secret", s.ownerToken).json();
        assertThat(all.size()).isEqualTo(2);
        for (JsonNode secret : all) {
            for (JsonNode value : secret.get("values")) assertThat(value.get("environmentId").asText()).isEqualTo(kept);
        }
        assertThat(s.get(WS + "/project/" + slug + "/environment", s.ownerToken).body()).doesNotContain(env);
        // the token scoped to the deleted environment sees nothing of it, and nothing else
        assertThat(s.get(WS + "/project/" + slug + "/environment", scoped).json().size()).isZero();
        HttpResult values = s.get(WS + "/project/" + slug + "/secret?environmentId=" + env, scoped);
        assertThat(values.status() == 404 || (values.status() == 200 && values.json().size() == 0)).as(values.toString()).isTrue();
        HttpResult keptValues = s.get(WS + "/project/" + slug + "/secret?environmentId=" + kept, scoped);
        assertThat(keptValues.status()).as(keptValues.toString()).isEqualTo(404);
        // an environment created afterwards with the same name is not inside that scope (a new id)
        String again = s.createEnvironment(slug, "dev", true);
        assertThat(s.get(WS + "/project/" + slug + "/secret?environmentId=" + again, scoped).status()).isEqualTo(404);
    }

    @Test
    void deletingATeamDeletesEverythingUnderItAndNothingElse() {
        String team = s.createTeam(unique("doomed"));
        List<String> slugs = List.of(project(team), project(team));
        List<String> envs = new ArrayList<>();
        for (String slug : slugs) {
            String dev = s.createEnvironment(slug, "dev", true);
            String prod = s.createEnvironment(slug, "prod", false);
            envs.add(dev);
            envs.add(prod);
            String secretId = s.createSecrets(slug, List.of(dev, prod), Map.of("K", "v")).get(0).get("id").asText();
            Session person = s.invitePerson(unique("p") + "@tree.example.com", "developer", null);
            assertThat(s.putAs(person, WS + "/project/" + slug + "/secret/" + secretId,
                    "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"mine\",\"isPersonal\":true}]}").status()).isEqualTo(200);
        }
        List<String> projectIds = slugs.stream().map(this::projectId).toList();
        String survivor = project(s.defaultTeamId());
        String survivorEnv = s.createEnvironment(survivor, "dev", false);
        s.createSecrets(survivor, List.of(survivorEnv), Map.of("K", "v"));
        String teamToken = s.createToken(s.ownerToken, "read", scope("teams", team));
        long auditBefore = count("SELECT COALESCE(SUM(last_seq - seq + 1), 0) FROM audit_block");

        assertThat(s.delete(WS + "/team/" + team, s.ownerToken).status()).isEqualTo(204);

        assertThat(count("SELECT COUNT(*) FROM team WHERE id = ?", team)).isZero();
        for (String p : projectIds) {
            assertThat(count("SELECT COUNT(*) FROM project WHERE id = ?", p)).isZero();
            assertThat(count("SELECT COUNT(*) FROM secret WHERE project_id = ?", p)).isZero();
            assertThat(count("SELECT COUNT(*) FROM environment WHERE project_id = ?", p)).isZero();
        }
        for (String e : envs) {
            assertThat(count("SELECT COUNT(*) FROM secret_value WHERE environment_id = ?", e)).isZero();
            assertThat(count("SELECT COUNT(*) FROM data_key WHERE environment_id = ?", e)).isZero();
        }
        // no orphan anywhere in the database
        assertThat(count("SELECT COUNT(*) FROM secret_value v WHERE NOT EXISTS (SELECT 1 FROM secret s WHERE s.id = v.secret_id) "
                + "OR NOT EXISTS (SELECT 1 FROM environment e WHERE e.id = v.environment_id)")).isZero();
        assertThat(count("SELECT COUNT(*) FROM data_key k WHERE NOT EXISTS (SELECT 1 FROM environment e WHERE e.id = k.environment_id)")).isZero();
        assertThat(count("SELECT COUNT(*) FROM secret x WHERE NOT EXISTS (SELECT 1 FROM project p WHERE p.id = x.project_id)")).isZero();
        assertThat(count("SELECT COUNT(*) FROM project p WHERE NOT EXISTS (SELECT 1 FROM team t WHERE t.id = p.team_id)")).isZero();
        // the rest of the workspace is untouched
        assertThat(s.get(WS + "/project/" + survivor + "/secret?environmentId=" + survivorEnv, s.ownerToken).json().size()).isEqualTo(1);
        // each deleted row is an audit entry: the team, 2 projects, 4 environments, 2 secrets
        long audited = count("SELECT COALESCE(SUM(last_seq - seq + 1), 0) FROM audit_block") - auditBefore;
        assertThat(audited).isGreaterThanOrEqualTo(9);
        String export = s.get(WS + "/audit/export", s.ownerToken).body();
        assertThat(export).contains(team);
        // the token scoped to the team sees nothing
        assertThat(s.get(WS + "/team", teamToken).json().size()).isZero();
        assertThat(s.get(WS + "/project", teamToken).json().size()).isZero();
        assertThat(s.get(WS + "/project/" + slugs.get(0), teamToken).status()).isEqualTo(404);
    }

    @Test
    void deletingAProjectDeletesItsSecretsAndFreesItsSlug() {
        String slug = project(s.defaultTeamId());
        String id = projectId(slug);
        String env = s.createEnvironment(slug, "dev", false);
        s.createSecrets(slug, List.of(env), Map.of("X", "y"));
        assertThat(s.delete(WS + "/project/" + slug, s.ownerToken).status()).isEqualTo(204);
        assertThat(count("SELECT COUNT(*) FROM secret WHERE project_id = ?", id)).isZero();
        assertThat(count("SELECT COUNT(*) FROM environment WHERE project_id = ?", id)).isZero();
        assertThat(count("SELECT COUNT(*) FROM data_key WHERE environment_id = ?", env)).isZero();
        assertThat(s.get(WS + "/project/" + slug + "/secret", s.ownerToken).status()).isEqualTo(404);
        HttpResult again = s.post(WS + "/project", s.ownerToken, "{\"name\":\"again\",\"slug\":\"" + slug + "\",\"teamId\":\"" + s.defaultTeamId() + "\"}");
        assertThat(again.status()).as("the slug is free again").isEqualTo(201);
        assertThat(s.get(WS + "/project/" + slug + "/secret", s.ownerToken).json().size()).as("nothing of the old project").isZero();
    }

    // ---- the caller's own rights ----

    @Test
    void meAnswersTheCallersEffectiveRights() {
        JsonNode owner = s.get(WS + "/me", s.ownerToken).json();
        assertThat(owner.get("role").asText()).isEqualTo("admin");
        assertThat(owner.get("permission").asText()).isEqualTo("read-write");
        assertThat(owner.get("scope").get("all").asBoolean()).isTrue();
        assertThat(owner.get("isOwner").asBoolean()).isTrue();
        assertThat(owner.get("userId").asText()).isNotBlank();

        String env = s.createEnvironment(project(s.defaultTeamId()), "dev", false);
        String scopedRead = s.createToken(s.ownerToken, "read", scope("environments", env));
        JsonNode token = s.get(WS + "/me", scopedRead).json();
        assertThat(token.get("permission").asText()).isEqualTo("read");
        assertThat(token.get("role").asText()).isEqualTo("admin");
        assertThat(token.get("scope").get("all").asBoolean()).isFalse();
        assertThat(token.get("scope").get("environments").toString()).contains(env);
        assertThat(token.get("credentialKind").asText()).isEqualTo("static");

        Session member = s.invitePerson(unique("me") + "@tree.example.com", "member", scope("environments", env));
        HttpResult mine = s.getAs(member, WS + "/me");
        assertThat(mine.status()).isEqualTo(200);
        assertThat(mine.json().get("role").asText()).isEqualTo("member");
        assertThat(mine.json().get("permission").asText()).as("a member's role caps the session").isEqualTo("read");
        assertThat(mine.json().get("userId").asText()).isEqualTo(member.userId());
        assertThat(mine.json().get("isOwner").asBoolean()).isFalse();
        assertThat(mine.json().get("credentialKind").asText()).isEqualTo("session");
        assertThat(s.get("/v1/workspace/elsewhere/me", s.ownerToken).status()).isEqualTo(404);
        assertThat(s.get(WS + "/me", null).status()).isEqualTo(401);
    }
}
