package dev.ekvault.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ekvault.server.http.Router;
import dev.ekvault.server.testing.Backend;
import dev.ekvault.server.testing.HttpResult;
import dev.ekvault.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * openapi.json, as served over HTTP, against the route table of the running server: the same operations, each
 * tagged and named, each reachable on the wire, and every {@code $ref} resolvable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiTest {
    private static final Set<String> ALLOWED_TAGS = Set.of(
            "auth", "workspace", "project", "team", "secret", "secret-share", "tokens", "sync", "me", "oidc", "ops", "audit", "dashboard");
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Pattern PARAMETER = Pattern.compile("\\{[^/}]*}");

    /** One operation of the document. */
    record Operation(String method, String path, JsonNode node) {
        String key() {
            return method + " " + normalise(path);
        }
    }

    private TestServer s;
    private JsonNode doc;
    private List<Operation> operations;

    @BeforeAll
    void start() throws Exception {
        s = TestServer.start(Backend.SQLITE);
        HttpResult r = s.get("/openapi.json", null);
        assertThat(r.status()).as("GET /openapi.json without a credential: %s", r).isEqualTo(200);
        doc = new ObjectMapper().readTree(r.body());
        operations = new ArrayList<>();
        JsonNode paths = doc.path("paths");
        for (Map.Entry<String, JsonNode> path : paths.properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (HTTP_METHODS.contains(op.getKey())) {
                    operations.add(new Operation(op.getKey().toUpperCase(java.util.Locale.ROOT), path.getKey(), op.getValue()));
                }
            }
        }
    }

    @AfterAll
    void stop() {
        if (s != null) s.close();
    }

    static String normalise(String path) {
        String p = PARAMETER.matcher(path).replaceAll("{}");
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    private Map<String, Router.Route> servedRoutes() {
        Map<String, Router.Route> served = new LinkedHashMap<>();
        for (Router.Route route : s.server.router().routes()) served.put(route.method() + " " + normalise(route.template()), route);
        return served;
    }

    @Test
    void documentIsOpenApi303WithTheRequiredFrame() {
        assertThat(doc.path("openapi").asText()).isEqualTo("3.0.3");
        assertThat(doc.path("info").path("title").asText()).isEqualTo("ek");
        assertThat(doc.path("info").path("version").asText()).isNotBlank();
        assertThat(doc.path("info").path("description").asText()).contains("Enkryptify");
        assertThat(doc.path("servers").size()).isEqualTo(1);
        assertThat(doc.path("servers").path(0).path("url").asText()).isEqualTo("/");
        Set<String> tags = new TreeSet<>();
        doc.path("tags").forEach(t -> tags.add(t.path("name").asText()));
        assertThat(tags).isEqualTo(new TreeSet<>(ALLOWED_TAGS));
        JsonNode bearer = doc.path("components").path("securitySchemes").path("bearerAuth");
        assertThat(bearer.path("type").asText()).isEqualTo("http");
        assertThat(bearer.path("scheme").asText()).isEqualTo("bearer");
        assertThat(bearer.path("description").asText()).contains("ek_live_");
        assertThat(doc.path("security").toString()).isEqualTo("[{\"bearerAuth\":[]}]");
        JsonNode error = doc.path("components").path("schemas").path("Error");
        assertThat(error.path("properties").path("message").path("type").asText()).isEqualTo("string");
    }

    /**
     * Routes answered from memory (health, this document, the JWKS, the dashboard's static files) are the only ones a
     * database outage cannot reach; /readyz documents its own 503. Every other operation tells its client that it may
     * answer 503 (507 for a full disk) with Retry-After: that is the difference between "retry later" and "your
     * request is wrong" which issue 18 asks clients to be able to see.
     */
    private static final Set<String> SERVED_WITHOUT_THE_DATABASE = Set.of("GET /healthz", "GET /readyz", "GET /openapi.json",
            "GET /.well-known/jwks.json");

    @Test
    void everyOperationThatNeedsTheDatabaseDocuments503And507WithRetryAfter() {
        JsonNode components = doc.path("components").path("responses");
        for (String name : List.of("Unavailable", "DiskFull")) {
            assertThat(components.path(name).path("headers").has("Retry-After")).as("components.responses.%s has Retry-After", name).isTrue();
            assertThat(components.path(name).path("content").path("application/json").path("schema").path("$ref").asText())
                    .isEqualTo("#/components/schemas/Error");
        }
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (Operation op : operations) {
            String tag = op.node().path("tags").path(0).asText();
            if (SERVED_WITHOUT_THE_DATABASE.contains(op.method() + " " + op.path()) || tag.equals("dashboard")) continue;
            checked++;
            JsonNode responses = op.node().path("responses");
            JsonNode unavailable = responses.path("503");
            boolean retryAfter = unavailable.path("$ref").asText().equals("#/components/responses/Unavailable")
                    || unavailable.path("headers").has("Retry-After");
            if (!retryAfter) missing.add(op.key() + " 503");
            if (!responses.path("507").path("$ref").asText().equals("#/components/responses/DiskFull")) missing.add(op.key() + " 507");
        }
        assertThat(checked).as("operations that need the database").isGreaterThan(50);
        assertThat(missing).as("operations that do not say they may answer 503/507 with Retry-After").isEmpty();
    }

    @Test
    void documentedOperationsAreExactlyTheServedRoutes() {
        Set<String> served = new TreeSet<>(servedRoutes().keySet());
        Set<String> documented = new TreeSet<>();
        List<String> duplicates = new ArrayList<>();
        for (Operation op : operations) if (!documented.add(op.key())) duplicates.add(op.key());
        Set<String> missing = new TreeSet<>(served);
        missing.removeAll(documented);
        Set<String> notServed = new TreeSet<>(documented);
        notServed.removeAll(served);
        assertThat(served).as("the route table").isNotEmpty();
        assertThat(missing.isEmpty() && notServed.isEmpty())
                .withFailMessage("openapi.json does not match the route table.%n  served but missing from the document: %s%n"
                        + "  in the document but not served: %s", missing, notServed)
                .isTrue();
        assertThat(duplicates).as("operations documented under two path items").isEmpty();
    }

    @Test
    void everyOperationHasAnAllowedTagTheRoutesTagAndAUniqueOperationId() {
        assertThat(operations).isNotEmpty();
        Map<String, Router.Route> served = servedRoutes();
        Map<String, String> seenIds = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Operation op : operations) {
            List<String> tags = new ArrayList<>();
            op.node().path("tags").forEach(t -> tags.add(t.asText()));
            if (tags.isEmpty()) problems.add(op.key() + ": no tag");
            for (String tag : tags) if (!ALLOWED_TAGS.contains(tag)) problems.add(op.key() + ": tag '" + tag + "' is not allowed");
            Router.Route route = served.get(op.key());
            if (route != null && !tags.contains(route.tag())) {
                problems.add(op.key() + ": tags " + tags + " lack the route's tag '" + route.tag() + "'");
            }
            String id = op.node().path("operationId").asText("");
            if (id.isBlank()) {
                problems.add(op.key() + ": no operationId");
            } else {
                String earlier = seenIds.putIfAbsent(id, op.key());
                if (earlier != null) problems.add(op.key() + ": operationId '" + id + "' already used by " + earlier);
            }
            if (op.node().path("summary").asText("").isBlank()) problems.add(op.key() + ": no summary");
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void publicRoutesAndOnlyThoseOptOutOfTheBearerToken() {
        Map<String, Router.Route> served = servedRoutes();
        List<String> problems = new ArrayList<>();
        int publicRoutes = 0;
        for (Operation op : operations) {
            Router.Route route = served.get(op.key());
            if (route == null) continue; // reported by documentedOperationsAreExactlyTheServedRoutes
            JsonNode security = op.node().get("security");
            boolean optsOut = security != null && security.isArray() && security.isEmpty();
            if (route.isPublic()) publicRoutes++;
            if (route.isPublic() && !optsOut) problems.add(op.key() + " is public but does not say security: []");
            if (!route.isPublic() && optsOut) problems.add(op.key() + " needs a credential but says security: []");
        }
        assertThat(publicRoutes).as("public routes documented").isPositive();
        assertThat(problems).isEmpty();
    }

    @Test
    void everyDocumentedOperationExistsOnTheWire() {
        assertThat(operations).isNotEmpty();
        List<String> problems = new ArrayList<>();
        for (Operation op : operations) {
            String path = PARAMETER.matcher(op.path()).replaceAll("x");
            HttpRequest.Builder request = s.request(path, null).method(op.method(), HttpRequest.BodyPublishers.noBody());
            HttpResult r = s.send(request);
            if (r.status() == 405) {
                problems.add(op.key() + " → 405 " + r.body());
            } else if (r.status() == 404 && isRouteNotFound(r)) {
                problems.add(op.key() + " → 404 route not found");
            }
        }
        assertThat(problems).as("documented operations the server does not route").isEmpty();
    }

    private static boolean isRouteNotFound(HttpResult r) {
        try {
            return "route not found".equals(r.message());
        } catch (RuntimeException notJson) {
            return true; // a 404 that is not even our JSON error body did not come from a route
        }
    }

    @Test
    void everyRefPointsToAnExistingComponent() {
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).as("$refs in the document").isNotEmpty();
        List<String> dangling = new ArrayList<>();
        for (String ref : refs) {
            if (!ref.startsWith("#/components/") || doc.at(ref.substring(1)).isMissingNode()) dangling.add(ref);
        }
        assertThat(dangling).as("$refs that point to no component").isEmpty();
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (field.getKey().equals("$ref")) {
                    refs.add(field.getValue().isTextual() ? field.getValue().asText() : field.getValue().toString());
                } else {
                    collectRefs(field.getValue(), refs);
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) collectRefs(element, refs);
        }
    }
}
