package dev.ekvault.server.secret;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.store.Sql;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.wire.WireTime;
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
 * A secret's history (issue 14): every change a version with who and when, rollback as a new version, the project as
 * it was at a time, deleted secrets restorable until purged, the bound on versions kept, and who sees which version.
 * Over real HTTP, on each database by a one-line subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecretHistoryContract {
    abstract Backend backend();

    static final String WS = "/v1/workspace/acme";
    static final int MAX_VERSIONS = 5;

    TestServer s;
    String prod;
    String dev;

    @BeforeAll
    void start() {
        s = TestServer.start(backend(), "--secrets-max-versions=" + MAX_VERSIONS, "--secrets-deleted-retention-days=30");
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", true);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private static String base(String project) {
        return WS + "/project/" + project + "/secret";
    }

    private String create(String project, String key, String value, String... environments) {
        return s.createSecrets(project, List.of(environments), Map.of(key, value)).get(0).get("id").asText();
    }

    private HttpResult set(String token, String project, String id, String environment, String value, boolean personal) {
        return s.put(base(project) + "/" + id, token, "{\"values\":[{\"environmentId\":\"" + environment + "\",\"value\":" + TestServer.quote(value)
                + ",\"isPersonal\":" + personal + "}]}");
    }

    private static String valueIn(JsonNode secret, String environment, boolean personal) {
        for (JsonNode v : secret.get("values")) {
            if (v.get("environmentId").asText().equals(environment) && v.get("isPersonal").asBoolean() == personal) return v.get("value").asText();
        }
        return null;
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode secret : list) if (secret.get("name").asText().equals(name)) return secret;
        return null;
    }

    private static List<Long> versionNumbers(JsonNode versions) {
        List<Long> numbers = new ArrayList<>();
        for (JsonNode v : versions) numbers.add(v.get("version").asLong());
        return numbers;
    }

    private void tick() {
        s.clock.advance(Duration.ofSeconds(1));
    }

    @Test
    void everyChangeIsAVersionWithWhoAndWhenAndRollbackWritesANewOne() {
        String id = create("web", "HISTORY_KEY", "one", prod);
        tick();
        assertThat(set(s.ownerToken, "web", id, prod, "two", false).status()).isEqualTo(200);
        tick();
        assertThat(set(s.ownerToken, "web", id, prod, "three", false).status()).isEqualTo(200);

        HttpResult history = s.get(base("web") + "/" + id + "/versions?environmentId=" + prod, s.ownerToken);
        assertThat(history.status()).as("%s", history).isEqualTo(200);
        assertThat(versionNumbers(history.json())).containsExactly(3L, 2L, 1L);
        JsonNode newest = history.json().get(0);
        assertThat(newest.has("value")).as("values only when asked for").isFalse();
        assertThat(newest.get("changedBy").isNull()).isFalse();
        assertThat(newest.get("credentialKind").asText()).isEqualTo("api-token");
        assertThat(newest.get("credentialId").asText()).isNotEmpty();
        assertThat(newest.get("isPersonal").asBoolean()).isFalse();
        assertThat(Duration.between(java.time.Instant.parse(history.json().get(2).get("changedAt").asText()),
                java.time.Instant.parse(newest.get("changedAt").asText()))).isEqualTo(Duration.ofSeconds(2));

        // by key as well as by id, with the values
        HttpResult withValues = s.get(base("web") + "/HISTORY_KEY/versions?environmentId=" + prod + "&includeValues=true", s.ownerToken);
        List<String> values = new ArrayList<>();
        for (JsonNode v : withValues.json()) values.add(v.get("value").asText());
        assertThat(values).containsExactly("three", "two", "one");

        tick();
        HttpResult rolledBack = s.post(base("web") + "/" + id + "/rollback", s.ownerToken,
                "{\"environmentId\":\"" + prod + "\",\"version\":1}");
        assertThat(rolledBack.status()).as("%s", rolledBack).isEqualTo(200);
        assertThat(valueIn(rolledBack.json(), prod, false)).isEqualTo("one");
        assertThat(valueIn(s.get(base("web") + "/HISTORY_KEY?environmentId=" + prod, s.ownerToken).json(), prod, false)).isEqualTo("one");
        assertThat(versionNumbers(s.get(base("web") + "/" + id + "/versions?environmentId=" + prod, s.ownerToken).json()))
                .as("a rollback adds a version; history is never rewritten").containsExactly(4L, 3L, 2L, 1L);
    }

    @Test
    void readingTheValuesOfTheHistoryIsARecordedReadAndListingItIsNot() {
        String id = create("web", "AUDITED_HISTORY", "first-value", prod);
        set(s.ownerToken, "web", id, prod, "second-value", false);
        int before = views(id);
        s.get(base("web") + "/" + id + "/versions", s.ownerToken);
        assertThat(views(id)).as("no value read, no VIEW entry").isEqualTo(before);
        s.get(base("web") + "/" + id + "/versions?includeValues=true", s.ownerToken);
        assertThat(views(id)).isEqualTo(before + 1);
        JsonNode entry = s.get(WS + "/audit?action=view&entity=" + id + "&limit=1", s.ownerToken).json().get("entries").get(0);
        assertThat(entry.get("after").get("versions").toString()).isEqualTo("[2,1]");
        assertThat(entry.toString()).doesNotContain("first-value").doesNotContain("second-value");
    }

    private int views(String secretId) {
        HttpResult page = s.get(WS + "/audit?action=view&entity=" + secretId + "&limit=100", s.ownerToken);
        assertThat(page.status()).as("%s", page).isEqualTo(200);
        return page.json().get("entries").size();
    }

    @Test
    void rollbackRefusesADeletionAnUnknownVersionAndAReadOnlyCredential() {
        String id = create("web", "ROLLBACK_RULES", "kept", prod);
        set(s.ownerToken, "web", id, prod, "", false); // deletes the value: version 2 records that
        set(s.ownerToken, "web", id, prod, "again", false);
        assertThat(versionNumbers(s.get(base("web") + "/" + id + "/versions", s.ownerToken).json()))
                .as("a value deleted and written again continues its numbering").containsExactly(3L, 2L, 1L);
        assertThat(s.get(base("web") + "/" + id + "/versions", s.ownerToken).json().get(1).get("deleted").asBoolean()).isTrue();

        HttpResult deletion = s.post(base("web") + "/" + id + "/rollback", s.ownerToken, "{\"environmentId\":\"" + prod + "\",\"version\":2}");
        assertThat(deletion.status()).isEqualTo(400);
        assertThat(deletion.message()).contains("'version'");
        assertThat(s.post(base("web") + "/" + id + "/rollback", s.ownerToken, "{\"environmentId\":\"" + prod + "\",\"version\":99}").status())
                .isEqualTo(404);
        HttpResult noVersion = s.post(base("web") + "/" + id + "/rollback", s.ownerToken, "{\"environmentId\":\"" + prod + "\"}");
        assertThat(noVersion.status()).isEqualTo(400);
        assertThat(noVersion.message()).contains("'version'");

        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        String readWrite = s.createToken(s.ownerToken, "read-write", "{\"all\":true}");
        String body = "{\"environmentId\":\"" + prod + "\",\"version\":1}";
        assertThat(s.post(base("web") + "/" + id + "/rollback", readOnly, body).status()).isEqualTo(403);
        assertThat(s.get(base("web") + "/" + id + "/versions", readOnly).status()).as("reading the history is a read").isEqualTo(200);
        HttpResult allowed = s.post(base("web") + "/" + id + "/rollback", readWrite, body);
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(valueIn(allowed.json(), prod, false)).isEqualTo("kept");
    }

    @Test
    void aScopedCredentialSeesOnlyItsEnvironmentsVersions() {
        String id = create("web", "SCOPED_HISTORY", "both", prod, dev);
        set(s.ownerToken, "web", id, prod, "prod-2", false);
        String devOnly = s.createToken(s.ownerToken, "read-write", "{\"all\":false,\"environments\":[\"" + dev + "\"]}");
        JsonNode seen = s.get(base("web") + "/" + id + "/versions?includeValues=true", devOnly).json();
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).get("environmentId").asText()).isEqualTo(dev);
        assertThat(s.get(base("web") + "/" + id + "/versions?environmentId=" + prod, devOnly).status()).isEqualTo(404);
        assertThat(s.post(base("web") + "/" + id + "/rollback", devOnly, "{\"environmentId\":\"" + prod + "\",\"version\":1}").status())
                .isEqualTo(404);
        assertThat(s.post(base("web") + "/" + id + "/rollback", devOnly, "{\"environmentId\":\"" + dev + "\",\"version\":1}").status())
                .as("positive control: its own environment").isEqualTo(200);
    }

    @Test
    void personalVersionsAreTheirOwnersAlone() {
        TestServer.Session ada = s.invitePerson("ada-history@example.com", "developer", null);
        TestServer.Session bob = s.invitePerson("bob-history@example.com", "developer", null);
        String id = create("web", "PERSONAL_HISTORY", "shared", dev);
        String body = "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"ada-mine\",\"isPersonal\":true}]}";
        assertThat(s.putAs(ada, base("web") + "/" + id, body).status()).isEqualTo(200);
        s.putAs(ada, base("web") + "/" + id, body.replace("ada-mine", "ada-mine-2"));

        JsonNode adas = s.getAs(ada, base("web") + "/" + id + "/versions?includeValues=true").json();
        assertThat(adas.toString()).contains("ada-mine-2").contains("ada-mine\"");
        JsonNode bobs = s.getAs(bob, base("web") + "/" + id + "/versions?includeValues=true").json();
        assertThat(bobs.toString()).doesNotContain("ada-mine");
        assertThat(bobs).hasSize(1);
        assertThat(s.get(base("web") + "/" + id + "/versions?includeValues=true", s.ownerToken).json().toString())
                .as("a static token sees shared values only").doesNotContain("ada-mine");

        HttpResult adaRollback = s.postAs(ada, base("web") + "/" + id + "/rollback",
                "{\"environmentId\":\"" + dev + "\",\"version\":1,\"isPersonal\":true}");
        assertThat(adaRollback.status()).as("%s", adaRollback).isEqualTo(200);
        assertThat(valueIn(adaRollback.json(), dev, true)).isEqualTo("ada-mine");
        assertThat(s.postAs(bob, base("web") + "/" + id + "/rollback", "{\"environmentId\":\"" + dev + "\",\"version\":1,\"isPersonal\":true}")
                .status()).as("bob has no personal version 1").isEqualTo(404);
        assertThat(s.post(base("web") + "/" + id + "/rollback", s.ownerToken, "{\"environmentId\":\"" + dev + "\",\"version\":1,\"isPersonal\":true}")
                .status()).isEqualTo(403);
    }

    @Test
    void theProjectAsItWasAtATime() {
        s.createProject("timeline");
        String env = s.createEnvironment("timeline", "production", false);
        String early = create("timeline", "EARLY", "early-1", env);
        String gone = create("timeline", "GONE_LATER", "was-here", env);
        tick();
        long then = s.clock.millis();
        s.clock.advance(Duration.ofHours(1));
        set(s.ownerToken, "timeline", early, env, "early-2", false);
        create("timeline", "LATE", "late", env);
        assertThat(s.delete(base("timeline") + "/" + gone, s.ownerToken).status()).isEqualTo(204);

        HttpResult past = s.get(base("timeline") + "?environmentId=" + env + "&at=" + WireTime.format(then), s.ownerToken);
        assertThat(past.status()).as("%s", past).isEqualTo(200);
        assertThat(valueIn(named(past.json(), "EARLY"), env, false)).isEqualTo("early-1");
        assertThat(valueIn(named(past.json(), "GONE_LATER"), env, false)).as("deleted since, there then").isEqualTo("was-here");
        assertThat(named(past.json(), "LATE")).as("created since").isNull();

        JsonNode now = s.get(base("timeline") + "?environmentId=" + env, s.ownerToken).json();
        assertThat(valueIn(named(now, "EARLY"), env, false)).isEqualTo("early-2");
        assertThat(named(now, "GONE_LATER")).isNull();
        assertThat(s.get(base("timeline") + "/EARLY?environmentId=" + env + "&at=" + WireTime.format(then), s.ownerToken).json()
                .get("values").get(0).get("value").asText()).isEqualTo("early-1");
        assertThat(s.get(base("timeline") + "/LATE?at=" + WireTime.format(then), s.ownerToken).status()).isEqualTo(404);

        HttpResult bad = s.get(base("timeline") + "?at=yesterday", s.ownerToken);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.message()).contains("'at'");
    }

    @Test
    void aDeletedSecretComesBackWithItsValuesUntilItIsPurged() {
        TestServer.Session cy = s.invitePerson("cy-history@example.com", "developer", null);
        String id = create("web", "RESTORE_ME", "shared-both", prod, dev);
        s.putAs(cy, base("web") + "/" + id, "{\"values\":[{\"environmentId\":\"" + dev + "\",\"value\":\"cy-override\",\"isPersonal\":true}]}");
        set(s.ownerToken, "web", id, prod, "prod-only", false);
        tick();
        assertThat(s.delete(base("web") + "/" + id, s.ownerToken).status()).isEqualTo(204);
        assertThat(s.get(base("web") + "/RESTORE_ME", s.ownerToken).status()).isEqualTo(404);

        HttpResult deleted = s.get(WS + "/project/web/deleted-secret", s.ownerToken);
        assertThat(deleted.status()).isEqualTo(200);
        JsonNode entry = named(deleted.json(), "RESTORE_ME");
        assertThat(entry.get("id").asText()).isEqualTo(id);
        assertThat(Duration.between(java.time.Instant.parse(entry.get("deletedAt").asText()), java.time.Instant.parse(entry.get("purgeAt").asText())))
                .isEqualTo(Duration.ofDays(30));
        assertThat(s.get(base("web") + "/" + id + "/versions", s.ownerToken).json().get(0).get("withSecret").asBoolean()).isTrue();

        String readOnly = s.createToken(s.ownerToken, "read", "{\"all\":true}");
        assertThat(s.post(WS + "/project/web/deleted-secret/" + id + "/restore", readOnly, "{}").status()).isEqualTo(403);
        HttpResult restored = s.post(WS + "/project/web/deleted-secret/" + id + "/restore", s.ownerToken, "{}");
        assertThat(restored.status()).as("%s", restored).isEqualTo(200);
        assertThat(restored.json().get("id").asText()).isEqualTo(id);
        assertThat(valueIn(restored.json(), prod, false)).isEqualTo("prod-only");
        assertThat(valueIn(restored.json(), dev, false)).isEqualTo("shared-both");
        assertThat(valueIn(s.getAs(cy, base("web") + "/RESTORE_ME?environmentId=" + dev).json(), dev, true))
                .as("personal overrides come back to their owners").isEqualTo("cy-override");
        assertThat(named(s.get(WS + "/project/web/deleted-secret", s.ownerToken).json(), "RESTORE_ME")).isNull();
        assertThat(s.post(WS + "/project/web/deleted-secret/" + id + "/restore", s.ownerToken, "{}").status()).isEqualTo(404);
    }

    @Test
    void aRestoreWhoseNameWasTakenAgainIsAConflictAndAPurgedSecretIsGone() {
        String first = create("web", "TAKEN_AGAIN", "old", prod);
        s.delete(base("web") + "/" + first, s.ownerToken);
        String second = create("web", "TAKEN_AGAIN", "new", prod);
        HttpResult clash = s.post(WS + "/project/web/deleted-secret/" + first + "/restore", s.ownerToken, "{}");
        assertThat(clash.status()).isEqualTo(409);
        assertThat(clash.message()).contains("TAKEN_AGAIN");
        s.delete(base("web") + "/" + second, s.ownerToken);
        assertThat(s.post(WS + "/project/web/deleted-secret/" + first + "/restore", s.ownerToken, "{}").status())
                .as("positive control: the name is free again").isEqualTo(200);

        String purged = create("web", "PURGED_LATER", "bye", prod);
        s.delete(base("web") + "/" + purged, s.ownerToken);
        s.clock.advance(Duration.ofDays(29));
        s.server.secrets().purgeDeleted();
        assertThat(named(s.get(WS + "/project/web/deleted-secret", s.ownerToken).json(), "PURGED_LATER")).as("within 30 days").isNotNull();
        s.clock.advance(Duration.ofDays(2));
        s.server.secrets().purgeDeleted();
        assertThat(named(s.get(WS + "/project/web/deleted-secret", s.ownerToken).json(), "PURGED_LATER")).isNull();
        assertThat(s.post(WS + "/project/web/deleted-secret/" + purged + "/restore", s.ownerToken, "{}").status()).isEqualTo(404);
        assertThat(s.get(base("web") + "/" + purged + "/versions", s.ownerToken).status()).isEqualTo(404);
        assertThat(historyRows("secret_id = '" + purged + "'")).isZero();
    }

    @Test
    void eachValueKeepsAtMostTheConfiguredNumberOfVersions() {
        String id = create("web", "MANY_VERSIONS", "v1", prod);
        for (int i = 2; i <= MAX_VERSIONS + 3; i++) set(s.ownerToken, "web", id, prod, "v" + i, false);
        assertThat(versionNumbers(s.get(base("web") + "/" + id + "/versions", s.ownerToken).json()))
                .containsExactly(8L, 7L, 6L, 5L, 4L);
    }

    @Test
    void historyGoesWithItsEnvironmentAndWithAPersonWhoLeaves() {
        s.createProject("leaving");
        String keep = s.createEnvironment("leaving", "keep", true);
        String drop = s.createEnvironment("leaving", "drop", false);
        TestServer.Session dee = s.invitePerson("dee-history@example.com", "developer", null);
        String id = create("leaving", "GOES", "x", keep, drop);
        s.putAs(dee, base("leaving") + "/" + id, "{\"values\":[{\"environmentId\":\"" + keep + "\",\"value\":\"dee-own\",\"isPersonal\":true}]}");
        assertThat(historyRows("environment_id = '" + drop + "'")).isEqualTo(1);
        assertThat(historyRows("owner_id = '" + dee.userId() + "'")).isEqualTo(1);

        assertThat(s.delete(WS + "/project/leaving/environment/" + drop, s.ownerToken).status()).isEqualTo(204);
        assertThat(historyRows("environment_id = '" + drop + "'")).isZero();
        assertThat(s.delete(WS + "/members/" + dee.userId(), s.ownerToken).status()).isEqualTo(204);
        assertThat(historyRows("owner_id = '" + dee.userId() + "'")).isZero();
        assertThat(historyRows("environment_id = '" + keep + "'")).as("the shared history stays").isEqualTo(1);
    }

    private long historyRows(String where) {
        return s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM secret_value_version WHERE " + where,
                r -> r.getLong(1)));
    }
}
