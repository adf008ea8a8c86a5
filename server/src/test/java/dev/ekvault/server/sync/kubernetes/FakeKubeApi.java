package dev.ekvault.server.sync.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.ekvault.server.testing.TestCa;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes API server's core/v1 Secret endpoints, over HTTPS with the test CA's certificate, as the real one
 * answers them (kube-apiserver 1.30): a bearer token or 401, {@code Status} objects for errors, GET of a namespace
 * and of a Secret (404 NotFound), POST of a Secret (201; 409 AlreadyExists; 404 when the namespace does not exist;
 * 422 Invalid for a bad key or non-base64 data), PUT of a Secret (200; 409 Conflict when {@code
 * metadata.resourceVersion} is not the current one; no resourceVersion means an unconditional update). Each write
 * gives the object a new resourceVersion. The test can queue answers (a 429 with Retry-After, an outage's 503) and
 * have someone else write a Secret between our read and our write.
 */
final class FakeKubeApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAMESPACE = Pattern.compile("/api/v1/namespaces/([^/]+)");
    private static final Pattern SECRETS = Pattern.compile("/api/v1/namespaces/([^/]+)/secrets");
    private static final Pattern SECRET = Pattern.compile("/api/v1/namespaces/([^/]+)/secrets/([^/]+)");
    private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]+");

    record Call(String method, String path, String contentType) {}

    record Answer(int status, Map<String, String> headers) {}

    private final HttpsServer server;
    private final Map<String, ObjectNode> secrets = new ConcurrentHashMap<>();
    private final Set<String> namespaces = ConcurrentHashMap.newKeySet();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Deque<Answer> queued = new ArrayDeque<>();
    private final AtomicLong version = new AtomicLong(1000);
    private volatile String token;
    /** How many of the next PUTs find that someone else wrote the Secret after our read. */
    private volatile int racesBeforePut;

    FakeKubeApi(TestCa ca, String token) throws IOException {
        this.token = token;
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ca.serverContext));
        server.createContext("/", exchange -> {
            try {
                handle(exchange);
            } catch (RuntimeException e) {
                send(exchange, 500, status(500, "InternalError", e.toString()));
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    void token(String token) {
        this.token = token;
    }

    void namespace(String name) {
        namespaces.add(name);
    }

    void dropNamespace(String name) {
        namespaces.remove(name);
        secrets.keySet().removeIf(id -> id.startsWith(name + "/"));
    }

    void answerNext(int status, Map<String, String> headers) {
        synchronized (queued) {
            queued.add(new Answer(status, headers));
        }
    }

    void raceNextPuts(int count) {
        racesBeforePut = count;
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The stored Secret, or null. */
    ObjectNode secret(String namespace, String name) {
        ObjectNode s = secrets.get(namespace + "/" + name);
        return s == null ? null : s.deepCopy();
    }

    /** The Secret's data decoded. */
    Map<String, String> data(String namespace, String name) {
        Map<String, String> out = new java.util.TreeMap<>();
        secrets.get(namespace + "/" + name).path("data").fields()
                .forEachRemaining(e -> out.put(e.getKey(), new String(Base64.getDecoder().decode(e.getValue().asText()), StandardCharsets.UTF_8)));
        return out;
    }

    /** Someone else's write (kubectl): stored as given, with a new resourceVersion. */
    void put(String namespace, ObjectNode secret) {
        ObjectNode copy = secret.deepCopy();
        ObjectNode metadata = (ObjectNode) copy.get("metadata");
        metadata.put("namespace", namespace);
        metadata.put("resourceVersion", Long.toString(version.incrementAndGet()));
        secrets.put(namespace + "/" + metadata.get("name").asText(), copy);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        byte[] body = exchange.getRequestBody().readAllBytes();
        calls.add(new Call(method, path, exchange.getRequestHeaders().getFirst("Content-Type")));
        if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            send(exchange, 401, status(401, "Unauthorized", "Unauthorized"));
            return;
        }
        Answer answer;
        synchronized (queued) {
            answer = queued.poll();
        }
        if (answer != null) {
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            send(exchange, answer.status(), status(answer.status(), answer.status() == 429 ? "TooManyRequests" : "InternalError", "queued by the test"));
            return;
        }
        Matcher m;
        if ((m = SECRET.matcher(path)).matches()) {
            String id = m.group(1) + "/" + m.group(2);
            ObjectNode current = secrets.get(id);
            if (method.equals("GET")) {
                if (current == null) send(exchange, 404, status(404, "NotFound", "secrets \"" + m.group(2) + "\" not found"));
                else send(exchange, 200, current);
            } else if (method.equals("PUT")) {
                if (!json(exchange)) return;
                if (current == null) {
                    send(exchange, 404, status(404, "NotFound", "secrets \"" + m.group(2) + "\" not found"));
                    return;
                }
                if (racesBeforePut > 0) { // someone else wrote it after our GET
                    racesBeforePut--;
                    put(m.group(1), current);
                    current = secrets.get(id);
                }
                ObjectNode sent = (ObjectNode) JSON.readTree(body);
                String rv = sent.path("metadata").path("resourceVersion").asText("");
                if (!rv.isEmpty() && !rv.equals(current.path("metadata").path("resourceVersion").asText())) {
                    send(exchange, 409, status(409, "Conflict", "Operation cannot be fulfilled on secrets \"" + m.group(2)
                            + "\": the object has been modified; please apply your changes to the latest version and try again"));
                    return;
                }
                if (!sent.path("type").asText("Opaque").equals(current.path("type").asText("Opaque"))) {
                    send(exchange, 422, status(422, "Invalid", "field is immutable: type"));
                    return;
                }
                if (!valid(exchange, sent)) return;
                put(m.group(1), sent);
                send(exchange, 200, secrets.get(id));
            } else {
                send(exchange, 405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
            }
        } else if ((m = SECRETS.matcher(path)).matches() && method.equals("POST")) {
            if (!json(exchange)) return;
            if (!namespaces.contains(m.group(1))) {
                send(exchange, 404, status(404, "NotFound", "namespaces \"" + m.group(1) + "\" not found"));
                return;
            }
            ObjectNode sent = (ObjectNode) JSON.readTree(body);
            String name = sent.path("metadata").path("name").asText();
            if (secrets.containsKey(m.group(1) + "/" + name)) {
                send(exchange, 409, status(409, "AlreadyExists", "secrets \"" + name + "\" already exists"));
                return;
            }
            if (!valid(exchange, sent)) return;
            put(m.group(1), sent);
            send(exchange, 201, secrets.get(m.group(1) + "/" + name));
        } else if ((m = NAMESPACE.matcher(path)).matches() && method.equals("GET")) {
            if (namespaces.contains(m.group(1))) {
                ObjectNode ns = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Namespace");
                ns.putObject("metadata").put("name", m.group(1));
                send(exchange, 200, ns);
            } else {
                send(exchange, 404, status(404, "NotFound", "namespaces \"" + m.group(1) + "\" not found"));
            }
        } else {
            send(exchange, 404, status(404, "NotFound", "the server could not find the requested resource"));
        }
    }

    private boolean json(HttpExchange exchange) throws IOException {
        if ("application/json".equals(exchange.getRequestHeaders().getFirst("Content-Type"))) return true;
        send(exchange, 415, status(415, "UnsupportedMediaType", "the body of the request was in an unknown format"));
        return false;
    }

    /** What the API server's validation refuses with 422 Invalid: bad keys, data that is not base64. */
    private boolean valid(HttpExchange exchange, ObjectNode secret) throws IOException {
        for (var it = secret.path("data").fields(); it.hasNext(); ) {
            var e = it.next();
            boolean ok = KEY.matcher(e.getKey()).matches();
            try {
                Base64.getDecoder().decode(e.getValue().asText());
            } catch (IllegalArgumentException bad) {
                ok = false;
            }
            if (!ok) {
                send(exchange, 422, status(422, "Invalid", "Secret is invalid: data[" + e.getKey() + "]"));
                return false;
            }
        }
        return true;
    }

    private static JsonNode status(int code, String reason, String message) {
        ObjectNode s = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Failure").put("message", message).put("reason", reason).put("code", code);
        return s;
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
