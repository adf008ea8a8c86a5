package dev.ekvault.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.workspace.WorkspaceStore;
import dev.ekvault.server.access.TokenFormat;
import dev.ekvault.server.access.CredentialStore;
import dev.ekvault.server.access.Credential;
import dev.ekvault.server.access.Role;
import dev.ekvault.server.access.Scope;
import dev.ekvault.server.access.Permission;
import java.util.UUID;
import java.sql.Statement;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.ekvault.server.EkServer;
import dev.ekvault.server.config.Config;
import dev.ekvault.server.config.ConfigLoader;
import dev.ekvault.server.crypto.MasterKey;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real server, started in this JVM on 127.0.0.1 and a free port, on SQLite or PostgreSQL, with an initialised
 * workspace {@code acme} whose owner token is {@link #ownerToken}. Requests go over real HTTP.
 */
public final class TestServer implements AutoCloseable {
    public final EkServer server;
    public final String ownerToken;
    public final TestClock clock;
    public final Config config;
    public final String masterKey;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;

    private TestServer(Config config, TestClock clock, String masterKey, boolean initialise) throws Exception {
        this(config, clock, masterKey, initialise, null);
    }

    private TestServer(Config config, TestClock clock, String masterKey, boolean initialise, String ownerToken) throws Exception {
        this.config = config;
        this.clock = clock;
        this.masterKey = masterKey;
        this.server = EkServer.open(config, clock).start();
        this.base = "http://127.0.0.1:" + server.port();
        this.ownerToken = initialise ? server.bootstrap().initialise("acme", "owner@example.com", "6m") : ownerToken;
    }

    /**
     * Another node on this server's PostgreSQL database, as behind a load balancer: the same master key and workspace
     * (its {@link #ownerToken} is this one's), its own data folder, and its own clock.
     */
    public TestServer anotherNode(TestClock nodeClock, String... extraFlags) {
        try {
            Config other = new ConfigLoader().load(flags(config.database().url(), java.nio.file.Files.createTempDirectory("ek-test"),
                    masterKey, extraFlags), Map.of());
            return new TestServer(other, nodeClock, masterKey, false, ownerToken);
        } catch (Exception e) {
            throw new IllegalStateException("second node did not start", e);
        }
    }

    /** A server on a fresh store with no workspace at all: what the first person to sign up finds. */
    public static TestServer startUninitialised(Backend backend, String... extraFlags) {
        try {
            Config config = new ConfigLoader().load(flags(backend.freshDatabaseUrl(), java.nio.file.Files.createTempDirectory("ek-test"),
                    MasterKey.generateBase64(), extraFlags), Map.of());
            return new TestServer(config, new TestClock(), config.masterKey().value(), false);
        } catch (Exception e) {
            throw new IllegalStateException("test server did not start", e);
        }
    }

    /** A server on a fresh store of {@code backend}, its data folder a new temporary directory. */
    public static TestServer start(Backend backend, String... extraFlags) {
        try {
            return start(backend.freshDatabaseUrl(), java.nio.file.Files.createTempDirectory("ek-test"), MasterKey.generateBase64(), extraFlags);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestServer start(String databaseUrl, Path dataDir, String masterKey, String... extraFlags) {
        Config config = new ConfigLoader().load(flags(databaseUrl, dataDir, masterKey, extraFlags), Map.of());
        try {
            return new TestServer(config, new TestClock(), masterKey, true);
        } catch (Exception e) {
            throw new IllegalStateException("test server did not start", e);
        }
    }

    /**
     * A server on a store that already holds workspace {@code acme} (a restored backup, a database made by an earlier
     * release): nothing is initialised; {@code ownerToken} is the token made when the store was first started.
     */
    public static TestServer startOn(TestClock clock, String databaseUrl, Path dataDir, String masterKey, String ownerToken,
                                     String... extraFlags) {
        Config config = new ConfigLoader().load(flags(databaseUrl, dataDir, masterKey, extraFlags), Map.of());
        try {
            return new TestServer(config, clock, masterKey, false, ownerToken);
        } catch (Exception e) {
            throw new IllegalStateException("test server did not start on the existing store", e);
        }
    }

    private static List<String> flags(String databaseUrl, Path dataDir, String masterKey, String... extraFlags) {
        List<String> flags = new ArrayList<>(List.of("--data-dir=" + dataDir, "--http-host=127.0.0.1", "--http-port=0",
                "--database-url=" + databaseUrl, "--master-key=" + masterKey, "--http-shutdown-timeout-seconds=5",
                // suites send hundreds of requests from one address; the limit's own test turns it back on
                "--rate-limit-per-ip-per-minute=0"));
        flags.addAll(List.of(extraFlags));
        return flags;
    }

    // ---- people ----

    /** A signed-in dashboard session: its cookie and the CSRF token to echo on changes. */
    public record Session(String cookie, String csrf, String userId) {
        /** A request carrying the cookie (and, for changes, the CSRF header). */
        public HttpRequest.Builder on(HttpRequest.Builder builder, boolean withCsrf) {
            builder.header("Cookie", "ek_session=" + cookie);
            if (withCsrf) builder.header("X-CSRF-Token", csrf);
            return builder;
        }
    }

    /** Signs in over HTTP and returns the session taken from the Set-Cookie answer. */
    public Session signIn(String email, String password) {
        HttpResult r = post("/v1/auth/login", null, "{\"email\":" + quote(email) + ",\"password\":" + quote(password) + "}");
        if (r.status() != 200) throw new IllegalStateException("sign-in failed: " + r);
        return session(r);
    }

    public static Session session(HttpResult signedIn) {
        String setCookie = signedIn.headers().allValues("Set-Cookie").stream().filter(v -> v.startsWith("ek_session=")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no session cookie in " + signedIn.headers()));
        String cookie = setCookie.substring("ek_session=".length(), setCookie.indexOf(';'));
        return new Session(cookie, signedIn.json().get("csrfToken").asText(), signedIn.json().get("id").asText());
    }

    public HttpResult getAs(Session session, String path) {
        return send(session.on(request(path, null), false).GET());
    }

    public HttpResult postAs(Session session, String path, String json) {
        return send(session.on(request(path, null), true).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResult putAs(Session session, String path, String json) {
        return send(session.on(request(path, null), true).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResult patchAs(Session session, String path, String json) {
        return send(session.on(request(path, null), true).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResult deleteAs(Session session, String path) {
        return send(session.on(request(path, null), true).DELETE());
    }

    /**
     * Invites a person with the owner's token and accepts for them with a password: a member with an account, signed in.
     * {@code scopeJson} is the wire scope (null: all).
     */
    public Session invitePerson(String email, String role, String scopeJson) {
        HttpResult invite = post("/v1/workspace/acme/members", ownerToken, "{\"email\":" + quote(email) + ",\"role\":\"" + role + "\""
                + (scopeJson == null ? "" : ",\"scope\":" + scopeJson) + "}");
        String token = inviteToken(invite);
        HttpResult accepted = post("/v1/invites/" + token + "/accept", null, "{\"name\":\"p\",\"password\":\"" + PASSWORD + "\"}");
        if (accepted.status() != 200) throw new IllegalStateException("accept failed: " + accepted);
        return session(accepted);
    }

    /** The token of the invitation link in the answer to an invitation (201). */
    public static String inviteToken(HttpResult invite) {
        if (invite.status() != 201) throw new IllegalStateException("invite failed: " + invite);
        String url = invite.json().get("inviteUrl").asText();
        return url.substring(url.lastIndexOf('/') + 1);
    }

    /** The password every invited test person chooses. */
    public static final String PASSWORD = "correct horse battery staple";

    public String url(String path) {
        return base + path;
    }

    public HttpResult get(String path, String token) {
        return send(request(path, token).GET());
    }

    public HttpResult post(String path, String token, String json) {
        return send(request(path, token).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResult put(String path, String token, String json) {
        return send(request(path, token).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResult patch(String path, String token, String json) {
        return send(request(path, token).header("Content-Type", "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResult delete(String path, String token) {
        return send(request(path, token).DELETE());
    }

    public HttpResult send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new HttpResult(response.statusCode(), response.body(), response.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path));
        if (token != null) builder.header("Authorization", "Bearer " + token);
        return builder;
    }

    // ---- shortcuts for building a workspace tree through the API ----

    public String defaultTeamId() {
        HttpResult teams = get("/v1/workspace/acme/team", ownerToken);
        if (teams.status() != 200 || teams.json().size() == 0) throw new IllegalStateException("no default team: " + teams);
        return teams.json().get(0).get("id").asText();
    }

    /** Creates a team and returns its id. */
    public String createTeam(String name) {
        HttpResult r = post("/v1/workspace/acme/team", ownerToken, "{\"name\":" + quote(name) + "}");
        if (r.status() != 201) throw new IllegalStateException("team not created: " + r);
        return r.json().get("id").asText();
    }

    /** Creates a project in the default team and returns its id. */
    public String createProject(String slug) {
        HttpResult r = post("/v1/workspace/acme/project", ownerToken,
                "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\",\"teamId\":\"" + defaultTeamId() + "\"}");
        if (r.status() != 201) throw new IllegalStateException("project not created: " + r);
        return r.json().get("id").asText();
    }

    /** Creates an environment and returns its id. */
    public String createEnvironment(String project, String name, boolean personalOverrides) {
        HttpResult r = post("/v1/workspace/acme/project/" + project + "/environment", ownerToken,
                "{\"name\":\"" + name + "\",\"hasPersonalOverrides\":" + personalOverrides + "}");
        if (r.status() != 201) throw new IllegalStateException("environment not created: " + r);
        return r.json().get("id").asText();
    }

    /** Creates secrets (key → value) in the given environments with the owner's token. */
    public JsonNode createSecrets(String project, List<String> environmentIds, Map<String, String> secrets) {
        StringBuilder body = new StringBuilder("{\"environments\":[");
        body.append(String.join(",", environmentIds.stream().map(id -> "\"" + id + "\"").toList())).append("],\"secrets\":[");
        List<String> items = new ArrayList<>();
        secrets.forEach((k, v) -> items.add("{\"key\":" + quote(k) + ",\"value\":" + quote(v) + ",\"type\":\"runtime\",\"dataType\":\"text\"}"));
        body.append(String.join(",", items)).append("]}");
        HttpResult r = post("/v1/workspace/acme/project/" + project + "/secret", ownerToken, body.toString());
        if (r.status() != 201) throw new IllegalStateException("secrets not created: " + r);
        return r.json();
    }

    /** Creates an API token through the API and returns its raw value. */
    public String createToken(String creatorToken, String permission, String scopeJson) {
        HttpResult r = post("/v1/workspace/acme/tokens", creatorToken,
                "{\"name\":\"t\",\"permission\":\"" + permission + "\",\"scope\":" + scopeJson + ",\"expiresIn\":\"30d\"}");
        if (r.status() != 201) throw new IllegalStateException("token not created: " + r);
        return r.json().get("token").asText();
    }

    /**
     * Adds a person to the workspace and gives them a credential of the given kind, written straight to the store:
     * sessions and member invites arrive in later issues, and these tests need a person's credential now.
     */
    public String addPersonWithCredential(String email, Role role, Scope memberScope,
                                          Credential.Kind kind, Permission permission,
                                          Scope credentialScope) {
        ObjectMapper json = new ObjectMapper();
        WorkspaceStore workspaces = new WorkspaceStore(json);
        String token = TokenFormat.generate();
        server.database().write(c -> {
            String workspaceId = workspaces.find(c, "acme").id();
            String userId = UUID.randomUUID().toString();
            new dev.ekvault.server.workspace.UserStore().insert(c, userId, email, email, null, clock.millis());
            workspaces.insertMember(c, new WorkspaceStore.Member(workspaceId, userId, role, memberScope), clock.millis());
            new CredentialStore(json).insert(c, new Credential(
                    UUID.randomUUID().toString(), workspaceId, kind, "test", TokenFormat.displayPrefix(token),
                    permission, credentialScope, false, userId, clock.millis(), clock.millis() + 3_600_000L, null, null, null),
                    TokenFormat.hash(token), null);
            return null;
        });
        return token;
    }

    /**
     * A second workspace with its own owner (an admin with access to everything) and that owner's read-write token,
     * written straight to the store as {@code init} would (it refuses once a workspace exists); returns the token.
     */
    public String createWorkspace(String slug, String ownerEmail) {
        ObjectMapper json = new ObjectMapper();
        WorkspaceStore workspaces = new WorkspaceStore(json);
        String token = TokenFormat.generate();
        server.database().write(c -> {
            String userId = UUID.randomUUID().toString();
            String workspaceId = UUID.randomUUID().toString();
            new dev.ekvault.server.workspace.UserStore().insert(c, userId, ownerEmail, ownerEmail, null, clock.millis());
            workspaces.insertWorkspace(c, new WorkspaceStore.WorkspaceRow(workspaceId, slug, slug, userId, clock.millis()));
            workspaces.insertMember(c, new WorkspaceStore.Member(workspaceId, userId, Role.ADMIN, Scope.ALL), clock.millis());
            new CredentialStore(json).insert(c, new Credential(UUID.randomUUID().toString(), workspaceId, Credential.Kind.STATIC, "owner",
                    TokenFormat.displayPrefix(token), Permission.READ_WRITE, Scope.ALL, true, userId, clock.millis(),
                    clock.millis() + 30 * 86_400_000L, null, null, null), TokenFormat.hash(token), null);
            return null;
        });
        return token;
    }

    /** Changes a person's role and scope in place, as member management will, and tells the change feed. */
    public void changeMember(String email, Role role, Scope scope) {
        runSql("UPDATE member SET role = '" + role.wire() + "', scope = '" + scope.toStorage(new ObjectMapper())
                + "' WHERE user_id = (SELECT id FROM app_user WHERE email = '" + email + "')");
        memberChanged(email);
    }

    /** Removes a person from the workspace, as member management will, and tells the change feed. */
    public void removeMember(String email) {
        runSql("DELETE FROM member WHERE user_id = (SELECT id FROM app_user WHERE email = '" + email + "')");
        memberChanged(email);
    }

    private void memberChanged(String email) {
        server.database().write(c -> {
            String workspaceId = new WorkspaceStore(new ObjectMapper()).find(c, "acme").id();
            String userId = dev.ekvault.server.store.Sql.one(c, "SELECT id FROM app_user WHERE email = ?", r -> r.getString(1), email);
            dev.ekvault.server.store.ChangeFeed.record(c, dev.ekvault.server.store.ChangeFeed.Kind.MEMBER, workspaceId, userId);
            return null;
        });
        server.changeFeed().poll();
    }

    /**
     * Runs one statement against the server's store (tests that tamper with rows use it). A write behind the server's
     * back is not in its secret cache, so the cache is cleared, as a restart would.
     */
    public void runSql(String sql) {
        server.database().write(c -> {
            try (Statement st = c.createStatement()) {
                st.executeUpdate(sql);
            }
            return null;
        });
        server.secretCache().invalidateAll();
    }

    /** Key → shared value of every secret of {@code project} in one environment, read (so decrypted) through the API. */
    public Map<String, String> sharedValues(String project, String environmentId, String token) {
        HttpResult r = get("/v1/workspace/acme/project/" + project + "/secret?environmentId=" + environmentId, token);
        if (r.status() != 200) throw new IllegalStateException("secrets not listed: " + r);
        Map<String, String> values = new java.util.HashMap<>();
        for (JsonNode secret : r.json()) {
            for (JsonNode v : secret.get("values")) {
                if (v.get("environmentId").asText().equals(environmentId) && !v.get("isPersonal").asBoolean()) {
                    values.put(secret.get("name").asText(), v.get("value").asText());
                }
            }
        }
        return values;
    }

    public static String quote(String text) {
        return TextNode.valueOf(text).toString();
    }

    @Override
    public void close() {
        server.close();
    }
}
