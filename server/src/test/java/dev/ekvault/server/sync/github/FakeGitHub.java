package dev.ekvault.server.sync.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * GitHub's REST API (version 2022-11-28) as far as Actions secrets go, in process: {@code GET /user},
 * {@code GET /repos/{owner}/{repo}}, {@code GET /repos/{owner}/{repo}/environments/{environment_name}}, and for a
 * repository ({@code …/actions/secrets}) or an environment ({@code …/environments/{name}/secrets}):
 * {@code GET public-key} ({@code key_id}, base64 {@code key}), {@code GET} the list ({@code total_count},
 * {@code secrets}; {@code per_page} up to 100, {@code page}, a {@code Link} header), {@code PUT {secret_name}}
 * ({@code encrypted_value}, {@code key_id}; 201 created, 204 updated; names upper-cased; 422 for a name GitHub
 * refuses or a stale key id) and {@code DELETE} (204, or 404). Each scope has its own X25519 key pair; every value is
 * opened with the test's own sealed-box open, so what it holds is what a workflow would read. It checks
 * {@code Authorization: Bearer}, answers 401 "Bad credentials" otherwise, and answers what a test queued (a rate
 * limit, an outage) before anything else.
 */
final class FakeGitHub implements AutoCloseable {
    record Call(String method, String path, boolean headersOk) {}

    record Answer(int status, Map<String, String> headers) {}

    private record KeyPair(String id, byte[] secret, byte[] pub) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[A-Z_][A-Z0-9_]*");
    private final HttpServer server;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Deque<Answer> queued = new ArrayDeque<>();
    private final Set<String> repositories = ConcurrentHashMap.newKeySet();
    private final Set<String> environments = ConcurrentHashMap.newKeySet();
    private final Map<String, KeyPair> keys = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> secrets = new ConcurrentHashMap<>();
    private volatile String token;
    private int keySeq;

    FakeGitHub(String token) throws IOException {
        this.token = token;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void token(String token) {
        this.token = token;
    }

    void repository(String fullName, String... environmentNames) {
        repositories.add(fullName);
        for (String env : environmentNames) environments.add(fullName + "#" + env);
    }

    void answerNext(int status, Map<String, String> headers) {
        synchronized (queued) {
            queued.add(new Answer(status, headers));
        }
    }

    List<Call> calls() {
        return calls;
    }

    /** The decrypted secrets of a repository ({@code environment} empty) or of one of its environments. */
    Map<String, String> secrets(String repository, String environment) {
        return new TreeMap<>(secrets.getOrDefault(scope(repository, environment), Map.of()));
    }

    /** A secret GitHub already holds that no sync wrote (set up by hand). */
    void putByHand(String repository, String environment, String name, String value) {
        secrets.computeIfAbsent(scope(repository, environment), s -> new ConcurrentHashMap<>()).put(name, value);
    }

    private static String scope(String repository, String environment) {
        return environment.isEmpty() ? repository : repository + "#" + environment;
    }

    private synchronized KeyPair key(String scope) {
        return keys.computeIfAbsent(scope, s -> {
            X25519PrivateKeyParameters sk = new X25519PrivateKeyParameters(new SecureRandom());
            return new KeyPair(String.valueOf(568250167242549743L + (++keySeq)), sk.getEncoded(), sk.generatePublicKey().getEncoded());
        });
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String rawPath = exchange.getRequestURI().getRawPath();
            var h = exchange.getRequestHeaders();
            boolean headersOk = "application/vnd.github+json".equals(h.getFirst("Accept"))
                    && "2022-11-28".equals(h.getFirst("X-GitHub-Api-Version")) && h.getFirst("User-Agent") != null;
            calls.add(new Call(method, rawPath, headersOk));
            Answer answer;
            synchronized (queued) {
                answer = queued.poll();
            }
            if (answer != null) {
                answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
                send(exchange, answer.status(), message(answer.status() >= 500 ? "Server Error"
                        : answer.headers().isEmpty() ? "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
                        : "API rate limit exceeded for user ID 1."));
                return;
            }
            if (!("Bearer " + token).equals(h.getFirst("Authorization"))) {
                send(exchange, 401, message("Bad credentials"));
                return;
            }
            List<String> seg = new ArrayList<>();
            for (String s : rawPath.substring(1).split("/", -1)) seg.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            if (method.equals("GET") && seg.equals(List.of("user"))) {
                send(exchange, 200, JSON.createObjectNode().put("login", "octocat"));
                return;
            }
            if (seg.size() < 3 || !seg.get(0).equals("repos") || !repositories.contains(seg.get(1) + "/" + seg.get(2))) {
                send(exchange, 404, message("Not Found"));
                return;
            }
            String repository = seg.get(1) + "/" + seg.get(2);
            List<String> rest = seg.subList(3, seg.size());
            if (rest.isEmpty() && method.equals("GET")) {
                send(exchange, 200, JSON.createObjectNode().put("full_name", repository));
                return;
            }
            String environment;
            List<String> tail;
            if (rest.size() >= 2 && rest.get(0).equals("actions") && rest.get(1).equals("secrets")) {
                environment = "";
                tail = rest.subList(2, rest.size());
            } else if (rest.size() >= 2 && rest.get(0).equals("environments") && environments.contains(repository + "#" + rest.get(1))) {
                environment = rest.get(1);
                if (rest.size() == 2 && method.equals("GET")) {
                    send(exchange, 200, JSON.createObjectNode().put("name", environment));
                    return;
                }
                if (rest.size() < 3 || !rest.get(2).equals("secrets")) {
                    send(exchange, 404, message("Not Found"));
                    return;
                }
                tail = rest.subList(3, rest.size());
            } else {
                send(exchange, 404, message("Not Found"));
                return;
            }
            secrets(exchange, method, scope(repository, environment), tail);
        }
    }

