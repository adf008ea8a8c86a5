package dev.ekvault.server.people;

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

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Members and invitations as the docs describe them: an admin invites with a role and a scope (statuses invite_sent,
 * account_created, declined, expired after 7 days); role and scope changes and removal apply on the member's next
 * request; removal deletes their personal overrides, keeps shared values and stops their credentials; the owner can
 * be neither removed nor demoted; only admins manage members; a scope is stored as asked (naming every child of a parent is not the parent).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MembersContract {
    abstract Backend backend();

    /** Lower case, as the server stores emails. */
    String tag() {
        return backend().name().toLowerCase(java.util.Locale.ROOT);
    }

    static final String WS = "/v1/workspace/acme";
    static final String MEMBERS = WS + "/members";
    static final String INVITE_TOKEN = "ek_inv_[0-9A-Za-z]{43}";

    TestServer s;
    String web;
    String webProd;
    String webDev;
    String api;
    String apiProd;

    @BeforeAll
    void start() {
        s = TestServer.start(backend());
        web = s.createProject("web");
        webProd = s.createEnvironment("web", "production", false);
        webDev = s.createEnvironment("web", "dev", true);
        s.createSecrets("web", List.of(webProd, webDev), Map.of("WEB_KEY", "web-value"));
        api = s.createProject("api");
        apiProd = s.createEnvironment("api", "production", false);
        s.createSecrets("api", List.of(apiProd), Map.of("API_KEY", "api-value"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    // ---- helpers ----

    private HttpResult invite(String email, String role, String scopeJson) {
        return s.post(MEMBERS, s.ownerToken, "{\"email\":" + TestServer.quote(email) + ",\"role\":\"" + role + "\""
                + (scopeJson == null ? "" : ",\"scope\":" + scopeJson) + "}");
    }

    private static String tokenOf(HttpResult invite) {
        String url = invite.json().get("inviteUrl").asText();
        return url.substring(url.lastIndexOf('/') + 1);
    }

    private HttpResult accept(String token, String password) {
        return s.post("/v1/invites/" + token + "/accept", null, "{\"name\":\"Pat\",\"password\":" + TestServer.quote(password) + "}");
    }

    private HttpResult decline(String token) {
        return s.post("/v1/invites/" + token + "/decline", null, "");
    }

    /** The row of the members list (as the owner sees it) with this id, or null. */
    private JsonNode listed(String id) {
        HttpResult list = s.get(MEMBERS, s.ownerToken);
        assertThat(list.status()).as(list.toString()).isEqualTo(200);
        for (JsonNode row : list.json()) if (row.get("id").asText().equals(id)) return row;
        return null;
    }

    private List<String> listedEmails() {
        List<String> emails = new ArrayList<>();
        for (JsonNode row : s.get(MEMBERS, s.ownerToken).json()) emails.add(row.get("email").asText() + "/" + row.get("status").asText());
        return emails;
    }

    private String ownerId() {
        for (JsonNode row : s.get(MEMBERS, s.ownerToken).json()) if (row.path("isOwner").asBoolean()) return row.get("id").asText();
        throw new AssertionError("no owner in the members list");
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private List<String> environmentIds(Session session, String project) {
        HttpResult r = s.getAs(session, WS + "/project/" + project + "/environment");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode e : r.json()) ids.add(e.get("id").asText());
        return ids;
    }

    /** Every project id the caller sees in the grouped project list. */
    private List<String> visibleProjects(Session session) {
        HttpResult r = s.getAs(session, WS + "/project");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode team : r.json()) for (JsonNode p : team.get("projects")) ids.add(p.get("id").asText());
        return ids;
    }

    private static String secretBody(String environmentId, String key) {
        return "{\"environments\":[\"" + environmentId + "\"],\"secrets\":[{\"key\":\"" + key + "\",\"value\":\"v\"}]}";
    }

    private long personalValuesOf(String userId) {
        return s.server.database().read(c -> Sql.one(c, "SELECT COUNT(*) FROM secret_value WHERE owner_id = ?", r -> r.getLong(1), userId));
    }

    // ---- invitations ----

    @Test
    void aDeveloperAndAScopedMemberAreInvitedAcceptAndSeeWhatTheirRoleAndScopeAllow() {
        String devEmail = "dev-a-" + tag() + "@example.com";
        String memberEmail = "member-a-" + tag() + "@example.com";
        Instant now = s.clock.instant();

        HttpResult devInvite = invite(devEmail, "developer", null);
        assertThat(devInvite.status()).as(devInvite.toString()).isEqualTo(201);
        assertThat(devInvite.json().get("status").asText()).isEqualTo("invite_sent");
        assertThat(devInvite.json().get("inviteUrl").asText()).contains("/invite/");
        assertThat(tokenOf(devInvite)).matches(INVITE_TOKEN);
        assertThat(devInvite.json().get("email").asText()).isEqualTo(devEmail);
        assertThat(devInvite.json().get("role").asText()).isEqualTo("developer");
        assertThat(devInvite.json().get("scope").get("all").asBoolean()).isTrue();
        assertThat(Instant.parse(devInvite.json().get("expiresAt").asText())).isEqualTo(now.plus(Duration.ofDays(7)));

        // the scope names one project
        HttpResult memberInvite = invite(memberEmail, "member", "{\"projects\":[\"" + web + "\"]}");
        assertThat(memberInvite.status()).as(memberInvite.toString()).isEqualTo(201);
        assertThat(memberInvite.json().get("status").asText()).isEqualTo("invite_sent");
        assertThat(tokenOf(memberInvite)).matches(INVITE_TOKEN).isNotEqualTo(tokenOf(devInvite));
        assertThat(memberInvite.json().get("role").asText()).isEqualTo("member");
        assertThat(memberInvite.json().get("scope").get("all").asBoolean()).isFalse();
        assertThat(texts(memberInvite.json().get("scope").get("projects"))).containsExactly(web);

        String devInviteId = devInvite.json().get("id").asText();
        String memberInviteId = memberInvite.json().get("id").asText();
        assertThat(listed(devInviteId).get("status").asText()).isEqualTo("invite_sent");
        assertThat(listed(memberInviteId).get("status").asText()).isEqualTo("invite_sent");
        assertThat(listed(memberInviteId).get("email").asText()).isEqualTo(memberEmail);
        assertThat(s.get(MEMBERS, s.ownerToken).body()).as("the list never shows an invite link").doesNotContain(tokenOf(devInvite));

        HttpResult devAccepted = accept(tokenOf(devInvite), TestServer.PASSWORD);
        assertThat(devAccepted.status()).as(devAccepted.toString()).isEqualTo(200);
        String devId = devAccepted.json().get("id").asText();
        assertThat(devAccepted.json().get("email").asText()).isEqualTo(devEmail);
        assertThat(devAccepted.headers().allValues("Set-Cookie")).anyMatch(v -> v.startsWith("ek_session=") && v.contains("HttpOnly"));
        HttpResult memberAccepted = accept(tokenOf(memberInvite), TestServer.PASSWORD);
        assertThat(memberAccepted.status()).as(memberAccepted.toString()).isEqualTo(200);
        String memberId = memberAccepted.json().get("id").asText();

        JsonNode devRow = listed(devId);
        assertThat(devRow.get("status").asText()).isEqualTo("account_created");
        assertThat(devRow.get("role").asText()).isEqualTo("developer");
        assertThat(devRow.get("email").asText()).isEqualTo(devEmail);
        assertThat(devRow.get("isOwner").asBoolean()).isFalse();
        JsonNode memberRow = listed(memberId);
        assertThat(memberRow.get("status").asText()).isEqualTo("account_created");
        assertThat(memberRow.get("role").asText()).isEqualTo("member");
        assertThat(texts(memberRow.get("scope").get("projects"))).containsExactly(web);
        assertThat(listed(devInviteId)).as("an accepted invite leaves the list: its person is there").isNull();
        assertThat(listed(memberInviteId)).isNull();
        assertThat(accept(tokenOf(devInvite), TestServer.PASSWORD).status()).as("an invite is used once").isEqualTo(404);

        // the developer signs in: reads and writes secrets everywhere, creates no projects, manages no members
        Session developer = s.signIn(devEmail, TestServer.PASSWORD);
        assertThat(s.getAs(developer, "/v1/me").json().get("email").asText()).isEqualTo(devEmail);
        assertThat(visibleProjects(developer)).contains(web, api);
        assertThat(s.getAs(developer, WS + "/project/api/secret/API_KEY").status()).isEqualTo(200);
        assertThat(s.postAs(developer, WS + "/project/api/secret", secretBody(apiProd, "BY_DEV_A")).status()).isEqualTo(201);
        assertThat(s.postAs(developer, WS + "/project", "{\"name\":\"nope\",\"teamId\":\"" + s.defaultTeamId() + "\"}").status()).isEqualTo(403);
        assertThat(s.getAs(developer, MEMBERS).status()).isEqualTo(403);

        // the scoped member signs in: sees only web, reads it, writes nothing, and api does not exist for them
        Session member = s.signIn(memberEmail, TestServer.PASSWORD);
        assertThat(visibleProjects(member)).containsExactly(web);
        HttpResult read = s.getAs(member, WS + "/project/web/secret/WEB_KEY");
        assertThat(read.status()).as(read.toString()).isEqualTo(200);
        assertThat(read.json().get("values").get(0).get("value").asText()).isEqualTo("web-value");
        assertThat(s.getAs(member, WS + "/project/web/environment").json()).hasSize(2);
        assertThat(s.postAs(member, WS + "/project/web/secret", secretBody(webProd, "BY_MEMBER_A")).status()).isEqualTo(403);
        assertThat(s.getAs(member, WS + "/project/api/environment").status()).isEqualTo(404);
        assertThat(s.getAs(member, WS + "/project/api/secret").status()).isEqualTo(404);
        assertThat(s.getAs(member, WS + "/project/" + api + "/secret/API_KEY").status()).isEqualTo(404);
        // a read-only role's write is refused before any lookup: the same 403 for a hidden project as for none at all
        assertThat(s.postAs(member, WS + "/project/api/secret", secretBody(apiProd, "BY_MEMBER_A")).status()).isEqualTo(403);
        assertThat(s.postAs(member, WS + "/project/no-such-project/secret", secretBody(apiProd, "BY_MEMBER_A")).status()).isEqualTo(403);
        // positive control: the owner reads the same api paths
        assertThat(s.get(WS + "/project/api/environment", s.ownerToken).status()).isEqualTo(200);
        assertThat(s.get(WS + "/project/" + api + "/secret/API_KEY", s.ownerToken).status()).isEqualTo(200);
    }

    @Test
    void aDeclinedInviteIsListedAsDeclinedAndItsLinkIsDead() {
        String email = "decliner-" + tag() + "@example.com";
        HttpResult invited = invite(email, "developer", null);
        String id = invited.json().get("id").asText();
        assertThat(listed(id).get("status").asText()).isEqualTo("invite_sent");

        HttpResult declined = decline(tokenOf(invited));
        assertThat(declined.status()).as(declined.toString()).isEqualTo(200);
        assertThat(declined.json().get("status").asText()).isEqualTo("declined");
        assertThat(listed(id).get("status").asText()).isEqualTo("declined");
        assertThat(accept(tokenOf(invited), TestServer.PASSWORD).status()).isEqualTo(404);
        assertThat(decline(tokenOf(invited)).status()).isEqualTo(404);
        assertThat(s.post("/v1/auth/login", null, "{\"email\":\"" + email + "\",\"password\":\"" + TestServer.PASSWORD + "\"}").status())
                .as("no account was made").isEqualTo(401);
    }

    @Test
    void anInviteExpiresAfterSevenDaysAndItsLinkIsNoLongerAccepted() {
        HttpResult invited = invite("late-" + tag() + "@example.com", "member", null);
        HttpResult control = invite("late-control-" + tag() + "@example.com", "member", null);
        String id = invited.json().get("id").asText();

        s.clock.advance(Duration.ofDays(7).minusMinutes(1));
        assertThat(listed(id).get("status").asText()).as("a minute before the end").isEqualTo("invite_sent");
        HttpResult inTime = accept(tokenOf(control), TestServer.PASSWORD);
        assertThat(inTime.status()).as("positive control: accepted a minute before the end: " + inTime).isEqualTo(200);

        s.clock.advance(Duration.ofMinutes(1));
        assertThat(listed(id).get("status").asText()).isEqualTo("expired");
        assertThat(accept(tokenOf(invited), TestServer.PASSWORD).status()).isEqualTo(404);
        assertThat(decline(tokenOf(invited)).status()).isEqualTo(404);
        assertThat(listed(id).get("status").asText()).as("refused answers change nothing").isEqualTo("expired");
    }

    @Test
    void reInvitingAnExistingMemberIsAConflict() {
        String email = "again-" + tag() + "@example.com";
        s.invitePerson(email, "developer", null);
        HttpResult again = invite(email, "member", null);
        assertThat(again.status()).as(again.toString()).isEqualTo(409);
        assertThat(invite(email.toUpperCase(), "member", null).status()).as("emails compare without case").isEqualTo(409);
        assertThat(invite("owner@example.com", "member", null).status()).as("the owner is a member too").isEqualTo(409);
        assertThat(invite("not-yet-" + tag() + "@example.com", "member", null).status()).as("positive control").isEqualTo(201);
    }

    @Test
    void anInviteLinkWithAWrongOrGarbageTokenIsNotFound() {
        String wellFormed = "ek_inv_" + "A".repeat(43);
        for (String token : List.of("garbage", wellFormed, "ek_inv_", "ek_live_" + "A".repeat(43))) {
            assertThat(accept(token, TestServer.PASSWORD).status()).as("accept " + token).isEqualTo(404);
            assertThat(decline(token).status()).as("decline " + token).isEqualTo(404);
        }
        HttpResult invited = invite("garbage-control-" + tag() + "@example.com", "member", null);
        String real = tokenOf(invited);
        String tampered = real.substring(0, real.length() - 1) + (real.endsWith("A") ? "B" : "A");
        assertThat(accept(tampered, TestServer.PASSWORD).status()).isEqualTo(404);
        assertThat(accept(real, TestServer.PASSWORD).status()).as("positive control").isEqualTo(200);
    }

    @Test
    void acceptingWithATooShortPasswordIsA400NamingPasswordAndTheInviteSurvives() {
        HttpResult invited = invite("short-" + tag() + "@example.com", "member", null);
        HttpResult tooShort = accept(tokenOf(invited), "x".repeat(11));
        assertThat(tooShort.status()).as(tooShort.toString()).isEqualTo(400);
        assertThat(tooShort.message()).contains("password");
        HttpResult missing = s.post("/v1/invites/" + tokenOf(invited) + "/accept", null, "{\"name\":\"Pat\"}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.message()).contains("password");
        assertThat(listed(invited.json().get("id").asText()).get("status").asText()).isEqualTo("invite_sent");
        assertThat(accept(tokenOf(invited), "x".repeat(12)).status()).as("twelve characters are enough").isEqualTo(200);
    }

    @Test
    void validationErrorsNameTheField() {
        HttpResult badEmail = invite("not-an-email", "member", null);
        assertThat(badEmail.status()).isEqualTo(400);
        assertThat(badEmail.message()).contains("'email'");
        HttpResult badRole = invite("valid-" + tag() + "@example.com", "owner", null);
        assertThat(badRole.status()).isEqualTo(400);
        assertThat(badRole.message()).contains("'role'");
        HttpResult unknownProject = invite("valid-" + tag() + "@example.com", "member", "{\"projects\":[\"" + java.util.UUID.randomUUID() + "\"]}");
        assertThat(unknownProject.status()).isEqualTo(400);
        assertThat(unknownProject.message()).contains("scope.projects[0]");
        HttpResult unknownEnvironment = invite("valid-" + tag() + "@example.com", "member",
                "{\"environments\":[\"" + webProd + "\",\"" + java.util.UUID.randomUUID() + "\"]}");
        assertThat(unknownEnvironment.status()).isEqualTo(400);
        assertThat(unknownEnvironment.message()).contains("scope.environments[1]");
        HttpResult unknownTeam = invite("valid-" + tag() + "@example.com", "member", "{\"teams\":[\"" + java.util.UUID.randomUUID() + "\"]}");
        assertThat(unknownTeam.status()).isEqualTo(400);
        assertThat(unknownTeam.message()).contains("scope.teams[0]");
        HttpResult missingEmail = s.post(MEMBERS, s.ownerToken, "{\"role\":\"member\"}");
        assertThat(missingEmail.status()).isEqualTo(400);
        assertThat(missingEmail.message()).contains("email");

        String memberId = s.invitePerson("valid-member-" + tag() + "@example.com", "member", null).userId();
        HttpResult badUpdate = s.put(MEMBERS + "/" + memberId, s.ownerToken, "{\"role\":\"root\"}");
        assertThat(badUpdate.status()).isEqualTo(400);
        assertThat(badUpdate.message()).contains("'role'");
        HttpResult badScope = s.put(MEMBERS + "/" + memberId, s.ownerToken, "{\"scope\":{\"projects\":[\"" + java.util.UUID.randomUUID() + "\"]}}");
        assertThat(badScope.status()).isEqualTo(400);
        assertThat(badScope.message()).contains("scope.projects[0]");
        assertThat(listed(memberId).get("role").asText()).as("nothing changed").isEqualTo("member");
        String nobody = java.util.UUID.randomUUID().toString();
        assertThat(s.put(MEMBERS + "/" + nobody, s.ownerToken, "{\"role\":\"member\"}").status()).isEqualTo(404);
        assertThat(s.delete(MEMBERS + "/" + nobody, s.ownerToken).status()).isEqualTo(404);
        assertThat(s.delete(WS + "/invites/" + nobody, s.ownerToken).status()).isEqualTo(404);

        assertThat(listedEmails()).as("none of the refused invites was stored").noneMatch(e -> e.startsWith("valid-" + tag()) || e.startsWith("not-an-email"));
        assertThat(invite("valid-" + tag() + "@example.com", "member", "{\"projects\":[\"" + api + "\"]}").status())
                .as("positive control: the same invite, valid").isEqualTo(201);
    }

    // ---- changes while signed in ----

    @Test
    void demotingADeveloperMidSessionRefusesTheirNextWrite() {
        Session developer = s.invitePerson("demoted-" + tag() + "@example.com", "developer", null);
        assertThat(s.postAs(developer, WS + "/project/web/secret", secretBody(webProd, "BEFORE_DEMOTION")).status())
                .as("positive control: a developer writes").isEqualTo(201);
        HttpResult minted = s.postAs(developer, WS + "/tokens", "{\"name\":\"rw\",\"permission\":\"read-write\",\"expiresIn\":\"24h\"}");
        assertThat(minted.status()).as(minted.toString()).isEqualTo(201);
        String token = minted.json().get("token").asText();
        assertThat(s.post(WS + "/project/web/secret", token, secretBody(webProd, "BY_TOKEN_BEFORE")).status()).isEqualTo(201);

        HttpResult changed = s.put(MEMBERS + "/" + developer.userId(), s.ownerToken, "{\"role\":\"member\"}");
        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        assertThat(changed.json().get("role").asText()).isEqualTo("member");
        assertThat(listed(developer.userId()).get("role").asText()).isEqualTo("member");

        HttpResult write = s.postAs(developer, WS + "/project/web/secret", secretBody(webProd, "AFTER_DEMOTION"));
        assertThat(write.status()).as(write.toString()).isEqualTo(403);
        assertThat(s.getAs(developer, WS + "/project/web/secret/BEFORE_DEMOTION").status()).as("still reads").isEqualTo(200);
        assertThat(s.get(WS + "/project/web/secret/AFTER_DEMOTION", s.ownerToken).status()).as("nothing was written").isEqualTo(404);
        assertThat(s.post(WS + "/project/web/secret", token, secretBody(webProd, "BY_TOKEN_AFTER")).status())
                .as("their read-write token shrinks with them").isEqualTo(403);
        assertThat(s.get(WS + "/project/web/secret/BY_TOKEN_BEFORE", token).status()).isEqualTo(200);

        assertThat(s.put(MEMBERS + "/" + developer.userId(), s.ownerToken, "{\"role\":\"developer\"}").status()).isEqualTo(200);
        assertThat(s.postAs(developer, WS + "/project/web/secret", secretBody(webProd, "AFTER_PROMOTION")).status())
                .as("promoted back: writes again on the same session").isEqualTo(201);
    }

    @Test
    void narrowingAScopeMidSessionHidesTheRestOnTheNextRead() {
        Session member = s.invitePerson("narrowed-" + tag() + "@example.com", "member", null);
        assertThat(s.getAs(member, WS + "/project/api/secret/API_KEY").status()).as("positive control: all access").isEqualTo(200);

        HttpResult changed = s.put(MEMBERS + "/" + member.userId(), s.ownerToken, "{\"scope\":{\"projects\":[\"" + web + "\"]}}");
        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        assertThat(changed.json().get("role").asText()).as("the role is kept").isEqualTo("member");
        assertThat(texts(changed.json().get("scope").get("projects"))).containsExactly(web);

        assertThat(s.getAs(member, WS + "/project/api/secret/API_KEY").status()).isEqualTo(404);
        assertThat(s.getAs(member, WS + "/project/api/environment").status()).isEqualTo(404);
        assertThat(visibleProjects(member)).containsExactly(web);
        assertThat(s.getAs(member, WS + "/project/web/secret/WEB_KEY").status()).as("inside the new scope").isEqualTo(200);
    }

    @Test
    void removingAMemberStopsTheirSessionAndTokensAndDeletesOnlyTheirOverrides() {
        String email = "removed-" + tag() + "@example.com";
        String project = "rm-" + tag();
        s.createProject(project);
        String env = s.createEnvironment(project, "dev", true);
        String secretId = s.createSecrets(project, List.of(env), Map.of("SHARED_AND_MINE", "shared-value")).get(0).get("id").asText();
        String secretPath = WS + "/project/" + project + "/secret";

        Session developer = s.invitePerson(email, "developer", null);
        HttpResult personal = s.putAs(developer, secretPath + "/" + secretId,
                "{\"values\":[{\"environmentId\":\"" + env + "\",\"value\":\"my-own-value\",\"isPersonal\":true}]}");
        assertThat(personal.status()).as(personal.toString()).isEqualTo(200);
        JsonNode seen = s.getAs(developer, secretPath + "/SHARED_AND_MINE").json().get("values");
        assertThat(seen).anyMatch(v -> v.get("isPersonal").asBoolean() && v.get("value").asText().equals("my-own-value"));
        assertThat(personalValuesOf(developer.userId())).isEqualTo(1);
        HttpResult token = s.postAs(developer, WS + "/tokens", "{\"name\":\"mine\",\"permission\":\"read-write\",\"expiresIn\":\"30d\"}");
        assertThat(token.status()).as(token.toString()).isEqualTo(201);
        String apiToken = token.json().get("token").asText();
        assertThat(s.get(secretPath, apiToken).status()).as("positive control: the token works").isEqualTo(200);
        Session second = s.signIn(email, TestServer.PASSWORD);

        HttpResult removed = s.delete(MEMBERS + "/" + developer.userId(), s.ownerToken);
        assertThat(removed.status()).as(removed.toString()).isEqualTo(204);

        assertThat(s.getAs(developer, secretPath).status()).as("session, next request").isEqualTo(401);
        assertThat(s.getAs(second, "/v1/me").status()).as("every session").isEqualTo(401);
        assertThat(s.postAs(developer, secretPath, secretBody(env, "AFTER_REMOVAL")).status()).isEqualTo(401);
        assertThat(s.get(secretPath, apiToken).status()).as("their API token").isEqualTo(401);
        assertThat(s.post("/v1/auth/login", null, "{\"email\":\"" + email + "\",\"password\":\"" + TestServer.PASSWORD + "\"}").status())
                .as("no workspace to sign in to").isEqualTo(401);
        assertThat(listed(developer.userId())).isNull();

        assertThat(personalValuesOf(developer.userId())).as("their override is gone").isZero();
        JsonNode shared = s.get(secretPath + "/SHARED_AND_MINE", s.ownerToken).json().get("values");
        assertThat(shared).hasSize(1);
        assertThat(shared.get(0).get("value").asText()).as("the shared value stays").isEqualTo("shared-value");
        assertThat(shared.get(0).get("isPersonal").asBoolean()).isFalse();

        // invited back: the same account, no override any more, and the old credentials stay dead
        HttpResult again = invite(email, "developer", null);
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        HttpResult back = accept(tokenOf(again), TestServer.PASSWORD);
        assertThat(back.status()).as(back.toString()).isEqualTo(200);
        assertThat(back.json().get("id").asText()).isEqualTo(developer.userId());
        Session returned = TestServer.session(back);
        JsonNode values = s.getAs(returned, secretPath + "/SHARED_AND_MINE").json().get("values");
        assertThat(values).hasSize(1);
        assertThat(values.get(0).get("value").asText()).isEqualTo("shared-value");
        assertThat(values.get(0).get("isPersonal").asBoolean()).isFalse();
        assertThat(s.get(secretPath, apiToken).status()).as("revoked for good").isEqualTo(401);
        assertThat(s.getAs(developer, "/v1/me").status()).isEqualTo(401);
    }

    // ---- the owner and the admins ----

    @Test
    void theOwnerCanBeNeitherRemovedNorDemotedButAnotherAdminCan() {
        String owner = ownerId();
        Session admin = s.invitePerson("admin-" + tag() + "@example.com", "admin", null);
        Session otherAdmin = s.invitePerson("admin2-" + tag() + "@example.com", "admin", null);

        assertThat(s.put(MEMBERS + "/" + owner, s.ownerToken, "{\"role\":\"member\"}").status()).isEqualTo(403);
        assertThat(s.putAs(admin, MEMBERS + "/" + owner, "{\"role\":\"developer\"}").status()).isEqualTo(403);
        assertThat(s.putAs(admin, MEMBERS + "/" + owner, "{\"scope\":{\"projects\":[\"" + web + "\"]}}").status())
                .as("nor narrowed").isEqualTo(403);
        assertThat(s.deleteAs(admin, MEMBERS + "/" + owner).status()).isEqualTo(403);
        assertThat(s.delete(MEMBERS + "/" + owner, s.ownerToken).status()).as("not even by themselves").isEqualTo(403);
        JsonNode ownerRow = listed(owner);
        assertThat(ownerRow.get("role").asText()).isEqualTo("admin");
        assertThat(ownerRow.get("isOwner").asBoolean()).isTrue();
        assertThat(ownerRow.get("scope").get("all").asBoolean()).isTrue();
        assertThat(s.get(WS + "/members", s.ownerToken).status()).as("the owner's token still an admin's").isEqualTo(200);

        // positive control: the same requests against another admin succeed
        HttpResult demoted = s.putAs(admin, MEMBERS + "/" + otherAdmin.userId(), "{\"role\":\"developer\"}");
        assertThat(demoted.status()).as(demoted.toString()).isEqualTo(200);
        assertThat(listed(otherAdmin.userId()).get("role").asText()).isEqualTo("developer");
        assertThat(s.getAs(otherAdmin, MEMBERS).status()).as("demoted at once").isEqualTo(403);
        assertThat(s.deleteAs(admin, MEMBERS + "/" + otherAdmin.userId()).status()).isEqualTo(204);
        assertThat(listed(otherAdmin.userId())).isNull();
        assertThat(s.getAs(otherAdmin, "/v1/me").status()).isEqualTo(401);
    }

    @Test
    void nonAdminsAreRefusedEveryMembersRoute() {
        Session developer = s.invitePerson("nonadmin-dev-" + tag() + "@example.com", "developer", null);
        Session member = s.invitePerson("nonadmin-member-" + tag() + "@example.com", "member", null);
        String victim = s.invitePerson("nonadmin-victim-" + tag() + "@example.com", "member", null).userId();
        String inviteId = invite("nonadmin-pending-" + tag() + "@example.com", "member", null).json().get("id").asText();

        for (Session who : List.of(developer, member)) {
            String as = who == developer ? "developer" : "member";
            assertThat(s.getAs(who, MEMBERS).status()).as(as + " lists").isEqualTo(403);
            assertThat(s.postAs(who, MEMBERS, "{\"email\":\"by-" + as + "-" + tag() + "@example.com\",\"role\":\"member\"}").status())
                    .as(as + " invites").isEqualTo(403);
            assertThat(s.postAs(who, MEMBERS, "{\"email\":\"by-" + as + "-" + tag() + "@example.com\",\"role\":\"admin\"}").status())
                    .as(as + " invites an admin").isEqualTo(403);
            assertThat(s.putAs(who, MEMBERS + "/" + victim, "{\"role\":\"admin\"}").status()).as(as + " changes a member").isEqualTo(403);
            assertThat(s.putAs(who, MEMBERS + "/" + who.userId(), "{\"role\":\"admin\"}").status()).as(as + " promotes themselves").isEqualTo(403);
            assertThat(s.deleteAs(who, MEMBERS + "/" + victim).status()).as(as + " removes a member").isEqualTo(403);
            assertThat(s.deleteAs(who, WS + "/invites/" + inviteId).status()).as(as + " revokes an invite").isEqualTo(403);
        }
        // and a developer's own read-write API token is no admin either
        HttpResult minted = s.postAs(developer, WS + "/tokens", "{\"name\":\"dev-rw\",\"permission\":\"read-write\",\"expiresIn\":\"24h\"}");
        assertThat(minted.status()).as(minted.toString()).isEqualTo(201);
        String token = minted.json().get("token").asText();
        assertThat(s.get(MEMBERS, token).status()).isEqualTo(403);
        assertThat(s.post(MEMBERS, token, "{\"email\":\"by-token-" + tag() + "@example.com\",\"role\":\"member\"}").status()).isEqualTo(403);
        assertThat(s.delete(MEMBERS + "/" + victim, token).status()).isEqualTo(403);

        // nothing changed
        assertThat(listed(victim).get("role").asText()).isEqualTo("member");
        assertThat(listed(developer.userId()).get("role").asText()).isEqualTo("developer");
        assertThat(listed(inviteId).get("status").asText()).isEqualTo("invite_sent");
        assertThat(listedEmails()).noneMatch(e -> e.startsWith("by-"));

        // positive control: the owner does each of the same
        assertThat(s.get(MEMBERS, s.ownerToken).status()).isEqualTo(200);
        assertThat(s.post(MEMBERS, s.ownerToken, "{\"email\":\"by-owner-" + tag() + "@example.com\",\"role\":\"member\"}").status()).isEqualTo(201);
        assertThat(s.put(MEMBERS + "/" + victim, s.ownerToken, "{\"role\":\"developer\"}").status()).isEqualTo(200);
        assertThat(s.delete(MEMBERS + "/" + victim, s.ownerToken).status()).isEqualTo(204);
        assertThat(s.delete(WS + "/invites/" + inviteId, s.ownerToken).status()).isEqualTo(204);
        assertThat(listed(inviteId)).as("a revoked invite leaves the list").isNull();
    }

    /**
     * SERVER BUG (MemberService.accept): the first sign-in an accepted invite gives lasts a hard-coded 12 hours, not
     * {@code people.session-hours}; its cookie says the configured Max-Age, so server and browser disagree.
     */
    @Test
    void theSignInAnAcceptedInviteGivesLastsTheConfiguredSessionLifetime() {
        try (TestServer oneHour = TestServer.start(backend(), "--people-session-hours=1")) {
            HttpResult invited = oneHour.post(MEMBERS, oneHour.ownerToken, "{\"email\":\"hour-" + tag() + "@example.com\",\"role\":\"member\"}");
            String url = invited.json().get("inviteUrl").asText();
            HttpResult accepted = oneHour.post("/v1/invites/" + url.substring(url.lastIndexOf('/') + 1) + "/accept", null,
                    "{\"password\":" + TestServer.quote(TestServer.PASSWORD) + "}");
            assertThat(accepted.status()).as(accepted.toString()).isEqualTo(200);
            assertThat(accepted.headers().allValues("Set-Cookie")).anyMatch(v -> v.startsWith("ek_session=") && v.contains("Max-Age=3600"));
            Session fromAccept = TestServer.session(accepted);
            Session fromSignIn = oneHour.signIn("hour-" + tag() + "@example.com", TestServer.PASSWORD);
            assertThat(Instant.parse(accepted.json().get("expiresAt").asText()))
                    .as("SERVER BUG: expiresAt is 12 h after the accept, the configuration says 1 h")
                    .isEqualTo(oneHour.clock.instant().plus(Duration.ofHours(1)));

            oneHour.clock.advance(Duration.ofMinutes(59));
            assertThat(oneHour.getAs(fromAccept, "/v1/me").status()).isEqualTo(200);
            assertThat(oneHour.getAs(fromSignIn, "/v1/me").status()).isEqualTo(200);
            oneHour.clock.advance(Duration.ofMinutes(2));
            assertThat(oneHour.getAs(fromSignIn, "/v1/me").status()).as("control: a password sign-in ends after the hour").isEqualTo(401);
            assertThat(oneHour.getAs(fromAccept, "/v1/me").status()).as("SERVER BUG: the accept's sign-in outlives the hour").isEqualTo(401);
        }
    }

    // ---- scopes ----

    @Test
    void aScopeIsStoredAsAskedAndGrowsOnlyUnderAParentThatWasNamed() {
        String slug = "whole-" + tag();
        s.createProject(slug);
        String a = s.createEnvironment(slug, "a", false);
        String b = s.createEnvironment(slug, "b", false);
        String namedSlug = "named-" + tag();
        String named = s.createProject(namedSlug);
        String na = s.createEnvironment(namedSlug, "a", false);

        HttpResult invited = invite("whole-" + tag() + "@example.com", "member",
                "{\"environments\":[\"" + a + "\",\"" + b + "\",\"" + na + "\"],\"projects\":[\"" + named + "\"]}");
        assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
        JsonNode scope = invited.json().get("scope");
        assertThat(scope.get("all").asBoolean()).isFalse();
        assertThat(texts(scope.get("projects"))).as("every environment of a project named is not the project").containsExactly(named);
        assertThat(texts(scope.get("environments"))).as("an environment under a named project is covered by it")
                .containsExactlyInAnyOrder(a, b);
        HttpResult accepted = accept(tokenOf(invited), TestServer.PASSWORD);
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(200);
        Session member = TestServer.session(accepted);
        JsonNode stored = listed(member.userId()).get("scope");
        assertThat(texts(stored.get("projects"))).containsExactly(named);
        assertThat(texts(stored.get("environments"))).containsExactlyInAnyOrder(a, b);

        String later = s.createEnvironment(slug, "later", false);
        String namedLater = s.createEnvironment(namedSlug, "later", false);
        s.createSecrets(slug, List.of(later), Map.of("LATER", "later-value"));
        s.createSecrets(namedSlug, List.of(namedLater), Map.of("LATER", "later-value"));

        assertThat(environmentIds(member, slug)).as("a later environment is not granted by naming every earlier one")
                .containsExactlyInAnyOrder(a, b);
        assertThat(s.getAs(member, WS + "/project/" + slug + "/secret?environmentId=" + later).status()).isEqualTo(404);
        // control: under the project that was named, a later environment is included
        assertThat(environmentIds(member, namedSlug)).containsExactlyInAnyOrder(na, namedLater);
        assertThat(s.getAs(member, WS + "/project/" + namedSlug + "/secret/LATER").status()).isEqualTo(200);
    }
}
