package dev.ekvault.server.sync.vercel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Vercel's REST API as far as the sync uses it (the 2026 docs): {@code GET /v2/user}, {@code GET /v9/projects/{idOrName}},
 * {@code GET /v10/projects/{idOrName}/env} (newest first, paged: {@code pagination.next} is the createdAt to pass back
 * as {@code until}), {@code POST /v10/projects/{idOrName}/env} (one variable or a list; {@code upsert=true} updates a
 * variable of the same key and an overlapping target instead of refusing it with {@code ENV_CONFLICT}),
 * {@code PATCH} and {@code DELETE /v9/projects/{idOrName}/env/{id}}. Bearer tokens (a bad one: 403 with
 * {@code invalidToken}), projects owned by a team are found only with its {@code ?teamId=}, list values come back
 * encrypted unless {@code decrypt=true}. The test can queue answers (a 429 with {@code X-RateLimit-Reset}, a 5xx).
 */
final class FakeVercel implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One variable: the value in the clear here (a real Vercel encrypts it at rest). */
    static final class Var {
        final String id;
        final String key;
        String value;
        String type;
        List<String> target;
        final String gitBranch;
        final long createdAt;

        Var(String id, String key, String value, String type, List<String> target, String gitBranch, long createdAt) {
            this.id = id;
            this.key = key;
            this.value = value;
            this.type = type;
            this.target = target;
            this.gitBranch = gitBranch;
            this.createdAt = createdAt;
        }
    }

    record Project(String id, String name, String teamId, List<Var> vars) {}

    record Request(String method, String path, Map<String, String> query, String authorization, String body) {}

    /** What the next call gets: {@code status} 0 passes it through; {@code landed}: done, then the answer is lost in a 5xx. */
    record Queued(int status, Map<String, String> headers, boolean landed) {}

    private final HttpServer server;
    private final java.util.concurrent.ExecutorService executor;
    private final Map<String, Project> projects = new LinkedHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Queued> queued = new ArrayDeque<>();
    private volatile String token;
    private volatile Runnable duringNextCall;
    private int pageSize = 3;
    private long clock = 1_700_000_000_000L;
    private int seq;

    FakeVercel(String token) throws IOException {
        this.token = token;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        // a thread per call: a test may call the server while a call is being answered, and the server calls back
        executor = java.util.concurrent.Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** A new token is in force; the old one is refused from now on (a revoked token). */
    synchronized void token(String token) {
        this.token = token;
    }

    synchronized void pageSize(int n) {
        pageSize = n;
    }

    synchronized Project project(String name, String teamId) {
        Project p = new Project("prj_" + (++seq) + "x" + name.hashCode(), name, teamId, new ArrayList<>());
        p = new Project(p.id().replace('-', 'm'), name, teamId, p.vars());
        projects.put(p.id(), p);
        return p;
    }

    /** A variable put there by hand in Vercel (another target, several targets, a branch). */
    synchronized Var seed(Project p, String key, String value, String gitBranch, String... targets) {
        Var v = new Var("env" + (++seq), key, value, "encrypted", new ArrayList<>(List.of(targets)), gitBranch, ++clock);
        p.vars().add(v);
        return v;
    }

    synchronized List<Var> vars(Project p, String key) {
        return p.vars().stream().filter(v -> v.key.equals(key)).toList();
    }

    /** The value {@code key} has in {@code target} (no branch), or null; fails when there are two. */
    synchronized String value(Project p, String key, String target) {
        List<Var> in = p.vars().stream().filter(v -> v.key.equals(key) && v.gitBranch == null && v.target.contains(target)).toList();
        if (in.size() > 1) throw new AssertionError("two variables " + key + " for " + target);
        return in.isEmpty() ? null : in.get(0).value;
    }

    synchronized void answerNext(int status, Map<String, String> headers) {
        queued.add(new Queued(status, headers, false));
    }

    /** The next call is answered normally (to line up a failure later in a push). */
    synchronized void passNext() {
        queued.add(new Queued(0, Map.of(), false));
    }

    /** The next call is carried out, but its answer is a 502: the push cannot know it landed. */
    synchronized void landThenFail() {
        queued.add(new Queued(502, Map.of(), true));
    }

    /** Runs {@code action} while the next call is being answered (the caller is waiting on us meanwhile). */
    void duringNextCall(Runnable action) {
        duringNextCall = action;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> query = new LinkedHashMap<>();
            String raw = exchange.getRequestURI().getRawQuery();
            if (raw != null) {
                for (String pair : raw.split("&")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            requests.add(new Request(method, path, query, auth, body));
            Runnable during = duringNextCall;
            duringNextCall = null;
            if (during != null) during.run();
            Object[] answer;
            synchronized (this) {
                Queued next = queued.poll();
                if (next != null && next.landed()) route(method, path, query, auth, body);
                if (next != null && next.status() != 0) {
                    next.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
                    answer = new Object[] {next.status(), error(next.status() == 429 ? "rate_limited" : "internal_server_error", "queued")};
                } else {
                    answer = route(method, path, query, auth, body);
                }
            }
            byte[] bytes = JSON.writeValueAsBytes(answer[1]);
            exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
            // Vercel sends its rate-limit headers on every answer, not just on a 429
            exchange.getResponseHeaders().add("X-RateLimit-Limit", "100");
            exchange.getResponseHeaders().add("X-RateLimit-Reset", Long.toString(System.currentTimeMillis() / 1000 + 60));
            exchange.sendResponseHeaders((int) answer[0], bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    private static final Pattern PROJECT = Pattern.compile("/v9/projects/([^/]+)");
    private static final Pattern ENVS = Pattern.compile("/v10/projects/([^/]+)/env");
    private static final Pattern ENV = Pattern.compile("/v9/projects/([^/]+)/env/([^/]+)");

    private Object[] route(String method, String path, Map<String, String> query, String auth, String body) throws IOException {
        if (auth == null || !auth.equals("Bearer " + token)) {
            ObjectNode e = error("forbidden", "Not authorized");
            ((ObjectNode) e.get("error")).put("invalidToken", true);
            return new Object[] {403, e};
        }
        if (method.equals("GET") && path.equals("/v2/user")) {
            ObjectNode user = JSON.createObjectNode();
            user.putObject("user").put("id", "user_1").put("username", "someone");
            return new Object[] {200, user};
        }
        Matcher m;
        if ((m = PROJECT.matcher(path)).matches() && method.equals("GET")) {
            Project p = find(m.group(1), query);
            if (p == null) return new Object[] {404, error("not_found", "Project not found")};
            return new Object[] {200, JSON.createObjectNode().put("id", p.id()).put("name", p.name()).put("accountId", p.teamId() == null ? "user_1" : p.teamId())};
        }
        if ((m = ENVS.matcher(path)).matches()) {
            Project p = find(m.group(1), query);
            if (p == null) return new Object[] {404, error("not_found", "Project not found")};
            if (method.equals("GET")) return list(p, query);
            if (method.equals("POST")) return create(p, JSON.readTree(body), "true".equals(query.get("upsert")));
        }
        if ((m = ENV.matcher(path)).matches()) {
            Project p = find(m.group(1), query);
            if (p == null) return new Object[] {404, error("not_found", "Project not found")};
            String envId = m.group(2);
            Var v = p.vars().stream().filter(x -> x.id.equals(envId)).findFirst().orElse(null);
            if (v == null) return new Object[] {404, error("not_found", "Environment Variable not found")};
            if (method.equals("DELETE")) {
                p.vars().remove(v);
                return new Object[] {200, json(v, false)};
            }
            if (method.equals("PATCH")) {
                JsonNode edit = JSON.readTree(body);
                if (edit.has("target")) {
                    List<String> targets = new ArrayList<>();
                    edit.get("target").forEach(t -> targets.add(t.asText()));
                    if (targets.isEmpty()) return new Object[] {400, error("bad_request", "target must not be empty")};
                    for (Var other : p.vars()) {
                        if (other != v && other.key.equals(v.key) && java.util.Objects.equals(other.gitBranch, v.gitBranch)
                                && other.target.stream().anyMatch(targets::contains)) {
                            return new Object[] {400, error("ENV_CONFLICT", "conflict")};
                        }
                    }
                    v.target = targets;
                }
                if (edit.has("type")) {
                    if (v.type.equals("sensitive") && !edit.get("type").asText().equals("sensitive")) {
                        return new Object[] {400, error("bad_request", "a sensitive variable cannot change type")};
                    }
                    v.type = edit.get("type").asText();
                }
                if (edit.has("value")) v.value = edit.get("value").asText();
                return new Object[] {200, json(v, false)};
            }
        }
        return new Object[] {404, error("not_found", "The requested path was not found")};
    }

    /** Finds a project by id or name in the scope the call asks for: the team's with teamId, the user's without. */
    private Project find(String idOrName, Map<String, String> query) {
        String team = query.get("teamId");
        for (Project p : projects.values()) {
            if ((p.id().equals(idOrName) || p.name().equals(idOrName)) && java.util.Objects.equals(p.teamId(), team)) return p;
        }
        return null;
    }

    private Object[] list(Project p, Map<String, String> query) {
        boolean decrypt = "true".equals(query.get("decrypt"));
        long until = query.containsKey("until") ? Long.parseLong(query.get("until")) : Long.MAX_VALUE;
        List<Var> newestFirst = p.vars().stream().filter(v -> v.createdAt < until).sorted(Comparator.comparingLong((Var v) -> v.createdAt).reversed()).toList();
        List<Var> page = newestFirst.subList(0, Math.min(pageSize, newestFirst.size()));
        ObjectNode out = JSON.createObjectNode();
        ArrayNode envs = out.putArray("envs");
        page.forEach(v -> envs.add(json(v, decrypt)));
        ObjectNode pagination = out.putObject("pagination");
        pagination.put("count", page.size());
        if (newestFirst.size() > page.size()) pagination.put("next", page.get(page.size() - 1).createdAt);
        else pagination.putNull("next");
        pagination.putNull("prev");
        return new Object[] {200, out};
    }

    private Object[] create(Project p, JsonNode body, boolean upsert) {
        List<JsonNode> items = new ArrayList<>();
        if (body.isArray()) body.forEach(items::add);
        else items.add(body);
        ArrayNode created = JSON.createArrayNode();
        ArrayNode failed = JSON.createArrayNode();
        for (JsonNode item : items) {
            String key = item.path("key").asText("");
            List<String> targets = new ArrayList<>();
            item.path("target").forEach(t -> targets.add(t.asText()));
            String type = item.path("type").asText("plain");
            if (key.isEmpty() || targets.isEmpty() || !item.has("value")) {
                failed.addObject().putObject("error").put("code", "bad_request").put("key", key);
                continue;
            }
            if (type.equals("sensitive") && targets.contains("development")) {
                failed.addObject().putObject("error").put("code", "bad_request").put("key", key);
                continue;
            }
            Var clash = p.vars().stream().filter(v -> v.key.equals(key) && v.gitBranch == null && v.target.stream().anyMatch(targets::contains))
                    .findFirst().orElse(null);
            if (clash != null && !upsert) {
                failed.addObject().putObject("error").put("code", "ENV_CONFLICT").put("key", key);
                continue;
            }
            if (clash != null) {
                clash.value = item.get("value").asText();
                clash.type = type;
                clash.target = targets;
                created.add(json(clash, false));
                continue;
            }
            Var v = new Var("env" + (++seq), key, item.get("value").asText(), type, targets, null, ++clock);
            p.vars().add(v);
            created.add(json(v, false));
        }
        ObjectNode out = JSON.createObjectNode();
        out.set("created", items.size() == 1 && !body.isArray() && !created.isEmpty() ? created.get(0) : created);
        out.set("failed", failed);
        return new Object[] {201, out};
    }

    private static ObjectNode json(Var v, boolean decrypt) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", v.id).put("key", v.key).put("type", v.type);
        // encrypted in a list unless decrypt=true; a sensitive value never comes back
        n.put("value", decrypt && !v.type.equals("sensitive") ? v.value : "enc:" + Integer.toHexString(v.value.hashCode()));
        n.put("decrypted", decrypt && !v.type.equals("sensitive"));
        ArrayNode t = n.putArray("target");
        v.target.forEach(t::add);
        if (v.gitBranch != null) n.put("gitBranch", v.gitBranch);
        n.put("createdAt", v.createdAt).put("updatedAt", v.createdAt);
        return n;
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("error").put("code", code).put("message", message);
        return n;
    }
}