    private void secrets(HttpExchange exchange, String method, String scope, List<String> tail) throws IOException {
        Map<String, String> held = secrets.computeIfAbsent(scope, s -> new ConcurrentHashMap<>());
        if (tail.isEmpty() && method.equals("GET")) {
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            int perPage = Math.max(1, Math.min(100, Integer.parseInt(query.getOrDefault("per_page", "30"))));
            int page = Math.max(1, Integer.parseInt(query.getOrDefault("page", "1")));
            List<String> names = new ArrayList<>(new TreeMap<>(held).keySet());
            ObjectNode body = JSON.createObjectNode().put("total_count", names.size());
            ArrayNode list = body.putArray("secrets");
            for (int i = (page - 1) * perPage; i < Math.min(names.size(), page * perPage); i++) {
                list.addObject().put("name", names.get(i)).put("created_at", "2026-01-01T00:00:00Z").put("updated_at", "2026-01-01T00:00:00Z");
            }
            int last = Math.max(1, (names.size() + perPage - 1) / perPage);
            if (page < last) {
                String path = exchange.getRequestURI().getRawPath();
                exchange.getResponseHeaders().add("Link", "<" + url() + path + "?per_page=" + perPage + "&page=" + (page + 1) + ">; rel=\"next\", <"
                        + url() + path + "?per_page=" + perPage + "&page=" + last + ">; rel=\"last\"");
            }
            send(exchange, 200, body);
            return;
        }
        if (tail.size() == 1 && tail.get(0).equals("public-key") && method.equals("GET")) {
            KeyPair key = key(scope);
            send(exchange, 200, JSON.createObjectNode().put("key_id", key.id()).put("key", Base64.getEncoder().encodeToString(key.pub())));
            return;
        }
        if (tail.size() != 1) {
            send(exchange, 404, message("Not Found"));
            return;
        }
        String name = tail.get(0).toUpperCase(java.util.Locale.ROOT);
        if (method.equals("DELETE")) {
            send(exchange, held.remove(name) != null ? 204 : 404, null);
            return;
        }
        if (!method.equals("PUT")) {
            send(exchange, 404, message("Not Found"));
            return;
        }
        if (!NAME.matcher(name).matches() || name.startsWith("GITHUB_")) {
            send(exchange, 422, message("Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_)."));
            return;
        }
        JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
        KeyPair key = key(scope);
        if (!key.id().equals(body.path("key_id").asText())) {
            send(exchange, 422, message("Bad key_id"));
            return;
        }
        byte[] opened = SodiumOpen.sealOpen(Base64.getDecoder().decode(body.path("encrypted_value").asText()), key.pub(), key.secret());
        if (opened == null) {
            send(exchange, 422, message("encrypted_value does not open with the key"));
            return;
        }
        boolean created = held.put(name, new String(opened, StandardCharsets.UTF_8)) == null;
        send(exchange, created ? 201 : 204, null);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) out.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static ObjectNode message(String text) {
        return JSON.createObjectNode().put("message", text).put("documentation_url", "https://docs.github.com/rest");
    }

    private static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        if (body == null || status == 204) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
