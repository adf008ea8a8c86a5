package dev.ekvault.server.access;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestIssuer;
import dev.ekvault.server.testing.TestServer;
import dev.ekvault.server.testing.TestServer.Session;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The authorization matrix of every route that manages credentials, workload identities, members and invitations, for
 * every kind of caller: the owner's token, a full admin, a scoped admin (project {@code web}), a developer and a member
 * (dashboard sessions), read-write and read API tokens at full and narrow ({@code web}) scope, a CLI token, an
 * {@code ek login} sign-in and a workload identity's JWT. The tokens, the CLI token, the {@code ek login} and the
 * workload identity all belong to the full admin, so a refusal of them is the credential's limit, not the person's.
 *
 * <p>Each row is one request on a fresh fixture; the expected answer is its status, and for the lists whether the
 * target is listed (200) or not (404: hidden). {@link #everyRefusalHasAPositiveControl} requires that every refusal has
 * a row beside it where the same operation on the same kind of target succeeds, either for another caller or for the
 * same caller on a target within its rights, so no refusal can pass because the route is simply broken.
 *
 * <p>The rule under test ({@code access/CredentialAuthority}): a caller sees and may revoke only credentials within its
 * effective rights (and, unless its person is an admin, its person's own); only the creator rotates, through a
 * credential that is neither the target nor minted through it and lives at least as long; CLI tokens,
 * read-only tokens and workloads manage nothing. Members: a scoped admin changes or removes only members whose current
 * role and scope lie within its own, and grants only what it holds; the owner is untouchable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("this-escape") // the fixture tables below are lambdas over this test's server, used only once it has started
public abstract class AuthorityMatrixContract {
    protected abstract Backend backend();

    static final String WS = "/v1/workspace/acme";

    /** A caller: a bearer credential or a dashboard session; {@code person} is the session of the person behind it. */
    record As(String name, String bearer, Session session, Session person) {}

    /** One row: who, what, on which kind of target, and the answer expected. */
    record Case(String who, String op, String target, int expected) {}

    TestServer s;
    TestIssuer cluster;
    String web;
    String webProd;
    String apiProd;
    final Map<String, As> callers = new LinkedHashMap<>();
    Session stranger;
    final AtomicInteger counter = new AtomicInteger();

    @BeforeAll
    void start() {
        s = TestServer.start(backend(), "--oidc-allow-http-issuers=true");
        cluster = TestIssuer.start(s.clock);
        web = s.createProject("web");
        webProd = s.createEnvironment("web", "production", false);
        s.createProject("api");
        apiProd = s.createEnvironment("api", "production", false);
        s.createSecrets("web", List.of(webProd), Map.of("WEB_KEY", "web-value"));
        s.createSecrets("api", List.of(apiProd), Map.of("API_KEY", "api-value"));

        Session fullAdmin = s.invitePerson("full-admin@matrix.example.com", "admin", null);
        Session scopedAdmin = s.invitePerson("scoped-admin@matrix.example.com", "admin", webScope());
        Session developer = s.invitePerson("developer@matrix.example.com", "developer", null);
        Session member = s.invitePerson("member@matrix.example.com", "member", null);
        stranger = s.invitePerson("stranger@matrix.example.com", "admin", null);

        add("owner token", s.ownerToken, null, null);
        add("full admin", null, fullAdmin, fullAdmin);
        add("scoped admin", null, scopedAdmin, scopedAdmin);
        add("developer", null, developer, developer);
        add("member", null, member, member);
        add("rw token, full", tokenValue(fullAdmin, "read-write", "{\"all\":true}", "6m"), null, fullAdmin);
        add("rw token, web", tokenValue(fullAdmin, "read-write", webScope(), "6m"), null, fullAdmin);
        add("read token, full", tokenValue(fullAdmin, "read", "{\"all\":true}", "6m"), null, fullAdmin);
        add("read token, web", tokenValue(fullAdmin, "read", webScope(), "6m"), null, fullAdmin);
        HttpResult cli = s.postAs(fullAdmin, WS + "/tokens/cli", "{\"environmentId\":\"" + webProd + "\"}");
        assertThat(cli.status()).as(cli.toString()).isEqualTo(200);
        add("CLI token", cli.json().get("token").asText(), null, fullAdmin);
        add("ek login", ekLogin(s, fullAdmin), null, fullAdmin);
        HttpResult identity = s.postAs(fullAdmin, WS + "/oidc", identityBody("matrix-workload", "read-write", null));
        assertThat(identity.status()).as(identity.toString()).isEqualTo(201);
        HttpResult exchanged = s.post("/v1/auth/oidc/exchange", null,
                "{\"workspaceId\":\"acme\",\"token\":\"" + cluster.token("matrix", "workload", "ek") + "\"}");
        assertThat(exchanged.status()).as(exchanged.toString()).isEqualTo(200);
        add("workload JWT", exchanged.json().get("accessToken").asText(), null, fullAdmin);
    }

    @AfterAll
    void stop() {
        cluster.close();
        s.close();
    }

    private void add(String name, String bearer, Session session, Session person) {
        callers.put(name, new As(name, bearer, session, person));
    }

    String webScope() {
        return "{\"projects\":[\"" + web + "\"]}";
    }

    String identityBody(String name, String permission, String scopeJson) {
        return "{\"name\":\"" + name + "\",\"issuer\":\"" + cluster.issuer() + "\",\"audience\":\"ek\",\"subject\":\"system:serviceaccount:matrix:"
                + (name.equals("matrix-workload") ? "workload" : "other-" + counter.incrementAndGet()) + "\",\"permission\":\"" + permission + "\""
                + (scopeJson == null ? "" : ",\"scope\":" + scopeJson) + "}";
    }

    /** Runs RFC 8628 as the CLI does, approved by the person's dashboard session; answers the {@code ek login} token. */
    static String ekLogin(TestServer s, Session person) {
        HttpResult code = s.post("/v1/auth/device/code", null, "{\"clientId\":\"enkryptify-cli\"}");
        HttpResult approved = s.postAs(person, "/v1/auth/device/approve", "{\"userCode\":\"" + code.json().get("userCode").asText() + "\"}");
        assertThat(approved.status()).as(approved.toString()).isEqualTo(204);
        HttpResult granted = s.post("/v1/auth/device/token", null,
                "{\"clientId\":\"enkryptify-cli\",\"deviceCode\":\"" + code.json().get("deviceCode").asText() + "\"}");
        assertThat(granted.status()).as(granted.toString()).isEqualTo(200);
        return granted.json().get("accessToken").asText();
    }

    // ---- requests as a caller ----

    HttpResult send(As as, String method, String path, String body) {
        if (as.session() != null) {
            return switch (method) {
                case "GET" -> s.getAs(as.session(), path);
                case "POST" -> s.postAs(as.session(), path, body == null ? "" : body);
                case "PUT" -> s.putAs(as.session(), path, body == null ? "" : body);
                case "DELETE" -> s.deleteAs(as.session(), path);
                default -> throw new IllegalArgumentException(method);
            };
        }
        HttpRequest.Builder builder = s.request(path, as.bearer());
        return s.send(switch (method) {
            case "GET" -> builder.GET();
            case "DELETE" -> builder.DELETE();
            default -> builder.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body == null ? "" : body));
        });
    }

    HttpResult send(Session person, String method, String path, String body) {
        return send(new As("person", null, person, person), method, path, body);
    }

    private String tokenValue(Session creator, String permission, String scopeJson, String expiresIn) {
        return createToken(creator, permission, scopeJson, expiresIn).get("token").asText();
    }

    JsonNode createToken(Session creator, String permission, String scopeJson, String expiresIn) {
        return created(send(creator, "POST", WS + "/tokens", tokenBody(permission, scopeJson, expiresIn)));
    }

    String tokenBody(String permission, String scopeJson, String expiresIn) {
        return "{\"name\":\"matrix-" + counter.incrementAndGet() + "\",\"permission\":\"" + permission + "\",\"scope\":" + scopeJson
                + ",\"expiresIn\":\"" + expiresIn + "\"}";
    }

    static JsonNode created(HttpResult r) {
        assertThat(r.status()).as("fixture: " + r).isIn(200, 201);
        return r.json();
    }

    // ---- targets: each made fresh for one row ----

    /** Credential targets, by kind; {@code own} is made through the caller itself, or by its person when it cannot mint. */
    final Map<String, Function<As, String>> tokenTargets = Map.of(
            "own token", as -> {
                HttpResult r = send(as, "POST", WS + "/tokens", tokenBody("read", "{\"environments\":[\"" + webProd + "\"]}", "24h"));
                if (r.status() == 201) return r.json().get("id").asText();
                return createToken(as.person(), "read", "{\"environments\":[\"" + webProd + "\"]}", "24h").get("id").asText();
            },
            "stranger's web read token", as -> createToken(stranger, "read", "{\"environments\":[\"" + webProd + "\"]}", "24h").get("id").asText(),
            "stranger's full rw token", as -> createToken(stranger, "read-write", "{\"all\":true}", "24h").get("id").asText(),
            "stranger's api read token", as -> createToken(stranger, "read", "{\"environments\":[\"" + apiProd + "\"]}", "24h").get("id").asText());

    final Map<String, Function<As, String>> identityTargets = Map.of(
            "stranger's web identity", as -> created(send(stranger, "POST", WS + "/oidc", identityBody("web-id", "read", webScope()))).get("id").asText(),
            "stranger's full identity", as -> created(send(stranger, "POST", WS + "/oidc", identityBody("full-id", "read-write", null))).get("id").asText());

    /** Member targets: a person invited and accepted (their user id), or a pending invitation (its id). */
    final Map<String, Function<As, String>> memberTargets = Map.of(
            "web member", as -> s.invitePerson("m" + counter.incrementAndGet() + "@matrix.example.com", "member", webScope()).userId(),
            "full developer", as -> s.invitePerson("m" + counter.incrementAndGet() + "@matrix.example.com", "developer", null).userId(),
            "full admin member", as -> s.invitePerson("m" + counter.incrementAndGet() + "@matrix.example.com", "admin", null).userId(),
            "owner", as -> ownerId());

    final Map<String, Function<As, String>> inviteTargets = Map.of(
            "web invite", as -> invite("member", webScope()),
            "full invite", as -> invite("member", null));

    private String invite(String role, String scopeJson) {
        return created(s.post(WS + "/members", s.ownerToken, "{\"email\":\"inv" + counter.incrementAndGet() + "@matrix.example.com\",\"role\":\""
                + role + "\"" + (scopeJson == null ? "" : ",\"scope\":" + scopeJson) + "}")).get("id").asText();
    }

    private String ownerId() {
        for (JsonNode m : s.get(WS + "/members", s.ownerToken).json()) if (m.path("isOwner").asBoolean()) return m.get("id").asText();
        throw new IllegalStateException("no owner listed");
    }

    /** The operations: each sends one request about a target id and maps the answer to the status the table names. */
    final Map<String, BiFunction<As, String, Integer>> ops = new LinkedHashMap<>();
    {
        ops.put("list tokens", (as, id) -> listed(send(as, "GET", WS + "/tokens", null), id));
        ops.put("credentials table", (as, id) -> listed(send(as, "GET", WS + "/credentials", null), id));
        ops.put("revoke token", (as, id) -> send(as, "DELETE", WS + "/tokens/" + id, null).status());
        ops.put("rotate token", (as, id) -> send(as, "POST", WS + "/tokens/" + id + "/rotate", "").status());
        ops.put("list identities", (as, id) -> listed(send(as, "GET", WS + "/oidc", null), id));
        ops.put("update identity", (as, id) -> send(as, "PUT", WS + "/oidc/" + id, "{\"name\":\"renamed\"}").status());
        ops.put("delete identity", (as, id) -> send(as, "DELETE", WS + "/oidc/" + id, null).status());
        ops.put("change member role", (as, id) -> send(as, "PUT", WS + "/members/" + id, "{\"role\":\"member\"}").status());
        ops.put("narrow member to web", (as, id) -> send(as, "PUT", WS + "/members/" + id, "{\"scope\":" + webScope() + "}").status());
        ops.put("remove member", (as, id) -> send(as, "DELETE", WS + "/members/" + id, null).status());
        ops.put("withdraw invite", (as, id) -> send(as, "DELETE", WS + "/invites/" + id, null).status());
    }

    private static int listed(HttpResult r, String id) {
        if (r.status() != 200) return r.status();
        for (JsonNode row : r.json()) if (row.get("id").asText().equals(id)) return 200;
        return 404;
    }

    // ---- the table ----

    static final List<String> MANAGERS_ALL = List.of("owner token", "full admin", "rw token, full", "ek login");
    static final List<String> MANAGERS_WEB = List.of("scoped admin", "rw token, web");
    static final List<String> NON_ADMIN_PEOPLE = List.of("developer", "member");
    static final List<String> NEVER_MANAGE = List.of("read token, full", "read token, web", "CLI token", "workload JWT");

    List<Case> table() {
        List<Case> t = new ArrayList<>();
        // credentials: list, table, revoke
        for (String op : List.of("list tokens", "credentials table")) {
            for (String who : MANAGERS_ALL) for (String target : tokenTargets.keySet()) t.add(new Case(who, op, target, 200));
            for (String who : MANAGERS_WEB) {
                t.add(new Case(who, op, "own token", 200));
                t.add(new Case(who, op, "stranger's web read token", 200));
                t.add(new Case(who, op, "stranger's full rw token", 404));
                t.add(new Case(who, op, "stranger's api read token", 404));
            }
            for (String who : NON_ADMIN_PEOPLE) {
                t.add(new Case(who, op, "own token", 200));
                t.add(new Case(who, op, "stranger's web read token", 404));
            }
            for (String who : NEVER_MANAGE) t.add(new Case(who, op, "own token", 403));
        }
        for (String who : MANAGERS_ALL) for (String target : tokenTargets.keySet()) t.add(new Case(who, "revoke token", target, 204));
        for (String who : MANAGERS_WEB) {
            t.add(new Case(who, "revoke token", "own token", 204));
            t.add(new Case(who, "revoke token", "stranger's web read token", 204));
            t.add(new Case(who, "revoke token", "stranger's full rw token", 404));
            t.add(new Case(who, "revoke token", "stranger's api read token", 404));
        }
        for (String who : NON_ADMIN_PEOPLE) {
            t.add(new Case(who, "revoke token", "own token", 204));
            t.add(new Case(who, "revoke token", "stranger's web read token", 404));
        }
        for (String who : NEVER_MANAGE) t.add(new Case(who, "revoke token", "own token", 403));
        // rotation: only the creator, and only a credential it may manage
        for (String who : List.of("owner token", "full admin", "rw token, full", "ek login", "scoped admin", "rw token, web", "developer", "member")) {
            t.add(new Case(who, "rotate token", "own token", 200));
        }
        for (String who : MANAGERS_ALL) for (String target : List.of("stranger's web read token", "stranger's full rw token")) {
            t.add(new Case(who, "rotate token", target, 403));
        }
        for (String who : MANAGERS_WEB) {
            t.add(new Case(who, "rotate token", "stranger's web read token", 403));
            t.add(new Case(who, "rotate token", "stranger's full rw token", 404));
        }
        for (String who : NON_ADMIN_PEOPLE) t.add(new Case(who, "rotate token", "stranger's web read token", 404));
        for (String who : NEVER_MANAGE) t.add(new Case(who, "rotate token", "own token", 403));
        // workload identities: admins within their scope
        for (String who : MANAGERS_ALL) {
            for (String target : identityTargets.keySet()) {
                t.add(new Case(who, "list identities", target, 200));
                t.add(new Case(who, "update identity", target, 200));
                t.add(new Case(who, "delete identity", target, 204));
            }
        }
        for (String who : MANAGERS_WEB) {
            t.add(new Case(who, "list identities", "stranger's web identity", 200));
            t.add(new Case(who, "list identities", "stranger's full identity", 404));
            t.add(new Case(who, "update identity", "stranger's web identity", 200));
            t.add(new Case(who, "update identity", "stranger's full identity", 404));
            t.add(new Case(who, "delete identity", "stranger's web identity", 204));
            t.add(new Case(who, "delete identity", "stranger's full identity", 404));
        }
        for (String who : concat(NON_ADMIN_PEOPLE, NEVER_MANAGE)) {
            t.add(new Case(who, "list identities", "stranger's web identity", 403));
            t.add(new Case(who, "update identity", "stranger's web identity", 403));
            t.add(new Case(who, "delete identity", "stranger's web identity", 403));
        }
        // members and invitations
        for (String who : MANAGERS_ALL) {
            t.add(new Case(who, "change member role", "full developer", 200));
            t.add(new Case(who, "change member role", "full admin member", 200));
            t.add(new Case(who, "narrow member to web", "full developer", 200));
            t.add(new Case(who, "remove member", "full developer", 204));
            t.add(new Case(who, "remove member", "full admin member", 204));
            t.add(new Case(who, "change member role", "owner", 403));
            t.add(new Case(who, "remove member", "owner", 403));
            t.add(new Case(who, "withdraw invite", "full invite", 204));
        }
        for (String who : MANAGERS_WEB) {
            t.add(new Case(who, "change member role", "web member", 200));
            t.add(new Case(who, "remove member", "web member", 204));
            t.add(new Case(who, "withdraw invite", "web invite", 204));
            t.add(new Case(who, "change member role", "full developer", 403));
            t.add(new Case(who, "change member role", "full admin member", 403));
            t.add(new Case(who, "narrow member to web", "full developer", 403));
            t.add(new Case(who, "remove member", "full developer", 403));
            t.add(new Case(who, "remove member", "full admin member", 403));
            t.add(new Case(who, "withdraw invite", "full invite", 403));
        }
        for (String who : concat(NON_ADMIN_PEOPLE, NEVER_MANAGE)) {
            t.add(new Case(who, "change member role", "web member", 403));
            t.add(new Case(who, "remove member", "web member", 403));
            t.add(new Case(who, "withdraw invite", "web invite", 403));
        }
        return t;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private Function<As, String> target(String kind) {
        for (Map<String, Function<As, String>> targets : List.of(tokenTargets, identityTargets, memberTargets, inviteTargets)) {
            if (targets.containsKey(kind)) return targets.get(kind);
        }
        throw new IllegalArgumentException("no target kind " + kind);
    }

    @Test
    void everyCallerGetsExactlyWhatTheMatrixSays() {
        SoftAssertions softly = new SoftAssertions();
        List<Case> table = table();
        for (Case c : table) {
            As as = callers.get(c.who());
            String id = target(c.target()).apply(as);
            int status = ops.get(c.op()).apply(as, id);
            softly.assertThat(status).as("%s: %s on %s", c.who(), c.op(), c.target()).isEqualTo(c.expected());
        }
        // none of the callers was hurt by the walk (a stray 401 above would otherwise pass for a refusal)
        for (As as : callers.values()) {
            softly.assertThat(send(as, "GET", WS + "/project/web/secret?environmentId=" + webProd, null).status())
                    .as(as.name() + " still works").isEqualTo(200);
        }
        softly.assertAll();
    }

    @Test
    void everyRefusalHasAPositiveControl() {
        List<Case> table = table();
        for (Case refusal : table) {
            if (refusal.expected() < 400) continue;
            boolean controlled = table.stream().anyMatch(c -> c.expected() < 300 && c.op().equals(refusal.op())
                    && (c.target().equals(refusal.target()) || c.who().equals(refusal.who())));
            assertThat(controlled).as(refusal + " has no success beside it (same operation, same target or same caller)").isTrue();
        }
    }

    @Test
    void theMatrixCoversEveryCallerKindAndEveryManagementRoute() {
        Set<String> whos = new TreeSet<>();
        Set<String> routes = new TreeSet<>();
        for (Case c : table()) whos.add(c.who());
        for (String op : ops.keySet()) routes.add(op);
        assertThat(whos).isEqualTo(new TreeSet<>(callers.keySet()));
        for (Case c : table()) routes.remove(c.op());
        assertThat(routes).as("operations with no row").isEmpty();
        assertThat(callers).hasSize(12);
    }

    // ---- finding 1: a scoped credential took over every token ----

    @Test
    void aNarrowTokenCannotTakeOverAWideTokenAndReachAnotherProject() {
        As narrow = callers.get("rw token, web");
        JsonNode wide = createToken(stranger, "read-write", "{\"all\":true}", "30d");
        String wideId = wide.get("id").asText();
        assertThat(send(narrow, "POST", WS + "/tokens/" + wideId + "/rotate", "").status()).isEqualTo(404);
        assertThat(send(narrow, "DELETE", WS + "/tokens/" + wideId, null).status()).isEqualTo(404);
        assertThat(send(narrow, "GET", WS + "/project/api/secret/API_KEY", null).status()).isEqualTo(404);
        // the wide token was not touched, and its legitimate creator still rotates it
        assertThat(s.get(WS + "/project/api/secret/API_KEY", wide.get("token").asText()).status()).isEqualTo(200);
        assertThat(send(stranger, "POST", WS + "/tokens/" + wideId + "/rotate", "").status()).isEqualTo(200);
    }

    // ---- finding 4: credentials outlived their origin ----

    @Test
    void aTokenMintedByATokenExpiresNoLaterThanItsMinter() {
        JsonNode day = createToken(stranger, "read-write", "{\"all\":true}", "24h");
        HttpResult child = s.post(WS + "/tokens", day.get("token").asText(), tokenBody("read-write", "{\"all\":true}", "6m"));
        assertThat(child.status()).as(child.toString()).isEqualTo(201);
        assertThat(child.json().get("expiresAt").asText()).as("capped at the minter's expiry").isEqualTo(day.get("expiresAt").asText());
        String childToken = child.json().get("token").asText();
        // control: a person in the dashboard makes the six months asked for
        JsonNode fromDashboard = createToken(stranger, "read", "{\"all\":true}", "6m");
        assertThat(java.time.Instant.parse(fromDashboard.get("expiresAt").asText()))
                .isEqualTo(s.clock.instant().plus(Duration.ofDays(180)));
        assertThat(s.get("/v1/workspace", childToken).status()).isEqualTo(200);
        // the parent's end is the child's, whatever ends it first: here a revocation
        assertThat(send(stranger, "DELETE", WS + "/tokens/" + day.get("id").asText(), null).status()).isEqualTo(204);
        assertThat(s.get("/v1/workspace", childToken).status()).isEqualTo(401);
    }

    @Test
    void revokingATokenRevokesWhatWasMintedThroughItOnly() {
        JsonNode parent = createToken(stranger, "read-write", "{\"all\":true}", "30d");
        String parentToken = parent.get("token").asText();
        JsonNode child = created(s.post(WS + "/tokens", parentToken, tokenBody("read-write", "{\"all\":true}", "30d")));
        JsonNode grandchild = created(s.post(WS + "/tokens", child.get("token").asText(), tokenBody("read", "{\"all\":true}", "30d")));
        String cli = created(s.post(WS + "/tokens/cli", child.get("token").asText(), "{\"environmentId\":\"" + webProd + "\"}")).get("token").asText();
        JsonNode sibling = createToken(stranger, "read", "{\"all\":true}", "30d");
        assertThat(s.get("/v1/workspace", grandchild.get("token").asText()).status()).isEqualTo(200);
        assertThat(send(stranger, "DELETE", WS + "/tokens/" + parent.get("id").asText(), null).status()).isEqualTo(204);
        for (String gone : List.of(parentToken, child.get("token").asText(), grandchild.get("token").asText(), cli)) {
            assertThat(s.get("/v1/workspace", gone).status()).as("revoked with its ancestor").isEqualTo(401);
        }
        assertThat(s.get("/v1/workspace", sibling.get("token").asText()).status()).as("control: not minted through it").isEqualTo(200);
    }

    @Test
    void aTokenCannotRotateItselfNorItsMinterNorSlideItsExpiry() {
        JsonNode parent = createToken(stranger, "read-write", "{\"all\":true}", "30d");
        JsonNode child = created(s.post(WS + "/tokens", parent.get("token").asText(), tokenBody("read-write", "{\"all\":true}", "30d")));
        String childToken = child.get("token").asText();
        HttpResult self = s.post(WS + "/tokens/" + child.get("id").asText() + "/rotate", childToken, "");
        assertThat(self.status()).as(self.toString()).isEqualTo(403);
        assertThat(s.post(WS + "/tokens/" + parent.get("id").asText() + "/rotate", childToken, "").status()).isEqualTo(403);
        // control: the parent rotates its child, and the new value keeps the old expiry (a minute on, which a rotation
        // that restarted the lifetime would show)
        s.clock.advance(Duration.ofMinutes(1));
        HttpResult rotated = s.post(WS + "/tokens/" + child.get("id").asText() + "/rotate", parent.get("token").asText(), "");
        assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
        assertThat(rotated.json().get("expiresAt").asText()).as("rotation never extends a lifetime").isEqualTo(child.get("expiresAt").asText());
        assertThat(s.get("/v1/workspace", childToken).status()).isEqualTo(401);
        // and from the dashboard the expiry stays too
        HttpResult again = send(stranger, "POST", WS + "/tokens/" + rotated.json().get("id").asText() + "/rotate", "");
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
        assertThat(again.json().get("expiresAt").asText()).isEqualTo(child.get("expiresAt").asText());
    }

    @Test
    void anEkLoginCannotApproveDeviceLoginsNorMintPastItsEightHours() {
        Session person = s.invitePerson("cli-person-" + counter.incrementAndGet() + "@matrix.example.com", "admin", null);
        String login = ekLogin(s, person);
        HttpResult code = s.post("/v1/auth/device/code", null, "{\"clientId\":\"enkryptify-cli\"}");
        String approve = "{\"userCode\":\"" + code.json().get("userCode").asText() + "\"}";
        assertThat(s.post("/v1/auth/device/approve", login, approve).status()).isEqualTo(403);
        assertThat(s.postAs(person, "/v1/auth/device/approve", approve).status()).as("control: the dashboard approves").isEqualTo(204);

        HttpResult minted = s.post(WS + "/tokens", login, tokenBody("read-write", "{\"all\":true}", "6m"));
        assertThat(minted.status()).as(minted.toString()).isEqualTo(201);
        assertThat(java.time.Instant.parse(minted.json().get("expiresAt").asText()))
                .isBeforeOrEqualTo(s.clock.instant().plus(Duration.ofHours(8)));
        // a long-lived token of the person cannot be rotated through the eight-hour login (that would mint six months) ...
        JsonNode longLived = createToken(person, "read", "{\"all\":true}", "6m");
        assertThat(s.post(WS + "/tokens/" + longLived.get("id").asText() + "/rotate", login, "").status()).isEqualTo(403);
        // ... while one the login minted can be
        assertThat(s.post(WS + "/tokens/" + minted.json().get("id").asText() + "/rotate", login, "").status()).isEqualTo(200);
        assertThat(send(person, "POST", WS + "/tokens/" + longLived.get("id").asText() + "/rotate", "").status()).isEqualTo(200);
    }

    @Test
    void whatAnEkLoginMintedEndsWithItsLogout() {
        Session person = s.invitePerson("logout-person-" + counter.incrementAndGet() + "@matrix.example.com", "developer", null);
        String login = ekLogin(s, person);
        String token = created(s.post(WS + "/tokens", login, tokenBody("read", "{\"all\":true}", "30d"))).get("token").asText();
        String cli = created(s.post(WS + "/tokens/cli", login, "{\"environmentId\":\"" + webProd + "\"}")).get("token").asText();
        String kept = createToken(person, "read", "{\"all\":true}", "30d").get("token").asText();
        assertThat(s.get("/v1/workspace", token).status()).isEqualTo(200);
        assertThat(s.post("/v1/auth/cli/logout", login, "{}").status()).isEqualTo(204);
        assertThat(s.get("/v1/workspace", login).status()).isEqualTo(401);
        assertThat(s.get("/v1/workspace", token).status()).as("minted by the login").isEqualTo(401);
        assertThat(s.get("/v1/workspace", cli).status()).as("minted by the login").isEqualTo(401);
        assertThat(s.get("/v1/workspace", kept).status()).as("control: made in the dashboard").isEqualTo(200);
    }

    @Test
    void aDashboardSessionEndsTheLoginsAndCliTokensItMadeButNotThePersonsApiTokens() {
        String email = "session-person-" + counter.incrementAndGet() + "@matrix.example.com";
        Session first = s.invitePerson(email, "developer", null);
        Session second = s.signIn(email, TestServer.PASSWORD);
        String loginOfFirst = ekLogin(s, first);
        String loginOfSecond = ekLogin(s, second);
        String cliOfFirst = created(send(first, "POST", WS + "/tokens/cli", "{\"environmentId\":\"" + webProd + "\"}")).get("token").asText();
        String apiTokenOfFirst = createToken(first, "read", "{\"all\":true}", "6m").get("token").asText();
        assertThat(s.get("/v1/workspace", loginOfFirst).status()).isEqualTo(200);
        assertThat(s.postAs(first, "/v1/auth/logout", "").status()).isEqualTo(204);
        assertThat(s.get("/v1/workspace", loginOfFirst).status()).as("the ek login the session approved").isEqualTo(401);
        assertThat(s.get("/v1/workspace", cliOfFirst).status()).as("the CLI token the session made").isEqualTo(401);
        assertThat(s.get("/v1/workspace", apiTokenOfFirst).status()).as("the person's API token outlives the sign-in").isEqualTo(200);
        assertThat(s.get("/v1/workspace", loginOfSecond).status()).as("control: approved by another session").isEqualTo(200);
    }

    // ---- finding 3: a scoped admin reached members wider than itself ----

    @Test
    void aScopedAdminCannotNarrowAWiderMemberAndThenRemoveThem() {
        As scoped = callers.get("scoped admin");
        String wide = s.invitePerson("wide-" + counter.incrementAndGet() + "@matrix.example.com", "developer", null).userId();
        assertThat(send(scoped, "PUT", WS + "/members/" + wide, "{\"scope\":" + webScope() + "}").status()).isEqualTo(403);
        assertThat(send(scoped, "DELETE", WS + "/members/" + wide, null).status()).isEqualTo(403);
        assertThat(memberScopeAll(wide)).as("unchanged").isTrue();
        // control: within the scoped admin's own scope both work
        String narrow = s.invitePerson("narrow-" + counter.incrementAndGet() + "@matrix.example.com", "developer", webScope()).userId();
        assertThat(send(scoped, "PUT", WS + "/members/" + narrow, "{\"role\":\"member\"}").status()).isEqualTo(200);
        assertThat(send(scoped, "DELETE", WS + "/members/" + narrow, null).status()).isEqualTo(204);
    }

    @Test
    void aScopedAdminCannotDemoteAFullAdminNorGrantBeyondItself() {
        As scoped = callers.get("scoped admin");
        String admin = s.invitePerson("admin-" + counter.incrementAndGet() + "@matrix.example.com", "admin", null).userId();
        assertThat(send(scoped, "PUT", WS + "/members/" + admin, "{\"role\":\"member\"}").status()).isEqualTo(403);
        String narrow = s.invitePerson("grant-" + counter.incrementAndGet() + "@matrix.example.com", "member", webScope()).userId();
        assertThat(send(scoped, "PUT", WS + "/members/" + narrow, "{\"scope\":{\"all\":true}}").status()).isEqualTo(403);
        assertThat(send(scoped, "POST", WS + "/members", "{\"email\":\"x" + counter.incrementAndGet() + "@matrix.example.com\",\"role\":\"admin\"}")
                .status()).as("an admin invitation for the whole workspace").isEqualTo(403);
        // controls
        assertThat(send(scoped, "PUT", WS + "/members/" + narrow, "{\"role\":\"admin\"}").status()).as("admin within web").isEqualTo(200);
        assertThat(send(callers.get("full admin"), "PUT", WS + "/members/" + admin, "{\"role\":\"member\"}").status()).isEqualTo(200);
    }

    private boolean memberScopeAll(String userId) {
        for (JsonNode m : s.get(WS + "/members", s.ownerToken).json()) {
            if (m.get("id").asText().equals(userId)) return m.get("scope").get("all").asBoolean();
        }
        throw new IllegalStateException("not a member: " + userId);
    }

    // ---- finding 5: scopes widened silently ----

    @Test
    void aTokenForATeamsOnlyEnvironmentDoesNotReachProjectsCreatedLater() {
        HttpResult team = s.post(WS + "/team", s.ownerToken, "{\"name\":\"solo-" + counter.incrementAndGet() + "\"}");
        assertThat(team.status()).as(team.toString()).isEqualTo(201);
        String teamId = team.json().get("id").asText();
        String slug = "solo-" + counter.incrementAndGet();
        created(s.post(WS + "/project", s.ownerToken, "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\",\"teamId\":\"" + teamId + "\"}"));
        String only = s.createEnvironment(slug, "only", false);
        JsonNode token = createToken(stranger, "read", "{\"environments\":[\"" + only + "\"]}", "30d");
        assertThat(token.get("scope").get("environments").get(0).asText()).isEqualTo(only);
        assertThat(token.get("scope").get("teams")).isEmpty();
        assertThat(token.get("scope").get("projects")).isEmpty();

        String laterSlug = "later-" + counter.incrementAndGet();
        created(s.post(WS + "/project", s.ownerToken, "{\"name\":\"" + laterSlug + "\",\"slug\":\"" + laterSlug + "\",\"teamId\":\"" + teamId + "\"}"));
        String laterEnv = s.createEnvironment(laterSlug, "prod", false);
        s.createSecrets(laterSlug, List.of(laterEnv), Map.of("LATER", "v"));
        String sameProjectLater = s.createEnvironment(slug, "later", false);
        s.createSecrets(slug, List.of(sameProjectLater, only), Map.of("SOLO", "v"));
        String value = token.get("token").asText();
        assertThat(s.get(WS + "/project/" + laterSlug + "/secret?environmentId=" + laterEnv, value).status()).isEqualTo(404);
        assertThat(s.get(WS + "/project/" + slug + "/secret?environmentId=" + sameProjectLater, value).status()).isEqualTo(404);
        assertThat(s.get(WS + "/project/" + slug + "/secret?environmentId=" + only, value).status()).as("control").isEqualTo(200);
        // naming the team is how a scope grows with it
        String teamToken = createToken(stranger, "read", "{\"teams\":[\"" + teamId + "\"]}", "30d").get("token").asText();
        assertThat(s.get(WS + "/project/" + laterSlug + "/secret?environmentId=" + laterEnv, teamToken).status()).isEqualTo(200);
    }
}
