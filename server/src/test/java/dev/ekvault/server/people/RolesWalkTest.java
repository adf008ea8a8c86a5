package dev.ekvault.server.people;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.wire.WireTime;
import dev.ekvault.server.testing.TestServer.Session;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every authenticated route, walked by a signed-in admin (invited, not the owner), developer and member, all three with
 * access to the whole workspace, with real path values and minimal valid bodies; each answer must be exactly the
 * table's. The table is the role matrix of the public docs:
 *
 * <ul>
 *   <li><b>admin</b>: full control;</li>
 *   <li><b>developer</b>: reads and writes secrets, reads workspace, teams, projects (and environments); no members;</li>
 *   <li><b>member</b>: reads workspace, teams, projects, environments and secrets; no writes; no members.</li>
 * </ul>
 * Not in the docs' list but personal to whoever is signed in, so open to every role: their own sign-ins, preferences,
 * device-login approvals, and API/CLI tokens up to their role (a member's are read-only). Someone else's token is
 * invisible to a non-admin (not listed), so managing it is 404 ("missing or not yours to see"), never a leak.
 *
 * <pre>
 * route                                                    admin  developer  member
 * GET    /v1/workspace                                      200     200       200
 * GET    /v1/workspace/{ws}/team                            200     200       200
 * POST   /v1/workspace/{ws}/team                            201     403       403
 * PATCH  /v1/workspace/{ws}/team/{team}                     200     403       403
 * DELETE /v1/workspace/{ws}/team/{team}                     204     403       403
 * GET    /v1/workspace/{ws}/me                              200     200       200
 * GET    /v1/workspace/{ws}/project                         200     200       200
 * POST   /v1/workspace/{ws}/project                         201     403       403
 * GET    /v1/workspace/{ws}/project/{prj}                   200     200       200
 * PATCH  /v1/workspace/{ws}/project/{prj}                   200     403       403
 * DELETE /v1/workspace/{ws}/project/{prj}                   204     403       403
 * GET    /v1/workspace/{ws}/project/{prj}/environment       200     200       200
 * POST   /v1/workspace/{ws}/project/{prj}/environment       201     403       403
 * PATCH  /v1/workspace/{ws}/project/{prj}/environment/{env} 200    403       403
 * DELETE /v1/workspace/{ws}/project/{prj}/environment/{env} 204    403       403
 * POST   /v1/workspace/{ws}/project/{prj}/environment/{env}/rotate-key 200 403 403
 * GET    /v1/workspace/{ws}/project/{prj}/secret            200     200       200
 * GET    /v1/workspace/{ws}/project/{prj}/secret/{key}      200     200       200
 * POST   /v1/workspace/{ws}/project/{prj}/secret            201     201       403
 * PUT    /v1/workspace/{ws}/project/{prj}/secret/{id}       200     200       403
 * DELETE /v1/workspace/{ws}/project/{prj}/secret/{id}       204     204       403
 * GET    /v1/workspace/{ws}/project/{prj}/secret-share      200     200       200 (each sees its own; admins all)
 * POST   /v1/workspace/{ws}/project/{prj}/secret-share      201     201       403 (a share outlives its credential)
 * DELETE /v1/workspace/{ws}/project/{prj}/secret-share/{owner's id} 204 404    404
 * GET    /v1/workspace/{ws}/project/{prj}/secret/export     200     200       200
 * GET    /v1/workspace/{ws}/project/{prj}/secret/{id}/versions 200  200       200
 * POST   /v1/workspace/{ws}/project/{prj}/secret/{id}/rollback 200  200       403
 * GET    /v1/workspace/{ws}/project/{prj}/deleted-secret    200     200       200
 * POST   /v1/workspace/{ws}/project/{prj}/deleted-secret/{id}/restore 200 200 403
 * GET    /v1/workspace/{ws}/reminders                       200     200       200
 * POST   /v1/workspace/{ws}/reminders/{id}/complete         204     204       403
 * GET    /v1/workspace/{ws}/tokens                          200     200       200
 * POST   /v1/workspace/{ws}/tokens  (permission read)       201     201       201
 * POST   /v1/workspace/{ws}/tokens  (permission read-write) 201     201       403
 * POST   /v1/workspace/{ws}/tokens/cli                      200     200       200
 * POST   /v1/workspace/{ws}/tokens/{own id}/rotate          200     200       200 (*)
 * DELETE /v1/workspace/{ws}/tokens/{own id}                 204     204       204 (*)
 * DELETE /v1/workspace/{ws}/tokens/{owner's id}             204     404       404 (*)
 * GET    /v1/workspace/{ws}/credentials                     200     200       200
 * POST   /v1/auth/logout                                    204     204       204
 * POST   /v1/auth/cli/logout                                204     204       204
 * POST   /v1/auth/device/approve                            204     204       204
 * GET    /v1/me                                             200     200       200
 * GET    /v1/me/sessions                                    200     200       200
 * DELETE /v1/me/sessions/{own id}                           204     204       204
 * PUT    /v1/me/password                                    204     204       204
 * GET    /v1/me/preferences                                 200     200       200
 * PUT    /v1/me/preferences                                 200     200       200
 * GET    /v1/workspace/{ws}/members                         200     403       403
 * POST   /v1/workspace/{ws}/members                         201     403       403
 * PUT    /v1/workspace/{ws}/members/{userId}                200     403       403
 * DELETE /v1/workspace/{ws}/members/{userId}                204     403       403
 * GET    /v1/workspace/{ws}/oidc                            200     403       403
 * POST   /v1/workspace/{ws}/oidc                            201     403       403
 * PUT    /v1/workspace/{ws}/oidc/{id}                       200     403       403
 * DELETE /v1/workspace/{ws}/oidc/{id}                       204     403       403
 * DELETE /v1/workspace/{ws}/invites/{id}                    204     403       403
 * GET    /v1/workspace/{ws}/audit (and /{id}, /verify, /export) 200  403       403
 * GET    /v1/sync  (the sync providers)                     200     403       403
 * POST   /v1/sync/{slug}/start                              201     403       403
 * GET    /v1/sync/{slug}/flow                               200     403       403
 * POST   /v1/sync/{slug}/flow                               200     403       403
 * GET    /v1/workspace/{ws}/sync (and /{id})                200     403       403
 * POST   /v1/workspace/{ws}/sync/{id}/pause, /resume, /run  200     403       403
 * DELETE /v1/workspace/{ws}/sync/{id}                       204     403       403
 * </pre>
 * (*) A member, who may create read-only tokens, may also rotate and revoke them (a leaked one must be killable), and
 * gets 404 for a token that is not theirs. These entries were once refused to members (403) and are marked below.
 *
 * <p>Every refusal in the table has a positive control: each row has a role that is allowed, and the walk sends that
 * same request (a fresh fixture of the same kind) as that role and requires its success. The table must name every
 * non-public route of {@code router().routes()}: a new route fails {@link #theTableNamesEveryAuthenticatedRoute}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RolesWalkTest {
    enum Role { ADMIN, DEVELOPER, MEMBER }

    static final String WS = "/v1/workspace/acme";
    static final String WEB = WS + "/project/web";

    /** One request, built fresh for each role: the path, the JSON body (null: none), and the session to send it with. */
    record Call(String path, String body, Session as) {
        Call(String path, String body) {
            this(path, body, null);
        }
    }

    /** A row of the matrix: a route (method + template), what this row exercises, the request, and the answer per role. */
    record Probe(String method, String template, String what, Function<Role, Call> call, Map<Role, Integer> expected) {
        String route() {
            return method + " " + template;
        }
    }

    TestServer s;
    String prod;
    String dev;
    String sharedSecretId;
    final Map<Role, String> emails = new EnumMap<>(Role.class);
    final Map<Role, Session> sessions = new EnumMap<>(Role.class);
    final AtomicInteger counter = new AtomicInteger();
    List<Probe> table;

    @BeforeAll
    void start() {
        // syncs are set up against an https URL nobody serves: the worker must not try it during the walk
        s = TestServer.start(Backend.SQLITE, "--sync-poll-millis=60000");
        s.createProject("web");
        prod = s.createEnvironment("web", "production", false);
        dev = s.createEnvironment("web", "dev", true);
        sharedSecretId = s.createSecrets("web", List.of(prod, dev), Map.of("DATABASE_URL", "postgres://db")).get(0).get("id").asText();
        for (Role role : Role.values()) {
            String email = role.name().toLowerCase() + "@walk.example.com";
            emails.put(role, email);
            sessions.put(role, s.invitePerson(email, role.name().toLowerCase(), null));
        }
        table = table();
    }

    @AfterAll
    void stop() {
        s.close();
    }

    private static Map<Role, Integer> expect(int admin, int developer, int member) {
        Map<Role, Integer> m = new EnumMap<>(Role.class);
        m.put(Role.ADMIN, admin);
        m.put(Role.DEVELOPER, developer);
        m.put(Role.MEMBER, member);
        return m;
    }

    private int next() {
        return counter.incrementAndGet();
    }

    // ---- fixtures, made with the owner's token (or the role's own session) just before each request ----

    private String freshSecretId() {
        return s.createSecrets("web", List.of(prod), Map.of("WALK_DEL_" + next(), "v")).get(0).get("id").asText();
    }

    private static String identityBody(String name) {
        return "{\"name\":\"" + name + "\",\"issuer\":\"https://k8s.walk.example.com\",\"audience\":\"ek\","
                + "\"subject\":\"system:serviceaccount:walk:api\",\"permission\":\"read\"}";
    }

    /** A workload identity registered by the owner (no key fetch happens at registration). */
    private String identityId() {
        HttpResult r = s.post(WS + "/oidc", s.ownerToken, identityBody("fixture-" + next()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private String latestAuditEntryId() {
        HttpResult r = s.get(WS + "/audit?limit=1", s.ownerToken);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("entries").get(0).get("id").asText();
    }
    private String ownersTokenId() {
        HttpResult r = s.post(WS + "/tokens", s.ownerToken, "{\"name\":\"owners-" + next() + "\",\"permission\":\"read\",\"expiresIn\":\"24h\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    /** A secret the owner deleted (restorable). */
    private String deletedSecretId() {
        String id = freshSecretId();
        assertThat(s.delete(WEB + "/secret/" + id, s.ownerToken).status()).isEqualTo(204);
        return id;
    }

    /** A one-time reminder on a fresh secret's value, set by the owner. */
    private String reminderId() {
        String id = freshSecretId();
        HttpResult r = s.put(WEB + "/secret/" + id, s.ownerToken, "{\"values\":[{\"environmentId\":\"" + prod + "\",\"reminder\":{\"type\":\"one_time\","
                + "\"nextReminderDate\":\"" + WireTime.format(s.clock.millis() + 86_400_000L) + "\"}}]}");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("values").get(0).get("reminder").get("id").asText();
    }

    /** A webhook sync of production the owner began ({@code complete}: and set up, so it can be paused and run). */
    private String syncId(boolean complete) {
        HttpResult started = s.post("/v1/sync/webhook/start", s.ownerToken, "");
        assertThat(started.status()).as(started.toString()).isEqualTo(201);
        String id = started.json().get("syncConfigId").asText();
        if (complete) {
            for (String[] step : new String[][] {{"auth", "{}"}, {"target", "{\"url\":\"https://hooks.walk.example.com/ek\"}"},
                    {"mapping", "{\"environmentId\":\"" + prod + "\"}"}}) {
                HttpResult r = s.post("/v1/sync/webhook/flow?syncConfigId=" + id + "&step=" + step[0], s.ownerToken, step[1]);
                assertThat(r.status()).as(r.toString()).isEqualTo(200);
            }
        }
        return id;
    }

    private String ownersShareId() {
        HttpResult r = s.post(WEB + "/secret-share", s.ownerToken, "{\"text\":\"walk " + next() + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private String ownTokenId(Role role) {
        HttpResult r = s.postAs(sessions.get(role), WS + "/tokens", "{\"name\":\"own-" + next() + "\",\"permission\":\"read\",\"expiresIn\":\"24h\"}");
        assertThat(r.status()).as("fixture: " + role + " creates a read token: " + r).isEqualTo(201);
        return r.json().get("id").asText();
    }

    /** A second sign-in of the role's person, to be ended by the request (so the walk keeps its own). */
    private Session throwaway(Role role) {
        return s.signIn(emails.get(role), TestServer.PASSWORD);
    }

    private String sessionIdOf(Session session) {
        HttpResult r = s.getAs(session, "/v1/me/sessions");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        for (JsonNode row : r.json()) if (row.get("current").asBoolean()) return row.get("id").asText();
        throw new AssertionError("no current session in " + r);
    }

    private String pendingUserCode() {
        HttpResult r = s.post("/v1/auth/device/code", null, "{\"clientId\":\"ek-cli\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().get("userCode").asText();
    }

    /** Someone invited and signed up, to be changed or removed by the request. */
    private String victimId() {
        return s.invitePerson("victim-" + next() + "@walk.example.com", "developer", null).userId();
    }

    private String pendingInviteId() {
        HttpResult r = s.post(WS + "/members", s.ownerToken, "{\"email\":\"pending-" + next() + "@walk.example.com\",\"role\":\"member\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private String freshTeamId() {
        return s.createTeam("walk-fixture-team-" + next());
    }

    private String freshProject() {
        String slug = "walk-fixture-" + next();
        s.createProject(slug);
        return slug;
    }

    private String freshEnvironment() {
        return s.createEnvironment("web", "walk-fixture-env-" + next(), true);
    }

    private List<Probe> table() {
        String team = s.defaultTeamId();
        List<Probe> t = new ArrayList<>();
        t.add(new Probe("GET", "/v1/workspace", "list workspaces", r -> new Call("/v1/workspace", null), expect(200, 200, 200)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/team", "list teams", r -> new Call(WS + "/team", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/team", "create a team",
                r -> new Call(WS + "/team", "{\"name\":\"walk-team-" + next() + "\"}"), expect(201, 403, 403)));
        t.add(new Probe("PATCH", "/v1/workspace/{ws}/team/{team}", "rename a team",
                r -> new Call(WS + "/team/" + freshTeamId(), "{\"name\":\"walk-renamed-" + next() + "\"}"), expect(200, 403, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/team/{team}", "delete a team",
                r -> new Call(WS + "/team/" + freshTeamId(), null), expect(204, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/me", "my rights in the workspace", r -> new Call(WS + "/me", null), expect(200, 200, 200)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}", "one project", r -> new Call(WEB, null), expect(200, 200, 200)));
        t.add(new Probe("PATCH", "/v1/workspace/{ws}/project/{prj}", "rename a project",
                r -> new Call(WS + "/project/" + freshProject(), "{\"name\":\"walk renamed " + next() + "\"}"), expect(200, 403, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/project/{prj}", "delete a project",
                r -> new Call(WS + "/project/" + freshProject(), null), expect(204, 403, 403)));
        t.add(new Probe("PATCH", "/v1/workspace/{ws}/project/{prj}/environment/{env}", "switch an environment's overrides off",
                r -> new Call(WEB + "/environment/" + freshEnvironment(), "{\"hasPersonalOverrides\":false}"), expect(200, 403, 403)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/project/{prj}/environment/{env}/rotate-key", "rotate an environment's data key",
                r -> new Call(WEB + "/environment/" + freshEnvironment() + "/rotate-key", null), expect(200, 403, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/project/{prj}/environment/{env}", "delete an environment",
                r -> new Call(WEB + "/environment/" + freshEnvironment(), null), expect(204, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/project", "list projects", r -> new Call(WS + "/project", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/project", "create a project",
                r -> new Call(WS + "/project", "{\"name\":\"walk-" + next() + "\",\"teamId\":\"" + team + "\"}"), expect(201, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}/environment", "list environments",
                r -> new Call(WEB + "/environment", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/project/{prj}/environment", "create an environment",
                r -> new Call(WEB + "/environment", "{\"name\":\"walk-env-" + next() + "\"}"), expect(201, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}/secret", "list secrets",
                r -> new Call(WEB + "/secret?environmentId=" + prod, null), expect(200, 200, 200)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}/secret/{key}", "get a secret by key",
                r -> new Call(WEB + "/secret/DATABASE_URL", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/project/{prj}/secret", "create a secret",
                r -> new Call(WEB + "/secret", "{\"environments\":[\"" + prod + "\"],\"secrets\":[{\"key\":\"WALK_NEW_" + next()
                        + "\",\"value\":\"v\"}]}"), expect(201, 201, 403)));
        t.add(new Probe("PUT", "/v1/workspace/{ws}/project/{prj}/secret/{secretId}", "change a shared value",
                r -> new Call(WEB + "/secret/" + sharedSecretId, "{\"values\":[{\"environmentId\":\"" + prod + "\",\"value\":\"v" + next()
                        + "\"}]}"), expect(200, 200, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/project/{prj}/secret/{secretId}", "delete a secret",
                r -> new Call(WEB + "/secret/" + freshSecretId(), null), expect(204, 204, 403)));
        // secret shares: sharing needs write (a member reads values but may not hand them out); another's share is invisible
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}/secret-share", "list the project's shares",
                r -> new Call(WEB + "/secret-share", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/project/{prj}/secret-share", "share a value",
                r -> new Call(WEB + "/secret-share", "{\"secretId\":\"" + sharedSecretId + "\",\"environmentId\":\"" + prod + "\"}"),
                expect(201, 201, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/project/{prj}/secret-share/{id}", "revoke the owner's share",
                r -> new Call(WEB + "/secret-share/" + ownersShareId(), null), expect(204, 404, 404)));
        // a secret's history, export and reminders: reads for every role, changes for writers
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}/secret/export", "export an environment",
                r -> new Call(WEB + "/secret/export?environmentId=" + prod + "&format=dotenv", null), expect(200, 200, 200)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}/secret/{secretId}/versions", "a secret's history",
                r -> new Call(WEB + "/secret/" + sharedSecretId + "/versions?includeValues=true", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/project/{prj}/secret/{secretId}/rollback", "roll a value back",
                r -> new Call(WEB + "/secret/" + sharedSecretId + "/rollback", "{\"environmentId\":\"" + prod + "\",\"version\":1}"),
                expect(200, 200, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/project/{prj}/deleted-secret", "deleted secrets",
                r -> new Call(WEB + "/deleted-secret", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/project/{prj}/deleted-secret/{secretId}/restore", "restore a deleted secret",
                r -> new Call(WEB + "/deleted-secret/" + deletedSecretId() + "/restore", ""), expect(200, 200, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/reminders", "the workspace's reminders",
                r -> new Call(WS + "/reminders", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/reminders/{id}/complete", "complete a one-time reminder",
                r -> new Call(WS + "/reminders/" + reminderId() + "/complete", ""), expect(204, 204, 403)));
        // syncs: admins only (the docs' role table: developers and members have no access to syncs)
        t.add(new Probe("POST", "/v1/sync/{slug}/start", "begin a sync's setup", r -> new Call("/v1/sync/webhook/start", ""),
                expect(201, 403, 403)));
        t.add(new Probe("GET", "/v1/sync/{slug}/flow", "a sync wizard step's form",
                r -> new Call("/v1/sync/webhook/flow?syncConfigId=" + syncId(false) + "&step=auth", null), expect(200, 403, 403)));
        t.add(new Probe("POST", "/v1/sync/{slug}/flow", "submit a sync wizard step",
                r -> new Call("/v1/sync/webhook/flow?syncConfigId=" + syncId(false) + "&step=auth", "{}"), expect(200, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/sync", "list syncs", r -> new Call(WS + "/sync", null), expect(200, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/sync/{id}", "one sync", r -> new Call(WS + "/sync/" + syncId(true), null),
                expect(200, 403, 403)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/sync/{id}/pause", "pause a sync", r -> new Call(WS + "/sync/" + syncId(true) + "/pause", ""),
                expect(200, 403, 403)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/sync/{id}/resume", "resume a sync",
                r -> new Call(WS + "/sync/" + syncId(true) + "/resume", ""), expect(200, 403, 403)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/sync/{id}/run", "sync now", r -> new Call(WS + "/sync/" + syncId(true) + "/run", ""),
                expect(200, 403, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/sync/{id}", "delete a sync", r -> new Call(WS + "/sync/" + syncId(true), null),
                expect(204, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/tokens", "list tokens", r -> new Call(WS + "/tokens", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/tokens", "create a read token",
                r -> new Call(WS + "/tokens", "{\"name\":\"walk-" + next() + "\",\"permission\":\"read\",\"expiresIn\":\"24h\"}"),
                expect(201, 201, 201)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/tokens", "create a read-write token",
                r -> new Call(WS + "/tokens", "{\"name\":\"walk-" + next() + "\",\"permission\":\"read-write\",\"expiresIn\":\"24h\"}"),
                expect(201, 201, 403)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/tokens/cli", "create a CLI token",
                r -> new Call(WS + "/tokens/cli", "{\"environmentId\":\"" + dev + "\"}"), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/tokens/{id}/rotate", "rotate one's own token",
                r -> new Call(WS + "/tokens/" + ownTokenId(r) + "/rotate", ""),
                // (once 403 for members, fixed) a member may create read tokens, so may rotate them
                expect(200, 200, 200)));
        // rotating someone else's token is refused to every role (only its creator rotates it, once 200 for admins):
        // the authorization matrix (access/AuthorityMatrixContract) holds that row with its positive control
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/tokens/{id}", "revoke one's own token",
                r -> new Call(WS + "/tokens/" + ownTokenId(r), null),
                // (once 403 for members, fixed) a member can create a token but never revoke it
                expect(204, 204, 204)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/tokens/{id}", "revoke the owner's token",
                r -> new Call(WS + "/tokens/" + ownersTokenId(), null),
                // (once 403 for members, fixed) not theirs, so 404
                expect(204, 404, 404)));
        t.add(new Probe("PUT", "/v1/me/password", "change one's password (to the same one, so the walk signs in again)",
                r -> new Call("/v1/me/password", "{\"currentPassword\":\"" + TestServer.PASSWORD + "\",\"newPassword\":\""
                        + TestServer.PASSWORD + "\"}"), expect(204, 204, 204)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/credentials", "the credentials table",
                r -> new Call(WS + "/credentials", null), expect(200, 200, 200)));
        t.add(new Probe("POST", "/v1/auth/logout", "sign out", r -> new Call("/v1/auth/logout", "", throwaway(r)), expect(204, 204, 204)));
        t.add(new Probe("POST", "/v1/auth/cli/logout", "sign out (the CLI's route)",
                r -> new Call("/v1/auth/cli/logout", "", throwaway(r)), expect(204, 204, 204)));
        t.add(new Probe("POST", "/v1/auth/device/approve", "approve a device login",
                r -> new Call("/v1/auth/device/approve", "{\"userCode\":\"" + pendingUserCode() + "\"}"), expect(204, 204, 204)));
        t.add(new Probe("GET", "/v1/me", "who am I", r -> new Call("/v1/me", null), expect(200, 200, 200)));
        t.add(new Probe("GET", "/v1/me/sessions", "my sign-ins", r -> new Call("/v1/me/sessions", null), expect(200, 200, 200)));
        t.add(new Probe("DELETE", "/v1/me/sessions/{id}", "end another of my sign-ins",
                r -> new Call("/v1/me/sessions/" + sessionIdOf(throwaway(r)), null), expect(204, 204, 204)));
        t.add(new Probe("GET", "/v1/me/preferences", "my preferences", r -> new Call("/v1/me/preferences", null), expect(200, 200, 200)));
        t.add(new Probe("PUT", "/v1/me/preferences", "save my preferences",
                r -> new Call("/v1/me/preferences", "{\"theme\":\"dark\"}"), expect(200, 200, 200)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/members", "list members", r -> new Call(WS + "/members", null), expect(200, 403, 403)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/members", "invite",
                r -> new Call(WS + "/members", "{\"email\":\"walk-invite-" + next() + "@walk.example.com\",\"role\":\"member\"}"),
                expect(201, 403, 403)));
        t.add(new Probe("PUT", "/v1/workspace/{ws}/members/{userId}", "change a member's role",
                r -> new Call(WS + "/members/" + victimId(), "{\"role\":\"member\"}"), expect(200, 403, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/members/{userId}", "remove a member",
                r -> new Call(WS + "/members/" + victimId(), null), expect(204, 403, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/invites/{id}", "revoke an invite",
                r -> new Call(WS + "/invites/" + pendingInviteId(), null), expect(204, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/oidc", "list workload identities", r -> new Call(WS + "/oidc", null), expect(200, 403, 403)));
        t.add(new Probe("POST", "/v1/workspace/{ws}/oidc", "register a workload identity",
                r -> new Call(WS + "/oidc", identityBody("walk-" + next())), expect(201, 403, 403)));
        t.add(new Probe("PUT", "/v1/workspace/{ws}/oidc/{id}", "change a workload identity",
                r -> new Call(WS + "/oidc/" + identityId(), "{\"name\":\"renamed-" + next() + "\"}"), expect(200, 403, 403)));
        t.add(new Probe("DELETE", "/v1/workspace/{ws}/oidc/{id}", "delete a workload identity",
                r -> new Call(WS + "/oidc/" + identityId(), null), expect(204, 403, 403)));
        // the audit log: admins only (not in the docs' list; an audit log is an admin's tool in every peer)
        t.add(new Probe("GET", "/v1/workspace/{ws}/audit", "query the audit log", r -> new Call(WS + "/audit", null), expect(200, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/audit/{id}", "one audit entry",
                r -> new Call(WS + "/audit/" + latestAuditEntryId(), null), expect(200, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/audit/verify", "verify the audit chain",
                r -> new Call(WS + "/audit/verify", null), expect(200, 403, 403)));
        t.add(new Probe("GET", "/v1/workspace/{ws}/audit/export", "export the audit chain",
                r -> new Call(WS + "/audit/export", null), expect(200, 403, 403)));
        // syncs are admin-only (the docs' role table); the providers list is what the dashboard's wizard starts from
        t.add(new Probe("GET", "/v1/sync", "list the sync providers", r -> new Call("/v1/sync", null), expect(200, 403, 403)));
        return t;
    }

    private HttpResult send(String method, Session session, Call call) {
        return switch (method) {
            case "GET" -> s.getAs(session, call.path());
            case "POST" -> s.postAs(session, call.path(), call.body() == null ? "" : call.body());
            case "PUT" -> s.putAs(session, call.path(), call.body() == null ? "" : call.body());
            case "PATCH" -> s.patchAs(session, call.path(), call.body() == null ? "" : call.body());
            case "DELETE" -> s.deleteAs(session, call.path());
            default -> throw new IllegalArgumentException(method);
        };
    }

    @Test
    void theTableNamesEveryAuthenticatedRoute() {
        Set<String> served = new TreeSet<>();
        for (Router.Route route : s.server.router().routes()) if (!route.isPublic()) served.add(route.method() + " " + route.template());
        Set<String> tabled = new TreeSet<>();
        for (Probe p : table) tabled.add(p.route());
        assertThat(tabled).as("the role matrix must name every authenticated route, and only those").isEqualTo(served);
    }

    @Test
    void everyRefusalHasARoleThatIsAllowedTheSameRequest() {
        for (Probe p : table) {
            boolean refuses = p.expected().values().stream().anyMatch(code -> code >= 400);
            boolean allows = p.expected().values().stream().anyMatch(code -> code >= 200 && code < 300);
            assertThat(!refuses || allows).as(p.route() + " (" + p.what() + ") refuses someone but allows no one").isTrue();
            assertThat(p.expected().values()).as(p.route()).allMatch(code -> (code >= 200 && code < 300) || code == 403 || code == 404);
        }
    }

    /**
     * Each row, each role: the allowed role's success is the positive control of the other roles' refusal, since it is
     * the same request on a fresh fixture of the same kind. Collects every mismatch before failing.
     */
    @Test
    void eachRoleGetsExactlyWhatTheMatrixSays() {
        SoftAssertions softly = new SoftAssertions();
        int sent = 0;
        for (Probe p : table) {
            for (Role role : Role.values()) {
                Call call = p.call().apply(role);
                Session session = call.as() == null ? sessions.get(role) : call.as();
                HttpResult r = send(p.method(), session, call);
                sent++;
                softly.assertThat(r.status()).as("%s %s (%s) as %s: %s", p.method(), call.path(), p.what(), role, r)
                        .isEqualTo(p.expected().get(role));
            }
        }
        // the walk's own sessions survived it (sign-outs used throwaway sign-ins), so no answer above was a stray 401
        for (Role role : Role.values()) softly.assertThat(s.getAs(sessions.get(role), "/v1/me").status()).as(role + " still signed in").isEqualTo(200);
        softly.assertAll();
        assertThat(sent).isEqualTo(table.size() * Role.values().length);
    }

    /** The refusals changed nothing: the non-admins' member-management attempts above left no trace. */
    @Test
    void refusedRequestsChangeNothing() {
        String victim = victimId();
        String invite = pendingInviteId();
        for (Role role : List.of(Role.DEVELOPER, Role.MEMBER)) {
            assertThat(s.putAs(sessions.get(role), WS + "/members/" + victim, "{\"role\":\"admin\"}").status()).isEqualTo(403);
            assertThat(s.deleteAs(sessions.get(role), WS + "/members/" + victim).status()).isEqualTo(403);
            assertThat(s.deleteAs(sessions.get(role), WS + "/invites/" + invite).status()).isEqualTo(403);
        }
        JsonNode list = s.get(WS + "/members", s.ownerToken).json();
        JsonNode victimRow = null;
        JsonNode inviteRow = null;
        for (JsonNode row : list) {
            if (row.get("id").asText().equals(victim)) victimRow = row;
            if (row.get("id").asText().equals(invite)) inviteRow = row;
        }
        assertThat(victimRow).as("victim still a member").isNotNull();
        assertThat(victimRow.get("role").asText()).isEqualTo("developer");
        assertThat(inviteRow).as("invite still there").isNotNull();
        assertThat(inviteRow.get("status").asText()).isEqualTo("invite_sent");
    }
}
